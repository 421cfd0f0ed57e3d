"""Start the desktop app: fonts, translations, the store, the main window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.context import AppContext
from ui.gc import MainThreadGarbageCollector
from ui.main_window import MainWindow
from zsapp import __version__, paths, profile
from zsapp.bootstrap import open_store
from zsapp.security import keys
from zsapp.security.errors import PassphraseRequired, WrongKeyError
from zsapp.store import StoreError

FONT_FAMILY_FALLBACK = "WenQuanYi Micro Hei"


def install_font(app: QApplication) -> str:
    """Register the bundled CJK font so Chinese renders without system CJK fonts."""
    font_id = QFontDatabase.addApplicationFont(str(paths.font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    family = families[0] if families else FONT_FAMILY_FALLBACK
    font = QFont(family)
    font.setPointSize(10)
    app.setFont(font)
    return family


def install_translations(app: QApplication) -> list[QTranslator]:
    """zh_CN strings for Qt's standard dialogs and buttons."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    installed = []
    for name in ("qtbase_zh_CN",):
        translator = QTranslator(app)
        if translator.load(name, QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(translator)
            installed.append(translator)
    return installed


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("招商助手")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("zsapp")
    icon = paths.resources_dir() / "icons" / "zsapp.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    install_font(app)
    install_translations(app)
    if not hasattr(app, "_zsapp_gc"):
        app._zsapp_gc = MainThreadGarbageCollector(app)  # type: ignore[attr-defined]
    return app


def open_store_asking(
    db_path: Path | None = None, ask: Callable[[bool, str], str] | None = None, tries: int = 5
):
    """Open the store; when the keys are passphrase-protected, ask for it (dialog), again
    after a wrong one. ``ZSAPP_PASSPHRASE`` (scripts, tests) is used when set."""
    from ui.dialogs.passphrase_dialog import ask_passphrase

    path = Path(db_path) if db_path else paths.default_db_path()
    if os.environ.get(keys.ENV_PASSPHRASE) or not keys.needs_passphrase(path):
        return open_store(path)
    ask = ask or ask_passphrase
    error = ""
    for _ in range(tries):
        answer = {"text": ""}

        def prompt(creating: bool, _error=error, _answer=answer) -> str:
            _answer["text"] = ask(creating, _error)
            return _answer["text"]

        try:
            return open_store(path, key_source=keys.PassphraseSource(prompt))
        except WrongKeyError as exc:
            error = str(exc)
        except PassphraseRequired:
            raise StoreError("未输入口令，招商助手无法打开加密的数据") from None
    raise StoreError("口令错误次数过多，请稍后再试。数据未作任何改动。")


def build_window(db_path: Path | None = None, ask_profile: bool = True) -> MainWindow:
    from ui.lock import LockController

    store = open_store_asking(db_path)
    ctx = AppContext(store, paths.data_dir() / "ui-state.ini")
    window = MainWindow(ctx)
    window.lock_controller = LockController(ctx, window)  # idle / OS session lock
    start_auto_backup(window)
    if ask_profile and not profile.first_run_done(store):
        from ui.dialogs.profile_dialog import ProfileDialog

        window.show()
        ProfileDialog(store, first_run=True, parent=window).exec()
        profile.mark_first_run_done(store)
    return window


def start_auto_backup(window: MainWindow) -> None:
    """The daily local backup (kept 14 days), in the background at start."""
    from zsapp import backup

    bar = window.statusBar()
    window.ctx.tasks.run(
        lambda: backup.auto_backup(window.ctx.store),
        on_success=lambda info: info and bar.showMessage("今天的自动备份已完成", 8000),
        on_error=lambda exc: bar.showMessage(f"自动备份没有成功：{exc}", 15000),
    )


def main(argv: list[str] | None = None) -> int:
    app = create_app(argv)
    try:
        window = build_window()
    except StoreError as exc:
        QMessageBox.critical(None, "无法打开数据", str(exc))
        return 1
    window.show()
    code = app.exec()
    window.lock_controller.stop()
    window.ctx.store.close()
    return code
