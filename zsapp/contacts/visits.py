"""Visit logs (拜访记录) with their people, companies, catalogue items, projects and
follow-ups (跟进事项)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from zsapp import search
from zsapp.contacts.validation import ContactsError, parse_date, parse_datetime, require_choice
from zsapp.search import Document
from zsapp.store import RecordNotFound, Store, new_id, on_record_change

KIND = "visits"
_BUILDING: set[str] = set()  # visits being created: indexed once when complete
KINDS = ["外出拜访", "来访接待", "推介会", "签约仪式", "线上洽谈", "电话"]
OUTCOMES = ["无", "初步接触", "有意向", "意向较强", "已签约"]
FIELDS = ["visited_at", "city", "place", "kind", "our_participants", "notes", "outcome"]
LINKS = {  # link table -> (column, target table)
    "visit_companies": ("company_id", "companies"),
    "visit_people": ("person_id", "people"),
    "visit_items": ("item_id", "catalogue_items"),
    "visit_projects": ("project_id", None),
}


def clean(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ContactsError(f"未知的拜访字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "visited_at":
            out[key] = parse_datetime(value)
        elif key == "kind":
            out[key] = require_choice(value or "外出拜访", KINDS, "拜访方式")
        elif key == "outcome":
            out[key] = require_choice(value or "无", OUTCOMES, "意向程度")
        else:
            text = str(value if value is not None else "").strip()
            if len(text) > (20000 if key == "notes" else 200):
                raise ContactsError("内容过长")
            out[key] = text
    if not partial:
        out.setdefault("visited_at", now_minute())
    return out


def now_minute() -> str:
    return datetime.now().strftime("%Y-%m-%dT%H:%M")


def _check_targets(store: Store, table: str, ids: Iterable[str]) -> list[str]:
    _column, target = LINKS[table]
    wanted = list(dict.fromkeys(i for i in ids if i))
    if target:
        live = "" if target == "catalogue_items" else " AND deleted = 0"
        for target_id in wanted:
            if not store.scalar(f"SELECT 1 FROM {target} WHERE id = ?{live}", (target_id,)):
                label = {"companies": "企业", "people": "联系人", "catalogue_items": "目录条目"}[
                    target
                ]
                raise ContactsError(f"找不到{label} {target_id}")
    return wanted


def set_links(store: Store, visit_id: str, table: str, ids: Iterable[str]) -> None:
    column = LINKS[table][0]
    wanted = _check_targets(store, table, ids)
    with store.transaction():
        current = {
            r["target"]: r["id"]
            for r in store.query(
                f"SELECT id, {column} AS target FROM {table} WHERE visit_id = ? AND deleted = 0",
                (visit_id,),
            )
        }
        for target_id, link_id in current.items():
            if target_id not in wanted:
                store.delete(table, link_id)
        for target_id in wanted:
            if target_id not in current:
                store.insert(table, {"visit_id": visit_id, column: target_id})


def clean_followup(item: Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(item, str):  # "text@2025-03-10" (CLI)
        text, _, due = item.rpartition("@") if "@" in item else (item, "", "")
        item = {"text": text, "due_date": due}
    text = str(item.get("text") or "").strip()
    if not text:
        raise ContactsError("跟进事项内容不能为空")
    return {
        "text": text,
        "due_date": parse_date(item.get("due_date"), "跟进截止日期"),
        "done": int(bool(item.get("done"))),
    }


def create_visit(
    store: Store,
    values: Mapping[str, Any],
    *,
    companies: Iterable[str] = (),
    people: Iterable[str] = (),
    items: Iterable[str] = (),
    projects: Iterable[str] = (),
    followups: Iterable[Mapping[str, Any] | str] = (),
) -> str:
    row = clean(values)
    todo = [clean_followup(f) for f in followups]
    visit_id = new_id()
    _BUILDING.add(visit_id)  # index once at the end, not after every link
    try:
        with store.transaction():
            store.insert("visits", {"id": visit_id, **row})
            _create_children(store, visit_id, companies, people, items, projects, todo)
            _BUILDING.discard(visit_id)
            _reindex(store, visit_id)
    finally:
        _BUILDING.discard(visit_id)
    return visit_id


def _create_children(store, visit_id, companies, people, items, projects, todo) -> None:
    for table, ids in (
        ("visit_companies", companies),
        ("visit_people", people),
        ("visit_items", items),
        ("visit_projects", projects),
    ):
        ids = list(ids)
        if ids:
            set_links(store, visit_id, table, ids)
    for f in todo:
        store.insert(
            "followups", {"visit_id": visit_id, **f, "done_at": now_minute() if f["done"] else ""}
        )


def update_visit(
    store: Store,
    visit_id: str,
    changes: Mapping[str, Any],
    *,
    companies=None,
    people=None,
    items=None,
    projects=None,
    followups: Iterable[Mapping[str, Any] | str] | None = None,
) -> dict[str, Any]:
    """Edit a visit; link lists and ``followups`` given replace the current ones (a
    follow-up dict with an ``id`` edits that follow-up, one without is new, a current one
    missing from the list is deleted)."""
    get_visit(store, visit_id)
    row = clean(changes, partial=True)
    with store.transaction():
        if followups is not None:
            set_followups(store, visit_id, followups)
        updated = store.update("visits", visit_id, row)
        for table, ids in (
            ("visit_companies", companies),
            ("visit_people", people),
            ("visit_items", items),
            ("visit_projects", projects),
        ):
            if ids is not None:
                set_links(store, visit_id, table, ids)
        _reindex(store, visit_id)
    return updated


def delete_visit(store: Store, visit_id: str) -> None:
    get_visit(store, visit_id)
    store.delete("visits", visit_id)


def get_visit(store: Store, visit_id: str) -> dict[str, Any]:
    row = store.get("visits", visit_id)
    if row is None:
        raise RecordNotFound(f"找不到拜访记录 {visit_id}")
    return row


def linked(store: Store, visit_id: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "companies": store.query(
            "SELECT c.id, c.name FROM visit_companies l JOIN companies c ON c.id = l.company_id "
            "WHERE l.visit_id = ? AND l.deleted = 0 ORDER BY l.created_at",
            (visit_id,),
        ),
        "people": store.query(
            "SELECT p.id, p.name, p.title FROM visit_people l JOIN people p ON p.id = l.person_id "
            "WHERE l.visit_id = ? AND l.deleted = 0 ORDER BY l.created_at",
            (visit_id,),
        ),
        "items": store.query(
            "SELECT i.id, i.name FROM visit_items l JOIN catalogue_items i ON i.id = l.item_id "
            "WHERE l.visit_id = ? AND l.deleted = 0 ORDER BY i.id",
            (visit_id,),
        ),
        "projects": [
            {"id": r["project_id"]}
            for r in store.query(
                "SELECT project_id FROM visit_projects WHERE visit_id = ? AND deleted = 0",
                (visit_id,),
            )
        ],
    }


def visit_followups(store: Store, visit_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, text, due_date, done, done_at FROM followups WHERE visit_id = ? AND deleted = 0 "
        "ORDER BY due_date = '', due_date, created_at",
        (visit_id,),
    )


def as_json(store: Store, row: dict[str, Any], *, detail: bool = True) -> dict[str, Any]:
    out = {k: row.get(k) for k in ("id", *FIELDS, "updated_at")}
    if detail:
        out.update(linked(store, row["id"]))
        out["followups"] = visit_followups(store, row["id"])
        from zsapp.contacts import attachments

        out["attachments"] = attachments.list_attachments(store, "visits", row["id"])
    return out


def _summary_sql(where: str) -> str:
    return (
        "SELECT v.id, v.visited_at, v.kind, v.city, v.place, v.outcome, substr(v.notes, 1, 200) AS notes, "
        "(SELECT group_concat(c.name, '、') FROM visit_companies l JOIN companies c ON c.id = l.company_id "
        " WHERE l.visit_id = v.id AND l.deleted = 0) AS companies, "
        "(SELECT group_concat(p.name, '、') FROM visit_people l JOIN people p ON p.id = l.person_id "
        " WHERE l.visit_id = v.id AND l.deleted = 0) AS people "
        f"FROM visits v WHERE v.deleted = 0 AND {where}"
    )


def company_timeline(store: Store, company_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return store.query(
        _summary_sql(
            "v.id IN (SELECT visit_id FROM visit_companies WHERE company_id = ? AND deleted = 0)"
        )
        + " ORDER BY v.visited_at DESC LIMIT ?",
        (company_id, limit),
    )


def person_timeline(store: Store, person_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return store.query(
        _summary_sql(
            "v.id IN (SELECT visit_id FROM visit_people WHERE person_id = ? AND deleted = 0)"
        )
        + " ORDER BY v.visited_at DESC LIMIT ?",
        (person_id, limit),
    )


SEARCH_LIMIT = 2000  # visits listed for a search query (the best-ranked matches)


def visit_filter_sql(
    store: Store,
    query: str = "",
    since: str = "",
    until: str = "",
    kind: str = "",
    search_limit: int = 2000,
):
    where, params = ["1"], []
    if query.strip():
        hits = store.search(KIND, query, limit=search_limit)
        ids = [h.entity_id for h in hits] or [""]
        where.append(f"v.id IN ({', '.join('?' for _ in ids)})")
        params += ids
    if since:
        where.append("v.visited_at >= ?")
        params.append(since)
    if until:
        where.append("v.visited_at < ?")
        params.append(until)
    if kind:
        where.append("v.kind = ?")
        params.append(kind)
    return " AND ".join(where), params


def list_visits(
    store: Store,
    query: str = "",
    *,
    since: str = "",
    until: str = "",
    kind: str = "",
    limit: int = 100,
    offset: int = 0,
    descending: bool = True,
    after: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A page of visits, newest first unless told. ``after`` (the last row of the page
    before) continues without OFFSET, so deep pages cost what the first one does. With a
    query, the best SEARCH_LIMIT matches are listed (by date), the same set every page."""
    where, params = visit_filter_sql(store, query, since, until, kind, SEARCH_LIMIT)
    direction = "DESC" if descending else "ASC"
    if after is not None:
        where += f" AND (v.visited_at, v.id) {'<' if descending else '>'} (?, ?)"
        params = [*params, after["visited_at"], after["id"]]
        offset = 0
    order = f"ORDER BY v.visited_at {direction}, v.id {direction}"
    # The page's ids first (index only), then their summaries: rows skipped by OFFSET
    # never run the per-visit company/people subqueries (a jump to row 900,000).
    page = f"SELECT v.id FROM visits v WHERE v.deleted = 0 AND {where} {order} LIMIT ? OFFSET ?"
    return store.query(_summary_sql(f"v.id IN ({page})") + f" {order}", [*params, limit, offset])


