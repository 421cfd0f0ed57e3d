"""出差 core on a real SQLite file: trips and meetings, the briefing (companies by 来源城市/
注册地, people, last visits, follow-ups, fitting projects, 失信), the PDF (poppler) and .ics
(icalendar, parsed back), the before-departure check with per-meeting brochures, meeting →
visit, and the trip report whose counts match the visits."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import icalendar
import pytest
from openpyxl import load_workbook
from test_brochure_render import needs_poppler, pdftext, squash
from test_brochure_source import add_project, code_of, set_officer

from zsapp import regions
from zsapp.contacts import companies, merge, people, visits
from zsapp.projects import stages
from zsapp.trips import briefing, check, ics, leads, meetings, pdf, report
from zsapp.trips import trips as T
from zsapp.trips.trips import TripError

TODAY = date.today()
START = TODAY - timedelta(days=1)  # stage changes may not be dated after today
END = START + timedelta(days=2)


def at(day_offset: int, hm: str = "10:00") -> str:
    return f"{(START + timedelta(days=day_offset)).isoformat()} {hm}"


@pytest.fixture
def world(store):
    """Companies in 上海/苏州 (by 来源城市 or 注册地 only), one elsewhere, one 失信, people,
    an old visit with an open follow-up, and projects on the companies' industries."""
    set_officer(store)
    c = {}
    c["alu"] = companies.create_company(
        store, {"name": "苏州铝箔材料有限公司", "origin_city": "苏州", "is_fortune500": 1}
    )
    companies.set_items(store, c["alu"], ["I02-04"])
    c["sh"] = companies.create_company(
        store, {"name": "上海新能源汽车零部件有限公司", "registered_location": "上海市嘉定区安亭镇"}
    )
    companies.set_items(store, c["sh"], ["I02-02"])
    c["bad"] = companies.create_company(
        store,
        {
            "name": "苏州失信实业有限公司",
            "registered_location": "江苏省苏州市吴中区",
            "is_dishonest": 1,
            "dishonest_date": "2025-06-01",
        },
    )
    companies.set_items(store, c["bad"], ["I02-04"])
    c["bj"] = companies.create_company(store, {"name": "北京某某科技", "origin_city": "北京"})
    c["jl"] = companies.create_company(
        store, {"name": "长春某某汽车", "registered_location": "吉林省长春市"}
    )
    p = {
        "wang": people.create_person(
            store,
            {
                "name": "王建国",
                "company_id": c["alu"],
                "title": "总经理",
                "mobile": "13911112222",
            },
        ),
        "li": people.create_person(store, {"name": "李卫东", "company_id": c["sh"]}),
    }
    old = visits.create_visit(
        store,
        {"visited_at": "2025-05-01 09:00", "city": "昆明", "notes": "昆明来访，关注电池铝箔"},
        companies=[c["alu"]],
        people=[p["wang"]],
        followups=[{"text": "寄送园区资料", "due_date": "2025-05-10"}],
    )
    pr = {
        "foil": add_project(store, "年产10万吨新能源电池铝箔项目", ["I02-04"], "昆明市"),
        "parts": add_project(store, "新能源汽车轻量化铝合金零部件项目", ["I02-02"], "曲靖市"),
        "tea": add_project(store, "普洱茶精深加工项目", ["I01-01"], "普洱市"),
    }
    trip = T.create_trip(
        store,
        {
            "destinations": "上海、苏州市",
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            "companions": "赵敏 钱峰",
            "purpose": "新材料、汽车零部件招商",
        },
    )
    return {"store": store, "c": c, "p": p, "pr": pr, "trip": trip, "old_visit": old}


# -- cities and trips --------------------------------------------------------------------
def test_national_city_list_covers_prefecture_level_cities():
    cities = regions.cities()
    assert len(cities) >= 333 + 4
    names = {c["name"] for c in cities}
    for n in ("苏州市", "深圳市", "大理白族自治州", "阿拉善盟", "大兴安岭地区", "上海市", "三沙市"):
        assert n in names
    assert regions.find_city("苏州")["province"] == "江苏省"
    assert regions.find_city("江苏苏州")["code"] == "320500"
    assert regions.find_city("上海")["code"] == "310100"
    assert {c["province"] for c in cities} >= {"新疆维吾尔自治区", "西藏自治区", "海南省"}


