"""合并重复记录: pick the company (or person) to merge into the one kept, choose the
surviving value field by field; everything moves to the survivor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QMessageBox,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.dialogs.visit_dialog import CompletingLineEdit
from zsapp.contacts import companies, merge, people
from zsapp.store import StoreError


def _show(value) -> str:
    if value in (None, ""):
        return "（空）"
    if value in (0, 1) and not isinstance(value, str):
        return "是" if value else "否"
    return str(value)


class MergeDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        table: str,
        keep_id: str,
        other_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.table, self.keep_id, self.other_id = ctx, table, keep_id, other_id
        self.result_info: dict | None = None
        self.setObjectName("mergeDialog")
        self.setWindowTitle("合并企业" if table == "companies" else "合并联系人")
        self.resize(760, 560)
        store = ctx.store
        keep_name = (store.get(table, keep_id, include_deleted=True) or {}).get("name", "")
        self.other_edit = CompletingLineEdit(self._names, multiple=False)
        self.other_edit.setObjectName("mergeOther")
        self.other_edit.setPlaceholderText("输入要并入的另一条记录的名称（可拼音）")
        self.other_edit.completer.activated[str].connect(lambda _t: self.load_other())
        self.other_edit.returnPressed.connect(self.load_other)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)  # rows stay together at the top
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("合并")
        buttons.accepted.connect(self.do_merge)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"保留：<b>{keep_name}</b>。另一条记录的联系人、拜访、行业、附件将全部转入保留的记录，"
                "它本身删除并指向保留的记录。"
            )
        )
        layout.addWidget(self.other_edit)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.choices: dict[str, QButtonGroup] = {}
        if other_id:
            self.other_edit.setText(
                (store.get(table, other_id, include_deleted=True) or {}).get("name", "")
            )
            self.build_grid()

    def _names(self, query: str) -> list[str]:
        if self.table == "companies":
            return [
                r["name"]
                for r in companies.search_companies(self.ctx.store, query, 10)
                if r["id"] != self.keep_id
            ]
        return [
            r["name"]
            for r in people.search_people(self.ctx.store, query, 10)
            if r["id"] != self.keep_id
        ]

    def load_other(self) -> None:
        name = self.other_edit.text().strip()
        try:
            resolver = companies.resolve if self.table == "companies" else people.resolve
            self.other_id = resolver(self.ctx.store, name)
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.error.clear()
        self.build_grid()

    def build_grid(self) -> None:
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget:
                widget.deleteLater()
        self.choices.clear()
        try:
            rows = merge.merge_preview(self.ctx.store, self.table, self.keep_id, self.other_id)
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        for col, title in enumerate(("字段", "保留的记录", "被并入的记录")):
            self.grid.addWidget(QLabel(f"<b>{title}</b>"), 0, col)
        n = 1
        for row in rows:
            if row["keep"] == row["other"] or row["field"] in ("tags", "company_id"):
                continue
            group = QButtonGroup(self)
            keep = QRadioButton(_show(row["keep"]))
            other = QRadioButton(_show(row["other"]))
            group.addButton(keep, 0)
            group.addButton(other, 1)
            (
                other if row["merged"] == row["other"] and row["keep"] != row["merged"] else keep
            ).setChecked(True)
            self.grid.addWidget(QLabel(row["label"]), n, 0)
            self.grid.addWidget(keep, n, 1)
            self.grid.addWidget(other, n, 2)
            self.choices[row["field"]] = group
            n += 1
        if n == 1:
            self.grid.addWidget(QLabel("两条记录的字段相同（标签会合并）。"), 1, 0, 1, 3)

    def selected_choices(self) -> dict[str, str]:
        return {f: ("keep" if g.checkedId() == 0 else "other") for f, g in self.choices.items()}

    def plan_text(self, plan: dict) -> str:
        choices = self.selected_choices()
        lines = [plan["summary"], ""]
        for f in plan["fields"]:
            value = f["other"] if choices.get(f["field"]) == "other" else f["merged"]
            if f["keep"] != f["other"] and value not in (None, ""):
                lines.append(f"· {f['label']}：{value}")
        return "\n".join(lines)

    def confirm(self, plan: dict) -> bool:
        """The merge plan, asked before anything is written (tests replace this)."""
        box = QMessageBox(self)
        box.setObjectName("mergeConfirm")
        box.setWindowTitle("确认合并")
        box.setText(self.plan_text(plan))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("合并")
        box.button(QMessageBox.StandardButton.Cancel).setText("取消")
        self.confirm_box = box
        return box.exec() == QMessageBox.StandardButton.Yes

    def do_merge(self) -> None:
        if not self.other_id:
            self.error.setText("请先选择要并入的记录")
            return
        try:
            plan = merge.merge_plan(self.ctx.store, self.table, self.keep_id, self.other_id)
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        if not self.confirm(plan):
            return
        try:
            fn = merge.merge_companies if self.table == "companies" else merge.merge_people
            with self.ctx.action(f"合并“{plan['merged']['name']}”到“{plan['kept']['name']}”"):
                self.result_info = fn(
                    self.ctx.store, self.keep_id, self.other_id, self.selected_choices()
                )
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
