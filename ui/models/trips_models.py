"""Qt models of the 出差 page: the paged model over zsapp.trips (trips, a trip's planned
meetings, leads); all data comes from core functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ui.models.paged import ID_ROLE, ROW_ROLE, Column, PagedModel
from zsapp.trips import leads
from zsapp.trips import trips as T

__all__ = ["ID_ROLE", "ROW_ROLE", "LeadModel", "MeetingModel", "TripListModel"]


class TripListModel(PagedModel):
    COLUMNS = [
        Column(
            "title",
            "出差",
            None,
            tooltip=lambda r: f"{r['title']}（{'、'.join(r['destination_names'])}）",
        ),
        Column("dates", "日期", None, lambda r: f"{r['start_date'][5:]}～{r['end_date'][5:]}"),
        Column("met", "拜访", None, lambda r: f"{r['met']}/{r['meetings']}", True),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store

    def count(self) -> int:
        return T.count_trips(self.store)

    def fetch(self, offset: int, limit: int, after) -> list[dict[str, Any]]:
        return T.list_trips(self.store, limit=limit, offset=offset)


def _people(r: dict[str, Any]) -> str:
    return "、".join(p["name"] for p in r["people"])


class MeetingModel(PagedModel):
    COLUMNS = [
        Column("starts_at", "时间", None, lambda r: r["starts_at"].replace("T", " ")),
        Column(
            "where",
            "城市 / 地点",
            None,
            lambda r: " ".join(x for x in (r["city_name"], r["place"]) if x),
        ),
        Column(
            "company",
            "企业",
            None,
            lambda r: r["company_name"] + ("【失信】" if r["company_dishonest"] else ""),
            colour=lambda r: "#b00020" if r["company_dishonest"] else None,
        ),
        Column("people", "对方人员", None, _people),
        Column(
            "projects", "拟推介项目", None, lambda r: "、".join(p["code"] for p in r["projects"])
        ),
        Column(
            "state",
            "状态",
            None,
            lambda r: "已记录拜访" if r["visit_id"] else "待拜访",
            colour=lambda r: "#1e7b34" if r["visit_id"] else None,
        ),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.trip_id: str | None = None

    def count(self) -> int:
        return T.count_meetings(self.store, self.trip_id) if self.trip_id else 0

    def fetch(self, offset: int, limit: int, after) -> list[dict[str, Any]]:
        if not self.trip_id:
            return []
        return T.list_meetings(self.store, self.trip_id, limit=limit, offset=offset)


class LeadModel(PagedModel):
    COLUMNS = [
        Column("received_at", "收到", None, lambda r: r["received_at"].replace("T", " ")),
        Column("title", "线索", None),
        Column("company_name", "企业", None),
        Column("source", "来源", None),
        Column("next", "下一步", None, lambda r: r["next_step"] or r["status"]),
        Column(
            "remaining",
            "时限",
            None,
            lambda r: r["next_remaining"],
            colour=lambda r: {"overdue": "#b00020", "due": "#a05a00"}.get(r["next_state"]),
        ),
    ]

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.trip_id = ""
        self.everything = False

    def _filter(self) -> dict[str, Any]:
        return {"status": None, "trip_id": "" if self.everything else self.trip_id}

    def count(self) -> int:
        if not (self.trip_id or self.everything):
            return 0
        return leads.count_leads(self.store, **self._filter())

    def fetch(self, offset: int, limit: int, after) -> list[dict[str, Any]]:
        return leads.list_leads(
            self.store, **self._filter(), limit=limit, offset=offset, now=self.clock()
        )