def test_trip_validation_messages(store):
    with pytest.raises(TripError, match="找不到城市：火星"):
        T.create_trip(
            store,
            {"destinations": "上海、火星", "start_date": "2026-01-01", "end_date": "2026-01-02"},
        )
    with pytest.raises(TripError, match="早于出发日期"):
        T.create_trip(
            store, {"destinations": "上海", "start_date": "2026-01-05", "end_date": "2026-01-02"}
        )
    with pytest.raises(TripError, match="出发日期"):
        T.create_trip(store, {"destinations": "上海", "start_date": "2026-13-01", "end_date": ""})
    assert T.count_trips(store) == 0


def test_trip_is_a_sync_ready_record(world):
    store, trip_id = world["store"], world["trip"]
    row = store.get("trips", trip_id)
    assert row["updated_by"] == store.device_id and row["deleted"] == 0
    assert json.loads(row["destinations"]) == ["310100", "320500"]
    assert row["companions"] == "赵敏、钱峰"
    fields = {
        r["field"]
        for r in store.query(
            "SELECT field FROM outbox WHERE table_name = 'trips' AND row_id = ?", (trip_id,)
        )
    }
    assert {"destinations", "start_date", "end_date", "companions", "purpose"} <= fields
    from zsapp.sync.client import synced_tables

    assert {"trips", "trip_meetings", "trip_reports", "leads", "lead_steps"} <= set(
        synced_tables(store)
    )
    T.delete_trip(store, trip_id)
    assert store.get("trips", trip_id) is None
    assert store.get("trips", trip_id, include_deleted=True)["deleted"] == 1


def test_meeting_must_fall_in_trip_and_destinations(world):
    store, trip = world["store"], world["trip"]
    with pytest.raises(TripError, match="不在出差日期内"):
        T.add_meeting(store, trip, {"starts_at": at(5), "company_id": world["c"]["alu"]})
    with pytest.raises(TripError, match="不是本次出差的目的地"):
        T.add_meeting(
            store, trip, {"starts_at": at(0), "company_id": world["c"]["alu"], "city": "北京"}
        )
    with pytest.raises(TripError, match="请指定拜访的企业"):
        T.add_meeting(store, trip, {"starts_at": at(0)})
    mid = T.add_meeting(store, trip, {"starts_at": at(1), "company_id": world["c"]["alu"]})
    assert T.get_meeting(store, mid)["city"] == "320500"  # from the company's 来源城市


# -- briefing ----------------------------------------------------------------------------
def test_briefing_lists_destination_companies_with_context(world):
    store, c, p, pr = world["store"], world["c"], world["p"], world["pr"]
    T.add_meeting(
        store,
        world["trip"],
        {
            "starts_at": at(1, "14:00"),
            "company_id": c["sh"],
            "person_ids": [p["li"]],
            "place": "安亭镇",
            "project_ids": [pr["parts"]],
        },
    )
    data = briefing.briefing(store, world["trip"], now=datetime.combine(START, datetime.min.time()))
    by_name = {e["name"]: e for e in data["companies"]}
    assert set(by_name) == {
        "苏州铝箔材料有限公司",
        "上海新能源汽车零部件有限公司",
        "苏州失信实业有限公司",
    }
    assert data["counts"]["by_city"] == {"310100": 1, "320500": 2}
    alu = by_name["苏州铝箔材料有限公司"]
    assert [x["name"] for x in alu["people"]] == ["王建国"]
    assert alu["last_visits"][0]["id"] == world["old_visit"]
    assert [f["text"] for f in alu["open_followups"]] == ["寄送园区资料"]
    assert alu["overdue_followups"] == 1
    # same catalogue item first, then the same industry (绿色铝); 普洱茶 does not fit
    assert [x["code"] for x in alu["projects"]] == [
        code_of(store, pr["foil"]),
        code_of(store, pr["parts"]),
    ]
    assert "同一目录条目" in alu["projects"][0]["reason"]
    assert alu["projects"][1]["reason"] == "同一产业"
    assert "世界500强" in alu["flags"]
    # the company with a planned meeting comes first
    assert data["companies"][0]["name"] == "上海新能源汽车零部件有限公司"
    bad = by_name["苏州失信实业有限公司"]
    assert "失信" in bad["dishonest"] and bad["projects"] == []
    assert [d["name"] for d in data["dishonest"]] == ["苏州失信实业有限公司"]
    assert data["meetings"][0]["people"][0]["name"] == "李卫东"


