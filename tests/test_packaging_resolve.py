"""The requirements resolve to wheels for the officers' machines — checked with pip's own
resolver for the target platform (a dry run against PyPI, a few seconds each)."""

from __future__ import annotations

import pytest
from packaging_tools import load

rc = load("resolve_check.py")


def test_platform_tags_cover_older_manylinux():
    tags = rc.platform_tags("manylinux_2_28_x86_64")
    assert tags[0] == "manylinux_2_28_x86_64" and "manylinux_2_17_x86_64" in tags
    assert {"manylinux2014_x86_64", "manylinux1_x86_64"} <= set(tags)
    assert not any("2_29" in t or "2_34" in t for t in tags)
    assert rc.platform_tags("win_amd64") == ["win_amd64"]


def test_uos_kylin_x86_64_resolves_with_qtpdf_from_addons():
    """glibc 2.28 x86_64 (统信 UOS 20, 银河麒麟 V10): core + pdf-addons + dev (the build tools)."""
    res = rc.resolve("manylinux_2_28_x86_64", ["pdf-addons", "dev"])
    assert res.ok, res.error
    assert res.version_of("PySide6-Essentials").startswith("6.9.")
    assert res.version_of("PySide6-Addons") == res.version_of("PySide6-Essentials")
    assert res.version_of("PySide6_Pdf") is None
    wheels = [w for _, _, w in res.installs]
    assert not [w for w in wheels if "manylinux_2_34" in w and "manylinux_2_28" not in w]


def test_pdf_wheel_of_612_does_not_fit_glibc_228():
    """Why pdf-qt612 is an extra and not a core dependency: on 2.28 it cannot resolve."""
    res = rc.resolve("manylinux_2_28_x86_64", ["pdf-qt612"])
    assert not res.ok and "PySide6" in res.error


@pytest.mark.parametrize(
    ("platform", "extras"),
    [("win_amd64", ["pdf-qt612", "dev"])],
)
def test_windows_and_new_linux_get_612_with_pdf_wheel(platform, extras):
    res = rc.resolve(platform, extras)
    assert res.ok, res.error
    assert res.version_of("PySide6-Essentials").startswith("6.12.")
    assert res.version_of("PySide6_Pdf").startswith("6.12.")


def test_cli_fails_when_it_does_not_resolve(capsys):
    assert rc.main(["--platform", "manylinux_2_28_x86_64", "--extras", "pdf-qt612"]) == 1
    assert "DOES NOT RESOLVE" in capsys.readouterr().out


def test_kylin_arm64_with_glibc_231_gets_68_from_addons():
    """The arm64 row of docs/install.md: glibc 2.31 resolves (PySide6 6.8), 2.28 does not."""
    res = rc.resolve("manylinux_2_31_aarch64", ["pdf-addons"])
    assert res.ok, res.error
    assert res.version_of("PySide6-Addons").startswith("6.8.")
    assert not rc.resolve("manylinux_2_28_aarch64", []).ok
