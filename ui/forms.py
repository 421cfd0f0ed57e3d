"""Forms never lose typing: the 保存 / 存为草稿 / 放弃 question asked when a form with
unsaved changes is closed (Esc, 取消 or the window's close button)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_unsaved(parent: QWidget, what: str) -> str:
    """'save', 'draft', 'discard', or '' to go back to the form."""
    box = QMessageBox(parent)
    box.setObjectName("unsavedPrompt")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("未保存的修改")
    box.setText(f"{what}还没有保存。")
    box.setInformativeText("存为草稿：下次打开时内容仍在。")
    save = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
    draft = box.addButton("存为草稿", QMessageBox.ButtonRole.ActionRole)
    drop = box.addButton("放弃", QMessageBox.ButtonRole.DestructiveRole)
    back = box.addButton("返回修改", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.setEscapeButton(back)
    parent.prompt = box  # type: ignore[attr-defined]
    box.exec()
    return {save: "save", draft: "draft", drop: "discard"}.get(box.clickedButton(), "")
