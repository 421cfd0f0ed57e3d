"""推荐客商 ranking and 失信 exclusion; 首页 dashboard aggregates against a hand-computed fixture."""

from __future__ import annotations

import datetime as dt

from zsapp.contacts import visits as visits_mod
from zsapp.projects import dashboard, funds, recommend, stages
from zsapp.projects import projects as P

TODAY = dt.date(2026, 11, 20)


def company(store, name, items=(), **flags):
    cid = store.insert("companies", {"name": name, **flags})
    for item in items:
        store.insert("company_items", {"company_id": cid, "item_id": item})
    return cid


def make(store, name, **kw):
    kw.setdefault("now", TODAY)
    kw.setdefault("stage_on", "2026-06-01")
    return P.create_project(store, name=name, **kw)


def test_recommendation_ranking_and_dishonest_exclusion(store):
    pid = make(store, "锡基新材料项目", item_ids=["I06-04"])
    plain_same_item = company(store, "甲锡业", ["I06-04"])
    giant_same_industry = company(store, "乙新材料", ["I06-01"], is_fortune500=1)  # 50 + 40 = 90
    f500_same_item = company(store, "丙集团", ["I06-04"], is_fortune500=1)  # 100 + 40
    little_giant = company(store, "丁科技", ["I06-04"], is_specialized_giant=1)  # 100 + 20
    contacted = company(store, "戊公司", ["I06-04"])  # 100 + recent contact 15
    visits_mod.create_visit(store, {"visited_at": "2026-10-30T09:00"}, companies=[contacted])
    dishonest = company(store, "己失信", ["I06-04"], is_fortune500=1, is_dishonest=1)
    company(store, "庚咖啡", ["I01-06"], is_fortune500=1)  # other industry: not recommended
    already = company(store, "辛投资方", ["I06-04"], is_fortune500=1)
    P.add_investor(store, pid, already)
    merged = company(store, "壬旧名", ["I06-04"], is_fortune500=1)
    store.update("companies", merged, {"merged_into": plain_same_item})

    result = recommend.recommend(store, pid, now=TODAY)
    names = [c["name"] for c in result["companies"]]
    assert names == ["丙集团", "丁科技", "戊公司", "甲锡业", "乙新材料"]  # 140, 120, 115, 100, 90
    assert result["companies"][0]["reasons"] == ["同一目录条目", "世界500强"]
    assert result["companies"][0]["score"] == 140
    assert [e["name"] for e in result["excluded_dishonest"]] == ["己失信"]
    assert dishonest not in {c["company_id"] for c in result["companies"]}
    assert giant_same_industry and f500_same_item and little_giant


def test_dashboard_matches_hand_computed_fixture(store):
    from zsapp import profile

    profile.save_profile(store, profile.OfficerProfile(name="张伟"))
    f500 = company(store, "世界500强甲", is_fortune500=1)
    f500b = company(store, "世界500强乙", is_fortune500=1)
    plain = company(store, "普通企业")
    a = make(store, "甲项目", total_investment_yi="12", investors=[(f500, "签约主体")])
    b = make(store, "乙项目", total_investment_yi="10", investors=[(f500, "意向"), (f500b, "意向")])
    c = make(store, "丙项目", total_investment_yi="9.9999", investors=[(plain, "意向")])
    d = make(store, "丁项目", stage_on="2026-01-05")
    other = make(
        store,
        "他人项目",
        total_investment_yi="50",
        owner_officer="李四",
        investors=[(f500b, "意向")],
    )
    stages.change_stage(store, a, "在谈", on="2026-07-01", now=TODAY)
    stages.change_stage(store, a, "签约", on="2026-08-01", now=TODAY)
    stages.change_stage(store, b, "在谈", on="2026-10-01", now=TODAY)
    stages.change_stage(store, c, "终止", on="2026-10-02", now=TODAY)
    funds.add_funds(store, a, "2026-01", 1000)
    funds.add_funds(store, a, "2026-01", 234, outside_province=False)
    funds.add_funds(store, a, "2026-09", 5000)
    funds.add_funds(store, b, "2026-09", 7, industrial=False)
    funds.add_funds(store, b, "2025-12", 99999)  # last year: not counted
    funds.add_funds(store, other, "2026-09", 50000)  # not mine
    dashboard.set_funds_target(store, 2026, 20000)
    v = visits_mod.create_visit(
        store,
        {"visited_at": "2026-03-01T10:00"},
        followups=[
            {"text": "寄送资料", "due_date": "2026-11-01"},
            {"text": "回访", "due_date": "2026-12-01"},
            {"text": "已办", "due_date": "2026-10-01", "done": 1},
        ],
    )
    assert v

    data = dashboard.dashboard(store, year=2026, now=TODAY)
    assert data["owner"] == "张伟" and data["projects"] == 4
    assert data["by_stage"] == {
        "线索": 1,
        "在谈": 1,
        "签约": 1,
        "开工": 0,
        "投产": 0,
        "停滞": 0,
        "终止": 1,
    }
    assert data["big_projects"] == 2 and data["big_investment_wan"] == 220000
    assert data["fortune500_investors"] == 2
    months = {m["month"]: m for m in data["funds_by_month"]}
    assert len(months) == 12
    assert months["2026-01"] == {
        "month": "2026-01",
        "total_wan": 1234,
        "outside_industrial_wan": 1000,
    }
    assert months["2026-09"] == {
        "month": "2026-09",
        "total_wan": 5007,
        "outside_industrial_wan": 5000,
    }
    assert data["funds_year_wan"] == 6241 and data["funds_year_outside_industrial_wan"] == 6000
    assert data["funds_target_wan"] == 20000
    assert data["overdue_followups"] == 1
    # 丁 (线索 since 2026-01-05, no activity) is stalled; 甲 had funds in 09, 乙 stage in 10, 丙 ended.
    assert data["stalled_count"] == 1 and [s["name"] for s in data["stalled"]] == ["丁项目"]
    everyone = dashboard.dashboard(store, owner="", year=2026, now=TODAY)
    assert everyone["projects"] == 5 and everyone["funds_year_outside_industrial_wan"] == 56000
    assert d


def test_funds_sums_are_exact_for_any_amounts(store):
    """Property: whatever integer amounts arrive, the dashboard sums equal Python's exact sums."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pid = make(store, "资金项目", owner_officer="")
    seen = {"total": 0, "outside_industrial": 0}

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        st.lists(
            st.tuples(st.integers(1, 10**12), st.integers(1, 12), st.booleans(), st.booleans()),
            min_size=1,
            max_size=5,
        )
    )
    def check(entries):
        for amount, month, outside, industrial in entries:
            funds.add_funds(
                store,
                pid,
                f"2026-{month:02d}",
                str(amount),
                outside_province=outside,
                industrial=industrial,
            )
            seen["total"] += amount
            if outside and industrial:
                seen["outside_industrial"] += amount
        data = dashboard.dashboard(store, owner="", year=2026, now=TODAY)
        assert data["funds_year_wan"] == seen["total"]
        assert data["funds_year_outside_industrial_wan"] == seen["outside_industrial"]
        assert funds.totals(store, pid)["total_wan"] == seen["total"]

    check()
