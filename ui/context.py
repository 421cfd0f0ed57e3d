"""What every window and page is given: the store, the task runner, one change signal."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from ui.tasks import TaskRunner
from zsapp.store import Store
from zsapp.undo import UndoJournal


class AppContext(QObject):
    # Emitted with a set of table/area names after data changed; views refresh from it.
    data_changed = Signal(object)

    def __init__(self, store: Store, settings_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tasks = TaskRunner(self)
        # UI state only (geometry, last page); domain settings live in SQLite.
        self.settings = QSettings(str(settings_path), QSettings.Format.IniFormat)

    def notify(self, *areas: str) -> None:
        self.data_changed.emit(set(areas))

    # -- undo (zsapp/undo.py) ------------------------------------------------------------
    @functools.cached_property
    def journal(self) -> UndoJournal:
        """This window session's undo journal (Ctrl+Z, the 撤销 notice)."""
        return UndoJournal(self.store)

    def action(self, label: str):
        """``with ctx.action("删除企业“…”"):`` records the block's writes for undo."""
        return self.journal.action(label)
