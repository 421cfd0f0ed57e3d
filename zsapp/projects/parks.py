"""园区: an editable list (synced), seeded from the parks the policy and national lists name."""

from __future__ import annotations

import json
import uuid
from typing import Any

from zsapp import regions
from zsapp.projects.common import ProjectError, prefecture
from zsapp.store import Store

_SEED_NAMESPACE = uuid.UUID("6f1d3c2e-8a7b-4c5d-9e0f-112233445566")


def seed_id_to_uuid(seed_id: str) -> str:
    """Seeded parks get the same id on every device, so seeding twice never duplicates."""
    return str(uuid.uuid5(_SEED_NAMESPACE, f"park:{seed_id}"))


# Seeded parks are bundled reference data, identical on every device: they are written with
# this oldest-possible HLC and no outbox patch, so a device never pushes them (parks are an
# office-owned table for sync) and any edit published by the office wins over the seed.
SEED_HLC = "0000000000000000-0000-seed"


def ensure_seeded(store: Store) -> int:
    added = 0
    with store.transaction():
        for park in regions.seeded_parks():
            park_id = seed_id_to_uuid(park["id"])
            if store.get("parks", park_id, include_deleted=True):
                continue
            store.execute(
                "INSERT INTO parks (id, created_at, updated_at, updated_by, deleted, name, prefecture_code, "
                "seed_id, notes) VALUES (?, ?, ?, 'seed', 0, ?, ?, ?, ?)",
                (
                    park_id,
                    SEED_HLC,
                    SEED_HLC,
                    park["name"],
                    park["prefecture_code"],
                    park["id"],
                    park.get("source", ""),
                ),
            )
            added += 1
    return added


def _seed_once(store: Store) -> None:
    if not store.scalar("SELECT 1 FROM parks WHERE seed_id <> '' LIMIT 1"):
        ensure_seeded(store)


def list_parks(store: Store, prefecture_code: str | None = None) -> list[dict[str, Any]]:
    _seed_once(store)
    sql = "SELECT * FROM parks WHERE deleted = 0"
    params: tuple = ()
    if prefecture_code:
        sql += " AND prefecture_code = ?"
        params = (prefecture_code,)
    return store.query(sql + " ORDER BY prefecture_code, seed_id = '', seed_id, name", params)


def get_park(store: Store, park_id: str) -> dict[str, Any] | None:
    return store.get("parks", park_id) if park_id else None


def find_park(store: Store, key: str, prefecture_code: str = "") -> dict[str, Any] | None:
    """A park by id, seed id (P01) or (part of) its name."""
    key = (key or "").strip()
    if not key:
        return None
    _seed_once(store)
    row = store.get("parks", key)
    if row:
        return row
    rows = store.query(
        "SELECT * FROM parks WHERE deleted = 0 AND (seed_id = ? OR name = ? OR instr(name, ?) > 0) "
        "ORDER BY name = ? DESC, length(name)",
        (key, key, key, key),
    )
    if prefecture_code:
        rows = [r for r in rows if r["prefecture_code"] == prefecture_code] or rows
    return rows[0] if rows else None


def add_park(
    store: Store, name: str, prefecture_code: str, leading_industries: list[str] | None = None
) -> str:
    name = (name or "").strip()
    if not name:
        raise ProjectError("请填写园区名称")
    p = prefecture(prefecture_code)
    if p is None:
        raise ProjectError(f"未知的州市“{prefecture_code}”")
    if store.scalar("SELECT 1 FROM parks WHERE deleted = 0 AND name = ?", (name,)):
        raise ProjectError(f"园区“{name}”已存在")
    return store.insert(
        "parks",
        {
            "name": name,
            "prefecture_code": p["code"],
            "leading_industries": json.dumps(leading_industries or [], ensure_ascii=False),
        },
    )
