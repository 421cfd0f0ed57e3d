"""Erasure of a person on request (个人信息保护法 Art. 47), and review of old records.

Erasing is a hard delete, not a tombstone: the person's row, their employment rows, visit
links, attachments (and the files, when nothing else uses them), merged duplicates,
conflicts about any of these, and every sync trace (field versions, outbox patches, sync
bases, kept extras), and the search index. The request goes to the office with the next
sync; the office erases its copy and tells every other device to do the same.
SQLite ``secure_delete`` overwrites the freed pages and the WAL is checkpointed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zsapp.security import blobs
from zsapp.store import RecordNotFound, Store

# (table, column pointing at the person)
PERSON_DEPENDENTS = (("person_employment", "person_id"), ("visit_people", "person_id"))
# Local tables keyed by (table_name, row_id) that are *not* traces of the record itself.
_NOT_TRACES = {"erasure_requests"}
CONFLICTS_TABLE = "sync_conflicts"


def _trace_tables(store: Store) -> list[str]:
    out = []
    for (name,) in store.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall():
        if name in _NOT_TRACES or name == CONFLICTS_TABLE:
            continue
        cols = {r[1] for r in store.execute(f"PRAGMA table_info([{name}])").fetchall()}
        if {"table_name", "row_id"} <= cols:
            out.append(name)
    return out


def _has_table(store: Store, name: str) -> bool:
    return bool(
        store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    )


def person_records(store: Store, person_id: str) -> list[tuple[str, str]]:
    """The person and every local record holding their data."""
    found = [("people", person_id)]
    found += [
        ("people", r["id"])
        for r in store.query("SELECT id FROM people WHERE merged_into = ?", (person_id,))
    ]
    for pid in [r for t, r in found if t == "people"]:
        for table, column in PERSON_DEPENDENTS:
            if _has_table(store, table):
                found += [
                    (table, r["id"])
                    for r in store.query(f"SELECT id FROM [{table}] WHERE [{column}] = ?", (pid,))
                ]
        found += [
            ("attachments", r["id"])
            for r in store.query(
                "SELECT id FROM attachments WHERE owner_table = 'people' AND owner_id = ?", (pid,)
            )
        ]
    conflicts = []
    for table, rid in found:
        conflicts += [
            (CONFLICTS_TABLE, r["id"])
            for r in store.query(
                f"SELECT id FROM [{CONFLICTS_TABLE}] WHERE table_name = ? AND row_id = ?",
                (table, rid),
            )
        ]
    return found + conflicts


def _hard_delete(store: Store, records: list[tuple[str, str]]) -> int:
    """Delete rows and their traces in the current transaction; returns rows deleted."""
    traces = _trace_tables(store)
    shas: set[str] = set()
    companies: set[str] = set()
    deleted = 0
    for table, rid in records:
        if not _has_table(store, table):
            continue
        if table == "attachments":
            shas |= {
                r["sha256"]
                for r in store.query("SELECT sha256 FROM attachments WHERE id = ?", (rid,))
            }
        if table == "people":
            companies |= {
                r["company_id"]
                for r in store.query("SELECT company_id FROM people WHERE id = ?", (rid,))
                if r["company_id"]
            }
        deleted += store.execute(f"DELETE FROM [{table}] WHERE id = ?", (rid,)).rowcount
        for trace in traces:
            store.execute(
                f"DELETE FROM [{trace}] WHERE table_name = ? AND row_id = ?", (table, rid)
            )
        if _has_table(store, "merge_undo"):  # issue 13: before/after images of merges
            store.execute(
                "DELETE FROM merge_undo WHERE merged_id = ? OR instr(images, ?) > 0", (rid, rid)
            )
        store.run_change_hooks(table, rid)  # search index rows go
    for company in companies:
        store.run_change_hooks("companies", company)
    for sha in shas:
        if not store.scalar("SELECT 1 FROM attachments WHERE sha256 = ?", (sha,)):
            blobs.erase_blob(sha)
    return deleted


class _SecureDelete:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store.execute("PRAGMA secure_delete = ON")

    def __exit__(self, *exc: object) -> None:
        self.store.execute("PRAGMA secure_delete = OFF")
        self.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def erase_person(store: Store, person_id: str) -> dict[str, Any]:
    """Erase a person here and queue the request for the office."""
    row = store.query_one("SELECT id FROM people WHERE id = ?", (person_id,))
    if row is None:
        matches = store.query("SELECT id FROM people WHERE id LIKE ?", (f"{person_id}%",))
        if len(matches) != 1:
            raise RecordNotFound(f"找不到联系人 {person_id}")
        person_id = matches[0]["id"]
    records = person_records(store, person_id)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with _SecureDelete(store), store.transaction():
        deleted = _hard_delete(store, records)
        store.executemany(
            "INSERT OR IGNORE INTO erasure_requests (table_name, row_id, requested_at) VALUES (?, ?, ?)",
            [(t, r, now) for t, r in records],
        )
    return {"person_id": person_id, "records": deleted, "pending_office": True}


def apply_remote(store: Store, items: list[dict[str, Any]]) -> int:
    """Apply the office's erasure feed (``{"t": table, "id": row id}``): no outbox, no
    request back."""
    records = [(str(i["t"]), str(i["id"])) for i in items if i.get("t") and i.get("id")]
    if not records:
        return 0
    with _SecureDelete(store), store.transaction():
        return _hard_delete(store, records)


def pending_requests(store: Store) -> list[dict[str, str]]:
    return [
        {"t": r["table_name"], "id": r["row_id"]}
        for r in store.query("SELECT table_name, row_id FROM erasure_requests")
    ]


def clear_requests(store: Store, items: list[dict[str, str]]) -> None:
    with store.transaction():
        store.executemany(
            "DELETE FROM erasure_requests WHERE table_name = ? AND row_id = ?",
            [(i["t"], i["id"]) for i in items],
        )


# -- records untouched for years (minimum retention, Art. 6/47) -----------------------------
REVIEW_KEY = "security.review_years"
DEFAULT_REVIEW_YEARS = 3
REVIEW_TABLES = {"people": "联系人", "companies": "企业"}


def stale_records(store: Store, years: int | None = None) -> list[dict[str, Any]]:
    """Live people and companies not changed for ``years`` (设置, default 3): listed for
    review — keep, or erase when the purpose is done."""
    years = int(years if years is not None else store.get_setting(REVIEW_KEY, DEFAULT_REVIEW_YEARS))
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=365 * years)
    cutoff_ms = int(cutoff.timestamp() * 1000)
    out = []
    for table, label in REVIEW_TABLES.items():
        for r in store.query(
            f"SELECT id, name, updated_at FROM [{table}] WHERE deleted = 0 "
            "AND (merged_into IS NULL OR merged_into = '') AND updated_at < ? ORDER BY updated_at",
            (f"{cutoff_ms:016d}",),
        ):
            ms = int(r["updated_at"].split("-", 1)[0])
            r["kind"] = label
            r["table"] = table
            r["last_changed"] = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()
            out.append(r)
    return out
