"""Run work off the UI thread and get the result back on it (after Picard's run_task).

Database work goes through one single-thread pool so writes are serialised; other long
work (PDF rendering, sync, import) may use the general pool.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, func: Callable[..., Any], relay: _Relay, with_progress: bool) -> None:
        super().__init__()
        self.func, self.relay, self.with_progress = func, relay, with_progress

    def run(self) -> None:
        try:
            if self.with_progress:
                result = self.func(lambda done, total: self.relay.progressed.emit(done, total))
            else:
                result = self.func()
        except BaseException as exc:  # reported to the UI thread, never lost
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.relay.failed.emit(exc)
        else:
            self.relay.succeeded.emit(result)


class TaskRunner(QObject):
    """Owns the pools; keeps relays alive until their task reports."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_pool = QThreadPool(self)
        self.db_pool.setMaxThreadCount(1)
        self.pool = QThreadPool(self)
        self._relays: set[_Relay] = set()

    def run(
        self,
        func: Callable[..., Any],
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        *,
        db: bool = True,
    ) -> None:
        """Run ``func`` in the background. With ``on_progress``, ``func`` receives a
        ``progress(done, total)`` callable. Callbacks run on the UI thread."""
        relay = _Relay()
        self._relays.add(relay)

        def finish(callback, value):
            self._relays.discard(relay)
            relay.deleteLater()  # freed on this (UI) thread, never by a worker's GC
            if callback:
                callback(value)

        relay.succeeded.connect(lambda value: finish(on_success, value))
        relay.failed.connect(lambda exc: finish(on_error or self._default_error, exc))
        if on_progress:
            relay.progressed.connect(on_progress)
        (self.db_pool if db else self.pool).start(_Task(func, relay, on_progress is not None))

    @property
    def busy(self) -> bool:
        """A background task is running (its relay is kept until it reports)."""
        return bool(self._relays)

    def wait(self, msecs: int = 30000) -> bool:
        return self.db_pool.waitForDone(msecs) and self.pool.waitForDone(msecs)

    @staticmethod
    def _default_error(exc: BaseException) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        QMessageBox.critical(
            QApplication.activeWindow(), "出错了", str(exc) or exc.__class__.__name__
        )
