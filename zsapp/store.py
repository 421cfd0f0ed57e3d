"""The local SQLite store: migrations, transactions and sync-ready record writes.

Every user record is written through :meth:`Store.insert`, :meth:`Store.update` and
:meth:`Store.delete` so that, in the same transaction, it gets a new HLC ``updated_at``,
this device in ``updated_by``, per-field versions and outbox patches for sync.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from zsapp import paths
from zsapp.clock import HybridLogicalClock

SYNC_COLUMNS = ("id", "created_at", "updated_at", "updated_by", "deleted")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


# Derived data kept up to date inside the write transaction of any change to a table
# (search index rows, counters). Domain modules register at import; bootstrap imports them.
_CHANGE_HOOKS: dict[str, list[Callable[[Store, str], None]]] = {}


def on_record_change(table: str) -> Callable:
    """Decorator: ``fn(store, row_id)`` runs after every insert/update/delete (local or
    applied from sync) of a row of ``table``, in the same transaction."""

    def register(fn: Callable[[Store, str], None]) -> Callable[[Store, str], None]:
        hooks = _CHANGE_HOOKS.setdefault(table, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return register


class StoreError(Exception):
    """A problem with the local database, with a message for the user (Chinese)."""


class DatabaseTooNewError(StoreError):
    pass


class RecordNotFound(StoreError):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


def list_migrations(directory: Path | None = None) -> list[tuple[int, Path]]:
    directory = directory or paths.migrations_dir()
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StoreError(f"迁移文件名不合规：{path.name}")
        found.append((int(match.group(1)), path))
    numbers = [n for n, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"迁移编号必须从 1 连续编号，实际为 {numbers}")
    return found


def latest_schema_version() -> int:
    return len(list_migrations())


class Store:
    """One open database. Safe to share between threads: writes are serialised."""

    def __init__(self, path: Path | str | None = None, *, migrate: bool = True) -> None:
        self.path = Path(path) if path else paths.default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self.clock: HybridLogicalClock | None = None
        # Called as fn(table, row_id, before) inside the write transaction, before a local
        # insert (before=None) or a changing update (before=the row as it was); the undo
        # journal (zsapp/undo.py) uses it to keep before-images.
        self.write_observers: list[Callable[[str, str, dict[str, Any] | None], None]] = []
        try:
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10
            )
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA busy_timeout = 10000")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"无法打开数据库 {self.path}：{exc}") from exc
        self.journal_mode = mode
        self.db = sqlite_utils.Database(self.conn)
        if migrate:
            self.migrate()
        self.device_id = self._ensure_device()
        self.clock = HybridLogicalClock(self.device_id, last=self.get_setting("clock.last_hlc"))

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction."""
        migrations = list_migrations()
        latest = len(migrations)
        current = self.schema_version
        if current > latest:
            raise DatabaseTooNewError(
                f"数据库版本（{current}）比本程序支持的版本（{latest}）新，"
                "请升级招商助手后再打开。数据库未作任何改动。"
            )
        applied = []
        pending = [(n, p) for n, p in migrations if n > current]
        if pending and current > 0:
            self._backup(f"before-v{pending[0][0]}")
        for number, path in pending:
            script = path.read_text(encoding="utf-8")
            with self._lock:
                try:
                    self.conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except sqlite3.Error as exc:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise StoreError(f"数据库升级到第 {number} 版失败：{exc}") from exc
            applied.append(number)
        return applied

    def _backup(self, label: str) -> Path:
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        with self._lock:
            dest = sqlite3.connect(target)
            try:
                self.conn.backup(dest)
            finally:
                dest.close()
        return target

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """A write transaction (BEGIN IMMEDIATE); nested use joins the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
                if self.clock is not None:
                    # Persist the clock so timestamps stay monotonic across restarts.
                    self.conn.execute(
                        "INSERT INTO settings (key, value) VALUES ('clock.last_hlc', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (json.dumps(self.clock.peek()),),
                    )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    # -- plain queries -----------------------------------------------------------------
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        with self._lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.conn.execute(sql, params)

    def count(self, table: str, include_deleted: bool = False) -> int:
        where = (
            "" if include_deleted or "deleted" not in self.columns(table) else " WHERE deleted = 0"
        )
        return self.scalar(f"SELECT count(*) FROM [{table}]{where}")

    def columns(self, table: str) -> list[str]:
        return [c.name for c in self.db[table].columns]

    # -- settings ----------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value, ensure_ascii=False)),
            )

    def _ensure_device(self) -> str:
        row = self.query_one("SELECT id FROM devices WHERE is_self = 1")
        if row:
            return row["id"]
        device_id = uuid.uuid4().hex
        with self.transaction():
            self.conn.execute(
                "INSERT INTO devices (id, name, created_at, is_self) VALUES (?, '', datetime('now'), 1)",
                (device_id,),
            )
        return device_id

    # -- sync-ready record writes ------------------------------------------------------
    def _record_patch(self, table: str, row_id: str, values: Mapping[str, Any], hlc: str) -> None:
        fields = [
            (f, v)
            for f, v in values.items()
            if f not in ("id", "updated_at", "updated_by", "created_at")
        ]
        # executemany: one statement per table instead of two per field (bulk imports).
        self.conn.executemany(
            "INSERT INTO field_versions (table_name, row_id, field, hlc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (table_name, row_id, field) DO UPDATE SET hlc = excluded.hlc",
            [(table, row_id, f, hlc) for f, _ in fields],
        )
        self.conn.executemany(
            "INSERT INTO outbox (table_name, row_id, field, value, hlc) VALUES (?, ?, ?, ?, ?)",
            [(table, row_id, f, json.dumps(v, ensure_ascii=False), hlc) for f, v in fields],
        )

    def insert(self, table: str, values: Mapping[str, Any]) -> str:
        """Insert a new user record; returns its UUID. Fields not given keep their defaults."""
        row = dict(values)
        row_id = row.pop("id", None) or new_id()
        hlc = self.clock.now().pack()
        with self.transaction():
            for observer in self.write_observers:
                observer(table, row_id, None)
            full = {
                "id": row_id,
                **row,
                "created_at": hlc,
                "updated_at": hlc,
                "updated_by": self.device_id,
                "deleted": row.get("deleted", 0),
            }
            names = ", ".join(f"[{k}]" for k in full)
            marks = ", ".join("?" for _ in full)
            self.conn.execute(
                f"INSERT INTO [{table}] ({names}) VALUES ({marks})", tuple(full.values())
            )
            self._record_patch(table, row_id, {k: full[k] for k in full if k != "id"}, hlc)
            self.run_change_hooks(table, row_id)
        return row_id

    def run_change_hooks(self, table: str, row_id: str) -> None:
        """Refresh derived data for a row; sync calls this after applying remote changes."""
        for hook in _CHANGE_HOOKS.get(table, ()):
            hook(self, row_id)

    def get(self, table: str, row_id: str, include_deleted: bool = False) -> dict[str, Any] | None:
        row = self.query_one(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,))
        if row is None or (row.get("deleted") and not include_deleted):
            return None
        return row

    def update(self, table: str, row_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some fields of a record; only fields whose value differs are written."""
        with self.transaction():
            current = self.get(table, row_id, include_deleted=True)
            if current is None:
                raise RecordNotFound(f"找不到记录 {row_id}")
            changed = {
                k: v
                for k, v in changes.items()
                if k not in SYNC_COLUMNS[:4] and current.get(k) != v
            }
            if not changed:
                return current
            for observer in self.write_observers:
                observer(table, row_id, dict(current))
            hlc = self.clock.now().pack()
            assignments = ", ".join(f"[{k}] = ?" for k in changed)
            self.conn.execute(
                f"UPDATE [{table}] SET {assignments}, updated_at = ?, updated_by = ? WHERE id = ?",
                (*changed.values(), hlc, self.device_id, row_id),
            )
            self._record_patch(table, row_id, changed, hlc)
            self.run_change_hooks(table, row_id)
            current.update(changed, updated_at=hlc, updated_by=self.device_id)
            return current

    def delete(self, table: str, row_id: str) -> None:
        """Tombstone a record: it disappears for the user but stays for sync."""
        self.update(table, row_id, {"deleted": 1})

    def pending_changes(self) -> int:
        return self.scalar("SELECT count(*) FROM outbox")
