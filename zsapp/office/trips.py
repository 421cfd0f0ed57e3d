"""Office side of 线索承诺: response-time figures per 州市 (owner unit) computed from the
synced ``leads`` / ``lead_steps`` records the server already holds (no extra tables: trips
and leads sync through the generic per-field store like visits). For the office console."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zsapp.office import schema as s
from zsapp.trips.leads import figures_from_rows

LEAD_FIELDS = ("received_at", "status", "deleted")
STEP_FIELDS = ("lead_id", "seq", "due_at", "done_at", "deleted")


def _records(conn, table: str, wanted: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        sa.select(s.fields.c.row_id, s.fields.c.field, s.fields.c.value).where(
            s.fields.c.tbl == table, s.fields.c.field.in_(wanted)
        )
    )
    for r in rows:
        try:
            value = json.loads(r.value) if r.value is not None else None
        except ValueError:
            value = None
        out.setdefault(r.row_id, {})[r.field] = value
    return out


def lead_response_figures(office, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per owner unit (州市): leads, median hours to the first reply, on-time share of the
    completed clocks, clocks overdue now."""
    from zsapp.projects.common import prefecture_name
    from zsapp.sync import protocol as p

    with office.engine.connect() as conn:
        leads = _records(conn, "leads", LEAD_FIELDS)
        steps = _records(conn, "lead_steps", STEP_FIELDS)
        units = {
            r.row_id: r.owner_unit
            for r in conn.execute(
                sa.select(s.records.c.row_id, s.records.c.owner_unit).where(
                    s.records.c.tbl == "leads"
                )
            )
        }
    rows = []
    for step in steps.values():
        lead_id = step.get("lead_id") or ""
        lead = leads.get(lead_id)
        if not lead or lead.get("deleted") or step.get("deleted"):
            continue
        rows.append(
            {
                "grp": p.unit_key(units.get(lead_id, "")),
                "id": lead_id,
                "received_at": lead.get("received_at") or "",
                "seq": step.get("seq") or 0,
                "due_at": step.get("due_at") or "",
                "done_at": step.get("done_at") or "",
                "open": (lead.get("status") or "跟进中") == "跟进中",
            }
        )
    now = (now or datetime.now()).replace(second=0, microsecond=0)
    return figures_from_rows(rows, now, lambda code: prefecture_name(code) or code)
