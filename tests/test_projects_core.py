"""招商项目 core: codes, money, stage history, funds, transfer, stalled flag, search, sync collisions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from zsapp.contacts import visits as visits_mod
from zsapp.projects import codes, funds, parks, stages
from zsapp.projects import projects as P
from zsapp.projects.common import ProjectError, yi_to_wan

TODAY = dt.date(2026, 11, 20)


def company(store, name, **flags):
    return store.insert("companies", {"name": name, **flags})


def make(store, name="绿色铝精深加工项目", **kw):
    kw.setdefault("now", TODAY)
    kw.setdefault("stage_on", "2026-06-01")
    return P.create_project(store, name=name, **kw)


def test_codes_follow_prefecture_year_and_sequence(store):
    a = make(store, prefecture_key="昆明市")
    b = make(store, "第二个", prefecture_key="530100")
    c = make(store, "大理项目", prefecture_key="大理")
    d = make(store, "省级", year=2025)
    codes_ = [store.get("projects", x)["code"] for x in (a, b, c, d)]
    assert codes_ == ["KM-2026-0001", "KM-2026-0002", "DL-2026-0001", "YN-2025-0001"]
    assert len(set(codes.CODE_PREFIXES.values())) == 16


def test_code_collision_from_another_device_is_renumbered_deterministically(store):
    mine = make(store, "本机项目", prefecture_key="昆明")
    # A project made offline on another device with the same code arrives later (sync
    # inserts the row with its own, later HLC) — simulated with store.insert.
    theirs = store.insert(
        "projects", {"code": "KM-2026-0001", "name": "外机项目", "prefecture_code": "530100"}
    )
    assert store.get("projects", mine)["code"] == "KM-2026-0001"
    renamed = store.get("projects", theirs)
    assert renamed["code"] == "KM-2026-0002"
    assert json.loads(renamed["former_codes"]) == ["KM-2026-0001"]
    # The shared code belongs to the project created first; the other keeps its old code on record.
    assert P.find_project(store, "KM-2026-0001")["id"] == mine
    assert P.find_project(store, "km-2026-0002")["id"] == theirs
    assert make(store, "第三", prefecture_key="昆明") and P.find_project(store, "KM-2026-0003")


def test_investment_is_exact_integer_wan(store):
    assert yi_to_wan("12.5") == 125000
    assert yi_to_wan("０.０００１亿") == 1
    assert yi_to_wan("1,234.5678") == 12345678
    with pytest.raises(ProjectError, match="4 位小数"):
        yi_to_wan("0.00001")
    with pytest.raises(ProjectError, match="不是有效的数字"):
        yi_to_wan("十亿")
    with pytest.raises(ProjectError, match="浮点"):
        yi_to_wan(0.1)
    pid = make(store, total_investment_yi="10.0001", land_mu="333.33", tax_per_mu_wan="12.5")
    p = P.get_project(store, pid)
    assert p["total_investment_wan"] == 100001 and p["is_big"]
    assert p["intensity_wan_per_mu"] == "300.01"  # 100001 / 333.33 = 300.009…, rounded half up
    assert str(p["total_investment_yi"]) == "10.0001"


def test_bad_input_is_refused_with_chinese_message_and_nothing_saved(store):
    before = store.count("projects")
    with pytest.raises(ProjectError, match="项目名称"):
        make(store, name="  ")
    with pytest.raises(ProjectError, match="未知的州市"):
        make(store, prefecture_key="火星")
    with pytest.raises(Exception, match="没有条目"):
        make(store, item_ids=["I99-99"])
    with pytest.raises(ProjectError, match="不在"):
        make(store, prefecture_key="大理", park_key="昆明高新技术产业开发区")
    assert store.count("projects") == before
    assert store.count("project_stages") == 0


def test_location_from_park_and_county(store):
    parks.ensure_seeded(store)
    parks.ensure_seeded(store)  # idempotent: same ids on every device
    assert store.count("parks") == 14
    pid = make(store, park_key="P05")
    p = P.get_project(store, pid)
    assert (
        p["prefecture"] == "昆明市"
        and p["park"] == "昆明磨憨边境口岸园区"
        and p["code"].startswith("KM-")
    )
    pid = make(store, prefecture_key="昆明", county_key="安宁市")
    assert P.get_project(store, pid)["county"] == "安宁市"


def test_stage_is_derived_from_history(store):
    pid = make(store)
    assert stages.current_stage(store, pid) == "线索"
    stages.change_stage(store, pid, "在谈", "首次洽谈", "2026-07-01", now=TODAY)
    stages.change_stage(store, pid, "停滞", "企业资金紧张", "2026-08-01", now=TODAY)
    stages.change_stage(store, pid, "在谈", "恢复", "2026-08-01", now=TODAY)
    hist = stages.history(store, pid)
    assert [h["stage"] for h in hist] == ["线索", "在谈", "停滞", "在谈"]
    assert P.get_project(store, pid, now=TODAY)["stage"] == "在谈"
    assert "stage" not in store.columns("projects")
    with pytest.raises(ProjectError, match="已处于"):
        stages.change_stage(store, pid, "在谈", now=TODAY)
    # backdating before the latest change needs a reason (issue 13), then keeps order
    with pytest.raises(ProjectError, match="原因"):
        stages.change_stage(store, pid, "终止", on="2026-07-15", now=TODAY)
    with pytest.raises(ProjectError, match="晚于今天"):
        stages.change_stage(store, pid, "终止", on="2026-12-15", now=TODAY)
    with pytest.raises(ProjectError, match="未知的阶段"):
        stages.change_stage(store, pid, "完工", now=TODAY)
    # A tombstoned history row (e.g. a mistaken entry deleted) no longer counts.
    store.delete("project_stages", hist[-1]["id"])
    assert stages.current_stage(store, pid) == "停滞"
    rows = P.list_projects(store, P.ProjectFilter(stage="停滞"), now=TODAY)
    assert [r["id"] for r in rows] == [pid]


def test_funds_sums_are_exact_and_flagged(store):
    pid = make(store, prefecture_key="昆明")
    infra = make(store, "物流园道路", category="基础设施")
    funds.add_funds(store, pid, "2026-03", "12345")
    funds.add_funds(store, pid, "2026-03", 1, outside_province=False)
    funds.add_funds(store, pid, "2026-10", "９９９９")
    funds.add_funds(store, infra, "2026-10", 5000)
    assert funds.by_month(store, pid) == [
        {
            "month": "2026-03",
            "total_wan": 12346,
            "outside_wan": 12345,
            "outside_industrial_wan": 12345,
        },
        {
            "month": "2026-10",
            "total_wan": 9999,
            "outside_wan": 9999,
            "outside_industrial_wan": 9999,
        },
    ]
    assert funds.totals(store, infra) == {
        "total_wan": 5000,
        "outside_wan": 5000,
        "outside_industrial_wan": 0,
    }
    funds.add_funds(store, pid, "2026-10", 100, replace=True)
    assert funds.totals(store, pid)["total_wan"] == 12346 + 100
    for bad, msg in (("12.5", "小数"), ("-3", "不小于 0"), ("0", "大于 0"), ("abc", "不是有效")):
        with pytest.raises(ProjectError, match=msg):
            funds.add_funds(store, pid, "2026-11", bad)
    with pytest.raises(ProjectError, match="月份"):
        funds.add_funds(store, pid, "2026-13", 5)


def test_transfer_keeps_history_and_reason(store):
    pid = make(store, park_key="昆明高新技术产业开发区", total_investment_yi="3")
    stages.change_stage(store, pid, "在谈", on="2026-07-01", now=TODAY)
    funds.add_funds(store, pid, "2026-07", 800)
    with pytest.raises(ProjectError, match="理由"):
        P.transfer(store, pid, reason=" ", park_key="玉溪高新技术产业开发区")
    with pytest.raises(ProjectError, match="流转"):
        P.update_project(store, pid, park_id="")
    P.transfer(
        store,
        pid,
        reason="不符合本园区主导产业布局",
        park_key="玉溪高新技术产业开发区",
        decided_by="州市招商委",
        on="2026-08-01",
    )
    p = P.get_project(store, pid)
    assert p["prefecture"] == "玉溪市" and p["park"] == "玉溪高新技术产业开发区"
    assert p["code"].startswith("KM-")  # the code is the project's identity; it stays
    [t] = p["transfers"]
    assert (
        t["from_text"] == "昆明市 › 昆明高新技术产业开发区"
        and t["to_text"] == "玉溪市 › 玉溪高新技术产业开发区"
    )
    assert t["reason"] == "不符合本园区主导产业布局" and t["decided_by"] == "州市招商委"
    assert [s["stage"] for s in p["stage_history"]] == ["线索", "在谈"] and p["funds_totals"][
        "total_wan"
    ] == 800
    with pytest.raises(ProjectError, match="相同"):
        P.transfer(store, pid, reason="x", park_key="玉溪高新技术产业开发区")


def test_stalled_flag_uses_last_visit_stage_or_funds(store):
    store.set_setting(P.STALLED_DAYS_SETTING, 90)
    quiet = make(store, "无动静项目", stage_on="2026-01-10")
    visited = make(store, "近期拜访项目", stage_on="2026-01-10")
    funded = make(store, "近期到位项目", stage_on="2026-01-10")
    done = make(store, "已投产项目", stage_on="2026-01-10")
    stages.change_stage(store, done, "投产", on="2026-01-11", now=TODAY)
    visits_mod.create_visit(
        store, {"visited_at": "2026-10-01T10:00", "city": "上海"}, projects=[visited]
    )
    funds.add_funds(store, funded, "2026-09", 100)
    # 已投产 projects are never "stalled".
    flags = {r["name"]: r["stalled"] for r in P.list_projects(store, now=TODAY)}
    assert flags == {
        "无动静项目": True,
        "近期拜访项目": False,
        "近期到位项目": False,
        "已投产项目": False,
    }
    assert (
        P.get_project(store, quiet, now=TODAY)["idle_days"] == (TODAY - dt.date(2026, 1, 10)).days
    )
    assert {
        r["name"] for r in P.list_projects(store, P.ProjectFilter(stalled_only=True), now=TODAY)
    } == {"无动静项目"}
    # The setting changes the threshold.
    P.set_stalled_days(store, 400)
    assert not any(r["stalled"] for r in P.list_projects(store, now=TODAY))
    # Deleting the visit makes the project quiet again (derived status follows tombstones).
    P.set_stalled_days(store, 90)
    vid = store.scalar("SELECT visit_id FROM visit_projects WHERE project_id = ?", (visited,))
    store.delete("visits", vid)
    assert P.get_project(store, visited, now=TODAY)["stalled"]


def test_search_by_name_pinyin_code_and_investor(store):
    cid = company(store, "中国铝业集团有限公司", short_name="中铝")
    pid = make(store, "绿色铝精深加工项目", prefecture_key="昆明", investors=[(cid, "签约主体")])
    make(store, "咖啡庄园", prefecture_key="普洱")
    for query in ("绿色铝", "lvselv", "lsl", "KM-2026-0001", "中铝", "深加"):
        hits = P.search_projects(store, query)
        assert hits and hits[0]["id"] == pid, query
    assert [r["id"] for r in P.list_projects(store, P.ProjectFilter(query="kafei"))] != [pid]
    P.delete_project(store, pid)
    assert P.search_projects(store, "绿色铝") == []
    assert P.list_projects(store, P.ProjectFilter(query="绿色铝")) == []


def test_list_filters_and_sorting_in_sql(store):
    big = company(store, "世界五百强公司", is_fortune500=1)
    a = make(
        store,
        "大项目",
        prefecture_key="昆明",
        total_investment_yi="15",
        item_ids=["I02-01"],
        investors=[(big, "意向")],
    )
    b = make(store, "小项目", prefecture_key="大理", total_investment_yi="2", item_ids=["I01-06"])
    f = P.ProjectFilter
    ids = lambda flt, **kw: [r["id"] for r in P.list_projects(store, flt, **kw)]  # noqa: E731
    assert ids(f(big_only=True)) == [a]
    assert ids(f(fortune500_only=True)) == [a]
    assert ids(f(industry_id="I01")) == [b]
    assert ids(f(prefecture_code="532900")) == [b]
    assert ids(f(), sort="investment", descending=True) == [a, b]
    assert ids(f(), sort="investment", descending=False) == [b, a]
    assert P.count_projects(store, f(big_only=True)) == 1
    assert ids(f(), limit=1, offset=1, sort="code", descending=False) == [a]  # DL-… before KM-…


def test_seeded_parks_are_not_pushed_and_lose_to_office_edits(store):
    parks.ensure_seeded(store)
    assert store.scalar("SELECT count(*) FROM outbox WHERE table_name = 'parks'") == 0
    park = parks.find_park(store, "P01")
    assert (
        park["name"] == "昆明高新技术产业开发区" and park["updated_at"] < store.clock.now().pack()
    )
    # A park added on this device is a normal synced record.
    pid = parks.add_park(store, "测试产业园", "昆明")
    assert (
        store.scalar(
            "SELECT count(*) FROM outbox WHERE table_name = 'parks' AND row_id = ?", (pid,)
        )
        > 0
    )
    with pytest.raises(ProjectError, match="已存在"):
        parks.add_park(store, "测试产业园", "昆明")


def test_project_picker_labels_and_resolution(store):
    from zsapp.projects import picker
    from zsapp.projects.common import ProjectNotFound

    pid = make(store, "绿色铝精深加工项目", prefecture_key="昆明")
    [label] = picker.labels(store, "lsl")
    assert label.endswith(" 绿色铝精深加工项目") and label.startswith("KM-")
    assert picker.resolve(store, [label, label.split()[0], "绿色铝精深加工项目"]) == [pid]
    with pytest.raises(ProjectNotFound, match="找不到项目"):
        picker.resolve(store, ["不存在"])
    assert picker.tokens_for(store, [pid]) == label
