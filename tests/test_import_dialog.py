"""The import dialog shows the detected source, header row, editable mapping and sample rows
before anything is written; the check lists before → after per changed field; the mode is
the user's choice; the import can be undone from the dialog; a mapping is remembered."""

import json

import import_samples as samples

from zsapp.contacts import companies, importer, people


def open_dialog(qtbot, ctx, path):
    from ui.dialogs.import_dialog import ImportDialog

    dialog = ImportDialog(ctx, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table is not None, timeout=10000)
    return dialog


def combo_for(dialog, header):
    for n in range(dialog.mapping_table.rowCount()):
        if dialog.mapping_table.item(n, 0).text() == header:
            return dialog.mapping_table.cellWidget(n, 1)
    raise AssertionError(header)


def test_qichacha_file_shows_header_mapping_and_samples_before_writing(
    main_window, qtbot, ctx, tmp_path
):
    path = samples.qichacha_xlsx(tmp_path / "企查查.xlsx")
    dialog = open_dialog(qtbot, ctx, path)
    assert "企查查导出" in dialog.info.text()
    assert dialog.source_combo.currentData() == "qichacha"
    header = dialog.header_label.text()
    assert "第 2 行" in header and "已跳过" in header and "声明" in header
    assert combo_for(dialog, "法定代表人").currentData() == "person.legal_rep"
    assert combo_for(dialog, "注册资本").currentData() == "company.extra"
    assert combo_for(dialog, "企业(机构)类型").currentData() != "company.ownership"
    assert dialog.preview_model.rowCount() == 2
    labels = [
        dialog.preview_model.horizontalHeaderItem(c).text()
        for c in range(dialog.preview_model.columnCount())
    ]
    assert "企业名称" in labels
    assert dialog.preview_model.item(0, labels.index("企业名称")).text() == "云南铝业股份有限公司"
    assert ctx.store.count("companies") == 0  # nothing written yet

    dialog.check_button.click()
    qtbot.waitUntil(lambda: "检查结果" in dialog.result.text(), timeout=10000)
    assert dialog.warnings.count() >= 1 and ctx.store.count("companies") == 0
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "导入完成" in dialog.result.text(), timeout=10000)
    assert ctx.store.count("companies") == 2 and ctx.store.count("people") == 2
    assert dialog.undo_button.isEnabled()
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: "已撤销本次导入" in dialog.result.text(), timeout=10000)
    assert ctx.store.count("companies") == 0 and ctx.store.count("people") == 0


def test_mode_choice_and_before_after_in_the_dialog(main_window, qtbot, ctx, tmp_path):
    store = ctx.store
    cid = companies.create_company(
        store,
        {"name": "华为技术有限公司", "uscc": "914403001922038216", "website": "https://old.cn"},
    )
    path = tmp_path / "客商.csv"
    path.write_bytes(
        "企业名称,统一社会信用代码,网址,来源省份\n华为技术有限公司,914403001922038216,https://new.cn,广东省\n".encode(
            "gbk"
        )
    )
    dialog = open_dialog(qtbot, ctx, path)
    assert dialog.mode_combo.currentData() == "fill"  # 只补空白字段 is the default
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.changes.count() == 1, timeout=10000)
    text = dialog.changes.item(0).text()
    assert "来源省份：“” → “广东省”" in text and "网址" not in text
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("overwrite"))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "导入完成" in dialog.result.text(), timeout=10000)
    assert "网址：“https://old.cn” → “https://new.cn”" in dialog.changes.item(0).text()
    assert companies.get_company(store, cid)["website"] == "https://new.cn"
    assert importer.list_imports(store)[0]["mode"] == "overwrite"


def test_edited_mapping_is_remembered_for_the_next_file(main_window, qtbot, ctx, tmp_path):
    first = tmp_path / "a.csv"
    first.write_bytes("客户单位,对接人,联系方式\n甲公司,张三,13800138000\n".encode())
    dialog = open_dialog(qtbot, ctx, first)
    assert combo_for(dialog, "客户单位").currentData() == ""
    for header, key in (
        ("客户单位", "company.name"),
        ("对接人", "person.name"),
        ("联系方式", "person.phone"),
    ):
        combo = combo_for(dialog, header)
        combo.setCurrentIndex(combo.findData(key))
    assert dialog.preview_model.item(0, 1).text() == "甲公司"
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "导入完成" in dialog.result.text(), timeout=10000)
    second = tmp_path / "b.csv"
    second.write_bytes("客户单位,对接人,联系方式\n乙公司,李四,13900139000\n".encode())
    again = open_dialog(qtbot, ctx, second)
    assert "上次" in again.info.text()
    assert combo_for(again, "对接人").currentData() == "person.name"
    again.import_button.click()
    qtbot.waitUntil(lambda: "导入完成" in again.result.text(), timeout=10000)
    li = people.get_person(ctx.store, people.resolve(ctx.store, "李四"))
    assert li["mobile"] == "+8613900139000"
    (saved,) = [
        json.loads(r["value"])
        for r in ctx.store.query("SELECT value FROM settings WHERE key LIKE 'import.mapping.%'")
    ]
    assert saved["columns"] == {
        "客户单位": "company.name",
        "对接人": "person.name",
        "联系方式": "person.phone",
    }


def test_unreadable_file_shows_a_chinese_message(main_window, qtbot, ctx, tmp_path):
    from ui.dialogs.import_dialog import ImportDialog

    path = samples.zip_bomb_xlsx(tmp_path / "bomb.xlsx", inflated_mb=80)
    dialog = ImportDialog(ctx, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "已拒绝读取" in dialog.info.text(), timeout=20000)
    assert not dialog.import_button.isEnabled()


def test_import_history_lists_batches_and_undoes_one(main_window, qtbot, ctx, tmp_path):
    from ui.dialogs.import_dialog import ImportHistoryDialog

    store = ctx.store
    first = tmp_path / "a.csv"
    first.write_bytes("企业名称,联系人\n甲公司,张三\n".encode())
    second = tmp_path / "b.csv"
    second.write_bytes("企业名称,联系人\n乙公司,李四\n".encode())
    importer.import_file(store, first)
    importer.import_file(store, second)
    dialog = ImportHistoryDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=10000)
    assert "b.csv" in dialog.list.item(0).text() and "可撤销" in dialog.list.item(0).text()
    dialog.list.setCurrentRow(0)
    assert dialog.undo_button.isEnabled()
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: "已撤销：" in dialog.status.text(), timeout=10000)
    qtbot.waitUntil(lambda: "已撤销（" in dialog.list.item(0).text(), timeout=10000)
    assert [r["name"] for r in store.query("SELECT name FROM companies WHERE deleted = 0")] == [
        "甲公司"
    ]
    dialog.list.setCurrentRow(0)
    assert not dialog.undo_button.isEnabled()