def count_visits_matching(
    store: Store, query: str = "", since: str = "", until: str = "", kind: str = ""
) -> int:
    """How many rows :func:`list_visits` lists for the same filter."""
    if not (query.strip() or since or until or kind):
        # kept by triggers (db/migrations/0008): no count of a million rows per refresh
        return store.scalar("SELECT n FROM live_counts WHERE tbl = 'visits'")
    where, params = visit_filter_sql(store, query, since, until, kind, SEARCH_LIMIT)
    return store.scalar(f"SELECT count(*) FROM visits v WHERE v.deleted = 0 AND {where}", params)


def period_bounds(period: str, today: date | None = None) -> tuple[str, str]:
    """[start, end) of this 'week' (Monday first) or 'quarter' as visited_at strings."""
    today = today or date.today()
    if period == "week":
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=7)
    elif period == "quarter":
        q = (today.month - 1) // 3
        start = date(today.year, 3 * q + 1, 1)
        end = date(today.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    else:
        raise ContactsError(f"未知的时间段：{period}")
    return start.isoformat(), end.isoformat()


def count_visits(store: Store, since: str, until: str) -> int:
    return store.scalar(
        "SELECT count(*) FROM visits WHERE deleted = 0 AND visited_at >= ? AND visited_at < ?",
        (since, until),
    )


# -- follow-ups ----------------------------------------------------------------------------
def add_followup(store: Store, visit_id: str, text: str, due_date: str = "") -> str:
    get_visit(store, visit_id)
    row = clean_followup({"text": text, "due_date": due_date})
    return store.insert("followups", {"visit_id": visit_id, **row})


def set_followups(
    store: Store, visit_id: str, followups: Iterable[Mapping[str, Any] | str]
) -> None:
    wanted = []
    for f in followups:
        fid = f.get("id") if isinstance(f, Mapping) else None
        wanted.append((fid, clean_followup(f)))
    with store.transaction():
        current = {r["id"]: r for r in visit_followups(store, visit_id)}
        keep = {fid for fid, _ in wanted if fid}
        for fid in current:
            if fid not in keep:
                store.delete("followups", fid)
        for fid, values in wanted:
            if fid and fid in current:
                update_followup(store, fid, values)
            elif fid:
                raise RecordNotFound(f"这次拜访没有跟进事项 {fid}")
            else:
                store.insert(
                    "followups",
                    {
                        "visit_id": visit_id,
                        **values,
                        "done_at": now_minute() if values["done"] else "",
                    },
                )


def update_followup(store: Store, followup_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Edit a follow-up's text, due date or done flag."""
    row = store.get("followups", followup_id)
    if row is None:
        raise RecordNotFound(f"找不到跟进事项 {followup_id}")
    merged = {
        "text": changes.get("text", row["text"]),
        "due_date": changes.get("due_date", row["due_date"]),
        "done": changes.get("done", row["done"]),
    }
    values = clean_followup(merged)
    if values["done"] != row["done"]:
        values["done_at"] = now_minute() if values["done"] else ""
    return store.update("followups", followup_id, values)


def delete_followup(store: Store, followup_id: str) -> None:
    if store.get("followups", followup_id) is None:
        raise RecordNotFound(f"找不到跟进事项 {followup_id}")
    store.delete("followups", followup_id)


def set_followup_done(store: Store, followup_id: str, done: bool = True) -> dict[str, Any]:
    row = store.get("followups", followup_id)
    if row is None:
        raise RecordNotFound(f"找不到跟进事项 {followup_id}")
    return store.update(
        "followups", followup_id, {"done": int(done), "done_at": now_minute() if done else ""}
    )


def resolve_followup(store: Store, ref: str) -> str:
    ref = (ref or "").strip()
    rows = store.query(
        "SELECT id FROM followups WHERE (id = ? OR id LIKE ?) AND deleted = 0 LIMIT 2",
        (ref, ref + "%" if len(ref) >= 6 else ref),
    )
    if len(rows) == 1:
        return rows[0]["id"]
    if len(rows) > 1:
        raise ContactsError(f"“{ref}”对应多条跟进事项，请输入完整 id")
    raise RecordNotFound(f"找不到跟进事项“{ref}”")


def list_followups(
    store: Store,
    *,
    due_within: int | None = None,
    include_done: bool = False,
    today: date | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Open follow-ups (oldest due first). ``due_within=0``: due today or overdue;
    ``due_within=7``: also the next 7 days. Each row has ``overdue`` and the visit context."""
    today = today or date.today()
    # "+v.deleted": never drive the query from the million visits; open follow-ups first.
    where, params = ["f.deleted = 0", "+v.deleted = 0"], []
    if not include_done:
        where.append("f.done = 0")
    if due_within is not None:
        where.append("f.due_date <> '' AND f.due_date <= ?")
        params.append((today + timedelta(days=due_within)).isoformat())
    rows = store.query(
        "SELECT f.id, f.visit_id, f.text, f.due_date, f.done, f.done_at, v.visited_at, v.kind, "
        "(SELECT group_concat(c.name, '、') FROM visit_companies l JOIN companies c ON c.id = l.company_id "
        " WHERE l.visit_id = v.id AND l.deleted = 0) AS companies "
        f"FROM followups f JOIN visits v ON v.id = f.visit_id WHERE {' AND '.join(where)} "
        # open ones with a due date: index order (deleted, done, due_date), stops at LIMIT
        + (
            "ORDER BY f.due_date, f.id LIMIT ? OFFSET ?"
            if due_within is not None and not include_done
            else "ORDER BY f.done, f.due_date = '', f.due_date, f.created_at LIMIT ? OFFSET ?"
        ),
        [*params, limit, offset],
    )
    for row in rows:
        row["overdue"] = bool(
            not row["done"] and row["due_date"] and row["due_date"] < today.isoformat()
        )
        row["due_today"] = row["due_date"] == today.isoformat()
    return rows


def count_followups(store: Store, due_within: int, today: date | None = None) -> dict[str, int]:
    """How many open follow-ups :func:`list_followups` lists for ``due_within`` (``open``),
    and how many of them are overdue or due today — from the index on open follow-ups,
    without visiting a million visits (only the few deleted ones are excluded)."""
    today = today or date.today()
    row = store.query_one(
        "SELECT count(*) AS open, coalesce(sum(f.due_date < :today), 0) AS overdue, "
        "coalesce(sum(f.due_date = :today), 0) AS today FROM followups f "
        "WHERE f.deleted = 0 AND f.done = 0 AND f.due_date <> '' AND f.due_date <= :until "
        "AND f.visit_id NOT IN (SELECT id FROM visits INDEXED BY visits_live_time WHERE deleted = 1)",
        {"today": today.isoformat(), "until": (today + timedelta(days=due_within)).isoformat()},
    )
    return dict(row or {"open": 0, "overdue": 0, "today": 0})


# -- search index --------------------------------------------------------------------------
def documents(store: Store, row: dict[str, Any]) -> list[Document]:
    vid = row["id"]
    docs = []
    for name in store.query(
        "SELECT c.name FROM visit_companies l JOIN companies c ON c.id = l.company_id "
        "WHERE l.visit_id = ? AND l.deleted = 0",
        (vid,),
    ):
        docs.append(Document(vid, "company", name["name"], 20))
    for name in store.query(
        "SELECT p.name FROM visit_people l JOIN people p ON p.id = l.person_id "
        "WHERE l.visit_id = ? AND l.deleted = 0",
        (vid,),
    ):
        docs.append(Document(vid, "person", name["name"], 18, person_name=True))
    for field_name, weight in (("city", 10), ("place", 10), ("our_participants", 6), ("notes", 4)):
        if row.get(field_name):
            docs.append(Document(vid, field_name, row[field_name][:2000], weight))
    return docs


@on_record_change("visits")
def _reindex(store: Store, row_id: str) -> None:
    if row_id in _BUILDING:
        return
    row = store.query_one("SELECT * FROM visits WHERE id = ?", (row_id,))
    if row is None or row["deleted"]:
        search.remove_entity(store, KIND, row_id)
    else:
        search.reindex_entity(store, KIND, row_id, documents(store, row))


def _reindex_link(store: Store, link_id: str, table: str) -> None:
    visit_id = store.scalar(f"SELECT visit_id FROM {table} WHERE id = ?", (link_id,))
    if (
        visit_id
        and visit_id not in _BUILDING
        and store.scalar("SELECT 1 FROM visits WHERE id = ?", (visit_id,))
    ):
        _reindex(store, visit_id)


@on_record_change("visit_companies")
def _reindex_company_link(store: Store, link_id: str) -> None:
    _reindex_link(store, link_id, "visit_companies")


@on_record_change("visit_people")
def _reindex_person_link(store: Store, link_id: str) -> None:
    _reindex_link(store, link_id, "visit_people")
