"""Undo journal: take back the last create, edit, delete, merge or import of this session.

Wrap a use case in ``journal.action("编辑拜访记录")``; every local write it makes (through
Store.insert/update/delete) records the row's before-image once, via
``Store.write_observers``. :meth:`UndoJournal.undo` writes the before-images back with
synced writes (a created row is tombstoned, a changed or deleted one gets its old values
back), so an undo syncs like any edit. The journal lives in memory for one session (one
window or one CLI run); it does not survive a restart.

Only writes made on the thread that opened the action are recorded, so a sync running in
the background is never taken back by mistake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zsapp.store import SYNC_COLUMNS, Store, StoreError

LOCAL_ONLY = {"settings", "drafts", "trash_purged"}


def undo_import_batch(store: Store, batch_id: str) -> Any:
    """IMPORT UNDO HOOK: an import recorded with ``action(..., import_batch=id)`` is taken
    back by the importer's own batch undo (issue 11, ``importer.undo_import`` on branch
    i11-import), which also marks the batch as undone. Actions without a batch id are
    undone from their before-images like any other action."""
    from zsapp.contacts import importer

    return importer.undo_import(store, batch_id)


class NothingToUndo(StoreError):
    pass


@dataclass
class Operation:
    label: str  # shown in the 撤销 notice, e.g. "删除企业“中铝”"
    at: datetime
    images: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    import_batch: str | None = None
    after: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.images)


class UndoJournal:
    """One session's undo stack over one store."""

    def __init__(self, store: Store, *, limit: int = 50, clock=datetime.now) -> None:
        self.store = store
        self.limit = limit
        self._clock = clock
        self._stack: list[Operation] = []
        self._open: dict[int, Operation] = {}  # thread id -> its action being recorded
        self._stack_lock = threading.Lock()
        self.listeners: list[Callable[[Operation | None], None]] = []

    # -- recording -----------------------------------------------------------------
    def _observe(self, table: str, row_id: str, before: dict[str, Any] | None) -> None:
        op = self._open.get(threading.get_ident())
        if op is None or table in LOCAL_ONLY:
            return
        op.images.setdefault((table, row_id), before)

    @contextmanager
    def action(self, label: str, *, import_batch: str | None = None) -> Iterator[Operation]:
        """Record this thread's writes during one user action (a background import records
        on its worker thread). Nested actions join the outer one."""
        ident = threading.get_ident()
        if ident in self._open:
            yield self._open[ident]
            return
        op = Operation(label, self._clock(), import_batch=import_batch)
        self._open[ident] = op
        self.store.write_observers.append(self._observe)
        try:
            yield op
            op.after = after_images(self.store, op.images)
        finally:
            self.store.write_observers.remove(self._observe)
            del self._open[ident]
        if op.images or op.import_batch:
            with self._stack_lock:
                self._stack.append(op)
                del self._stack[: -self.limit]
            self._notify(op)

    def run(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.action(label):
            return fn(*args, **kwargs)

    def _notify(self, op: Operation | None) -> None:
        for listener in list(self.listeners):
            listener(op)

    # -- undoing -------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._stack)

    def peek(self) -> Operation | None:
        return self._stack[-1] if self._stack else None

    def history(self) -> list[Operation]:
        return list(reversed(self._stack))

    def undo(self) -> Operation:
        """Take back the most recent action; returns it."""
        if not self._stack:
            raise NothingToUndo("没有可以撤销的操作")
        op = self._stack[-1]
        if op.import_batch:
            undo_import_batch(self.store, op.import_batch)
        else:
            undo_images(self.store, op.images, op.after)
        self._stack.pop()
        self._notify(self.peek())
        return op


def after_images(
    store: Store, images: dict[tuple[str, str], dict[str, Any] | None]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The rows as the action left them (to tell later edits apart on undo)."""
    out = {}
    for table, row_id in images:
        row = store.get(table, row_id, include_deleted=True)
        if row is not None:
            out[(table, row_id)] = row
    return out


@contextmanager
def capture(store: Store) -> Iterator[dict[tuple[str, str], dict[str, Any] | None]]:
    """Collect before-images of this thread's writes inside the block."""
    images: dict[tuple[str, str], dict[str, Any] | None] = {}
    thread = threading.get_ident()

    def observe(table: str, row_id: str, before: dict[str, Any] | None) -> None:
        if threading.get_ident() == thread and table not in LOCAL_ONLY:
            images.setdefault((table, row_id), before)

    store.write_observers.append(observe)
    try:
        yield images
    finally:
        store.write_observers.remove(observe)


def undo_images(
    store: Store,
    images: dict[tuple[str, str], dict[str, Any] | None],
    after: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> int:
    """Write before-images back (newest first), as synced writes in one transaction.
    With ``after`` (the rows as the action left them), a field changed again since the
    action (by the officer or by sync) keeps its newer value. Returns rows written."""
    keep = set(SYNC_COLUMNS[:4])
    written = 0
    with store.transaction():
        for (table, row_id), before in reversed(list(images.items())):
            current = store.get(table, row_id, include_deleted=True)
            if current is None:
                continue
            if before is None:  # created by the action: tombstone it, not into the bin
                if not current["deleted"]:
                    store.delete(table, row_id)
                    written += 1
                store.execute(
                    "INSERT OR IGNORE INTO trash_purged (table_name, row_id, purged_at) "
                    "VALUES (?, ?, datetime('now'))",
                    (table, row_id),
                )
                continue
            then = (after or {}).get((table, row_id))
            changes = {
                k: v
                for k, v in before.items()
                if k not in keep
                and current.get(k) != v
                and (then is None or current.get(k) == then.get(k))
            }
            if changes:
                store.update(table, row_id, changes)
                written += 1
    return written
