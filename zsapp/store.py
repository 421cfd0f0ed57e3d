"""The local SQLite store: connections, migrations, transactions, sync-ready record writes
and change announcements.

Connections (all opened by :func:`_open_connection`, the one place that knows how):

- one private *writer* connection, used only inside :meth:`Store.transaction` (and by
  :meth:`Store.execute` / :meth:`Store.executemany`, which join or open one). Writes are
  serialised by a lock held for the whole transaction, so the DB worker thread owns it;
- one *read* connection per thread (``PRAGMA query_only``), in autocommit WAL mode: each
  read sees the last committed snapshot, is never blocked by an open write transaction and
  never sees its uncommitted rows. A thread inside its own write transaction reads through
  the writer, so it sees what it wrote. :meth:`Store.snapshot` keeps one read snapshot for
  several queries (a page and its count).

Public API (keep it small):

- reads: :meth:`query`, :meth:`query_one`, :meth:`scalar`, :meth:`rows` (tuples),
  :meth:`iter_query` (streaming), :meth:`snapshot`, :meth:`search` (zsapp.search over the
  right connection), :meth:`get`, :meth:`count`, :meth:`columns`, settings getters;
- writes: :meth:`transaction`, :meth:`savepoint`, :meth:`insert`, :meth:`update`,
  :meth:`delete` (sync-ready: HLC ``updated_at``, ``updated_by``, field versions, outbox in
  the same transaction), :meth:`execute` / :meth:`executemany` for derived data and
  maintenance, :meth:`set_setting`;
- change events: :meth:`subscribe` — after each committed outer transaction (local writes
  and sync apply alike) every listener gets the frozenset of tables it wrote, on the
  committing thread; nothing is reported for a rolled-back transaction.

Every user record is written through :meth:`Store.insert`, :meth:`Store.update` and
:meth:`Store.delete` so that, in the same transaction, it gets a new HLC ``updated_at``,
this device in ``updated_by``, per-field versions and outbox patches for sync.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3

from zsapp import paths
from zsapp.clock import HybridLogicalClock
from zsapp.sorting import collate_pinyin

if TYPE_CHECKING:
    import sqlite_utils

    from zsapp import search

log = logging.getLogger(__name__)

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


# Errors of either SQLite driver: the app's connections are sqlcipher3, tools use sqlite3.
DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher3.Error)
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher3.DatabaseError)


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


# Tables written by a statement: INSERT/REPLACE INTO t, UPDATE t, DELETE FROM t (not the
# "DO UPDATE SET" of an upsert).
_WRITE_TARGET = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|(?<!\bDO\s)UPDATE(?:\s+OR\s+\w+)?"
    r"|DELETE\s+FROM)\s+[\[\"`]?(\w+)",
    re.IGNORECASE,
)
_READ = re.compile(r"^\s*(?:SELECT|WITH)\b", re.IGNORECASE)
_ISOLATED = re.compile(r"^\s*(?:BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

Listener = Callable[[frozenset[str]], None]


@functools.lru_cache(maxsize=1024)
def written_tables(sql: str) -> frozenset[str]:
    """The tables a statement writes (empty for reads and PRAGMAs)."""
    return frozenset(t for t in _WRITE_TARGET.findall(sql) if t.upper() != "SET")


PAGE_CACHE_KIB = -32768  # negative: KiB (SQLite's convention)


def _unlock(path: Path, key_source: Any = None) -> tuple[Any, Any]:
    """This device's data keys for ``path`` (zsapp.security): from the OS key store or a
    passphrase (``key_source``); a new database gets new keys, a plain file from an older
    version is converted to SQLCipher first. Returns (data keys, key source)."""
    from zsapp.security import dbcrypt, perms

    perms.secure_umask()  # the db, -wal/-shm, exports, logs: user-only
    try:
        return dbcrypt.unlock(path, key_source)
    except DB_ERRORS as exc:
        raise StoreError(f"无法打开数据库 {path}：{exc}") from exc


def _open_connection(path: Path, *, keys: Any, readonly: bool = False) -> Any:
    """Open one connection to the database file. The ONLY place connections are opened
    (the writer, every reader, migrations and backups go through here): SQLCipher 4 with
    the raw data key ``keys`` (a wrong key raises WrongKeyError, nothing is written)."""
    from zsapp.security import dbcrypt

    conn = dbcrypt.connect(path, keys, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    # Decrypted pages are kept (SQLCipher decrypts and checks each page read from disk):
    # up to 32 MiB per connection, used only as needed.
    conn.execute(f"PRAGMA cache_size = {PAGE_CACHE_KIB}")
    conn.create_collation("pinyin", collate_pinyin)  # ORDER BY name COLLATE pinyin (A–Z)
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


class Store:
    """One open database. Safe to share between threads: writes are serialised on the
    writer connection, reads run on a per-thread read connection (see module docstring)."""

    def __init__(
        self, path: Path | str | None = None, *, migrate: bool = True, key_source: Any = None
    ) -> None:
        self.path = Path(path) if path else paths.default_db_path()
        self._lock = threading.RLock()  # held by the writer for a whole transaction
        self._depth = 0
        self._owner: int | None = None  # thread id inside the write transaction
        self._touched: set[str] = set()
        self._listeners: list[Listener] = []
        self._readers: dict[int, sqlite3.Connection] = {}
        self._snapshots: dict[int, int] = {}
        self._readers_lock = threading.Lock()
        self._closed = False
        self.clock: HybridLogicalClock | None = None
        self.keys, self.key_source = _unlock(self.path, key_source)
        # Called as fn(table, row_id, before) inside the write transaction, before a local
        # insert (before=None) or a changing update (before=the row as it was); the undo
        # journal (zsapp/undo.py) uses it to keep before-images.
        self.write_observers: list[Callable[[str, str, dict[str, Any] | None], None]] = []
        try:
            self._conn = _open_connection(self.path, keys=self.keys)
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except DATABASE_ERRORS as exc:
            raise StoreError(f"无法打开数据库 {self.path}：{exc}") from exc
        self.journal_mode = mode
        if migrate:
            self.migrate()
        self.device_id = self._ensure_device()
        self.clock = HybridLogicalClock(self.device_id, last=self.get_setting("clock.last_hlc"))

    def require_clock(self) -> HybridLogicalClock:
        if self.clock is None:
            raise StoreError("数据库尚未初始化设备时钟")
        return self.clock

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._closed = True
            with self._readers_lock:
                readers, self._readers = list(self._readers.values()), {}
            for conn in readers:
                conn.close()
            self._conn.close()

    def exclusive(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(writer connection)`` outside any transaction with every read
        connection closed (they reopen on demand) — for a rekey (zsapp.security)."""
        with self._lock:
            if self._depth:
                raise StoreError("事务进行中，无法更换密钥")
            with self._readers_lock:
                readers, self._readers = list(self._readers.values()), {}
            for conn in readers:
                conn.close()
            return fn(self._conn)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite_utils.Database:
        """A read-only sqlite_utils view (table names, columns) on this thread's reader."""
        import sqlite_utils  # ~0.1 s to import: only when asked for

        return sqlite_utils.Database(self._read_conn())

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._conn.execute("PRAGMA user_version").fetchone()[0]

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
                    self._conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except DB_ERRORS as exc:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise StoreError(f"数据库升级到第 {number} 版失败：{exc}") from exc
            applied.append(number)
        return applied

    def _backup(self, label: str) -> Path:
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        with self._lock:
            dest = _open_connection(target, keys=self.keys)  # encrypted, same key
            try:
                self._conn.backup(dest)
            finally:
                dest.close()
        return target

    # -- connections -------------------------------------------------------------------
    def _in_write(self) -> bool:
        return self._owner == threading.get_ident()

    def _read_conn(self) -> sqlite3.Connection:
        """The writer inside this thread's own write transaction, else this thread's reader."""
        if self._in_write():
            return self._conn
        ident = threading.get_ident()
        conn = self._readers.get(ident)
        if conn is None:
            if self._closed:
                raise StoreError("数据库已关闭")
            conn = _open_connection(self.path, keys=self.keys, readonly=True)
            with self._readers_lock:
                self._readers[ident] = conn
        return conn

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Reads inside the block see one committed snapshot (e.g. a page and its count)."""
        if self._in_write():
            yield self
            return
        ident = threading.get_ident()
        conn = self._read_conn()
        depth = self._snapshots.get(ident, 0)
        if depth == 0:
            conn.execute("BEGIN")
        self._snapshots[ident] = depth + 1
        try:
            yield self
        finally:
            self._snapshots[ident] = depth
            if depth == 0:
                conn.execute("COMMIT")

    # -- change events -----------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(tables)`` after every committed outer transaction that wrote
        tables. Returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _announce(self, tables: frozenset[str]) -> None:
        for listener in list(self._listeners):
            try:
                listener(tables)
            except Exception:  # a broken listener must not undo or block a commit
                log.exception("change listener failed")

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """A write transaction (BEGIN IMMEDIATE); nested use joins the outer one. After the
        outer one commits, listeners get the tables it wrote."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            self._owner = threading.get_ident()
            self._touched = set()
            try:
                yield self
                if self.clock is not None:
                    # Persist the clock so timestamps stay monotonic across restarts.
                    self._conn.execute(
                        "INSERT INTO settings (key, value) VALUES ('clock.last_hlc', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (json.dumps(self.clock.peek()),),
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                self._touched = set()
                raise
            finally:
                self._depth = 0
                self._owner = None
            touched, self._touched = frozenset(self._touched), set()
        if touched:
            self._announce(touched)

    @contextmanager
    def savepoint(self, name: str = "sp") -> Iterator[Store]:
        """A nested unit inside the current transaction: rolled back alone on error."""
        with self.transaction():
            self._conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
                raise
            self._conn.execute(f"RELEASE {name}")

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one statement on the writer (derived data, maintenance, PRAGMAs). A write
        joins the current transaction or gets its own; its tables are announced."""
        if _ISOLATED.match(sql):
            raise StoreError("请使用 Store.transaction() / savepoint() 控制事务")
        tables = written_tables(sql)
        if not tables and not self._in_write() and _READ.match(sql):
            return self._read_conn().execute(sql, params)
        if tables:
            with self.transaction():
                self._touched |= tables
                return self._conn.execute(sql, params)
        with self._lock:
            return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        """:meth:`execute` for many parameter rows (one write statement)."""
        with self.transaction():
            self._touched |= written_tables(sql)
            return self._conn.executemany(sql, rows)

    # -- plain queries -----------------------------------------------------------------
    def rows(self, sql: str, params: Any = ()) -> list[tuple]:
        """All result rows as tuples (read connection; see module docstring)."""
        return self._read_conn().execute(sql, params).fetchall()

    def iter_query(self, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
        """Result rows as dicts, streamed (large exports) inside one read snapshot."""
        with self.snapshot():
            cursor = self._read_conn().execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            for row in cursor:
                yield dict(zip(names, row, strict=False))

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self._read_conn().execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self._read_conn().execute(sql, params).fetchone()
        return row[0] if row else None

    def search(
        self, kind: str, query: str, limit: int = 50, *, spans: bool = True
    ) -> list[search.Hit]:
        """zsapp.search.search over ``search_<kind>`` on the right connection."""
        from zsapp import search

        return search.search(self, kind, query, limit, spans=spans)

    def count(self, table: str, include_deleted: bool = False) -> int:
        where = (
            "" if include_deleted or "deleted" not in self.columns(table) else " WHERE deleted = 0"
        )
        return self.scalar(f"SELECT count(*) FROM [{table}]{where}")

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.rows(f"PRAGMA table_info([{table}])")]

    def table_names(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]

    # -- settings ----------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction():
            self.execute(
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
            self.execute(
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
        self.executemany(
            "INSERT INTO field_versions (table_name, row_id, field, hlc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (table_name, row_id, field) DO UPDATE SET hlc = excluded.hlc",
            [(table, row_id, f, hlc) for f, _ in fields],
        )
        self.executemany(
            "INSERT INTO outbox (table_name, row_id, field, value, hlc) VALUES (?, ?, ?, ?, ?)",
            [(table, row_id, f, json.dumps(v, ensure_ascii=False), hlc) for f, v in fields],
        )

    def insert(self, table: str, values: Mapping[str, Any]) -> str:
        """Insert a new user record; returns its UUID. Fields not given keep their defaults."""
        row = dict(values)
        row_id = row.pop("id", None) or new_id()
        hlc = self.require_clock().now().pack()
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
            self.execute(f"INSERT INTO [{table}] ({names}) VALUES ({marks})", tuple(full.values()))
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
            hlc = self.require_clock().now().pack()
            assignments = ", ".join(f"[{k}] = ?" for k in changed)
            self.execute(
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

    # -- whole-database copies (zsapp/backup.py) ---------------------------------------
    def copy_to(self, target: Path) -> None:
        """A consistent copy of the open database into ``target`` (SQLite online backup
        API; no write can happen during the copy)."""
        with self._lock:
            dest = _open_connection(target, keys=self.keys)
            try:
                self._conn.backup(dest)
            finally:
                dest.close()

    def open_copy(self, path: Path, *, readonly: bool = True) -> Any:
        """A connection to another database file encrypted with this device's key (a
        backup copy made by :meth:`copy_to`), for checking it; the caller closes it."""
        return _open_connection(path, keys=self.keys, readonly=readonly)

    def replace_from(self, source: Path) -> None:
        """Replace the whole database with the one in ``source`` (online backup API), then
        bring it to this program's schema version."""
        with self._lock:
            src = _open_connection(source, keys=self.keys)
            try:
                src.backup(self._conn)
            finally:
                src.close()
        self.migrate()
