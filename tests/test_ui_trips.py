"""The 出差 page with real widgets (offscreen): create a trip with the keyboard, the briefing,
the before-departure check with one-click brochures, a planned meeting becoming a visit
log (Enter → prefilled quick entry → Ctrl+Enter), the editable report, lead clocks on 首页."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_brochure_render import needs_poppler, pdftext, squash
from test_brochure_source import add_project, set_officer

from zsapp.contacts import companies, people, visits
from zsapp.trips import leads, report
from zsapp.trips import trips as T

START = date.today() - timedelta(days=1)


def focus():
    return QApplication.focusWidget()


@pytest.fixture
def seeded(ctx):
    store = ctx.store
    set_officer(store)
    cid = companies.create_company(store, {"name": "苏州铝箔材料有限公司", "origin_city": "苏州"})
    companies.set_items(store, cid, ["I02-04"])
    pid = people.create_person(
        store, {"name": "王建国", "company_id": cid, "title": "总经理", "mobile": "13911112222"}
    )
    prj = add_project(store, "年产10万吨新能源电池铝箔项目", ["I02-04"], "昆明市")
    trip = T.create_trip(
        store,
        {
            "destinations": "苏州",
            "start_date": START.isoformat(),
            "end_date": (START + timedelta(days=2)).isoformat(),
            "companions": "赵敏",
        },
    )
    meeting = T.add_meeting(
        store,
        trip,
        {
            "starts_at": f"{START} 10:30",
            "company_id": cid,
            "person_ids": [pid],
            "project_ids": [prj],
            "place": "园区管委会",
        },
    )
    return {"company": cid, "person": pid, "project": prj, "trip": trip, "meeting": meeting}


def test_new_trip_from_the_keyboard(main_window, qtbot, ctx):
    page = main_window.show_page("trips")
    assert page.trip_count() == 0 and not page.tabs.isEnabled()
    dialog = page.new_trip()
    qtbot.waitUntil(dialog.isVisible)
    dialog.destinations.setText("上海、苏州")
    dialog.purpose.setText("新材料招商")
    dialog.purpose.setFocus()
    qtbot.waitUntil(lambda: focus() is dialog.purpose)
    qtbot.keyClick(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.trip_count() == 1)
    t = T.trip_json(ctx.store, T.get_trip(ctx.store, page.trip_id))
    assert t["destination_names"] == ["上海市", "苏州市"] and t["purpose"] == "新材料招商"
    assert "上海市、苏州市" in page.header.text()

    bad = page.new_trip()
    bad.destinations.setText("火星")
    bad.save()
    assert bad.isVisible() and "找不到城市：火星" in bad.error.text()
    bad.reject()
    assert T.count_trips(ctx.store) == 1


# The offscreen platform cannot raise popups or let them grab the keyboard.
@pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing"
)
def test_meeting_becomes_visit_with_enter_and_ctrl_enter(seeded, main_window, qtbot, ctx):
    page = main_window.show_page("trips")
    qtbot.waitUntil(lambda: page.meetings_model.rowCount() == 1)
    assert page.meetings_model.index(0, 5).data() == "待拜访"
    page.meetings_table.setFocus()
    page.meetings_table.selectRow(0)
    qtbot.keyClick(page.meetings_table, Qt.Key.Key_Return)
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and focus() is dialog.notes)
    # prefilled from the meeting
    assert dialog.companies.text() == "苏州铝箔材料有限公司、"
    assert dialog.people.tokens() == ["王建国（苏州铝箔材料有限公司）"]
    assert dialog.when.dateTime().toString("yyyy-MM-dd HH:mm") == f"{START} 10:30"
    assert dialog.city.text() == "苏州市" and dialog.place.text() == "园区管委会"
    assert dialog.projects.text().startswith("KM-2026-")
    assert dialog.ours.text() == "欧阳明华、赵敏"
    qtbot.keyClicks(dialog.notes, "agreed to visit Yunnan")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.keyClick(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    visit_id = T.get_meeting(ctx.store, seeded["meeting"])["visit_id"]
    assert visit_id == dialog.saved_id
    v = visits.as_json(ctx.store, visits.get_visit(ctx.store, visit_id))
    assert [c["id"] for c in v["companies"]] == [seeded["company"]]
    assert [p["id"] for p in v["people"]] == [seeded["person"]]
    assert v["projects"] == [{"id": seeded["project"]}]
    assert v["notes"] == "agreed to visit Yunnan"
    qtbot.waitUntil(lambda: page.meetings_model.index(0, 5).data() == "已记录拜访")
    # a second Enter does not log it twice
    page.meetings_table.selectRow(0)
    assert page.record_visit() is None and "已有拜访记录" in page.status.text()


@needs_poppler
def test_briefing_check_brochures_and_report(seeded, main_window, qtbot, ctx, tmp_path):
    page = main_window.show_page("trips")
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.brief is not None, timeout=10000)
    assert "苏州铝箔材料有限公司" in page.briefing_view.toPlainText()
    with qtbot.waitSignal(page.exported, timeout=30000):
        page.export_briefing_pdf(tmp_path / "简报.pdf")
    assert "园区管委会" in squash(pdftext(tmp_path / "简报.pdf"))
    page.export_ics(tmp_path / "a.ics")
    assert (tmp_path / "a.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")

    page.tabs.setCurrentIndex(2)
    assert "尚未生成个性化推介册" in page.check_view.toPlainText()
    assert page.generate_button.isEnabled()
    with qtbot.waitSignal(page.exported, timeout=60000):
        page.generate_brochures(tmp_path / "册")
    qtbot.waitUntil(lambda: "已生成 1 份推介册" in page.status.text())
    assert not page.check_result["missing_brochures"]
    assert len(list((tmp_path / "册").glob("*.pdf"))) == 1

    visits_id = visits.create_visit(
        ctx.store,
        {"visited_at": f"{START} 15:00", "city": "苏州", "outcome": "有意向"},
        companies=[seeded["company"]],
    )
    assert visits_id
    page.tabs.setCurrentIndex(3)
    data = page.generate_report()
    assert data["figures"]["visits"] == 1 and data["figures"]["brochures"] == 1
    # typing in the report survives a change event from elsewhere (e.g. a sync pull)
    page.report_edits["next_steps"].setPlainText("月底前回访")
    page.report_edits["next_steps"].document().setModified(True)
    leads.create_lead(ctx.store, {"title": "别处写入"})
    ctx.flush_changes()
    assert page.report_edits["next_steps"].toPlainText() == "月底前回访"
    assert "未保存的修改" in page.status.text()
    page.save_report()
    assert report.get_report(ctx.store, seeded["trip"])["edited"] == ["next_steps"]
    page.generate_report()
    assert page.report_edits["next_steps"].toPlainText() == "月底前回访"
    with qtbot.waitSignal(page.exported, timeout=30000):
        page.export_report(tmp_path / "报告.xlsx")
    assert (tmp_path / "报告.xlsx").stat().st_size > 0


def test_lead_clocks_on_home_and_trip(seeded, main_window, qtbot, ctx):
    store = ctx.store
    now = datetime.now().replace(second=0, microsecond=0)
    leads.create_lead(
        store,
        {"title": "扩产二期", "company_id": seeded["company"], "trip_id": seeded["trip"]},
        now=now - timedelta(hours=30),  # reply overdue by 6 h, assessment due in 42 h
    )
    leads.create_lead(store, {"title": "新线索"}, now=now - timedelta(hours=2))
    home = main_window.show_page("home")
    section = home.section("leadClocksSection")
    qtbot.waitUntil(lambda: len(section.rows) == 2)
    assert "已逾期 1 项" in section.label.text()
    assert "扩产二期（苏州铝箔材料有限公司）" in section.label.text()

    page = main_window.show_page("trips")
    page.tabs.setCurrentIndex(4)
    assert page.leads_model.rowCount() == 1
    assert page.leads_model.index(0, 5).data().startswith("已逾期")
    page.all_leads.setChecked(True)
    assert page.leads_model.rowCount() == 2
    page.all_leads.setChecked(False)
    assert page.leads_model.rowCount() == 1
    page.leads_table.selectRow(0)
    page.advance_button.click()
    qtbot.waitUntil(lambda: len(section.rows) == 1)
    assert "评估" in page.leads_model.index(0, 4).data()


def test_meeting_dialog_adds_and_refuses_dates_outside_the_trip(seeded, main_window, qtbot, ctx):
    page = main_window.show_page("trips")
    dialog = page.add_meeting()
    qtbot.waitUntil(dialog.isVisible)
    dialog.company.setText("苏州铝箔材料有限公司")
    dialog.people.setText("王建国、")
    dialog.place.setText("苏州工业园区")
    dialog.when.setDateTime(dialog.when.dateTime().addDays(30))
    dialog.save()
    assert dialog.isVisible() and "不在出差日期内" in dialog.error.text()
    dialog.when.setDateTime(dialog.when.dateTime().addDays(-29))
    dialog.save()
    qtbot.waitUntil(lambda: page.meetings_model.rowCount() == 2)
    m = T.meeting_json(ctx.store, dialog.saved_id)
    assert m["company_id"] == seeded["company"] and [p["name"] for p in m["people"]] == ["王建国"]
    assert m["city_name"] == "苏州市" and m["place"] == "苏州工业园区"


def test_export_to_an_unwritable_place_says_why(seeded, main_window, qtbot, tmp_path):
    page = main_window.show_page("trips")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with qtbot.waitSignal(page.failed, timeout=30000) as failed:
        page.export_briefing_pdf(blocker / "简报.pdf")
    assert "无法写入文件" in failed.args[0] and "无法写入文件" in page.status.text()
    with qtbot.waitSignal(page.failed, timeout=5000):
        page.export_ics(blocker / "a.ics")


def test_clock_settings_from_the_page(seeded, main_window, qtbot, ctx):
    page = main_window.show_page("trips")
    page.tabs.setCurrentIndex(4)
    assert leads.clocks_spec(ctx.store) == "答复=1d,评估=3d,反馈=1w,报告=2w"
    assert not page.set_clocks("答复=3d,评估=1d")
    assert "先后顺序" in page.status.text()
    assert page.set_clocks("答复=12h,报告=1w")
    assert "答复 12 小时，报告 1 周" in page.clocks_label.text()
    assert leads.clocks_spec(ctx.store) == "答复=12h,报告=1w"
