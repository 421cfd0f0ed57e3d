"""推介册: pick a template, projects (or an investor) and a language; generate off the UI
thread with progress; preview the pages in the app (QtPdf); 保存 / 打印 / 用系统程序打开;
the history of generated brochures (what was given to which investor)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from ui.models.paged import ID_ROLE, Column, PagedModel
from ui.pdf_preview import QPdfDocument, QPdfView  # Qt's QtPdf, or page images (visible note)
from zsapp import paths
from zsapp.brochure import history, picker, source, templates

PAGE_ROWS = 100
# What the project picker shows (code, name, industry, investment, current stage).
PROJECT_TABLES = frozenset({"projects", "project_items", "project_stages", "project_status"})
PRINT_DPI = 300
LANG_LABELS = [("zh", "中文"), ("zh-en", "中英双语（外资客商）")]


def _yi(wan: int | None) -> str:
    if wan is None:
        return "—"
    return f"{source.investment_yi(wan)}"


# --------------------------------------------------------------------------- models


def _codes_summary(codes: list[str]) -> str:
    if len(codes) <= 2:
        return "、".join(codes)
    return f"{'、'.join(codes[:2])} 等 {len(codes)} 个"


def _row_text(key: str):
    return lambda r: r.get(key) or "—"


class ProjectPickModel(PagedModel):
    """Live projects (zsapp.brochure.picker), searchable and sortable; check boxes pick
    the brochure's projects in checking order."""

    COLUMNS = [
        Column("code", "编号", "code"),
        Column("name", "项目名称", "name"),
        Column("industry", "产业", "industry", _row_text("industry")),
        Column(
            "investment",
            "亿元",
            "investment",
            lambda r: _yi(r["total_investment_wan"]),
            align_right=True,
        ),
        Column("stage", "阶段", "stage", _row_text("stage")),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent, page_size=PAGE_ROWS, checkable=True)
        self.store = store
        self.query = ""
        self.sort_key, self.descending = "code", True
        self.reload()

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        return picker.list_projects(
            self.store,
            self.query,
            sort=self.sort_key,
            descending=self.descending,
            limit=limit,
            offset=offset,
        )

    def count(self) -> int:
        return picker.count_projects(self.store, self.query)

    def set_query(self, text: str) -> None:
        self.query = text
        self.reload()

    def checked_codes(self) -> list[str]:
        return picker.codes(self.store, self.checked)


class HistoryModel(PagedModel):
    """Generated brochures, newest first (zsapp.brochure.history)."""

    COLUMNS = [
        Column(
            "generated_at", "生成时间", None, lambda r: r["generated_at"].replace("T", " ")[:16]
        ),
        Column("kind", "类型"),
        Column("company_name", "致（企业）", None, _row_text("company_name")),
        Column("projects", "项目", None, lambda r: _codes_summary(r["projects"])),
        Column("pages", "页数", None, lambda r: str(r["pages"])),
        Column(
            "file_path",
            "文件",
            None,
            lambda r: r["file_path"] + ("" if r["file_exists"] else "（文件已不在）"),
        ),
        Column(
            "language",
            "语言",
            None,
            lambda r: "中英双语" if r.get("language") == "zh-en" else "中文",
        ),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent, page_size=PAGE_ROWS)
        self.store = store
        self.text = ""
        self.reload()

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        return history.list_history(self.store, text=self.text, limit=limit, offset=offset)

    def count(self) -> int:
        return history.count_history(self.store, text=self.text)

    def set_text(self, text: str) -> None:
        self.text = text
        self.reload()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            r = self.row(index.row())
            return f"{r['title']}\n{'、'.join(r['projects'])}\n{r['file_path']}"
        return super().data(index, role)


# --------------------------------------------------------------------------- printing


