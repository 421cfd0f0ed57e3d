"""出差 (trips): destinations (national cities), dates, companions, purpose, and the
planned meetings (拟拜访) with time, place, company, people and projects to pitch."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from zsapp import regions
from zsapp.contacts.validation import ContactsError, parse_date, parse_datetime
from zsapp.store import RecordNotFound, Store, StoreError

TRIP_FIELDS = ["title", "destinations", "start_date", "end_date", "companions", "purpose", "notes"]
MEETING_FIELDS = [
    "starts_at",
    "duration_min",
    "city",
    "place",
    "company_id",
    "person_ids",
    "project_ids",
    "agenda",
]
MAX_TRIP_DAYS = 60
_SPLIT = re.compile(r"[、，,;；\s]+")


class TripError(StoreError):
    """Bad input for a trip, meeting, report or lead (Chinese message)."""


def json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def split_names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    parts = _SPLIT.split(value) if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


# -- destinations ----------------------------------------------------------------------------
def resolve_cities(values: str | Iterable[str]) -> list[str]:
    """City codes for names/short names/codes ('上海、苏州' → ['310100', '320500'])."""
    codes: list[str] = []
    unknown: list[str] = []
    for token in split_names(values):
        found = regions.find_city(token)
        if found is None:
            unknown.append(token)
        elif found["code"] not in codes:
            codes.append(found["code"])
    if unknown:
        raise TripError(
            f"找不到城市：{'、'.join(unknown)}（请输入地级市名称，如 上海、苏州、深圳市）"
        )
    return codes


def city_names(codes: Iterable[str]) -> list[str]:
    out = []
    for code in codes:
        c = regions.city(code)
        out.append(c["name"] if c else code)
    return out


# -- trips -----------------------------------------------------------------------------------
def _clean_trip(values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(values) - set(TRIP_FIELDS)
    if unknown:
        raise TripError(f"未知的出差字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    try:
        for key, value in values.items():
            if key == "destinations":
                codes = resolve_cities(value if value is not None else "")
                if not codes:
                    raise TripError("请至少填写一个出差目的地城市")
                out[key] = json.dumps(codes)
            elif key in ("start_date", "end_date"):
                label = "出发日期" if key == "start_date" else "返回日期"
                out[key] = parse_date(value, label)
                if not out[key]:
                    raise TripError(f"{label}不能为空")
            elif key == "companions":
                out[key] = "、".join(split_names(value))
            else:
                text = str(value if value is not None else "").strip()
                if len(text) > (4000 if key == "notes" else 200):
                    raise TripError("内容过长")
                out[key] = text
    except ContactsError as exc:
        raise TripError(str(exc)) from exc
    if not partial:
        for key, label in (
            ("destinations", "出差目的地"),
            ("start_date", "出发日期"),
            ("end_date", "返回日期"),
        ):
            if not out.get(key):
                raise TripError(f"{label}不能为空")
    return out


def _check_dates(start: str, end: str) -> None:
    if start and end:
        if end < start:
            raise TripError(f"返回日期 {end} 早于出发日期 {start}")
        if (date.fromisoformat(end) - date.fromisoformat(start)).days > MAX_TRIP_DAYS:
            raise TripError(f"一次出差最长 {MAX_TRIP_DAYS} 天")


def default_title(destinations: list[str], start: str) -> str:
    names = "、".join((regions.city(c) or {}).get("short", c) for c in destinations)
    return f"{start[:7].replace('-', '年', 1)}月 {names}出差" if start else f"{names}出差"


def create_trip(store: Store, values: Mapping[str, Any]) -> str:
    row = _clean_trip(values, partial=False)
    _check_dates(row["start_date"], row["end_date"])
    if not row.get("title"):
        row["title"] = default_title(json.loads(row["destinations"]), row["start_date"])
    return store.insert("trips", row)


def update_trip(store: Store, trip_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_trip(store, trip_id)
    row = _clean_trip(changes, partial=True)
    _check_dates(
        row.get("start_date", current["start_date"]), row.get("end_date", current["end_date"])
    )
    return store.update("trips", trip_id, row)


def delete_trip(store: Store, trip_id: str) -> None:
    get_trip(store, trip_id)
    with store.transaction():
        for m in store.query(
            "SELECT id FROM trip_meetings WHERE trip_id = ? AND deleted = 0", (trip_id,)
        ):
            store.delete("trip_meetings", m["id"])
        store.delete("trips", trip_id)


def get_trip(store: Store, trip_id: str) -> dict[str, Any]:
    row = store.get("trips", trip_id)
    if row is None:
        raise RecordNotFound(f"找不到出差 {trip_id}")
    return row


def resolve_trip(store: Store, ref: str) -> str:
    """A live trip by id, unique id prefix (≥ 6) or exact title."""
    ref = (ref or "").strip()
    if not ref:
        raise TripError("请指定出差（id 或标题）")
    rows = store.query(
        "SELECT id FROM trips WHERE deleted = 0 AND (id = ? OR title = ?) LIMIT 2", (ref, ref)
    )
    if not rows and len(ref) >= 6:
        rows = store.query(
            "SELECT id FROM trips WHERE deleted = 0 AND id LIKE ? LIMIT 2", (ref.lower() + "%",)
        )
    if len(rows) == 1:
        return rows[0]["id"]
    if len(rows) > 1:
        raise TripError(f"“{ref}”对应多次出差，请使用 id")
    raise RecordNotFound(f"找不到出差“{ref}”")


def trip_json(store: Store, row: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    codes = json_list(row["destinations"])
    out = {
        "id": row["id"],
        "title": row["title"],
        "destinations": codes,
        "destination_names": city_names(codes),
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "companions": row["companions"],
        "purpose": row["purpose"],
        "notes": row["notes"],
        "updated_at": row["updated_at"],
    }
    if detail:
        out["meetings"] = list_meetings(store, row["id"])
    return out


def list_trips(
    store: Store, *, limit: int = 100, offset: int = 0, upcoming_from: str = ""
) -> list[dict[str, Any]]:
    """Newest departure first; ``upcoming_from='YYYY-MM-DD'``: only trips not yet over."""
    where, params = "t.deleted = 0", []
    if upcoming_from:
        where += " AND t.end_date >= ?"
        params.append(upcoming_from)
    rows = store.query(
        "SELECT t.*, (SELECT count(*) FROM trip_meetings m WHERE m.trip_id = t.id AND m.deleted = 0) "
        "AS meetings, (SELECT count(*) FROM trip_meetings m WHERE m.trip_id = t.id AND m.deleted = 0 "
        "AND m.visit_id <> '') AS met "
        f"FROM trips t WHERE {where} ORDER BY t.start_date DESC, t.created_at DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    out = []
    for r in rows:
        item = trip_json(store, r)
        item["meetings"] = r["meetings"]
        item["met"] = r["met"]
        out.append(item)
    return out


def count_trips(store: Store) -> int:
    return store.scalar("SELECT count(*) FROM trips WHERE deleted = 0") or 0


def trip_days(trip: dict[str, Any]) -> list[date]:
    start, end = date.fromisoformat(trip["start_date"]), date.fromisoformat(trip["end_date"])
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# -- meetings --------------------------------------------------------------------------------
def _live_ids(store: Store, table: str, ids: Iterable[str], label: str) -> list[str]:
    wanted = list(dict.fromkeys(i for i in ids if i))
    for row_id in wanted:
        if not store.scalar(f"SELECT 1 FROM {table} WHERE id = ? AND deleted = 0", (row_id,)):
            raise TripError(f"找不到{label} {row_id}")
    return wanted


def _clean_meeting(
    store: Store, trip: dict[str, Any], values: Mapping[str, Any], *, partial: bool
) -> dict[str, Any]:
    unknown = set(values) - set(MEETING_FIELDS)
    if unknown:
        raise TripError(f"未知的拜访安排字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    try:
        for key, value in values.items():
            if key == "starts_at":
                out[key] = parse_datetime(value, "拜访时间")
            elif key == "duration_min":
                try:
                    minutes = int(value if value not in (None, "") else 60)
                except (TypeError, ValueError):
                    raise TripError(f"时长“{value}”应为分钟数") from None
                if not 5 <= minutes <= 24 * 60:
                    raise TripError("时长应在 5 分钟到 24 小时之间")
                out[key] = minutes
            elif key == "city":
                codes = resolve_cities(value or "") if value else []
                out[key] = codes[0] if codes else ""
            elif key == "company_id":
                out[key] = _live_ids(store, "companies", [value or ""], "企业")[0] if value else ""
            elif key == "person_ids":
                out[key] = json.dumps(_live_ids(store, "people", value or [], "联系人"))
            elif key == "project_ids":
                out[key] = json.dumps(_live_ids(store, "projects", value or [], "项目"))
            else:
                text = str(value if value is not None else "").strip()
                if len(text) > (4000 if key == "agenda" else 200):
                    raise TripError("内容过长")
                out[key] = text
    except ContactsError as exc:
        raise TripError(str(exc)) from exc
    if not partial:
        if not out.get("starts_at"):
            raise TripError("拜访时间不能为空")
        if not out.get("company_id"):
            raise TripError("请指定拜访的企业")
    day = out.get("starts_at", "")[:10]
    if day and not (trip["start_date"] <= day <= trip["end_date"]):
        raise TripError(
            f"拜访时间 {day} 不在出差日期内（{trip['start_date']} 至 {trip['end_date']}）"
        )
    if out.get("city") and out["city"] not in json_list(trip["destinations"]):
        raise TripError("拜访城市不是本次出差的目的地，请先把它加入出差目的地")
    return out


def default_city(store: Store, trip: dict[str, Any], company_id: str) -> str:
    """The destination the company is in (by 来源城市/注册地), or the only destination."""
    codes = json_list(trip["destinations"])
    comp = store.get("companies", company_id) if company_id else None
    if comp:
        for code in codes:
            c = regions.city(code)
            if c and (
                comp["origin_city"] in (c["name"], c["short"])
                or c["name"] in comp["registered_location"]
                or (c["short"] and c["short"] in comp["registered_location"])
            ):
                return code
    return codes[0] if len(codes) == 1 else ""


def add_meeting(store: Store, trip_id: str, values: Mapping[str, Any]) -> str:
    trip = get_trip(store, trip_id)
    row = _clean_meeting(store, trip, values, partial=False)
    if not row.get("city"):
        row["city"] = default_city(store, trip, row["company_id"])
    return store.insert("trip_meetings", {"trip_id": trip_id, **row})


def update_meeting(store: Store, meeting_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    meeting = get_meeting(store, meeting_id)
    trip = get_trip(store, meeting["trip_id"])
    row = _clean_meeting(store, trip, changes, partial=True)
    return store.update("trip_meetings", meeting_id, row)


def delete_meeting(store: Store, meeting_id: str) -> None:
    get_meeting(store, meeting_id)
    store.delete("trip_meetings", meeting_id)


def get_meeting(store: Store, meeting_id: str) -> dict[str, Any]:
    row = store.get("trip_meetings", meeting_id)
    if row is None:
        raise RecordNotFound(f"找不到拜访安排 {meeting_id}")
    return row


def resolve_meeting(store: Store, ref: str) -> str:
    ref = (ref or "").strip()
    rows = store.query(
        "SELECT id FROM trip_meetings WHERE deleted = 0 AND (id = ? OR id LIKE ?) LIMIT 2",
        (ref, ref.lower() + "%" if len(ref) >= 6 else ref),
    )
    if len(rows) == 1:
        return rows[0]["id"]
    if len(rows) > 1:
        raise TripError(f"“{ref}”对应多条拜访安排，请输入完整 id")
    raise RecordNotFound(f"找不到拜访安排“{ref}”")


def _names(store: Store, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cols = {
        "people": "id, name, title, mobile, landline, email, wechat",
        "projects": "id, code, name",
        "companies": "id, name",
    }[table]
    return {
        r["id"]: r for r in store.query(f"SELECT {cols} FROM {table} WHERE id IN ({marks})", ids)
    }


def count_meetings(store: Store, trip_id: str) -> int:
    return (
        store.scalar(
            "SELECT count(*) FROM trip_meetings WHERE trip_id = ? AND deleted = 0", (trip_id,)
        )
        or 0
    )


def list_meetings(
    store: Store, trip_id: str, *, limit: int = -1, offset: int = 0
) -> list[dict[str, Any]]:
    """The trip's planned meetings in time order, with names resolved."""
    rows = store.query(
        "SELECT m.*, coalesce(c.name, '') AS company_name, coalesce(c.is_dishonest, 0) AS company_dishonest "
        "FROM trip_meetings m LEFT JOIN companies c ON c.id = m.company_id "
        "WHERE m.trip_id = ? AND m.deleted = 0 ORDER BY m.starts_at, m.created_at LIMIT ? OFFSET ?",
        (trip_id, limit, offset),
    )
    person_ids = [p for r in rows for p in json_list(r["person_ids"])]
    project_ids = [p for r in rows for p in json_list(r["project_ids"])]
    persons = _names(store, "people", list(dict.fromkeys(person_ids)))
    projects = _names(store, "projects", list(dict.fromkeys(project_ids)))
    out = []
    for r in rows:
        c = regions.city(r["city"]) if r["city"] else None
        out.append(
            {
                "id": r["id"],
                "trip_id": r["trip_id"],
                "starts_at": r["starts_at"],
                "duration_min": r["duration_min"],
                "city": r["city"],
                "city_name": c["name"] if c else "",
                "place": r["place"],
                "company_id": r["company_id"],
                "company_name": r["company_name"],
                "company_dishonest": bool(r["company_dishonest"]),
                "people": [persons[p] for p in json_list(r["person_ids"]) if p in persons],
                "projects": [projects[p] for p in json_list(r["project_ids"]) if p in projects],
                "agenda": r["agenda"],
                "visit_id": r["visit_id"],
                "brochure_id": r["brochure_id"],
            }
        )
    return out


def meeting_json(store: Store, meeting_id: str) -> dict[str, Any]:
    m = get_meeting(store, meeting_id)
    return next(x for x in list_meetings(store, m["trip_id"]) if x["id"] == meeting_id)


def ends_at(meeting: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(meeting["starts_at"]) + timedelta(minutes=meeting["duration_min"])
