"""回收站: everything deleted, newest first; one click restores, emptying asks first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from zsapp import trash
from zsapp.store import StoreError


class TrashDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("trashDialog")
        self.setWindowTitle("回收站")
        self.resize(720, 480)
        self.items: list[trash.TrashItem] = []
        hint = QLabel("删除的记录都在这里，选中后点“恢复”即可找回；恢复也会同步到其他设备。")
        hint.setWordWrap(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("trashCount")
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("trashTable")
        self.table.setHorizontalHeaderLabels(["类型", "内容", "删除时间"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _i: self.restore_selected())
        self.restore_button = QPushButton("恢复所选")
        self.restore_button.setObjectName("trashRestore")
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button = QPushButton("清空回收站…")
        self.empty_button.setObjectName("trashEmpty")
        self.empty_button.clicked.connect(self.empty)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        self.message = QLabel()
        self.message.setObjectName("trashMessage")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.empty_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.items = trash.list_trash(self.ctx.store, limit=2000)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            for col, text in enumerate((item.kind, item.title, item.deleted_on)):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                self.table.setItem(row, col, cell)
        self.count_label.setText(
            f"回收站里有 {len(self.items)} 条记录" if self.items else "回收站是空的"
        )
        self.restore_button.setEnabled(bool(self.items))
        self.empty_button.setEnabled(bool(self.items))
        if self.items and self.table.currentRow() < 0:
            self.table.selectRow(0)

    def restore_selected(self) -> trash.TrashItem | None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.items):
            return None
        item = self.items[row]
        try:
            with self.ctx.action(f"恢复{item.kind}“{item.title}”"):
                restored = trash.restore(self.ctx.store, item.table, item.id)
        except StoreError as exc:
            self.message.setText(str(exc))
            return None
        self.message.setText(f"已恢复{restored.kind}：{restored.title}")
        self.refresh()
        return restored

    def empty(self) -> int:
        n = len(self.items)
        if not n:
            return 0
        answer = QMessageBox.question(
            self,
            "清空回收站",
            f"回收站里的 {n} 条记录将被清除，清空后不能再恢复。确定清空？",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        removed = trash.empty(self.ctx.store)
        self.message.setText(f"已清空回收站（{removed} 条）")
        self.refresh()
        return removed
