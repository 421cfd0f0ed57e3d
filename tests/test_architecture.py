"""The core never imports Qt: the CLI and the tests must run it without a window."""

import ast
import re
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


SQL = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\[?\w+\]?\s+SET\b"
    r"|\bDELETE\s+FROM\b|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW)\b|\bPRAGMA\s+\w+"
    r"|\bWHERE\s+\w+\s*(=|<|>|LIKE|IN)\b",
    re.IGNORECASE | re.DOTALL,
)


def _ui_sources():
    for path in sorted((ROOT / "ui").rglob("*.py")):
        yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))


def test_ui_has_no_sql():
    """Every list and detail in ui/ is backed by a core function (zsapp/)."""
    offenders = []
    for path, tree in _ui_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if SQL.search(text):
                offenders.append(f"{path}:{node.lineno}: {text[:60]!r}")
    assert offenders == []


def test_ui_never_touches_a_connection():
    """ui/ reads and writes through the store's methods and the core, never ``.conn``."""
    offenders = [
        f"{path}:{node.lineno}"
        for path, tree in _ui_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"conn", "_conn", "_read_conn"}
    ]
    assert offenders == []


def test_sql_check_catches_sql():
    assert SQL.search("SELECT name FROM companies WHERE id = ?")
    assert SQL.search("DELETE FROM drafts WHERE key = ?")
    assert SQL.search("update [people] set name = ?")
    assert not SQL.search("选择要导出的企业（Excel、CSV）")
    assert not SQL.search("Select the file to import")
