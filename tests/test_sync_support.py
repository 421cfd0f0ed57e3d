"""Helpers shared by the sync/office tests (no tests here): a live office server on
loopback and devices with their own SQLite stores."""

from __future__ import annotations

import json
from pathlib import Path

from zsapp.bootstrap import open_store
from zsapp.office.server import ServerThread
from zsapp.office.service import Office
from zsapp.security.dbcrypt import connect_with_envelope
from zsapp.sync import client as sync_client

# Synthetic synced table used by core tests so they don't depend on other sections' schemas.
PROBE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS probe_notes (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '', amount_wan INTEGER NOT NULL DEFAULT 0
)"""


class Device:
    """One officer's desktop: its own store, enrolled to the office."""

    def __init__(self, path: Path, name: str = "") -> None:
        self.path = path
        self.name = name or path.stem
        self.store = open_store(path)
        self.store.execute(PROBE_TABLE_SQL)

    def enroll(self, office: Office, url: str, officer: str, transport=None, ca_file=None) -> dict:
        code = office.create_enrollment(officer)["code"]
        return sync_client.enroll(
            self.store, url, code, ca_file=ca_file, device_name=self.name, transport=transport
        )

    def sync(self, transport=None, http=None, **kw) -> sync_client.SyncResult:
        return sync_client.sync_now(self.store, transport=transport, http=http, **kw)

    def rows(self, table: str, include_deleted: bool = True) -> dict[str, dict]:
        where = "" if include_deleted else " WHERE deleted = 0"
        rows = self.store.query(f"SELECT * FROM [{table}]{where}")
        return {r["id"]: r for r in rows}

    def integrity_ok(self) -> bool:
        conn = connect_with_envelope(self.path)
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()

    def close(self) -> None:
        self.store.close()


def make_office(tmp_path: Path, url: str | None = None) -> Office:
    office = Office(url or tmp_path / "office.sqlite3", blob_dir=tmp_path / "blobs")
    office.init()
    return office


def start_server(office: Office) -> ServerThread:
    return ServerThread(office).start()


def user_fields(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at", "updated_by")}


def canon(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def tick() -> None:
    """Let the wall clock move on by a millisecond, so that 'the later edit' is later even
    on a fast machine (two devices editing in the same millisecond tie on the device id)."""
    import time

    start = int(time.time() * 1000)
    while int(time.time() * 1000) <= start:
        pass
