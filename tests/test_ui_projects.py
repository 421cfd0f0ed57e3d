"""项目 page with real widgets (offscreen): a pitch from a catalogue item, filters, stage gate,
funds and the project page."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from zsapp.projects import admission, funds, stages
from zsapp.projects import projects as P


def save(dialog):
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()


def names(page):
    model = page.model
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def test_create_pitch_from_catalogue_item(qtbot, main_window, type_text):
    catalogue_page = main_window.show_page("catalogue")
    assert not catalogue_page.pitch_button.isEnabled()  # nothing (or an industry) selected
    model = catalogue_page.tree_model
    coffee = model.index(5, 0, model.index(0, 0))
    catalogue_page.tree.setCurrentIndex(coffee)
    qtbot.waitUntil(lambda: catalogue_page.current_id == "I01-06")
    assert catalogue_page.pitch_button.isEnabled()
    qtbot.mouseClick(catalogue_page.pitch_button, Qt.MouseButton.LeftButton)

    page = main_window.pages["projects"]
    qtbot.waitUntil(lambda: main_window.current_page_key() == "projects")
    dialog = page.dialog
    qtbot.waitUntil(dialog.isVisible)
    # Prefilled: the industry path and the item's product terms, the item ticked.
    assert dialog.name.text() == "咖啡招商项目"
    assert "高原特色现代农业 › 咖啡" in dialog.summary.toPlainText()
    assert "咖啡物流" in dialog.summary.toPlainText()
    assert dialog.selected_items() == ["I01-06"]
    # Bad money input: a clear message, the dialog stays open, nothing saved.
    dialog.name.clear()
    type_text(dialog.name, "普洱咖啡精深加工项目")
    dialog.location.prefecture.setCurrentIndex(dialog.location.prefecture.findText("普洱市"))
    type_text(dialog.investment, "十二亿")
    save(dialog)
    assert "不是有效的数字" in dialog.error.text() and dialog.isVisible()
    assert main_window.ctx.store.count("projects") == 0
    dialog.investment.clear()
    qtbot.keyClicks(dialog.investment, "12.5")
    qtbot.keyClicks(dialog.land, "250")
    assert "500" in dialog.intensity.text()
    save(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    year = dt.date.today().year
    qtbot.waitUntil(lambda: names(page) == ["普洱咖啡精深加工项目"])
    assert page.model.index(0, 0).data() == f"PE-{year}-0001"
    assert page.model.index(0, 4).data() == "12.5"
    qtbot.waitUntil(lambda: page.detail.project_id is not None)
    text = page.detail.body.toPlainText()
    assert "高原特色现代农业 › 咖啡" in text and "准入预审" in text and "需人工确认" in text
    assert f"PE-{year}-0001" in page.detail.title.text()


def test_list_filters_search_and_stage_gate(qtbot, main_window, type_text):
    store = main_window.ctx.store
    f500 = store.insert("companies", {"name": "中国铝业集团有限公司", "is_fortune500": 1})
    big = P.create_project(
        store,
        name="绿色铝精深加工项目",
        prefecture_key="昆明",
        total_investment_yi="15",
        investors=[(f500, "意向")],
        item_ids=["I02-01"],
    )
    banned = P.create_project(
        store, name="土法炼焦厂", prefecture_key="曲靖", total_investment_yi="1"
    )
    P.create_project(store, name="普洱咖啡庄园", prefecture_key="普洱", item_ids=["I01-06"])
    main_window.ctx.flush_changes()
    page = main_window.show_page("projects")
    qtbot.waitUntil(lambda: len(names(page)) == 3)
    page.big.setChecked(True)
    qtbot.waitUntil(lambda: names(page) == ["绿色铝精深加工项目"])
    page.big.setChecked(False)
    page.admission.setCurrentIndex(page.admission.findData("不通过"))
    qtbot.waitUntil(lambda: names(page) == ["土法炼焦厂"])
    page.admission.setCurrentIndex(0)
    page.prefecture.setCurrentIndex(page.prefecture.findText("昆明市"))
    qtbot.waitUntil(lambda: names(page) == ["绿色铝精深加工项目"])
    assert (
        page.park.findText("昆明高新技术产业开发区") > 0
        and page.park.findText("大理经济技术开发区") < 0
    )
    page.park.setCurrentIndex(page.park.findText("昆明高新技术产业开发区"))
    qtbot.waitUntil(lambda: names(page) == [])
    assert page.status.text() == "没有符合条件的项目"
    page.prefecture.setCurrentIndex(0)
    qtbot.waitUntil(lambda: len(names(page)) == 3)
    qtbot.keyClicks(page.search_box, "zglyjt")  # investor initials
    qtbot.waitUntil(lambda: names(page) == ["绿色铝精深加工项目"])
    page.search_box.clear()
    qtbot.waitUntil(lambda: len(names(page)) == 3)

    # Sorting by 总投资 happens in SQL.
    page.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: names(page)[0] == "绿色铝精深加工项目")

    # Stage gate: 不通过 cannot pass 在谈 without a recorded override.
    stages.change_stage(store, banned, "在谈")
    page.select(banned)
    qtbot.waitUntil(lambda: page.detail.project_id == banned)
    qtbot.mouseClick(page.detail.buttons["stage"], Qt.MouseButton.LeftButton)
    dialog = page.detail.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.stage.setCurrentText("签约")
    save(dialog)
    assert "不通过" in dialog.error.text() and "放行" in dialog.error.text()
    assert stages.current_stage(store, banned) == "在谈"
    dialog.reject()

    qtbot.mouseClick(page.detail.buttons["check"], Qt.MouseButton.LeftButton)
    check = page.detail.dialog
    qtbot.waitUntil(check.isVisible)
    assert check.table.item(0, 1).text() == "不通过"
    check.table.selectRow(0)
    type_text(check.reason, "改为焦炉煤气综合利用")
    type_text(check.by, "曲靖市集体决策会议")
    qtbot.mouseClick(check.override_button, Qt.MouseButton.LeftButton)
    assert "改为焦炉煤气综合利用" in check.table.item(0, 4).text()
    check.accept()
    assert admission.evaluate(store, banned).blocking == []
    qtbot.waitUntil(lambda: "放行记录" in page.detail.body.toPlainText())
    stages.change_stage(store, banned, "签约")
    assert big


def test_funds_dialog_updates_the_project_page(qtbot, main_window):
    store = main_window.ctx.store
    pid = P.create_project(store, name="锡基新材料项目", prefecture_key="红河")
    main_window.ctx.flush_changes()
    page = main_window.show_page("projects")
    qtbot.waitUntil(lambda: page.select(pid))
    qtbot.waitUntil(lambda: page.detail.project_id == pid)
    qtbot.mouseClick(page.detail.buttons["funds"], Qt.MouseButton.LeftButton)
    dialog = page.detail.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.confirm_warnings = lambda warnings: True  # "before 签约" is tested in test_ui_edit
    dialog.month.setText("2026-10")
    qtbot.keyClicks(dialog.amount, "1.5")
    save(dialog)
    assert "小数" in dialog.error.text()
    dialog.amount.clear()
    qtbot.keyClicks(dialog.amount, "3000")
    save(dialog)
    qtbot.waitUntil(lambda: "合计 3,000 万元" in page.detail.body.toPlainText())
    assert funds.totals(store, pid)["outside_industrial_wan"] == 3000
    assert [m["month"] for m in page.detail.chart.months] == ["2026-10"]


def test_home_dashboard_section_numbers_and_settings(qtbot, ctx):
    from ui.widgets.projects_dashboard import ProjectsSection
    from zsapp import profile

    store = ctx.store
    profile.save_profile(store, profile.OfficerProfile(name="张伟"))
    f500 = store.insert("companies", {"name": "世界500强企业", "is_fortune500": 1})
    year = dt.date.today().year
    a = P.create_project(store, name="大项目", total_investment_yi="12", investors=[(f500, "意向")])
    P.create_project(store, name="老项目", stage_on=f"{year - 1}-01-01")
    P.create_project(store, name="别人的项目", owner_officer="李四", total_investment_yi="99")
    funds.add_funds(store, a, f"{year}-01", 1200)
    funds.add_funds(store, a, f"{year}-01", 300, outside_province=False)
    section = ProjectsSection(ctx)
    qtbot.addWidget(section)
    text = section.summary.text()
    assert "张伟负责的项目 <b>2</b> 个" in text and "10 亿元以上 <b>1</b> 个" in text
    assert "世界500强投资方 <b>1</b> 家" in text
    assert "到位资金 <b>1,500</b> 万元，其中省外产业类 <b>1,200</b> 万元" in section.funds.text()
    assert "尚未设置" in section.funds.text()
    assert [section.stalled.item(i).text() for i in range(section.stalled.count())] == [
        f"⚠ {store.query_one('SELECT code FROM projects WHERE name = ?', ('老项目',))['code']}  老项目（线索，最近动态 {year - 1}-01-01）"
    ]

    dialog = section.edit_settings()
    qtbot.waitUntil(dialog.isVisible)
    dialog.target.setText("12000")
    dialog.days.setValue(800)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: "完成目标 12,000 万元的 10%" in section.funds.text())
    assert section.stalled.count() == 0 and "没有疑似停滞" in section.stalled_label.text()
    assert section.chart.target_per_month == 1000


def test_recommended_company_can_be_added_as_investor(qtbot, main_window):
    from PySide6.QtCore import QUrl

    store = main_window.ctx.store
    pid = P.create_project(store, name="锡基新材料项目", item_ids=["I06-04"])
    good = store.insert("companies", {"name": "云南锡业集团", "is_china500": 1})
    store.insert("company_items", {"company_id": good, "item_id": "I06-04"})
    bad = store.insert("companies", {"name": "失信锡业", "is_dishonest": 1})
    store.insert("company_items", {"company_id": bad, "item_id": "I06-04"})
    main_window.ctx.flush_changes()
    page = main_window.show_page("projects")
    qtbot.waitUntil(lambda: page.select(pid))
    qtbot.waitUntil(lambda: page.detail.project_id == pid)
    text = page.detail.body.toPlainText()
    assert (
        "云南锡业集团 同一目录条目、龙头企业 加为意向投资方" in text
        and "已排除失信企业：失信锡业" in text
    )
    page.detail.body.anchorClicked.emit(QUrl(f"investor:{good}"))
    qtbot.waitUntil(lambda: "云南锡业集团（意向）" in page.detail.body.toPlainText())
    assert [i["name"] for i in P.investors(store, pid)] == ["云南锡业集团"]


def test_edit_project_keeps_location_and_transfer_records_history(qtbot, main_window, type_text):
    store = main_window.ctx.store
    inv = store.insert("companies", {"name": "云南白药集团"})
    pid = P.create_project(
        store,
        name="中药材加工",
        park_key="P01",
        investors=[(inv, "签约主体")],
        total_investment_yi="2",
        item_ids=["I01-07"],
    )
    main_window.ctx.flush_changes()
    page = main_window.show_page("projects")
    qtbot.waitUntil(lambda: page.select(pid))
    qtbot.waitUntil(lambda: page.detail.project_id == pid)
    qtbot.mouseClick(page.detail.buttons["edit"], Qt.MouseButton.LeftButton)
    dialog = page.detail.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.location.isEnabled()  # moving goes through 流转
    assert dialog.investment.text() == "2" and dialog.selected_items() == ["I01-07"]
    assert dialog.investor_list() == [(inv, "签约主体")]
    dialog.name.clear()
    type_text(dialog.name, "中药材精深加工项目")
    save(dialog)
    qtbot.waitUntil(lambda: "中药材精深加工项目" in names(page))
    assert P.investors(store, pid)[0]["role"] == "签约主体"

    qtbot.mouseClick(page.detail.buttons["transfer"], Qt.MouseButton.LeftButton)
    transfer = page.detail.dialog
    qtbot.waitUntil(transfer.isVisible)
    save(transfer)
    assert "理由" in transfer.error.text()
    transfer.target.prefecture.setCurrentIndex(transfer.target.prefecture.findText("玉溪市"))
    transfer.target.park.setCurrentIndex(transfer.target.park.findText("玉溪高新技术产业开发区"))
    type_text(transfer.reason, "不符合本园区主导产业布局")
    save(transfer)
    qtbot.waitUntil(lambda: "流转记录" in page.detail.body.toPlainText())
    text = page.detail.body.toPlainText()
    assert "昆明市 › 昆明高新技术产业开发区 → 玉溪市 › 玉溪高新技术产业开发区" in text
    assert "不符合本园区主导产业布局" in text


def test_home_company_page_and_visit_form_integration(qtbot, main_window):
    from ui.dialogs.visit_dialog import VisitDialog
    from zsapp.projects import picker

    store = main_window.ctx.store
    home = main_window.pages["home"]
    section = home.section("projectsSection")
    assert section is not None and "项目" in section.summary.text()

    # 客商 page › 新建项目 prefills the investor.
    cid = store.insert("companies", {"name": "中国铝业集团有限公司", "short_name": "中铝"})
    main_window.ctx.flush_changes()
    companies_page = main_window.show_page("companies")
    companies_page.show_company(cid)
    qtbot.mouseClick(companies_page.action_buttons["project"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: main_window.current_page_key() == "projects")
    dialog = main_window.pages["projects"].dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.name.text() == "中铝投资项目" and dialog.investor_list() == [(cid, "意向")]
    save(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    pid = dialog.saved_id
    assert P.investors(store, pid)[0]["company_id"] == cid
    qtbot.waitUntil(lambda: "<b>1</b> 个" in section.summary.text())

    # The visit form links projects; the visit shows on the project page and counts as activity.
    store.update(
        "project_stages", stages.history(store, pid)[0]["id"], {"changed_on": "2025-01-01"}
    )
    assert P.get_project(store, pid)["stalled"]
    visit = VisitDialog(main_window.ctx, main_window)
    qtbot.addWidget(visit)
    assert picker.labels(store, "zl") == [f"{store.get('projects', pid)['code']} 中铝投资项目"]
    visit.projects.setText(picker.labels(store, "zl")[0] + "、")
    visit.city.setText("北京")
    visit.save()
    assert visit.saved_id, visit.error.text()
    linked = store.query(
        "SELECT project_id FROM visit_projects WHERE visit_id = ?", (visit.saved_id,)
    )
    assert [r["project_id"] for r in linked] == [pid]
    p = P.get_project(store, pid)
    assert not p["stalled"] and len(p["visits"]) == 1 and p["visits"][0]["city"] == "北京"

    bad = VisitDialog(main_window.ctx, main_window)
    qtbot.addWidget(bad)
    bad.projects.setText("不存在的项目、")
    bad.city.setText("上海")
    bad.save()
    assert "找不到项目" in bad.error.text() and not bad.saved_id
    bad.autosave_timer.stop()
