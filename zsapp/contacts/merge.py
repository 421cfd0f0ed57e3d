"""Merging duplicate companies or people: survivor values chosen field by field, every
reference moved to the survivor, the other record tombstoned with ``merged_into``.

``REFERENCES`` lists every (table, column, target_table) that points at a company or a
person; other modules (projects) append theirs with :func:`register_reference`. Sync calls
:func:`repoint_references` when a merge made on another device arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from zsapp.contacts import companies as companies_mod
from zsapp.contacts import people as people_mod
from zsapp.contacts.validation import ContactsError
from zsapp.store import Store

REFERENCES: list[tuple[str, str, str]] = [
    ("people", "company_id", "companies"),
    ("person_employment", "company_id", "companies"),
    ("company_items", "company_id", "companies"),
    ("visit_companies", "company_id", "companies"),
    ("attachments", "owner_id", "companies"),  # only rows with owner_table = 'companies'
    ("companies", "merged_into", "companies"),  # earlier merges into the loser follow it
    ("visit_people", "person_id", "people"),
    ("person_employment", "person_id", "people"),
    ("attachments", "owner_id", "people"),
    ("people", "merged_into", "people"),
]

# Link tables whose rows are unique per key: a moved link that would duplicate one the
# survivor already has is tombstoned instead.
LINK_KEYS: dict[str, tuple[str, str]] = {
    "company_items": ("company_id", "item_id"),
    "visit_companies": ("visit_id", "company_id"),
    "visit_people": ("visit_id", "person_id"),
}


def register_reference(
    table: str, column: str, target_table: str, link_key: tuple[str, str] | None = None
) -> None:
    if (table, column, target_table) not in REFERENCES:
        REFERENCES.append((table, column, target_table))
    if link_key:
        LINK_KEYS[table] = link_key


def _table_exists(store: Store, table: str) -> bool:
    return bool(
        store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    )


def repoint_references(store: Store, target_table: str, old_id: str, new_id: str) -> int:
    """Move every live reference to ``old_id`` over to ``new_id``; returns rows changed."""
    moved = 0
    with store.transaction():
        for table, column, target in REFERENCES:
            if target != target_table or not _table_exists(store, table):
                continue
            # Tombstones that point at the loser through merged_into follow it too.
            extra, params = ("" if column == "merged_into" else " AND deleted = 0"), [old_id]
            if table == "attachments":
                extra, params = extra + " AND owner_table = ?", [old_id, target_table]
            rows = store.query(f"SELECT * FROM [{table}] WHERE [{column}] = ?{extra}", params)
            for row in rows:
                if table == target_table and row["id"] == new_id:
                    continue
                key = LINK_KEYS.get(table)
                if key and column in key:
                    other = key[0] if key[1] == column else key[1]
                    dup = store.scalar(
                        f"SELECT 1 FROM [{table}] WHERE [{column}] = ? AND [{other}] = ? AND deleted = 0",
                        (new_id, row[other]),
                    )
                    if dup:
                        store.delete(table, row["id"])
                        moved += 1
                        continue
                store.update(table, row["id"], {column: new_id})
                moved += 1
    return moved


def _merged_values(
    keep: Mapping[str, Any],
    other: Mapping[str, Any],
    fields: list[str],
    choices: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Default: the survivor's value, or the other's where the survivor's is empty; tags are
    united, notes concatenated. ``choices`` maps field -> 'keep' | 'other' | explicit value."""
    out: dict[str, Any] = {}
    for f in fields:
        a, b = keep.get(f), other.get(f)
        if f == "tags":
            out[f] = json.dumps(
                list(dict.fromkeys(json.loads(a or "[]") + json.loads(b or "[]"))),
                ensure_ascii=False,
            )
        elif f == "notes" and a and b and a != b:
            out[f] = f"{a}\n{b}"
        elif a in (None, "", 0) and b not in (None, "", 0):
            out[f] = b
        else:
            out[f] = a
    for f, choice in (choices or {}).items():
        if f not in fields:
            raise ContactsError(f"不能合并字段：{f}")
        out[f] = keep.get(f) if choice == "keep" else other.get(f) if choice == "other" else choice
    return out


def merge_preview(store: Store, table: str, keep_id: str, other_id: str) -> list[dict[str, Any]]:
    """Field-by-field comparison for the merge dialog."""
    keep, other, fields, labels = _load(store, table, keep_id, other_id)
    default = _merged_values(keep, other, fields, None)
    return [
        {
            "field": f,
            "label": labels.get(f, f),
            "keep": keep.get(f),
            "other": other.get(f),
            "merged": default[f],
        }
        for f in fields
    ]


