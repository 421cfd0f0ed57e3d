"""The 撤销 notice: after each recorded action, "已删除企业“…”  [撤销]" for a while;
Ctrl+Z (in the main window) does the same as the button."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ui.context import AppContext
from zsapp.store import StoreError
from zsapp.undo import Operation

SHOW_MS = 12000


class UndoBar(QFrame):
    # the journal may record on a worker thread (imports): hop to the UI thread
    _recorded = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("undoBar")
        self.setStyleSheet(
            "QFrame#undoBar { background: #323232; border-radius: 4px; }"
            "QFrame#undoBar QLabel { color: white; }"
            "QFrame#undoBar QPushButton { color: #8ab4f8; border: none; font-weight: bold; "
            "padding: 2px 8px; }"
        )
        self.label = QLabel()
        self.label.setObjectName("undoLabel")
        self.undo_button = QPushButton("撤销（Ctrl+Z）")
        self.undo_button.setObjectName("undoButton")
        self.undo_button.clicked.connect(self.undo)
        close = QPushButton("×")
        close.setObjectName("undoClose")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        layout.addWidget(close)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SHOW_MS)
        self.timer.timeout.connect(self.hide)
        self.hide()
        self._undoing = False
        self._recorded.connect(self._on_recorded)
        self._listener = self._recorded.emit
        ctx.journal.listeners.append(self._listener)
        self.destroyed.connect(lambda *_: self._detach())

    def _detach(self) -> None:
        if self._listener in self.ctx.journal.listeners:
            self.ctx.journal.listeners.remove(self._listener)

    def _on_recorded(self, op: Operation | None) -> None:
        if self._undoing:
            return
        if op is None:
            self.hide()
            return
        self.show_message(f"已{op.label}", undoable=True)

    def show_message(self, text: str, undoable: bool = False) -> None:
        self.label.setText(text)
        self.undo_button.setVisible(undoable and self.ctx.journal.can_undo)
        self.show()
        self.raise_()
        self.timer.start()

    def undo(self) -> Operation | None:
        """Take back the latest action (Ctrl+Z); tells what was undone."""
        journal = self.ctx.journal
        if not journal.can_undo:
            self.show_message("没有可以撤销的操作")
            return None
        self._undoing = True
        try:
            op = journal.undo()
        except StoreError as exc:
            self.show_message(f"无法撤销：{exc}")
            return None
        finally:
            self._undoing = False
        following = journal.peek()
        self.show_message(
            f"已撤销：{op.label}" + (f"（还可撤销：{following.label}）" if following else ""),
            undoable=following is not None,
        )
        return op
