"""新建/编辑企业: all company fields, industries from the catalogue, duplicate checks."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from zsapp import catalogue
from zsapp.contacts import companies
from zsapp.contacts.validation import ContactsError


class CompanyDialog(QDialog):
    open_existing = Signal(str)  # the user chose to open the company that already has this USCC

    def __init__(
        self,
        ctx: AppContext,
        company_id: str | None = None,
        parent: QWidget | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.company_id = company_id
        self.saved_id: str | None = None
        self.setWindowTitle("编辑企业" if company_id else "新建企业")
        self.setObjectName("companyDialog")
        self.resize(760, 640)

        self.edits: dict[str, QLineEdit] = {}

        def line(key: str, placeholder: str = "") -> QLineEdit:
            edit = QLineEdit()
            edit.setObjectName(f"company_{key}")
            edit.setPlaceholderText(placeholder)
            self.edits[key] = edit
            return edit

        basic = QFormLayout()
        basic.addRow("企业名称 *", line("name", "营业执照上的全称"))
        basic.addRow("简称", line("short_name"))
        basic.addRow("统一社会信用代码", line("uscc", "18 位，如 914403001922038216"))
        basic.addRow("注册地", line("registered_location"))
        origin = QHBoxLayout()
        origin.addWidget(line("origin_province", "省"))
        origin.addWidget(line("origin_city", "市"))
        self.region = QComboBox()
        self.region.setObjectName("company_region_tag")
        self.region.addItems(companies.REGION_TAGS)
        self.region.setItemText(0, "（无）")
        origin.addWidget(self.region)
        origin.addWidget(line("country", "国家/地区（境外）"))
        basic.addRow("来源地", origin)
        self.ownership = QComboBox()
        self.ownership.setObjectName("company_ownership")
        self.ownership.addItems(companies.OWNERSHIPS)
        self.ownership.setItemText(0, "（未填）")
        basic.addRow("所有制", self.ownership)
        size = QHBoxLayout()
        size.addWidget(line("revenue_wan", "营收（万元），可写 1.2亿"))
        size.addWidget(line("employees", "员工人数"))
        basic.addRow("规模", size)
        basic.addRow("网址", line("website"))
        basic.addRow("标签", line("tags", "逗号分隔"))

        flags_box = QGroupBox("标记")
        grid = QGridLayout(flags_box)
        self.flag_boxes: dict[str, QCheckBox] = {}
        for n, (key, label) in enumerate(companies.FLAGS.items()):
            box = QCheckBox(label)
            box.setObjectName(f"company_{key}")
            self.flag_boxes[key] = box
            grid.addWidget(box, n // 3, n % 3)
        listing = QHBoxLayout()
        listing.addWidget(QLabel("板块"))
        listing.addWidget(line("listing_board", "主板/创业板/科创板/港股…"))
        listing.addWidget(QLabel("代码"))
        listing.addWidget(line("listing_code"))
        grid.addLayout(listing, 2, 0, 1, 3)

        dishonest_box = QGroupBox("失信状态（全国失信惩戒措施基础清单，准入规则第 4 条）")
        dl = QHBoxLayout(dishonest_box)
        self.dishonest = QCheckBox("已列入")
        self.dishonest.setObjectName("company_is_dishonest")
        dl.addWidget(self.dishonest)
        dl.addWidget(line("dishonest_date", "列入日期 YYYY-MM-DD"))
        dl.addWidget(line("dishonest_source", "信息来源（信用中国…）"))

        self.items = QListWidget()
        self.items.setObjectName("company_items")
        for industry in catalogue.industries(ctx.store):
            for item in industry.items:
                entry = QListWidgetItem(f"{item.id}  {industry.name} › {item.name}")
                entry.setData(Qt.ItemDataRole.UserRole, item.id)
                entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(Qt.CheckState.Unchecked)
                self.items.addItem(entry)
        items_box = QGroupBox("所属行业（指导目录条目，可多选）")
        QVBoxLayout(items_box).addWidget(self.items)

        self.notes = QPlainTextEdit()
        self.notes.setObjectName("company_notes")
        self.notes.setPlaceholderText("备注")
        self.notes.setMaximumHeight(70)

        self.error = QLabel()
        self.error.setObjectName("companyError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        left = QVBoxLayout()
        left.addLayout(basic)
        left.addWidget(flags_box)
        left.addWidget(dishonest_box)
        left.addWidget(self.notes)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addWidget(items_box, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        if company_id:
            self._load(
                companies.get_company(ctx.store, company_id),
                companies.item_ids(ctx.store, company_id),
            )
        elif initial:
            self._load(initial, [])

    def _load(self, row: dict[str, Any], item_ids: list[str]) -> None:
        for key, edit in self.edits.items():
            value = row.get(key)
            if key == "tags":
                value = (
                    "，".join(json.loads(value or "[]"))
                    if isinstance(value, str)
                    else "，".join(value or [])
                )
            edit.setText("" if value is None else str(value))
        self.region.setCurrentIndex(
            max(0, companies.REGION_TAGS.index(row.get("region_tag") or ""))
        )
        self.ownership.setCurrentIndex(
            max(0, companies.OWNERSHIPS.index(row.get("ownership") or ""))
        )
        for key, box in self.flag_boxes.items():
            box.setChecked(bool(row.get(key)))
        self.dishonest.setChecked(bool(row.get("is_dishonest")))
        self.notes.setPlainText(row.get("notes") or "")
        for n in range(self.items.count()):
            entry = self.items.item(n)
            if entry.data(Qt.ItemDataRole.UserRole) in item_ids:
                entry.setCheckState(Qt.CheckState.Checked)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {key: edit.text().strip() for key, edit in self.edits.items()}
        values["region_tag"] = companies.REGION_TAGS[self.region.currentIndex()]
        values["ownership"] = companies.OWNERSHIPS[self.ownership.currentIndex()]
        for key, box in self.flag_boxes.items():
            values[key] = box.isChecked()
        values["is_dishonest"] = self.dishonest.isChecked()
        values["notes"] = self.notes.toPlainText().strip()
        return values

    def selected_items(self) -> list[str]:
        return [
            self.items.item(n).data(Qt.ItemDataRole.UserRole)
            for n in range(self.items.count())
            if self.items.item(n).checkState() == Qt.CheckState.Checked
        ]

    def save(self, allow_similar: bool = False) -> None:
        store = self.ctx.store
        name = self.values().get("name", "")
        try:
            with self.ctx.action(f"{'修改' if self.company_id else '新建'}企业“{name}”"):
                if self.company_id:
                    companies.update_company(
                        store, self.company_id, self.values(), items=self.selected_items()
                    )
                    self.saved_id = self.company_id
                else:
                    self.saved_id = companies.create_company(
                        store,
                        self.values(),
                        items=self.selected_items(),
                        allow_similar=allow_similar,
                    )
        except companies.DuplicateCompany as exc:
            self.error.setText(str(exc))
            answer = QMessageBox.question(self, "企业已存在", f"{exc}\n\n是否打开已有的企业？")
            if answer == QMessageBox.StandardButton.Yes:
                self.open_existing.emit(exc.existing_id)
                self.reject()
            return
        except companies.SimilarCompanyWarning as exc:
            names = "\n".join(f"· {c['name']}（{c['reason']}）" for c in exc.candidates)
            answer = QMessageBox.question(
                self, "可能重复", f"已有名称相近的企业：\n{names}\n\n确认不是同一家企业，仍然保存？"
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.save(allow_similar=True)
            else:
                self.error.setText("已取消保存：可能与已有企业重复")
            return
        except ContactsError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
