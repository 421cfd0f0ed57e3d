"""The trip as an iCalendar (.ics) file a phone can import: one event per planned meeting
(time, place, company, people with phone numbers, projects to pitch) and an all-day event
for the trip itself. Written with the ``icalendar`` package."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from zsapp import __version__
from zsapp.store import Store

from .trips import TripError, ends_at, get_trip, list_meetings, trip_json

TZ = ZoneInfo("Asia/Shanghai")
UID_DOMAIN = "zsapp.yn"


def calendar(store: Store, trip_id: str, *, stamp: datetime | None = None) -> icalendar.Calendar:
    trip = trip_json(store, get_trip(store, trip_id))
    stamp = stamp or datetime.now(TZ)
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//招商助手//zsapp {__version__}//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", trip["title"])
    cal.add("x-wr-timezone", "Asia/Shanghai")
    whole = icalendar.Event()
    whole.add("uid", f"trip-{trip['id']}@{UID_DOMAIN}")
    whole.add("dtstamp", stamp)
    whole.add("summary", f"出差：{trip['title']}")
    whole.add("dtstart", date.fromisoformat(trip["start_date"]))
    whole.add("dtend", date.fromisoformat(trip["end_date"]) + timedelta(days=1))
    whole.add("location", "、".join(trip["destination_names"]))
    whole.add(
        "description",
        "\n".join(
            x for x in (trip["purpose"], trip["companions"] and f"同行：{trip['companions']}") if x
        ),
    )
    cal.add_component(whole)
    for m in list_meetings(store, trip_id):
        ev = icalendar.Event()
        ev.add("uid", f"meeting-{m['id']}@{UID_DOMAIN}")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"拜访 {m['company_name'] or '（企业已删除）'}")
        ev.add("dtstart", datetime.fromisoformat(m["starts_at"]).replace(tzinfo=TZ))
        ev.add("dtend", ends_at(m).replace(tzinfo=TZ))
        ev.add("location", " ".join(x for x in (m["city_name"], m["place"]) if x))
        lines = []
        for p in m["people"]:
            phone = p["mobile"] or p["landline"]
            lines.append(
                "对方："
                + p["name"]
                + (f"（{p['title']}）" if p["title"] else "")
                + (f" {phone}" if phone else "")
            )
        if m["projects"]:
            lines.append(
                "推介项目：" + "；".join(f"{p['code']} {p['name']}" for p in m["projects"])
            )
        if m["company_dishonest"]:
            lines.append("注意：该企业已列入失信惩戒清单")
        if m["agenda"]:
            lines.append(m["agenda"])
        ev.add("description", "\n".join(lines))
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"拜访 {m['company_name']}")
        alarm.add("trigger", timedelta(minutes=-30))
        ev.add_component(alarm)
        cal.add_component(ev)
    return cal


def export_ics(store: Store, trip_id: str, out_path: str | os.PathLike) -> dict[str, Any]:
    out = Path(out_path).expanduser()
    if out.suffix.lower() != ".ics":
        raise TripError(f"日历文件应以 .ics 结尾：{out.name}")
    cal = calendar(store, trip_id)
    tmp = out.with_name(f".~{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(cal.to_ical())
        os.replace(tmp, out)
    except OSError as exc:
        raise TripError(f"无法写入文件 {out}：{exc.strerror or exc}") from exc
    return {"path": str(out), "events": len(cal.walk("VEVENT"))}
