"""导入客商: choose a file (CSV in any encoding, Excel xlsx/xls/ods/WPS, vCard, exports of
企查查/天眼查/Outlook/Google), see the detected source and header row, the column → field
mapping (editable, remembered for this layout) and sample rows before anything is written;
check (every error of every row, before → after of every changed field), choose how to treat
existing records (跳过已有 / 只补空白字段 / 覆盖), import, and undo the import in one step.
Reading and writing run off the UI thread; the use cases live in zsapp.contacts.importer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from zsapp.contacts import importer
from zsapp.store import StoreError

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8（带 BOM）",
    "gb18030": "GBK/GB18030",
    "utf-16": "UTF-16",
    "big5": "Big5",
    "cp1252": "西文 (cp1252)",
    "xlsx": "Excel",
    "xls": "Excel 97-2003 / WPS",
    "ods": "ODS",
    "vcf": "vCard",
}
FILE_FILTER = "客商数据 (*.csv *.txt *.xlsx *.xlsm *.xls *.et *.ods *.vcf);;所有文件 (*)"


class ImportDialog(QDialog):
    def __init__(
        self, ctx: AppContext, path: str | Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tables: list[importer.SourceTable] = []
        self.table: importer.SourceTable | None = None
        self.source = "generic"
        self.report: importer.ImportReport | None = None
        self.path: Path | None = None
        self.setWindowTitle("导入客商")
        self.setObjectName("importDialog")
        self.resize(980, 720)

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importPath")
        self.path_edit.setReadOnly(True)
        browse = QPushButton("选择文件…")
        browse.clicked.connect(self.browse)
        self.info = QLabel(
            "支持 CSV（自动识别 UTF-8、GBK/GB18030、UTF-16）、Excel/WPS（xlsx、xls、et）、ODS、"
            "vCard（手机、iPhone、Outlook 导出），以及企查查、天眼查、Outlook、Google 通讯录导出文件"
        )
        self.info.setObjectName("importInfo")
        self.info.setWordWrap(True)
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("importSource")
        for key, (label, _) in importer.SOURCES.items():
            self.source_combo.addItem(label, key)
        self.source_combo.currentIndexChanged.connect(self._source_changed)
        self.header_label = QLabel()
        self.header_label.setObjectName("importHeaderRow")
        self.header_label.setWordWrap(True)
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setObjectName("importMapping")
        self.mapping_table.setHorizontalHeaderLabels(["文件中的列", "对应字段", "示例"])
        self.mapping_table.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.Stretch
        )
        self.mapping_table.verticalHeader().hide()
        self.preview_model = QStandardItemModel(self)
        self.preview = QTableView()
        self.preview.setObjectName("importPreview")
        self.preview.setModel(self.preview_model)
        self.changes = QListWidget()
        self.changes.setObjectName("importChanges")
        self.errors = QListWidget()
        self.errors.setObjectName("importErrors")
        self.warnings = QListWidget()
        self.warnings.setObjectName("importWarnings")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, "预览（前 20 行）")
        self.tabs.addTab(self.changes, "逐行改动")
        self.tabs.addTab(self.errors, "有误的行")
        self.tabs.addTab(self.warnings, "提示")
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("importMode")
        for key in ("fill", "skip", "overwrite"):
            label = importer.MODES[key] + ("（默认）" if key == "fill" else "")
            self.mode_combo.addItem(label, key)
        self.only_good = QCheckBox("只导入正确的行（跳过有误的行）")
        self.only_good.setObjectName("importOnlyGood")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.check_button = QPushButton("检查")
        self.check_button.setObjectName("importCheck")
        self.check_button.clicked.connect(lambda: self.run(dry_run=True))
        self.import_button = QPushButton("导入")
        self.import_button.setObjectName("importRun")
        self.import_button.clicked.connect(lambda: self.run(dry_run=False))
        self.undo_button = QPushButton("撤销本次导入")
        self.undo_button.setObjectName("importUndo")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo)
        history = QPushButton("导入记录…")
        history.setObjectName("importHistory")
        history.clicked.connect(self.show_history)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        self.result = QLabel()
        self.result.setObjectName("importResult")
        self.result.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(browse)
        source_row = QHBoxLayout()
        source_row.addWidget(QLabel("文件来源："))
        source_row.addWidget(self.source_combo, 1)
        source_row.addWidget(QLabel("已有记录："))
        source_row.addWidget(self.mode_combo, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.only_good)
        bottom.addStretch(1)
        bottom.addWidget(self.check_button)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(history)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addLayout(source_row)
        layout.addWidget(self.header_label)
        layout.addWidget(QLabel("列对应（可修改）："))
        layout.addWidget(self.mapping_table, 3)
        layout.addWidget(self.tabs, 3)
        layout.addWidget(self.result)
        layout.addWidget(self.progress)
        layout.addLayout(bottom)
        self._set_enabled(False)
        if path:
            self.load(Path(path))

    def _set_enabled(self, enabled: bool) -> None:
        self.check_button.setEnabled(enabled)
        self.import_button.setEnabled(enabled)

    def browse(self) -> None:
        path = filedialogs.open_file(self, "选择要导入的文件", FILE_FILTER)
        if path:
            self.load(Path(path))

    # -- reading ----------------------------------------------------------------------------
    def load(self, path: Path) -> None:
        self.path = path
        self.path_edit.setText(str(path))
        self.info.setText("正在读取文件…")
        self._set_enabled(False)
        self.undo_button.setEnabled(False)
        store = self.ctx.store

        def work():
            tables = importer.read_sources(path)
            return tables, importer.mapping_for(store, tables[0])

        self.ctx.tasks.run(work, self._loaded, self._load_failed)

    def _load_failed(self, exc: BaseException) -> None:
        self.tables, self.table = [], None
        message = str(exc) if isinstance(exc, StoreError) else f"无法读取文件：{exc}"
        self.info.setText(f"<span style='color:#b00020'>{message}</span>")
        self.mapping_table.setRowCount(0)
        self.preview_model.clear()
        self.header_label.clear()

    def _loaded(self, result) -> None:
        tables, (mapping, source, remembered) = result
        self.tables, self.table, self.source = tables, tables[0], source
        t = self.table
        parts = [
            f"来源：{t.source_label}",
            ENCODING_NAMES.get(t.encoding, t.encoding),
            f"{sum(len(x.rows) for x in tables)} 行数据",
            f"{len([h for h in t.headers if h])} 列",
        ]
        if len(tables) > 1:
            parts.append("工作表：" + "、".join(x.sheet for x in tables) + "（一并导入）")
        if remembered:
            parts.append("已使用上次为这种表头保存的列对应")
        self.info.setText(" · ".join(parts))
        self.source_combo.blockSignals(True)
        index = self.source_combo.findData(source)
        self.source_combo.setCurrentIndex(max(index, 0))
        self.source_combo.setEnabled(t.fixed_mapping is None)
        self.source_combo.blockSignals(False)
        header_text = " | ".join(h for h in t.headers if h)
        text = f"识别到的表头：第 {t.header_line} 行"
        if t.upper_headers:
            text += f"（与第 {t.header_line - 1} 行的分组合并）"
        text += f"：{header_text}"
        if t.skipped:
            text += "<br>已跳过表头上方的行：" + "；".join(
                f"第 {line} 行“{value[:40]}”" for line, value in t.skipped
            )
        self.header_label.setText(text)
        self._fill_mapping(mapping)
        self._set_enabled(True)

    def _fill_mapping(self, mapping: dict[int, str]) -> None:
        t = self.table
        assert t is not None
        labels = {**importer.TARGETS, **importer.VISIT_TARGETS}
        self.mapping_table.setRowCount(len(t.headers))
        for n, header in enumerate(t.headers):
            self.mapping_table.setItem(n, 0, _item(header))
            combo = QComboBox()
            combo.addItem("（不导入）", "")
            keys = importer.VISIT_TARGETS if t.kind == "visits" else importer.TARGETS
            for key in keys:
                combo.addItem(labels[key], key)
            combo.setCurrentIndex(max(0, combo.findData(mapping.get(n, ""))))
            combo.setEnabled(t.fixed_mapping is None)
            combo.currentIndexChanged.connect(lambda _i: self.update_preview())
            self.mapping_table.setCellWidget(n, 1, combo)
            sample = next(
                (
                    cells[n]
                    for _, cells in t.rows
                    if n < len(cells) and cells[n] and cells[n] not in importer.PLACEHOLDERS
                ),
                "",
            )
            self.mapping_table.setItem(n, 2, _item(sample))
        self.mapping_table.resizeColumnToContents(0)
        self.mapping_table.setColumnWidth(1, 240)
        self.update_preview()

    def _source_changed(self, _index: int) -> None:
        if not self.table or self.table.fixed_mapping is not None:
            return
        self.source = self.source_combo.currentData()
        self._fill_mapping(importer.auto_mapping(self.table.headers, self.source))

    def mapping(self) -> dict[int, str]:
        out = {}
        for n in range(self.mapping_table.rowCount()):
            key = self.mapping_table.cellWidget(n, 1).currentData()
            if key:
                out[n] = key
        return out

    def update_preview(self) -> None:
        if not self.table:
            return
        mapping = self.mapping()
        rows = importer.preview(self.table, mapping)
        labels = {**importer.TARGETS, **importer.VISIT_TARGETS}
        headers = ["行号", *dict.fromkeys(labels[t] for t in mapping.values())]
        self.preview_model.clear()
        self.preview_model.setHorizontalHeaderLabels(headers)
        for row in rows:
            self.preview_model.appendRow(
                [_cell(row["_line"]), *[_cell(row.get(h, "")) for h in headers[1:]]]
            )

    # -- checking and importing -----------------------------------------------------------
    def run(self, dry_run: bool) -> None:
        if not self.table:
            return
        store, tables, path = self.ctx.store, list(self.tables), self.path
        mappings, sources = [self.mapping()], [self.source]
        for table in tables[1:]:
            mapping, source, _ = importer.mapping_for(None, table)
            mappings.append(mapping)
            sources.append(source)
        mode, only_good = self.mode_combo.currentData(), self.only_good.isChecked()
        self._set_enabled(False)
        self.undo_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        for widget in (self.changes, self.errors, self.warnings):
            widget.clear()
        self.result.setText("正在检查…" if dry_run else "正在导入…")

        journal = self.ctx.journal

        def work(progress):
            try:
                # Recorded on this worker thread; undone through the import batch.
                with journal.action("导入客商数据") as op:
                    report = importer.run_import(
                        store,
                        tables,
                        mappings,
                        sources,
                        only_good=only_good,
                        dry_run=dry_run,
                        mode=mode,
                        progress=progress,
                        remember=True,
                        file_name=path.name if path else "",
                    )
                    if not dry_run and report.batch_id:
                        op.import_batch = report.batch_id
                    return report
            except importer.ImportRejected as exc:
                exc.report.rejected_message = str(exc)  # type: ignore[attr-defined]
                return exc.report

        self.ctx.tasks.run(
            work, lambda report: self._done(report, dry_run), self._failed, self._progress
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _failed(self, exc: BaseException) -> None:
        self.progress.setVisible(False)
        self._set_enabled(True)
        self.result.setText(f"<span style='color:#b00020'>{exc}</span>")

    def _done(self, report: importer.ImportReport, dry_run: bool) -> None:
        self.report = report
        self.progress.setVisible(False)
        self._set_enabled(True)
        for line, reason in report.errors:
            self.errors.addItem(f"第 {line} 行：{reason}")
        for line, message in report.warnings:
            self.warnings.addItem(f"第 {line} 行：{message}")
        for change in report.changes:
            self.changes.addItem(change.text())
        for widget, label in (
            (self.changes, "逐行改动"),
            (self.errors, "有误的行"),
            (self.warnings, "提示"),
        ):
            count = widget.count()
            self.tabs.setTabText(
                self.tabs.indexOf(widget), f"{label}（{count}）" if count else label
            )
        rejected = getattr(report, "rejected_message", "")
        if rejected:
            self.tabs.setCurrentWidget(self.errors)
            self.result.setText(
                f"<span style='color:#b00020'>{rejected}</span><br>可修改文件后重试，或勾选“只导入正确的行”。"
            )
            return
        mode = importer.MODES[report.mode]
        if dry_run:
            self.tabs.setCurrentWidget(self.errors if report.errors else self.changes)
            self.result.setText(f"检查结果（尚未写入，方式：{mode}）：" + report.summary())
        else:
            self.tabs.setCurrentWidget(self.changes)
            batch = f"，批次 {report.batch_id}" if report.batch_id else "，没有任何改动"
            self.result.setText(f"<b>导入完成</b>（方式：{mode}{batch}）：" + report.summary())
            self.undo_button.setEnabled(bool(report.batch_id))

    def undo(self) -> None:
        if not self.report or not self.report.batch_id:
            return
        store, batch_id = self.ctx.store, self.report.batch_id
        self.undo_button.setEnabled(False)

        def done(result: dict[str, int]) -> None:
            text = (
                f"<b>已撤销本次导入</b>：删除新建记录 {result['removed']} 条，"
                f"恢复字段 {result['restored']} 个"
            )
            if result["kept"]:
                text += f"；{result['kept']} 个字段导入后又被修改过，保留了修改后的值"
            self.result.setText(text)

        self.ctx.tasks.run(lambda: importer.undo_import(store, batch_id), done, self._failed)

    def show_history(self) -> None:
        dialog = ImportHistoryDialog(self.ctx, self)
        dialog.setModal(True)
        dialog.show()
        self.history_dialog = dialog


class ImportHistoryDialog(QDialog):
    """导入记录: every import batch of this device; the selected one can be undone."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("导入记录")
        self.setObjectName("importHistoryDialog")
        self.resize(760, 420)
        self.list = QListWidget()
        self.list.setObjectName("importHistoryList")
        self.list.currentRowChanged.connect(self._selected)
        self.status = QLabel()
        self.status.setObjectName("importHistoryStatus")
        self.status.setWordWrap(True)
        self.undo_button = QPushButton("撤销所选导入")
        self.undo_button.setObjectName("importHistoryUndo")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.batches: list[dict] = []
        self.refresh()

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.tasks.run(lambda: importer.list_imports(store, 200), self._show)

    def _show(self, batches: list[dict]) -> None:
        self.batches = batches
        self.list.clear()
        for b in batches:
            state = f"已撤销（{b['undone_at']}）" if b["undone_at"] else "可撤销"
            self.list.addItem(f"{b['created_at']}  {b['file_name']}  {b['summary']}  〔{state}〕")
        if not batches:
            self.status.setText("还没有导入记录")

    def _selected(self, row: int) -> None:
        batch = self.batches[row] if 0 <= row < len(self.batches) else None
        self.undo_button.setEnabled(bool(batch) and not batch["undone_at"])

    def undo(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.batches):
            return
        store, batch_id = self.ctx.store, self.batches[row]["id"]
        self.undo_button.setEnabled(False)

        def done(result: dict[str, int]) -> None:
            self.status.setText(
                f"已撤销：删除新建记录 {result['removed']} 条，恢复字段 {result['restored']} 个"
                + (
                    f"；{result['kept']} 个字段导入后又被修改过，保留了修改后的值"
                    if result["kept"]
                    else ""
                )
            )
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.status.setText(f"<span style='color:#b00020'>{exc}</span>")

        self.ctx.tasks.run(lambda: importer.undo_import(store, batch_id), done, failed)


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def _cell(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    return item