def test_city_sharing_a_province_name_needs_full_name(store):
    jl = companies.create_company(
        store, {"name": "吉林市化纤", "registered_location": "吉林省吉林市"}
    )
    companies.create_company(store, {"name": "长春一汽配套", "registered_location": "吉林省长春市"})
    rows = briefing.destination_companies(store, ["220200"])  # 吉林市
    assert [r["id"] for r in rows] == [jl]


@needs_poppler
def test_briefing_pdf_and_calendar(world, tmp_path):
    store, c, p, pr = world["store"], world["c"], world["p"], world["pr"]
    T.add_meeting(
        store,
        world["trip"],
        {
            "starts_at": at(0, "09:30"),
            "duration_min": 90,
            "company_id": c["alu"],
            "person_ids": [p["wang"]],
            "place": "苏州工业园区星湖街 328 号",
            "project_ids": [pr["foil"]],
        },
    )
    T.add_meeting(store, world["trip"], {"starts_at": at(1), "company_id": c["bad"]})
    data = briefing.briefing(store, world["trip"])
    result = pdf.render_briefing(store, data, tmp_path / "简报.pdf")
    text = squash(pdftext(result.path))
    assert result.pages >= 1
    for needle in (
        "出差简报",
        "上海市、苏州市",
        "苏州铝箔材料有限公司",
        "王建国（总经理）",
        "+8613911112222".replace("+86", "")[:3],
        "寄送园区资料",
        "年产10万吨新能源电池铝箔项目",
        "失信提醒",
        "苏州失信实业有限公司【失信】",
        "苏州工业园区星湖街328号",
    ):
        assert squash(needle) in text, needle
    assert "北京某某科技" not in text

    out = ics.export_ics(store, world["trip"], tmp_path / "行程.ics")
    assert out["events"] == 3
    cal = icalendar.Calendar.from_ical((tmp_path / "行程.ics").read_bytes())
    events = cal.walk("VEVENT")
    meeting = next(e for e in events if "苏州铝箔" in str(e.get("summary")))
    start = meeting.decoded("dtstart")
    assert start.strftime("%Y-%m-%d %H:%M") == at(0, "09:30")
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert (meeting.decoded("dtend") - start) == timedelta(minutes=90)
    assert "星湖街" in str(meeting.get("location"))
    assert "王建国" in str(meeting.get("description")) and "13911112222" in str(
        meeting.get("description")
    )
    assert any("失信" in str(e.get("description")) for e in events)
    whole = next(e for e in events if str(e.get("summary")).startswith("出差"))
    assert whole.decoded("dtstart") == START and whole.decoded("dtend") == END + timedelta(days=1)
    with pytest.raises(TripError, match=r"\.ics"):
        ics.export_ics(store, world["trip"], tmp_path / "x.txt")


# -- before departure --------------------------------------------------------------------
@needs_poppler
def test_check_finds_missing_brochures_and_contacts_then_generates(world, tmp_path):
    store, c, p, pr = world["store"], world["c"], world["p"], world["pr"]
    m1 = T.add_meeting(
        store,
        world["trip"],
        {"starts_at": at(0), "company_id": c["alu"], "person_ids": [p["wang"]], "place": "园区"},
    )
    m2 = T.add_meeting(
        store,
        world["trip"],
        {
            "starts_at": at(1),
            "company_id": c["sh"],
            "person_ids": [p["li"]],
            "project_ids": [pr["parts"]],
        },
    )
    m3 = T.add_meeting(store, world["trip"], {"starts_at": at(2), "company_id": c["jl"]})
    result = check.check(store, world["trip"])
    assert not result["ok"]
    assert result["missing_brochures"] == [m1, m2, m3]
    assert result["sync"]["trip_records"] >= 4 and not result["sync"]["enrolled"]
    problems = {x["meeting_id"]: x["problems"] for x in result["contact_problems"]}
    assert m1 not in problems
    assert problems[m2] == ["未填写拜访地点", "李卫东 没有电话"]
    assert "未指定对方人员" in problems[m3]

    generated = check.generate_brochures(store, world["trip"], tmp_path / "册")
    ok = {g["meeting_id"]: g for g in generated}
    assert ok[m1]["ok"] and ok[m2]["ok"] and not ok[m3]["ok"]
    assert "尚未关联所属产业" in ok[m3]["error"]
    assert ok[m2]["projects"] == [code_of(store, pr["parts"])]
    text = squash(pdftext(tmp_path / "册" / ok[m1]["file_path"].split("/")[-1]))
    assert "致苏州铝箔材料有限公司" in text and "年产10万吨新能源电池铝箔项目" in text
    again = check.check(store, world["trip"])
    assert again["missing_brochures"] == [m3]


