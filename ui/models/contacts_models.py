"""Qt models for 客商与拜访: paged models (ui/models/paged.py) over the core's list and
count functions; sorting and filtering happen in the core."""

from __future__ import annotations

import json
from typing import Any

from ui.models.paged import ID_ROLE, PAGE_SIZE, ROW_ROLE, Column, PagedModel
from zsapp.contacts import companies, visits

__all__ = ["ID_ROLE", "PAGE_SIZE", "ROW_ROLE", "CompanyListModel", "FollowupModel"]
SEARCH_PAGE_SIZE = 50  # with a search query, rank only what fills the view first
DISHONEST = "#b00020"


def _flags(row: dict[str, Any]) -> str:
    marks = [
        ("is_fortune500", "世界500强"),
        ("is_china500", "中国500强"),
        ("is_specialized_giant", "小巨人"),
        ("is_single_champion", "单项冠军"),
        ("is_listed", "上市"),
    ]
    return "、".join(label for key, label in marks if row.get(key))


def _origin(row: dict[str, Any]) -> str:
    if row.get("region_tag") == "境外":
        return row.get("country") or "境外"
    return " ".join(x for x in (row.get("origin_province"), row.get("origin_city")) if x)


def _dishonest_colour(row: dict[str, Any]) -> str | None:
    return DISHONEST if row.get("is_dishonest") else None


def _dishonest_tip(row: dict[str, Any]) -> str | None:
    return "已列入失信惩戒措施基础清单" if row.get("is_dishonest") else None


def _company_column(key, title, sort, fmt=None, align_right=False) -> Column:
    return Column(key, title, sort, fmt, align_right, _dishonest_colour, None, _dishonest_tip)


class CompanyListModel(PagedModel):
    COLUMNS = [
        _company_column("name", "企业名称", "name"),
        _company_column("region_tag", "区域", "region_tag"),
        _company_column("origin", "来源地", "origin_province", _origin),
        _company_column("ownership", "所有制", "ownership"),
        _company_column("flags", "标记", None, _flags),
        _company_column(
            "revenue_wan",
            "营收（万元）",
            "revenue_wan",
            lambda r: f"{r['revenue_wan']:,}" if r.get("revenue_wan") is not None else "",
            True,
        ),
        _company_column("employees", "员工", "employees", None, True),
        _company_column(
            "tags", "标签", None, lambda r: "、".join(json.loads(r.get("tags") or "[]"))
        ),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = companies.CompanyFilter()
        self.sort_key = "name"

    def set_filter(self, flt: companies.CompanyFilter) -> None:
        self.filter = flt
        self.page_size = SEARCH_PAGE_SIZE if flt.query.strip() else PAGE_SIZE
        self.reload()

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        # With a search query and no explicit sort the best matches come first.
        sort = self.sort_key if (self.sort_key != "name" or not self.filter.query.strip()) else ""
        return companies.list_companies(
            self.store,
            self.filter,
            sort=sort,
            descending=self.descending,
            limit=limit,
            offset=offset,
            after=after,
        )

    def count(self) -> int:
        return companies.count_companies(self.store, self.filter)


class VisitListModel(PagedModel):
    COLUMNS = [
        Column(
            "visited_at",
            "时间",
            "visited_at",
            lambda r: (r.get("visited_at") or "").replace("T", " "),
        ),
        Column("kind", "方式", None),
        Column("companies", "企业", None),
        Column("people", "对方人员", None),
        Column("city", "城市", None),
        Column("outcome", "意向", None),
        Column("notes", "纪要", None, lambda r: (r.get("notes") or "").replace("\n", " ")[:60]),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.query = ""
        self.since = ""
        self.until = ""
        self.sort_key = "visited_at"
        self.descending = True

    def set_filter(self, query: str = "", since: str = "", until: str = "") -> None:
        self.query, self.since, self.until = query, since, until
        self.page_size = SEARCH_PAGE_SIZE if query.strip() else PAGE_SIZE
        self.reload()

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        return visits.list_visits(
            self.store,
            self.query,
            since=self.since,
            until=self.until,
            limit=limit,
            offset=offset,
            descending=self.descending,
            after=after,
        )

    def count(self) -> int:
        return visits.count_visits_matching(self.store, self.query, self.since, self.until)


def _followup_due(row: dict[str, Any]) -> str:
    state = "（已逾期）" if row["overdue"] else "（今天）" if row["due_today"] else ""
    return f"{row['due_date']}{state}"


def _followup_colour(row: dict[str, Any]) -> str | None:
    return DISHONEST if row["overdue"] else None


def _followup_background(row: dict[str, Any]) -> str | None:
    return "#fdecee" if row["overdue"] else "#fff7e0" if row["due_today"] else None


def _followup_column(key, title, fmt) -> Column:
    return Column(key, title, None, fmt, False, _followup_colour, _followup_background)


class FollowupModel(PagedModel):
    """Open follow-ups due within N days (a short list: never the whole table); the check
    box marks one done."""

    COLUMNS = [
        _followup_column("done", "", lambda r: ""),
        _followup_column("due_date", "截止日期", _followup_due),
        _followup_column("text", "跟进事项", None),
        _followup_column("companies", "企业", lambda r: r.get("companies") or ""),
        _followup_column(
            "visited_at", "拜访时间", lambda r: (r.get("visited_at") or "").replace("T", " ")
        ),
    ]

    def __init__(self, store, due_within: int = 7, parent=None) -> None:
        super().__init__(parent, checkable=True, page_size=50)
        self.store = store
        self.due_within = due_within
        self.summary = {"open": 0, "overdue": 0, "today": 0}

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        return visits.list_followups(
            self.store, due_within=self.due_within, limit=limit, offset=offset
        )

    def count(self) -> int:
        self.summary = visits.count_followups(self.store, self.due_within)
        return self.summary["open"]

    def is_checked(self, row: dict[str, Any]) -> bool:
        return bool(row["done"])

    def on_checked(self, row: dict[str, Any], on: bool) -> bool:
        visits.set_followup_done(self.store, row["id"], on)
        row["done"] = int(on)  # the list reloads from the store's change event
        n = self.row_of(row["id"])
        if n >= 0:
            self.dataChanged.emit(self.index(n, 0), self.index(n, len(self.COLUMNS) - 1))
        return True
