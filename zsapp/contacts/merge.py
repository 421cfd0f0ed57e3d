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
    with store.transaction():
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
        return {"kept": keep_id, "merged": other_id, "references_moved": moved}


def merge_companies(
    store: Store, keep_id: str, other_id: str, choices: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return _merge(store, "companies", keep_id, other_id, choices)


def merge_people(
    store: Store, keep_id: str, other_id: str, choices: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return _merge(store, "people", keep_id, other_id, choices)
