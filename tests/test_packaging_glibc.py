"""packaging/check_glibc.py: the highest GLIBC symbol version each ELF file needs, failing
above a limit — on small libraries compiled here that need a known version."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys

import pytest
from packaging_tools import ROOT, load

cg = load("check_glibc.py")


def compile_lib(tmp_path, name: str, body: str):
    src = tmp_path / f"{name}.c"
    src.write_text(body)
    out = tmp_path / "bundle" / f"{name}.so"
    out.parent.mkdir(exist_ok=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    return out


@pytest.fixture
def bundle(tmp_path):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    if platform.machine() != "x86_64" or platform.libc_ver()[0] != "glibc":
        pytest.skip("the synthetic libraries assume glibc on x86_64")
    # getrandom appeared in glibc 2.25, close_range in 2.34
    old = compile_lib(
        tmp_path,
        "libold",
        "#include <sys/random.h>\nint f(char *b) { return (int) getrandom(b, 4, 0); }\n",
    )
    new = compile_lib(
        tmp_path,
        "libnew",
        "#define _GNU_SOURCE\n#include <unistd.h>\nint g(void) { return close_range(3, 9, 0); }\n",
    )
    (tmp_path / "bundle" / "README.txt").write_text("not an ELF file")
    (tmp_path / "bundle" / "fake.so").write_bytes(b"\x7fELF garbage, truncated")
    return tmp_path / "bundle", old, new


def test_highest_version_per_file(bundle):
    folder, old, new = bundle
    assert cg.glibc_need(old).glibc == (2, 25)
    assert cg.glibc_need(new).glibc == (2, 34)
    assert cg.glibc_need(new).symbols_from == "libc.so.6"
    assert cg.glibc_need(folder / "README.txt") is None
    assert cg.glibc_need(folder / "fake.so") is None  # broken ELF is not counted as one
    assert {n.path.name for n in cg.scan([folder])} == {"libold.so", "libnew.so"}


def test_fails_above_the_limit_and_names_the_file(bundle, capsys):
    folder, _, new = bundle
    assert cg.main([str(folder), "--max", "2.28"]) == 1
    out = capsys.readouterr().out
    assert "GLIBC_2.34" in out and "TOO NEW" in out and "libnew.so" in out
    assert "libold.so" not in out  # only offenders unless --all
    assert "highest GLIBC needed: 2.34" in out and "1 file(s) above the limit" in out
    assert cg.main([str(folder), "--max", "2.34", "--all"]) == 0
    out = capsys.readouterr().out
    assert "libold.so" in out and "all within the limit" in out
    new.unlink()
    assert cg.main([str(folder), "--max", "2.28"]) == 0


def test_nothing_to_check_is_an_error(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("x")
    assert cg.main([str(tmp_path)]) == 2
    assert cg.main([str(tmp_path / "missing")]) == 2


def test_command_line_on_this_interpreter():
    """Whatever runs here needs at most this machine's glibc (the check agrees with reality)."""
    here = platform.libc_ver()[1]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "check_glibc.py"), sys.executable, "--max", here],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 ELF files" in proc.stdout
