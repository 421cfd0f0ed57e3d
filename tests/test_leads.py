"""线索承诺: response clocks driven by an injected time source (no sleeps)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from zsapp import profile
from zsapp.contacts import companies
from zsapp.trips import briefing, leads
from zsapp.trips import trips as T
from zsapp.trips.trips import TripError

T0 = datetime(2026, 3, 2, 9, 0)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


def test_default_clocks_run_from_receipt(store):
    clock = FakeClock(T0)
    lid = leads.create_lead(store, {"title": "扩产意向", "source": "出差拜访"}, now=clock())
    steps = leads.steps(store, lid)
    assert [(s["label"], s["due_at"]) for s in steps] == [
        ("答复", "2026-03-03T09:00"),
        ("评估", "2026-03-05T09:00"),
        ("反馈", "2026-03-09T09:00"),
        ("报告", "2026-03-16T09:00"),
    ]
    assert leads.due_steps(store, now=clock(), within_hours=1) == []
    clock.advance(hours=10)  # within a day of the reply deadline
    due = leads.due_steps(store, now=clock())
    assert [(d["label"], d["overdue"]) for d in due] == [("答复", False)]
    assert due[0]["remaining"] == "剩余 14 小时"
    clock.advance(days=1)
    due = leads.due_steps(store, now=clock())
    assert due[0]["overdue"] and due[0]["remaining"] == "已逾期 10 小时"
    data = leads.advance(store, lid, note="已电话答复", now=clock())
    assert data["steps"][0]["state"] == "late" and data["steps"][0]["note"] == "已电话答复"
    assert data["next_step"] == "评估"
    # only the first open step of a lead is due; 评估 is 2 days away → not due yet
    assert leads.due_steps(store, now=clock()) == []
    for _ in range(3):
        clock.advance(hours=1)
        data = leads.advance(store, lid, now=clock())
    assert data["status"] == "已办结" and data["next_step"] == ""
    assert [s["state"] for s in data["steps"]] == ["late", "done", "done", "done"]
    with pytest.raises(TripError, match="不能再推进"):
        leads.advance(store, lid, now=clock())


def test_configured_clocks_apply_to_new_leads_only(store):
    old = leads.create_lead(store, {"title": "旧线索"}, now=T0)
    items = leads.set_clocks(store, "答复=12h,评估=2d,报告=1w")
    assert [c["hours"] for c in items] == [12, 48, 168]
    new = leads.create_lead(store, {"title": "新线索"}, now=T0)
    assert [s["due_at"] for s in leads.steps(store, new)] == [
        "2026-03-02T21:00",
        "2026-03-04T09:00",
        "2026-03-09T09:00",
    ]
    assert len(leads.steps(store, old)) == 4
    with pytest.raises(TripError, match="先后顺序"):
        leads.set_clocks(store, "答复=3d,评估=1d")
    with pytest.raises(TripError, match="格式不正确"):
        leads.set_clocks(store, "答复=soon")
    assert [c["label"] for c in leads.reset_clocks(store)] == ["答复", "评估", "反馈", "报告"]


def test_lead_validation_and_sync_columns(store):
    with pytest.raises(TripError, match="线索来源"):
        leads.create_lead(store, {"title": "x", "source": "小道消息"}, now=T0)
    with pytest.raises(TripError, match="不能为空"):
        leads.create_lead(store, {"title": " "}, now=T0)
    lid = leads.create_lead(store, {"title": "x", "received_at": "2026-03-01 08:00"}, now=T0)
    row = store.get("leads", lid)
    assert row["received_at"] == "2026-03-01T08:00" and row["updated_by"] == store.device_id
    with pytest.raises(TripError, match="不能修改"):
        leads.update_lead(store, lid, {"received_at": "2026-03-02"})


def test_briefing_shows_clocks_due_during_trip(store):
    cid = companies.create_company(store, {"name": "苏州某材料", "origin_city": "苏州"})
    trip = T.create_trip(
        store, {"destinations": "苏州", "start_date": "2026-03-04", "end_date": "2026-03-06"}
    )
    leads.create_lead(store, {"title": "回复报价", "company_id": cid}, now=T0)
    data = briefing.briefing(store, trip, now=T0 + timedelta(hours=1))
    assert [d["title"] for d in data["leads_due"]] == ["回复报价"]
    entry = data["companies"][0]
    assert entry["leads_due"][0]["label"] == "答复"


def test_response_figures_per_prefecture(store):
    profile.save_profile(store, profile.OfficerProfile(name="张三", prefecture="大理州"))
    a = leads.create_lead(store, {"title": "a"}, now=T0)
    b = leads.create_lead(store, {"title": "b", "prefecture": "昆明"}, now=T0)
    leads.advance(store, a, now=T0 + timedelta(hours=6))
    leads.advance(store, b, now=T0 + timedelta(hours=30))
    figures = {
        r["prefecture_name"]: r for r in leads.response_figures(store, now=T0 + timedelta(days=4))
    }
    assert figures["大理白族自治州"]["median_first_reply_hours"] == 6.0
    assert figures["大理白族自治州"]["on_time_rate"] == 1.0
    assert figures["昆明市"]["on_time_rate"] == 0.0
    assert figures["昆明市"]["overdue_now"] == 1  # 评估 due after 3 days, not done
