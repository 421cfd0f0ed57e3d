"""Investor companies (企业): validated create/update, duplicate detection, catalogue
industry links, search index, filtered lists in SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zsapp import search
from zsapp.contacts.validation import (
    ContactsError,
    normalise_uscc,
    parse_date,
    parse_flag,
    parse_int,
    parse_tags,
    parse_wan,
    require_choice,
    resolve_reference,
    tags_json,
)
from zsapp.search import Document
from zsapp.sorting import pinyin_key
from zsapp.store import RecordNotFound, Store, new_id, on_record_change

KIND = "companies"
RANKED = 50  # matches of a search query listed first, in rank order (then by name)
REGION_TAGS = ["", "京津冀", "长三角", "粤港澳大湾区", "成渝", "境外"]
OWNERSHIPS = ["", "央企", "国企", "民营", "外资", "港澳台"]
FLAGS = {
    "is_fortune500": "世界500强",
    "is_china500": "中国500强",
    "is_specialized_giant": "专精特新“小巨人”",
    "is_single_champion": "制造业单项冠军",
    "is_listed": "上市",
}
TEXT_FIELDS = [
    "name",
    "short_name",
    "registered_location",
    "origin_province",
    "origin_city",
    "country",
    "listing_board",
    "listing_code",
    "website",
    "notes",
    "dishonest_source",
]
FIELDS = [
    "name",
    "short_name",
    "uscc",
    "registered_location",
    "origin_province",
    "origin_city",
    "region_tag",
    "country",
    "ownership",
    *FLAGS,
    "listing_board",
    "listing_code",
    "revenue_wan",
    "employees",
    "website",
    "notes",
    "tags",
    "is_dishonest",
    "dishonest_date",
    "dishonest_source",
]
LABELS = {
    "name": "企业名称",
    "short_name": "简称",
    "uscc": "统一社会信用代码",
    "registered_location": "注册地",
    "origin_province": "来源省份",
    "origin_city": "来源城市",
    "region_tag": "区域",
    "country": "国家/地区",
    "ownership": "所有制",
    **FLAGS,
    "listing_board": "上市板块",
    "listing_code": "股票代码",
    "revenue_wan": "营收（万元）",
    "employees": "员工人数",
    "website": "网址",
    "notes": "备注",
    "tags": "标签",
    "is_dishonest": "失信",
    "dishonest_date": "列入失信日期",
    "dishonest_source": "失信信息来源",
}
PROVINCE_REGION = {
    "北京": "京津冀",
    "天津": "京津冀",
    "河北": "京津冀",
    "上海": "长三角",
    "江苏": "长三角",
    "浙江": "长三角",
    "安徽": "长三角",
    "广东": "粤港澳大湾区",
    "香港": "粤港澳大湾区",
    "澳门": "粤港澳大湾区",
    "四川": "成渝",
    "重庆": "成渝",
}


class DuplicateCompany(ContactsError):
    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class SimilarCompanyWarning(ContactsError):
    """A company with a similar name exists; save again with allow_similar=True to insist."""

    def __init__(self, message: str, candidates: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.candidates = candidates


# -- cleaning ---------------------------------------------------------------------------
def clean(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validated column values from user input (unknown keys are refused)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ContactsError(f"未知的企业字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in TEXT_FIELDS:
            text = str(value if value is not None else "").strip()
            if len(text) > (4000 if key == "notes" else 200):
                raise ContactsError(f"{LABELS[key]}过长")
            out[key] = text
        elif key == "uscc":
            out[key] = normalise_uscc(value)
        elif key == "region_tag":
            out[key] = require_choice(value, REGION_TAGS, "区域")
        elif key == "ownership":
            out[key] = require_choice(value, OWNERSHIPS, "所有制")
        elif key in FLAGS or key == "is_dishonest":
            out[key] = parse_flag(value, LABELS[key])
        elif key == "revenue_wan":
            out[key] = parse_wan(value, "营收")
        elif key == "employees":
            out[key] = parse_int(value, "员工人数")
        elif key == "tags":
            out[key] = tags_json(parse_tags(value))
        elif key == "dishonest_date":
            out[key] = parse_date(value, "列入失信日期")
    if (not partial or "name" in out) and not out.get("name"):
        raise ContactsError("企业名称不能为空")
    if out.get("origin_province") and not out.get("region_tag") and "region_tag" not in values:
        for prefix, tag in PROVINCE_REGION.items():
            if out["origin_province"].startswith(prefix):
                out["region_tag"] = tag
    return out


_NAME_NOISE = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|股份公司|集团公司|集团|股份|公司|"
    r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corp\.?|corporation|group|"
    r"[（(]\s*中国\s*[)）]|[（(][^)）]*[)）]|[()（）\[\]【】〔〕\s·.,，、])",
    re.IGNORECASE,
)


def name_key(name: str) -> str:
    """The name without legal-form words, (中国), brackets, spaces: 华为技术有限公司 → 华为技术."""
    return search.normalise(_NAME_NOISE.sub("", name or "")) or search.normalise(name)


def _pinyin(text: str) -> str:
    variants = search.pinyin_variants(text)
    return "".join(variants[0]) if variants else text


def _distance(a: str, b: str, cap: int = 2) -> int:
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def find_similar(
    store: Store, name: str, exclude_id: str | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """Live companies whose name is the same after removing legal-form noise, or whose
    pinyin is the same or one letter away (华为技术 / 华伟技术)."""
    key = name_key(name)
    if not key:
        return []
    key_py = _pinyin(key)
    candidates: dict[str, None] = {}
    queries = [key]
    if key_py != key:
        queries.append(key_py)
    if len(key) >= 4:
        queries += [key[: len(key) // 2 + 1], key[len(key) // 2 :]]
    for q in queries:
        for hit in store.search(KIND, q, limit=30):
            candidates.setdefault(hit.entity_id)
    if exclude_id is not None:
        candidates.pop(exclude_id, None)
    found = []
    for row_id in candidates:
        row = store.query_one(
            "SELECT id, name, short_name, uscc FROM companies WHERE id = ? AND deleted = 0",
            (row_id,),
        )
        if not row:
            continue
        other = name_key(row["name"])
        other_py = _pinyin(other)
        if other == key:
            reason = "名称相同（忽略“有限公司”“集团”、括号和空格）"
        elif other_py == key_py:
            reason = "名称读音相同"
        elif len(key_py) >= 6 and _distance(other_py, key_py, 1) <= 1:
            reason = "名称读音相近"
        else:
            continue
        found.append({**row, "reason": reason})
        if len(found) >= limit:
            break
    return found


def find_by_uscc(store: Store, uscc: str, exclude_id: str | None = None) -> dict[str, Any] | None:
    if not uscc:
        return None
    return store.query_one(
        "SELECT id, name FROM companies INDEXED BY companies_uscc "
        "WHERE uscc = ? AND uscc <> '' AND deleted = 0 AND id IS NOT ?",
        (uscc, exclude_id),
    )


def _check_uscc_unique(store: Store, uscc: str, exclude_id: str | None) -> None:
    existing = find_by_uscc(store, uscc, exclude_id)
    if existing:
        raise DuplicateCompany(
            f"统一社会信用代码 {uscc} 已属于“{existing['name']}”（{existing['id']}），"
            "不能重复建档，可直接打开该企业",
            existing["id"],
        )


# -- industries (catalogue item links) ---------------------------------------------------
def _valid_items(store: Store, item_ids) -> list[str]:
    items = list(dict.fromkeys(i.strip() for i in item_ids if i and i.strip()))
    for item_id in items:
        if not store.scalar("SELECT 1 FROM catalogue_items WHERE id = ?", (item_id,)):
            raise ContactsError(f"指导目录中没有条目“{item_id}”")
    return items


def item_ids(store: Store, company_id: str) -> list[str]:
    return [
        r["item_id"]
        for r in store.query(
            "SELECT item_id FROM company_items WHERE company_id = ? AND deleted = 0 ORDER BY item_id",
            (company_id,),
        )
    ]


def set_items(store: Store, company_id: str, items) -> None:
    wanted = _valid_items(store, items)
    with store.transaction():
        current = {
            r["item_id"]: r["id"]
            for r in store.query(
                "SELECT id, item_id FROM company_items WHERE company_id = ? AND deleted = 0",
                (company_id,),
            )
        }
        for item_id, link_id in current.items():
            if item_id not in wanted:
                store.delete("company_items", link_id)
        for item_id in wanted:
            if item_id not in current:
                store.insert("company_items", {"company_id": company_id, "item_id": item_id})


# -- CRUD ----------------------------------------------------------------------------------
def create_company(
    store: Store,
    values: Mapping[str, Any],
    *,
    items=(),
    allow_similar: bool = False,
    cleaned: bool = False,
) -> str:
    """New company; ``cleaned=True`` when ``values`` already went through :func:`clean`."""
    row = dict(values) if cleaned else clean(values)
    with store.transaction():
        _check_uscc_unique(store, row.get("uscc", ""), None)
        if not allow_similar:
            similar = find_similar(store, row["name"])
            if similar:
                names = "、".join(f"“{s['name']}”" for s in similar)
                raise SimilarCompanyWarning(
                    f"已有名称相近的企业：{names}，请确认不是同一家企业", similar
                )
        # Only non-empty values: defaults come from the schema (smaller outbox).
        stored = {k: v for k, v in row.items() if v not in ("", None, 0, "[]")}
        stored.setdefault("name", row["name"])
        company_id = new_id()
        store.insert("companies", {"id": company_id, **stored})
        if items:
            set_items(store, company_id, items)
    return company_id


def update_company(
    store: Store, company_id: str, changes: Mapping[str, Any], *, items=None
) -> dict[str, Any]:
    get_company(store, company_id)
    row = clean(changes, partial=True)
    with store.transaction():
        if row.get("uscc"):
            _check_uscc_unique(store, row["uscc"], company_id)
        updated = store.update("companies", company_id, row)
        if items is not None:
            set_items(store, company_id, items)
    return updated


def delete_company(store: Store, company_id: str) -> None:
    get_company(store, company_id)
    store.delete("companies", company_id)


def get_company(store: Store, company_id: str, include_deleted: bool = False) -> dict[str, Any]:
    row = store.get("companies", company_id, include_deleted=include_deleted)
    if row is None:
        raise RecordNotFound(f"找不到企业 {company_id}")
    return row


def as_json(store: Store, row: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    out = {k: row.get(k) for k in ("id", *FIELDS, "merged_into", "updated_at")}
    out["tags"] = json.loads(row.get("tags") or "[]")
    for key in (*FLAGS, "is_dishonest"):
        out[key] = bool(row.get(key))
    out["items"] = item_ids(store, row["id"])
    if detail:
        from zsapp.contacts import attachments, people, visits

        out["people"] = [
            people.as_json(store, p)
            for p in people.list_people(store, company_id=row["id"], limit=500)
        ]
        out["visits"] = visits.company_timeline(store, row["id"], limit=200)
        out["attachments"] = attachments.list_attachments(store, "companies", row["id"])
    return out


def resolve(store: Store, ref: str) -> str:
    """A company id from a full id, a unique id prefix (≥ 6) or an exact name."""
    return resolve_reference(store, "companies", ref, "企业", "家")


# -- lists and search ---------------------------------------------------------------------
@dataclass
class CompanyFilter:
    query: str = ""
    region_tag: str = ""
    province: str = ""
    ownership: str = ""
    flags: list[str] = field(default_factory=list)  # column names from FLAGS
    item: str = ""  # catalogue item id (I02-04) or industry id prefix (I02)
    tag: str = ""
    dishonest: bool | None = None


SORTS = {
    "name": "c.name COLLATE pinyin",
    "updated_at": "c.updated_at",
    "revenue_wan": "c.revenue_wan",
    "employees": "c.employees",
    "origin_province": "c.origin_province",
    "region_tag": "c.region_tag",
    "ownership": "c.ownership",
    "uscc": "c.uscc",
}


def _filters(flt: CompanyFilter) -> tuple[list[str], list[Any]]:
    """WHERE clauses (on ``c``) and params for everything but the search query."""
    where: list[str] = ["c.deleted = 0"]
    params: list[Any] = []
    if flt.region_tag:
        where.append("c.region_tag = ?")
        params.append(flt.region_tag)
    if flt.province:
        where.append("c.origin_province LIKE ?")
        params.append(flt.province + "%")
    if flt.ownership:
        where.append("c.ownership = ?")
        params.append(flt.ownership)
    for flag in flt.flags:
        if flag not in FLAGS:
            raise ContactsError(f"未知的标记：{flag}")
        where.append(f"c.{flag} = 1")
    if flt.item:
        op = "=" if "-" in flt.item else "LIKE"
        where.append(
            f"EXISTS (SELECT 1 FROM company_items ci WHERE ci.company_id = c.id AND ci.deleted = 0 AND ci.item_id {op} ?)"
        )
        params.append(flt.item if op == "=" else flt.item + "-%")
    if flt.tag:
        where.append("EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)")
        params.append(flt.tag)
    if flt.dishonest is not None:
        where.append("c.is_dishonest = ?")
        params.append(int(flt.dishonest))
    return where, params


def _narrowed(flt: CompanyFilter) -> bool:
    return any(
        (
            flt.region_tag,
            flt.province,
            flt.ownership,
            flt.flags,
            flt.item,
            flt.tag,
            flt.dishonest is not None,
        )
    )


MATCHES = (
    "c.rowid IN (SELECT rowid FROM search_companies_entities "
    "WHERE search_companies_entities MATCH ?)"
)


def filter_sql(
    store: Store, flt: CompanyFilter, search_limit: int = RANKED
) -> tuple[str, list[Any], str | None]:
    """(FROM+WHERE clause, params, rank expression or None) for live companies matching:
    with a query, the best ``search_limit`` matches in rank order."""
    where, params = _filters(flt)
    rank = None
    from_sql = "companies c"
    if flt.query.strip():
        hits = store.search(KIND, flt.query, limit=search_limit)
        if not hits:
            where.append("0")
        else:
            values = ", ".join("(?, ?)" for _ in hits)
            ranked: list[Any] = []
            for n, hit in enumerate(hits):
                ranked += [hit.entity_id, n]
            params = ranked + params
            from_sql = f"(VALUES {values}) AS h JOIN companies c ON c.id = h.column1"
            rank = "h.column2"
    return f"{from_sql} WHERE {' AND '.join(where)}", params, rank


LIST_COLUMNS = (
    "c.id, c.name, c.short_name, c.uscc, c.region_tag, c.origin_province, c.origin_city, "
    "c.country, c.ownership, c.is_fortune500, c.is_china500, c.is_specialized_giant, "
    "c.is_single_champion, c.is_listed, c.revenue_wan, c.employees, c.tags, c.is_dishonest, "
    "c.updated_at"
)


def order_sql(sort: str, descending: bool, rank: str | None) -> str:
    if sort == "rank" or (not sort and rank):
        return f"ORDER BY {rank or 'c.name'}"
    column = SORTS.get(sort or "name")
    if column is None:
        raise ContactsError(f"不能按“{sort}”排序")
    return f"ORDER BY {column} {'DESC' if descending else 'ASC'}, c.id"


# Columns that are never NULL, so a page can continue after the last row seen (keyset)
# instead of skipping OFFSET rows: deep scrolling stays as fast as the first page.
KEYSET_SORTS = {"name", "updated_at", "origin_province", "region_tag", "ownership", "uscc"}


def list_companies(
    store: Store,
    flt: CompanyFilter | None = None,
    *,
    sort: str = "",
    descending: bool = False,
    limit: int = 100,
    offset: int = 0,
    after: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A page of companies. ``after`` (the last row of the previous page) continues a
    list sorted by a KEYSET_SORTS column without OFFSET. With a query and no sort: the
    best RANKED matches in rank order, then every other match by name — so the list
    holds exactly :func:`count_companies` rows."""
    flt = flt or CompanyFilter()
    query = flt.query.strip()
    if query and not sort:
        return _ranked_page(store, flt, limit, offset)
    where, params = _filters(flt)
    if query:
        expression = search.match_expression(query)
        if expression is None:
            return []
        where.append(MATCHES)
        params.append(expression)
    key = sort or "name"
    if after is not None and key in KEYSET_SORTS:
        column = SORTS[key]
        where.append(f"({column}, c.id) {'<' if descending else '>'} (?, ?)")
        params += [after[key], after["id"]]
        offset = 0
    return store.query(
        f"SELECT {LIST_COLUMNS} FROM companies c WHERE {' AND '.join(where)} "
        f"{order_sql(sort, descending, None)} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )


def _ranked_page(store: Store, flt: CompanyFilter, limit: int, offset: int) -> list[dict[str, Any]]:
    with store.snapshot():
        hits = store.search(KIND, flt.query, limit=RANKED, spans=False)
        if not hits:
            return []
        order = {h.entity_id: n for n, h in enumerate(hits)}
        where, params = _filters(flt)
        # Looked up by primary key (a VALUES join, or the index on deleted, let SQLite
        # scan the whole table).
        where[0] = "+c.deleted = 0"
        where.append(f"c.id IN ({','.join('?' * len(order))})")
        ranked = store.query(
            f"SELECT {LIST_COLUMNS} FROM companies c WHERE {' AND '.join(where)}",
            [*params, *order],
        )
        ranked.sort(key=lambda r: order[r["id"]])
        rows = ranked[offset : offset + limit]
        if len(rows) == limit:
            return rows
        where, rest = _filters(flt)
        where.append(MATCHES)
        rest.append(search.match_expression(flt.query))
        seen = [r["id"] for r in ranked]
        if seen:
            where.append(f"c.id NOT IN ({','.join('?' * len(seen))})")
            rest += seen
        rows += store.query(
            f"SELECT {LIST_COLUMNS} FROM companies c WHERE {' AND '.join(where)} "
            "ORDER BY c.name, c.id LIMIT ? OFFSET ?",
            [*rest, limit - len(rows), max(0, offset - len(ranked))],
        )
        return rows


def count_companies(store: Store, flt: CompanyFilter | None = None) -> int:
    """Exactly how many live companies match (the rows :func:`list_companies` lists)."""
    flt = flt or CompanyFilter()
    query = flt.query.strip()
    if not _narrowed(flt):
        if query:
            return search.count_matches(store, KIND, query)
        total = search.count_all(store, KIND)
        if total is not None:
            return total
    where, params = _filters(flt)
    if query:
        expression = search.match_expression(query)
        if expression is None:
            return 0
        where.append(MATCHES)
        params.append(expression)
    return store.scalar(f"SELECT count(*) FROM companies c WHERE {' AND '.join(where)}", params)


def search_companies(store: Store, query: str, limit: int = 20) -> list[dict[str, Any]]:
    out = []
    for hit in store.search(KIND, query, limit=limit):
        row = store.query_one(
            "SELECT id, name, short_name, uscc, origin_province, origin_city FROM companies WHERE id = ? AND deleted = 0",
            (hit.entity_id,),
        )
        if row:
            out.append({**row, "matched": hit.matched, "field": hit.field, "score": hit.score})
    return out


def all_tags(store: Store, limit: int = 200) -> list[str]:
    return [
        r["value"]
        for r in store.query(
            "SELECT json_each.value AS value, count(*) AS n FROM companies, json_each(companies.tags) "
            "WHERE companies.deleted = 0 AND companies.tags <> '[]' GROUP BY 1 ORDER BY n DESC LIMIT ?",
            (limit,),
        )
    ]


# -- search index --------------------------------------------------------------------------
def documents(row: dict[str, Any]) -> list[Document]:
    docs = [Document(row["id"], "name", row["name"], 30)]
    if row.get("short_name"):
        docs.append(Document(row["id"], "short_name", row["short_name"], 28))
    if row.get("uscc"):
        docs.append(Document(row["id"], "uscc", row["uscc"], 10))
    for tag in json.loads(row.get("tags") or "[]"):
        docs.append(Document(row["id"], "tag", tag, 5))
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


@on_record_change("companies")
def _reindex(store: Store, row_id: str) -> None:
    row = store.query_one(
        "SELECT id, name, short_name, uscc, tags, deleted FROM companies WHERE id = ?", (row_id,)
    )
    live = row is not None and not row["deleted"]
    docs = documents(row) if row is not None and live else []
    if row is not None and live:
        # the list's pinyin order key, computed here on the writing thread (an import or
        # a sync worker) so the UI thread's sorted list does not compute it
        pinyin_key(row["name"])
    if live:  # names merged into this company stay findable and lead here
        for alias in store.query(
            "SELECT name, short_name FROM companies WHERE merged_into = ? AND deleted = 1",
            (row_id,),
        ):
            docs += [
                Document(row_id, "alias", n, 24) for n in (alias["name"], alias["short_name"]) if n
            ]
    search.reindex_entity(store, KIND, row_id, docs)
    if not live:  # merged away: the live survivor at the end of the chain lists this name
        survivor = _live_survivor(store, "companies", row_id)
        if survivor:
            _reindex(store, survivor)
