"""The core never imports Qt: the CLI and the tests must run it without a window."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_module_under_zsapp_imports_qt():
    offenders = []
    for path in (ROOT / "zsapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] in {"PySide6", "shiboken6", "ui"} for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_cli_runs_without_loading_qt(tmp_path):
    code = (
        "import sys, zsapp.cli as c; c.main(['--selftest']); "
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt loaded'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"ZSAPP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
