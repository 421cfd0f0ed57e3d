"""客商/拜访/首页 UI with real widgets: keyboard-only visit entry, due follow-ups on the
home page, lazy company list with filters, dialogs, import, merge, and a draft that
survives SIGKILL of the app process."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from ui.models import contacts_models
from zsapp.contacts import companies, drafts, people, visits


def focus():
    return QApplication.focusWidget()


def ime(widget, text):
    """Type Chinese the way a keyboard with an input method does: a committed string
    (QTest.keyClicks only handles ASCII)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


# The offscreen platform cannot raise the completer popup or let it grab the keyboard.
@pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing"
)
def test_log_visit_with_keyboard_only_then_followup_is_due(main_window, qtbot, ctx):
    store = ctx.store
    cid = companies.create_company(store, {"name": "中国移动通信集团有限公司"})
    page = main_window.show_page("visits")
    page.new_button.setFocus()
    qtbot.keyClick(page.new_button, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and focus() is dialog.companies)

    qtbot.keyClicks(focus(), "zgyd")  # initials of 中国移动
    popup = dialog.companies.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.companies.text() == "中国移动通信集团有限公司、"
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus() is dialog.people
    ime(focus(), "王小明")  # a new person, created on the fly
    for _ in range(3):  # time (now), kind → city
        qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus() is dialog.city
    ime(focus(), "北京")
    for _ in range(3):  # place, ours → notes
        qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus() is dialog.notes
    ime(focus(), "讨论在昆明建设数据中心")
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    qtbot.keyClick(focus(), Qt.Key.Key_Down)  # outcome: 初步接触
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus() is dialog.followups
    ime(focus(), "寄送园区资料")
    qtbot.keyClick(focus(), Qt.Key.Key_Space)
    ime(focus(), "今天")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.keyClick(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    [visit] = visits.list_visits(store)
    data = visits.as_json(store, visits.get_visit(store, visit["id"]))
    assert [c["id"] for c in data["companies"]] == [cid]
    assert [p["name"] for p in data["people"]] == ["王小明"]
    assert people.get_person(store, data["people"][0]["id"])["company_id"] == cid
    assert (
        data["city"] == "北京"
        and data["outcome"] == "初步接触"
        and data["notes"] == "讨论在昆明建设数据中心"
    )
    assert data["visited_at"][:10] == date.today().isoformat()
    assert drafts.load_draft(store, "visit") is None

    home = main_window.show_page("home")
    section = home.section("followupsSection")
    rows = section.model.rows
    assert [(r["text"], r["due_date"], r["due_today"]) for r in rows] == [
        ("寄送园区资料", date.today().isoformat(), True)
    ]
    assert "今天到期 1 条" in section.summary.text()


def test_overdue_followup_highlighted_and_ticked_off(main_window, qtbot, ctx):
    visits.create_visit(ctx.store, {}, followups=[{"text": "逾期的事", "due_date": "2020-01-01"}])
    ctx.flush_changes()
    home = main_window.show_page("home")
    section = home.section("followupsSection")
    model = section.model
    assert model.rows[0]["overdue"]
    index = model.index(0, 2)
    assert model.data(index, Qt.ItemDataRole.ForegroundRole).color().name() == "#b00020"
    assert "已逾期 1 条" in section.summary.text()
    model.setData(model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert visits.list_followups(ctx.store, due_within=0) == []


def test_company_list_is_lazy_sorted_and_filtered_in_sql(main_window, qtbot, ctx):
    store = ctx.store
    with store.transaction():
        for n in range(450):
            store.insert(
                "companies",
                {
                    "name": f"企业{n:04d}",
                    "is_dishonest": int(n == 7),
                    "revenue_wan": n,
                    "region_tag": "长三角" if n % 2 else "",
                },
            )
    page = main_window.show_page("companies")
    page.apply_filter()
    # The scroll bar spans all 450 rows, but only the first page is fetched …
    assert page.model.rowCount() == 450
    assert page.model.loaded_rows() == contacts_models.PAGE_SIZE
    page.table.scrollToBottom()
    # … and the last page when it is scrolled to.
    qtbot.waitUntil(lambda: page.model.loaded_rows() > contacts_models.PAGE_SIZE)
    assert page.model.loaded_rows() < 450 or page.model.fetches <= 3
    last = page.model.index(449, 0)
    assert page.model.data(last) == "企业0449"
    assert "共 450 家企业" in page.status.text()

    page.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # 营收
    assert page.model.rows[0]["name"] == "企业0449"

    page.dishonest.setCurrentIndex(1)  # 仅失信
    assert [r["name"] for r in page.model.rows] == ["企业0007"]
    page.dishonest.setCurrentIndex(0)
    page.region.setCurrentIndex(page.region.findData("长三角"))
    assert page.model.total == 225

    page.region.setCurrentIndex(0)
    qtbot.keyClicks(page.search_box, "qy0123")  # pinyin initials + digits
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.rows[0]["name"] == "企业0123"


def test_company_page_shows_people_visits_and_dishonest_warning(main_window, ctx):
    store = ctx.store
    cid = companies.create_company(
        store,
        {
            "name": "云南白药集团股份有限公司",
            "is_dishonest": 1,
            "dishonest_date": "2025-01-01",
            "dishonest_source": "信用中国",
        },
    )
    people.create_person(store, {"name": "刘洋", "company_id": cid, "mobile": "13800138000"})
    visits.create_visit(
        store, {"notes": "三七产业园选址", "visited_at": "2025-03-01 10:00"}, companies=[cid]
    )
    page = main_window.show_page("companies")
    page.show_company(cid)
    text = page.detail.toPlainText()
    assert "已列入全国失信惩戒措施基础清单" in text
    assert "刘洋" in text and "138 0013 8000" in text
    assert "2025-03-01 10:00" in text and "三七产业园选址" in text


def test_company_dialog_refuses_bad_uscc_with_reason(main_window, qtbot, ctx):
    page = main_window.show_page("companies")
    dialog = page.new_company()
    ime(dialog.edits["name"], "某某科技有限公司")
    qtbot.keyClicks(dialog.edits["uscc"], "914403001922038217")
    dialog.save()
    assert "校验位错误" in dialog.error.text()
    assert ctx.store.count("companies") == 0
    dialog.edits["uscc"].setText("914403001922038216")
    dialog.flag_boxes["is_specialized_giant"].setChecked(True)
    dialog.save()
    assert not dialog.isVisible()
    row = companies.get_company(ctx.store, dialog.saved_id)
    assert row["uscc"] == "914403001922038216" and row["is_specialized_giant"] == 1


def test_import_dialog_reports_bad_lines_then_imports_good_rows(main_window, qtbot, ctx, tmp_path):
    from ui.dialogs.import_dialog import ImportDialog

    path = tmp_path / "客商.csv"
    path.write_bytes(
        (
            "企业名称,统一社会信用代码,联系人,手机\n"
            "华为技术有限公司,914403001922038216,张伟,13800138000\n"
            "坏码公司,914403001922038217,,\n"
        ).encode("gbk")
    )
    dialog = ImportDialog(ctx, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table is not None, timeout=5000)  # read off the UI thread
    assert "GBK" in dialog.info.text()
    assert dialog.preview_model.rowCount() == 2
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.errors.count() == 1, timeout=5000)
    assert dialog.errors.item(0).text().startswith("第 3 行")
    assert "未导入任何数据" in dialog.result.text()
    assert ctx.store.count("companies") == 0
    dialog.only_good.setChecked(True)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "导入完成" in dialog.result.text(), timeout=5000)
    assert ctx.store.count("companies") == 1 and ctx.store.count("people") == 1


