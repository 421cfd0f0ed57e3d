"""Stage history: 线索 → 在谈 → 签约 → 开工 → 投产, plus 停滞 and 终止.

The current stage is never stored on the project: it is the latest live row of
``project_stages`` (by ``changed_on``, then creation HLC). Moving past 在谈 (to 签约, 开工
or 投产) needs a clean 准入预审 or a recorded override of every 不通过 rule.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from zsapp.projects.common import ProjectError, ProjectNotFound, parse_date, today
from zsapp.store import Store

PIPELINE = ("线索", "在谈", "签约", "开工", "投产")
HOLDS = ("停滞", "终止")
STAGES = PIPELINE + HOLDS
GATED = ("签约", "开工", "投产")  # past 在谈: needs admission cleared


class AdmissionBlocked(ProjectError):
    pass


def history(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, stage, changed_on, note, created_at, updated_by FROM project_stages "
        "WHERE project_id = ? AND deleted = 0 ORDER BY changed_on, created_at",
        (project_id,),
    )


def current(store: Store, project_id: str) -> dict[str, Any] | None:
    return store.query_one(
        "SELECT stage, changed_on, note FROM project_stages WHERE project_id = ? AND deleted = 0 "
        "ORDER BY changed_on DESC, created_at DESC LIMIT 1",
        (project_id,),
    )


def current_stage(store: Store, project_id: str) -> str:
    row = current(store, project_id)
    return row["stage"] if row else ""


def change_stage(
    store: Store,
    project_id: str,
    stage: str,
    note: str = "",
    on: str | dt.date | None = None,
    *,
    now: dt.date | None = None,
) -> str:
    """Record a stage change; returns the new history row id."""
    from zsapp.projects import admission

    stage = (stage or "").strip()
    if stage not in STAGES:
        raise ProjectError(f"未知的阶段“{stage}”，可选：{'、'.join(STAGES)}")
    now = now or today()
    day = parse_date(on, "阶段日期") if on else now
    if day > now:
        raise ProjectError("阶段变更日期不能晚于今天")
    with store.transaction():
        if not store.get("projects", project_id):
            raise ProjectNotFound("找不到该项目")
        latest = current(store, project_id)
        backdated = latest is not None and day.isoformat() < latest["changed_on"]
        if latest is not None and backdated and not (note or "").strip():
            raise ProjectError(
                f"补录早于最近一次变更（{latest['changed_on']}）的阶段时，请在备注里写明原因"
            )
        _check_neighbours(store, project_id, stage, day.isoformat())
        if stage in GATED:
            blocking = admission.blocking_rules(store, project_id)
            if blocking:
                rules = "；".join(f"{r.label}：{r.reason}" for r in blocking)
                raise AdmissionBlocked(
                    f"准入预审有“不通过”的规则，项目不能进入“{stage}”阶段。"
                    f"请先记录放行决定（理由与决策人，如集体决策）。{rules}"
                )
        return store.insert(
            "project_stages",
            {
                "project_id": project_id,
                "stage": stage,
                "changed_on": day.isoformat(),
                "note": (note or "").strip(),
            },
        )


def _check_neighbours(
    store: Store, project_id: str, stage: str, day: str, exclude_id: str | None = None
) -> None:
    """History stays ordered by date; an entry may not repeat the stage just before or
    after it (that would be the same stage recorded twice)."""
    rows = [r for r in history(store, project_id) if r["id"] != exclude_id]
    before = [r for r in rows if r["changed_on"] <= day]
    after = [r for r in rows if r["changed_on"] > day]
    if before and before[-1]["stage"] == stage:
        raise ProjectError(f"项目在 {before[-1]['changed_on']} 已处于“{stage}”阶段")
    if after and after[0]["stage"] == stage:
        raise ProjectError(
            f"历史里 {after[0]['changed_on']} 已记录“{stage}”；如日期有误，请修改那条阶段记录的日期"
        )


def update_entry(
    store: Store,
    entry_id: str,
    *,
    stage: str | None = None,
    changed_on: str | dt.date | None = None,
    note: str | None = None,
    now: dt.date | None = None,
) -> dict[str, Any]:
    """Correct one stage-history entry (its stage, date or reason)."""
    row = store.get("project_stages", entry_id)
    if row is None:
        raise ProjectError("找不到这条阶段记录")
    changes: dict[str, Any] = {}
    new_stage = (stage or row["stage"]).strip()
    if new_stage not in STAGES:
        raise ProjectError(f"未知的阶段“{new_stage}”，可选：{'、'.join(STAGES)}")
    day = parse_date(changed_on, "阶段日期").isoformat() if changed_on else row["changed_on"]
    if day > (now or today()).isoformat():
        raise ProjectError("阶段变更日期不能晚于今天")
    with store.transaction():
        _check_neighbours(store, row["project_id"], new_stage, day, exclude_id=entry_id)
        if new_stage in GATED and new_stage != row["stage"]:
            from zsapp.projects import admission

            if admission.blocking_rules(store, row["project_id"]):
                raise AdmissionBlocked(f"准入预审有“不通过”的规则，项目不能进入“{new_stage}”阶段")
        changes = {"stage": new_stage, "changed_on": day}
        if note is not None:
            changes["note"] = note.strip()
        return store.update("project_stages", entry_id, changes)


def delete_entry(store: Store, entry_id: str) -> None:
    """Remove a wrongly recorded stage entry (to the recycle bin)."""
    row = store.get("project_stages", entry_id)
    if row is None:
        raise ProjectError("找不到这条阶段记录")
    with store.transaction():
        rows = [r for r in history(store, row["project_id"]) if r["id"] != entry_id]
        for a, b in itertools.pairwise(rows):
            if a["stage"] == b["stage"]:
                raise ProjectError(
                    f"删除后 {a['changed_on']} 和 {b['changed_on']} 会连续两次记录“{a['stage']}”，"
                    "请先修改或删除其中一条"
                )
        store.delete("project_stages", entry_id)


def signed_on(store: Store, project_id: str) -> str:
    """Date of the first 签约 (or later pipeline stage) in the history; '' if none."""
    return (
        store.scalar(
            "SELECT min(changed_on) FROM project_stages WHERE project_id = ? AND deleted = 0 "
            "AND stage IN ('签约', '开工', '投产')",
            (project_id,),
        )
        or ""
    )
