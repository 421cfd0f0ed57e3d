"""出差报告 (trip report) assembled from the trip's visits — who was met, outcomes, new
leads, follow-ups created, projects advanced, brochures handed out. One synced
``trip_reports`` row per trip; sections edited by hand are kept when it is regenerated.
Exported as PDF (brochure typesetting) and XLSX."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from zsapp import regions
from zsapp.store import Store

from .trips import TripError, get_trip, json_list, trip_json

SECTIONS = [
    "summary",
    "met_text",
    "outcomes_text",
    "leads_text",
    "followups_text",
    "projects_text",
    "brochures_text",
    "next_steps",
]
BROCHURE_DAYS_BEFORE = 30
# Sections in print order with their headings.
REPORT_SECTIONS = [
    ("summary", "概述"),
    ("met_text", "拜访对象"),
    ("outcomes_text", "洽谈成果"),
    ("leads_text", "新增线索"),
    ("followups_text", "跟进事项"),
    ("projects_text", "项目推进"),
    ("brochures_text", "推介资料发放"),
    ("next_steps", "下一步工作"),
]


def trip_visit_ids(store: Store, trip_id: str) -> list[str]:
    """Visits of the trip: those recorded from its meetings, plus visits during the trip
    dates whose city is one of the destinations."""
    trip = get_trip(store, trip_id)
    linked = [
        r["visit_id"]
        for r in store.query(
            "SELECT visit_id FROM trip_meetings WHERE trip_id = ? AND deleted = 0 AND visit_id <> ''",
            (trip_id,),
        )
    ]
    spellings: list[str] = []
    for code in json_list(trip["destinations"]):
        c = regions.city(code)
        if c:
            spellings += [c["name"], c["short"]]
    end = (date.fromisoformat(trip["end_date"]) + timedelta(days=1)).isoformat()
    during = [
        r["id"]
        for r in store.query(
            "SELECT id FROM visits WHERE deleted = 0 AND visited_at >= ? AND visited_at < ? "
            "AND city IN (SELECT value FROM json_each(?))",
            (trip["start_date"], end, json.dumps(spellings, ensure_ascii=False)),
        )
    ]
    live = {
        r["id"]
        for r in store.query(
            "SELECT id FROM visits WHERE deleted = 0 AND id IN (SELECT value FROM json_each(?))",
            [json.dumps(linked)],
        )
    }
    return list(dict.fromkeys([v for v in linked if v in live] + during))


def assemble(store: Store, trip_id: str) -> dict[str, Any]:
    """The report's sections and figures computed from the database right now."""
    trip = get_trip(store, trip_id)
    vids = trip_visit_ids(store, trip_id)
    ids = json.dumps(vids)
    visits = store.query(
        "SELECT id, visited_at, kind, city, place, outcome, notes FROM visits "
        "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY visited_at",
        [ids],
    )
    comp_links = store.query(
        "SELECT l.visit_id, c.id, c.name FROM visit_companies l JOIN companies c ON c.id = l.company_id "
        "WHERE l.deleted = 0 AND l.visit_id IN (SELECT value FROM json_each(?))",
        [ids],
    )
    people_links = store.query(
        "SELECT l.visit_id, p.id, p.name, p.title FROM visit_people l JOIN people p ON p.id = l.person_id "
        "WHERE l.deleted = 0 AND l.visit_id IN (SELECT value FROM json_each(?))",
        [ids],
    )
    project_links = store.query(
        "SELECT DISTINCT l.visit_id, p.id, p.code, p.name FROM visit_projects l "
        "JOIN projects p ON p.id = l.project_id AND p.deleted = 0 "
        "WHERE l.deleted = 0 AND l.visit_id IN (SELECT value FROM json_each(?))",
        [ids],
    )
    followups = store.query(
        "SELECT f.visit_id, f.text, f.due_date, f.done FROM followups f "
        "WHERE f.deleted = 0 AND f.visit_id IN (SELECT value FROM json_each(?)) ORDER BY f.due_date",
        [ids],
    )
    leads = store.query(
        "SELECT l.id, l.title, l.source, l.status, coalesce(c.name, '') AS company_name FROM leads l "
        "LEFT JOIN companies c ON c.id = l.company_id "
        "WHERE l.deleted = 0 AND (l.trip_id = ? OR l.visit_id IN (SELECT value FROM json_each(?))) "
        "ORDER BY l.received_at",
        [trip_id, ids],
    )
    company_ids = list(dict.fromkeys(r["id"] for r in comp_links))
    since = (
        date.fromisoformat(trip["start_date"]) - timedelta(days=BROCHURE_DAYS_BEFORE)
    ).isoformat()
    until = (date.fromisoformat(trip["end_date"]) + timedelta(days=1)).isoformat()
    meeting_brochures = [
        r["brochure_id"]
        for r in store.query(
            "SELECT brochure_id FROM trip_meetings WHERE trip_id = ? AND deleted = 0 AND brochure_id <> ''",
            (trip_id,),
        )
    ]
    brochures = store.query(
        "SELECT id, company_name, project_codes, generated_at FROM brochures WHERE deleted = 0 AND "
        "(id IN (SELECT value FROM json_each(?)) OR (company_id IN (SELECT value FROM json_each(?)) "
        " AND generated_at >= ? AND generated_at < ?)) ORDER BY generated_at",
        [json.dumps(meeting_brochures), json.dumps(company_ids), since, until],
    )
    project_ids = list(dict.fromkeys(r["id"] for r in project_links))
    stages = store.query(
        "SELECT s.project_id, s.stage, s.changed_on, s.note FROM project_stages s "
        "WHERE s.deleted = 0 AND s.project_id IN (SELECT value FROM json_each(?)) "
        "AND s.changed_on >= ? AND s.changed_on < ? ORDER BY s.changed_on",
        [json.dumps(project_ids), trip["start_date"], until],
    )

    by_visit: dict[str, dict[str, list]] = {v["id"]: {"c": [], "p": [], "j": []} for v in visits}
    for r in comp_links:
        by_visit[r["visit_id"]]["c"].append(r["name"])
    for r in people_links:
        by_visit[r["visit_id"]]["p"].append(r["name"] + (f"（{r['title']}）" if r["title"] else ""))
    for r in project_links:
        by_visit[r["visit_id"]]["j"].append(f"{r['code']} {r['name']}")

    met_lines, outcome_lines = [], []
    for v in visits:
        link = by_visit[v["id"]]
        who = "、".join(link["c"]) or "（未关联企业）"
        people = "、".join(link["p"])
        met_lines.append(
            f"{v['visited_at'][5:10].replace('-', '月', 1)}日 {who}"
            + (f"：{people}" if people else "")
            + (f"（{v['place']}）" if v["place"] else "")
        )
        if v["notes"].strip() or v["outcome"] != "无":
            outcome_lines.append(
                f"{who}【{v['outcome']}】"
                + (f"{v['notes'].strip()[:300]}" if v["notes"].strip() else "")
            )
    outcomes = Counter(v["outcome"] for v in visits)
    met_people = {r["id"] for r in people_links}
    project_lines = []
    stage_by_project: dict[str, list[dict[str, Any]]] = {}
    for s in stages:
        stage_by_project.setdefault(s["project_id"], []).append(s)
    seen: set[str] = set()
    for r in project_links:
        if r["id"] in seen:
            continue
        seen.add(r["id"])
        moves = "，".join(
            f"{s['changed_on']} 进入“{s['stage']}”" for s in stage_by_project.get(r["id"], [])
        )
        project_lines.append(
            f"{r['code']} {r['name']}" + (f"：{moves}" if moves else "：已洽谈推介")
        )
    summary = (
        f"{trip['start_date']} 至 {trip['end_date']} 赴"
        f"{'、'.join(trip_json(store, trip)['destination_names'])}开展招商"
        + (f"（{trip['purpose']}）" if trip["purpose"] else "")
        + f"，共拜访 {len(visits)} 次、企业 {len(company_ids)} 家、会见 {len(met_people)} 人"
        + (
            "；意向情况：" + "、".join(f"{k} {n} 次" for k, n in outcomes.items() if k != "无")
            if any(k != "无" for k in outcomes)
            else ""
        )
        + "。"
    )
    texts = {
        "summary": summary,
        "met_text": "\n".join(met_lines),
        "outcomes_text": "\n".join(outcome_lines),
        "leads_text": "\n".join(
            f"{r['title']}"
            + (f"（{r['company_name']}）" if r["company_name"] else "")
            + f" · 来源：{r['source']} · {r['status']}"
            for r in leads
        ),
        "followups_text": "\n".join(
            f"{f['text']}"
            + (f"（{f['due_date']} 前）" if f["due_date"] else "")
            + ("【已完成】" if f["done"] else "")
            for f in followups
        ),
        "projects_text": "\n".join(project_lines),
        "brochures_text": "\n".join(
            f"{b['company_name'] or '（通用）'}：{'、'.join(json_list(b['project_codes']))}"
            f"（{b['generated_at'][:10]} 生成）"
            for b in brochures
        ),
        "next_steps": "\n".join(
            f"{f['text']}" + (f"（{f['due_date']} 前）" if f["due_date"] else "")
            for f in followups
            if not f["done"]
        ),
    }
    figures = {
        "visits": len(visits),
        "companies": len(company_ids),
        "people": len(met_people),
        "leads": len(leads),
        "followups": len(followups),
        "projects": len(seen),
        "brochures": len(brochures),
        "outcomes": dict(outcomes),
    }
    rows = [
        {
            "visited_at": v["visited_at"],
            "companies": "、".join(by_visit[v["id"]]["c"]),
            "people": "、".join(by_visit[v["id"]]["p"]),
            "city": v["city"],
            "place": v["place"],
            "kind": v["kind"],
            "outcome": v["outcome"],
            "projects": "、".join(by_visit[v["id"]]["j"]),
            "notes": v["notes"],
        }
        for v in visits
    ]
    return {
        "texts": texts,
        "figures": figures,
        "visits": rows,
        "leads": leads,
        "followups": followups,
    }