def test_merge_dialog_picks_fields_and_moves_people(main_window, qtbot, ctx):
    from ui.dialogs.merge_dialog import MergeDialog

    store = ctx.store
    keep = companies.create_company(store, {"name": "甲科技有限公司", "website": "https://old.cn"})
    other = companies.create_company(
        store, {"name": "甲科技股份有限公司", "website": "https://new.cn"}, allow_similar=True
    )
    pid = people.create_person(store, {"name": "钱七", "company_id": other})
    dialog = MergeDialog(ctx, "companies", keep, other)
    qtbot.addWidget(dialog)
    dialog.choices["website"].button(1).setChecked(True)
    dialog.confirm = lambda plan: True  # the plan confirmation is tested in test_ui_edit.py
    dialog.do_merge()
    assert companies.get_company(store, keep)["website"] == "https://new.cn"
    assert companies.get_company(store, keep)["name"] == "甲科技有限公司"
    assert people.get_person(store, pid)["company_id"] == keep


CHILD = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from ui.app import create_app
    app = create_app(["zsapp-child"])
    from zsapp.bootstrap import open_store
    from zsapp.contacts import drafts
    from ui.context import AppContext
    from ui.dialogs import visit_dialog
    from ui.main_window import MainWindow
    visit_dialog.AUTOSAVE_MS = 200
    store = open_store(sys.argv[1])
    window = MainWindow(AppContext(store, sys.argv[2]))
    window.show()
    dialog = window.pages["visits"].new_visit()
    dialog.companies.setText("滇中新区某某新能源有限公司、")
    dialog.notes.setPlainText("对方计划在滇中新区建电池厂，需提供用地和电价方案")
    dialog.followups.setPlainText("寄送用地资料 明天")
    def check():
        if drafts.load_draft(store, "visit"):
            print("DRAFT SAVED", flush=True)
    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(100)
    app.exec()
