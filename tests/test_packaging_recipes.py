"""The release recipe cannot run here (no Windows, no manylinux runner): these checks keep the
promises docs/install.md makes about it from being edited away unnoticed."""

from __future__ import annotations

import re

from packaging_tools import ROOT

ISS = (ROOT / "packaging" / "windows" / "zsapp.iss").read_text(encoding="utf-8-sig")
WORKFLOW = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")


def section(name: str) -> str:
    m = re.search(rf"^\[{name}\]\r?\n(.*?)(?=^\[|\Z)", ISS, re.M | re.S)
    assert m, f"[{name}] missing"
    return m.group(1)


def test_installer_start_menu_uninstaller_and_kept_data():
    icons = section("Icons")
    assert re.search(
        r'^Name: "\{group\}\\\{#AppName\}"; Filename: "\{app\}\\\{#AppExe\}"', icons, re.M
    )
    assert re.search(r'Filename: "\{uninstallexe\}"', icons)
    # per-user data is never deleted: no [UninstallDelete]/[InstallDelete] at all, and the
    # uninstaller names the folder zsapp's platformdirs path uses (%LOCALAPPDATA%\zsapp)
    assert "[UninstallDelete]" not in ISS.replace("No [UninstallDelete]", "")
    assert "[InstallDelete]" not in ISS
    assert "ExpandConstant('{localappdata}\\zsapp')" in ISS
    setup = section("Setup")
    assert re.search(r"^MinVersion=10\.0\.17763$", setup, re.M)  # Qt 6: Windows 10 1809+
    assert re.search(r"^PrivilegesRequired=lowest$", setup, re.M)  # no admin rights needed
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", setup, re.M)


def test_workflow_builds_linux_on_glibc_228_and_checks_it():
    assert "container: quay.io/pypa/manylinux_2_28_x86_64" in WORKFLOW
    assert "check_glibc.py dist/zsapp --max 2.28" in WORKFLOW
    assert "container: debian:10" in WORKFLOW  # the install test on glibc 2.28
    assert '".[dev,pdf-addons]"' in WORKFLOW and '".[dev,pdf-qt612]"' in WORKFLOW
    assert "packaging\\windows\\zsapp.iss" in WORKFLOW
    # nothing is signed with secrets the project does not have
    assert "secrets." not in WORKFLOW and "signtool" not in WORKFLOW
