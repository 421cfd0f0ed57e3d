"""Shared pieces of the office server: errors, constants, the database engine."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zsapp.clock import HybridLogicalClock
from zsapp.office import schema as s
from zsapp.store import StoreError
from zsapp.sync import protocol as p

ROLES = ("officer", "unit-admin", "province")
ENROLL_DAYS = 7
# A pushed timestamp further ahead of the server clock than this is re-stamped with the
# server time: a device with a wrong clock cannot push edits into the future.
FUTURE_TOLERANCE_MS = 60_000
SERVER_NODE = "office"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class OfficeError(StoreError):
    """A problem reported to the client / admin, with a Chinese message."""

    status = 400


class AuthError(OfficeError):
    status = 401


class ForbiddenError(OfficeError):
    status = 403


class NotFoundError(OfficeError):
    status = 404


class GapError(OfficeError):
    status = 409


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def make_engine(url: str | Path) -> Engine:
    """SQLite file path / sqlite:// URL, or postgresql://… (psycopg 3)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return sa.create_engine(text, pool_size=20, max_overflow=40, pool_pre_ping=True)
    if not text.startswith("sqlite"):
        path = Path(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"sqlite:///{path}"
    engine = sa.create_engine(text, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - driver glue
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit the server acknowledged survives an OS crash or power cut (with
        # NORMAL the last commits could vanish and devices would be ahead of the server).
        dbapi_conn.execute("PRAGMA synchronous = FULL")
        dbapi_conn.execute("PRAGMA busy_timeout = 30000")

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver glue
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def insert_stmt(conn: Connection, table: sa.Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def chunks(items: list, size: int = 400) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class OfficeCore:
    """What every part of ``Office`` shares: the engine, the server clock, the spaces."""

    url: str
    engine: Engine
    is_postgres: bool
    blob_dir: Path
    clock: HybridLogicalClock
    _clock_lock: threading.Lock

    def visible_spaces(self, conn: Connection, device: dict[str, Any]) -> list[str]:
        if device["role"] == "province":
            # Every owner space; shared:* spaces only repeat records it already sees.
            names = [
                r.name
                for r in conn.execute(sa.select(s.spaces.c.name).order_by(s.spaces.c.name))
                if not r.name.startswith(p.SHARED_PREFIX)
            ]
        else:
            names = [p.PROVINCE_SPACE, p.unit_space(device["unit"]), p.shared_space(device["unit"])]
        # The province-wide directory first, so rows referencing companies arrive after them.
        return sorted(set(names), key=lambda n: (n != p.PROVINCE_SPACE, n))

    def _ensure_spaces(self, conn: Connection, names: Iterable[str]) -> None:
        for name in names:
            conn.execute(
                insert_stmt(conn, s.spaces)
                .values(name=name)
                .on_conflict_do_nothing(index_elements=["name"])
            )

    def _server_hlc(self) -> str:
        with self._clock_lock:
            return self.clock.now().pack()