# -- during the trip ---------------------------------------------------------------------
def test_meeting_becomes_a_prefilled_visit(world):
    store, c, p, pr = world["store"], world["c"], world["p"], world["pr"]
    mid = T.add_meeting(
        store,
        world["trip"],
        {
            "starts_at": at(1, "15:30"),
            "company_id": c["alu"],
            "person_ids": [p["wang"]],
            "project_ids": [pr["foil"]],
            "place": "园区管委会",
        },
    )
    vid = meetings.visit_from_meeting(
        store, mid, notes="对扩产有意向", outcome="有意向", followups=["报送用地方案@2099-01-01"]
    )
    v = visits.as_json(store, visits.get_visit(store, vid))
    assert v["visited_at"] == at(1, "15:30").replace(" ", "T")
    assert v["city"] == "苏州市" and v["place"] == "园区管委会"
    assert [x["id"] for x in v["companies"]] == [c["alu"]]
    assert [x["id"] for x in v["people"]] == [p["wang"]]
    assert v["projects"] == [{"id": pr["foil"]}]
    assert v["our_participants"] == "欧阳明华、赵敏、钱峰"
    assert T.get_meeting(store, mid)["visit_id"] == vid
    with pytest.raises(TripError, match="已记录过"):
        meetings.visit_from_meeting(store, mid)


def test_merge_moves_meetings_to_survivor(world):
    store, c = world["store"], world["c"]
    dup = companies.create_company(
        store, {"name": "苏州铝箔材料公司", "origin_city": "苏州"}, allow_similar=True
    )
    mid = T.add_meeting(store, world["trip"], {"starts_at": at(0), "company_id": dup})
    merge.merge_companies(store, c["alu"], dup)
    assert T.get_meeting(store, mid)["company_id"] == c["alu"]


