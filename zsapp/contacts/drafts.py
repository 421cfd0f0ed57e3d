"""Autosaved drafts of unsaved forms (the visit quick entry), kept in the local, NOT
synced ``drafts`` table: each save is its own committed SQLite transaction (WAL), so a
draft survives a crash, SIGKILL or a closed lid and is offered back on the next start."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from zsapp.store import Store


def save_draft(store: Store, key: str, payload: dict[str, Any]) -> None:
    with store.transaction():
        store.execute(
            "INSERT INTO drafts (key, payload, saved_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, saved_at = excluded.saved_at",
            (
                key,
                json.dumps(payload, ensure_ascii=False),
                datetime.now().isoformat(timespec="seconds"),
            ),
        )


def load_draft(store: Store, key: str) -> dict[str, Any] | None:
    row = store.query_one("SELECT payload, saved_at FROM drafts WHERE key = ?", (key,))
    if not row:
        return None
    try:
        payload = json.loads(row["payload"])
    except ValueError:
        return None
    return {**payload, "_saved_at": row["saved_at"]} if isinstance(payload, dict) else None


def clear_draft(store: Store, key: str) -> None:
    with store.transaction():
        store.execute("DELETE FROM drafts WHERE key = ?", (key,))
