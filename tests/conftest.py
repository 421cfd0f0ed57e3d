"""Shared fixtures: every test gets its own data directory and a fresh SQLite file.

Core tests use ``store``; Qt tests use ``ctx`` / ``main_window`` (real widgets, offscreen).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Isolated user data directory (ZSAPP_DATA_DIR) for each test."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("ZSAPP_DATA_DIR", str(path))
    return path


@pytest.fixture
def db_path(data_dir):
    return data_dir / "zsapp.sqlite3"


@pytest.fixture
def store(db_path):
    """A migrated store with the bundled catalogue loaded."""
    from zsapp.bootstrap import open_store

    s = open_store(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def qapp():
    """The QApplication, set up like the real app (bundled font, zh_CN translations)."""
    from ui.app import create_app

    return create_app(["zsapp-tests"])


@pytest.fixture
def ctx(qapp, store, data_dir):
    from ui.context import AppContext

    context = AppContext(store, data_dir / "ui-state.ini")
    yield context
    context.tasks.wait(10000)


@pytest.fixture
def main_window(qtbot, ctx):
    from ui.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window
