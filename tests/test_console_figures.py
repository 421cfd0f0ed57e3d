"""督查 figures from the office read model against a hand-computed fixture, on SQLite and
PostgreSQL; the read model kept by the push hook equals one rebuilt from the field store.

Fixture (tests/console_fixtures.scenario), quarter 2022Q4, cumulative from 2022-01:
  P1 昆明 产业类 15亿 工业, 签约 2022-03, 开工 2022-09; 省外产业 10000 (2022-03) + 20000
     (2022-11); 省内 5000 and a non-产业 3000 do not count. Investor C1 世界500强.
  P2 昆明 房地产 20亿, 签约 2022-05, 50000 flagged 省外: excluded by category.
  P4 签约 in 大理 2022-08, 12亿 工业, transferred 大理→曲靖 2022-10-05 with a split of
     40 % of the money and 50 % of the credit to 大理: 1000 (2022-09, all 大理) + 5000
     (2022-12: 大理 2000, 曲靖 3000).
  P5 曲靖's second claim of P1 (same investor USCC, similar name, 14亿, 2022-11 money):
     left out under the first-claim rule until the office rules otherwise.
  Province: 36000 万元 (Q1 10000, Q3 1000, Q4 25000), all 工业; ≥10亿 projects 2 (P1,
  P4); 500强 1 (C1). 昆明 30000 / 1 / 1 / 签约 2 / 开工 1; 曲靖 3000 / 0.5; 大理 3000 / 0.5.
"""

from __future__ import annotations

import datetime as dt

import office_backends
import pytest
import sqlalchemy as sa
from console_fixtures import DL, KM, QJ, FieldDevice, company, project, scenario

from zsapp.office import reports
from zsapp.office import reports_figures as fig
from zsapp.office.service import OfficeError

cluster = office_backends.cluster
office = office_backends.office

Q4 = fig.parse_quarter("2022Q4")


@pytest.fixture
def data(office):
    ids = scenario(office)
    with office.engine.begin() as conn:
        fig.set_split(conn, ids["T1"], 40, 50, by="测试")
    return ids


def _overview(office, quarter=Q4, scope=None):
    with office.engine.connect() as conn:
        return fig.overview(conn, quarter, scope or fig.Scope())


def _targets(ov):
    return {t["key"]: t for t in ov["targets"]}


def _prefs(ov):
    return {p["code"]: p for p in ov["prefectures"]}


def test_province_targets_by_quarter_and_cumulative(office, data):
    ov = _overview(office)
    t = _targets(ov)
    assert ov["quarters"] == [f"2022Q{i}" for i in range(1, 5)]
    assert t["funds_wan"]["by_quarter"] == [10_000, 0, 1_000, 25_000]
    assert t["funds_wan"]["cumulative"] == 36_000
    assert t["funds_wan"]["quarter_value"] == 25_000
    assert t["funds_wan"]["cumulative_by_quarter"] == [10_000, 10_000, 11_000, 36_000]
    assert t["gongye_wan"]["cumulative"] == 36_000
    assert t["big_projects"]["by_quarter"] == [1, 0, 1, 0]
    assert t["big_projects"]["cumulative"] == 2
    assert t["fortune500"]["cumulative"] == 1
    assert t["funds_wan"]["target"] == 83_000_000
    assert t["funds_wan"]["percent"] == round(100 * 36_000 / 83_000_000, 1)
    assert ov["excluded_count"] == 1


def test_prefecture_ranking_honours_transfer_split(office, data):
    ov = _overview(office)
    p = _prefs(ov)
    assert (p[KM]["funds_wan"], p[KM]["quarter_funds_wan"]) == (30_000, 20_000)
    assert (p[KM]["big_projects"], p[KM]["fortune500"]) == (1, 1)
    assert (p[KM]["signed"], p[KM]["started"], p[KM]["produced"]) == (2, 1, 0)
    assert (p[DL]["funds_wan"], p[DL]["quarter_funds_wan"]) == (3_000, 2_000)
    assert (p[QJ]["funds_wan"], p[QJ]["quarter_funds_wan"]) == (3_000, 3_000)
    assert p[DL]["big_projects"] == p[QJ]["big_projects"] == 0.5
    # Ranked by money, ties by ≥10亿 projects, 500强, then code: 昆明, 曲靖, 大理.
    assert [x["code"] for x in ov["prefectures"][:3]] == [KM, QJ, DL]
    assert [x["rank"] for x in ov["prefectures"][:3]] == [1, 2, 3]
    # Splits move figures between 州市 but never change the province total.
    assert sum(x["funds_wan"] for x in ov["prefectures"]) == 36_000


def test_without_recorded_split_the_receiving_side_gets_it_all(office):
    ids = scenario(office)
    p = _prefs(_overview(office))
    assert p[DL]["funds_wan"] == 1_000  # before the transfer month
    assert p[QJ]["funds_wan"] == 5_000
    assert p[QJ]["big_projects"] == 1 and p[DL]["big_projects"] == 0
    assert ids["T1"]


