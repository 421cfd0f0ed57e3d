"""The main window: navigation on the left, one page per section."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QWidget

from ui.context import AppContext
from ui.pages.brochures_page import BrochuresPage
from ui.pages.catalogue_page import CataloguePage
from ui.pages.coming import ComingPage
from ui.pages.companies_page import CompaniesPage
from ui.pages.home_page import HomePage
from ui.pages.projects_page import ProjectsPage
from ui.pages.settings_page import SettingsPage
from ui.pages.sync_page import SyncPage
from ui.pages.trips_page import TripsPage
from ui.pages.visits_page import VisitsPage
from zsapp import __version__


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[[AppContext], QWidget]


def _coming(title: str, description: str) -> Callable[[AppContext], QWidget]:
    return lambda ctx: ComingPage(title, description)


# The product's sections, in navigation order. Each issue replaces its "coming" page.
PAGES: list[PageSpec] = [
    PageSpec("home", "首页", HomePage),
    PageSpec("catalogue", "目录", CataloguePage),
    PageSpec("companies", "客商", CompaniesPage),
    PageSpec("visits", "拜访", VisitsPage),
    PageSpec("projects", "项目", ProjectsPage),
    PageSpec("brochures", "推介册", BrochuresPage),
    PageSpec("trips", "出差", TripsPage),
    PageSpec("sync", "同步", SyncPage),
    PageSpec("settings", "设置", SettingsPage),
]


NAV_STYLE = """
QListWidget#navigation { background: #1f3a5f; color: #e8eef6; border: none; font-size: 15px; }
QListWidget#navigation::item { padding: 12px 18px; }
QListWidget#navigation::item:selected { background: #2f6db5; color: white; }
"""


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"招商助手 {__version__}")
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(120)
        self.nav.setStyleSheet(NAV_STYLE)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for spec in PAGES:
            page = spec.factory(ctx)
            page.setObjectName(f"page_{spec.key}")
            self.pages[spec.key] = page
            self.stack.addWidget(page)
            self.nav.addItem(spec.title)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status_label = QLabel()
        self.status_label.setObjectName("syncStatus")
        self.statusBar().addPermanentWidget(self.status_label)
        self._install_keys(layout)
        self._restore_state()

    def show_page(self, key: str) -> QWidget:
        index = [spec.key for spec in PAGES].index(key)
        self.ctx.flush_changes()  # the page shows every committed change before it appears
        self.nav.setCurrentRow(index)
        return self.pages[key]

    def current_page_key(self) -> str:
        return PAGES[self.stack.currentIndex()].key

    def _restore_state(self) -> None:
        settings = self.ctx.settings
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        last = settings.value("window/page", "catalogue")
        self.show_page(last if last in self.pages else "catalogue")

    def save_state(self) -> None:
        self.ctx.settings.setValue("window/geometry", self.saveGeometry())
        self.ctx.settings.setValue("window/page", self.current_page_key())
        self.ctx.settings.sync()

    # -- issue 13: shortcuts, undo notice, help -----------------------------------------
    def _install_keys(self, layout: QHBoxLayout) -> None:
        from PySide6.QtGui import QKeySequence, QShortcut
        from PySide6.QtWidgets import QVBoxLayout

        from ui import keys
        from ui.widgets.undo_bar import UndoBar

        self.undo_bar = UndoBar(self.ctx)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        layout.removeWidget(self.stack)
        column.addWidget(self.stack, 1)
        column.addWidget(self.undo_bar)
        layout.addWidget(right, 1)
        bindings = [
            ("Ctrl+Z", self.undo),
            ("Ctrl+F", self.focus_search),
            ("F5", self.refresh_page),
            ("F1", self.show_help),
        ]
        bindings += [
            (f"Ctrl+{n}", lambda key=spec.key: self.show_page(key))
            for n, spec in enumerate(PAGES[:9], start=1)
        ]
        self.shortcuts = {}
        for sequence, slot in bindings:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.activated.connect(slot)
            self.shortcuts[sequence] = shortcut
        self.search_keys = keys.SearchKeys(self)

    def undo(self):
        return self.undo_bar.undo()

    def focus_search(self) -> QWidget | None:
        from ui import keys

        box = keys.search_box(self.stack.currentWidget())
        if box is not None:
            box.setFocus()
            box.selectAll()
        return box

    def refresh_page(self) -> None:
        page = self.stack.currentWidget()
        if hasattr(page, "refresh"):
            page.refresh()

    def show_help(self):
        from ui.dialogs.help_dialog import HelpDialog

        self.help_dialog = HelpDialog(self, section=self.current_page_key())
        self.help_dialog.show()
        return self.help_dialog

    def closeEvent(self, event) -> None:
        self.save_state()
        self.ctx.tasks.wait(10000)
        super().closeEvent(event)