def _load(store: Store, table: str, keep_id: str, other_id: str):
    if keep_id == other_id:
        raise ContactsError("不能把记录与自己合并")
    if table == "companies":
        keep = companies_mod.get_company(store, keep_id)
        other = companies_mod.get_company(store, other_id)
        return keep, other, companies_mod.FIELDS, companies_mod.LABELS
    if table == "people":
        keep = people_mod.get_person(store, keep_id)
        other = people_mod.get_person(store, other_id)
        return keep, other, list(people_mod.FIELDS), people_mod.LABELS
    raise ContactsError(f"不支持合并 {table}")


def _merge(store: Store, table: str, keep_id: str, other_id: str, choices) -> dict[str, Any]:
    from zsapp import undo

    with store.transaction(), undo.capture(store) as images:
        keep, other, fields, _ = _load(store, table, keep_id, other_id)
        values = _merged_values(keep, other, fields, choices)
        # Tombstone the other first so uniqueness checks (USCC) see only the survivor.
        store.update(table, other_id, {"deleted": 1, "merged_into": keep_id})
        cleaned = (
            companies_mod.clean(values, partial=True)
            if table == "companies"
            else people_mod.clean(store, dict(values.items()), partial=True)
        )
        if table == "companies" and cleaned.get("uscc"):
            companies_mod._check_uscc_unique(store, cleaned["uscc"], keep_id)
        store.update(table, keep_id, cleaned)
        moved = repoint_references(store, table, other_id, keep_id)
        after = undo.after_images(store, images)
        store.execute(
            "INSERT OR REPLACE INTO merge_undo (merged_id, table_name, kept_id, images, merged_at) "
            "VALUES (?, ?, ?, ?, datetime('now'))",
            (
                other_id,
                table,
                keep_id,
                json.dumps(
                    [[t, r, b, after.get((t, r))] for (t, r), b in images.items()],
                    ensure_ascii=False,
                ),
            ),
        )
        return {"kept": keep_id, "merged": other_id, "references_moved": moved}


def merge_plan(store: Store, table: str, keep_id: str, other_id: str) -> dict[str, Any]:
    """What a merge will do, for the confirmation: the survivor's fields after the merge
    and how many references of each kind move from the other record to the survivor."""
    keep, other, _fields, _ = _load(store, table, keep_id, other_id)
    labels = {
        "people": "联系人",
        "person_employment": "任职经历",
        "company_items": "行业条目",
        "visit_companies": "拜访记录",
        "visit_people": "拜访记录",
        "attachments": "附件",
        "project_investors": "招商项目",
    }
    moves: dict[str, int] = {}
    for ref_table, column, target in REFERENCES:
        if target != table or column == "merged_into" or not _table_exists(store, ref_table):
            continue
        sql = f"SELECT count(*) FROM [{ref_table}] WHERE [{column}] = ? AND deleted = 0"
        params: list[Any] = [other_id]
        if ref_table == "attachments":
            sql += " AND owner_table = ?"
            params.append(table)
        n = store.scalar(sql, params)
        if n:
            label = labels.get(ref_table, ref_table)
            moves[label] = moves.get(label, 0) + n
    return {
        "table": table,
        "kept": {"id": keep_id, "name": keep.get("name", "")},
        "merged": {"id": other_id, "name": other.get("name", "")},
        "fields": merge_preview(store, table, keep_id, other_id),
        "moves": [{"what": k, "count": v} for k, v in moves.items()],
        "summary": (
            f"“{other.get('name', '')}”将并入“{keep.get('name', '')}”"
            + ("，转入" + "、".join(f"{k} {v} 条" for k, v in moves.items()) if moves else "")
            + f"；合并后搜索“{other.get('name', '')}”仍可找到“{keep.get('name', '')}”，可撤销（取消合并）。"
        ),
    }


def unmerge(store: Store, merged_id: str) -> dict[str, Any]:
    """Take back a merge made on this device: the merged-away record comes back and the
    references it had return to it. Fields edited since the merge keep their newer values."""
    from zsapp import undo

    ref = (merged_id or "").strip()
    rows = store.query(
        "SELECT * FROM merge_undo WHERE merged_id = ? OR (? AND merged_id LIKE ?) LIMIT 2",
        (ref, len(ref) >= 6, ref + "%"),
    )
    row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise ContactsError("找不到这次合并的记录（只能取消在本机上做的合并）")
    entries = json.loads(row["images"])
    images = {(t, r): b for t, r, b, _a in entries}
    after = {(t, r): a for t, r, _b, a in entries if a is not None}
    with store.transaction():
        undo.undo_images(store, images, after)
        store.execute("DELETE FROM merge_undo WHERE merged_id = ?", (row["merged_id"],))
        # the survivor's search rows drop the alias
        store.run_change_hooks(row["table_name"], row["kept_id"])
    return {"restored": row["merged_id"], "kept": row["kept_id"], "table": row["table_name"]}


def merge_companies(
    store: Store, keep_id: str, other_id: str, choices: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return _merge(store, "companies", keep_id, other_id, choices)


def merge_people(
    store: Store, keep_id: str, other_id: str, choices: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return _merge(store, "people", keep_id, other_id, choices)
