"""App lock in the window: after N idle minutes (设置), when the OS session locks, or when
``zsapp security lock`` ran, the window hides its data until the passphrase / PIN is given.

OS session lock: on Linux we listen on D-Bus (QtDBus, part of PySide6) for
``org.freedesktop.login1.Session.Lock`` (system bus, logind — every systemd desktop) and
``org.freedesktop.ScreenSaver.ActiveChanged(true)`` (session bus — KDE, GNOME, Xfce
screensavers). Where neither bus exists (Windows, macOS, CI) only the idle timer and the
manual lock apply; :attr:`LockController.os_lock_sources` says which were connected.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PySide6.QtCore import SLOT, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from zsapp.security import applock

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


def _login1_session_path(system: object) -> str | None:
    """The object path of this login session on logind (signals come from it)."""
    from PySide6.QtDBus import QDBus, QDBusMessage

    call = QDBusMessage.createMethodCall(
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
        "GetSession",
    )
    call.setArguments(["auto"])
    reply = system.call(call, QDBus.CallMode.Block, 2000)
    if reply.type() != QDBusMessage.MessageType.ReplyMessage or not reply.arguments():
        return None
    path = reply.arguments()[0]
    return path.path() if hasattr(path, "path") else str(path)


class LockScreen(QWidget):
    """Shown instead of the window's content while locked."""

    unlock_requested = Signal(str)

    def __init__(self, secret_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAutoFillBackground(True)
        title = QLabel("<h2>招商助手已锁定</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(f"为保护客商信息，数据已隐藏。请输入本机数据{secret_name}解锁。")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.secret = QLineEdit()
        self.secret.setObjectName("lockSecret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(secret_name)
        self.secret.setMaximumWidth(320)
        self.secret.returnPressed.connect(self._submit)
        self.button = QPushButton("解锁")
        self.button.setObjectName("lockUnlock")
        self.button.clicked.connect(self._submit)
        self.error = QLabel()
        self.error.setObjectName("lockError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (title, self.hint, self.secret, self.button, self.error):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def _submit(self) -> None:
        self.unlock_requested.emit(self.secret.text())


class LockController(QObject):
    """Watches activity and the OS session; locks and unlocks ``window``."""

    locked_changed = Signal(bool)

    def __init__(
        self,
        ctx: AppContext,
        window: QMainWindow,
        clock: Callable[[], float] = time.monotonic,
        check_ms: int = 15_000,
        listen_os: bool = True,
    ) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.idle = applock.IdleTimer(applock.idle_minutes(ctx.store), clock)
        self.screen = LockScreen(applock.secret_name(ctx.store), window)
        self.screen.hide()
        self.screen.unlock_requested.connect(self.try_unlock)
        self.locked = False
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        QApplication.instance().installEventFilter(self)
        self.os_lock_sources: list[str] = self._listen_os() if listen_os else []
        if applock.is_locked(ctx.store):
            self.lock()

    def stop(self) -> None:
        """Stop watching (window closing, store about to close)."""
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)

    # -- OS session lock --------------------------------------------------------------
    def _listen_os(self, system: object = None, session: object = None) -> list[str]:
        """Connect to the OS lock signals; returns the sources connected. ``system`` /
        ``session``: QDBusConnection objects (default: the real buses)."""
        if os.name != "posix" and system is None and session is None:
            return []
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:  # a PySide6 build without QtDBus: idle timer only
            return []
        system = system or QDBusConnection.systemBus()
        session = session or QDBusConnection.sessionBus()
        sources = []
        login1_path = _login1_session_path(system) if system.isConnected() else None
        if login1_path and system.connect(
            "org.freedesktop.login1",
            login1_path,
            "org.freedesktop.login1.Session",
            "Lock",
            self,
            SLOT("on_session_locked()"),
        ):
            sources.append("login1")
        if session.isConnected() and session.connect(
            "",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver",
            "ActiveChanged",
            self,
            SLOT("on_screensaver(bool)"),
        ):
            sources.append("ScreenSaver")
        return sources

    @Slot()
    def on_session_locked(self) -> None:
        self.lock()

    @Slot(bool)
    def on_screensaver(self, active: bool) -> None:
        if active:
            self.lock()

    # -- idle -------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not self.locked:
            self.idle.touch()
        elif event.type() == QEvent.Type.Resize and obj is self.window:
            self.screen.setGeometry(self.window.rect())
        return False

    def check(self) -> None:
        """Timer tick: idle long enough, or locked from the CLI?"""
        if self.locked:
            return
        self.idle.minutes = applock.idle_minutes(self.ctx.store)
        if applock.can_lock(self.ctx.store) and (
            self.idle.due() or applock.is_locked(self.ctx.store)
        ):
            self.lock()

    # -- lock / unlock ----------------------------------------------------------------
    def lock(self) -> None:
        if self.locked or not applock.can_lock(self.ctx.store):
            return
        applock.lock(self.ctx.store)
        self.locked = True
        # Open dialogs show data too: hidden (not closed: their input is kept) until unlock.
        self._hidden_dialogs = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog) and w.isVisible() and w is not self.window
        ]
        for dialog in self._hidden_dialogs:
            dialog.hide()
        central = self.window.centralWidget()
        if central is not None:
            central.hide()
        self.window.statusBar().hide()
        self.screen.setGeometry(self.window.rect())
        self.screen.secret.clear()
        self.screen.error.clear()
        self.screen.show()
        self.screen.raise_()
        self.screen.secret.setFocus()
        self.locked_changed.emit(True)

    @Slot(str)
    def try_unlock(self, secret: str) -> bool:
        if not applock.verify(self.ctx.store, secret):
            self.screen.error.setText(applock.WRONG_SECRET)
            self.screen.secret.selectAll()
            return False
        applock.unlock(self.ctx.store, secret)
        self.locked = False
        self.screen.hide()
        self.screen.secret.clear()
        central = self.window.centralWidget()
        if central is not None:
            central.show()
        self.window.statusBar().show()
        for dialog in getattr(self, "_hidden_dialogs", []):
            dialog.show()
        self._hidden_dialogs = []
        self.idle.touch()
        self.locked_changed.emit(False)
        return True


def show_wiped(window: QMainWindow, message: str) -> QLabel:
    """The office wiped this device: nothing is left to show; say why. The pages stay
    hidden behind the notice (the app should be restarted, which starts a new device)."""
    controller = getattr(window, "lock_controller", None)
    if controller is not None:
        controller.stop()
        controller.screen.hide()
    central = window.centralWidget()
    if central is not None:
        central.hide()
    window.statusBar().hide()
    label = QLabel(f"<h2>本机数据已被远程清除</h2><p>{message}</p><p>请关闭招商助手。</p>", window)
    label.setObjectName("wipedNotice")
    label.setWordWrap(True)
    label.setAutoFillBackground(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setGeometry(window.rect())
    label.show()
    label.raise_()
    window.wiped_notice = label
    return label
