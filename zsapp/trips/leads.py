"""线索承诺 (lead clocks): a lead (线索) records where it came from and runs response clocks —
by default 答复 within 1 day, 评估 within 3 days, 反馈 within 1 week, 报告 within 2 weeks of
receipt (configurable). Every function that needs the time takes ``now`` (injected clock)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from zsapp.contacts.validation import ContactsError, parse_datetime, require_choice
from zsapp.store import RecordNotFound, Store

from .trips import TripError

Clock = Callable[[], datetime]
CLOCKS_SETTING = "leads.clocks"
DEFAULT_CLOCKS = [
    {"step": "reply", "label": "答复", "hours": 24},
    {"step": "assess", "label": "评估", "hours": 72},
    {"step": "feedback", "label": "反馈", "hours": 168},
    {"step": "report", "label": "报告", "hours": 336},
]
SOURCES = ["出差拜访", "推介会", "来电来访", "来函", "上级交办", "商协会", "网络", "其他"]
STATUSES = ["跟进中", "已办结", "已放弃"]
DUE_SOON_HOURS = 24
FIELDS = [
    "title",
    "source",
    "source_detail",
    "received_at",
    "company_id",
    "trip_id",
    "visit_id",
    "project_id",
    "prefecture",
    "owner_officer",
    "status",
    "notes",
]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|小时|d|天|w|周)?\s*$", re.I)


def find_prefecture(text: str) -> dict[str, Any] | None:
    """A 州市 by code, name or short name; '大理州' / '昆明市' spellings work too."""
    from zsapp.projects.common import prefecture

    text = (text or "").strip()
    if not text:
        return None
    return prefecture(text) or (prefecture(text[:-1]) if text.endswith(("市", "州")) else None)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(second=0, microsecond=0)


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M")


# -- clock configuration ---------------------------------------------------------------------
def clocks(store: Store) -> list[dict[str, Any]]:
    value = store.get_setting(CLOCKS_SETTING)
    return value if isinstance(value, list) and value else [dict(c) for c in DEFAULT_CLOCKS]


def parse_duration(text: str) -> int:
    """'1d' / '3天' / '1w' / '12h' / '2周' → hours."""
    m = _DURATION.match(str(text))
    if not m:
        raise TripError(f"时限“{text}”格式不正确，例如 1d（1 天）、12h、1w（1 周）")
    number = float(m[1])
    unit = (m[2] or "d").lower()
    hours = number * {"h": 1, "小时": 1, "d": 24, "天": 24, "w": 168, "周": 168}[unit]
    if not 1 <= hours <= 24 * 366:
        raise TripError(f"时限“{text}”应在 1 小时到 1 年之间")
    return round(hours)


def set_clocks(store: Store, spec: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set the clocks for new leads: '答复=1d,评估=3d,反馈=1w,报告=2w' or a list of
    {step, label, hours}. Leads already recorded keep the due times they were given."""
    items: list[dict[str, Any]]
    if isinstance(spec, str):
        items = []
        for i, part in enumerate(p for p in re.split(r"[,，、;；\s]+", spec) if p):
            label, sep, duration = part.partition("=")
            if not sep or not label.strip():
                raise TripError(f"“{part}”格式不正确，应为 名称=时限，例如 答复=1d")
            known = next((c for c in DEFAULT_CLOCKS if c["label"] == label.strip()), None)
            items.append(
                {
                    "step": known["step"] if known else f"step{i + 1}",
                    "label": label.strip(),
                    "hours": parse_duration(duration),
                }
            )
    else:
        items = [
            {"step": str(c["step"]), "label": str(c["label"]), "hours": int(c["hours"])}
            for c in spec
        ]
    if not items:
        raise TripError("至少需要一个时限")
    hours = [c["hours"] for c in items]
    if hours != sorted(hours):
        raise TripError("各时限应按先后顺序排列（后一步的时限不短于前一步）")
    if len({c["label"] for c in items}) != len(items):
        raise TripError("时限名称不能重复")
    store.set_setting(CLOCKS_SETTING, items)
    return items


def duration_text(hours: int) -> str:
    """168 → '1 周', 72 → '3 天', 12 → '12 小时'."""
    if hours % 168 == 0:
        return f"{hours // 168} 周"
    if hours % 24 == 0:
        return f"{hours // 24} 天"
    return f"{hours} 小时"


