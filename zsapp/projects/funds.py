"""到位资金: arrivals by month in integer 万元, flagged 省外/省内 and 产业类.

The policy's targets count 产业类 (not 房地产, 基础设施, 金融类) money from outside the
province, so every sum here is exact integer arithmetic done by SQLite on INTEGER columns.
"""

from __future__ import annotations

from typing import Any

from zsapp.projects.common import ProjectError, ProjectNotFound, parse_decimal, parse_month
from zsapp.store import Store


def parse_amount_wan(value: Any) -> int:
    amount = parse_decimal(value, "到位资金（万元）", allow_blank=False, places=0)
    assert amount is not None
    if amount == 0:
        raise ProjectError("到位资金必须大于 0 万元")
    return int(amount)


def add_funds(
    store: Store,
    project_id: str,
    month: str,
    amount_wan: Any,
    *,
    outside_province: bool = True,
    industrial: bool | None = None,
    note: str = "",
    replace: bool = False,
) -> str:
    """Record money that arrived in ``month``. ``industrial`` defaults to the project's
    category (产业类). With ``replace``, earlier rows of the same month and flags are
    tombstoned first so the month total becomes ``amount_wan``."""
    month = parse_month(month)
    amount = parse_amount_wan(amount_wan)
    with store.transaction():
        project = store.get("projects", project_id)
        if not project:
            raise ProjectNotFound("找不到该项目")
        if industrial is None:
            industrial = project["category"] == "产业类"
        if replace:
            for row in store.query(
                "SELECT id FROM project_funds WHERE project_id = ? AND month = ? AND outside_province = ? "
                "AND industrial = ? AND deleted = 0",
                (project_id, month, int(outside_province), int(industrial)),
            ):
                store.delete("project_funds", row["id"])
        return store.insert(
            "project_funds",
            {
                "project_id": project_id,
                "month": month,
                "amount_wan": amount,
                "outside_province": int(outside_province),
                "industrial": int(bool(industrial)),
                "note": (note or "").strip(),
            },
        )


def delete_funds(store: Store, funds_id: str) -> None:
    """Remove a fund entry (to the recycle bin)."""
    if store.get("project_funds", funds_id) is None:
        raise ProjectError("找不到这条到位资金记录")
    store.delete("project_funds", funds_id)


def update_funds(
    store: Store,
    funds_id: str,
    *,
    month: str | None = None,
    amount_wan: Any = None,
    outside_province: bool | None = None,
    industrial: bool | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Correct a fund entry; fields left as None keep their values."""
    row = store.get("project_funds", funds_id)
    if row is None:
        raise ProjectError("找不到这条到位资金记录")
    changes: dict[str, Any] = {}
    if month is not None:
        changes["month"] = parse_month(month)
    if amount_wan is not None:
        changes["amount_wan"] = parse_amount_wan(amount_wan)
    if outside_province is not None:
        changes["outside_province"] = int(outside_province)
    if industrial is not None:
        changes["industrial"] = int(industrial)
    if note is not None:
        changes["note"] = note.strip()
    return store.update("project_funds", funds_id, changes)


def resolve_entry(store: Store, project_id: str, ref: str) -> str:
    """A fund entry of the project by id or id prefix (≥ 6 characters)."""
    ref = (ref or "").strip()
    found = [
        r["id"]
        for r in rows(store, project_id)
        if r["id"] == ref or (len(ref) >= 6 and r["id"].startswith(ref))
    ]
    if len(found) != 1:
        raise ProjectError(
            f"该项目没有编号为“{ref}”的到位资金记录"
            if not found
            else f"“{ref}”对应多条到位资金记录，请输入完整编号"
        )
    return found[0]


def warnings_for(store: Store, project_id: str, month: str) -> list[str]:
    """Plain warnings about a fund month: money before 签约 is unusual."""
    from zsapp.projects import stages

    month = parse_month(month)
    signed = stages.signed_on(store, project_id)
    if not signed:
        return [f"项目还没有签约记录，{month} 的到位资金请核实（可先在阶段里补录签约日期）"]
    if month < signed[:7]:
        return [f"{month} 早于签约日期（{signed}），请核实这笔到位资金的月份"]
    return []


def rows(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, month, amount_wan, outside_province, industrial, note FROM project_funds "
        "WHERE project_id = ? AND deleted = 0 ORDER BY month, created_at",
        (project_id,),
    )


def by_month(store: Store, project_id: str) -> list[dict[str, Any]]:
    """Per month: total, 省外, 省外产业类 (the target's scope), all in 万元 integers."""
    return store.query(
        "SELECT month, sum(amount_wan) AS total_wan, "
        "sum(CASE WHEN outside_province = 1 THEN amount_wan ELSE 0 END) AS outside_wan, "
        "sum(CASE WHEN outside_province = 1 AND industrial = 1 THEN amount_wan ELSE 0 END) AS outside_industrial_wan "
        "FROM project_funds WHERE project_id = ? AND deleted = 0 GROUP BY month ORDER BY month",
        (project_id,),
    )


def totals(store: Store, project_id: str) -> dict[str, int]:
    row = store.query_one(
        "SELECT coalesce(sum(amount_wan), 0) AS total_wan, "
        "coalesce(sum(CASE WHEN outside_province = 1 THEN amount_wan END), 0) AS outside_wan, "
        "coalesce(sum(CASE WHEN outside_province = 1 AND industrial = 1 THEN amount_wan END), 0) AS outside_industrial_wan "
        "FROM project_funds WHERE project_id = ? AND deleted = 0",
        (project_id,),
    )
    return dict(row or {})
