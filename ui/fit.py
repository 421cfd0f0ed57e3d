"""Does a window fit the screen? Lists the controls a user could not read or reach:
a button, check box, combo box, tab or one-line label narrower than its size hint
(its text is cut: "记到位资" for 登记到位资金), or a control outside the window.
Controls inside a scroll area are reachable by scrolling and only checked for width."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QWidget,
)

CHECKED = (QAbstractButton, QComboBox, QLabel, QTabBar)


def _in_scroll_area(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _name(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, (QAbstractButton, QLabel)):
        text = widget.text()
    elif isinstance(widget, QComboBox):
        text = widget.currentText()
    return f"{type(widget).__name__}({widget.objectName() or '-'} “{text[:20]}”)"


def _needed_width(widget: QWidget) -> int:
    """A combo box needs room for the text it shows (its popup lists the long items);
    everything else for its size hint."""
    if isinstance(widget, QComboBox):
        option = QStyleOptionComboBox()
        widget.initStyleOption(option)
        metrics = widget.fontMetrics()
        text = QSize(metrics.horizontalAdvance(widget.currentText()), metrics.height())
        return (
            widget.style()
            .sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, text, widget)
            .width()
        )
    return widget.sizeHint().width()


def problems(window: QWidget, tolerance: int = 2) -> list[str]:
    out: list[str] = []
    frame = QRect(QPoint(0, 0), window.size())
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CHECKED) or not widget.isVisibleTo(window):
            continue
        if widget.window() is not window or widget.width() <= 0:
            continue
        if isinstance(widget, QLabel):
            if widget.wordWrap() or not widget.text() or widget.pixmap() is not None:
                continue
            if "<" in widget.text():  # rich text lays out by itself
                continue
        need = _needed_width(widget)
        if widget.width() + tolerance < need:
            out.append(f"{_name(widget)} 宽 {widget.width()} < 需要 {need}")
        if _in_scroll_area(widget, window):
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not frame.contains(rect.adjusted(tolerance, tolerance, -tolerance, -tolerance)):
            out.append(f"{_name(widget)} 超出窗口 {rect.getRect()} / {frame.getRect()}")
    return out


def button_grid(buttons, columns: int = 3):
    """Buttons in rows of ``columns`` that never shrink below their text (a long row of
    buttons would cut "登记到位资金" to "记到位资" on a 1024-pixel screen)."""
    from PySide6.QtWidgets import QGridLayout, QSizePolicy

    grid = QGridLayout()
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(4)
    for n, button in enumerate(buttons):
        button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        grid.addWidget(button, n // columns, n % columns)
    grid.setColumnStretch(columns, 1)
    return grid


def below_the_fold(window: QWidget, names: tuple[str, ...] = ("generateButton",)) -> list[str]:
    """Main actions that must be on screen without scrolling (e.g. 生成推介册)."""
    out = []
    for name in names:
        widget = window.findChild(QWidget, name)
        if widget is None or not widget.isVisibleTo(window):
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        visible = widget.visibleRegion().boundingRect()
        if rect.bottom() > window.height() or visible.height() < widget.height():
            out.append(f"{_name(widget)} 需要滚动才能看到（{rect.getRect()}）")
    return out
