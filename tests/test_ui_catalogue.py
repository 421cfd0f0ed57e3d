"""The 目录 page with real widgets: typing in the search box shows results and details."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase


def catalogue_page(main_window):
    return main_window.show_page("catalogue")


def result_names(page):
    model = page.results_model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_typing_pinyin_initials_shows_results_live(qtbot, main_window, type_text):
    page = catalogue_page(main_window)
    type_text(page.search_box, "kf")
    qtbot.waitUntil(
        lambda: page.left.currentWidget() is page.results and page.results_model.rowCount() > 0
    )
    assert result_names(page)[0] == "咖啡"
    assert "找到" in page.status.text()
    qtbot.waitUntil(lambda: "咖啡物流" in page.detail.toPlainText())
    assert "一律不招" in page.detail.toPlainText()  # admission rules shown with every item


def test_single_character_and_clearing_returns_to_tree(qtbot, main_window, type_text):
    page = catalogue_page(main_window)
    type_text(page.search_box, "锗")
    qtbot.waitUntil(lambda: "高纯锗单晶材料" in result_names(page))
    page.search_box.clear()
    qtbot.waitUntil(lambda: page.left.currentWidget() is page.tree)


def test_no_result_message(qtbot, main_window):
    page = catalogue_page(main_window)
    qtbot.keyClicks(page.search_box, "xqzv")
    qtbot.waitUntil(lambda: "没有找到" in page.status.text())
    assert page.results_model.rowCount() == 0


def test_tree_has_ten_industries_and_item_detail(qtbot, main_window):
    page = catalogue_page(main_window)
    model = page.tree_model
    assert model.rowCount() == 10
    assert sum(model.rowCount(model.index(r, 0)) for r in range(10)) == 45
    tea = model.index(0, 0, model.index(0, 0))
    page.tree.setCurrentIndex(tea)
    qtbot.waitUntil(lambda: page.current_id == "I01-01")
    assert "茶叶" in page.detail.toPlainText() and "慎招" in page.detail.toPlainText()


def test_bundled_cjk_font_is_the_application_font(qapp):
    family = qapp.font().family()
    assert "WenQuanYi" in family or "文泉驿" in family
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(family)


def test_navigation_and_last_page_restored(qtbot, ctx):
    from ui.main_window import MainWindow

    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.show_page("settings")
    first.resize(700, 500)
    qtbot.waitUntil(lambda: first.width() == 700)
    first.close()
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.current_page_key() == "settings"
    assert (second.width(), second.height()) == (700, 500)


def test_first_run_profile_dialog_saves_profile(qtbot, store, type_text):
    from ui.dialogs.profile_dialog import ProfileDialog
    from zsapp import profile

    dialog = ProfileDialog(store, first_run=True)
    qtbot.addWidget(dialog)
    type_text(dialog.inputs["name"], "王芳")
    qtbot.keyClicks(dialog.inputs["phone"], "12")
    dialog.accept()
    assert "不是有效号码" in dialog.error.text()  # stays open with the reason
    dialog.inputs["phone"].setText("13912345678")
    dialog.inputs["prefecture"].setCurrentText("曲靖市")
    dialog.accept()
    saved = profile.get_profile(store)
    assert (saved.name, saved.phone, saved.prefecture) == ("王芳", "+8613912345678", "曲靖市")


def test_standard_dialog_buttons_are_in_chinese(qtbot, qapp):
    from PySide6.QtWidgets import QDialogButtonBox

    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"


def test_settings_page_opens_admission_thresholds(qtbot, main_window):
    page = main_window.show_page("settings")
    qtbot.mouseClick(page.thresholds_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog.isVisible())
    assert page.dialog.objectName() == "thresholdsDialog"
    page.dialog.reject()