# -- after: the report -------------------------------------------------------------------
@needs_poppler
def test_report_counts_match_the_visits_and_edits_survive(world, tmp_path):
    store, c, p, pr = world["store"], world["c"], world["p"], world["pr"]
    trip = world["trip"]
    m1 = T.add_meeting(
        store,
        trip,
        {
            "starts_at": at(0),
            "company_id": c["alu"],
            "person_ids": [p["wang"]],
            "project_ids": [pr["foil"]],
        },
    )
    m2 = T.add_meeting(
        store, trip, {"starts_at": at(1), "company_id": c["sh"], "person_ids": [p["li"]]}
    )
    T.add_meeting(store, trip, {"starts_at": at(2), "company_id": c["jl"]})  # did not happen
    v1 = meetings.visit_from_meeting(
        store, m1, notes="同意来滇考察", outcome="意向较强", followups=["安排考察@2099-01-01"]
    )
    meetings.visit_from_meeting(store, m2, outcome="初步接触", followups=["寄送资料", "回访"])
    # an unplanned visit in a destination during the trip counts; one in 昆明 does not
    visits.create_visit(store, {"visited_at": at(2, "16:00"), "city": "上海"}, companies=[c["bj"]])
    visits.create_visit(store, {"visited_at": at(2, "16:00"), "city": "昆明"}, companies=[c["bj"]])
    leads.create_lead(store, {"title": "扩建二期", "trip_id": trip, "company_id": c["alu"]})
    leads.create_lead(store, {"title": "与出差无关"})
    stages.change_stage(store, pr["foil"], "在谈", "出差洽谈", on=TODAY)

    r = report.generate(store, trip)
    f = r["figures"]
    assert report.trip_visit_ids(store, trip)[0] == v1
    assert (
        f["visits"],
        f["companies"],
        f["people"],
        f["leads"],
        f["followups"],
        f["projects"],
    ) == (
        3,
        3,
        2,
        1,
        3,
        1,
    )
    assert f["outcomes"] == {"意向较强": 1, "初步接触": 1, "无": 1}
    assert "苏州铝箔材料有限公司：王建国（总经理）" in r["met_text"]
    assert "同意来滇考察" in r["outcomes_text"]
    assert "扩建二期" in r["leads_text"] and "与出差无关" not in r["leads_text"]
    assert "进入“在谈”" in r["projects_text"]

    edited = report.edit(store, trip, {"summary": "本次出差成果显著。", "next_steps": "月底前回访"})
    assert set(edited["edited"]) == {"summary", "next_steps"}
    meetings.visit_from_meeting(store, T.list_meetings(store, trip)[2]["id"], outcome="有意向")
    again = report.generate(store, trip)
    assert again["summary"] == "本次出差成果显著。" and again["next_steps"] == "月底前回访"
    assert again["figures"]["visits"] == 4 and "长春某某汽车" in again["met_text"]
    assert (
        store.query_one("SELECT count(*) AS n FROM trip_reports WHERE trip_id = ?", (trip,))["n"]
        == 1
    )

    result = report.export_pdf(store, trip, tmp_path / "报告.pdf")
    text = squash(pdftext(result.path))
    assert "出差报告" in text and "本次出差成果显著。" in text and "拜访4次" in text
    xlsx = report.export_xlsx(store, trip, tmp_path / "报告.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["出差报告", "拜访明细", "新增线索", "跟进事项"]
    assert wb["拜访明细"].max_row == 1 + 4
    summary = {row[0].value: row[1].value for row in wb["出差报告"].iter_rows()}
    assert summary["拜访次数"] == 4 and summary["概述"] == "本次出差成果显著。"


def test_unwritable_output_is_a_clear_message(world, tmp_path):
    store = world["store"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    data = briefing.briefing(store, world["trip"])
    with pytest.raises(TripError, match="无法写入文件"):
        pdf.render_briefing(store, data, blocker / "sub" / "简报.pdf")
    with pytest.raises(TripError, match="无法写入文件"):
        ics.export_ics(store, world["trip"], blocker / "a.ics")
    with pytest.raises(TripError, match="无法写入文件"):
        report.export_xlsx(store, world["trip"], blocker / "r.xlsx")
    with pytest.raises(TripError, match="无法创建文件夹"):
        check.generate_brochures(store, world["trip"], blocker / "dir")


def test_merged_person_follows_into_the_visit(world):
    store, c, p = world["store"], world["c"], world["p"]
    dup = people.create_person(
        store, {"name": "王建国", "company_id": c["alu"], "mobile": "13911113333"}
    )
    mid = T.add_meeting(
        store, world["trip"], {"starts_at": at(0), "company_id": c["alu"], "person_ids": [dup]}
    )
    merge.merge_people(store, p["wang"], dup)
    assert meetings.visit_values(store, mid)["people"] == [p["wang"]]


def test_visit_logged_elsewhere_is_matched_to_its_meeting(world):
    store, c = world["store"], world["c"]
    m1 = T.add_meeting(store, world["trip"], {"starts_at": at(0, "10:00"), "company_id": c["alu"]})
    m2 = T.add_meeting(store, world["trip"], {"starts_at": at(0, "15:00"), "company_id": c["alu"]})
    afternoon = visits.create_visit(
        store, {"visited_at": at(0, "15:10"), "city": "苏州"}, companies=[c["alu"]]
    )
    visits.create_visit(store, {"visited_at": at(1, "10:00"), "city": "苏州"}, companies=[c["sh"]])
    r = report.generate(store, world["trip"])
    assert T.get_meeting(store, m2)["visit_id"] == afternoon  # the nearer one in time
    assert T.get_meeting(store, m1)["visit_id"] == ""
    assert r["figures"]["visits"] == 2