def print_pdf(
    document: QPdfDocument, printer: QPrinter, dpi: int = PRINT_DPI, progress=None
) -> int:
    """Render every page at ``dpi`` onto ``printer`` (full page, A4 as in the PDF); returns pages printed."""
    n = document.pageCount()
    if n <= 0:
        return 0
    printer.setFullPage(True)  # the PDF already has its print-safe margins
    painter = QPainter()
    if not painter.begin(printer):
        raise RuntimeError("无法开始打印（打印机不可用）")
    try:
        for i in range(n):
            if i:
                printer.newPage()
            size = document.pagePointSize(i)
            px = QSize(round(size.width() / 72 * dpi), round(size.height() / 72 * dpi))
            image: QImage = document.render(i, px)
            page = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            page.moveTo(0, 0)
            # fit, never stretch (a printer with another paper size keeps the proportions)
            fitted = image.size().scaled(page.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(
                page.x() + (page.width() - fitted.width()) // 2,
                page.y() + (page.height() - fitted.height()) // 2,
                fitted.width(),
                fitted.height(),
            )
            painter.drawImage(target, image)
            if progress:
                progress(i + 1, n)
    finally:
        painter.end()
    return n


# --------------------------------------------------------------------------- dialogs


class PromoDialog(QDialog):
    """推介文字 of one project: English name/summary, highlights, advantages/incentives."""

    FIELDS = [
        ("name_en", "英文名称", False),
        ("summary_en", "英文简介", True),
        ("highlights", "项目亮点", True),
        ("advantages", "优势与政策", True),
    ]

    def __init__(self, store, project: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.project = store, project
        self.setWindowTitle(f"推介文字 · {project['code']}")
        self.resize(560, 520)
        texts = source.promo(store, project["id"])
        form = QFormLayout()
        form.addRow(QLabel(f"<b>{project['name']}</b>"))
        self.edits: dict[str, Any] = {}
        for key, label, multi in self.FIELDS:
            edit = QPlainTextEdit() if multi else QLineEdit()
            edit.setObjectName(f"promo_{key}")
            if multi:
                edit.setPlainText(texts[key])
                edit.setMinimumHeight(80)
            else:
                edit.setText(texts[key])
            self.edits[key] = edit
            form.addRow(label, edit)
        self.error = QLabel()
        self.error.setStyleSheet("color:#b00020")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str]:
        return {
            k: (e.toPlainText() if isinstance(e, QPlainTextEdit) else e.text())
            for k, e in self.edits.items()
        }

    def save(self) -> None:
        try:
            source.set_promo(self.store, self.project["id"], **self.values())
        except Exception as exc:  # shown, nothing lost: the dialog stays open with the text
            self.error.setText(f"保存失败：{exc}")
            return
        self.accept()


# --------------------------------------------------------------------------- page


def _safe_name(text: str) -> str:
    text = re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")
    return text[:40] or "推介册"


class BrochuresPage(QWidget):
    generated = Signal(str)  # path of a freshly generated PDF (preview loaded)
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store = ctx.store
        self.company_id = ""
        self.company_name = ""
        self.current_path: Path | None = None
        self.busy = False
        self.last_error = ""
        self.open_url = QDesktopServices.openUrl  # replaceable (tests)

        # -- template
        self.template_combo = QComboBox()
        self.template_combo.setObjectName("templateCombo")
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("titleEdit")
        self.title_edit.setPlaceholderText("默认：州市 + 招商引资项目推介册")
        self.intro_edit = QPlainTextEdit()
        self.intro_edit.setObjectName("introEdit")
        self.intro_edit.setPlaceholderText("推介说明（留空使用默认文字）")
        self.intro_edit.setFixedHeight(84)
        self.cover_edit = QLineEdit()
        self.cover_edit.setObjectName("coverEdit")
        self.cover_edit.setPlaceholderText("可选：封面图片")
        cover_btn = QPushButton("选择…")
        cover_btn.clicked.connect(self.choose_cover)
        cover_row = QHBoxLayout()
        cover_row.addWidget(self.cover_edit, 1)
        cover_row.addWidget(cover_btn)
        self.lang_combo = QComboBox()
        self.lang_combo.setObjectName("languageCombo")
        for code, label in LANG_LABELS:
            self.lang_combo.addItem(label, code)
        self.save_template_button = QPushButton("存为推介模板…")
        self.save_template_button.setObjectName("saveTemplateButton")
        self.save_template_button.clicked.connect(self.save_as_template)
        tbox = QGroupBox("推介模板与封面")
        tform = QFormLayout(tbox)
        tform.addRow("模板", self.template_combo)
        tform.addRow("标题", self.title_edit)
        tform.addRow("推介说明", self.intro_edit)
        tform.addRow("封面图片", cover_row)
        tform.addRow("语言", self.lang_combo)
        tform.addRow("", self.save_template_button)

        # -- investor
        self.company_search = QLineEdit()
        self.company_search.setObjectName("companySearch")
        self.company_search.setPlaceholderText("搜索投资方企业（名称、拼音首字母）")
        self.company_search.setClearButtonEnabled(True)
        self.company_results = QListWidget()
        self.company_results.setObjectName("companyResults")
        self.company_results.setMaximumHeight(90)
        self.company_results.hide()
        self.company_label = QLabel("未指定（封面不写“致 …”）")
        self.company_label.setObjectName("companyLabel")
        self.auto_button = QPushButton("按企业产业挑选项目")
        self.auto_button.setObjectName("autoSelectButton")
        self.auto_button.setEnabled(False)
        self.auto_button.clicked.connect(self.auto_select)
        clear_company = QPushButton("清除")
        clear_company.clicked.connect(lambda: self.set_company("", ""))
        crow = QHBoxLayout()
        crow.addWidget(self.company_label, 1)
        crow.addWidget(clear_company)
        cbox = QGroupBox("投资方（可选）")
        cl = QVBoxLayout(cbox)
        cl.addWidget(self.company_search)
        cl.addWidget(self.company_results)
        cl.addLayout(crow)
        cl.addWidget(self.auto_button)

        # -- projects
        self.project_search = QLineEdit()
        self.project_search.setObjectName("projectSearch")
        self.project_search.setPlaceholderText("搜索项目：编号、名称、拼音首字母…")
        self.project_search.setClearButtonEnabled(True)
        self.projects_model = ProjectPickModel(self.store, self)
        self.projects_view = QTableView()
        self.projects_view.setObjectName("projectList")
        self.projects_view.setModel(self.projects_model)
        self.projects_view.setSortingEnabled(True)
        self.projects_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.projects_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.projects_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.projects_view.verticalHeader().hide()
        hh = self.projects_view.horizontalHeader()
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for c in (0, 3, 4):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        hh.resizeSection(2, 84)
        hh.setResizeContentsPrecision(0)  # size to the rows on screen, not all pages
        self.projects_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.projects_view.setWordWrap(False)
        self.projects_view.doubleClicked.connect(self._toggle_row)
        self.selection_label = QLabel()
        self.selection_label.setObjectName("selectionLabel")
        self.promo_button = QPushButton("推介文字…")
        self.promo_button.setObjectName("promoButton")
        self.promo_button.setToolTip(
            "编辑当前项目的英文名称/简介、项目亮点、优势与政策（只用于推介册）"
        )
        self.promo_button.clicked.connect(self.edit_promo)
        clear_sel = QPushButton("清空选择")
        clear_sel.clicked.connect(lambda: self.projects_model.set_checked([]))
        srow = QHBoxLayout()
        srow.addWidget(self.selection_label, 1)
        srow.addWidget(self.promo_button)
        srow.addWidget(clear_sel)
        pbox = QGroupBox("项目（勾选，按勾选顺序编排）")
        pl = QVBoxLayout(pbox)
        pl.addWidget(self.project_search)
        pl.addWidget(self.projects_view, 1)
        pl.addLayout(srow)

        # -- generate
        self.generate_button = QPushButton("生成推介册")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setDefault(True)
        self.generate_button.setMinimumHeight(34)
        self.generate_button.clicked.connect(self.generate)
        self.page_button = QPushButton("单项目推介页")
        self.page_button.setObjectName("pageButton")
        self.page_button.setToolTip("只勾选一个项目时：生成一至两页的单项目推介页")
        self.page_button.clicked.connect(lambda: self.generate(single_page=True))
        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setTextVisible(True)
        self.progress.setFormat("正在生成… %p%")
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("brochureStatus")
        self.status.setWordWrap(True)
        grow = QHBoxLayout()
        grow.addWidget(self.generate_button, 2)
        grow.addWidget(self.page_button, 1)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 6, 0)
        ll.addWidget(pbox, 3)
        ll.addWidget(cbox)
        ll.addWidget(tbox)
        ll.addLayout(grow)
        ll.addWidget(self.progress)
        ll.addWidget(self.status)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(200)

        # -- preview
        self.document = QPdfDocument(self)
        self.preview = QPdfView()
        self.preview.setObjectName("preview")
        self.preview.setDocument(self.document)
        self.preview.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.save_button = QPushButton("保存…")
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.save)
        self.print_button = QPushButton("打印…")
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(self.print_dialog)
        self.open_button = QPushButton("用系统程序打开")
        self.open_button.setObjectName("openButton")
        self.open_button.clicked.connect(self.open_external)
        self.preview_label = QLabel("尚未生成。勾选项目或选择投资方后点“生成推介册”。")
        self.preview_label.setObjectName("previewLabel")
        self.preview_label.setMinimumWidth(40)
        self.preview_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        bar.addWidget(self.preview_label, 1)
        for b in (self.save_button, self.print_button, self.open_button):
            b.setEnabled(False)
            bar.addWidget(b)
        preview_tab = QWidget()
        pv = QVBoxLayout(preview_tab)
        pv.setContentsMargins(0, 4, 0, 0)
        pv.addLayout(bar)
        pv.addWidget(self.preview, 1)

        self.history_model = HistoryModel(self.store, self)
        self.history_view = QTableView()
        self.history_view.setObjectName("historyList")
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_view.verticalHeader().hide()
        hh = self.history_view.horizontalHeader()
        for c in range(5):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        hh.setResizeContentsPrecision(0)
        self.history_view.doubleClicked.connect(self.show_history_entry)
        forget = QPushButton("删除记录")
        forget.clicked.connect(self.forget_selected)
        show = QPushButton("预览所选")
        show.clicked.connect(lambda: self.show_history_entry(self.history_view.currentIndex()))
        hrow = QHBoxLayout()
        self.history_search = QLineEdit()
        self.history_search.setObjectName("historySearch")
        self.history_search.setPlaceholderText("按企业、项目编号筛选；双击记录可重新预览、打印")
        self.history_search.setClearButtonEnabled(True)
        self.history_search.setMinimumWidth(60)
        self.history_search.textChanged.connect(self.history_model.set_text)
        hrow.addWidget(self.history_search, 1)
        hrow.addWidget(show)
        hrow.addWidget(forget)
        history_tab = QWidget()
        hv = QVBoxLayout(history_tab)
        hv.setContentsMargins(0, 4, 0, 0)
        hv.addLayout(hrow)
        hv.addWidget(self.history_view, 1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("brochureTabs")
        self.tabs.addTab(preview_tab, "预览")
        self.tabs.addTab(history_tab, "生成记录")

        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([540, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        # -- wiring
        self._project_timer = QTimer(self)
        self._project_timer.setSingleShot(True)
        self._project_timer.setInterval(80)
        self._project_timer.timeout.connect(
            lambda: self.projects_model.set_query(self.project_search.text())
        )
        self.project_search.textChanged.connect(lambda _t: self._project_timer.start())
        self._company_timer = QTimer(self)
        self._company_timer.setSingleShot(True)
        self._company_timer.setInterval(80)
        self._company_timer.timeout.connect(self.search_companies)
        self.company_search.textChanged.connect(lambda _t: self._company_timer.start())
        self.company_results.itemActivated.connect(self._company_chosen)
        self.company_results.itemClicked.connect(self._company_chosen)
        self.projects_model.checked_changed.connect(self._update_selection_label)
        self.template_combo.currentIndexChanged.connect(self._template_chosen)
        ctx.watch(self, PROJECT_TABLES, self._on_projects_changed)
        ctx.watch(self, {"brochures", "companies"}, self._on_history_changed)
        ctx.watch(self, {"brochure_templates"}, self._on_templates_changed)
        self.reload_templates()
        self._update_selection_label()

    # -- templates ------------------------------------------------------------------------
    def reload_templates(self, select_id: str = "") -> None:
        current = select_id or (self.template_combo.currentData() or "")
        self.template_combo.blockSignals(True)
        self.template_combo.clear()
        self.template_combo.addItem("（不使用模板）", "")
        for t in templates.list_templates(self.store):
            self.template_combo.addItem(t.name, t.id)
        i = self.template_combo.findData(current)
        self.template_combo.setCurrentIndex(max(0, i))
        self.template_combo.blockSignals(False)
        if select_id:
            self._template_chosen()

    def _template_chosen(self, _i: int = 0) -> None:
        tid = self.template_combo.currentData()
        if not tid:
            return
        try:
            t = templates.get_template(self.store, tid)
        except templates.TemplateError as exc:
            self.status.setText(str(exc))
            return
        self.title_edit.setText(t.title)
        self.intro_edit.setPlainText(t.intro)
        self.cover_edit.setText(t.cover_image)
        self.lang_combo.setCurrentIndex(max(0, self.lang_combo.findData(t.language)))

    def current_template_fields(self, name: str, template_id: str = "") -> templates.Template:
        return templates.Template(
            id=template_id,
            name=name,
            title=self.title_edit.text().strip(),
            intro=self.intro_edit.toPlainText(),
            cover_image=self.cover_edit.text().strip(),
            language=self.lang_combo.currentData(),
        )

    def save_as_template(self) -> None:
        default = self.template_combo.currentText() if self.template_combo.currentData() else ""
        name, ok = QInputDialog.getText(
            self, "存为推介模板", "模板名称（同名则更新该模板）：", text=default
        )
        if ok and name.strip():
            self.save_template_named(name.strip())

    def save_template_named(self, name: str) -> templates.Template | None:
        existing = next(
            (t for t in templates.list_templates(self.store) if t.name.lower() == name.lower()),
            None,
        )
        try:
            saved = templates.save_template(
                self.store, self.current_template_fields(name, existing.id if existing else "")
            )
        except templates.TemplateError as exc:
            self.status.setText(str(exc))
            return None
        self.status.setText(f"已保存推介模板“{saved.name}”")
        self.reload_templates(saved.id)
        return saved

    def choose_cover(self) -> None:
        path = filedialogs.open_file(
            self, "选择封面图片", "图片 (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp)"
        )
        if path:
            self.cover_edit.setText(path)

    # -- investor -------------------------------------------------------------------------
    def search_companies(self) -> None:
        from zsapp.contacts import companies

        q = self.company_search.text().strip()
        self.company_results.clear()
        if not q:
            self.company_results.hide()
            return
        hits = companies.search_companies(self.store, q, 20)
        for h in hits:
            item = QListWidgetItem(
                h["name"] + (f"（{h['origin_province']}）" if h.get("origin_province") else "")
            )
            item.setData(ID_ROLE, h["id"])
            item.setData(ID_ROLE + 1, h["name"])
            self.company_results.addItem(item)
        if not hits:
            item = QListWidgetItem(f"没有找到“{q}”")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.company_results.addItem(item)
        self.company_results.show()

    def _company_chosen(self, item: QListWidgetItem) -> None:
        if item.data(ID_ROLE):
            self.set_company(item.data(ID_ROLE), item.data(ID_ROLE + 1))

    def set_company(self, company_id: str, name: str) -> None:
        self.company_id, self.company_name = company_id, name
        if company_id:
            self.company_label.setText(f"致 {name}")
            self.company_results.hide()
        else:
            self.company_label.setText("未指定（封面不写“致 …”）")
        self.auto_button.setEnabled(bool(company_id))
        self._update_selection_label()

    def start_for_company(self, company_id: str, name: str) -> None:
        """Entry point for other pages (客商): personalise for a company and tick its projects."""
        self.set_company(company_id, name)
        self.auto_select()

    def auto_select(self) -> None:
        if not self.company_id:
            return
        rows = source.select_for_company(self.store, self.company_id)
        self.projects_model.set_checked([r["id"] for r in rows])
        if rows:
            self.status.setText(
                f"已按“{self.company_name}”的所属产业勾选 {len(rows)} 个仍在招商的项目"
            )
        elif not source.company_item_ids(self.store, self.company_id):
            self.status.setText(
                f"企业“{self.company_name}”尚未关联所属产业，请在客商资料中补充，或手动勾选项目"
            )
        else:
            self.status.setText(f"没有与“{self.company_name}”所属产业相符、仍在招商的项目")

    # -- projects -------------------------------------------------------------------------
    def _toggle_row(self, index: QModelIndex) -> None:
        pid = self.projects_model.data(index, ID_ROLE)
        self.projects_model.set_checked_one(pid, pid not in self.projects_model.checked)

    def edit_promo(self) -> bool:
        index = self.projects_view.currentIndex()
        if not index.isValid():
            self.status.setText("请先在列表中选中一个项目，再编辑它的推介文字")
            return False
        project = self.projects_model.rows[index.row()]
        dialog = PromoDialog(self.store, project, self)
        self.promo_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.status.setText(f"已保存项目 {project['code']} 的推介文字")
            return True
        return False

    def _update_selection_label(self) -> None:
        n = len(self.projects_model.checked)
        if n:
            text = f"已选 {n} 个项目"
        elif self.company_id:
            text = "未勾选项目：生成时按投资方产业自动挑选"
        else:
            text = "未选项目"
        self.selection_label.setText(text)
        self.page_button.setEnabled(n == 1 and not self.busy)

    def _on_projects_changed(self, _changed: frozenset[str]) -> None:
        self.projects_model.reload()

    def _on_history_changed(self, _changed: frozenset[str]) -> None:
        self.history_model.reload()

    def _on_templates_changed(self, _changed: frozenset[str]) -> None:
        self.reload_templates()

    # -- generation ------------------------------------------------------------------------
    def output_path(self) -> Path:
        folder = paths.data_dir() / "brochures"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        who = self.company_name or self.title_edit.text().strip() or "推介册"
        path = folder / f"{stamp}_{_safe_name(who)}.pdf"
        k = 2
        while path.exists():
            path = folder / f"{stamp}_{_safe_name(who)}_{k}.pdf"
            k += 1
        return path

    def generate(self, single_page: bool = False) -> None:
        if self.busy:
            return
        codes = self.projects_model.checked_codes()
        if not codes and not self.company_id:
            self.status.setText("请先勾选项目，或选择一家投资方企业（按其产业自动挑选项目）")
            return
        if self.lang_combo.currentData() == "zh-en" and codes:
            lacking = source.missing_english(self.store, codes)
            if lacking and not self.confirm_missing_english(lacking):
                return
        out = self.output_path()
        kwargs = {
            "codes": codes or None,
            "company_ref": self.company_id or None,
            "language": self.lang_combo.currentData(),
            "template_ref": self.template_combo.currentData() or None,
            "title": self.title_edit.text().strip() or None,
            "intro": self.intro_edit.toPlainText()
            if self.intro_edit.toPlainText().strip()
            else None,
            "cover_image": self.cover_edit.text().strip() or None,
            "single_page": bool(single_page),
        }
        store = self.store

        def work(progress):
            return history.generate(store, out, progress=progress, **kwargs)

        self._set_busy(True)
        self.status.setText("正在生成推介册…")
        self.ctx.tasks.run(work, self._on_generated, self._on_failed, self._on_progress, db=True)

    def confirm_missing_english(self, lacking: list[dict[str, str]]) -> bool:
        """中英双语: say which fields still lack English before generating."""
        lines = [f"· {m['code'] + ' ' if m['code'] else ''}{m['label']}" for m in lacking[:15]]
        if len(lacking) > 15:
            lines.append(f"……共 {len(lacking)} 处")
        box = QMessageBox(self)
        box.setObjectName("missingEnglish")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("还缺英文")
        box.setText("以下内容还没有英文，推介册里将只显示中文：\n" + "\n".join(lines))
        box.setInformativeText("可以用“推介文字…”补充项目的英文名称和简介。")
        go = box.addButton("仍然生成", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("先去补充", QMessageBox.ButtonRole.RejectRole)
        self.missing_box = box
        box.exec()
        return box.clickedButton() is go

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.generate_button.setEnabled(not busy)
        self.page_button.setEnabled(not busy and len(self.projects_model.checked) == 1)
        if busy:
            self.progress.setRange(0, 0)
            self.progress.show()
        else:
            self.progress.hide()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(min(done, total))

    def _on_generated(self, gen: history.Generated) -> None:
        self._set_busy(False)
        res = gen.result
        who = f"，致 {gen.built.company_name}" if gen.built.company_name else ""
        lines = [f"已生成{gen.kind}：{res.pages} 页，{res.size_bytes / 1024:.0f} KB{who}。"]
        lines += gen.built.notes
        lines += [f"注意：{w}" for w in res.warnings]
        self.status.setText("\n".join(lines))
        if not self.projects_model.checked and gen.built.project_ids:
            self.projects_model.set_checked(gen.built.project_ids)
        self.load_preview(res.path)
        self.generated.emit(str(res.path))

    def _on_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.last_error = str(exc) or exc.__class__.__name__
        self.status.setText(f"生成失败：{self.last_error}")
        self.failed.emit(self.last_error)

    # -- preview / save / print / open -----------------------------------------------------
    def load_preview(self, path: Path | str) -> bool:
        path = Path(path)
        self.document.close()
        err = self.document.load(str(path))
        ok = err == QPdfDocument.Error.None_ and self.document.pageCount() > 0
        self.current_path = path if ok else None
        for b in (self.save_button, self.print_button, self.open_button):
            b.setEnabled(ok)
        if ok:
            self.preview_label.setText(f"{path.name} · 共 {self.document.pageCount()} 页")
            self.tabs.setCurrentIndex(0)
        else:
            self.preview_label.setText(f"无法打开 {path}")
        return ok

    def save(self) -> None:
        if not self.current_path:
            return
        target = filedialogs.save_file(
            self, "保存推介册", self.current_path.name, "PDF 文件 (*.pdf)"
        )
        if target:
            self.save_to(target)

    def save_to(self, target: str | Path) -> Path | None:
        if not self.current_path:
            return None
        target = Path(target)
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(target.suffix + ".pdf")
        try:
            if target.resolve() != self.current_path.resolve():
                shutil.copyfile(self.current_path, target)
        except OSError as exc:
            self.status.setText(f"保存失败：{exc}")
            return None
        self.status.setText(f"已保存到 {target}")
        return target

    def make_printer(self) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.current_path.stem if self.current_path else "推介册")
        printer.setPageSize(
            QPageSize(QPageSize.PageSizeId.A4)
        )  # the brochure's size; the dialog may change it
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        return printer

    def print_dialog(self) -> None:
        if not self.current_path:
            return
        printer = self.make_printer()
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("打印推介册")
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter, dpi: int = PRINT_DPI) -> int:
        """Print the previewed PDF (pages rendered at ``dpi``); keeps the window painting."""
        if not self.current_path or self.document.pageCount() <= 0:
            return 0
        self.progress.setFormat("正在打印… %v/%m 页")
        self.progress.setRange(0, self.document.pageCount())
        self.progress.show()

        def step(done, total):
            self.progress.setValue(done)
            QApplication.processEvents()

        try:
            n = print_pdf(self.document, printer, dpi, step)
        except RuntimeError as exc:
            self.status.setText(str(exc))
            return 0
        finally:
            self.progress.hide()
            self.progress.setFormat("正在生成… %p%")
        self.status.setText(f"已发送 {n} 页到打印机")
        return n

    def open_external(self) -> None:
        if self.current_path and not self.open_url(QUrl.fromLocalFile(str(self.current_path))):
            self.status.setText("没有可打开 PDF 的系统程序，请用“保存…”后手动打开")

    # -- history -----------------------------------------------------------------------------
    def show_history_entry(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        entry = self.history_model.rows[index.row()]
        if not entry["file_exists"]:
            self.status.setText(f"文件已不在：{entry['file_path']}（可重新生成）")
            return
        self.load_preview(entry["file_path"])

    def forget_selected(self) -> None:
        index = self.history_view.currentIndex()
        if not index.isValid():
            return
        entry = self.history_model.rows[index.row()]
        answer = QMessageBox.question(
            self, "删除记录", "只删除这条生成记录，PDF 文件保留。确定吗？"
        )
        if answer == QMessageBox.StandardButton.Yes:
            history.forget(self.store, entry["id"])
