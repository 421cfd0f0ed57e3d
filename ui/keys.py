"""Keyboard behaviour shared by every page: Esc clears a search box, ↓ moves from the
search box into the results; the main window finds each page's search box for Ctrl+F."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QKeySequence, QShortcut
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


def clear_search(box: QLineEdit) -> None:
    box.clear()


def into_results(page: QWidget) -> None:
    view = results_view(page)
    if view is not None and view.model().rowCount() > 0:
        view.setFocus()
        if not view.currentIndex().isValid():
            view.setCurrentIndex(view.model().index(0, 0))


def is_search_box(widget: QWidget | None) -> bool:
    return isinstance(widget, QLineEdit) and "search" in widget.objectName().lower()


class SearchKeys(QObject):
    """Esc and ↓ for the search box that has the focus: two window shortcuts, enabled
    only while a search box is focused (so ↓ keeps moving through lists elsewhere). A
    child of the window: its connection to the application dies with the window."""

    def __init__(self, window: QWidget) -> None:
        from PySide6.QtWidgets import QApplication

        super().__init__(window)
        self.window = window
        self.esc = QShortcut(QKeySequence("Esc"), window)
        self.down = QShortcut(QKeySequence("Down"), window)
        for shortcut in (self.esc, self.down):
            shortcut.setEnabled(False)
        self.esc.activated.connect(self._clear)
        self.down.activated.connect(self._into_results)
        QApplication.instance().focusChanged.connect(self._focus_changed)

    @Slot(QWidget, QWidget)
    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        on = is_search_box(new) and new.window() is self.window
        self.esc.setEnabled(on)
        self.down.setEnabled(on)

    def _clear(self) -> None:
        from PySide6.QtWidgets import QApplication

        box = QApplication.focusWidget()
        if is_search_box(box):
            clear_search(box)

    def _into_results(self) -> None:
        from PySide6.QtWidgets import QApplication

        box = QApplication.focusWidget()
        if is_search_box(box):
            page = box.parentWidget()
            while page is not None and page.parentWidget() is not None:
                if page.objectName().startswith("page_"):
                    break
                page = page.parentWidget()
            into_results(page or box.window())
