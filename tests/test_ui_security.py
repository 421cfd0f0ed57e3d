"""The app lock and 设置 → 数据安全 in real widgets (offscreen); the OS screensaver
signal over a real private D-Bus session bus."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import TEST_PASSPHRASE
from PySide6.QtCore import Qt

from zsapp.contacts import companies, exporter, people
from zsapp.security import applock


@pytest.fixture
def clock():
    now = [1000.0]
    return now


@pytest.fixture
def controller(main_window, ctx, clock):
    from ui.lock import LockController

    c = LockController(ctx, main_window, clock=lambda: clock[0], check_ms=10, listen_os=False)
    main_window.lock_controller = c
    yield c
    c.stop()


def test_idle_minutes_lock_the_window_and_the_passphrase_unlocks(
    qtbot, main_window, controller, ctx, clock, type_text
):
    companies.create_company(ctx.store, {"name": "西双版纳测试橡胶有限公司"})
    assert main_window.centralWidget().isVisible()
    clock[0] += 14 * 60
    qtbot.wait(30)
    assert not controller.locked  # not yet: default 15 minutes
    clock[0] += 61
    qtbot.waitUntil(lambda: controller.locked, timeout=2000)
    assert not main_window.centralWidget().isVisible()
    assert controller.screen.isVisible() and applock.is_locked(ctx.store)

    qtbot.keyClicks(controller.screen.secret, "wrong-one")
    qtbot.mouseClick(controller.screen.button, Qt.MouseButton.LeftButton)
    assert "不正确" in controller.screen.error.text() and controller.locked
    controller.screen.secret.clear()
    type_text(controller.screen.secret, TEST_PASSPHRASE)
    qtbot.mouseClick(controller.screen.button, Qt.MouseButton.LeftButton)
    assert not controller.locked and main_window.centralWidget().isVisible()
    assert not applock.is_locked(ctx.store)


def test_cli_lock_reaches_the_open_window(qtbot, controller, ctx):
    applock.lock(ctx.store)  # what `zsapp security lock` does
    qtbot.waitUntil(lambda: controller.locked, timeout=2000)


def test_settings_panel_sets_idle_minutes_and_shows_the_export_log(
    qtbot, main_window, controller, ctx, tmp_path
):
    people.create_person(ctx.store, {"name": "孙导出"})
    exporter.export_csv(ctx.store, "people", tmp_path / "x.csv")
    page = main_window.show_page("settings")
    qtbot.mouseClick(page.security_button, Qt.MouseButton.LeftButton)
    panel = page.security
    qtbot.addWidget(panel)
    qtbot.waitExposed(panel)
    assert panel.exports.rowCount() == 1 and panel.exports.item(0, 2).text() == "联系人"
    panel.idle.setValue(5)
    assert applock.idle_minutes(ctx.store) == 5
    qtbot.mouseClick(panel.lock_button, Qt.MouseButton.LeftButton)
    assert controller.locked and not main_window.centralWidget().isVisible()
    assert not panel.isVisible()  # the dialog's data is hidden too
    controller.try_unlock(TEST_PASSPHRASE)
    assert panel.isVisible()


@pytest.mark.skipif(not shutil.which("dbus-daemon"), reason="dbus-daemon not installed")
def test_os_screensaver_signal_locks_the_window(qtbot, main_window, ctx, clock):
    from PySide6.QtDBus import QDBusConnection, QDBusMessage

    from ui.lock import LockController

    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        address = daemon.stdout.readline().strip()
        bus = QDBusConnection.connectToBus(address, "zsapp-test-session")
        assert bus.isConnected()
        controller = LockController(ctx, main_window, clock=lambda: clock[0], listen_os=False)
        controller.timer.stop()
        sources = controller._listen_os(system=bus, session=bus)
        assert "ScreenSaver" in sources
        other = QDBusConnection.connectToBus(address, "zsapp-test-screensaver")
        signal = QDBusMessage.createSignal(
            "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged"
        )
        signal.setArguments([True])
        assert other.send(signal)
        qtbot.waitUntil(lambda: controller.locked, timeout=5000)
        controller.stop()
        QDBusConnection.disconnectFromBus("zsapp-test-session")
        QDBusConnection.disconnectFromBus("zsapp-test-screensaver")
    finally:
        daemon.terminate()
        daemon.wait(5)
        daemon.stdout.close()


def test_lost_device_window_says_why_after_the_wipe(qtbot, main_window, ctx, tmp_path):
    from test_sync_support import make_office

    from zsapp.office import security as office_security
    from zsapp.office.server import ServerThread
    from zsapp.sync import client as sync_client

    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    server = ServerThread(office).start()
    try:
        sync_client.enroll(ctx.store, server.url, office.create_enrollment("张三")["code"])
        office_security.mark_lost(office, ctx.store.device_id, "笔记本在机场遗失")
        page = main_window.show_page("sync")
        page.refresh()
        assert page.sync_button.isEnabled()
        with qtbot.waitSignal(page.sync_finished, timeout=20000):
            qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        notice = main_window.wiped_notice
        assert notice.isVisible() and "笔记本在机场遗失" in notice.text()
        assert not main_window.centralWidget().isVisible()
        assert not ctx.store.path.exists()
    finally:
        server.stop()
        office.close()


def test_start_asks_for_the_passphrase_again_after_a_wrong_one(qapp, tmp_path, monkeypatch):
    from ui.app import open_store_asking
    from zsapp.security import keys

    path = tmp_path / "ui.sqlite3"
    monkeypatch.delenv(keys.ENV_PASSPHRASE)
    answers, seen = iter(["短", "一个足够长的口令"]), []

    def ask(creating, error):
        seen.append((creating, error))
        return next(answers)

    with pytest.raises(Exception, match="太短"):
        open_store_asking(path, ask=ask)
    store = open_store_asking(path, ask=ask)  # first run: sets the passphrase
    store.close()
    answers, seen = iter(["错误的口令啊啊", "一个足够长的口令"]), []
    store = open_store_asking(path, ask=ask)
    assert [c for c, _ in seen] == [False, False]
    assert "口令不正确" in seen[1][1]  # the dialog shows why it asks again
    store.close()


def test_passphrase_dialog_checks_length_and_repeat(qtbot, type_text):
    from ui.dialogs.passphrase_dialog import PassphraseDialog

    dialog = PassphraseDialog(creating=True)
    qtbot.addWidget(dialog)
    type_text(dialog.first, "abc")
    dialog._accept()
    assert "太短" in dialog.error.text() and not dialog.result()
    dialog.first.clear()
    type_text(dialog.first, "abcdefgh1")
    type_text(dialog.second, "abcdefgh2")
    dialog._accept()
    assert "不一致" in dialog.error.text()
    dialog.second.clear()
    type_text(dialog.second, "abcdefgh1")
    dialog._accept()
    assert dialog.result() and dialog.passphrase() == "abcdefgh1"
