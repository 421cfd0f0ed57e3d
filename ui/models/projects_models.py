"""Qt model for the 项目 list: rows from zsapp.projects.list_projects (SQL filters, SQL
sorting, LIMIT/OFFSET pages fetched lazily)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from ui.models.contacts_models import ID_ROLE, ROW_ROLE, Column, LazySqlModel
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


class ProjectListModel(LazySqlModel):
    COLUMNS = [
        Column("code", "编号", "code"),
        Column("name", "项目名称", "name"),
        Column("stage", "阶段", "stage", _stage),
        Column("location", "州市 › 园区", "prefecture", _location),
        Column(
            "investment",
            "总投资（亿元）",
            "investment",
            lambda r: wan_to_yi_text(r.get("total_investment_wan")),
            True,
        ),
        Column("admission", "准入预审", "admission"),
        Column("activity", "最近动态", "activity", lambda r: r.get("last_activity_on") or ""),
        Column("owner", "负责人", "owner"),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = P.ProjectFilter()
        self.sort_key = "updated"
        self.descending = True

    def fetch(self, limit: int, offset: int) -> list[dict[str, Any]]:
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

    def total(self) -> int:
        return P.count_projects(self.store, self.filter)

    def extra_data(self, row: dict[str, Any], column: Column, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.key == "admission" and row.get("admission") in ADMISSION_COLOURS:
                return QBrush(QColor(ADMISSION_COLOURS[row["admission"]]))
            if column.key == "stage" and row.get("stalled"):
                return QBrush(QColor("#b00020"))
        return None
