"""During the trip: a planned meeting becomes a visit log in one action, prefilled with the
company, people, place, time and linked projects of the meeting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from zsapp import profile, regions
from zsapp.contacts import visits
from zsapp.store import Store

from .trips import TripError, get_meeting, get_trip, json_list


def _our_participants(store: Store, trip: dict[str, Any]) -> str:
    me = profile.get_profile(store).name.strip()
    names = [me] if me else []
    names += [n for n in trip["companions"].split("、") if n and n != me]
    return "、".join(names)


def _live_person(store: Store, person_id: str) -> str:
    """The person, or the survivor they were merged into ('' if deleted)."""
    for _hop in range(10):
        row = store.query_one(
            "SELECT id, deleted, merged_into FROM people WHERE id = ?", (person_id,)
        )
        if row is None:
            return ""
        if not row["deleted"]:
            return row["id"]
        if not row["merged_into"]:
            return ""
        person_id = row["merged_into"]
    return ""


def visit_values(store: Store, meeting_id: str) -> dict[str, Any]:
    """What the visit log of a meeting is prefilled with (ids, not names)."""
    m = get_meeting(store, meeting_id)
    trip = get_trip(store, m["trip_id"])
    city = regions.city(m["city"]) if m["city"] else None
    live_people = list(
        dict.fromkeys(
            p for p in (_live_person(store, pid) for pid in json_list(m["person_ids"])) if p
        )
    )
    live_projects = [
        p
        for p in json_list(m["project_ids"])
        if store.scalar("SELECT 1 FROM projects WHERE id = ? AND deleted = 0", (p,))
    ]
    company_live = bool(
        m["company_id"]
        and store.scalar("SELECT 1 FROM companies WHERE id = ? AND deleted = 0", (m["company_id"],))
    )
    return {
        "visited_at": m["starts_at"],
        "kind": "外出拜访",
        "city": city["name"] if city else "",
        "place": m["place"],
        "our_participants": _our_participants(store, trip),
        "companies": [m["company_id"]] if company_live else [],
        "people": live_people,
        "projects": live_projects,
        "agenda": m["agenda"],
    }


def dialog_payload(store: Store, meeting_id: str) -> dict[str, Any]:
    """The quick-entry form's fields (as ``VisitDialog.load_payload`` takes them)."""
    from zsapp.projects import picker

    v = visit_values(store, meeting_id)
    company = store.get("companies", v["companies"][0]) if v["companies"] else None
    person_ids: dict[str, str] = {}
    labels = []
    for pid in v["people"]:
        p = store.get("people", pid)
        if p is None:
            continue
        label = f"{p['name']}（{company['name']}）" if company else p["name"]
        person_ids[label] = pid
        labels.append(label)
    return {
        "companies": (company["name"] + "、") if company else "",
        "people": "、".join(labels) + ("、" if labels else ""),
        "visited_at": v["visited_at"],
        "kind": v["kind"],
        "city": v["city"],
        "place": v["place"],
        "our_participants": v["our_participants"],
        "notes": "",
        "outcome": visits.OUTCOMES[0],
        "followups": "",
        "projects": picker.tokens_for(store, v["projects"]),
        "items": "",
        "person_ids": person_ids,
    }


def link_visit(store: Store, meeting_id: str, visit_id: str) -> None:
    """Record that the meeting took place as ``visit_id``."""
    get_meeting(store, meeting_id)
    visits.get_visit(store, visit_id)
    store.update("trip_meetings", meeting_id, {"visit_id": visit_id})


def visit_from_meeting(
    store: Store,
    meeting_id: str,
    *,
    notes: str = "",
    outcome: str = "",
    followups: Iterable[Mapping[str, Any] | str] = (),
    changes: Mapping[str, Any] | None = None,
) -> str:
    """Create the visit log of a meeting (one action) and link it; returns the visit id."""
    m = get_meeting(store, meeting_id)
    if m["visit_id"] and store.get("visits", m["visit_id"]):
        raise TripError("这次拜访已记录过拜访记录，请在“拜访”中修改")
    v = visit_values(store, meeting_id)
    if not v["companies"]:
        raise TripError("拜访安排的企业已被删除或合并，请先修改拜访安排")
    values = {
        "visited_at": v["visited_at"],
        "kind": v["kind"],
        "city": v["city"],
        "place": v["place"],
        "our_participants": v["our_participants"],
        "notes": notes,
        "outcome": outcome or visits.OUTCOMES[0],
        **(changes or {}),
    }
    with store.transaction():
        visit_id = visits.create_visit(
            store,
            values,
            companies=v["companies"],
            people=v["people"],
            projects=v["projects"],
            followups=followups,
        )
        store.update("trip_meetings", meeting_id, {"visit_id": visit_id})
    return visit_id


def match_visits(store: Store, trip_id: str) -> list[tuple[str, str]]:
    """Link meetings still without a visit to a visit of the same company on the same day
    that no other meeting claims (e.g. logged through the quick entry or a restored draft);
    the closest in time wins. Returns the (meeting id, visit id) pairs linked."""
    from datetime import datetime

    from .trips import list_meetings

    rows = list_meetings(store, trip_id)
    claimed = {m["visit_id"] for m in rows if m["visit_id"]}
    pairs = []
    for m in rows:
        if m["visit_id"] or not m["company_id"]:
            continue
        start = datetime.fromisoformat(m["starts_at"])
        for c in store.query(
            "SELECT v.id, v.visited_at FROM visit_companies vc JOIN visits v ON v.id = vc.visit_id "
            "WHERE vc.company_id = ? AND vc.deleted = 0 AND v.deleted = 0 "
            "AND substr(v.visited_at, 1, 10) = ?",
            (m["company_id"], m["starts_at"][:10]),
        ):
            if c["id"] not in claimed:
                gap = abs((datetime.fromisoformat(c["visited_at"]) - start).total_seconds())
                pairs.append((gap, m["id"], c["id"]))
    linked: list[tuple[str, str]] = []
    done: set[str] = set()
    for _gap, meeting_id, visit_id in sorted(pairs):
        if meeting_id in done or visit_id in claimed:
            continue
        store.update("trip_meetings", meeting_id, {"visit_id": visit_id})
        done.add(meeting_id)
        claimed.add(visit_id)
        linked.append((meeting_id, visit_id))
    return linked
