"""Stage history: 线索 → 在谈 → 签约 → 开工 → 投产, plus 停滞 and 终止.

The current stage is never stored on the project: it is the latest live row of
``project_stages`` (by ``changed_on``, then creation HLC). Moving past 在谈 (to 签约, 开工
or 投产) needs a clean 准入预审 or a recorded override of every 不通过 rule.
"""

from __future__ import annotations

import datetime as dt
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
        if latest and latest["stage"] == stage:
            raise ProjectError(f"项目已处于“{stage}”阶段")
        if latest and day.isoformat() < latest["changed_on"]:
            raise ProjectError(f"阶段变更日期不能早于上一次变更（{latest['changed_on']}）")
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
