"""What every window and page is given: the store, the task runner, one change signal.

The store announces the tables each committed transaction wrote (on the committing
thread); :class:`AppContext` re-emits them as ``data_changed`` on the UI thread once the
event loop is back, coalesced: a handler that commits several times, an import or a
sync pull on a worker refresh each view once, and never in the middle of the handler
that wrote. Views declare the tables they show with :meth:`AppContext.watch`; the watch is
a child of the view, so the connection dies with it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt, Signal, Slot

from ui.gc import collector_of
from ui.tasks import TaskRunner
from zsapp.store import Store
from zsapp.undo import UndoJournal


class TableWatch(QObject):
    """Calls ``callback(changed)`` when a commit wrote one of ``tables``; a child of the
    view it refreshes, so it is disconnected when the view is destroyed."""

    def __init__(
        self,
        ctx: AppContext,
        tables: Iterable[str],
        callback: Callable[[frozenset[str]], None],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self.tables = frozenset(tables)
        self.callback = callback
        ctx.data_changed.connect(self._on_changed)

    @Slot(object)
    def _on_changed(self, tables: frozenset[str]) -> None:
        changed = self.tables & tables
        if changed:
            self.callback(changed)


class AppContext(QObject):
    # A frozenset of table names written by a committed transaction, on the UI thread.
    data_changed = Signal(object)
    _committed = Signal()

    def __init__(self, store: Store, settings_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tasks = TaskRunner(self)
        collector = collector_of(QCoreApplication.instance())
        if collector is not None:  # full GC pauses wait until background work is done
            collector.defer_full_collections_while(self.tasks, lambda tasks: tasks.busy)
        # UI state only (geometry, last page); domain settings live in SQLite.
        self.settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()
        self._committed.connect(self._flush, Qt.ConnectionType.QueuedConnection)
        unsubscribe = store.subscribe(self._on_commit)
        self.destroyed.connect(lambda *_: unsubscribe())

    def watch(
        self,
        view: QObject,
        tables: Iterable[str],
        callback: Callable[[frozenset[str]], None],
    ) -> TableWatch:
        """Refresh ``view`` through ``callback`` (a bound method of it) when one of
        ``tables`` changed."""
        return TableWatch(self, tables, callback, view)

    def _on_commit(self, tables: frozenset[str]) -> None:
        """Store listener; runs on whichever thread committed."""
        with self._pending_lock:
            first = not self._pending
            self._pending |= tables
        if first:
            self._committed.emit()

    def flush_changes(self) -> None:
        """Deliver pending change events now instead of when the event loop is back."""
        self._flush()

    @Slot()
    def _flush(self) -> None:
        with self._pending_lock:
            tables, self._pending = frozenset(self._pending), set()
        if tables and not self.store.closed:  # changes committed just before closing
            self.data_changed.emit(tables)

    # -- undo (zsapp/undo.py) ------------------------------------------------------------
    @functools.cached_property
    def journal(self) -> UndoJournal:
        """This window session's undo journal (Ctrl+Z, the 撤销 notice)."""
        return UndoJournal(self.store)

    def action(self, label: str):
        """``with ctx.action("删除企业“…”"):`` records the block's writes for undo."""
        return self.journal.action(label)