def _row(store: Store, trip_id: str) -> dict[str, Any] | None:
    return store.query_one(
        "SELECT * FROM trip_reports WHERE trip_id = ? AND deleted = 0 ORDER BY created_at LIMIT 1",
        (trip_id,),
    )


def report_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "trip_id", "generated_at", *SECTIONS)}
    out["figures"] = json.loads(row["figures"] or "{}")
    out["edited"] = json_list(row["edited"])
    return out


def generate(store: Store, trip_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Create the trip's report, or refresh it: sections edited by hand stay as they are."""
    from .meetings import match_visits

    get_trip(store, trip_id)
    match_visits(store, trip_id)
    data = assemble(store, trip_id)
    stamp = (now or datetime.now()).strftime("%Y-%m-%dT%H:%M")
    with store.transaction():
        row = _row(store, trip_id)
        values = {
            "generated_at": stamp,
            "figures": json.dumps(data["figures"], ensure_ascii=False, sort_keys=True),
        }
        if row is None:
            store.insert("trip_reports", {"trip_id": trip_id, **values, **data["texts"]})
        else:
            edited = set(json_list(row["edited"]))
            values.update({k: v for k, v in data["texts"].items() if k not in edited})
            store.update("trip_reports", row["id"], values)
        return report_json(_saved_row(store, trip_id))


def _saved_row(store: Store, trip_id: str) -> dict[str, Any]:
    """The report row just written; its absence would be a bug, reported clearly."""
    row = _row(store, trip_id)
    if row is None:
        raise TripError("出差报告保存后未能读回")
    return row


def get_report(store: Store, trip_id: str) -> dict[str, Any] | None:
    row = _row(store, trip_id)
    return report_json(row) if row else None


def edit(store: Store, trip_id: str, changes: dict[str, str]) -> dict[str, Any]:
    """Change sections by hand; they are then kept when the report is regenerated."""
    bad = set(changes) - set(SECTIONS)
    if bad:
        raise TripError(f"未知的报告栏目：{'、'.join(sorted(bad))}")
    row = _row(store, trip_id)
    if row is None:
        generate(store, trip_id)
        row = _saved_row(store, trip_id)
    values = {k: str(v or "").strip() for k, v in changes.items()}
    for _k, v in values.items():
        if len(v) > 20000:
            raise TripError("报告内容过长")
    edited = list(
        dict.fromkeys([*json_list(row["edited"]), *(k for k in values if values[k] != row[k])])
    )
    store.update("trip_reports", row["id"], {**values, "edited": json.dumps(edited)})
    return report_json(_saved_row(store, trip_id))


def reset_section(store: Store, trip_id: str, section: str) -> dict[str, Any]:
    """Forget a hand edit: the section is assembled again from the visits."""
    row = _row(store, trip_id)
    if row is None:
        raise TripError("尚未生成出差报告")
    edited = [s for s in json_list(row["edited"]) if s != section]
    store.update("trip_reports", row["id"], {"edited": json.dumps(edited)})
    return generate(store, trip_id)


def export_pdf(store: Store, trip_id: str, out_path: str | os.PathLike):
    from .pdf import render_report

    report = get_report(store, trip_id) or generate(store, trip_id)
    trip = trip_json(store, get_trip(store, trip_id))
    return render_report(store, report, trip, out_path)


def export_xlsx(store: Store, trip_id: str, out_path: str | os.PathLike) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    out = Path(out_path).expanduser()
    if out.suffix.lower() != ".xlsx":
        raise TripError(f"输出文件应以 .xlsx 结尾：{out.name}")
    report = get_report(store, trip_id) or generate(store, trip_id)
    trip = trip_json(store, get_trip(store, trip_id))
    data = assemble(store, trip_id)
    wb = Workbook()
    ws = wb.worksheets[0]  # the new workbook's one (active) sheet
    ws.title = "出差报告"
    ws.append(["出差", trip["title"]])
    ws.append(["目的地", "、".join(trip["destination_names"])])
    ws.append(["日期", f"{trip['start_date']} 至 {trip['end_date']}"])
    ws.append(["同行人员", trip["companions"]])
    for key, label in (
        ("visits", "拜访次数"),
        ("companies", "企业数"),
        ("people", "会见人数"),
        ("leads", "新增线索"),
        ("followups", "跟进事项"),
        ("projects", "推进项目"),
        ("brochures", "发放推介册"),
    ):
        ws.append([label, report["figures"].get(key, 0)])
    for key, label in REPORT_SECTIONS:
        ws.append([label, report[key]])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 100
    for row in ws.iter_rows():
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    sheet = wb.create_sheet("拜访明细")
    head = ["时间", "企业", "对方人员", "城市", "地点", "方式", "意向程度", "关联项目", "纪要"]
    sheet.append(head)
    for v in data["visits"]:
        sheet.append(
            [
                v["visited_at"].replace("T", " "),
                v["companies"],
                v["people"],
                v["city"],
                v["place"],
                v["kind"],
                v["outcome"],
                v["projects"],
                v["notes"],
            ]
        )
    leads = wb.create_sheet("新增线索")
    leads.append(["线索", "企业", "来源", "状态"])
    for r in data["leads"]:
        leads.append([r["title"], r["company_name"], r["source"], r["status"]])
    fu = wb.create_sheet("跟进事项")
    fu.append(["事项", "截止日期", "已完成"])
    for f in data["followups"]:
        fu.append([f["text"], f["due_date"], "是" if f["done"] else "否"])
    for s in (sheet, leads, fu):
        for cell in s[1]:
            cell.font = Font(bold=True)
    tmp = out.with_name(f".~{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        wb.save(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise TripError(f"无法写入文件 {out}：{exc.strerror or exc}") from exc
    return out
