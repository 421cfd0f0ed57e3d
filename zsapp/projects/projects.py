"""招商项目: create, edit, find, list and transfer (流转) projects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from zsapp import catalogue, profile, search
from zsapp.projects import codes, parks, stages
from zsapp.projects.common import (
    BIG_PROJECT_WAN,
    CATEGORIES,
    INVESTOR_ROLES,
    ProjectError,
    ProjectNotFound,
    county,
    county_name,
    decimal_text,
    json_dict,
    json_list,
    parse_date,
    parse_decimal,
    prefecture,
    prefecture_name,
    today,
    yi_to_wan,
)
from zsapp.store import Store

INDEX = "projects"
STALLED_DAYS_SETTING = "projects.stalled_days"
DEFAULT_STALLED_DAYS = 90
LOCATION_FIELDS = ("prefecture_code", "county_code", "park_id")
TEXT_FIELDS = (
    "name",
    "summary",
    "construction_content",
    "owner_officer",
    "leader",
    "notes",
    "source_id",
)


def stalled_days(store: Store) -> int:
    value = store.get_setting(STALLED_DAYS_SETTING, DEFAULT_STALLED_DAYS)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_STALLED_DAYS


def set_stalled_days(store: Store, days: int) -> None:
    if not isinstance(days, int) or days < 1 or days > 3650:
        raise ProjectError("停滞天数应为 1～3650 之间的整数")
    store.set_setting(STALLED_DAYS_SETTING, days)


# -- input cleaning ----------------------------------------------------------------------
def _catalogue_ids(store: Store, key: str) -> set[str]:
    doc = catalogue.document(store)
    return {entry["id"] for entry in doc.get(key, [])}


def resolve_location(
    store: Store, prefecture_key: str = "", county_key: str = "", park_key: str = ""
) -> dict[str, str]:
    """州市 → 县市区 → 园区 from codes or names; a park implies its 州市."""
    location = {"prefecture_code": "", "county_code": "", "park_id": ""}
    pref = prefecture(prefecture_key) if prefecture_key else None
    if prefecture_key and pref is None:
        raise ProjectError(f"未知的州市“{prefecture_key}”")
    park = None
    if park_key:
        park = parks.find_park(store, park_key, pref["code"] if pref else "")
        if park is None:
            raise ProjectError(f"未知的园区“{park_key}”（可在园区列表中新增）")
        if pref and park["prefecture_code"] and park["prefecture_code"] != pref["code"]:
            raise ProjectError(f"园区“{park['name']}”不在{pref['name']}")
        if pref is None and park["prefecture_code"]:
            pref = prefecture(park["prefecture_code"])
        location["park_id"] = park["id"]
    if county_key:
        if pref is None:
            raise ProjectError("填写县市区前请先选择州市")
        c = county(pref["code"], county_key)
        if c is None:
            raise ProjectError(f"{pref['name']}没有县市区“{county_key}”")
        location["county_code"] = c["code"]
    if pref:
        location["prefecture_code"] = pref["code"]
    return location


def _clean(store: Store, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        if key in values:
            out[key] = (values[key] or "").strip()
    if "name" in out:
        if not out["name"]:
            raise ProjectError("请填写项目名称")
        if len(out["name"]) > 100:
            raise ProjectError("项目名称过长（最多 100 字）")
    if "total_investment_yi" in values:
        out["total_investment_wan"] = yi_to_wan(values["total_investment_yi"])
    elif "total_investment_wan" in values:
        wan = values["total_investment_wan"]
        if wan is not None and (not isinstance(wan, int) or isinstance(wan, bool) or wan < 0):
            raise ProjectError("总投资（万元）必须是不小于 0 的整数")
        out["total_investment_wan"] = wan
    if "land_mu" in values:
        out["land_mu"] = decimal_text(parse_decimal(values["land_mu"], "用地面积（亩）", places=2))
    if "tax_per_mu_wan" in values:
        out["tax_per_mu_wan"] = decimal_text(
            parse_decimal(values["tax_per_mu_wan"], "预期亩均税收（万元/亩）")
        )
    if "expected_jobs" in values:
        jobs = values["expected_jobs"]
        if jobs in ("", None):
            out["expected_jobs"] = None
        else:
            try:
                out["expected_jobs"] = int(str(jobs).strip())
            except ValueError as exc:
                raise ProjectError(f"预计就业人数“{jobs}”不是整数") from exc
            if out["expected_jobs"] < 0:
                raise ProjectError("预计就业人数不能为负数")
    if "category" in values:
        if values["category"] not in CATEGORIES:
            raise ProjectError(f"项目类别应为：{'、'.join(CATEGORIES)}")
        out["category"] = values["category"]
    for key, catalogue_key, label in (
        ("directions", "focus_directions", "重点招商方向"),
        ("ways", "promotion_ways", "招商方式"),
    ):
        if key in values:
            ids = list(dict.fromkeys(values[key] or []))
            unknown = set(ids) - _catalogue_ids(store, catalogue_key)
            if unknown:
                raise ProjectError(f"未知的{label}：{'、'.join(sorted(unknown))}")
            out[key] = json.dumps(ids, ensure_ascii=False)
    if out.get("source_id") and out["source_id"] not in _catalogue_ids(store, "project_sources"):
        raise ProjectError(f"未知的项目来源“{out['source_id']}”")
    if "is_provincial_major" in values:
        out["is_provincial_major"] = int(bool(values["is_provincial_major"]))
    if "tags" in values:
        out["tags"] = json.dumps(
            [t.strip() for t in values["tags"] or [] if t and t.strip()], ensure_ascii=False
        )
    return out


def _check_items(store: Store, item_ids: Iterable[str]) -> list[str]:
    ids = list(dict.fromkeys(i.strip() for i in item_ids if i and i.strip()))
    for item_id in ids:
        catalogue.get_item(store, item_id)  # raises CatalogueError with a Chinese message
    return ids


# -- create / update ---------------------------------------------------------------------
def create_project(
    store: Store,
    *,
    name: str,
    item_ids: Iterable[str] = (),
    investors: Iterable[tuple[str, str]] = (),
    prefecture_key: str = "",
    county_key: str = "",
    park_key: str = "",
    stage: str = "线索",
    stage_on: str | dt.date | None = None,
    stage_note: str = "",
    year: int | None = None,
    now: dt.date | None = None,
    **fields: Any,
) -> str:
    """Create a project (stage 线索 unless told) with a fresh code; returns its id."""
    now = now or today()
    values = _clean(store, {"name": name, **fields})
    if "owner_officer" not in values:
        values["owner_officer"] = profile.get_profile(store).name
    items = _check_items(store, item_ids)
    with store.transaction():
        location = resolve_location(store, prefecture_key, county_key, park_key)
        values.update(location)
        values["code"] = codes.next_code(store, location["prefecture_code"], year or now.year)
        project_id = store.insert("projects", values)
        set_items(store, project_id, items)
        set_investors(store, project_id, investors)
        store.insert(
            "project_stages",
            {
                "project_id": project_id,
                "stage": "线索",
                "changed_on": (parse_date(stage_on) if stage_on else now).isoformat(),
                "note": stage_note.strip() if stage == "线索" else "",
            },
        )
        if stage != "线索":
            stages.change_stage(store, project_id, stage, stage_note, stage_on, now=now)
    return project_id


def update_project(store: Store, project_id: str, **changes: Any) -> dict[str, Any]:
    moved = [k for k in LOCATION_FIELDS if k in changes]
    if moved:
        raise ProjectError("项目所在地的变更请通过“流转”办理，以保留流转记录和理由")
    values = _clean(store, changes)
    with store.transaction():
        if not store.get("projects", project_id):
            raise ProjectNotFound("找不到该项目")
        if "item_ids" in changes:
            set_items(store, project_id, _check_items(store, changes["item_ids"]))
        if "investors" in changes:
            set_investors(store, project_id, changes["investors"])
        if values:
            return store.update("projects", project_id, values)
        current = store.get("projects", project_id)
        if current is None:
            raise ProjectNotFound("找不到该项目")
        return current


def delete_project(store: Store, project_id: str) -> None:
    with store.transaction():
        if not store.get("projects", project_id):
            raise ProjectNotFound("找不到该项目")
        store.delete("projects", project_id)


def set_items(store: Store, project_id: str, item_ids: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(item_ids))
    with store.transaction():
        existing = store.query(
            "SELECT id, item_id FROM project_items WHERE project_id = ? AND deleted = 0",
            (project_id,),
        )
        have = {r["item_id"]: r["id"] for r in existing}
        for item_id, row_id in have.items():
            if item_id not in wanted:
                store.delete("project_items", row_id)
        for item_id in wanted:
            if item_id not in have:
                store.insert("project_items", {"project_id": project_id, "item_id": item_id})


def set_investors(store: Store, project_id: str, investors: Iterable[tuple[str, str]]) -> None:
    wanted: dict[str, str] = {}
    for company_id, role in investors:
        role = role or "意向"
        if role not in INVESTOR_ROLES:
            raise ProjectError(f"投资方角色应为：{'、'.join(INVESTOR_ROLES)}")
        wanted[company_id] = role
    with store.transaction():
        for company_id in wanted:
            if not store.get("companies", company_id):
                raise ProjectError("投资方企业不存在或已删除")
        existing = store.query(
            "SELECT id, company_id, role FROM project_investors WHERE project_id = ? AND deleted = 0",
            (project_id,),
        )
        have = {r["company_id"]: r for r in existing}
        for company_id, row in have.items():
            if company_id not in wanted:
                store.delete("project_investors", row["id"])
            elif wanted[company_id] != row["role"]:
                store.update("project_investors", row["id"], {"role": wanted[company_id]})
        for company_id, role in wanted.items():
            if company_id not in have:
                store.insert(
                    "project_investors",
                    {"project_id": project_id, "company_id": company_id, "role": role},
                )


def add_investor(store: Store, project_id: str, company_id: str, role: str = "意向") -> None:
    current = [(i["company_id"], i["role"]) for i in investors(store, project_id)]
    current = [c for c in current if c[0] != company_id] + [(company_id, role)]
    set_investors(store, project_id, current)


# -- transfer (流转) ---------------------------------------------------------------------
def transfer(
    store: Store,
    project_id: str,
    *,
    reason: str,
    prefecture_key: str = "",
    county_key: str = "",
    park_key: str = "",
    decided_by: str = "",
    on: str | dt.date | None = None,
) -> str:
    """Move a project to another 州市/县/园区; the history row keeps where it came from and why.
    The code stays (it is the project's identity), stages, funds and visits stay attached."""
    reason = (reason or "").strip()
    if not reason:
        raise ProjectError("流转必须填写理由（如：不符合本园区主导产业布局）")
    day = parse_date(on, "流转日期") if on else today()
    with store.transaction():
        project = store.get("projects", project_id)
        if not project:
            raise ProjectNotFound("找不到该项目")
        target = resolve_location(store, prefecture_key, county_key, park_key)
        if not target["prefecture_code"]:
            raise ProjectError("请选择流转去向的州市或园区")
        before = {k: project[k] for k in LOCATION_FIELDS}
        if before == target:
            raise ProjectError("流转去向与当前所在地相同")
        row_id = store.insert(
            "project_transfers",
            {
                "project_id": project_id,
                "transferred_on": day.isoformat(),
                "reason": reason,
                "decided_by": (decided_by or "").strip(),
                **{f"from_{k}": v for k, v in before.items()},
                **{f"to_{k}": v for k, v in target.items()},
            },
        )
        store.update("projects", project_id, target)
        if (
            target["prefecture_code"] != before["prefecture_code"]
        ):  # the receiving 州市 must see it (sync 共享)
            from zsapp.sync.shares import share_transferred_project

            share_transferred_project(store, project_id, target["prefecture_code"])
        return row_id


def transfers(store: Store, project_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT * FROM project_transfers WHERE project_id = ? AND deleted = 0 ORDER BY transferred_on, created_at",
        (project_id,),
    )
    for row in rows:
        for side in ("from", "to"):
            park = parks.get_park(store, row[f"{side}_park_id"])
            row[f"{side}_text"] = location_text(
                row[f"{side}_prefecture_code"],
                row[f"{side}_county_code"],
                park["name"] if park else "",
            )
    return rows


def location_text(prefecture_code: str, county_code: str, park_name: str) -> str:
    parts = [prefecture_name(prefecture_code), county_name(county_code), park_name]
    return " › ".join(p for p in parts if p) or "未定"


# -- reading -----------------------------------------------------------------------------
def find_project(store: Store, key: str) -> dict[str, Any]:
    """A live project by id, code or former code (case-insensitive code)."""
    key = (key or "").strip()
    row = store.get("projects", key) if key else None
    if row:
        return row
    row = store.query_one(
        "SELECT * FROM projects WHERE deleted = 0 AND upper(code) = upper(?)", (key,)
    )
    if row:
        return row
    row = store.query_one(
        "SELECT p.* FROM projects p, json_each(p.former_codes) f WHERE p.deleted = 0 AND upper(f.value) = upper(?)",
        (key,),
    )
    if row:
        return row
    raise ProjectNotFound(f"找不到项目“{key}”")


def items(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT ci.id, ci.name, ci.industry_id, ind.name AS industry FROM project_items pi "
        "JOIN catalogue_items ci ON ci.id = pi.item_id JOIN catalogue_industries ind ON ind.id = ci.industry_id "
        "WHERE pi.project_id = ? AND pi.deleted = 0 ORDER BY ci.industry_id, ci.no",
        (project_id,),
    )


def investors(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT c.id AS company_id, c.name, pi.role, c.is_fortune500, c.is_china500, c.is_specialized_giant, "
        "c.is_single_champion, c.is_dishonest, c.origin_province FROM project_investors pi "
        "JOIN companies c ON c.id = pi.company_id WHERE pi.project_id = ? AND pi.deleted = 0 AND c.deleted = 0 "
        "ORDER BY pi.role DESC, c.name",
        (project_id,),
    )


def visits(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT v.id, v.visited_at, v.kind, v.city, v.place, v.outcome, v.notes FROM visit_projects vp "
        "JOIN visits v ON v.id = vp.visit_id AND v.deleted = 0 WHERE vp.project_id = ? AND vp.deleted = 0 "
        "ORDER BY v.visited_at DESC",
        (project_id,),
    )


def intensity(project: dict[str, Any]) -> Decimal | None:
    """投资强度 (万元/亩) = 总投资 / 用地, derived, 2 decimals."""
    total, land = project.get("total_investment_wan"), project.get("land_mu")
    if total is None or not land or Decimal(land) == 0:
        return None
    return (Decimal(total) / Decimal(land)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def get_project(store: Store, key: str, *, now: dt.date | None = None) -> dict[str, Any]:
    """Everything shown on a project page, as plain data (JSON-ready)."""
    from zsapp.projects import admission, funds, status

    project = find_project(store, key)
    pid = project["id"]
    park = parks.get_park(store, project["park_id"])
    current = stages.current(store, pid) or {}
    precheck = admission.evaluate(store, pid)
    doc = catalogue.document(store)
    names = {
        e["id"]: e["name"]
        for k in ("focus_directions", "promotion_ways", "project_sources")
        for e in doc.get(k, [])
    }
    derived = status.stalled_info(store, pid, now=now)
    return {
        **{
            k: project[k]
            for k in (
                "id",
                "code",
                "name",
                "summary",
                "construction_content",
                "prefecture_code",
                "county_code",
                "park_id",
                "total_investment_wan",
                "land_mu",
                "tax_per_mu_wan",
                "expected_jobs",
                "category",
                "source_id",
                "owner_officer",
                "leader",
                "notes",
            )
        },
        "is_provincial_major": bool(project["is_provincial_major"]),
        "former_codes": json_list(project["former_codes"]),
        "tags": json_list(project["tags"]),
        "answers": json_dict(project["answers"]),
        "directions": json_list(project["directions"]),
        "ways": json_list(project["ways"]),
        "direction_names": [names.get(i, i) for i in json_list(project["directions"])],
        "way_names": [names.get(i, i) for i in json_list(project["ways"])],
        "source_name": names.get(project["source_id"], ""),
        "total_investment_yi": (Decimal(project["total_investment_wan"]) / 10000).normalize()
        if project["total_investment_wan"] is not None
        else None,
        "intensity_wan_per_mu": decimal_text(intensity(project)),
        "is_big": (project["total_investment_wan"] or 0) >= BIG_PROJECT_WAN,
        "prefecture": prefecture_name(project["prefecture_code"]),
        "county": county_name(project["county_code"]),
        "park": park["name"] if park else "",
        "location": location_text(
            project["prefecture_code"], project["county_code"], park["name"] if park else ""
        ),
        "stage": current.get("stage", ""),
        "stage_on": current.get("changed_on", ""),
        "stage_history": stages.history(store, pid),
        "items": items(store, pid),
        "investors": investors(store, pid),
        "funds": funds.rows(store, pid),
        "funds_by_month": funds.by_month(store, pid),
        "funds_totals": funds.totals(store, pid),
        "transfers": transfers(store, pid),
        "visits": visits(store, pid),
        "precheck": precheck.as_json(),
        "overrides": [
            o
            | {
                "rule": next(
                    (r.label for r in precheck.rules if r.rule_id == o["rule_id"]), o["rule_id"]
                )
            }
            for o in admission.overrides(store, pid)
        ],
        **derived,
    }


def search_projects(store: Store, query: str, limit: int = 50) -> list[dict[str, Any]]:
    hits = store.search(INDEX, query, limit)
    if not hits:
        return []
    ids = [h.entity_id for h in hits]
    rows = {
        r["id"]: r
        for r in store.query(
            f"SELECT p.id, p.code, p.name, ps.stage FROM projects p LEFT JOIN project_status ps ON ps.project_id = p.id "
            f"WHERE p.deleted = 0 AND p.id IN ({','.join('?' * len(ids))})",
            ids,
        )
    }
    return [
        {**rows[h.entity_id], "matched": h.matched, "matched_field": h.field, "score": h.score}
        for h in hits
        if h.entity_id in rows
    ]


def documents(store: Store, project: dict[str, Any]) -> list[search.Document]:
    pid = project["id"]
    docs = [
        search.Document(pid, "code", project["code"], 40),
        search.Document(pid, "name", project["name"], 30),
        search.Document(pid, "summary", project["summary"][:500], 5),
        search.Document(pid, "construction", project["construction_content"][:500], 5),
        search.Document(pid, "leader", project["leader"], 8, person_name=True),
        search.Document(pid, "owner", project["owner_officer"], 8, person_name=True),
    ]
    docs += [search.Document(pid, "former_code", c, 35) for c in json_list(project["former_codes"])]
    for inv in store.query(
        "SELECT c.name, c.short_name FROM project_investors pi JOIN companies c ON c.id = pi.company_id "
        "WHERE pi.project_id = ? AND pi.deleted = 0 AND c.deleted = 0",
        (pid,),
    ):
        docs.append(search.Document(pid, "investor", inv["name"], 12))
        if inv["short_name"]:
            docs.append(search.Document(pid, "investor", inv["short_name"], 12))
    return [d for d in docs if d.text]


# -- list (SQL: filters, sorting, paging) ------------------------------------------------
@dataclass
class ProjectFilter:
    query: str = ""
    stage: str = ""
    prefecture_code: str = ""
    park_id: str = ""
    industry_id: str = ""
    item_id: str = ""
    big_only: bool = False
    fortune500_only: bool = False
    admission: str = ""
    stalled_only: bool = False
    owner: str = ""


SORTS = {
    "code": "p.code",
    "name": "p.name",
    "stage": "CASE ps.stage WHEN '线索' THEN 0 WHEN '在谈' THEN 1 WHEN '签约' THEN 2 WHEN '开工' THEN 3 "
    "WHEN '投产' THEN 4 WHEN '停滞' THEN 5 WHEN '终止' THEN 6 ELSE 7 END",
    "prefecture": "p.prefecture_code",
    "park": "pk.name",
    "investment": "coalesce(p.total_investment_wan, -1)",
    "admission": "ps.admission",
    "activity": "ps.last_activity_on",
    "owner": "p.owner_officer",
    "updated": "p.updated_at",
}


def stalled_cutoff(store: Store, now: dt.date | None = None) -> str:
    return ((now or today()) - dt.timedelta(days=stalled_days(store))).isoformat()


STALLED_SQL = (
    "(ps.stage = '停滞' OR (ps.stage NOT IN ('投产', '终止') AND ps.last_activity_on < :cutoff))"
)


def _where(store: Store, f: ProjectFilter, now: dt.date | None) -> tuple[str, dict[str, Any]]:
    clauses = ["p.deleted = 0"]
    params: dict[str, Any] = {"cutoff": stalled_cutoff(store, now)}
    if f.query.strip():
        ids = [h.entity_id for h in store.search(INDEX, f.query, 1000)]
        clauses.append("p.id IN (SELECT value FROM json_each(:ids))")
        params["ids"] = json.dumps(ids)
    if f.stage:
        clauses.append("ps.stage = :stage")
        params["stage"] = f.stage
    if f.prefecture_code:
        clauses.append("p.prefecture_code = :pref")
        params["pref"] = f.prefecture_code
    if f.park_id:
        clauses.append("p.park_id = :park")
        params["park"] = f.park_id
    if f.item_id:
        clauses.append(
            "EXISTS (SELECT 1 FROM project_items i WHERE i.project_id = p.id AND i.deleted = 0 AND i.item_id = :item)"
        )
        params["item"] = f.item_id
    if f.industry_id:
        clauses.append(
            "EXISTS (SELECT 1 FROM project_items i JOIN catalogue_items ci ON ci.id = i.item_id "
            "WHERE i.project_id = p.id AND i.deleted = 0 AND ci.industry_id = :industry)"
        )
        params["industry"] = f.industry_id
    if f.big_only:
        clauses.append(f"p.total_investment_wan >= {BIG_PROJECT_WAN}")
    if f.fortune500_only:
        clauses.append(
            "EXISTS (SELECT 1 FROM project_investors pi JOIN companies c ON c.id = pi.company_id "
            "WHERE pi.project_id = p.id AND pi.deleted = 0 AND c.deleted = 0 AND c.is_fortune500 = 1)"
        )
    if f.admission:
        clauses.append("ps.admission = :admission")
        params["admission"] = f.admission
    if f.stalled_only:
        clauses.append(STALLED_SQL)
    if f.owner:
        clauses.append("p.owner_officer = :owner")
        params["owner"] = f.owner
    return " AND ".join(clauses), params


# project_status is the derived per-project index (current stage, last activity, 预审),
# kept by change hooks; status.ensure() fills rows missing for any reason before listing.
_LIST_FROM = "FROM projects p JOIN project_status ps ON ps.project_id = p.id LEFT JOIN parks pk ON pk.id = p.park_id"


def list_projects(
    store: Store,
    f: ProjectFilter | None = None,
    *,
    sort: str = "updated",
    descending: bool = True,
    limit: int = 100,
    offset: int = 0,
    now: dt.date | None = None,
) -> list[dict[str, Any]]:
    from zsapp.projects import status

    status.ensure(store)
    f = f or ProjectFilter()
    where, params = _where(store, f, now)
    order = SORTS.get(sort, SORTS["updated"])
    direction = "DESC" if descending else "ASC"
    params.update(limit=limit, offset=offset)
    rows = store.query(
        f"SELECT p.id, p.code, p.name, p.prefecture_code, p.park_id, pk.name AS park, p.total_investment_wan, "
        f"p.owner_officer, ps.stage, ps.stage_on, ps.admission, ps.last_activity_on, "
        f"{STALLED_SQL} AS stalled {_LIST_FROM} WHERE {where} "
        f"ORDER BY {order} {direction}, p.code {direction} LIMIT :limit OFFSET :offset",
        params,
    )
    for row in rows:
        row["prefecture"] = prefecture_name(row["prefecture_code"])
        row["stalled"] = bool(row["stalled"])
    return rows


def count_projects(
    store: Store, f: ProjectFilter | None = None, *, now: dt.date | None = None
) -> int:
    from zsapp.projects import status

    status.ensure(store)
    where, params = _where(store, f or ProjectFilter(), now)
    return store.scalar(f"SELECT count(*) {_LIST_FROM} WHERE {where}", params)


# -- drafts (prefilled forms) ------------------------------------------------------------
def draft_from_item(store: Store, item_id: str) -> dict[str, Any]:
    """Prefilled values for a pitch (推介项目) from a catalogue item: industry path and the
    item's product terms as a starting summary. Nothing is saved until the user confirms."""
    item = catalogue.get_item(store, item_id)
    doc = catalogue.document(store)
    me = profile.get_profile(store)
    terms = "、".join(item.terms)
    summary = f"所属产业：{item.industry} › {item.name}。"
    if terms:
        summary += f"拟引进产品与业态：{terms}。"
    directions = ["D3"] if any(k in item.industry for k in doc.get("key_clusters", [])) else []
    return {
        "name": f"{item.name}招商项目",
        "summary": summary,
        "item_ids": [item.id],
        "directions": directions,
        "prefecture_key": me.prefecture,
        "park_key": me.park,
        "owner_officer": me.name,
    }


def draft_from_company(store: Store, company_id: str) -> dict[str, Any]:
    """Prefilled values for a new project with this company as the (意向) investor."""
    company = store.get("companies", company_id)
    if not company:
        raise ProjectError("企业不存在或已删除")
    me = profile.get_profile(store)
    item_ids = [
        r["item_id"]
        for r in store.query(
            "SELECT item_id FROM company_items WHERE company_id = ? AND deleted = 0", (company_id,)
        )
    ]
    return {
        "name": f"{company['short_name'] or company['name']}投资项目",
        "summary": "",
        "item_ids": item_ids,
        "investors": [(company_id, "意向")],
        "prefecture_key": me.prefecture,
        "park_key": me.park,
        "owner_officer": me.name,
    }


def draft_defaults(store: Store) -> dict[str, Any]:
    """A blank project form: the officer's own 州市/园区 and name prefilled."""
    me = profile.get_profile(store)
    return {
        "name": "",
        "prefecture_key": me.prefecture,
        "park_key": me.park,
        "owner_officer": me.name,
    }
