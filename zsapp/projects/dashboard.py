"""首页 dashboard numbers, all SQL aggregates over integer columns (exact money sums)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zsapp import profile
from zsapp.projects import status
from zsapp.projects.common import BIG_PROJECT_WAN, today
from zsapp.projects.projects import STALLED_SQL, stalled_cutoff
from zsapp.projects.stages import STAGES
from zsapp.store import Store

TARGET_SETTING = "projects.funds_target_wan"  # {"2026": 500000, …} 本人年度到位资金目标（万元）


def funds_target(store: Store, year: int) -> int | None:
    value = (store.get_setting(TARGET_SETTING) or {}).get(str(year))
    return int(value) if value is not None else None


def set_funds_target(store: Store, year: int, amount_wan: int | None) -> None:
    from zsapp.projects.common import ProjectError

    if amount_wan is not None and (not isinstance(amount_wan, int) or amount_wan < 0):
        raise ProjectError("到位资金目标应为不小于 0 的整数（万元）")
    targets = dict(store.get_setting(TARGET_SETTING) or {})
    if amount_wan is None:
        targets.pop(str(year), None)
    else:
        targets[str(year)] = amount_wan
    store.set_setting(TARGET_SETTING, targets)


def default_owner(store: Store) -> str:
    return profile.get_profile(store).name


def dashboard(
    store: Store,
    *,
    owner: str | None = None,
    year: int | None = None,
    now: dt.date | None = None,
    stalled_limit: int = 10,
) -> dict[str, Any]:
    """My projects by stage, ≥10亿 projects, 500强 investors, 到位资金 this year by month
    (against my target), overdue follow-ups and stalled projects. ``owner`` '' = everyone."""
    now = now or today()
    year = year or now.year
    owner = default_owner(store) if owner is None else owner
    status.ensure(store)
    # project_status holds one derived row per live project (stage, last activity, owner copy).
    mine_ps = "ps.owner_officer = :owner" if owner else "1"
    mine = "p.deleted = 0" + (" AND p.owner_officer = :owner" if owner else "")
    params = {
        "owner": owner,
        "cutoff": stalled_cutoff(store, now),
        "y0": f"{year}-01",
        "y1": f"{year}-12",
        "today": now.isoformat(),
        "big": BIG_PROJECT_WAN,
    }
    by_stage = dict.fromkeys(STAGES, 0)
    for row in store.query(
        f"SELECT ps.stage, count(*) AS n FROM project_status ps WHERE {mine_ps} GROUP BY ps.stage",
        params,
    ):
        if row["stage"]:
            by_stage[row["stage"]] = row["n"]
    totals = store.query_one(
        f"SELECT count(*) AS projects, "
        f"coalesce(sum(p.total_investment_wan >= :big), 0) AS big_projects, "
        f"coalesce(sum(CASE WHEN p.total_investment_wan >= :big THEN p.total_investment_wan END), 0) AS big_investment_wan "
        f"FROM projects p WHERE {mine}",
        params,
    )
    if totals is None:
        raise RuntimeError("项目汇总查询没有返回结果")
    fortune500 = store.scalar(
        f"SELECT count(DISTINCT c.id) FROM projects p JOIN project_investors pi ON pi.project_id = p.id AND pi.deleted = 0 "
        f"JOIN companies c ON c.id = pi.company_id AND c.deleted = 0 AND c.is_fortune500 = 1 WHERE {mine}",
        params,
    )
    months: dict[str, dict[str, Any]] = {
        f"{year}-{m:02d}": {"month": f"{year}-{m:02d}", "total_wan": 0, "outside_industrial_wan": 0}
        for m in range(1, 13)
    }
    for row in store.query(
        f"SELECT f.month, sum(f.amount_wan) AS total_wan, "
        f"sum(CASE WHEN f.outside_province = 1 AND f.industrial = 1 THEN f.amount_wan ELSE 0 END) AS outside_industrial_wan "
        f"FROM project_funds f INDEXED BY project_funds_month "
        f"WHERE f.deleted = 0 AND f.month BETWEEN :y0 AND :y1 "
        f"AND f.project_id IN (SELECT ps.project_id FROM project_status ps WHERE {mine_ps}) GROUP BY f.month",
        params,
    ):
        months[row["month"]].update(
            total_wan=row["total_wan"], outside_industrial_wan=row["outside_industrial_wan"]
        )
    stalled_where = f"{mine_ps} AND {STALLED_SQL}"
    stalled_count = store.scalar(
        f"SELECT count(*) FROM project_status ps WHERE {stalled_where}", params
    )
    stalled = store.query(
        f"SELECT p.id, p.code, p.name, ps.stage, ps.last_activity_on FROM project_status ps "
        f"JOIN projects p ON p.id = ps.project_id WHERE {stalled_where} "
        f"ORDER BY ps.last_activity_on, ps.project_id LIMIT {int(stalled_limit)}",
        params,
    )
    overdue = store.scalar(
        "SELECT count(*) FROM followups WHERE deleted = 0 AND done = 0 AND due_date <> '' AND due_date < :today",
        params,
    )
    year_total = sum(m["total_wan"] for m in months.values())
    year_outside_industrial = sum(m["outside_industrial_wan"] for m in months.values())
    return {
        "owner": owner,
        "year": year,
        "projects": totals["projects"],
        "by_stage": by_stage,
        "big_projects": totals["big_projects"],
        "big_investment_wan": totals["big_investment_wan"],
        "fortune500_investors": fortune500,
        "funds_by_month": list(months.values()),
        "funds_year_wan": year_total,
        "funds_year_outside_industrial_wan": year_outside_industrial,
        "funds_target_wan": funds_target(store, year),
        "overdue_followups": overdue,
        "stalled_count": stalled_count,
        "stalled": stalled,
    }
