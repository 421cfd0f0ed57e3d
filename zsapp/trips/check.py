"""出发前检查 (before-departure check): what is not yet synced, which planned meetings have no
personalised brochure yet (one call generates them all), and missing contact data."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from zsapp.brochure import BrochureError, history
from zsapp.store import Store

from .trips import TripError, get_trip, json_list, list_meetings

BROCHURE_FRESH_DAYS = 30
TRIP_TABLES = ("trips", "trip_meetings", "trip_reports", "leads", "lead_steps")


def _meeting_brochure(store: Store, meeting: dict[str, Any], since: str) -> dict[str, Any] | None:
    """The brochure linked to the meeting, else one generated for its company lately."""
    if meeting["brochure_id"]:
        row = store.get("brochures", meeting["brochure_id"])
        if row:
            return row
    if not meeting["company_id"]:
        return None
    return store.query_one(
        "SELECT * FROM brochures WHERE deleted = 0 AND company_id = ? AND generated_at >= ? "
        "ORDER BY generated_at DESC LIMIT 1",
        (meeting["company_id"], since),
    )


def check(store: Store, trip_id: str) -> dict[str, Any]:
    """Problems to fix before leaving; ``ok`` when there is nothing left to do."""
    from zsapp.sync import client

    trip = get_trip(store, trip_id)
    meetings = list_meetings(store, trip_id)
    sync = client.status(store)
    trip_pending = store.scalar(
        "SELECT count(*) FROM (SELECT DISTINCT table_name, row_id FROM outbox "
        f"WHERE table_name IN ({','.join('?' * len(TRIP_TABLES))}))",
        TRIP_TABLES,
    )
    since = (
        date.fromisoformat(trip["start_date"]) - timedelta(days=BROCHURE_FRESH_DAYS)
    ).isoformat()
    brochures, missing_brochures, contact = [], [], []
    for m in meetings:
        row = _meeting_brochure(store, m, since)
        file_ok = bool(row and row["file_path"] and Path(row["file_path"]).is_file())
        brochures.append(
            {
                "meeting_id": m["id"],
                "company_name": m["company_name"],
                "starts_at": m["starts_at"],
                "brochure_id": row["id"] if row else "",
                "file_path": row["file_path"] if row else "",
                "file_exists": file_ok,
            }
        )
        if not file_ok:
            missing_brochures.append(m["id"])
        problems = []
        if not m["company_id"] or not m["company_name"]:
            problems.append("企业已删除")
        if m["company_dishonest"]:
            problems.append("企业已列入失信惩戒清单，请核实后再洽谈")
        if not m["place"]:
            problems.append("未填写拜访地点")
        if not m["people"]:
            problems.append("未指定对方人员")
        for p in m["people"]:
            if not (p["mobile"] or p["landline"]):
                problems.append(f"{p['name']} 没有电话")
        if problems:
            contact.append(
                {
                    "meeting_id": m["id"],
                    "company_name": m["company_name"],
                    "starts_at": m["starts_at"],
                    "problems": problems,
                }
            )
    unsynced = {
        "enrolled": sync["enrolled"],
        "pending_records": sync["pending"],
        "trip_records": trip_pending,
        "last_sync": sync["last_sync"],
        "open_conflicts": sync["open_conflicts"],
    }
    messages = []
    if not sync["enrolled"]:
        messages.append("本设备尚未登记同步，出差数据只在本机")
    elif sync["pending"]:
        messages.append(f"有 {sync['pending']} 条记录的修改尚未同步到省招商办，请在出发前同步")
    if sync["open_conflicts"]:
        messages.append(f"有 {sync['open_conflicts']} 个同步冲突待处理")
    if missing_brochures:
        messages.append(f"{len(missing_brochures)} 场拜访尚未生成个性化推介册")
    if contact:
        messages.append(f"{len(contact)} 场拜访缺少联系信息或需注意")
    if not meetings:
        messages.append("尚未安排拜访")
    return {
        "trip_id": trip_id,
        "ok": not messages,
        "messages": messages,
        "sync": unsynced,
        "brochures": brochures,
        "missing_brochures": missing_brochures,
        "contact_problems": contact,
    }


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_")[:60] or "企业"


def generate_brochures(
    store: Store,
    trip_id: str,
    out_dir: str | os.PathLike,
    *,
    meeting_ids: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """One personalised brochure (致 <company>) per planned meeting still without one: the
    meeting's projects, else the company's industry-matched projects. Each result has
    ``ok`` and either ``file_path`` or a Chinese ``error``; one failure does not stop the rest."""
    todo = meeting_ids if meeting_ids is not None else check(store, trip_id)["missing_brochures"]
    meetings = {m["id"]: m for m in list_meetings(store, trip_id)}
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TripError(f"无法创建文件夹 {out}：{exc.strerror or exc}") from exc
    results = []
    for n, meeting_id in enumerate(todo):
        m = meetings.get(meeting_id)
        if m is None:
            continue
        if progress:
            progress(n, len(todo))
        target = out / f"推介册-{_safe(m['company_name'])}-{m['starts_at'][:10]}.pdf"
        codes = [p["code"] for p in m["projects"]]
        try:
            gen = history.generate(
                store, target, codes=codes or None, company_ref=m["company_id"] or None
            )
        except (BrochureError, OSError) as exc:
            results.append(
                {
                    "meeting_id": meeting_id,
                    "company_name": m["company_name"],
                    "ok": False,
                    "error": str(exc),
                }
            )
            continue
        store.update("trip_meetings", meeting_id, {"brochure_id": gen.history_id})
        results.append(
            {
                "meeting_id": meeting_id,
                "company_name": m["company_name"],
                "ok": True,
                "file_path": str(gen.path),
                "brochure_id": gen.history_id,
                "projects": gen.built.project_codes,
            }
        )
    if progress:
        progress(len(todo), len(todo))
    return results


def brochures_for_trip(store: Store, trip_id: str) -> list[dict[str, Any]]:
    """Brochures linked to the trip's meetings (handed out on the trip)."""
    ids = [m["brochure_id"] for m in list_meetings(store, trip_id) if m["brochure_id"]]
    if not ids:
        return []
    return store.query(
        "SELECT id, company_name, generated_at, project_codes, file_path FROM brochures "
        "WHERE deleted = 0 AND id IN (SELECT value FROM json_each(?)) ORDER BY generated_at",
        [json.dumps(ids)],
    )


__all__ = ["brochures_for_trip", "check", "generate_brochures", "json_list"]
