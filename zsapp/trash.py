"""回收站 (recycle bin): every deleted record, restorable in one step.

A delete is a tombstone (``deleted = 1``) written through :meth:`Store.delete`, so it
syncs; a restore is the opposite synced write, ``Store.update(deleted=0)``. Emptying the
bin only hides the tombstones from the listing (local table ``trash_purged``); the
tombstones themselves stay for sync. Records merged into another one (``merged_into``)
are not listed here: they are undone with an unmerge (zsapp/contacts/merge.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from zsapp.store import RecordNotFound, Store, StoreError


class TrashError(StoreError):
    pass


@dataclass(frozen=True)
class TrashKind:
    table: str
    label: str  # what the officer calls it
    title_sql: str  # SQL expression over alias t giving the row's title
    parent: tuple[str, str] | None = None  # (column, parent table): hidden if parent deleted


KINDS: list[TrashKind] = [
    TrashKind("companies", "企业", "t.name"),
    TrashKind(
        "people",
        "联系人",
        "t.name || CASE WHEN t.title <> '' THEN '（' || t.title || '）' ELSE '' END",
    ),
    TrashKind(
        "visits",
        "拜访记录",
        "replace(t.visited_at, 'T', ' ') || ' ' || t.kind || coalesce(' ' || (SELECT "
        "group_concat(c.name, '、') FROM visit_companies l JOIN companies c ON c.id = l.company_id "
        "WHERE l.visit_id = t.id AND l.deleted = 0), '')",
    ),
    TrashKind("followups", "跟进事项", "t.text", ("visit_id", "visits")),
    TrashKind(
        "person_employment",
        "任职经历",
        "coalesce((SELECT name FROM people WHERE id = t.person_id), '') || ' 在 ' || "
        "coalesce((SELECT name FROM companies WHERE id = t.company_id), '') || ' ' || t.title",
        ("person_id", "people"),
    ),
    TrashKind("projects", "招商项目", "t.code || ' ' || t.name"),
    TrashKind(
        "project_funds",
        "到位资金",
        "coalesce((SELECT code FROM projects WHERE id = t.project_id), '') || ' ' || t.month || ' ' "
        "|| t.amount_wan || ' 万元'",
        ("project_id", "projects"),
    ),
    TrashKind(
        "project_stages",
        "阶段记录",
        "coalesce((SELECT code FROM projects WHERE id = t.project_id), '') || ' ' || t.stage || ' ' "
        "|| t.changed_on",
        ("project_id", "projects"),
    ),
    TrashKind("attachments", "附件", "t.filename"),
    TrashKind("parks", "园区", "t.name"),
]
BY_TABLE = {k.table: k for k in KINDS}


@dataclass(frozen=True)
class TrashItem:
    table: str
    id: str
    kind: str
    title: str
    deleted_at: str  # HLC of the delete (the tombstone's updated_at)

    @property
    def deleted_on(self) -> str:
        """Local time of the delete, 'YYYY-MM-DD HH:MM' ('' if unknown)."""
        try:
            ms = int(self.deleted_at.split("-", 1)[0])
        except ValueError:
            return ""
        return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "deleted_on": self.deleted_on}


def _table_exists(store: Store, table: str) -> bool:
    return bool(store.scalar("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)))


def _kind_sql(store: Store, kind: TrashKind) -> str:
    merged = " AND t.merged_into IS NULL" if "merged_into" in store.columns(kind.table) else ""
    return (
        f"SELECT '{kind.table}' AS tbl, t.id, '{kind.label}' AS kind, {kind.title_sql} AS title, "
        f"t.updated_at AS deleted_at FROM [{kind.table}] t WHERE t.deleted = 1{merged} "
        f"AND NOT EXISTS (SELECT 1 FROM trash_purged x WHERE x.table_name = '{kind.table}' "
        "AND x.row_id = t.id)"
    )


def list_trash(store: Store, *, table: str | None = None, limit: int = 500) -> list[TrashItem]:
    """Deleted records, most recently deleted first."""
    kinds = [BY_TABLE[table]] if table else KINDS
    parts = [_kind_sql(store, k) for k in kinds if _table_exists(store, k.table)]
    if not parts:
        return []
    rows = store.query(
        " UNION ALL ".join(parts) + " ORDER BY deleted_at DESC LIMIT ?",
        (limit,),
    )
    return [
        TrashItem(r["tbl"], r["id"], r["kind"], r["title"] or "", r["deleted_at"]) for r in rows
    ]


def count_trash(store: Store) -> int:
    return len(list_trash(store, limit=100000))


def find(store: Store, ref: str) -> TrashItem:
    """A listed item by its id or an unambiguous id prefix (≥ 6 characters)."""
    ref = (ref or "").strip()
    if not ref:
        raise TrashError("请给出回收站中记录的编号")
    hits = [
        i
        for i in list_trash(store, limit=100000)
        if i.id == ref or (len(ref) >= 6 and i.id.startswith(ref))
    ]
    if not hits:
        raise RecordNotFound(f"回收站里没有编号为“{ref}”的记录")
    if len(hits) > 1:
        raise TrashError(f"“{ref}”对应回收站里的多条记录，请输入完整编号")
    return hits[0]


def restore(store: Store, table: str, row_id: str) -> TrashItem:
    """Bring a deleted record back (a synced write)."""
    kind = BY_TABLE.get(table)
    if kind is None:
        raise TrashError(f"回收站不支持这类记录：{table}")
    with store.transaction():
        row = store.get(table, row_id, include_deleted=True)
        if row is None:
            raise RecordNotFound(f"找不到记录 {row_id}")
        item = TrashItem(table, row_id, kind.label, "", row["updated_at"])
        if not row["deleted"]:
            return item
        if kind.parent:
            column, parent_table = kind.parent
            parent = store.get(parent_table, row[column], include_deleted=True)
            if parent is not None and parent["deleted"]:
                raise TrashError(
                    f"这条{kind.label}所属的{BY_TABLE[parent_table].label}也在回收站里，请先恢复它"
                )
        if table == "companies" and row.get("uscc"):
            from zsapp.contacts import companies

            other = companies.find_by_uscc(store, row["uscc"], exclude_id=row_id)
            if other:
                raise TrashError(
                    f"已有同一统一社会信用代码的企业“{other['name']}”，不能恢复；"
                    "如是同一家，请在企业页合并"
                )
        store.update(table, row_id, {"deleted": 0})
        store.execute(
            "DELETE FROM trash_purged WHERE table_name = ? AND row_id = ?", (table, row_id)
        )
    title = next(
        (r["title"] for r in store.query(_title_query(store, kind), (row_id,))),
        "",
    )
    return TrashItem(table, row_id, kind.label, title or "", item.deleted_at)


def _title_query(store: Store, kind: TrashKind) -> str:
    return f"SELECT {kind.title_sql} AS title FROM [{kind.table}] t WHERE t.id = ?"


def restore_ref(store: Store, ref: str) -> TrashItem:
    item = find(store, ref)
    return restore(store, item.table, item.id)


def empty(store: Store, *, now: datetime | None = None) -> int:
    """Empty the recycle bin: the listed tombstones are no longer offered for restore.
    Returns how many records were removed from the bin."""
    stamp = (now or datetime.now()).isoformat(timespec="seconds")
    items = list_trash(store, limit=1_000_000)
    with store.transaction():
        for i in items:
            store.execute(
                "INSERT OR IGNORE INTO trash_purged (table_name, row_id, purged_at) "
                "VALUES (?, ?, ?)",
                (i.table, i.id, stamp),
            )
    return len(items)
