"""File and folder dialogs in Chinese, starting in the user's 文档 folder.

Native dialogs on Windows and macOS speak the system's language already. Elsewhere Qt's
own dialog is used; its labels come from Qt's zh_CN translation (loaded in ui/app.py),
and the few labels that translation lacks ("Look in:", "Files of type:") are set here.
A relative suggested name (e.g. "客商.xlsx") is placed in the documents folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

LABELS = {
    QFileDialog.DialogLabel.LookIn: "查找范围：",
    QFileDialog.DialogLabel.FileName: "文件名：",
    QFileDialog.DialogLabel.FileType: "文件类型：",
    QFileDialog.DialogLabel.Reject: "取消",
}


def documents_dir() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    path = Path(location) if location else Path.home()
    return path if path.is_dir() else Path.home()


def _start(suggested: str | Path | None) -> str:
    if not suggested:
        return str(documents_dir())
    path = Path(suggested)
    return str(path if path.is_absolute() else documents_dir() / path)


def native_allowed() -> bool:
    return sys.platform in ("win32", "darwin")


def make_dialog(
    parent: QWidget | None,
    title: str,
    suggested: str | Path | None = None,
    filters: str = "",
    *,
    mode: str = "open",  # open | save | folder
) -> QFileDialog:
    """The dialog, configured but not shown (tests inspect it)."""
    dialog = QFileDialog(parent, title, _start(suggested), filters)
    if not native_allowed():
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    if mode == "save":
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, "保存")
        if suggested:
            dialog.selectFile(Path(suggested).name)
    elif mode == "folder":
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, "选择")
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, "打开")
    for label, text in LABELS.items():
        dialog.setLabelText(label, text)
    return dialog


def _run(dialog: QFileDialog) -> str:
    if not dialog.exec():
        return ""
    files = dialog.selectedFiles()
    return files[0] if files else ""


def open_file(parent: QWidget | None, title: str, filters: str = "", start: str = "") -> str:
    return _run(make_dialog(parent, title, start or None, filters, mode="open"))


def save_file(parent: QWidget | None, title: str, suggested: str = "", filters: str = "") -> str:
    return _run(make_dialog(parent, title, suggested or None, filters, mode="save"))


def choose_folder(parent: QWidget | None, title: str, start: str = "") -> str:
    return _run(make_dialog(parent, title, start or None, mode="folder"))
