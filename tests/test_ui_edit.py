"""Issue 13 in the real window (pytest-qt, real widgets on a real SQLite file): visits
editable where shown, forms ask before losing typing and drafts reopen, 回收站, undo
(Ctrl+Z and the 撤销 notice), merge confirmation, Chinese file dialogs, 园区 following
州市, shortcuts, 设置 with 备份 and 关于."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from ui.models.contacts_models import ID_ROLE
from zsapp import backup, trash
from zsapp.contacts import companies, drafts, people, visits


def click_in_modal(qtbot, text: str, *, then=None) -> None:
    """When the next modal box appears, click its button labelled ``text``."""

    def press():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, press)
            return
        if then:
            then(box)
        for button in box.findChildren(QPushButton):
            if button.text().replace("&", "") == text:
                button.click()
                return
        raise AssertionError(
            f"no button {text!r} in {[b.text() for b in box.findChildren(QPushButton)]}"
        )

    QTimer.singleShot(0, press)


def answer_modal(qtbot, which: QMessageBox.StandardButton, *, then=None) -> None:
    """When the next QMessageBox appears, press its standard button ``which``."""

    def press():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, press)
            return
        if then:
            then(box)
        box.button(which).click()

    QTimer.singleShot(0, press)


YES, NO, OK = (
    QMessageBox.StandardButton.Yes,
    QMessageBox.StandardButton.No,
    QMessageBox.StandardButton.Ok,
)


def _visit(store):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    pid = people.create_person(store, {"name": "刘洋", "company_id": cid})
    vid = visits.create_visit(
        store,
        {"visited_at": "2026-11-03 10:00", "notes": "初谈"},
        companies=[cid],
        people=[pid],
        followups=["寄资料@2026-11-10"],
    )
    return cid, pid, vid


def test_visit_is_editable_from_button_double_click_f2_and_menu(main_window, qtbot, ctx):
    _cid, pid, vid = _visit(ctx.store)
    ctx.flush_changes()
    page = main_window.show_page("visits")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.table.selectRow(0)
    assert page.current_id == vid

    page.edit_button.click()  # the button
    dialog = page.dialog
    assert dialog.windowTitle().startswith("修改拜访记录")
    assert dialog.companies.text() == "云南白药集团股份有限公司"
    assert dialog.people.text() == "刘洋" and dialog.notes.toPlainText() == "初谈"
    assert dialog.followups.toPlainText() == "寄资料 2026-11-10"
    dialog.notes.setPlainText("初谈；补记：对园区很感兴趣")
    dialog.followups.setPlainText("☑ 寄资料 2026-11-10\n回访 2026-12-01")
    dialog.save()
    assert not dialog.isVisible()
    data = visits.as_json(ctx.store, visits.get_visit(ctx.store, vid))
    assert data["notes"] == "初谈；补记：对园区很感兴趣"
    assert [p["id"] for p in data["people"]] == [pid]
    assert [(f["text"], bool(f["done"])) for f in data["followups"]] == [
        ("寄资料", True),
        ("回访", False),
    ]
    assert "补记" in page.detail.toPlainText()  # the detail pane shows the edit

    # double-click, F2 and Enter open the same form; so does the context menu
    rect = page.table.visualRect(page.model.index(0, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.dialog is not dialog and page.dialog.visit_id == vid
    page.dialog.reject()
    for key in (Qt.Key.Key_F2, Qt.Key.Key_Return):
        page.table.setFocus()
        previous = page.dialog
        qtbot.keyClick(page.table, key)
        assert page.dialog is not previous and page.dialog.visit_id == vid
        page.dialog.reject()
    menu = page.context_menu()
    assert [a.text() for a in menu.actions() if a.text()] == ["修改…", "添加附件…", "删除"]
    menu.actions()[0].trigger()
    assert page.dialog.visit_id == vid
    page.dialog.reject()


def test_esc_asks_save_draft_or_discard_and_draft_reopens(main_window, qtbot, ctx):
    page = main_window.show_page("visits")
    dialog = page.new_visit()
    qtbot.waitUntil(dialog.isVisible)
    dialog.companies.setText("中国铝业集团有限公司")
    dialog.notes.setPlainText("谈了电池铝箔项目")
    click_in_modal(qtbot, "存为草稿")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert drafts.load_draft(ctx.store, "visit")["notes"] == "谈了电池铝箔项目"
    assert ctx.store.count("visits") == 0

    again = page.new_visit()  # reopening shows what was typed
    assert again.notes.toPlainText() == "谈了电池铝箔项目"
    assert "草稿" in again.draft_label.text()
    click_in_modal(qtbot, "返回修改")
    again.reject()
    assert again.isVisible()  # back to the form, nothing lost
    click_in_modal(qtbot, "保存")
    again.reject()
    qtbot.waitUntil(lambda: ctx.store.count("visits") == 1)
    assert drafts.load_draft(ctx.store, "visit") is None

    third = page.new_visit()
    third.notes.setPlainText("打错了")
    click_in_modal(qtbot, "放弃")
    third.close()
    qtbot.waitUntil(lambda: not third.isVisible())
    assert drafts.load_draft(ctx.store, "visit") is None and ctx.store.count("visits") == 1
    untouched = page.new_visit()
    untouched.reject()  # nothing typed: closes without asking
    assert not untouched.isVisible()


def test_edit_draft_of_an_existing_visit_reopens(main_window, qtbot, ctx):
    _cid, _pid, vid = _visit(ctx.store)
    page = main_window.show_page("visits")
    page.show_visit(vid)
    dialog = page.edit_visit()
    dialog.notes.setPlainText("改到一半")
    click_in_modal(qtbot, "存为草稿")
    dialog.reject()
    assert visits.get_visit(ctx.store, vid)["notes"] == "初谈"
    reopened = page.edit_visit()
    assert reopened.notes.toPlainText() == "改到一半"


def test_delete_goes_to_recycle_bin_undo_and_restore(main_window, qtbot, ctx):
    _cid, _pid, vid = _visit(ctx.store)
    ctx.flush_changes()
    page = main_window.show_page("visits")
    page.show_visit(vid)
    asked = []
    answer_modal(qtbot, YES, then=lambda box: asked.append(box.text()))
    page.delete_visit()
    assert "回收站" in asked[0]
    assert ctx.store.get("visits", vid) is None
    bar = main_window.undo_bar
    assert bar.isVisible() and bar.label.text() == "已删除拜访记录"
    assert bar.undo_button.isVisible()
    main_window.activateWindow()  # focus returns to the window after the question box
    qtbot.waitUntil(main_window.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ctx.store.get("visits", vid) is not None
    assert bar.label.text().startswith("已撤销：删除拜访记录")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)

    visits.delete_visit(ctx.store, vid)
    settings = main_window.show_page("settings")
    dialog = settings.open_trash()
    assert dialog.count_label.text() == "回收站里有 1 条记录"
    assert dialog.table.item(0, 0).text() == "拜访记录"
    assert "云南白药" in dialog.table.item(0, 1).text()
    dialog.restore_button.click()  # one click
    assert ctx.store.get("visits", vid) is not None
    assert dialog.count_label.text() == "回收站是空的"
    assert "已恢复拜访记录" in dialog.message.text()

    visits.delete_visit(ctx.store, vid)
    dialog.refresh()
    answer_modal(qtbot, NO)
    assert dialog.empty() == 0 and len(trash.list_trash(ctx.store)) == 1  # asked, kept
    answer_modal(qtbot, YES)
    assert dialog.empty() == 1
    assert dialog.count_label.text() == "回收站是空的"


def test_merge_asks_with_the_plan_and_can_be_undone(main_window, qtbot, ctx):
    from ui.dialogs.merge_dialog import MergeDialog

    store = ctx.store
    keep = companies.create_company(store, {"name": "中国铝业集团有限公司"})
    other = companies.create_company(
        store, {"name": "中铝集团", "website": "https://chalco.cn"}, allow_similar=True
    )
    people.create_person(store, {"name": "王建国", "company_id": other})
    dialog = MergeDialog(ctx, "companies", keep, other)
    qtbot.addWidget(dialog)
    seen = []
    click_in_modal(qtbot, "取消", then=lambda box: seen.append(box.text()))
    dialog.do_merge()
    assert "“中铝集团”将并入“中国铝业集团有限公司”" in seen[0] and "联系人 1 条" in seen[0]
    assert store.get("companies", other) is not None  # cancelled: nothing merged
    click_in_modal(qtbot, "合并")
    dialog.do_merge()
    assert store.get("companies", other) is None
    assert [c["id"] for c in companies.search_companies(store, "中铝集团")] == [keep]
    main_window.undo()
    assert companies.get_company(store, other)["name"] == "中铝集团"


def test_chinese_file_dialogs_start_in_documents(qapp):
    from PySide6.QtWidgets import QLabel

    from ui import filedialogs

    dialog = filedialogs.make_dialog(None, "导出", "客商.xlsx", "Excel 文件 (*.xlsx)", mode="save")
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert "查找范围：" in labels and "文件类型：" in labels
    assert not any("Look in" in t or "Files of type" in t for t in labels)
    assert dialog.directory().absolutePath() == str(filedialogs.documents_dir())
    buttons = [b.text() for b in dialog.findChildren(QPushButton)]
    assert "保存" in buttons and "取消" in buttons


def test_profile_parks_follow_the_chosen_prefecture(ctx, qtbot):
    from ui.dialogs.profile_dialog import ProfileDialog

    dialog = ProfileDialog(ctx.store)
    qtbot.addWidget(dialog)
    dialog.inputs["prefecture"].setCurrentText("玉溪市")
    parks = [dialog.inputs["park"].itemText(i) for i in range(dialog.inputs["park"].count())]
    assert "玉溪高新技术产业开发区" in parks
    assert "昆明高新技术产业开发区" not in parks
    dialog.inputs["prefecture"].setCurrentText("昆明市")
    parks = [dialog.inputs["park"].itemText(i) for i in range(dialog.inputs["park"].count())]
    assert "昆明高新技术产业开发区" in parks and "玉溪高新技术产业开发区" not in parks


def test_shortcuts_sections_search_help_and_refresh(main_window, qtbot, ctx):
    from ui.main_window import PAGES

    for n, spec in enumerate(PAGES, start=1):
        main_window.shortcuts[f"Ctrl+{n}"].activated.emit()
        assert main_window.current_page_key() == spec.key
    main_window.show_page("companies")
    companies.create_company(ctx.store, {"name": "云南白药集团股份有限公司"})
    ctx.flush_changes()
    box = main_window.focus_search()
    assert box is not None and box.objectName() == "companySearch"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box)
    qtbot.keyClicks(box, "ynby")
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert box.text() == ""  # Esc clears the search
    page = main_window.pages["companies"]
    qtbot.waitUntil(lambda: not page._timer.isActive())  # the list has refreshed
    assert page.model.rowCount() == 1
    qtbot.keyClick(box, Qt.Key.Key_Down)  # ↓ moves into the results
    assert QApplication.focusWidget() is not box
    help_dialog = main_window.show_help()
    text = help_dialog.browser.toPlainText()
    from ui.dialogs.help_dialog import SECTIONS

    assert len(SECTIONS) == len(PAGES)
    for _key, title, _text in SECTIONS:
        assert title in text
    assert "Ctrl+Z" in text and "回收站" in text
    help_dialog.close()


def test_settings_in_plain_words_with_about_and_backup(main_window, qtbot, ctx, tmp_path):
    page = main_window.show_page("settings")
    assert "结构版本" not in page.summary.text() and "设备编号" not in page.summary.text()
    about = page.open_about()
    text = about.text.text()
    assert "指导目录版本" in text and str(ctx.store.path.parent) in text and "招商助手" in text
    about.close()
    answer_modal(qtbot, OK)
    info = page.backup_to_folder(str(tmp_path / "U盘"))
    assert info is not None and info.path.exists()
    companies.create_company(ctx.store, {"name": "备份后新建的企业"})
    # 是 to the question, then OK on the "恢复完成" notice
    answer_modal(
        qtbot, YES, then=lambda _box: QTimer.singleShot(50, lambda: answer_modal(qtbot, OK))
    )
    assert page.restore_from_file(str(info.path))
    assert ctx.store.count("companies") == 0
    assert backup.list_backups(ctx.store)  # the data from before the restore was kept
    assert "最近一次备份" in page.backup_label.text()


def test_count_labels_follow_the_list(main_window, qtbot, ctx):
    page = main_window.show_page("visits")
    assert page.status.text() == "没有符合条件的拜访记录"
    _visit(ctx.store)
    ctx.flush_changes()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.status.text() == "共 1 条拜访记录"
    visits.delete_visit(ctx.store, page.model.index(0, 0).data(ID_ROLE))
    ctx.flush_changes()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert page.status.text() == "没有符合条件的拜访记录"


def test_project_dialog_edits_stage_history_and_funds(main_window, qtbot, ctx):
    import datetime as dt

    from PySide6.QtCore import QDate

    from ui.dialogs.project_dialog import ProjectDialog
    from zsapp.projects import funds, stages
    from zsapp.projects import projects as P

    store = ctx.store
    start = dt.date.today() - dt.timedelta(days=200)
    pid = P.create_project(
        store, name="普洱咖啡精深加工项目", prefecture_key="普洱", stage_on=start
    )
    stages.change_stage(store, pid, "在谈", "首谈")
    dialog = ProjectDialog(ctx, pid, main_window)
    qtbot.addWidget(dialog)
    panel = dialog.records
    assert dialog.tabs.tabText(1) == "阶段与到位资金"
    assert panel.current_label.text() == "当前阶段：在谈"

    # backdate a 签约 before today with a reason: history stays ordered, current derived
    past = dt.date.today() - dt.timedelta(days=60)
    stage_dialog = panel.add_stage()
    stage_dialog.stage.setCurrentText("停滞")
    stage_dialog.date.setDate(QDate(past.year, past.month, past.day))
    stage_dialog.save()
    assert "原因" in stage_dialog.error.text()
    stage_dialog.note.setText("补录：年中暂停")
    stage_dialog.save()
    assert not stage_dialog.isVisible()
    texts = [panel.stages_table.item(r, 1).text() for r in range(panel.stages_table.rowCount())]
    assert texts == ["线索", "停滞", "在谈"]
    assert panel.current_label.text() == "当前阶段：在谈"
    # correct the date of the 停滞 entry by double-click
    row = texts.index("停滞")
    panel.stages_table.selectRow(row)
    edit = panel.edit_stage()
    assert edit.windowTitle() == "修改阶段记录" and edit.note.text() == "补录：年中暂停"
    edit.date.setDate(QDate.currentDate())
    edit.save()
    assert panel.current_label.text() == "当前阶段：停滞"

    # funds before 签约 are questioned; editing and deleting entries
    add = panel.add_funds()
    add.month.setText(past.strftime("%Y-%m"))
    add.amount.setText("3000")
    seen = []
    answer_modal(qtbot, YES, then=lambda box: seen.append(box.text()))
    add.save()
    assert "没有签约记录" in seen[0]
    assert panel.funds_table.item(0, 1).text() == "3000"
    panel.funds_table.selectRow(0)
    change = panel.edit_funds()
    assert change.amount.text() == "3000"
    change.amount.setText("4500")
    answer_modal(qtbot, YES)
    change.save()
    assert funds.totals(store, pid)["total_wan"] == 4500
    assert "累计 4500 万元" in panel.totals_label.text()
    panel.funds_table.selectRow(0)
    assert panel.delete_funds()
    assert funds.totals(store, pid)["total_wan"] == 0
    main_window.undo()  # Ctrl+Z brings the deleted entry back
    panel.refresh()
    assert funds.totals(store, pid)["total_wan"] == 4500


def test_project_form_asks_on_esc_and_keeps_a_draft(main_window, qtbot, ctx):
    from ui.dialogs.project_dialog import ProjectDialog

    dialog = ProjectDialog(ctx, None, main_window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.name.setText("年产10万吨电池铝箔项目")
    dialog.summary.setPlainText("建设电池铝箔生产线")
    asked = []
    click_in_modal(qtbot, "存为草稿", then=lambda box: asked.append(box.text()))
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "还没有保存" in asked[0]
    assert ctx.store.count("projects") == 0
    again = ProjectDialog(ctx, None, main_window)
    qtbot.addWidget(again)
    assert again.name.text() == "年产10万吨电池铝箔项目"
    assert "草稿" in again.draft_label.text()
    again.show()
    click_in_modal(qtbot, "保存")
    again.reject()
    qtbot.waitUntil(lambda: ctx.store.count("projects") == 1)
    assert drafts.load_draft(ctx.store, "project") is None


def test_employment_rows_are_corrected_in_the_person_dialog(main_window, qtbot, ctx):
    from ui.dialogs.person_dialog import PersonDialog

    cid = companies.create_company(ctx.store, {"name": "云南白药集团股份有限公司"})
    pid = people.create_person(ctx.store, {"name": "刘洋", "company_id": cid, "title": "经理"})
    dialog = PersonDialog(ctx, pid, main_window)
    qtbot.addWidget(dialog)
    table = dialog.jobs.table
    assert table.item(0, 0).text() == "云南白药集团股份有限公司"
    table.item(0, 2).setText("2019-03-01")  # as typed into the cell
    assert people.employment(ctx.store, pid)[0]["start_date"] == "2019-03-01"
    assert dialog.jobs.message.text() == "已保存"
    table.item(0, 3).setText("2018-01-01")
    assert "早于" in dialog.jobs.message.text()
    assert people.employment(ctx.store, pid)[0]["end_date"] == ""
    table.selectRow(0)
    assert dialog.jobs.delete_selected()
    assert people.employment(ctx.store, pid) == []
    main_window.undo()
    assert people.employment(ctx.store, pid)[0]["start_date"] == "2019-03-01"
