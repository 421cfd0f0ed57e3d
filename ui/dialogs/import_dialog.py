"""导入客商: choose a file (CSV UTF-8/GBK, XLSX, vCard), map its columns with a preview,
check (every bad row listed with its line number), then import — all-or-nothing unless
“只导入正确的行” is ticked. Reading and writing run off the UI thread."""

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
    "xlsx": "Excel",
    "vcf": "vCard",
}


class ImportDialog(QDialog):
    def __init__(
        self, ctx: AppContext, path: str | Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.table: importer.SourceTable | None = None
        self.report: importer.ImportReport | None = None
        self.setWindowTitle("导入客商")
        self.setObjectName("importDialog")
        self.resize(900, 640)

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importPath")
        self.path_edit.setReadOnly(True)
        browse = QPushButton("选择文件…")
        browse.clicked.connect(self.browse)
        self.info = QLabel("支持 CSV（UTF-8、GBK/GB18030，自动识别）、Excel .xlsx、vCard .vcf")
        self.info.setObjectName("importInfo")
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
        self.errors = QListWidget()
        self.errors.setObjectName("importErrors")
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
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        self.result = QLabel()
        self.result.setObjectName("importResult")
        self.result.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(browse)
        bottom = QHBoxLayout()
        bottom.addWidget(self.only_good)
        bottom.addStretch(1)
        bottom.addWidget(self.check_button)
        bottom.addWidget(self.import_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(QLabel("列对应："))
        layout.addWidget(self.mapping_table, 2)
        layout.addWidget(QLabel("预览（前 20 行）："))
        layout.addWidget(self.preview, 2)
        layout.addWidget(QLabel("有误的行："))
        layout.addWidget(self.errors, 1)
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
        path = filedialogs.open_file(
            self, "选择要导入的文件", "客商数据 (*.csv *.txt *.xlsx *.vcf);;所有文件 (*)"
        )
        if path:
            self.load(Path(path))

    def load(self, path: Path) -> None:
        self.path_edit.setText(str(path))
        try:
            self.table = importer.read_source(path)
        except StoreError as exc:
            self.table = None
            self.info.setText(f"<span style='color:#b00020'>{exc}</span>")
            self._set_enabled(False)
            return
        t = self.table
        self.info.setText(
            f"{ENCODING_NAMES.get(t.encoding, t.encoding)} · {len(t.rows)} 行数据 · {len(t.headers)} 列"
        )
        mapping = importer.auto_mapping(t.headers)
        self.mapping_table.setRowCount(len(t.headers))
        for n, header in enumerate(t.headers):
            self.mapping_table.setItem(n, 0, _item(header))
            combo = QComboBox()
            combo.addItem("（不导入）", "")
            for key, label in importer.TARGETS.items():
                combo.addItem(label, key)
            combo.setCurrentIndex(max(0, combo.findData(mapping.get(n, ""))))
            combo.currentIndexChanged.connect(lambda _i: self.update_preview())
            self.mapping_table.setCellWidget(n, 1, combo)
            sample = next((cells[n] for _, cells in t.rows if n < len(cells) and cells[n]), "")
            self.mapping_table.setItem(n, 2, _item(sample))
        self.mapping_table.resizeColumnToContents(0)
        self.mapping_table.setColumnWidth(1, 200)
        self.update_preview()
        self._set_enabled(True)

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
        headers = ["行号", *[importer.TARGETS[t] for t in mapping.values()]]
        self.preview_model.clear()
        self.preview_model.setHorizontalHeaderLabels(headers)
        for row in rows:
            self.preview_model.appendRow(
                [_cell(row["_line"]), *[_cell(row[h]) for h in headers[1:]]]
            )

    def run(self, dry_run: bool) -> None:
        if not self.table:
            return
        store, table, mapping, only_good = (
            self.ctx.store,
            self.table,
            self.mapping(),
            self.only_good.isChecked(),
        )
        self._set_enabled(False)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.errors.clear()
        self.result.setText("正在检查…" if dry_run else "正在导入…")

        journal = self.ctx.journal

        def work(progress):
            plans, report = importer.plan_import(store, table, mapping)
            try:
                with journal.action("导入客商数据"):  # recorded on this worker thread
                    return importer.apply_import(
                        store,
                        plans,
                        report,
                        only_good=only_good,
                        dry_run=dry_run,
                        progress=progress,
                    )
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
        rejected = getattr(report, "rejected_message", "")
        if rejected:
            self.result.setText(
                f"<span style='color:#b00020'>{rejected}</span><br>可修改文件后重试，或勾选“只导入正确的行”。"
            )
        elif dry_run:
            self.result.setText("检查结果（尚未写入）：" + report.summary())
        else:
            self.result.setText("<b>导入完成：</b>" + report.summary())


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def _cell(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    return item
