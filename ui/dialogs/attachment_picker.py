"""Pick a file and attach it to a record (company, visit…)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from ui import filedialogs
from zsapp.contacts import attachments
from zsapp.store import Store, StoreError


def pick_and_attach(parent: QWidget, store: Store, owner_table: str, owner_id: str) -> bool:
    """Ask for a file and store it as an attachment; True when one was added."""
    path = filedialogs.open_file(parent, "选择附件（名片照片、PDF…）")
    if not path:
        return False
    try:
        attachments.add_attachment(store, owner_table, owner_id, Path(path))
    except StoreError as exc:
        QMessageBox.warning(parent, "无法添加附件", str(exc))
        return False
    return True