def test_next_quarter_adds_2023_money_and_the_second_500_strong(office, data):
    t = _targets(_overview(office, fig.parse_quarter("2023Q1")))
    assert t["funds_wan"]["quarter_value"] == 7_000  # P3; P1's non-产业 3000 not counted
    assert t["funds_wan"]["cumulative"] == 43_000
    assert t["fortune500"]["cumulative"] == 2
    assert t["big_projects"]["cumulative"] == 2  # P3 is 8亿


def test_office_rulings_on_double_counts_change_the_figures(office, data):
    with office.engine.connect() as conn:
        pairs = fig.duplicates(conn, fig.Scope())
    assert len(pairs) == 1
    pair = pairs[0]
    assert {pair["a"], pair["b"]} == {data["P1"], data["P5"]}
    assert pair["first"] == data["P1"] and pair["excluded"] == data["P5"]
    assert pair["uscc"] == "91110000100001000A"
    with office.engine.begin() as conn:
        fig.resolve_duplicate(conn, data["P5"], data["P1"], "distinct", by="测试")
    ov = _overview(office)
    assert _targets(ov)["funds_wan"]["cumulative"] == 56_000
    assert _targets(ov)["big_projects"]["cumulative"] == 3
    assert _prefs(ov)[QJ]["funds_wan"] == 23_000
    with office.engine.begin() as conn:
        fig.resolve_duplicate(conn, data["P1"], data["P5"], "second", by="测试")
    ov = _overview(office)
    assert _targets(ov)["funds_wan"]["cumulative"] == 26_000  # P1 out, P5 in
    assert _prefs(ov)[KM]["funds_wan"] == 0
    assert _targets(ov)["fortune500"]["cumulative"] == 1  # the same firm, via P5
    with office.engine.begin() as conn, pytest.raises(OfficeError):
        fig.resolve_duplicate(conn, data["P1"], data["P2"], "distinct", by="测试")


def test_prefecture_scope_sees_only_its_own(office, data):
    ov = _overview(office, scope=fig.Scope(QJ))
    assert [p["code"] for p in ov["prefectures"]] == [QJ]
    assert _targets(ov)["funds_wan"]["cumulative"] == 3_000
    with office.engine.connect() as conn:
        listed = fig.project_list(conn, fig.Scope(QJ), fig.ProjectQuery())
        assert {r["code"] for r in listed["rows"]} == {
            "QJ-2023-0001",
            "DL-2022-0001",
            "QJ-2022-0009",
        }
        assert fig.project_detail(conn, fig.Scope(QJ), data["P1"]) is None
        assert fig.project_detail(conn, fig.Scope(KM), data["P1"])["code"] == "KM-2022-0001"
        # Transfers show for both sides; a third 州市 sees none.
        assert len(fig.transfers(conn, fig.Scope(DL))) == 1
        assert fig.transfers(conn, fig.Scope(KM)) == []


def test_project_filters_and_detail(office, data):
    def codes(**kw):
        with office.engine.connect() as conn:
            q = fig.ProjectQuery(today=dt.date(2023, 3, 1), **kw)
            return sorted(r["code"] for r in fig.project_list(conn, fig.Scope(), q)["rows"])

    assert codes(prefecture=KM) == ["KM-2022-0001", "KM-2022-0002", "KM-2022-0006"]
    assert codes(industry="I04") == ["KM-2022-0001", "QJ-2022-0009"]
    assert codes(industry="I06-02") == ["DL-2022-0001"]
    assert codes(stage="开工") == ["KM-2022-0001"]
    assert codes(big=True) == ["DL-2022-0001", "KM-2022-0001", "KM-2022-0002", "QJ-2022-0009"]
    assert codes(major=True) == ["KM-2022-0001"]
    assert codes(stalled=True) == ["KM-2022-0002", "KM-2022-0006", "QJ-2022-0009"]
    assert codes(text="稀土") == ["DL-2022-0001"]
    with office.engine.connect() as conn:
        d = fig.project_detail(conn, fig.Scope(), data["P4"])
    assert [s["stage"] for s in d["stages"]] == ["签约"]
    assert [(f["month"], f["counted_wan"]) for f in d["funds"]] == [
        ("2022-09", 1_000),
        ("2022-12", 5_000),
    ]
    assert d["overrides"][0]["decided_by"] == "大理州招商引资项目集体决策会议"
    assert d["transfers"][0]["from_prefecture_code"] == DL
    assert d["answers"] == {"G1": "否"}


