"""出差简报 (trip briefing), assembled offline: the companies in the destinations (by 来源城市
or 注册地) with their people, last visits and open follow-ups; our projects that fit each
company's industry chain (推荐客商 read in reverse: project → company becomes company →
projects); 失信 warnings; the planned meetings; lead clocks due during the trip."""

from __future__ import annotations

import heapq
import json
from datetime import date, datetime
from typing import Any

from zsapp import regions
from zsapp.brochure.source import OPEN_STAGES
from zsapp.projects.recommend import LEADER_TAGS, SCORES
from zsapp.store import Store

from . import leads as leads_mod
from .trips import get_trip, json_list, list_meetings, trip_json

LAST_VISITS = 3
MAX_PROJECTS = 5


def _province_shorts() -> set[str]:
    return {p["short"] for p in regions.national()["provinces"]}


def destination_companies(store: Store, codes: list[str]) -> list[dict[str, Any]]:
    """Live companies whose 来源城市 is one of the cities, or whose 注册地 names it.
    Each row carries ``city`` (the matching code). A city whose short name is also a
    province's (吉林, 海南) is matched on its full name in 注册地 only."""
    cities = [c for c in (regions.city(code) for code in codes) if c]
    if not cities:
        return []
    provinces = _province_shorts()
    names: dict[str, str] = {}  # 来源城市 spelling -> code
    likes: list[tuple[str, str]] = []  # 注册地 substring -> code
    for c in cities:
        for n in {c["name"], c["short"]}:
            names.setdefault(n, c["code"])
        likes.append((c["name"], c["code"]))
        if len(c["short"]) >= 2 and c["short"] not in provinces:
            likes.append((c["short"], c["code"]))
    where = " OR ".join(["registered_location LIKE ?"] * len(likes))
    rows = store.query(
        "SELECT id, name, short_name, origin_province, origin_city, registered_location, ownership, "
        "is_fortune500, is_china500, is_specialized_giant, is_single_champion, is_listed, tags, "
        "is_dishonest, dishonest_date, dishonest_source, website "
        "FROM companies WHERE deleted = 0 AND merged_into IS NULL AND "
        f"(origin_city IN (SELECT value FROM json_each(?)) OR {where})",
        [json.dumps(list(names), ensure_ascii=False), *(f"%{s}%" for s, _ in likes)],
    )
    out = []
    for r in rows:
        code = names.get(r["origin_city"]) or next(
            (code for s, code in likes if s in r["registered_location"]), ""
        )
        if code:
            r["city"] = code
            out.append(r)
    return out


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


def _open_projects(store: Store) -> list[dict[str, Any]]:
    stage_marks = ",".join("?" * len(OPEN_STAGES))
    return store.query(
        "SELECT p.id, p.code, p.name, p.total_investment_wan, pi.item_id, ci.industry_id, "
        "ci.name AS item_name FROM projects p "
        "JOIN project_items pi ON pi.project_id = p.id AND pi.deleted = 0 "
        "JOIN catalogue_items ci ON ci.id = pi.item_id "
        "WHERE p.deleted = 0 AND coalesce((SELECT s.stage FROM project_stages s "
        "  WHERE s.project_id = p.id AND s.deleted = 0 ORDER BY s.changed_on DESC, s.created_at DESC "
        f"  LIMIT 1), '') IN ({stage_marks})",
        list(OPEN_STAGES),
    )


def _project_key(p: dict[str, Any]) -> tuple:
    return (-(p["total_investment_wan"] or -1), p["code"], p["id"])


