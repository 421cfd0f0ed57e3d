"""Qt model for the 项目 list: the paged model over zsapp.projects.list_projects and
count_projects (filters and sorting in the core)."""

from __future__ import annotations

from typing import Any

from ui.models.paged import ID_ROLE, ROW_ROLE, Column, PagedModel
from zsapp.projects import projects as P
from zsapp.projects.common import wan_to_yi_text

__all__ = ["ID_ROLE", "ROW_ROLE", "ProjectListModel"]

ADMISSION_COLOURS = {"不通过": "#b00020", "需人工确认": "#a15c00", "通过": "#1e7b34"}


def _stage(row: dict[str, Any]) -> str:
    return (
        f"{row['stage']} · 疑似停滞"
        if row.get("stalled") and row.get("stage") != "停滞"
        else (row.get("stage") or "")
    )


def _location(row: dict[str, Any]) -> str:
    return " › ".join(x for x in (row.get("prefecture"), row.get("park")) if x)


def _stage_colour(row: dict[str, Any]) -> str | None:
    return "#b00020" if row.get("stalled") else None


def _admission_colour(row: dict[str, Any]) -> str | None:
    return ADMISSION_COLOURS.get(row.get("admission") or "")


class ProjectListModel(PagedModel):
    COLUMNS = [
        Column("code", "编号", "code"),
        Column("name", "项目名称", "name"),
        Column("stage", "阶段", "stage", _stage, colour=_stage_colour),
        Column("location", "州市 › 园区", "prefecture", _location),
        Column(
            "investment",
            "总投资（亿元）",
            "investment",
            lambda r: wan_to_yi_text(r.get("total_investment_wan")),
            True,
        ),
        Column("admission", "准入预审", "admission", colour=_admission_colour),
        Column("activity", "最近动态", "activity", lambda r: r.get("last_activity_on") or ""),
        Column("owner", "负责人", "owner"),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = P.ProjectFilter()
        self.sort_key = "updated"
        self.descending = True

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        return P.list_projects(
            self.store,
            self.filter,
            sort=self.sort_key,
            descending=self.descending,
            limit=limit,
            offset=offset,
        )

    def set_filter(self, flt: P.ProjectFilter) -> None:
        self.filter = flt
        self.reload()

    def count(self) -> int:
        return P.count_projects(self.store, self.filter)