def clocks_spec(store: Store) -> str:
    """The clocks as :func:`set_clocks` takes them: '答复=1d,评估=3d,反馈=1w,报告=2w'."""

    def short(h: int) -> str:
        return f"{h // 168}w" if h % 168 == 0 else f"{h // 24}d" if h % 24 == 0 else f"{h}h"

    return ",".join(f"{c['label']}={short(c['hours'])}" for c in clocks(store))


def clocks_text(store: Store) -> str:
    return "，".join(f"{c['label']} {duration_text(c['hours'])}" for c in clocks(store))


def reset_clocks(store: Store) -> list[dict[str, Any]]:
    store.set_setting(CLOCKS_SETTING, None)
    return clocks(store)


# -- leads -----------------------------------------------------------------------------------
def _clean(store: Store, values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TripError(f"未知的线索字段：{'、'.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    try:
        for key, value in values.items():
            if key == "received_at":
                out[key] = parse_datetime(value, "收到时间")
            elif key == "source":
                out[key] = require_choice(value or "其他", SOURCES, "线索来源")
            elif key == "status":
                out[key] = require_choice(value or "跟进中", STATUSES, "线索状态")
            elif key in ("company_id", "trip_id", "visit_id", "project_id"):
                ref = str(value or "").strip()
                table = {
                    "company_id": "companies",
                    "trip_id": "trips",
                    "visit_id": "visits",
                    "project_id": "projects",
                }[key]
                if ref and not store.scalar(
                    f"SELECT 1 FROM {table} WHERE id = ? AND deleted = 0", (ref,)
                ):
                    raise TripError(f"找不到关联的记录 {ref}")
                out[key] = ref
            elif key == "prefecture":
                text = str(value or "").strip()
                found = find_prefecture(text)
                if text and not found:
                    raise TripError(f"找不到州市“{text}”")
                out[key] = found["code"] if found else ""
            else:
                text = str(value if value is not None else "").strip()
                if len(text) > (4000 if key == "notes" else 200):
                    raise TripError("内容过长")
                out[key] = text
    except ContactsError as exc:
        raise TripError(str(exc)) from exc
    if (not partial or "title" in out) and not out.get("title"):
        raise TripError("线索内容（标题）不能为空")
    return out


def create_lead(store: Store, values: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """Record a lead and start its clocks from ``received_at`` (default: now)."""
    row = _clean(store, values, partial=False)
    row.setdefault("source", "其他")
    row.setdefault("received_at", _fmt(_now(now)))
    if not row.get("prefecture"):
        from zsapp import profile

        found = find_prefecture(profile.get_profile(store).prefecture)
        row["prefecture"] = found["code"] if found else ""
    if not row.get("owner_officer"):
        from zsapp import profile

        row["owner_officer"] = profile.get_profile(store).name
    start = datetime.fromisoformat(row["received_at"])
    with store.transaction():
        lead_id = store.insert("leads", row)
        for seq, clock in enumerate(clocks(store)):
            store.insert(
                "lead_steps",
                {
                    "lead_id": lead_id,
                    "seq": seq,
                    "step": clock["step"],
                    "label": clock["label"],
                    "due_at": _fmt(start + timedelta(hours=clock["hours"])),
                },
            )
    return lead_id


def update_lead(store: Store, lead_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    get_lead(store, lead_id)
    row = _clean(store, changes, partial=True)
    if "received_at" in row:
        raise TripError("收到时间决定各项时限，录入后不能修改；如有误请删除后重新录入")
    return store.update("leads", lead_id, row)


def delete_lead(store: Store, lead_id: str) -> None:
    get_lead(store, lead_id)
    store.delete("leads", lead_id)


def get_lead(store: Store, lead_id: str) -> dict[str, Any]:
    row = store.get("leads", lead_id)
    if row is None:
        raise RecordNotFound(f"找不到线索 {lead_id}")
    return row


def resolve_lead(store: Store, ref: str) -> str:
    ref = (ref or "").strip()
    rows = store.query(
        "SELECT id FROM leads WHERE deleted = 0 AND (id = ? OR id LIKE ? OR title = ?) LIMIT 2",
        (ref, ref.lower() + "%" if len(ref) >= 6 else ref, ref),
    )
    if len(rows) == 1:
        return rows[0]["id"]
    if len(rows) > 1:
        raise TripError(f"“{ref}”对应多条线索，请输入完整 id")
    raise RecordNotFound(f"找不到线索“{ref}”")


def steps(store: Store, lead_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, seq, step, label, due_at, done_at, note FROM lead_steps "
        "WHERE lead_id = ? AND deleted = 0 ORDER BY seq, created_at",
        (lead_id,),
    )


def step_state(step: dict[str, Any], now: datetime) -> str:
    """'done' / 'late' (done after due) / 'overdue' / 'due' (within a day) / 'open'."""
    if step["done_at"]:
        return "late" if step["done_at"] > step["due_at"] else "done"
    due = datetime.fromisoformat(step["due_at"])
    if due < now:
        return "overdue"
    if due <= now + timedelta(hours=DUE_SOON_HOURS):
        return "due"
    return "open"


STATE_LABELS = {
    "done": "按时完成",
    "late": "超时完成",
    "overdue": "已逾期",
    "due": "即将到期",
    "open": "未到期",
}


def remaining_text(due_at: str, now: datetime) -> str:
    delta = datetime.fromisoformat(due_at) - now
    minutes = int(delta.total_seconds() // 60)
    late = minutes < 0
    minutes = abs(minutes)
    if minutes >= 24 * 60:
        hours = (minutes % (24 * 60)) // 60
        text = f"{minutes // (24 * 60)} 天" + (f" {hours} 小时" if hours else "")
    elif minutes >= 60:
        text = f"{minutes // 60} 小时"
    else:
        text = f"{minutes} 分钟"
    return f"已逾期 {text}" if late else f"剩余 {text}"


def lead_json(store: Store, row: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    now = _now(now)
    out: dict[str, Any] = {k: row.get(k) for k in ("id", *FIELDS, "updated_at")}
    out["company_name"] = (
        store.scalar("SELECT name FROM companies WHERE id = ?", (row["company_id"],)) or ""
        if row["company_id"]
        else ""
    )
    out["steps"] = []
    for s in steps(store, row["id"]):
        state = step_state(s, now)
        out["steps"].append({**s, "state": state, "state_label": STATE_LABELS[state]})
    pending = [s for s in out["steps"] if not s["done_at"]]
    nxt = pending[0] if pending and row["status"] == "跟进中" else None
    out["next_step"] = nxt["label"] if nxt else ""
    out["next_due"] = nxt["due_at"] if nxt else ""
    out["next_state"] = nxt["state"] if nxt else ""
    out["next_remaining"] = remaining_text(nxt["due_at"], now) if nxt else ""
    return out


def _lead_where(status: str | None, trip_id: str, company_ids: list[str] | None):
    where, params = ["deleted = 0"], []
    if status:
        where.append("status = ?")
        params.append(status)
    if trip_id:
        where.append("trip_id = ?")
        params.append(trip_id)
    if company_ids is not None:
        marks = ",".join("?" * len(company_ids)) or "''"
        where.append(f"company_id IN ({marks})")
        params += company_ids
    return " AND ".join(where), params


def count_leads(store: Store, *, status: str | None = "跟进中", trip_id: str = "") -> int:
    where, params = _lead_where(status, trip_id, None)
    return store.scalar(f"SELECT count(*) FROM leads WHERE {where}", params) or 0


def list_leads(
    store: Store,
    *,
    status: str | None = "跟进中",
    trip_id: str = "",
    company_ids: list[str] | None = None,
    limit: int = 200,
    offset: int = 0,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    where, params = _lead_where(status, trip_id, company_ids)
    rows = store.query(
        f"SELECT * FROM leads WHERE {where} ORDER BY received_at DESC, id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [lead_json(store, r, now=now) for r in rows]


def due_steps(
    store: Store,
    *,
    now: datetime | None = None,
    within_hours: int = DUE_SOON_HOURS,
    company_ids: list[str] | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Open clocks of open leads that are overdue or due within ``within_hours`` — the
    first open step of each lead only (steps are done in order), most urgent first."""
    now = _now(now)
    horizon = _fmt(now + timedelta(hours=within_hours))
    where, params = "", [horizon]
    if company_ids is not None:
        marks = ",".join("?" * len(company_ids)) or "''"
        where = f" AND l.company_id IN ({marks})"
        params += company_ids
    rows = store.query(
        "SELECT s.id AS step_id, s.lead_id, s.label, s.due_at, l.title, l.source, l.company_id, "
        "coalesce(c.name, '') AS company_name, l.trip_id "
        "FROM lead_steps s JOIN leads l ON l.id = s.lead_id AND l.deleted = 0 AND l.status = '跟进中' "
        "LEFT JOIN companies c ON c.id = l.company_id "
        "WHERE s.deleted = 0 AND s.done_at = '' AND s.due_at <= ? "
        "AND s.seq = (SELECT min(x.seq) FROM lead_steps x WHERE x.lead_id = s.lead_id "
        "             AND x.deleted = 0 AND x.done_at = '')"
        f"{where} ORDER BY s.due_at LIMIT ?",
        [*params, limit],
    )
    for r in rows:
        r["overdue"] = r["due_at"] < _fmt(now)
        r["remaining"] = remaining_text(r["due_at"], now)
    return rows


def advance(
    store: Store,
    lead_id: str,
    *,
    step: str = "",
    note: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Complete the next open clock (or the one named by key/label); when the last one is
    done the lead is 已办结. Returns the lead as :func:`lead_json`."""
    lead = get_lead(store, lead_id)
    if lead["status"] != "跟进中":
        raise TripError(f"线索已{lead['status'][1:]}，不能再推进")
    pending = [s for s in steps(store, lead_id) if not s["done_at"]]
    if step:
        pending = [s for s in pending if step in (s["step"], s["label"])] or []
        if not pending:
            raise TripError(f"没有未完成的时限“{step}”")
    if not pending:
        raise TripError("该线索的各项时限均已完成")
    target = pending[0]
    when = _fmt(_now(now))
    with store.transaction():
        store.update("lead_steps", target["id"], {"done_at": when, "note": note.strip()})
        if not [s for s in steps(store, lead_id) if not s["done_at"]]:
            store.update("leads", lead_id, {"status": "已办结"})
    return lead_json(store, get_lead(store, lead_id), now=now)


def set_status(store: Store, lead_id: str, status: str) -> dict[str, Any]:
    get_lead(store, lead_id)
    row = _clean(store, {"status": status}, partial=True)
    return store.update("leads", lead_id, row)


def figures_from_rows(
    rows: list[dict[str, Any]], now: datetime, name_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Response-time figures from (group, lead id, received_at, seq, due_at, done_at) rows:
    per group the leads, median hours to the first step (答复), the share of completed clocks
    met on time and the clocks overdue now. Used on the device (per 州市 of the lead) and on
    the office server (per owner unit)."""
    now_s = _fmt(now)
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(
            r["grp"], {"leads": set(), "first": [], "met": 0, "closed": 0, "overdue": 0}
        )
        g["leads"].add(r["id"])
        if r["done_at"]:
            g["closed"] += 1
            g["met"] += r["done_at"] <= r["due_at"]
            if r["seq"] == 0 and r["received_at"]:
                hours = (
                    datetime.fromisoformat(r["done_at"]) - datetime.fromisoformat(r["received_at"])
                ).total_seconds() / 3600
                g["first"].append(hours)
        elif r["due_at"] and r["due_at"] < now_s and r.get("open", True):
            g["overdue"] += 1
    out = []
    for key, g in sorted(groups.items()):
        out.append(
            {
                "prefecture": key,
                "prefecture_name": name_of(key) if key else "（未指定）",
                "leads": len(g["leads"]),
                "median_first_reply_hours": round(statistics.median(g["first"]), 1)
                if g["first"]
                else None,
                "on_time_rate": round(g["met"] / g["closed"], 3) if g["closed"] else None,
                "overdue_now": g["overdue"],
            }
        )
    return out


def response_figures(store: Store, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per 州市 of the leads on this device (see :func:`figures_from_rows`)."""
    from zsapp.projects.common import prefecture_name

    rows = store.query(
        "SELECT l.prefecture AS grp, l.id, l.received_at, s.seq, s.due_at, s.done_at, "
        "l.status = '跟进中' AS open FROM leads l "
        "JOIN lead_steps s ON s.lead_id = l.id AND s.deleted = 0 WHERE l.deleted = 0"
    )
    return figures_from_rows(rows, _now(now), lambda code: prefecture_name(code) or code)
