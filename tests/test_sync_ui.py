"""The 同步 page against a live office server: enroll, 立即同步, status-bar indicator,
conflict restore in one click, offline shown calmly."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from test_sync_support import Device, make_office, tick

from zsapp.office.server import ServerThread
from zsapp.sync import client as sync_client


@pytest.fixture
def office(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    server = ServerThread(office).start()
    office.url_ = server.url
    office.server_ = server
    yield office
    server.stop()
    office.close()


def _sync_and_wait(qtbot, page):
    with qtbot.waitSignal(page.sync_finished, timeout=20000) as blocker:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_enroll_sync_and_status_from_the_sync_page(qtbot, main_window, ctx, office, tmp_path):
    page = main_window.show_page("sync")
    status = main_window.findChild(QLabel, "syncStatus")
    qtbot.waitUntil(lambda: "未登记" in status.text())
    assert not page.sync_button.isEnabled()
    qtbot.keyClicks(page.url_edit, office.url_)
    qtbot.keyClicks(page.code_edit, office.create_enrollment("张三")["code"])
    with qtbot.waitSignal(page.sync_finished, timeout=20000):
        qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    assert "张三" in page.officer_label.text()
    qtbot.waitUntil(lambda: status.text().startswith("已同步"))

    company = ctx.store.insert("companies", {"name": "云南白药集团股份有限公司"})
    ctx.flush_changes()
    qtbot.waitUntil(lambda: status.text() == "1 条待同步")
    assert page.pending_label.text() == "1 条"
    result = _sync_and_wait(qtbot, page)
    assert result.pushed >= 1 and "同步完成" in page.message.text()
    assert status.text() == "已同步" and page.pending_label.text() == "0 条"
    assert office.record("companies", company)["name"] == "云南白药集团股份有限公司"
    assert page.log_model.rowCount() >= 2


def test_conflict_restored_in_one_click_and_offline_is_calm(
    qtbot, main_window, ctx, office, tmp_path
):
    page = main_window.show_page("sync")
    other = Device(tmp_path / "other.sqlite3")
    other.enroll(office, office.url_, "李四")
    sync_client.enroll(ctx.store, office.url_, office.create_enrollment("张三")["code"])
    rid = ctx.store.insert("companies", {"name": "昆明钢铁", "notes": "原备注"})
    page.refresh()
    _sync_and_wait(qtbot, page)
    other.sync()
    ctx.store.update("companies", rid, {"notes": "张三的备注"})
    tick()
    other.store.update("companies", rid, {"notes": "李四的备注"})
    _sync_and_wait(qtbot, page)
    other.sync()
    _sync_and_wait(qtbot, page)
    assert ctx.store.get("companies", rid)["notes"] == "李四的备注"
    assert page.conflict_model.rowCount() == 1
    assert "张三的备注" in page.conflict_model.index(0, 4).data()
    assert page.tabs.tabText(0) == "冲突（1）"
    page.conflict_view.selectRow(0)
    qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert ctx.store.get("companies", rid)["notes"] == "张三的备注"
    assert page.conflict_model.rowCount() == 0
    _sync_and_wait(qtbot, page)
    other.sync()
    assert other.rows("companies")[rid]["notes"] == "张三的备注"
    other.close()

    office.server_.stop()  # the office goes away: offline is normal, no dialog
    ctx.store.update("companies", rid, {"notes": "离线时的修改"})
    ctx.flush_changes()
    result = _sync_and_wait(qtbot, page)
    assert isinstance(result, sync_client.OfflineError)
    status = main_window.findChild(QLabel, "syncStatus")
    assert status.text().startswith("离线") and "1 条待同步" in status.text()
    assert "离线" in page.message.text()
    assert ctx.store.get("companies", rid)["notes"] == "离线时的修改"


def test_set_aside_records_stay_visible_on_the_sync_page(qtbot, main_window, ctx, office):
    """A record the device cannot store is set aside; the page says so and keeps saying it."""
    from test_sync_hardening import poison

    page = main_window.show_page("sync")
    qtbot.keyClicks(page.url_edit, office.url_)
    qtbot.keyClicks(page.code_edit, office.create_enrollment("张三")["code"])
    with qtbot.waitSignal(page.sync_finished, timeout=20000):
        qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    assert page.quarantine_label.text() == "无"
    poison(office, "province", "companies", "bad-object", {"name": '{"x": 1}', "deleted": "0"})
    result = _sync_and_wait(qtbot, page)
    assert result.quarantined == 1
    ctx.flush_changes()
    qtbot.waitUntil(lambda: page.quarantine_label.text().startswith("1 条记录无法同步"))
    assert "bad-obj" in page.quarantine_label.toolTip()
    _sync_and_wait(qtbot, page)  # later syncs carry on and the count stays visible
    assert page.quarantine_label.text().startswith("1 条记录无法同步")
