"""Build the .deb for 统信 UOS / 银河麒麟 from the PyInstaller one-folder build, in the UOS app-store
layout (everything under /opt/apps/<appid>/, no maintainer scripts):

    /opt/apps/cn.gov.yn.zsapp/
        info                                    JSON: appid, name, version, arch, permissions …
        entries/applications/cn.gov.yn.zsapp.desktop
        entries/icons/hicolor/<n>x<n>/apps/cn.gov.yn.zsapp.png
        files/zsapp/                            the one-folder build (zsapp + _internal/)
        files/bin/cn.gov.yn.zsapp -> ../zsapp/zsapp
        files/doc/README                        where the data lives, how to uninstall

    python packaging/deb/build_deb.py --dist dist/zsapp --out dist --depends "libegl1 libgl1 …"

Made with ``dpkg-deb --root-owner-group --build``; the result is
``<out>/cn.gov.yn.zsapp_<version>_<arch>.deb``. No postinst/prerm: installing changes nothing
outside /opt/apps/<appid>, and ``dpkg -r`` removes all of it (user data lives in the user's
home and is never touched; see docs/install.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
APPID = "cn.gov.yn.zsapp"
NAME_ZH = "招商助手"
ICON_SIZES = (48, 64, 128, 256)


def app_version() -> str:
    text = (ROOT / "zsapp" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M).group(1)


def store_version(version: str) -> str:
    """UOS wants {MAJOR}.{MINOR}.{PATCH}.{BUILD}, all numbers: 0.1.0 → 0.1.0.0."""
    parts = version.split(".")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 4:
        raise SystemExit(f"version {version!r} is not numeric MAJOR.MINOR.PATCH[.BUILD]")
    return ".".join(parts + ["0"] * (4 - len(parts)))


def deb_arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def info_json(appid: str, version: str, arch: str) -> dict:
    return {
        "appid": appid,
        "name": NAME_ZH,
        "version": version,
        "arch": [arch],
        "permissions": {
            "autostart": False,
            "notification": False,
            "trayicon": False,
            "clipboard": True,  # copies contact cards / search results
            "account": False,
            "bluetooth": False,
            "camera": False,
            "audio_record": False,
            "installed_apps": False,
        },
        "support-plugins": [],
        "plugins": [],
    }


def desktop_entry(appid: str) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.0",
            f"Name={NAME_ZH}",
            f"Name[zh_CN]={NAME_ZH}",
            "GenericName=Investment promotion assistant",
            "GenericName[zh_CN]=招商引资工作助手",
            "Comment=Offline assistant for investment-promotion officers",
            "Comment[zh_CN]=招商引资工作助手：指导目录、企业与联系人、项目、推介册，离线可用",
            f"Exec=/opt/apps/{appid}/files/bin/{appid}",
            f"Icon={appid}",
            "Terminal=false",
            "Categories=Office;",
            "StartupNotify=true",
            "",
        ]
    )


README = """招商助手 {version}（{appid}）

程序位于 /opt/apps/{appid}/files/zsapp/。数据不在这里，而在每个用户自己的目录：
  ~/.local/share/zsapp/   数据库、附件、生成的推介册
卸载（sudo dpkg -r {appid} 或应用商店卸载）只删除 /opt/apps/{appid}，不删除用户数据。
换电脑、备份与恢复见 docs/install.md。
"""


def control(appid: str, version: str, arch: str, depends: list[str], size_kb: int) -> str:
    fields = {
        "Package": appid,
        "Version": version,
        "Architecture": arch,
        "Maintainer": "zsapp maintainers <zsapp@localhost>",
        "Installed-Size": str(size_kb),
        "Section": "utils",
        "Priority": "optional",
        "Depends": ", ".join(depends),
        "Description": f"{NAME_ZH} — offline assistant for investment-promotion officers\n"
        " Catalogue of encouraged industries, companies and contacts, projects,\n"
        " brochures (PDF) and synchronisation with the provincial office server.",
    }
    if not depends:
        del fields["Depends"]
    return "".join(f"{k}: {v}\n" for k, v in fields.items())


def _dir_size_kb(path: Path) -> int:
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())
    return max(1, total // 1024)


def build(
    dist: Path, out: Path, depends: list[str], appid: str = APPID, compress: str = "xz"
) -> Path:
    exe = dist / "zsapp"
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        raise SystemExit(f"{exe} missing: build the one-folder bundle first (make dist)")
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("dpkg-deb not found (apt-get install dpkg)")
    version = store_version(app_version())
    arch = deb_arch()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zsapp-deb-") as tmp:
        root = Path(tmp) / "root"
        app = root / "opt" / "apps" / appid
        files = app / "files"
        shutil.copytree(dist, files / "zsapp", symlinks=True)
        (files / "bin").mkdir(parents=True)
        (files / "bin" / appid).symlink_to("../zsapp/zsapp")
        (files / "doc").mkdir()
        (files / "doc" / "README").write_text(
            README.format(version=version, appid=appid), encoding="utf-8"
        )
        apps = app / "entries" / "applications"
        apps.mkdir(parents=True)
        (apps / f"{appid}.desktop").write_text(desktop_entry(appid), encoding="utf-8")
        icon = Image.open(ROOT / "resources" / "icons" / "zsapp.png").convert("RGBA")
        for n in ICON_SIZES:
            d = app / "entries" / "icons" / "hicolor" / f"{n}x{n}" / "apps"
            d.mkdir(parents=True)
            icon.resize((n, n), Image.Resampling.LANCZOS).save(d / f"{appid}.png")
        (app / "info").write_text(
            json.dumps(info_json(appid, version, arch), ensure_ascii=False, indent=4) + "\n",
            encoding="utf-8",
        )
        for p in [root, *root.rglob("*")]:
            if p.is_symlink():
                continue
            if p.is_dir():
                p.chmod(0o755)
            else:
                p.chmod(0o755 if os.access(p, os.X_OK) else 0o644)
        debian = root / "DEBIAN"
        debian.mkdir()
        sums = []
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.is_symlink() and debian not in p.parents:
                digest = hashlib.md5(p.read_bytes()).hexdigest()
                sums.append(f"{digest}  {p.relative_to(root).as_posix()}\n")
        (debian / "md5sums").write_text("".join(sums), encoding="utf-8")
        (debian / "control").write_text(
            control(appid, version, arch, depends, _dir_size_kb(root / "opt")), encoding="utf-8"
        )
        for p in debian.iterdir():
            p.chmod(0o644)
        target = out / f"{appid}_{version}_{arch}.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", f"-Z{compress}", "--build", str(root), str(target)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "dist" / "zsapp")
    ap.add_argument("--out", type=Path, default=ROOT / "dist")
    ap.add_argument("--appid", default=APPID)
    ap.add_argument("--depends", default="", help="space-separated Debian package names")
    ap.add_argument(
        "--compress", default="xz", choices=["xz", "gzip"], help="xz: smaller; gzip: faster"
    )
    args = ap.parse_args(argv)
    deb = build(args.dist, args.out, args.depends.split(), args.appid, args.compress)
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
