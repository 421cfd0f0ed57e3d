"""客商: company list (lazy SQL model; search like the catalogue — 汉字, pinyin, initials;
filters for region, flags, industry, tag, 失信) and a company page with its people,
visits timeline and attachments."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from ui.dialogs.attachment_picker import pick_and_attach
from ui.dialogs.company_dialog import CompanyDialog
from ui.dialogs.person_dialog import PersonDialog
from ui.fit import button_grid
from ui.models.contacts_models import ID_ROLE, CompanyListModel
from zsapp import catalogue
from zsapp.contacts import attachments, companies, exporter, people, visits
from zsapp.contacts.validation import display_phone
from zsapp.store import StoreError

# What the list shows (rows, industry filter) and what the company page shows.
LIST_TABLES = frozenset({"companies", "company_items"})
DETAIL_TABLES = LIST_TABLES | {
    "people",
    "person_employment",
    "visits",
    "visit_companies",
    "visit_people",
    "attachments",
}
FLAG_FILTERS = [("全部企业", None), *[(label, key) for key, label in companies.FLAGS.items()]]


class CompaniesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current_id: str | None = None

        self.search_box = QLineEdit()
        self.search_box.setObjectName("companySearch")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setPlaceholderText(
            "搜索企业：汉字、全拼或首字母（如 zgyd → 中国移动）、信用代码、标签"
        )
        self.region = QComboBox()
        self.region.setObjectName("filterRegion")
        self.region.addItem("全部区域", "")
        for tag in companies.REGION_TAGS[1:]:
            self.region.addItem(tag, tag)
        self.flag = QComboBox()
        self.flag.setObjectName("filterFlag")
        for label, key in FLAG_FILTERS:
            self.flag.addItem(label, key)
        self.industry = QComboBox()
        self.industry.setObjectName("filterIndustry")
        self.industry.addItem("全部行业", "")
        for ind in catalogue.industries(ctx.store):
            self.industry.addItem(f"（{ind.no}）{ind.name}", ind.id)
            for item in ind.items:
                self.industry.addItem(f"    {item.no}. {item.name}", item.id)
        self.tag = QComboBox()
        self.tag.setObjectName("filterTag")
        self.tag.setEditable(True)
        self.tag.lineEdit().setPlaceholderText("标签")
        self.dishonest = QComboBox()
        self.dishonest.setObjectName("filterDishonest")
        for label, value in (("失信：不限", None), ("仅失信", True), ("未失信", False)):
            self.dishonest.addItem(label, value)

        self.new_button = QPushButton("新建企业")
        self.new_button.setObjectName("newCompany")
        self.new_button.clicked.connect(self.new_company)
        more = QToolButton()
        more.setText("导入/导出/合并")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        menu.addAction("导入 CSV / Excel / vCard…", self.import_file)
        menu.addAction("导出为 Excel（企业、联系人、拜访）…", lambda: self.export("xlsx"))
        menu.addAction("导出企业为 CSV…", lambda: self.export("csv"))
        menu.addAction("导出联系人为 vCard…", lambda: self.export("vcf"))
        menu.addSeparator()
        menu.addAction("与另一家企业合并…", self.merge_current)
        more.setMenu(menu)
        self.more_button = more

        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.new_button)
        top.addWidget(more)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("筛选："))
        for widget in (self.region, self.flag, self.industry, self.tag, self.dishonest):
            # Shrink with the window (the main window must fit 700 px wide).
            widget.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            widget.setMinimumContentsLength(4)
            filters.addWidget(widget, 1)
        filters.addStretch(1)

        self.model = CompanyListModel(ctx.store, self)
        self.table = QTableView()
        self.table.setObjectName("companyTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 240)

        self.detail = QTextBrowser()
        self.detail.setObjectName("companyDetail")
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._on_link)
        self.action_buttons = {}
        for key, label, slot in (
            ("edit", "编辑", self.edit_company),
            ("person", "添加联系人", self.add_person),
            ("visit", "记录拜访", self.log_visit),
            ("attach", "添加附件", self.add_attachment),
            ("project", "新建项目", self.new_project),
            ("delete", "删除", self.delete_company),
        ):
            button = QPushButton(label)
            button.setObjectName(f"company_{key}_button")
            button.clicked.connect(slot)
            self.action_buttons[key] = button
        actions = button_grid(list(self.action_buttons.values()), 3)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.detail, 1)
        rl.addLayout(actions)

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.status = QLabel()
        self.status.setObjectName("companyStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self.apply_filter)
        self.search_box.textChanged.connect(lambda _t: self._timer.start())
        for combo in (self.region, self.flag, self.industry, self.dishonest):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.tag.currentTextChanged.connect(lambda _t: self._timer.start())
        self.table.selectionModel().currentChanged.connect(self._on_current)
        ctx.watch(self, LIST_TABLES, self._on_list_changed)
        ctx.watch(self, DETAIL_TABLES, self._on_detail_changed)
        self._reload_tags()
        self.apply_filter()
        self._set_actions_enabled(False)

    # -- list --------------------------------------------------------------------------
    def current_filter(self) -> companies.CompanyFilter:
        flag = self.flag.currentData()
        return companies.CompanyFilter(
            query=self.search_box.text().strip(),
            region_tag=self.region.currentData() or "",
            flags=[flag] if flag else [],
            item=self.industry.currentData() or "",
            tag=self.tag.currentText().strip(),
            dishonest=self.dishonest.currentData(),
        )

    def apply_filter(self) -> None:
        self._timer.stop()
        flt = self.current_filter()
        self.model.set_filter(flt)
        total = self.model.total
        if total == 0:
            self.status.setText("没有符合条件的企业" + (f"（“{flt.query}”）" if flt.query else ""))
        elif flt.query:
            self.status.setText(f"找到 {total:,} 家企业（按匹配程度排序）")
        else:
            self.status.setText(f"共 {total:,} 家企业")
        if self.current_id and self.model.row_of(self.current_id) >= 0:
            self.table.selectRow(self.model.row_of(self.current_id))

    def _reload_tags(self) -> None:
        current = self.tag.currentText()
        self.tag.blockSignals(True)
        self.tag.clear()
        self.tag.addItem("")
        self.tag.addItems(companies.all_tags(self.ctx.store))
        self.tag.setEditText(current)
        self.tag.blockSignals(False)

    def _on_list_changed(self, changed: frozenset[str]) -> None:
        if "companies" in changed:
            self._reload_tags()
        self.apply_filter()

    def _on_detail_changed(self, _changed: frozenset[str]) -> None:
        if self.current_id:
            self.show_company(self.current_id, select=False)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.show_company(current.data(ID_ROLE), select=False)

    def _set_actions_enabled(self, enabled: bool) -> None:
        for button in self.action_buttons.values():
            button.setEnabled(enabled)

    # -- company page ------------------------------------------------------------------
    def show_company(self, company_id: str, select: bool = True) -> None:
        store = self.ctx.store
        try:
            row = companies.get_company(store, company_id)
        except StoreError:
            self.current_id = None
            self.detail.setHtml("<p style='color:#666'>该企业已被删除或合并。</p>")
            self._set_actions_enabled(False)
            return
        self.current_id = company_id
        self._set_actions_enabled(True)
        if select:
            r = self.model.row_of(company_id)
            if r >= 0:
                self.table.selectRow(r)
        self.detail.setHtml(self.company_html(row))

    def company_html(self, row: dict) -> str:
        store, e = self.ctx.store, html.escape
        cid = row["id"]
        facts = []
        for key in ("short_name", "uscc", "registered_location"):
            if row.get(key):
                facts.append(f"{companies.LABELS[key]}：{e(str(row[key]))}")
        origin = " ".join(
            x
            for x in (row["region_tag"], row["origin_province"], row["origin_city"], row["country"])
            if x
        )
        if origin:
            facts.append(f"来源：{e(origin)}")
        if row["ownership"]:
            facts.append(f"所有制：{e(row['ownership'])}")
        flags = [label for key, label in companies.FLAGS.items() if row.get(key)]
        if row["is_listed"] and (row["listing_board"] or row["listing_code"]):
            flags[-1] = f"上市（{e(row['listing_board'])} {e(row['listing_code'])}）"
        if flags:
            facts.append("标记：" + "、".join(flags))
        if row.get("revenue_wan") is not None:
            facts.append(f"营收：{row['revenue_wan']:,} 万元")
        if row.get("employees") is not None:
            facts.append(f"员工：{row['employees']:,} 人")
        if row["website"]:
            facts.append(f"网址：<a href='{e(row['website'])}'>{e(row['website'])}</a>")
        items = companies.item_ids(store, cid)
        if items:
            names = []
            for item_id in items:
                try:
                    names.append(f"{item_id} {catalogue.get_item(store, item_id).name}")
                except StoreError:
                    names.append(item_id)
            facts.append("行业：" + e("、".join(names)))
        tags = json.loads(row["tags"] or "[]")
        if tags:
            facts.append("标签：" + e("、".join(tags)))
        warning = ""
        if row["is_dishonest"]:
            warning = (
                f"<p style='background:#fdecee;color:#b00020;padding:6px'><b>⚠ 已列入全国失信惩戒措施基础清单</b>"
                f" {e(row['dishonest_date'])} {e(row['dishonest_source'])}<br>按准入规则第 4 条，不得作为招商引资对象。</p>"
            )
        person_rows = people.list_people(store, company_id=cid, limit=200)
        persons = "".join(
            f"<tr><td><a href='person:{p['id']}'>{e(p['name'])}</a></td><td>{e(p['title'])}</td>"
            f"<td>{e(display_phone(p['mobile']) or display_phone(p['landline']))}</td><td>{e(p['email'])}</td></tr>"
            for p in person_rows
        )
        timeline = "".join(
            f"<li><a href='visit:{v['id']}'>{e(v['visited_at'].replace('T', ' '))}</a> {e(v['kind'])} · "
            f"<b>{e(v['outcome'])}</b> {e(v['people'] or '')}<br><span style='color:#444'>{e((v['notes'] or '')[:120])}</span></li>"
            for v in visits.company_timeline(store, cid, limit=100)
        )
        files = "".join(
            f"<li><a href='file:{a['id']}'>{e(a['filename'])}</a> <span style='color:#666'>{max(1, a['size'] // 1024)} KB</span></li>"
            for a in attachments.list_attachments(store, "companies", cid)
        )
        notes = f"<p>{e(row['notes']).replace(chr(10), '<br>')}</p>" if row["notes"] else ""
        return (
            f"<h2>{e(row['name'])}</h2>{warning}<p>{'<br>'.join(facts)}</p>{notes}"
            f"<h3>联系人（{len(person_rows)}）</h3>"
            + (
                f"<table cellpadding=3>{persons}</table>"
                if persons
                else "<p style='color:#666'>暂无</p>"
            )
            + "<h3>拜访记录</h3>"
            + (f"<ul>{timeline}</ul>" if timeline else "<p style='color:#666'>暂无</p>")
            + "<h3>附件</h3>"
            + (f"<ul>{files}</ul>" if files else "<p style='color:#666'>暂无</p>")
        )

    def _on_link(self, url: QUrl) -> None:
        kind, _, ref = url.toString().partition(":")
        store = self.ctx.store
        if kind == "person":
            PersonDialog(self.ctx, person_id=ref, parent=self).open()
        elif kind == "visit":
            window = self.window()
            if hasattr(window, "show_page"):
                page = window.show_page("visits")
                if hasattr(page, "show_visit"):
                    page.show_visit(ref)
        elif kind == "file":
            row = store.get("attachments", ref)
            if row:
                QDesktopServices.openUrl(
                    QUrl.fromLocalFile(str(attachments.blob_path(row["sha256"])))
                )
        elif kind in ("http", "https"):
            QDesktopServices.openUrl(url)

    # -- actions -----------------------------------------------------------------------
    def _open_dialog(self, dialog) -> None:
        self.dialog = dialog
        dialog.open()

    def new_company(self) -> CompanyDialog:
        dialog = CompanyDialog(self.ctx, parent=self)
        dialog.accepted.connect(lambda: dialog.saved_id and self._after_save(dialog.saved_id))
        dialog.open_existing.connect(self.show_company)
        self._open_dialog(dialog)
        return dialog

    def _after_save(self, company_id: str) -> None:
        self.model.reload()
        self.show_company(company_id)

    def edit_company(self) -> None:
        if self.current_id:
            dialog = CompanyDialog(self.ctx, self.current_id, parent=self)
            dialog.open_existing.connect(self.show_company)
            self._open_dialog(dialog)

    def add_person(self) -> None:
        if self.current_id:
            self._open_dialog(PersonDialog(self.ctx, company_id=self.current_id, parent=self))

    def log_visit(self) -> None:
        if not self.current_id:
            return
        window = self.window()
        page = window.show_page("visits") if hasattr(window, "show_page") else None
        if page is not None and hasattr(page, "new_visit"):
            page.new_visit(company_id=self.current_id)
        else:
            from ui.dialogs.visit_dialog import VisitDialog

            self._open_dialog(VisitDialog(self.ctx, self, company_id=self.current_id))

    def new_project(self):
        """招商项目: a new project with this company as the investor (ui/pages/projects_page.py)."""
        from ui.pages.projects_page import open_project_for_company

        return open_project_for_company(self.window(), self.current_id) if self.current_id else None

    def add_attachment(self) -> None:
        if not self.current_id:
            return
        if pick_and_attach(self, self.ctx.store, "companies", self.current_id):
            self.show_company(self.current_id, select=False)

    def delete_company(self) -> None:
        if not self.current_id:
            return
        name = companies.get_company(self.ctx.store, self.current_id)["name"]
        if (
            QMessageBox.question(
                self,
                "删除企业",
                f"确定删除“{name}”？\n删除后可在“设置 › 回收站”恢复，或按 Ctrl+Z 撤销。",
            )
            == QMessageBox.StandardButton.Yes
        ):
            with self.ctx.action(f"删除企业“{name}”"):
                companies.delete_company(self.ctx.store, self.current_id)
            self.current_id = None
            self.detail.clear()
            self._set_actions_enabled(False)

    def import_file(self) -> None:
        from ui.dialogs.import_dialog import ImportDialog

        self._open_dialog(ImportDialog(self.ctx, parent=self))

    def merge_current(self) -> None:
        from ui.dialogs.merge_dialog import MergeDialog

        if not self.current_id:
            QMessageBox.information(self, "合并企业", "请先在列表中选择要保留的企业。")
            return
        self._open_dialog(MergeDialog(self.ctx, "companies", self.current_id, parent=self))

    def export(self, fmt: str) -> None:
        filters = {
            "xlsx": "Excel 工作簿 (*.xlsx)",
            "csv": "CSV 文件 (*.csv)",
            "vcf": "vCard 名片 (*.vcf)",
        }
        path = filedialogs.save_file(self, "导出", f"客商.{fmt}", filters[fmt])
        if not path:
            return
        store = self.ctx.store
        self.ctx.tasks.run(
            lambda: exporter.export(store, fmt, path),
            lambda counts: self.status.setText(exporter.describe(counts, path)),
            lambda exc: QMessageBox.warning(self, "导出失败", str(exc)),
            db=False,
        )
