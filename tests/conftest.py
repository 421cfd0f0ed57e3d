"""Shared fixtures: every test gets its own data directory and a fresh SQLite file.

Encryption is on as in production. There is no OS key store here (as on CI): keyring's
fail backend is forced (also for subprocesses), and the passphrase path is used with a
real passphrase and real Argon2id, with cheap cost parameters passed explicitly.

Core tests use ``store``; Qt tests use ``ctx`` / ``main_window`` (real widgets, offscreen).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

TEST_PASSPHRASE = "测试口令-correct horse"


def fast_key_source():
    """The key source tests use: a real passphrase through Argon2id, cheap parameters."""
    from zsapp.security.keys import Argon2Params, PassphraseSource

    return PassphraseSource(TEST_PASSPHRASE, params=Argon2Params(1, 64, 1))


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Isolated user data directory (ZSAPP_DATA_DIR) for each test."""
    from zsapp.security import keys

    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("ZSAPP_DATA_DIR", str(path))
    # Headless first run: the passphrase a script would give; new databases get the
    # cheap test parameters (stored in their key envelope, so CLI subprocesses use them).
    monkeypatch.setenv(keys.ENV_PASSPHRASE, TEST_PASSPHRASE)
    monkeypatch.setattr(keys, "default_key_source", fast_key_source)
    keys.resolve(path / "zsapp.sqlite3", fast_key_source())
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


@pytest.fixture
def type_text(qtbot):
    """Type like a user: ASCII as key clicks, Chinese as an input-method commit (the way
    a 拼音 IME delivers it; QTest cannot synthesise non-ASCII key clicks)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QInputMethodEvent

    def type_into(widget, text: str) -> None:
        widget.setFocus()
        run = ""
        for ch in text + "\0":
            if ch != "\0" and ch.isascii() == (run[:1].isascii() if run else ch.isascii()):
                run += ch
                continue
            if run and run.isascii():
                qtbot.keyClicks(widget, run)
            elif run:
                event = QInputMethodEvent()
                event.setCommitString(run)
                QCoreApplication.sendEvent(widget, event)
            run = ch if ch != "\0" else ""

    return type_into