def test_stalled_projects_and_rectification(office, data):
    with office.engine.connect() as conn:
        st = fig.stalled(conn, fig.Scope(), 90, dt.date(2023, 3, 1))
    assert st["total"] == 3
    assert {x["code"]: x["count"] for x in st["by_prefecture"]} == {KM: 2, QJ: 1}
    with office.engine.begin() as conn:
        with pytest.raises(OfficeError, match="期限"):
            fig.set_rectification(conn, data["P6"], "限期整改", by="测试")
        fig.set_rectification(conn, data["P6"], "限期整改", deadline="2023-06-30", by="测试")
        fig.set_rectification(conn, data["P2"], "淘汰退出", by="测试")
    with office.engine.connect() as conn:
        rows = {
            r["code"]: r for r in fig.stalled(conn, fig.Scope(), 90, dt.date(2023, 3, 1))["rows"]
        }
    assert (
        rows["KM-2022-0006"]["status"] == "限期整改"
        and rows["KM-2022-0006"]["deadline"] == "2023-06-30"
    )
    assert rows["KM-2022-0002"]["status"] == "淘汰退出"
    # A visit brings a project back to life.
    km = data["_devices"][0]
    visit = km.put("visits", visited_at="2023-02-20T10:00", kind="外出拜访")
    km.put("visit_projects", visit_id=visit, project_id=data["P6"])
    km.push()
    with office.engine.connect() as conn:
        st = fig.stalled(conn, fig.Scope(), 90, dt.date(2023, 3, 1))
    assert "KM-2022-0006" not in {r["code"] for r in st["rows"]}


def _dump(office):
    with office.engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(sa.select(t)))
            for t in reports.READ_TABLES
        }


def test_push_hook_keeps_read_model_equal_to_a_rebuild(office, data):
    km, qj, _dl = data["_devices"]
    km.delete("project_funds", _fund_id(office, data["P1"], "2022-03"))
    km.put("project_stages", project_id=data["P1"], stage="投产", changed_on="2023-01-05", note="")
    km.put("projects", data["P6"], prefecture_code=DL, name="咖啡精深加工（迁址）")
    km.delete("projects", data["P2"])
    km.push()
    cx = company(qj, "新客商", "91530000500005000E", f500=1)
    project(
        qj,
        code="QJ-2023-0002",
        name="新项目",
        pref=QJ,
        wan=100_000,
        stages=(("签约", "2023-02-01"),),
        investors=(cx,),
    )
    qj.push()
    incremental = _dump(office)
    assert any(r[0] == data["P6"] and DL in r for r in incremental["rm_projects"])
    assert not any(r[0] == data["P2"] for r in incremental["rm_projects"])
    with office.engine.begin() as conn:
        counts = reports.rebuild(conn)
    assert counts["projects"] == 6
    assert _dump(office) == incremental
    ov = _overview(office)
    assert _targets(ov)["funds_wan"]["cumulative"] == 26_000  # P1's March money deleted


def _fund_id(office, pid, month):
    with office.engine.connect() as conn:
        return conn.execute(
            sa.select(reports.rm_funds.c.id).where(
                reports.rm_funds.c.project_id == pid, reports.rm_funds.c.month == month
            )
        ).scalar_one()


def test_investor_directory_counts_by_source_region(office, data):
    with office.engine.connect() as conn:
        inv = fig.investors(conn)
    assert inv["totals"] == {
        "total": 5,
        "fortune500": 3,
        "central": 2,
        "specialized": 1,
        "dishonest": 1,
    }
    regions = {g["region"]: g for g in inv["regions"]}
    assert regions["京津冀"]["total"] == 2 and regions["京津冀"]["central"] == 2
    assert regions["其他"]["specialized"] == 1
    assert regions["成渝"]["dishonest"] == 1


def test_bad_quarter_and_split_values_are_refused(office, data):
    for text in ("2026Q5", "2026-4", "", "Q4"):
        with pytest.raises(OfficeError, match="季度"):
            fig.parse_quarter(text)
    assert fig.parse_quarter("2026q4").last_day == "2026-12-31"
    assert fig.parse_quarter("2024Q1").last_day == "2024-03-31"
    with office.engine.begin() as conn, pytest.raises(OfficeError, match="比例"):
        fig.set_split(conn, data["T1"], 120, 0, by="测试")


def test_a_device_that_is_not_a_prefecture_is_still_projected(office):
    dev = FieldDevice(office, "省招商办", role="province")
    project(dev, code="YN-2024-0001", name="省级统筹项目", pref="", wan=500_000)
    dev.push()
    with office.engine.connect() as conn:
        assert fig.project_list(conn, fig.Scope(), fig.ProjectQuery())["total"] == 1


def test_staff_accounts_and_sessions_on_both_backends(office):
    import pyotp

    from zsapp.office.console import auth

    now = [1_800_000_000.0]
    staff = auth.Staff(office.engine, clock=lambda: now[0])
    admin = staff.add("admin", "Yunnan-招商-2026!", "admin")
    staff.add("qj", "Yunnan-招商-2026!", "prefecture", QJ)
    session = staff.login("qj", "Yunnan-招商-2026!")
    assert staff.session(session["token"])["prefecture_code"] == QJ
    pending = staff.login("admin", "Yunnan-招商-2026!")
    with pytest.raises(auth.SecondFactorPending):
        staff.session(pending["token"])
    staff.verify_totp(pending["token"], pyotp.TOTP(admin["totp_secret"]).at(now[0]))
    assert staff.session(pending["token"])["role"] == "admin"
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(OfficeError, match="不正确"):
            staff.login("qj", "Wrong-password-1")
    with pytest.raises(OfficeError, match="锁定"):
        staff.login("qj", "Yunnan-招商-2026!")
    now[0] += auth.IDLE_MINUTES * 60 + 1
    with pytest.raises(OfficeError, match="自动退出"):
        staff.session(session["token"])
