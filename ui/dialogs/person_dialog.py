"""新建/编辑联系人: phones validated on save, company chosen by type-ahead."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from zsapp.contacts import companies, people
from zsapp.contacts.validation import ContactsError, display_phone
from zsapp.store import StoreError


class PersonDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        person_id: str | None = None,
        company_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.saved_id: str | None = None
        self.setWindowTitle("编辑联系人" if person_id else "新建联系人")
        self.setObjectName("personDialog")
        self.resize(460, 420)
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        from ui.dialogs.visit_dialog import CompletingLineEdit  # shared type-ahead

        self.company = CompletingLineEdit(
            lambda q: [r["name"] for r in companies.search_companies(ctx.store, q, 10)],
            multiple=False,
        )
        self.company.setObjectName("person_company")
        self.company.setPlaceholderText("输入企业名称或拼音首字母")
        for key, label in (("name", "姓名 *"), ("title", "职务")):
            self.edits[key] = QLineEdit()
            form.addRow(label, self.edits[key])
        form.insertRow(1, "企业", self.company)
        for key, label, hint in (
            ("mobile", "手机", "如 138 0013 8000 或 +852 …"),
            ("landline", "座机", "如 0871-63123456"),
            ("email", "邮箱", ""),
            ("wechat", "微信", ""),
            ("tags", "标签", "逗号分隔"),
        ):
            self.edits[key] = QLineEdit()
            self.edits[key].setPlaceholderText(hint)
            form.addRow(label, self.edits[key])
        for key, edit in self.edits.items():
            edit.setObjectName(f"person_{key}")
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(80)
        form.addRow("备注", self.notes)
        self.error = QLabel()
        self.error.setObjectName("personError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        if person_id:
            vcard = buttons.addButton("导出名片（vCard）…", QDialogButtonBox.ButtonRole.ActionRole)
            vcard.setObjectName("personExportVcard")
            vcard.clicked.connect(lambda: self.export_vcard())
        self.history = QLabel()
        self.history.setObjectName("personHistory")
        self.history.setWordWrap(True)
        self.jobs = EmploymentTable(ctx, person_id) if person_id else None
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.history)
        if self.jobs is not None:
            layout.addWidget(self.jobs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if person_id:
            row = people.get_person(ctx.store, person_id)
            for key, edit in self.edits.items():
                value = row.get(key) or ""
                if key in ("mobile", "landline"):
                    value = display_phone(value)
                elif key == "tags":
                    value = "，".join(json.loads(value or "[]"))
                edit.setText(value)
            self.notes.setPlainText(row.get("notes") or "")
            company_id = row.get("company_id")
            jobs = people.employment(ctx.store, person_id)
            if jobs:
                self.history.setText(
                    "任职经历："
                    + "；".join(
                        f"{j['company_name'] or '（已删除的企业）'} {j['title']} {j['start_date']}～{j['end_date'] or '至今'}"
                        for j in jobs
                    )
                )
        if company_id:
            self.company.setText((ctx.store.get("companies", company_id) or {}).get("name", ""))

    def export_vcard(self, path: str | None = None) -> str | None:
        """Save this person as a vCard 3.0 file a phone can import (Chinese name intact)."""
        from zsapp.contacts import exporter

        if path is None:
            name = self.edits["name"].text().strip() or "联系人"
            path = filedialogs.save_file(self, "导出名片", f"{name}.vcf", "vCard 名片 (*.vcf)")
        if not path:
            return None
        try:
            exporter.export_vcf(self.ctx.store, path, [self.person_id])
        except StoreError as exc:
            self.error.setText(str(exc))
            return None
        self.error.setStyleSheet("color: #2e7d32")
        self.error.setText(f"已导出名片到 {path}")
        return path

    def values(self) -> dict[str, Any]:
        values = {key: edit.text().strip() for key, edit in self.edits.items()}
        values["notes"] = self.notes.toPlainText().strip()
        name = self.company.text().strip().rstrip("、，,")
        values["company_id"] = companies.resolve(self.ctx.store, name) if name else None
        return values

    def save(self) -> None:
        self.error.setStyleSheet("color: #b00020")
        try:
            values = self.values()
            with self.ctx.action(
                f"{'修改' if self.person_id else '新建'}联系人“{values.get('name', '')}”"
            ):
                if self.person_id:
                    people.update_person(self.ctx.store, self.person_id, values)
                    self.saved_id = self.person_id
                else:
                    self.saved_id = people.create_person(self.ctx.store, values)
        except ContactsError as exc:
            self.error.setText(str(exc))
            return
        except StoreError as exc:  # RecordNotFound for an unknown company name
            self.error.setText(str(exc))
            return
        self.accept()


class EmploymentTable(QWidget):
    """任职经历, correctable in place: 职务 and the dates are edited in their cells
    (saved at once, undoable), a wrong row is deleted to the recycle bin."""

    HEADERS = ["企业", "职务", "开始日期", "结束日期（空=至今）"]
    FIELDS = [None, "title", "start_date", "end_date"]

    def __init__(self, ctx, person_id: str, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTableWidget

        super().__init__(parent)
        self.ctx, self.person_id = ctx, person_id
        self.rows: list[dict] = []
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setObjectName("employmentTable")
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(130)
        self.table.itemChanged.connect(self._changed)
        self.delete_button = QPushButton("删除所选任职经历")
        self.delete_button.setObjectName("employmentDelete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.message = QLabel()
        self.message.setObjectName("employmentMessage")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("任职经历（双击职务或日期即可修改）"))
        layout.addWidget(self.table)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QTableWidgetItem

        self.rows = people.employment(self.ctx.store, self.person_id)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.rows))
        for r, job in enumerate(self.rows):
            values = [
                job["company_name"] or "（已删除的企业）",
                job["title"],
                job["start_date"],
                job["end_date"],
            ]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 0:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.setVisible(bool(self.rows))

    def _changed(self, item) -> None:
        field = self.FIELDS[item.column()]
        if field is None or not 0 <= item.row() < len(self.rows):
            return
        job = self.rows[item.row()]
        try:
            with self.ctx.action("修改任职经历"):
                people.update_employment(self.ctx.store, job["id"], {field: item.text().strip()})
        except StoreError as exc:
            self.message.setText(str(exc))
        else:
            self.message.setText("已保存")
        self.refresh()

    def delete_selected(self) -> bool:
        r = self.table.currentRow()
        if not 0 <= r < len(self.rows):
            self.message.setText("请先选择一段任职经历")
            return False
        with self.ctx.action("删除任职经历"):
            people.delete_employment(self.ctx.store, self.rows[r]["id"])
        self.message.setText("已删除（可撤销，或在回收站恢复）")
        self.refresh()
        return True
