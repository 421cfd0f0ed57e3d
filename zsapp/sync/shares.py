"""共享: show one record of this unit to another unit (州市).

A share is a synced ``record_shares`` row (tbl, row_id, unit), written on the device and
pushed like any record. The office server honours it when it was made by a device of the
record's own unit (or by the province role): from then on the record's fields, and every
later change, are copied into the space ``shared:<unit>`` that the devices of that unit
pull, and those devices may edit the record (per-field merge as usual). Unsharing stops
further updates; devices of that unit keep the copy they already have. See docs/sync.md.
"""

from __future__ import annotations

from typing import Any

from zsapp.store import Store, StoreError
from zsapp.sync import protocol as p

TABLE = p.SHARES_TABLE


def _check(store: Store, table: str, row_id: str, unit: str) -> str:
    unit = (unit or "").strip()
    if not unit:
        raise StoreError("请指定共享给哪个单位（州市），例如 大理州")
    if not table.isidentifier() or table in (
        p.PROVINCE_TABLES | p.OFFICE_TABLES | {TABLE, p.CONFLICTS_TABLE}
    ):
        raise StoreError(f"“{table}”的记录不能共享（全省共用或系统数据）")
    if store.get(table, row_id, include_deleted=True) is None:
        raise StoreError(f"找不到记录 {table} {row_id}")
    return unit


def share_record(store: Store, table: str, row_id: str, unit: str) -> str:
    """Share a record with ``unit``; returns the share id (the existing one if already shared)."""
    unit = _check(store, table, row_id, unit)
    key = p.unit_key(unit)
    with store.transaction():
        for row in list_shares(store, table, row_id):
            if p.unit_key(row["unit"]) == key:
                return row["id"]
        return store.insert(TABLE, {"tbl": table, "row_id": row_id, "unit": unit})


def unshare_record(store: Store, table: str, row_id: str, unit: str) -> int:
    """Stop sharing with ``unit``; returns how many shares were removed. That unit's devices
    keep the copy they already have but receive no further changes."""
    key = p.unit_key(unit)
    removed = 0
    with store.transaction():
        for row in list_shares(store, table, row_id):
            if p.unit_key(row["unit"]) == key:
                store.delete(TABLE, row["id"])
                removed += 1
    return removed


def list_shares(
    store: Store, table: str | None = None, row_id: str | None = None
) -> list[dict[str, Any]]:
    sql, args = f"SELECT * FROM {TABLE} WHERE deleted = 0", []
    if table:
        sql += " AND tbl = ?"
        args.append(table)
    if row_id:
        sql += " AND row_id = ?"
        args.append(row_id)
    return store.query(sql + " ORDER BY created_at", tuple(args))


def share_transferred_project(store: Store, project_id: str, prefecture_code: str) -> str | None:
    """A 招商项目 transferred (流转) to another 州市 becomes visible to that 州市's officers."""
    from zsapp.projects.common import prefecture

    pref = prefecture(prefecture_code) if prefecture_code else None
    if pref is None:
        return None
    return share_record(store, "projects", project_id, pref["name"])
