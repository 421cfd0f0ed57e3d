"""The .deb for 统信 UOS / 银河麒麟 (``make deb``): UOS store layout, no maintainer scripts;
installed with dpkg on this machine, the installed program passes its --selftest, and
``dpkg -r`` leaves nothing behind in /opt/apps/<appid>.

Installing a package changes the machine, so this runs only through ``make deb-test``
(ZSAPP_DEB_TEST=1, as root; CI runs it after ``make dist``)."""

from __future__ import annotations

import configparser
import io
import json
import os
import platform
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from packaging_tools import ROOT, load

APPID = "cn.gov.yn.zsapp"
APP_DIR = Path("/opt/apps") / APPID

pytestmark = pytest.mark.skipif(
    os.environ.get("ZSAPP_DEB_TEST") != "1",
    reason="installs a system package: run with `make deb-test`",
)


def sh(*cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def dpkg_status() -> str:
    return sh("dpkg-query", "-W", "-f=${Status}", APPID).stdout


@pytest.fixture(scope="module")
def deb() -> Path:
    debs = sorted((ROOT / "dist").glob(f"{APPID}_*.deb"), key=lambda p: p.stat().st_mtime)
    assert debs, "no .deb in dist/: run `make deb` first"
    return debs[-1]


def members(deb: Path) -> dict[str, tarfile.TarInfo]:
    proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        return {m.name.removeprefix("./"): m for m in tar.getmembers()}


def member_text(deb: Path, name: str) -> str:
    proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        return tar.extractfile(f"./{name}").read().decode("utf-8")


def test_layout_and_metadata(deb, tmp_path):
    files = members(deb)
    outside = {n.rstrip("/") for n in files if not n.startswith(f"opt/apps/{APPID}")}
    assert outside <= {"", ".", "opt", "opt/apps"}, outside
    # no maintainer scripts: installing changes nothing outside /opt/apps/<appid>
    ctrl = tmp_path / "ctrl"
    subprocess.run(["dpkg-deb", "--control", str(deb), str(ctrl)], check=True)
    assert sorted(p.name for p in ctrl.iterdir()) == ["control", "md5sums"]
    control = (ctrl / "control").read_text()
    assert re.search(rf"^Package: {re.escape(APPID)}$", control, re.M)
    version = re.search(r"^Version: (\S+)$", control, re.M).group(1)
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", version)  # UOS: MAJOR.MINOR.PATCH.BUILD
    assert "libxcb-cursor0" in control  # Qt's xcb plugin needs it, a bare desktop may lack it

    base = f"opt/apps/{APPID}"
    info = json.loads(member_text(deb, f"{base}/info"))
    assert info["appid"] == APPID and info["version"] == version and info["name"] == "招商助手"
    assert info["arch"] == [sh("dpkg", "--print-architecture").stdout.strip()]
    assert set(info["permissions"]) >= {"autostart", "notification", "clipboard", "camera"}
    assert info["permissions"]["autostart"] is False
    assert info["support-plugins"] == [] and info["plugins"] == []

    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read_string(member_text(deb, f"{base}/entries/applications/{APPID}.desktop"))
    entry = desktop["Desktop Entry"]
    assert entry["Name"] == "招商助手" and entry["Icon"] == APPID and entry["Terminal"] == "false"
    exe = entry["Exec"].split()[0].removeprefix("/")
    assert files[exe].issym() and files[exe].linkname == "../zsapp/zsapp"
    assert files[f"{base}/files/zsapp/zsapp"].mode & 0o111
    for n in (48, 128, 256):
        assert f"{base}/entries/icons/hicolor/{n}x{n}/apps/{APPID}.png" in files
    # the brochure preview: Qt's PDF module, and pypdfium2 for the page-image fallback
    internal = f"{base}/files/zsapp/_internal"
    assert f"{internal}/PySide6/QtPdf.abi3.so" in files
    assert any(n.startswith(f"{internal}/pypdfium2_raw/") for n in files)
    if shutil.which("desktop-file-validate"):
        out = tmp_path / "entry.desktop"
        out.write_text(member_text(deb, f"{base}/entries/applications/{APPID}.desktop"))
        check = sh("desktop-file-validate", str(out))
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout


def test_install_selftest_remove(deb, tmp_path):
    assert os.geteuid() == 0, "dpkg -i needs root"
    if dpkg_status():  # a leftover from an interrupted run
        sh("dpkg", "-P", APPID)
    assert not APP_DIR.exists(), f"{APP_DIR} exists but belongs to no package"
    installed = sh("dpkg", "-i", str(deb))
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert dpkg_status() == "install ok installed"
        exe = APP_DIR / "files" / "bin" / APPID
        home = tmp_path / "home"
        home.mkdir()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8",
        }
        run = sh(str(exe), "--selftest", env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        assert re.search(r"selftest: schema \d+, 咖啡 → \d+ hits: ok", run.stdout)
        version = sh(str(exe), "--version", env=env)
        assert version.returncode == 0 and re.search(r"\d+\.\d+", version.stdout + version.stderr)
        # every ELF file the package installed loads on this machine's glibc
        cg = load("check_glibc.py")
        here = cg.parse_version(platform.libc_ver()[1])
        needs = cg.scan([APP_DIR / "files"])
        assert len(needs) > 50  # Python, Qt and the extension modules
        assert max(n.glibc for n in needs if n.glibc) <= here
    finally:
        removed = sh("dpkg", "-r", APPID)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not APP_DIR.exists(), sorted(str(p) for p in APP_DIR.rglob("*"))[:20]
    assert dpkg_status() in ("", "unknown ok not-installed", "deinstall ok config-files")
    sh("dpkg", "-P", APPID)
    assert dpkg_status() in ("", "unknown ok not-installed")
