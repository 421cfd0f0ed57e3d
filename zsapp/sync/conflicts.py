"""The 冲突 list: conflicts recorded by the server, reviewed and restored on any device."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from zsapp.store import RecordNotFound, Store, StoreError
from zsapp.sync import protocol as p

KIND_LABELS = {
    "field": "同一字段被两处修改",
    "delete_edit": "删除与修改冲突",
    "rejected": "无权修改（已退回）",
}


class ConflictError(StoreError):
    pass


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _present(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["winner_value"] = _decode(row["winner_value"])
    out["loser_value"] = _decode(row["loser_value"])
    out["kind_label"] = KIND_LABELS.get(row["kind"], row["kind"])
    return out


def list_conflicts(
    store: Store, include_resolved: bool = False, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    where = "deleted = 0" + ("" if include_resolved else " AND resolved = 0")
    rows = store.query(
        f"SELECT * FROM {p.CONFLICTS_TABLE} WHERE {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [_present(r) for r in rows]


def count_open(store: Store) -> int:
    return store.scalar(
        f"SELECT count(*) FROM {p.CONFLICTS_TABLE} WHERE deleted = 0 AND resolved = 0"
    )


def get(store: Store, conflict_id: str) -> dict[str, Any]:
    rows = store.query(
        f"SELECT * FROM {p.CONFLICTS_TABLE} WHERE deleted = 0 AND (id = ? OR id LIKE ?)",
        (conflict_id, f"{conflict_id}%"),
    )
    if len(rows) != 1:
        raise ConflictError(
            f"找不到冲突记录 {conflict_id}"
            if not rows
            else f"“{conflict_id}”匹配多条冲突，请写完整编号"
        )
    return _present(rows[0])


def restore(store: Store, conflict_id: str) -> dict[str, Any]:
    """Make the losing value current again (a new edit that syncs) and close the conflict.
    For a deletion-vs-edit conflict this also brings the record back."""
    c = get(store, conflict_id)
    if c["kind"] == "rejected":
        raise ConflictError(
            "此修改无权写入服务器（目录、园区、门槛由省招商办发布），无法恢复，只能忽略"
        )
    table, row_id, field = c["table_name"], c["row_id"], c["field"]
    with store.transaction():
        if store.get(table, row_id, include_deleted=True) is None:
            raise RecordNotFound(f"本机没有这条记录（{table} {row_id}），无法恢复")
        changes: dict[str, Any] = {}
        if field and field != "deleted":
            changes[field] = c["loser_value"]
        if c["kind"] == "delete_edit" or (field == "deleted" and not c["loser_value"]):
            changes["deleted"] = 0
        elif field == "deleted":
            changes["deleted"] = c["loser_value"]
        store.update(table, row_id, changes)
        store.update(
            p.CONFLICTS_TABLE,
            c["id"],
            {"resolved": 1, "resolved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
        )
    return get(store, c["id"])


def dismiss(store: Store, conflict_id: str) -> dict[str, Any]:
    """Keep the current value and close the conflict."""
    c = get(store, conflict_id)
    store.update(
        p.CONFLICTS_TABLE,
        c["id"],
        {"resolved": 1, "resolved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    )
    return get(store, c["id"])


def count_conflicts(store: Store, include_resolved: bool = False) -> int:
    """How many rows :func:`list_conflicts` lists."""
    where = "deleted = 0" + ("" if include_resolved else " AND resolved = 0")
    return store.scalar(f"SELECT count(*) FROM {p.CONFLICTS_TABLE} WHERE {where}") or 0


def record_title(store: Store, table: str, row_id: str) -> str:
    """What the user calls the record a conflict is about (its name, title, text…)."""
    if table not in store.table_names():
        return row_id[:8]
    columns = store.columns(table)
    for name in ("name", "title", "text", "filename", "place"):
        if name in columns:
            value = store.scalar(f"SELECT [{name}] FROM [{table}] WHERE id = ?", (row_id,))
            if value:
                return str(value)
    return row_id[:8]


def list_log(store: Store, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Finished sync runs, newest first."""
    return store.query(
        "SELECT * FROM sync_log WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )


def count_log(store: Store) -> int:
    return store.scalar("SELECT count(*) FROM sync_log WHERE finished_at IS NOT NULL") or 0