class ProjectIndex:
    """Open projects by catalogue item and by industry, each list unique and pre-sorted
    (largest investment first), built once per briefing."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        by_item: dict[str, dict[str, dict[str, Any]]] = {}
        by_industry: dict[str, dict[str, dict[str, Any]]] = {}
        for r in rows:
            p = {k: r[k] for k in ("id", "code", "name", "total_investment_wan")}
            by_item.setdefault(r["item_id"], {})[r["id"]] = {**p, "item_name": r["item_name"]}
            by_industry.setdefault(r["industry_id"], {})[r["id"]] = p
        self.by_item = {k: sorted(v.values(), key=_project_key) for k, v in by_item.items()}
        self.by_industry = {k: sorted(v.values(), key=_project_key) for k, v in by_industry.items()}
        self.ids_by_industry = {k: frozenset(v) for k, v in by_industry.items()}


def fitting_projects(
    company_items: list[dict[str, Any]], index: ProjectIndex, limit: int = MAX_PROJECTS
) -> tuple[list[dict[str, Any]], int]:
    """Projects whose catalogue items are the company's (same item, scored as 推荐客商
    scores the pair) or in its industries (same industry): the best ``limit`` of them —
    same item first, then the largest investment — and how many fit in all."""
    same_item: dict[str, dict[str, Any]] = {}
    for k in company_items:
        for p in index.by_item.get(k["item_id"], ()):
            same_item.setdefault(p["id"], p)
    industries = {k["industry_id"] for k in company_items}
    everyone = set(same_item)
    for industry in industries:
        everyone |= index.ids_by_industry.get(industry, frozenset())
    best = [
        {**_pick(p), "score": SCORES["same_item"], "reason": f"同一目录条目（{p['item_name']}）"}
        for p in sorted(same_item.values(), key=_project_key)[:limit]
    ]
    if len(best) < limit:
        lists = [index.by_industry.get(i, []) for i in sorted(industries)]
        for p in heapq.merge(*lists, key=_project_key):
            if p["id"] in same_item or any(b["id"] == p["id"] for b in best):
                continue
            best.append({**_pick(p), "score": SCORES["same_industry"], "reason": "同一产业"})
            if len(best) >= limit:
                break
    return best, len(everyone)


def _pick(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in ("id", "code", "name", "total_investment_wan")}


def _flags(c: dict[str, Any]) -> list[str]:
    tags = json_list(c.get("tags"))
    out = []
    if c["is_fortune500"]:
        out.append("世界500强")
    if c["is_china500"]:
        out.append("中国500强")
    if any(t in LEADER_TAGS for t in tags):
        out.append("龙头企业")
    if c["is_specialized_giant"]:
        out.append("专精特新“小巨人”")
    if c["is_single_champion"]:
        out.append("制造业单项冠军")
    if c["is_listed"]:
        out.append("上市")
    return out


def dishonest_text(c: dict[str, Any]) -> str:
    if not c.get("is_dishonest"):
        return ""
    extra = "，".join(x for x in (c.get("dishonest_date"), c.get("dishonest_source")) if x)
    return "已列入失信惩戒清单" + (f"（{extra}）" if extra else "") + "，洽谈与签约前请核实"


def briefing(store: Store, trip_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the officer takes on the trip, as plain data (PDF and UI render it)."""
    now = now or datetime.now()
    trip = get_trip(store, trip_id)
    codes = json_list(trip["destinations"])
    meetings = list_meetings(store, trip_id)
    companies = destination_companies(store, codes)
    by_id = {c["id"]: c for c in companies}
    # companies of planned meetings are in the briefing even when located elsewhere
    extra = [m["company_id"] for m in meetings if m["company_id"] and m["company_id"] not in by_id]
    if extra:
        for r in store.query(
            "SELECT id, name, short_name, origin_province, origin_city, registered_location, ownership, "
            "is_fortune500, is_china500, is_specialized_giant, is_single_champion, is_listed, tags, "
            "is_dishonest, dishonest_date, dishonest_source, website FROM companies "
            "WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(extra)],
        ):
            r["city"] = ""
            companies.append(r)
            by_id[r["id"]] = r
    ids = json.dumps(list(by_id))
    people = _group(
        store.query(
            "SELECT p.id, p.company_id, p.name, p.title, p.mobile, p.landline, p.email, p.wechat "
            "FROM json_each(?) j CROSS JOIN people p ON p.company_id = j.value "
            "WHERE p.deleted = 0 AND p.merged_into IS NULL ORDER BY p.name",
            [ids],
        ),
        "company_id",
    )
    visits = _group(
        store.query(
            # CROSS JOIN keeps this order: the companies drive, never a scan of all visits
            "SELECT company_id, id, visited_at, kind, outcome, substr(notes, 1, 160) AS notes FROM ("
            " SELECT vc.company_id, v.id, v.visited_at, v.kind, v.outcome, v.notes, row_number() "
            "  OVER (PARTITION BY vc.company_id ORDER BY v.visited_at DESC) AS n "
            " FROM json_each(?) j CROSS JOIN visit_companies vc ON vc.company_id = j.value "
            " CROSS JOIN visits v ON v.id = vc.visit_id WHERE vc.deleted = 0 AND v.deleted = 0"
            ") WHERE n <= ? ORDER BY visited_at DESC",
            [ids, LAST_VISITS],
        ),
        "company_id",
    )
    followups = _group(
        store.query(
            "SELECT DISTINCT vc.company_id, f.id, f.text, f.due_date "
            "FROM json_each(?) j CROSS JOIN visit_companies vc ON vc.company_id = j.value "
            "CROSS JOIN visits v ON v.id = vc.visit_id CROSS JOIN followups f ON f.visit_id = v.id "
            "WHERE vc.deleted = 0 AND v.deleted = 0 AND f.deleted = 0 AND f.done = 0 "
            "ORDER BY f.due_date = '', f.due_date",
            [ids],
        ),
        "company_id",
    )
    items = _group(
        store.query(
            "SELECT k.company_id, k.item_id, ci.industry_id FROM json_each(?) j "
            "CROSS JOIN company_items k ON k.company_id = j.value "
            "CROSS JOIN catalogue_items ci ON ci.id = k.item_id WHERE k.deleted = 0",
            [ids],
        ),
        "company_id",
    )
    projects = ProjectIndex(_open_projects(store))
    meeting_by_company = _group([m for m in meetings if m["company_id"]], "company_id")
    due = leads_mod.due_steps(
        store,
        now=now,
        within_hours=max(
            24,
            int(
                (datetime.fromisoformat(trip["end_date"] + "T23:59") - now).total_seconds() // 3600
            ),
        ),
    )
    due_by_company = _group([d for d in due if d["company_id"]], "company_id")
    today = now.date()
    entries = []
    for c in companies:
        fits, n_fits = (
            ([], 0) if c["is_dishonest"] else fitting_projects(items.get(c["id"], []), projects)
        )
        last = visits.get(c["id"], [])[:LAST_VISITS]
        flags = _flags(c)
        score = len(meeting_by_company.get(c["id"], [])) * 1000
        score += len(followups.get(c["id"], [])) * 30 + (fits[0]["score"] if fits else 0)
        score += 40 * c["is_fortune500"] + 25 * ("龙头企业" in flags or c["is_china500"])
        score += 20 * (c["is_specialized_giant"] + c["is_single_champion"])
        if last:
            idle = (today - date.fromisoformat(last[0]["visited_at"][:10])).days
            score += (
                SCORES["contact_90"] if idle <= 90 else SCORES["contact_365"] if idle <= 365 else 0
            )
        city = regions.city(c["city"]) if c["city"] else None
        entries.append(
            {
                "id": c["id"],
                "name": c["name"],
                "city": c["city"],
                "city_name": city["name"] if city else "",
                "registered_location": c["registered_location"],
                "ownership": c["ownership"],
                "flags": flags,
                "dishonest": dishonest_text(c),
                "people": people.get(c["id"], []),
                "last_visits": last,
                "open_followups": followups.get(c["id"], []),
                "overdue_followups": sum(
                    1
                    for f in followups.get(c["id"], [])
                    if f["due_date"] and f["due_date"] < today.isoformat()
                ),
                "projects": fits,
                "projects_total": n_fits,
                "meetings": [m["id"] for m in meeting_by_company.get(c["id"], [])],
                "leads_due": due_by_company.get(c["id"], []),
                "score": score,
            }
        )
    entries.sort(key=lambda e: (-e["score"], e["name"]))
    return {
        "trip": trip_json(store, trip),
        "generated_at": now.strftime("%Y-%m-%dT%H:%M"),
        "meetings": meetings,
        "companies": entries,
        "counts": {
            "companies": len(entries),
            "by_city": {code: sum(1 for e in entries if e["city"] == code) for code in codes},
            "people": sum(len(e["people"]) for e in entries),
            "open_followups": sum(len(e["open_followups"]) for e in entries),
            "dishonest": sum(1 for e in entries if e["dishonest"]),
            "meetings": len(meetings),
        },
        "dishonest": [
            {"id": e["id"], "name": e["name"], "warning": e["dishonest"]}
            for e in entries
            if e["dishonest"]
        ],
        "leads_due": due,
    }
