"""Keyboard behaviour shared by every page: Esc clears a search box, ↓ moves from the
search box into the results; the main window finds each page's search box for Ctrl+F."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QWidget


def search_box(page: QWidget) -> QLineEdit | None:
    """The page's main search box: a visible line edit named like '*search*'."""
    boxes = [
        w
        for w in page.findChildren(QLineEdit)
        if "search" in w.objectName().lower() and w.window() is page.window()
    ]
    visible = [w for w in boxes if w.isVisibleTo(page)]
    return (visible or boxes or [None])[0]


def results_view(page: QWidget) -> QAbstractItemView | None:
    views = [v for v in page.findChildren(QAbstractItemView) if v.isVisibleTo(page)]
    views = [v for v in views if v.model() is not None and v.objectName()]
    return views[0] if views else None


class SearchKeys(QObject):
    """Event filter on a search box: Esc clears it, ↓ focuses the results."""

    def __init__(self, box: QLineEdit, page: QWidget) -> None:
        super().__init__(box)
        self.box, self.page = box, page
        box.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.box and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Escape and self.box.text():
                self.box.clear()
                return True
            if key == Qt.Key.Key_Down and not (
                self.box.completer() and self.box.completer().popup().isVisible()
            ):
                view = results_view(self.page)
                if view is not None and view.model().rowCount() > 0:
                    view.setFocus()
                    if not view.currentIndex().isValid():
                        view.setCurrentIndex(view.model().index(0, 0))
                    return True
        return False


def install(page: QWidget) -> None:
    for box in page.findChildren(QLineEdit):
        if "search" in box.objectName().lower() and box.findChild(SearchKeys) is None:
            SearchKeys(box, page)
