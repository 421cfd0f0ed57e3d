"""People (联系人): validated phones (E.164), e-mail, company with employment history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from zsapp import search
from zsapp.contacts.validation import (
    ContactsError,
    display_phone,
    normalise_email,
    normalise_phone,
    parse_tags,
    resolve_reference,
    tags_json,
)
from zsapp.search import Document
from zsapp.sorting import pinyin_key
from zsapp.store import RecordNotFound, Store, new_id, on_record_change

KIND = "people"
FIELDS = ["name", "company_id", "title", "mobile", "landline", "email", "wechat", "notes", "tags"]
LABELS = {
    "name": "姓名",
    "company_id": "企业",
    "title": "职务",
    "mobile": "手机",
    "landline": "座机",
    "email": "邮箱",
    "wechat": "微信",
    "notes": "备注",
    "tags": "标签",
}


def clean(store: Store, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ContactsError(f"未知的联系人字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("name", "title", "wechat", "notes"):
            text = str(value if value is not None else "").strip()
            if len(text) > (4000 if key == "notes" else 100):
                raise ContactsError(f"{LABELS[key]}过长")
            out[key] = text
        elif key in ("mobile", "landline"):
            out[key] = normalise_phone(value, LABELS[key])
        elif key == "email":
            out[key] = normalise_email(value)
        elif key == "tags":
            out[key] = tags_json(parse_tags(value))
        elif key == "company_id":
            company_id = (value or "").strip() or None
            if company_id and not store.scalar(
                "SELECT 1 FROM companies WHERE id = ? AND deleted = 0", (company_id,)
            ):
                raise ContactsError(f"找不到企业 {company_id}")
            out[key] = company_id
    if (not partial or "name" in out) and not out.get("name"):
        raise ContactsError("联系人姓名不能为空")
    return out


def create_person(
    store: Store, values: Mapping[str, Any], *, since: str | None = None, cleaned: bool = False
) -> str:
    """New person; ``cleaned=True`` when ``values`` already went through :func:`clean`."""
    row = dict(values) if cleaned else clean(store, values)
    with store.transaction():
        stored = {k: v for k, v in row.items() if v not in ("", None, "[]")}
        stored.setdefault("name", row["name"])
        person_id = new_id()
        store.insert("people", {"id": person_id, **stored})
        if row.get("company_id"):
            store.insert(
                "person_employment",
                {
                    "person_id": person_id,
                    "company_id": row["company_id"],
                    "title": row.get("title", ""),
                    "start_date": since or date.today().isoformat(),
                },
            )
    return person_id


def update_person(
    store: Store, person_id: str, changes: Mapping[str, Any], *, on: str | None = None
) -> dict[str, Any]:
    """Update; a change of company closes the current employment and opens a new one."""
    current = get_person(store, person_id)
    row = clean(store, changes, partial=True)
    today = on or date.today().isoformat()
    with store.transaction():
        updated = store.update("people", person_id, row)
        moved = "company_id" in row and row["company_id"] != current["company_id"]
        open_jobs = store.query(
            "SELECT id, company_id FROM person_employment WHERE person_id = ? AND deleted = 0 AND end_date = ''",
            (person_id,),
        )
        if moved:
            for job in open_jobs:
                store.update("person_employment", job["id"], {"end_date": today})
            if row["company_id"]:
                store.insert(
                    "person_employment",
                    {
                        "person_id": person_id,
                        "company_id": row["company_id"],
                        "title": updated.get("title", ""),
                        "start_date": today,
                    },
                )
        elif "title" in row and row["title"] != current["title"]:
            for job in open_jobs:
                store.update("person_employment", job["id"], {"title": row["title"]})
    return updated


def delete_person(store: Store, person_id: str) -> None:
    get_person(store, person_id)
    store.delete("people", person_id)


def update_employment(store: Store, job_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Correct one employment row: company, title, start/end date."""
    from zsapp.contacts.validation import parse_date

    job = store.get("person_employment", job_id)
    if job is None:
        raise RecordNotFound(f"找不到任职经历 {job_id}")
    unknown = set(changes) - {"company_id", "title", "start_date", "end_date"}
    if unknown:
        raise ContactsError(f"未知的任职字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "company_id" in changes:
        cid = changes["company_id"] or ""
        if not cid or not store.scalar(
            "SELECT 1 FROM companies WHERE id = ? AND deleted = 0", (cid,)
        ):
            raise ContactsError(f"找不到企业 {cid}")
        out["company_id"] = cid
    if "title" in changes:
        out["title"] = str(changes["title"] or "").strip()[:200]
    for key, label in (("start_date", "任职开始日期"), ("end_date", "任职结束日期")):
        if key in changes:
            out[key] = parse_date(changes[key], label)
    start = out.get("start_date", job["start_date"])
    end = out.get("end_date", job["end_date"])
    if start and end and end < start:
        raise ContactsError("任职结束日期不能早于开始日期")
    return store.update("person_employment", job_id, out)


def delete_employment(store: Store, job_id: str) -> None:
    if store.get("person_employment", job_id) is None:
        raise RecordNotFound(f"找不到任职经历 {job_id}")
    store.delete("person_employment", job_id)


def get_person(store: Store, person_id: str, include_deleted: bool = False) -> dict[str, Any]:
    row = store.get("people", person_id, include_deleted=include_deleted)
    if row is None:
        raise RecordNotFound(f"找不到联系人 {person_id}")
    return row


def employment(store: Store, person_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT e.id, e.company_id, c.name AS company_name, e.title, e.start_date, e.end_date "
        "FROM person_employment e LEFT JOIN companies c ON c.id = e.company_id "
        "WHERE e.person_id = ? AND e.deleted = 0 ORDER BY e.start_date, e.created_at",
        (person_id,),
    )


def as_json(store: Store, row: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    out = {k: row.get(k) for k in ("id", *FIELDS, "merged_into", "updated_at")}
    out["tags"] = json.loads(row.get("tags") or "[]")
    out["company_name"] = (
        store.scalar("SELECT name FROM companies WHERE id = ?", (row.get("company_id"),)) or ""
    )
    if detail:
        from zsapp.contacts import visits

        out["employment"] = employment(store, row["id"])
        out["visits"] = visits.person_timeline(store, row["id"], limit=200)
    return out


def resolve(store: Store, ref: str) -> str:
    """A person id from a full id, a unique id prefix (≥ 6) or an exact name."""
    return resolve_reference(store, "people", ref, "联系人", "位")


PERSON_COLUMNS = (
    "p.id, p.name, p.company_id, c.name AS company_name, p.title, p.mobile, p.landline, "
    "p.email, p.wechat, p.tags, p.updated_at"
)
SORTS = {
    "name": "p.name COLLATE pinyin",
    "company_name": "c.name COLLATE pinyin",
    "title": "p.title",
    "mobile": "p.mobile",
    "updated_at": "p.updated_at",
}


def filter_sql(
    store: Store, query: str = "", company_id: str | None = None, search_limit: int = 2000
):
    where, params, rank = ["p.deleted = 0"], [], None
    from_sql = "people p LEFT JOIN companies c ON c.id = p.company_id"
    if query.strip():
        hits = store.search(KIND, query, limit=search_limit)
        if not hits:
            where.append("0")
        else:
            values = ", ".join("(?, ?)" for _ in hits)
            for n, hit in enumerate(hits):
                params += [hit.entity_id, n]
            from_sql = f"(VALUES {values}) AS h JOIN people p ON p.id = h.column1 LEFT JOIN companies c ON c.id = p.company_id"
            rank = "h.column2"
    if company_id:
        where.append("p.company_id = ?")
        params.append(company_id)
    return f"{from_sql} WHERE {' AND '.join(where)}", params, rank


def list_people(
    store: Store,
    query: str = "",
    *,
    company_id: str | None = None,
    sort: str = "",
    descending: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    body, params, rank = filter_sql(
        store, query, company_id, 2000 if company_id else max(offset + limit, 50)
    )
    if rank and not sort:
        order = f"ORDER BY {rank}"
    else:
        column = SORTS.get(sort or "name")
        if column is None:
            raise ContactsError(f"不能按“{sort}”排序")
        order = f"ORDER BY {column} {'DESC' if descending else 'ASC'}, p.id"
    return store.query(
        f"SELECT {PERSON_COLUMNS} FROM {body} {order} LIMIT ? OFFSET ?", [*params, limit, offset]
    )


def search_people(store: Store, query: str, limit: int = 20) -> list[dict[str, Any]]:
    return list_people(store, query, limit=limit)


def find_duplicate(
    store: Store, name: str, mobile: str = "", company_id: str | None = None, email: str = ""
) -> dict[str, Any] | None:
    """An existing live person that is surely the same: same mobile, or the same name with
    the same e-mail or at the same company."""
    if mobile:
        row = store.query_one(
            "SELECT * FROM people WHERE mobile = ? AND mobile <> '' AND +deleted = 0 LIMIT 1",
            (mobile,),
        )
        if row:
            return row
    if not name:
        return None
    # The same name at the same company (or both without one), else the same name and
    # e-mail. Separate lookups: one query with OR … ORDER BY read and sorted every namesake.
    if company_id:
        row = store.query_one(
            "SELECT * FROM people WHERE company_id = ? AND deleted = 0 AND +name = ? LIMIT 1",
            (company_id, name),
        )
    else:
        row = store.query_one(
            "SELECT * FROM people WHERE deleted = 0 AND name = ? AND +company_id IS NULL LIMIT 1",
            (name,),
        )
    if row is None and email:
        row = store.query_one(
            "SELECT * FROM people WHERE deleted = 0 AND name = ? AND lower(email) = lower(?) LIMIT 1",
            (name, email),
        )
    return row


def documents(row: dict[str, Any]) -> list[Document]:
    docs = [Document(row["id"], "name", row["name"], 30, person_name=True)]
    for field_name, weight in (
        ("mobile", 12),
        ("landline", 8),
        ("email", 8),
        ("wechat", 8),
        ("title", 4),
    ):
        value = row.get(field_name) or ""
        if value:
            docs.append(
                Document(
                    row["id"],
                    field_name,
                    value.lstrip("+") if field_name in ("mobile", "landline") else value,
                    weight,
                )
            )
    if row.get("mobile", "").startswith("+86"):
        docs.append(Document(row["id"], "mobile", row["mobile"][3:], 12))
    for tag in json.loads(row.get("tags") or "[]"):
        docs.append(Document(row["id"], "tag", tag, 3))
    return docs


def _live_survivor(store: Store, table: str, row_id: str) -> str | None:
    """Follow merged_into from a merged-away record to the live one (None if there is
    none, e.g. a cycle while merges from two devices are still arriving)."""
    seen = {row_id}
    current = store.scalar(f"SELECT merged_into FROM {table} WHERE id = ?", (row_id,))
    while current and current not in seen:
        seen.add(current)
        row = store.query_one(f"SELECT deleted, merged_into FROM {table} WHERE id = ?", (current,))
        if row is None:
            return None
        if not row["deleted"]:
            return current
        current = row["merged_into"]
    return None


@on_record_change("people")
def _reindex(store: Store, row_id: str) -> None:
    row = store.query_one(
        "SELECT id, name, mobile, landline, email, wechat, title, tags, deleted FROM people WHERE id = ?",
        (row_id,),
    )
    live = row is not None and not row["deleted"]
    docs = documents(row) if row is not None and live else []
    if row is not None and live:
        pinyin_key(row["name"])  # the list's sort key, off the UI thread (see companies)
    if live:  # names merged into this person stay findable and lead here
        for alias in store.query(
            "SELECT name FROM people WHERE merged_into = ? AND deleted = 1", (row_id,)
        ):
            if alias["name"]:
                docs.append(Document(row_id, "alias", alias["name"], 24, person_name=True))
    search.reindex_entity(store, KIND, row_id, docs)
    if not live:  # merged away: the live survivor at the end of the chain lists this name
        survivor = _live_survivor(store, "people", row_id)
        if survivor:
            _reindex(store, survivor)


__all__ = ["create_person", "delete_person", "display_phone", "get_person", "update_person"]
