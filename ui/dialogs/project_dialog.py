"""新建/编辑招商项目, and the small dialogs of a project page: 变更阶段, 登记到位资金, 流转,
准入预审 (questions and 放行), 准入阈值."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from zsapp import catalogue, regions
from zsapp.contacts import companies, drafts
from zsapp.projects import admission, funds, parks, stages
from zsapp.projects import projects as P
from zsapp.projects.common import CATEGORIES, INVESTOR_ROLES, StoreError, wan_to_yi_text


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet("color: #b00020")
    label.setWordWrap(True)
    return label


def _buttons(dialog: QDialog, ok_text: str = "保存") -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Save).setText(ok_text)
    buttons.accepted.connect(dialog.save)  # type: ignore[attr-defined]
    buttons.rejected.connect(dialog.reject)
    return buttons


class LocationPicker(QWidget):
    """州市 → 县市区 → 园区 combos (GB/T 2260 codes; parks from the editable list)."""

    def __init__(self, store, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.prefecture = QComboBox()
        self.prefecture.setObjectName(f"{prefix}_prefecture")
        self.county = QComboBox()
        self.county.setObjectName(f"{prefix}_county")
        self.park = QComboBox()
        self.park.setObjectName(f"{prefix}_park")
        self.prefecture.addItem("（省级 / 未定）", "")
        for p in regions.prefectures():
            self.prefecture.addItem(p["name"], p["code"])
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.prefecture, 2)
        layout.addWidget(self.county, 2)
        layout.addWidget(self.park, 3)
        self.prefecture.currentIndexChanged.connect(self._fill_children)
        self._fill_children()

    def _fill_children(self) -> None:
        code = self.prefecture.currentData() or ""
        self.county.clear()
        self.county.addItem("（县市区）", "")
        for c in regions.counties(code) if code else []:
            self.county.addItem(c["name"], c["code"])
        self.park.clear()
        self.park.addItem("（园区）", "")
        for park in parks.list_parks(self.store, code) if code else []:
            self.park.addItem(park["name"], park["id"])

    def set_location(self, prefecture_code: str, county_code: str, park_id: str) -> None:
        self.prefecture.setCurrentIndex(max(0, self.prefecture.findData(prefecture_code or "")))
        self.county.setCurrentIndex(max(0, self.county.findData(county_code or "")))
        self.park.setCurrentIndex(max(0, self.park.findData(park_id or "")))

    def keys(self) -> dict[str, str]:
        return {
            "prefecture_key": self.prefecture.currentData() or "",
            "county_key": self.county.currentData() or "",
            "park_key": self.park.currentData() or "",
        }


class ProjectDialog(QDialog):
    """Create (optionally prefilled: from a catalogue item or a company) or edit a project."""

    def __init__(
        self,
        ctx: AppContext,
        project_id: str | None = None,
        parent: QWidget | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.project_id = project_id
        self.saved_id: str | None = None
        store = ctx.store
        doc = catalogue.document(store)
        self.setWindowTitle("编辑项目" if project_id else "新建招商项目")
        self.setObjectName("projectDialog")
        self.resize(940, 640)  # fits a 1024×768 screen with its taskbar
        self.draft_key = f"project:{project_id}" if project_id else "project"
        self._closing = False

        self.name = QLineEdit()
        self.name.setObjectName("project_name")
        self.name.setPlaceholderText("如：普洱咖啡精深加工项目")
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("project_summary")
        self.summary.setMaximumHeight(80)
        self.content = QPlainTextEdit()
        self.content.setObjectName("project_content")
        self.content.setPlaceholderText("建设内容")
        self.content.setMaximumHeight(60)
        self.location = LocationPicker(store, "project")
        self.investment = QLineEdit()
        self.investment.setObjectName("project_investment")
        self.investment.setPlaceholderText("总投资（亿元），如 12.5")
        self.land = QLineEdit()
        self.land.setObjectName("project_land")
        self.land.setPlaceholderText("用地（亩）")
        self.tax = QLineEdit()
        self.tax.setObjectName("project_tax")
        self.tax.setPlaceholderText("预期亩均税收（万元/亩）")
        self.jobs = QLineEdit()
        self.jobs.setObjectName("project_jobs")
        self.jobs.setPlaceholderText("预计就业（人）")
        self.category = QComboBox()
        self.category.setObjectName("project_category")
        self.category.addItems(CATEGORIES)
        self.source = QComboBox()
        self.source.setObjectName("project_source")
        self.source.addItem("（未填）", "")
        for s in doc.get("project_sources", []):
            self.source.addItem(s["name"], s["id"])
        self.owner = QLineEdit()
        self.owner.setObjectName("project_owner")
        self.leader = QLineEdit()
        self.leader.setObjectName("project_leader")
        self.major = QCheckBox("纳入省级重大招商引资项目库")
        self.major.setObjectName("project_major")

        form = QFormLayout()
        form.addRow("项目名称 *", self.name)
        form.addRow("简介", self.summary)
        form.addRow("建设内容", self.content)
        form.addRow("所在地", self.location)
        if project_id:
            hint = QLabel("所在地的变更请在项目页使用“流转”，以保留流转记录和理由。")
            hint.setStyleSheet("color: #666")
            form.addRow("", hint)
            self.location.setEnabled(False)
        self.intensity = QLabel("投资强度：—")
        self.intensity.setObjectName("project_intensity")
        money = QGridLayout()
        for n, (label, w) in enumerate(
            (
                ("总投资（亿元）", self.investment),
                ("用地（亩）", self.land),
                ("预期亩均税收（万元/亩）", self.tax),
                ("预计就业（人）", self.jobs),
            )
        ):
            w.setPlaceholderText("")
            money.addWidget(QLabel(label), n // 2, (n % 2) * 2)
            money.addWidget(w, n // 2, (n % 2) * 2 + 1)
        money.addWidget(self.intensity, 2, 1, 1, 3)
        form.addRow("投资与用地", money)
        kind = QHBoxLayout()
        kind.addWidget(self.category)
        kind.addWidget(QLabel("项目来源"))
        kind.addWidget(self.source, 1)
        form.addRow("类别", kind)
        people = QHBoxLayout()
        people.addWidget(self.owner)
        people.addWidget(QLabel("挂钩领导"))
        people.addWidget(self.leader)
        people.addWidget(self.major)
        form.addRow("负责人", people)

        tags_box = QGroupBox("重点招商方向 / 招商方式")
        grid = QGridLayout(tags_box)
        self.direction_boxes: dict[str, QCheckBox] = {}
        for n, d in enumerate(doc.get("focus_directions", [])):
            box = QCheckBox(d["name"])
            box.setObjectName(f"direction_{d['id']}")
            self.direction_boxes[d["id"]] = box
            grid.addWidget(box, n // 3, n % 3)
        self.way_boxes: dict[str, QCheckBox] = {}
        for n, w in enumerate(doc.get("promotion_ways", [])):
            box = QCheckBox(w["name"])
            box.setObjectName(f"way_{w['id']}")
            self.way_boxes[w["id"]] = box
            grid.addWidget(box, 2 + n // 2, n % 2)

        self.items = QListWidget()
        self.items.setObjectName("project_items")
        for industry in catalogue.industries(store):
            for item in industry.items:
                entry = QListWidgetItem(f"{item.id}  {industry.name} › {item.name}")
                entry.setData(Qt.ItemDataRole.UserRole, item.id)
                entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(Qt.CheckState.Unchecked)
                self.items.addItem(entry)
        items_box = QGroupBox("产业链位置（指导目录条目，可多选）")
        QVBoxLayout(items_box).addWidget(self.items)

        investors_box = QGroupBox("投资方")
        self.company_search = QLineEdit()
        self.company_search.setObjectName("investor_search")
        self.company_search.setPlaceholderText("输入企业名称或拼音检索客商库")
        self.company_results = QListWidget()
        self.company_results.setObjectName("investor_results")
        self.company_results.setMaximumHeight(80)
        self.investors = QTableWidget(0, 2)
        self.investors.setObjectName("project_investors")
        self.investors.setHorizontalHeaderLabels(["企业", "角色"])
        self.investors.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.investors.verticalHeader().hide()
        self.investors.setMaximumHeight(110)
        remove = QPushButton("移除所选投资方")
        remove.clicked.connect(lambda: self.investors.removeRow(self.investors.currentRow()))
        il = QVBoxLayout(investors_box)
        il.addWidget(self.company_search)
        il.addWidget(self.company_results)
        il.addWidget(self.investors)
        il.addWidget(remove)
        self.company_search.textChanged.connect(self._search_companies)
        self.company_results.itemActivated.connect(self._add_investor_item)
        self.company_results.itemDoubleClicked.connect(self._add_investor_item)

        self.error = _error_label("projectError")
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(tags_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(items_box, 3)
        right.addWidget(investors_box, 2)
        basics = QWidget()
        columns = QHBoxLayout(basics)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(basics)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("projectTabs")
        self.tabs.addTab(scroll, "基本信息")
        self.records: ProjectRecordsPanel | None = None
        if project_id:  # stage history and 到位资金, editable here
            self.records = ProjectRecordsPanel(ctx, project_id)
            self.tabs.addTab(self.records, "阶段与到位资金")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        self.draft_label = QLabel()
        self.draft_label.setObjectName("projectDraftStatus")
        self.draft_label.setStyleSheet("color: #888")
        bottom = QHBoxLayout()
        bottom.addWidget(self.draft_label, 1)
        bottom.addWidget(_buttons(self))
        layout.addLayout(bottom)
        for edit in (self.investment, self.land):
            edit.textChanged.connect(self._update_intensity)

        if project_id:
            self._load(P.get_project(store, project_id))
        else:
            self._load_initial(initial or {})
        self._initial = self.payload()
        saved_draft = drafts.load_draft(store, self.draft_key)
        if saved_draft:
            self.load_payload(saved_draft)
            self.draft_label.setText(
                f"已恢复 {str(saved_draft.get('_saved_at', '')).replace('T', ' ')} 的草稿"
            )

    # -- filling -----------------------------------------------------------------------
    def _set_items(self, item_ids: list[str]) -> None:
        for n in range(self.items.count()):
            entry = self.items.item(n)
            checked = entry.data(Qt.ItemDataRole.UserRole) in item_ids
            entry.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            if checked and n == next(
                (
                    i
                    for i in range(self.items.count())
                    if self.items.item(i).data(Qt.ItemDataRole.UserRole) in item_ids
                ),
                -1,
            ):
                self.items.scrollToItem(entry)

    def _load_initial(self, values: dict[str, Any]) -> None:
        self.name.setText(values.get("name", ""))
        self.summary.setPlainText(values.get("summary", ""))
        self.owner.setText(values.get("owner_officer", ""))
        self._set_items(values.get("item_ids", []))
        for d in values.get("directions", []):
            if d in self.direction_boxes:
                self.direction_boxes[d].setChecked(True)
        from zsapp.projects.common import prefecture

        pref = (
            prefecture(values.get("prefecture_key", "")) if values.get("prefecture_key") else None
        )
        park = (
            parks.find_park(self.ctx.store, values.get("park_key", ""))
            if values.get("park_key")
            else None
        )
        self.location.set_location(
            pref["code"] if pref else (park or {}).get("prefecture_code", ""),
            "",
            park["id"] if park else "",
        )
        for company_id, role in values.get("investors", []):
            row = self.ctx.store.get("companies", company_id)
            if row:
                self.add_investor(company_id, row["name"], role)

    def _load(self, p: dict[str, Any]) -> None:
        self.name.setText(p["name"])
        self.summary.setPlainText(p["summary"])
        self.content.setPlainText(p["construction_content"])
        self.location.set_location(p["prefecture_code"], p["county_code"], p["park_id"])
        self.investment.setText(wan_to_yi_text(p["total_investment_wan"]))
        self.land.setText(p["land_mu"])
        self.tax.setText(p["tax_per_mu_wan"])
        self.jobs.setText("" if p["expected_jobs"] is None else str(p["expected_jobs"]))
        self.category.setCurrentText(p["category"])
        self.source.setCurrentIndex(max(0, self.source.findData(p["source_id"])))
        self.owner.setText(p["owner_officer"])
        self.leader.setText(p["leader"])
        self.major.setChecked(p["is_provincial_major"])
        for key, box in self.direction_boxes.items():
            box.setChecked(key in p["directions"])
        for key, box in self.way_boxes.items():
            box.setChecked(key in p["ways"])
        self._set_items([i["id"] for i in p["items"]])
        for inv in p["investors"]:
            self.add_investor(inv["company_id"], inv["name"], inv["role"])

    def _update_intensity(self) -> None:
        from zsapp.projects.common import ProjectError, parse_decimal, yi_to_wan

        try:
            wan = yi_to_wan(self.investment.text())
            land = parse_decimal(self.land.text(), "用地", places=2)
        except ProjectError:
            self.intensity.setText("投资强度：—")
            return
        value = P.intensity({"total_investment_wan": wan, "land_mu": str(land) if land else ""})
        self.intensity.setText(f"投资强度：{value} 万元/亩" if value is not None else "投资强度：—")

    # -- investors ---------------------------------------------------------------------
    def _search_companies(self, text: str) -> None:
        self.company_results.clear()
        if not text.strip():
            return
        for row in companies.search_companies(self.ctx.store, text, limit=10):
            entry = QListWidgetItem(row["name"])
            entry.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.company_results.addItem(entry)

    def _add_investor_item(self, entry: QListWidgetItem) -> None:
        self.add_investor(entry.data(Qt.ItemDataRole.UserRole), entry.text(), "意向")

    def add_investor(self, company_id: str, name: str, role: str = "意向") -> None:
        for r in range(self.investors.rowCount()):
            if self.investors.item(r, 0).data(Qt.ItemDataRole.UserRole) == company_id:
                return
        r = self.investors.rowCount()
        self.investors.insertRow(r)
        item = QTableWidgetItem(name)
        item.setData(Qt.ItemDataRole.UserRole, company_id)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.investors.setItem(r, 0, item)
        combo = QComboBox()
        combo.addItems(INVESTOR_ROLES)
        combo.setCurrentText(role)
        self.investors.setCellWidget(r, 1, combo)

    def investor_list(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.investors.rowCount()):
            combo = self.investors.cellWidget(r, 1)
            out.append(
                (self.investors.item(r, 0).data(Qt.ItemDataRole.UserRole), combo.currentText())
            )
        return out

    # -- saving ------------------------------------------------------------------------
    def selected_items(self) -> list[str]:
        return [
            self.items.item(n).data(Qt.ItemDataRole.UserRole)
            for n in range(self.items.count())
            if self.items.item(n).checkState() == Qt.CheckState.Checked
        ]

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text(),
            "summary": self.summary.toPlainText(),
            "construction_content": self.content.toPlainText(),
            "total_investment_yi": self.investment.text(),
            "land_mu": self.land.text(),
            "tax_per_mu_wan": self.tax.text(),
            "expected_jobs": self.jobs.text(),
            "category": self.category.currentText(),
            "source_id": self.source.currentData() or "",
            "owner_officer": self.owner.text(),
            "leader": self.leader.text(),
            "is_provincial_major": self.major.isChecked(),
            "directions": [k for k, b in self.direction_boxes.items() if b.isChecked()],
            "ways": [k for k, b in self.way_boxes.items() if b.isChecked()],
        }

    # -- drafts and closing ------------------------------------------------------------
    def payload(self) -> dict[str, Any]:
        return {
            **self.values(),
            "item_ids": self.selected_items(),
            "investors": [list(i) for i in self.investor_list()],
            "location": self.location.keys(),
        }

    def load_payload(self, data: dict[str, Any]) -> None:
        self.name.setText(data.get("name", ""))
        self.summary.setPlainText(data.get("summary", ""))
        self.content.setPlainText(data.get("construction_content", ""))
        self.investment.setText(data.get("total_investment_yi", ""))
        self.land.setText(data.get("land_mu", ""))
        self.tax.setText(data.get("tax_per_mu_wan", ""))
        self.jobs.setText(data.get("expected_jobs", ""))
        self.category.setCurrentText(data.get("category") or CATEGORIES[0])
        self.source.setCurrentIndex(max(0, self.source.findData(data.get("source_id", ""))))
        self.owner.setText(data.get("owner_officer", ""))
        self.leader.setText(data.get("leader", ""))
        self.major.setChecked(bool(data.get("is_provincial_major")))
        for key, box in self.direction_boxes.items():
            box.setChecked(key in data.get("directions", []))
        for key, box in self.way_boxes.items():
            box.setChecked(key in data.get("ways", []))
        self._set_items(data.get("item_ids", []))
        self.investors.setRowCount(0)
        for company_id, role in data.get("investors", []):
            row = self.ctx.store.get("companies", company_id)
            if row:
                self.add_investor(company_id, row["name"], role)

    def has_unsaved_changes(self) -> bool:
        return not self.saved_id and self.payload() != self._initial

    def _close(self, keep_draft: bool | None) -> None:
        if keep_draft:
            drafts.save_draft(self.ctx.store, self.draft_key, self.payload())
        elif keep_draft is False:
            drafts.clear_draft(self.ctx.store, self.draft_key)
        self._closing = True
        super().reject()

    def reject(self) -> None:  # Esc, 取消, the window's close button
        if self._closing or not self.has_unsaved_changes():
            self._close(False if not self.has_unsaved_changes() else None)
            return
        from ui.forms import ask_unsaved

        choice = ask_unsaved(self, "这个项目的修改" if self.project_id else "这个新项目")
        if choice == "save":
            self.save()
        elif choice == "draft":
            self._close(True)
        elif choice == "discard":
            self._close(False)

    def closeEvent(self, event) -> None:
        if self._closing or self.result() or not self.has_unsaved_changes():
            super().closeEvent(event)
            return
        if not self.isVisible():  # never shown (or shutting down): keep the typing
            if not self.ctx.store.closed:
                drafts.save_draft(self.ctx.store, self.draft_key, self.payload())
            self._closing = True
            super().closeEvent(event)
            return
        event.ignore()
        self.reject()

    def save(self) -> None:
        store = self.ctx.store
        name = self.name.text().strip()
        try:
            with self.ctx.action(f"{'修改' if self.project_id else '新建'}项目“{name}”"):
                if self.project_id:
                    P.update_project(
                        store,
                        self.project_id,
                        **self.values(),
                        item_ids=self.selected_items(),
                        investors=self.investor_list(),
                    )
                    self.saved_id = self.project_id
                else:
                    self.saved_id = P.create_project(
                        store,
                        item_ids=self.selected_items(),
                        investors=self.investor_list(),
                        **self.location.keys(),
                        **self.values(),
                    )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        drafts.clear_draft(store, self.draft_key)
        self._closing = True
        self.accept()


class ProjectRecordsPanel(QWidget):
    """阶段历史 and 到位资金 of one project, each entry editable and removable."""

    def __init__(self, ctx: AppContext, project_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.project_id = ctx, project_id
        self.dialog: QDialog | None = None
        self.stage_rows: list[dict[str, Any]] = []
        self.fund_rows: list[dict[str, Any]] = []
        self.current_label = QLabel()
        self.current_label.setObjectName("recordsCurrentStage")
        self.stages_table = self._table("stagesTable", ["日期", "阶段", "说明/原因"])
        self.stages_table.doubleClicked.connect(lambda _i: self.edit_stage())
        self.funds_table = self._table(
            "fundsTable", ["月份", "金额（万元）", "来源", "类别", "说明"]
        )
        self.funds_table.doubleClicked.connect(lambda _i: self.edit_funds())
        self.totals_label = QLabel()
        self.totals_label.setObjectName("recordsFundsTotal")
        self.buttons: dict[str, QPushButton] = {}
        stage_buttons = self._buttons(
            [
                ("addStage", "变更/补录阶段…", self.add_stage),
                ("editStage", "修改所选…", self.edit_stage),
                ("deleteStage", "删除所选", self.delete_stage),
            ]
        )
        fund_buttons = self._buttons(
            [
                ("addFunds", "登记到位资金…", self.add_funds),
                ("editFunds", "修改所选…", self.edit_funds),
                ("deleteFunds", "删除所选", self.delete_funds),
            ]
        )
        self.message = _error_label("recordsMessage")
        stages_box = QGroupBox("阶段历史（按日期排列，可补录以前的日期）")
        sl = QVBoxLayout(stages_box)
        sl.addWidget(self.current_label)
        sl.addWidget(self.stages_table)
        sl.addLayout(stage_buttons)
        funds_box = QGroupBox("到位资金")
        fl = QVBoxLayout(funds_box)
        fl.addWidget(self.funds_table)
        fl.addWidget(self.totals_label)
        fl.addLayout(fund_buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(stages_box, 1)
        layout.addWidget(funds_box, 1)
        layout.addWidget(self.message)
        self.refresh()

    @staticmethod
    def _table(name: str, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().hide()
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _buttons(self, specs) -> QHBoxLayout:
        row = QHBoxLayout()
        for name, text, slot in specs:
            button = QPushButton(text)
            button.setObjectName(name)
            button.clicked.connect(slot)
            self.buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        return row

    def refresh(self) -> None:
        store = self.ctx.store
        self.stage_rows = stages.history(store, self.project_id)
        self.stages_table.setRowCount(len(self.stage_rows))
        for r, row in enumerate(self.stage_rows):
            for c, text in enumerate((row["changed_on"], row["stage"], row["note"])):
                self.stages_table.setItem(r, c, QTableWidgetItem(text))
        self.current_label.setText(
            f"当前阶段：{stages.current_stage(store, self.project_id) or '—'}"
        )
        self.fund_rows = funds.rows(store, self.project_id)
        self.funds_table.setRowCount(len(self.fund_rows))
        for r, row in enumerate(self.fund_rows):
            cells = (
                row["month"],
                str(row["amount_wan"]),
                "省外" if row["outside_province"] else "省内",
                "产业类" if row["industrial"] else "非产业类",
                row["note"],
            )
            for c, text in enumerate(cells):
                self.funds_table.setItem(r, c, QTableWidgetItem(text))
        t = funds.totals(store, self.project_id)
        self.totals_label.setText(
            f"累计 {t['total_wan']} 万元，其中省外产业类 {t['outside_industrial_wan']} 万元"
        )

    def _selected(self, table: QTableWidget, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        r = table.currentRow()
        return rows[r] if 0 <= r < len(rows) else None

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.accepted.connect(self.refresh)
        dialog.open()
        self.dialog = dialog
        return dialog

    def add_stage(self) -> QDialog:
        return self._open(StageDialog(self.ctx, self.project_id, self))

    def edit_stage(self) -> QDialog | None:
        row = self._selected(self.stages_table, self.stage_rows)
        if row is None:
            self.message.setText("请先选择一条阶段记录")
            return None
        return self._open(StageDialog(self.ctx, self.project_id, self, entry=row))

    def delete_stage(self) -> bool:
        row = self._selected(self.stages_table, self.stage_rows)
        if row is None:
            return False
        try:
            with self.ctx.action(f"删除阶段记录“{row['changed_on']} {row['stage']}”"):
                stages.delete_entry(self.ctx.store, row["id"])
        except StoreError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText("已删除（可撤销，或在回收站恢复）")
        self.refresh()
        return True

    def add_funds(self) -> QDialog:
        return self._open(FundsDialog(self.ctx, self.project_id, self))

    def edit_funds(self) -> QDialog | None:
        row = self._selected(self.funds_table, self.fund_rows)
        if row is None:
            self.message.setText("请先选择一条到位资金记录")
            return None
        return self._open(FundsDialog(self.ctx, self.project_id, self, entry=row))

    def delete_funds(self) -> bool:
        row = self._selected(self.funds_table, self.fund_rows)
        if row is None:
            return False
        with self.ctx.action(f"删除到位资金“{row['month']} {row['amount_wan']} 万元”"):
            funds.delete_funds(self.ctx.store, row["id"])
        self.message.setText("已删除（可撤销，或在回收站恢复）")
        self.refresh()
        return True


class StageDialog(QDialog):
    """变更阶段 (today or a past date, with a reason), or correct one history ``entry``."""

    def __init__(
        self,
        ctx: AppContext,
        project_id: str,
        parent: QWidget | None = None,
        entry: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.project_id, self.entry = ctx, project_id, entry
        self.setWindowTitle("修改阶段记录" if entry else "变更阶段")
        self.setObjectName("stageDialog")
        current = stages.current_stage(ctx.store, project_id)
        self.stage = QComboBox()
        self.stage.setObjectName("stage_choice")
        self.stage.addItems(
            list(stages.STAGES) if entry else [s for s in stages.STAGES if s != current]
        )
        day = QDate.fromString(entry["changed_on"], "yyyy-MM-dd") if entry else None
        self.date = QDateEdit(day if day and day.isValid() else QDate.currentDate())
        self.date.setObjectName("stage_date")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMaximumDate(QDate.currentDate())
        self.note = QLineEdit(entry["note"] if entry else "")
        self.note.setObjectName("stage_note")
        self.note.setPlaceholderText("说明；补录以前的日期时请写明原因")
        if entry:
            self.stage.setCurrentText(entry["stage"])
        self.error = _error_label("stageError")
        form = QFormLayout(self)
        form.addRow("当前阶段", QLabel(current or "—"))
        form.addRow("阶段" if entry else "变更为", self.stage)
        form.addRow("日期（可早于今天）", self.date)
        form.addRow("说明/原因", self.note)
        form.addRow(self.error)
        form.addRow(_buttons(self))

    def save(self) -> None:
        day = self.date.date().toString("yyyy-MM-dd")
        try:
            with self.ctx.action(
                f"{'修改' if self.entry else '记录'}阶段“{self.stage.currentText()}”"
            ):
                if self.entry:
                    stages.update_entry(
                        self.ctx.store,
                        self.entry["id"],
                        stage=self.stage.currentText(),
                        changed_on=day,
                        note=self.note.text(),
                    )
                else:
                    stages.change_stage(
                        self.ctx.store,
                        self.project_id,
                        self.stage.currentText(),
                        self.note.text(),
                        day,
                    )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class FundsDialog(QDialog):
    """登记到位资金, or correct one fund ``entry``; months before 签约 are questioned."""

    def __init__(
        self,
        ctx: AppContext,
        project_id: str,
        parent: QWidget | None = None,
        entry: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.project_id, self.entry = ctx, project_id, entry
        self.setWindowTitle("修改到位资金" if entry else "登记到位资金")
        self.setObjectName("fundsDialog")
        project = ctx.store.get("projects", project_id)
        self.month = QLineEdit(dt.date.today().strftime("%Y-%m"))
        self.month.setObjectName("funds_month")
        self.amount = QLineEdit()
        self.amount.setObjectName("funds_amount")
        self.amount.setPlaceholderText("整数，单位万元")
        self.outside = QCheckBox("省外资金")
        self.outside.setObjectName("funds_outside")
        self.outside.setChecked(True)
        self.industrial = QCheckBox("产业类（不含房地产、基础设施、金融类）")
        self.industrial.setObjectName("funds_industrial")
        self.industrial.setChecked(project["category"] == "产业类")
        self.note = QLineEdit()
        self.error = _error_label("fundsError")
        form = QFormLayout(self)
        form.addRow("月份（YYYY-MM）", self.month)
        form.addRow("金额（万元）", self.amount)
        form.addRow("", self.outside)
        form.addRow("", self.industrial)
        form.addRow("说明", self.note)
        form.addRow(self.error)
        form.addRow(_buttons(self))
        if entry:
            self.month.setText(entry["month"])
            self.amount.setText(str(entry["amount_wan"]))
            self.outside.setChecked(bool(entry["outside_province"]))
            self.industrial.setChecked(bool(entry["industrial"]))
            self.note.setText(entry["note"])

    def confirm_warnings(self, warnings: list[str]) -> bool:
        """Money before 签约: ask before recording it (tests replace this)."""
        answer = QMessageBox.question(
            self, "请核实", "\n".join(warnings) + "\n\n仍然登记这笔到位资金？"
        )
        return answer == QMessageBox.StandardButton.Yes

    def save(self) -> None:
        try:
            funds.parse_amount_wan(self.amount.text())  # a wrong amount is said first
            warnings = funds.warnings_for(self.ctx.store, self.project_id, self.month.text())
            if warnings and not self.confirm_warnings(warnings):
                self.error.setText(warnings[0])
                return
            with self.ctx.action("修改到位资金" if self.entry else "登记到位资金"):
                if self.entry:
                    funds.update_funds(
                        self.ctx.store,
                        self.entry["id"],
                        month=self.month.text(),
                        amount_wan=self.amount.text(),
                        outside_province=self.outside.isChecked(),
                        industrial=self.industrial.isChecked(),
                        note=self.note.text(),
                    )
                else:
                    funds.add_funds(
                        self.ctx.store,
                        self.project_id,
                        self.month.text(),
                        self.amount.text(),
                        outside_province=self.outside.isChecked(),
                        industrial=self.industrial.isChecked(),
                        note=self.note.text(),
                    )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class TransferDialog(QDialog):
    def __init__(self, ctx: AppContext, project_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.project_id = ctx, project_id
        self.setWindowTitle("项目流转")
        self.setObjectName("transferDialog")
        p = P.get_project(ctx.store, project_id)
        self.target = LocationPicker(ctx.store, "transfer")
        self.reason = QLineEdit()
        self.reason.setObjectName("transfer_reason")
        self.reason.setPlaceholderText("如：不符合本园区主导产业布局，流转至…")
        self.by = QLineEdit()
        self.by.setObjectName("transfer_by")
        self.error = _error_label("transferError")
        form = QFormLayout(self)
        form.addRow("当前所在地", QLabel(p["location"]))
        form.addRow("流转至", self.target)
        form.addRow("理由 *", self.reason)
        form.addRow("决定人/机制", self.by)
        form.addRow(self.error)
        form.addRow(_buttons(self, "流转"))
        self.resize(720, 200)

    def save(self) -> None:
        try:
            P.transfer(
                self.ctx.store,
                self.project_id,
                reason=self.reason.text(),
                decided_by=self.by.text(),
                **self.target.keys(),
            )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


RESULT_COLOURS = {"通过": "#1e7b34", "不通过": "#b00020", "需人工确认": "#a15c00"}


class AdmissionDialog(QDialog):
    """准入预审: every rule with result and reason; answer the questions; record 放行."""

    def __init__(self, ctx: AppContext, project_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.project_id = ctx, project_id
        self.setWindowTitle("准入预审")
        self.setObjectName("admissionDialog")
        self.resize(980, 560)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("admissionTable")
        self.table.setHorizontalHeaderLabels(["规则", "结果", "理由", "回答", "放行"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.reason = QLineEdit()
        self.reason.setObjectName("override_reason")
        self.reason.setPlaceholderText("放行理由（必填）")
        self.by = QLineEdit()
        self.by.setObjectName("override_by")
        self.by.setPlaceholderText("决策人或机制（如：州市招商引资集体决策会议）")
        self.override_button = QPushButton("对所选规则记录放行")
        self.override_button.setObjectName("overrideButton")
        self.override_button.clicked.connect(self.record_override)
        self.error = _error_label("admissionError")
        bottom = QHBoxLayout()
        bottom.addWidget(self.reason, 2)
        bottom.addWidget(self.by, 2)
        bottom.addWidget(self.override_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        pre = admission.evaluate(self.ctx.store, self.project_id)
        self.rules = pre.rules
        self.table.setRowCount(len(pre.rules))
        for r, rule in enumerate(pre.rules):
            head = QTableWidgetItem(f"{rule.group} {rule.label}（{rule.verdict}）")
            head.setToolTip(rule.rule_text)
            result = QTableWidgetItem(rule.result)
            result.setForeground(Qt.GlobalColor.black)
            from PySide6.QtGui import QColor

            result.setForeground(QColor(RESULT_COLOURS[rule.result]))
            reason = QTableWidgetItem(rule.reason)
            reason.setToolTip(f"规则原文：{rule.rule_text}\n理由：{rule.reason}")
            override = QTableWidgetItem(
                f"{rule.override['reason']}（{rule.override['decided_by']}，{rule.override['decided_on']}）"
                if rule.override
                else ""
            )
            for c, item in enumerate((head, result, reason)):
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
            override.setFlags(override.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(r, 4, override)
            if rule.check == "question":
                combo = QComboBox()
                combo.setObjectName(f"answer_{rule.rule_id}")
                combo.addItems(["未答", "否", "是"])
                combo.setCurrentText(rule.answer or "未答")
                combo.setToolTip(rule.question)
                combo.currentTextChanged.connect(
                    lambda text, rid=rule.rule_id: self.answer(rid, text)
                )
                self.table.setCellWidget(r, 3, combo)
            else:
                self.table.removeCellWidget(r, 3)
                self.table.setItem(r, 3, QTableWidgetItem("自动核查"))
        self.table.resizeRowsToContents()

    def answer(self, rule_id: str, text: str) -> None:
        admission.set_answer(
            self.ctx.store, self.project_id, rule_id, "" if text == "未答" else text
        )
        self.refresh()

    def record_override(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            self.error.setText("请先选择要放行的规则")
            return
        try:
            admission.record_override(
                self.ctx.store,
                self.project_id,
                self.rules[row].rule_id,
                self.reason.text(),
                self.by.text(),
            )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.reason.clear()
        self.refresh()


class ThresholdsDialog(QDialog):
    """准入阈值: 投资强度 / 亩均税收 lower limits per 州市/园区/产业 (with their source)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("准入阈值（投资强度、亩均税收下限）")
        self.setObjectName("thresholdsDialog")
        self.resize(900, 480)
        note = QLabel(
            "没有适用阈值的项目，准入规则第 3 条显示“需人工确认”，不会默认通过。"
            "请按本单位执行的文件录入并注明来源；省招商办发布的阈值会随同步更新。"
        )
        note.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("thresholdsTable")
        self.table.setHorizontalHeaderLabels(
            ["州市", "园区", "产业", "投资强度下限", "亩均税收下限", "来源"]
        )
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.location = LocationPicker(ctx.store, "threshold")
        self.location.county.hide()
        self.industry = QComboBox()
        self.industry.setObjectName("threshold_industry")
        self.industry.addItem("（全部产业）", "")
        for ind in catalogue.industries(ctx.store):
            self.industry.addItem(ind.name, ind.id)
        self.min_intensity = QLineEdit()
        self.min_intensity.setObjectName("threshold_intensity")
        self.min_intensity.setPlaceholderText("投资强度下限（万元/亩）")
        self.min_tax = QLineEdit()
        self.min_tax.setObjectName("threshold_tax")
        self.min_tax.setPlaceholderText("亩均税收下限（万元/亩）")
        self.source = QLineEdit()
        self.source.setObjectName("threshold_source")
        self.source.setPlaceholderText("来源文件（必填）")
        add = QPushButton("保存阈值")
        add.setObjectName("saveThreshold")
        add.clicked.connect(self.save)
        remove = QPushButton("删除所选")
        remove.clicked.connect(self.remove)
        self.error = _error_label("thresholdError")
        form = QGridLayout()
        form.addWidget(self.location, 0, 0, 1, 2)
        form.addWidget(self.industry, 0, 2)
        form.addWidget(self.min_intensity, 1, 0)
        form.addWidget(self.min_tax, 1, 1)
        form.addWidget(self.source, 1, 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(remove)
        buttons.addWidget(add)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        from zsapp.projects.common import prefecture_name

        industries = {i.id: i.name for i in catalogue.industries(self.ctx.store)}
        rows = admission.list_thresholds(self.ctx.store)
        self.ids = [r["id"] for r in rows]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            park = parks.get_park(self.ctx.store, row["park_id"])
            values = [
                prefecture_name(row["prefecture_code"]) or "全省",
                park["name"] if park else "—",
                industries.get(row["industry_id"], "全部"),
                row["min_intensity_wan"] or "—",
                row["min_tax_wan"] or "—",
                row["source"],
            ]
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))

    def save(self) -> None:
        keys = self.location.keys()
        try:
            admission.set_threshold(
                self.ctx.store,
                prefecture_code=keys["prefecture_key"],
                park_id=keys["park_key"],
                industry_id=self.industry.currentData() or "",
                min_intensity_wan=self.min_intensity.text(),
                min_tax_wan=self.min_tax.text(),
                source=self.source.text(),
            )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.refresh()

    def remove(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.ids):
            admission.delete_threshold(self.ctx.store, self.ids[row])
            self.refresh()
