"""设置, in plain words: 个人资料, 备份与恢复, 回收站, 使用说明 and 关于."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from ui.dialogs.profile_dialog import LABELS, ProfileDialog
from ui.widgets.security_panel import SecurityPanel
from zsapp import __version__, backup, catalogue, profile
from zsapp.store import StoreError


def about_html(ctx: AppContext) -> str:
    store = ctx.store
    e = html.escape
    return (
        f"<h2>招商助手 {e(__version__)}</h2>"
        "<p>供云南省招商干部外出招商使用：离线查阅指导目录，管理客商、拜访和招商项目，生成推介册，"
        "联网时与省招商办同步。</p>"
        f"<p>数据保存在：{e(str(store.path.parent))}<br>"
        f"指导目录版本：{e(catalogue.current_version(store) or '未知')}<br>"
        f"自动备份保存在：{e(str(backup.local_folder()))}</p>"
        "<p style='color:#777'>技术信息（联系技术支持时提供）："
        f"数据库版本 {store.schema_version}，本机编号 {e(store.device_id[:8])}</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("关于招商助手")
        self.text = QLabel(about_html(ctx))
        self.text.setObjectName("aboutText")
        self.text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)


class SettingsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: QDialog | None = None

        self.summary = QLabel()
        self.summary.setObjectName("settingsSummary")
        self.summary.setWordWrap(True)
        edit = QPushButton("修改个人资料…")
        edit.setObjectName("settingsProfile")
        edit.clicked.connect(self.edit_profile)
        self.thresholds_button = QPushButton("准入标准（投资强度、亩均税收最低要求）…")
        self.thresholds_button.setObjectName("settingsThresholds")
        self.thresholds_button.clicked.connect(self.edit_thresholds)
        profile_box = QGroupBox("个人资料")
        pl = QVBoxLayout(profile_box)
        pl.addWidget(self.summary)
        row = QHBoxLayout()
        row.addWidget(edit)
        row.addWidget(self.thresholds_button)
        row.addStretch(1)
        pl.addLayout(row)

        self.backup_label = QLabel()
        self.backup_label.setObjectName("backupSummary")
        self.backup_label.setWordWrap(True)
        self.backup_button = QPushButton("立即备份到…")
        self.backup_button.setObjectName("backupNow")
        self.backup_button.clicked.connect(self.backup_to_folder)
        self.restore_button = QPushButton("从备份恢复…")
        self.restore_button.setObjectName("backupRestore")
        self.restore_button.clicked.connect(self.restore_from_file)
        backup_box = QGroupBox("备份")
        bl = QVBoxLayout(backup_box)
        bl.addWidget(self.backup_label)
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addWidget(self.restore_button)
        row.addStretch(1)
        bl.addLayout(row)

        self.trash_button = QPushButton("回收站…")
        self.trash_button.setObjectName("settingsTrash")
        self.trash_button.clicked.connect(self.open_trash)
        self.help_button = QPushButton("使用说明（F1）")
        self.help_button.setObjectName("settingsHelp")
        self.help_button.clicked.connect(self.open_help)
        self.about_button = QPushButton("关于招商助手")
        self.about_button.setObjectName("settingsAbout")
        self.about_button.clicked.connect(self.open_about)
        self.security_button = QPushButton("数据安全（自动锁定、导出记录、待复核记录）…")
        self.security_button.setObjectName("settingsSecurity")
        self.security_button.clicked.connect(self.open_security)  # issue 14
        more_box = QGroupBox("其他")
        ml = QHBoxLayout(more_box)
        ml.addWidget(self.security_button)
        ml.addWidget(self.trash_button)
        ml.addWidget(self.help_button)
        ml.addWidget(self.about_button)
        ml.addStretch(1)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(profile_box)
        layout.addWidget(backup_box)
        layout.addWidget(more_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        ctx.watch(self, {"settings", "catalogue_versions"}, self.refresh)
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        data = profile.get_profile(self.ctx.store)
        rows = "".join(
            f"<tr><td>{LABELS[k]}</td><td>{html.escape(v) or '—'}</td></tr>"
            for k, v in vars(data).items()
        )
        self.summary.setText(f"<table cellpadding=3>{rows}</table>")
        self.refresh_backups()

    def refresh_backups(self) -> None:
        items = backup.list_backups(self.ctx.store)
        last = items[0].created_at.replace("T", " ") if items else "还没有"
        self.backup_label.setText(
            "程序每天自动在本机备份一次（数据和附件），保留最近 14 天。"
            f"最近一次备份：{last}。<br>建议定期“立即备份”到 U 盘或其他电脑，电脑损坏也不丢数据。"
        )

    def open_security(self) -> SecurityPanel:
        self.security = SecurityPanel(self.ctx, self.window())
        self.security.open()
        return self.security

    # -- actions -----------------------------------------------------------------------
    def backup_to_folder(self, folder: str | None = None) -> backup.BackupInfo | None:
        folder = folder or filedialogs.choose_folder(self, "选择备份保存的文件夹（如 U 盘）")
        if not folder:
            return None
        try:
            info = backup.create_backup(self.ctx.store, folder)
        except StoreError as exc:
            QMessageBox.warning(self, "备份失败", str(exc))
            return None
        self.refresh_backups()
        QMessageBox.information(self, "备份完成", f"已备份到：\n{info.path}")
        return info

    def restore_from_file(self, path: str | None = None) -> bool:
        path = path or filedialogs.open_file(
            self, "选择备份文件", f"招商助手备份 (*{backup.SUFFIX})", str(backup.local_folder())
        )
        if not path:
            return False
        try:
            info = backup.read_info(self.ctx.store, path)
        except StoreError as exc:
            QMessageBox.warning(self, "无法恢复", str(exc))
            return False
        c = info.counts
        answer = QMessageBox.question(
            self,
            "从备份恢复",
            f"用 {info.created_at.replace('T', ' ')} 的备份替换当前数据？\n"
            f"备份里有企业 {c.get('companies', 0)} 家、联系人 {c.get('people', 0)} 位、"
            f"拜访 {c.get('visits', 0)} 次、项目 {c.get('projects', 0)} 个。\n\n"
            "当前的数据会先另存一份备份，需要时还可以找回。",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            result = backup.restore_backup(self.ctx.store, path)
        except StoreError as exc:
            QMessageBox.warning(self, "无法恢复", str(exc))
            return False
        self.refresh()
        QMessageBox.information(
            self,
            "恢复完成",
            f"已恢复 {result.restored.created_at.replace('T', ' ')} 的数据。\n"
            f"恢复前的数据另存为：{result.safety_backup.path}",
        )
        return True

    def open_trash(self):
        from ui.dialogs.trash_dialog import TrashDialog

        self.dialog = TrashDialog(self.ctx, self.window())
        self.dialog.open()
        return self.dialog

    def open_help(self):
        from ui.dialogs.help_dialog import HelpDialog

        self.dialog = HelpDialog(self.window())
        self.dialog.open()
        return self.dialog

    def open_about(self):
        self.dialog = AboutDialog(self.ctx, self.window())
        self.dialog.open()
        return self.dialog

    def edit_thresholds(self):
        from ui.dialogs.project_dialog import ThresholdsDialog

        self.dialog = ThresholdsDialog(self.ctx, self.window())
        self.dialog.open()
        return self.dialog

    def edit_profile(self) -> None:
        ProfileDialog(self.ctx.store, parent=self).exec()