""")


def test_visit_draft_survives_sigkill_and_is_offered_back(qtbot, ctx, db_path, data_dir, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db_path), str(tmp_path / "child.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    saved = threading.Event()

    def watch():
        for line in proc.stdout:
            if "DRAFT SAVED" in line:
                saved.set()
                return

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert saved.wait(60), "the child app never autosaved its draft"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    from ui.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    page = window.show_page("visits")
    assert page.banner.isVisible()
    assert "滇中新区某某新能源有限公司" in page.banner.label.text()
    dialog = page.banner.restore()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.notes.toPlainText() == "对方计划在滇中新区建电池厂，需提供用地和电价方案"
    assert dialog.followups.toPlainText() == "寄送用地资料 明天"
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    [followup] = visits.list_followups(ctx.store)
    assert followup["text"] == "寄送用地资料" and followup["due_date"] > date.today().isoformat()
    assert drafts.load_draft(ctx.store, "visit") is None
    qtbot.waitUntil(lambda: not page.banner.isVisible())
    QApplication.processEvents()  # let other pages' deferred refreshes run while the window exists


def test_person_dialog_moves_company_and_shows_history(main_window, qtbot, ctx, tmp_path):
    from ui.dialogs.person_dialog import PersonDialog

    store = ctx.store
    a = companies.create_company(store, {"name": "甲公司"})
    companies.create_company(store, {"name": "乙公司"})
    pid = people.create_person(
        store, {"name": "李娜", "company_id": a, "title": "总监"}, since="2020-01-01"
    )
    dialog = PersonDialog(ctx, person_id=pid)
    qtbot.addWidget(dialog)
    assert (
        dialog.company.text() == "甲公司"
        and "甲公司 总监 2020-01-01～至今" in dialog.history.text()
    )
    dialog.company.setText("乙公司")
    dialog.edits["mobile"].setText("12345")
    dialog.save()
    assert "手机" in dialog.error.text() and people.get_person(store, pid)["company_id"] == a
    dialog.edits["mobile"].setText("139 1234 5678")
    dialog.save()
    assert people.get_person(store, pid)["mobile"] == "+8613912345678"
    assert [j["company_name"] for j in people.employment(store, pid)] == ["甲公司", "乙公司"]
    card = dialog.export_vcard(str(tmp_path / "李娜.vcf"))
    text = Path(card).read_text(encoding="utf-8")
    assert "FN:李娜" in text and "N:李;娜;;;" in text and "ORG:乙公司" in text


@pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing"
)
def test_visit_links_catalogue_items_picked_by_pinyin_initials(main_window, qtbot, ctx):
    store = ctx.store
    page = main_window.show_page("visits")
    qtbot.keyClick(page.new_button, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    qtbot.waitUntil(dialog.isVisible)
    ime(dialog.companies, "云南测试铝箔科技有限公司")
    dialog.items.setFocus()
    qtbot.keyClicks(dialog.items, "lb")  # 铝箔
    popup = dialog.items.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    labels = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert labels[0].startswith("I06-02 新材料产业 › 新能源电池材料")
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    ime(dialog.items, "咖啡")  # an exact item name works too
    assert dialog.items.tokens() == ["I06-02 新材料产业 › 新能源电池材料", "咖啡"], (
        dialog.items.text()
    )
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()
    assert dialog.error.text() == ""
    [visit] = visits.list_visits(store)
    data = visits.as_json(store, visits.get_visit(store, visit["id"]))
    assert [i["id"] for i in data["items"]] == ["I01-06", "I06-02"]


@pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing"
)
def test_visit_with_unknown_catalogue_item_is_refused_with_reason(main_window, qtbot, ctx):
    page = main_window.show_page("visits")
    qtbot.keyClick(page.new_button, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    qtbot.waitUntil(dialog.isVisible)
    ime(dialog.companies, "某某公司")
    ime(dialog.items, "不存在的条目")
    dialog.save()
    assert "指导目录中没有" in dialog.error.text() and dialog.isVisible()
    assert visits.list_visits(ctx.store) == []
