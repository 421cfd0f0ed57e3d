; 招商助手 — Windows 10 (1809+) / 11 installer, Inno Setup 6.3+.
; Built by .github/workflows/release.yml:  iscc /DAppVersion=0.1.0 packaging\windows\zsapp.iss
; from the PyInstaller one-folder build in dist\zsapp (make dist / pyinstaller build.spec).
;
; * Installs for the current user by default (officers' laptops rarely grant admin rights:
;   %LOCALAPPDATA%\Programs\zsapp); an administrator may choose "all users" in the dialog.
; * Start-menu entry 招商助手 and 卸载招商助手; optional desktop shortcut.
; * Uninstalling removes only what was installed. The officer's data (database, attachments,
;   brochures) is in %LOCALAPPDATA%\zsapp, which this installer never writes or deletes; the
;   uninstaller says where it stays (docs/install.md: moving it to a new laptop).
; * Not code-signed (no certificate here): SmartScreen shows "未知发布者"; see docs/install.md.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef DistDir
  #define DistDir AddBackslash(SourcePath) + "..\..\dist\zsapp"
#endif
#define AppName "招商助手"
#define AppExe "zsapp.exe"

; Simplified Chinese messages: official in newer Inno Setup releases, "Unofficial" in older
; ones; the workflow may also drop a pinned copy next to this script.
#define ZhIsl ""
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
  #define ZhIsl "compiler:Languages\ChineseSimplified.isl"
#elif FileExists(AddBackslash(CompilerPath) + "Languages\Unofficial\ChineseSimplified.isl")
  #define ZhIsl "compiler:Languages\Unofficial\ChineseSimplified.isl"
#elif FileExists(AddBackslash(SourcePath) + "ChineseSimplified.isl")
  #define ZhIsl AddBackslash(SourcePath) + "ChineseSimplified.isl"
#endif

[Setup]
; AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{6E0C7A52-3B1D-4F7E-9C2A-5A8D1E4B7F30}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=招商助手项目组
VersionInfoVersion={#AppVersion}
; ASCII folder name: fewer surprises for tools that mishandle non-ASCII paths
DefaultDirName={autopf}\zsapp
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 supports Windows 10 1809 (build 17763) and later only
MinVersion=10.0.17763
OutputDir={#AddBackslash(SourcePath)}..\..\dist
OutputBaseFilename=zsapp-{#AppVersion}-windows-x64-setup
SetupIconFile={#AddBackslash(SourcePath)}zsapp.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
#if ZhIsl != ""
Name: "zh"; MessagesFile: "{#ZhIsl}"
#endif
Name: "en"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\卸载{#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for the data folder, on purpose: the officer's records stay.
[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox('招商助手已卸载。您的数据仍保存在：' + #13#10 +
      ExpandConstant('{localappdata}\zsapp') + #13#10#13#10 +
      '重新安装后可继续使用；如需彻底删除，请手动删除该文件夹。', mbInformation, MB_OK);
end;
