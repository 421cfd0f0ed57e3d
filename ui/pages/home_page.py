"""首页: a vertical list of sections — 待办跟进 (due and overdue follow-ups, overdue in red)
and 拜访 (this week / this quarter). Other issues append a section factory to
``HOME_SECTIONS`` (e.g. 项目进展): ``factory(ctx) -> QWidget``."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.models.contacts_models import ROW_ROLE, FollowupModel
from zsapp import profile
from zsapp.contacts import drafts, visits


class DraftBanner(QFrame):
    """“有未保存的拜访草稿” with 恢复 / 丢弃; hidden when there is no draft."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("draftBanner")
        self.setStyleSheet(
            "QFrame#draftBanner { background: #fff7e0; border: 1px solid #f0c36d; border-radius: 4px; }"
        )
        self.label = QLabel()
        self.restore_button = QPushButton("恢复草稿")
        self.restore_button.setObjectName("restoreDraft")
        self.discard_button = QPushButton("丢弃")
        self.discard_button.setObjectName("discardDraft")
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self.restore_button.clicked.connect(self.restore)
        self.discard_button.clicked.connect(self.discard)
        ctx.watch(self, {"drafts"}, self.refresh)
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        draft = drafts.load_draft(self.ctx.store, "visit")
        if draft:
            what = draft.get("companies") or draft.get("notes", "")[:20] or "拜访记录"
            self.label.setText(
                f"有一条未保存的拜访草稿（{html.escape(what.strip('、'))}，自动保存于 "
                f"{draft['_saved_at'].replace('T', ' ')}），是否恢复？"
            )
        self.setVisible(bool(draft))

    def restore(self):
        from ui.dialogs.visit_dialog import DRAFT_KEY, VisitDialog

        draft = drafts.load_draft(self.ctx.store, DRAFT_KEY)
        dialog = VisitDialog(self.ctx, self.window(), draft=draft)
        dialog.finished.connect(lambda _r: self.refresh())
        dialog.open()
        self.dialog = dialog
        return dialog

    def discard(self) -> None:
        drafts.clear_draft(self.ctx.store, "visit")


class FollowupsSection(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("待办跟进（已逾期、今天及 7 天内到期）", parent)
        self.ctx = ctx
        self.setObjectName("followupsSection")
        self.model = FollowupModel(ctx.store, due_within=7, parent=self)
        self.table = QTableView()
        self.table.setObjectName("followupsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # Fixed widths: sizing to contents would read every page of a long list.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 32), (1, 150), (3, 220), (4, 140)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(self._open_visit)
        self.summary = QLabel()
        self.summary.setObjectName("followupsSummary")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.model.dataChanged.connect(lambda *_: self._update_summary())
        ctx.watch(self, {"followups", "visits", "visit_companies", "companies"}, self.refresh)
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        self.model.reload()
        self._update_summary()
        self.table.setMinimumHeight(min(360, 60 + 28 * max(1, self.model.rowCount())))

    def _update_summary(self) -> None:
        summary = self.model.summary
        overdue, today, total = summary["overdue"], summary["today"], summary["open"]
        if not total:
            self.summary.setText("没有待办的跟进事项。")
        else:
            parts = [
                f"<b style='color:#b00020'>已逾期 {overdue} 条</b>" if overdue else "",
                f"<b>今天到期 {today} 条</b>" if today else "",
                f"共 {total:,} 条待办",
            ]
            self.summary.setText(
                "，".join(p for p in parts if p) + "（勾选即完成，双击打开拜访记录）"
            )

    def _open_visit(self, index) -> None:
        row = index.data(ROW_ROLE)
        window = self.window()
        if row and hasattr(window, "show_page"):
            page = window.show_page("visits")
            if hasattr(page, "show_visit"):
                page.show_visit(row["visit_id"])


class VisitStatsSection(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("拜访", parent)
        self.ctx = ctx
        self.setObjectName("visitStatsSection")
        self.label = QLabel()
        self.label.setObjectName("visitStats")
        self.label.setWordWrap(True)
        self.new_button = QPushButton("记录拜访…（Ctrl+N）")
        self.new_button.setObjectName("homeNewVisit")
        self.new_button.clicked.connect(self._new_visit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignLeft)
        ctx.watch(self, {"visits", "visit_companies", "companies"}, self.refresh)
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        store = self.ctx.store
        week = visits.period_bounds("week")
        quarter = visits.period_bounds("quarter")
        recent = visits.list_visits(store, since=week[0], until=week[1], limit=8)
        lines = "".join(
            f"<li>{html.escape(v['visited_at'].replace('T', ' '))} {html.escape(v['kind'])} "
            f"{html.escape(v['companies'] or '')} <span style='color:#666'>{html.escape(v['outcome'])}</span></li>"
            for v in recent
        )
        self.label.setText(
            f"本周拜访 <b>{visits.count_visits(store, *week)}</b> 次 · 本季度 <b>{visits.count_visits(store, *quarter)}</b> 次"
            + (f"<ul>{lines}</ul>" if lines else "<p style='color:#666'>本周还没有拜访记录。</p>")
        )

    def _new_visit(self) -> None:
        window = self.window()
        if hasattr(window, "show_page"):
            page = window.show_page("visits")
            if hasattr(page, "new_visit"):
                page.new_visit()


# Sections of the home page, top to bottom. Append ``factory(ctx) -> QWidget`` to add one.
HOME_SECTIONS: list[Callable[[AppContext], QWidget]] = [
    DraftBanner,
    FollowupsSection,
    VisitStatsSection,
]

from ui.widgets.projects_dashboard import ProjectsSection  # noqa: E402 (招商项目 section)

HOME_SECTIONS.append(ProjectsSection)


class HomePage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.greeting = QLabel()
        self.greeting.setObjectName("homeGreeting")
        body = QWidget()
        self.sections_layout = QVBoxLayout(body)
        self.sections_layout.addWidget(self.greeting)
        self.sections: list[QWidget] = []
        for factory in HOME_SECTIONS:
            self.add_section(factory(ctx))
        self.sections_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        ctx.watch(self, {"settings"}, self._greet)
        self._greet()

    def add_section(self, widget: QWidget) -> QWidget:
        index = self.sections_layout.count()
        last = self.sections_layout.itemAt(index - 1) if index else None
        if last is not None and last.spacerItem() is not None:
            index -= 1  # keep the stretch last
        self.sections_layout.insertWidget(index, widget)
        self.sections.append(widget)
        return widget

    def section(self, object_name: str) -> QWidget | None:
        return next((s for s in self.sections if s.objectName() == object_name), None)

    def _greet(self, _changed: frozenset[str] = frozenset()) -> None:
        name = profile.get_profile(self.ctx.store).name
        self.greeting.setText(f"<h2>{html.escape(name) + '，' if name else ''}您好</h2>")
