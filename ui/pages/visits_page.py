"""拜访: the visit log (lazy list, search, this week/quarter) with a detail pane, follow-ups
that can be ticked off, attachments, and the keyboard quick entry (Ctrl+N)."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.dialogs.attachment_picker import pick_and_attach
from ui.dialogs.visit_dialog import VisitDialog
from ui.models.contacts_models import ID_ROLE, VisitListModel
from ui.pages.home_page import DraftBanner
from zsapp.contacts import attachments, visits
from zsapp.store import StoreError

# What the list and the visit page show.
TABLES = frozenset(
    {
        "visits",
        "visit_companies",
        "visit_people",
        "visit_items",
        "visit_projects",
        "followups",
        "companies",
        "people",
        "attachments",
    }
)
PERIODS = [("全部", ""), ("本周", "week"), ("本季度", "quarter")]


class VisitsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current_id: str | None = None
        self.dialog: VisitDialog | None = None

        self.banner = DraftBanner(ctx)
        self.new_button = QPushButton("记录拜访（Ctrl+N）")
        self.new_button.setObjectName("newVisit")
        self.new_button.clicked.connect(self.new_visit)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("visitSearch")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setPlaceholderText("搜索拜访：企业、人员（可拼音）、城市、纪要")
        self.period = QComboBox()
        self.period.setObjectName("visitPeriod")
        for label, _ in PERIODS:
            self.period.addItem(label)
        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.period)
        top.addWidget(self.new_button)

        self.model = VisitListModel(ctx.store, self)
        self.table = QTableView()
        self.table.setObjectName("visitTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(2, 220)

        self.detail = QTextBrowser()
        self.detail.setObjectName("visitDetail")
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._on_link)
        self.attach_button = QPushButton("添加附件…")
        self.attach_button.setObjectName("visitAttach")
        self.attach_button.clicked.connect(self.add_attachment)
        self.delete_button = QPushButton("删除")
        self.delete_button.setObjectName("visitDelete")
        self.delete_button.clicked.connect(self.delete_visit)
        self.edit_button = QPushButton("修改…（F2）")
        self.edit_button.setObjectName("visitEdit")
        self.edit_button.clicked.connect(self.edit_visit)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.detail, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        rl.addLayout(buttons)

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.refresh)
        self.search_box.textChanged.connect(lambda _t: self._timer.start())
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.selectionModel().currentChanged.connect(self._on_current)
        shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        shortcut.activated.connect(self.new_visit)
        # edit where shown: double-click, Enter/F2 on the list, the context menu
        self.table.doubleClicked.connect(lambda _index: self.edit_visit())
        for key in ("Return", "Enter", "F2"):
            edit_key = QShortcut(QKeySequence(key), self.table)
            edit_key.setContext(Qt.ShortcutContext.WidgetShortcut)
            edit_key.activated.connect(self.edit_visit)
        delete_key = QShortcut(QKeySequence("Delete"), self.table)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_visit)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        ctx.watch(self, TABLES, self.refresh)
        self.refresh()
        self._show_empty()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        period = PERIODS[self.period.currentIndex()][1]
        since, until = visits.period_bounds(period) if period else ("", "")
        self.model.set_filter(self.search_box.text().strip(), since, until)
        n = self.model.total  # the exact count the model loaded with
        self.status.setText(f"共 {n} 条拜访记录" if n else "没有符合条件的拜访记录")
        if self.current_id:
            row = self.model.row_of(self.current_id)
            if row >= 0:
                self.table.selectRow(row)
            self.show_visit(self.current_id, select=False)

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("visitMenu")
        menu.addAction("修改…", self.edit_visit)
        menu.addAction("添加附件…", self.add_attachment)
        menu.addSeparator()
        menu.addAction("删除", self.delete_visit)
        return menu

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
            self.show_visit(index.data(ID_ROLE), select=False)
            self.context_menu().exec(self.table.viewport().mapToGlobal(pos))

    def edit_visit(self) -> VisitDialog | None:
        if not self.current_id:
            return None
        dialog = VisitDialog(self.ctx, self.window(), visit_id=self.current_id)
        dialog.saved.connect(lambda vid: self.show_visit(vid))
        dialog.open()
        self.dialog = dialog
        return dialog

    def new_visit(self, company_id: str | None = None) -> VisitDialog:
        dialog = VisitDialog(self.ctx, self.window(), company_id=company_id)
        dialog.saved.connect(lambda vid: self.show_visit(vid))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.show_visit(current.data(ID_ROLE), select=False)

    def _show_empty(self) -> None:
        if not self.current_id:
            self.detail.setHtml(
                "<p style='color:#666'>选择一条拜访记录查看详情；按 Ctrl+N 快速记录新的拜访。</p>"
            )

    def show_visit(self, visit_id: str, select: bool = True) -> None:
        try:
            data = visits.as_json(self.ctx.store, visits.get_visit(self.ctx.store, visit_id))
        except StoreError:
            self.current_id = None
            self._show_empty()
            return
        self.current_id = visit_id
        if select:
            row = self.model.row_of(visit_id)
            if row >= 0:
                self.table.selectRow(row)
        e = html.escape
        companies = (
            "、".join(f"<a href='company:{c['id']}'>{e(c['name'])}</a>" for c in data["companies"])
            or "—"
        )
        people = (
            "、".join(
                e(p["name"] + (f"（{p['title']}）" if p.get("title") else ""))
                for p in data["people"]
            )
            or "—"
        )
        followups = "".join(
            f"<li><a href='followup:{f['id']}'>{'☑' if f['done'] else '☐'}</a> {e(f['text'])} "
            f"<span style='color:{'#b00020' if not f['done'] and f['due_date'] and f['due_date'] < visits.date.today().isoformat() else '#666'}'>"
            f"{e(f['due_date'] or '无期限')}</span></li>"
            for f in data["followups"]
        )
        files = "".join(
            f"<li><a href='file:{a['id']}'>{e(a['filename'])}</a> <span style='color:#666'>"
            f"{a['size'] // 1024 or 1} KB</span></li>"
            for a in data["attachments"]
        )
        items = "、".join(e(f"{i['id']} {i['name']}") for i in data["items"])
        self.detail.setHtml(
            f"<h3>{e(data['visited_at'].replace('T', ' '))} · {e(data['kind'])}</h3>"
            f"<p>企业：{companies}<br>对方人员：{people}<br>我方人员：{e(data['our_participants'] or '—')}<br>"
            f"城市/地点：{e(data['city'])} {e(data['place'])}<br>意向程度：<b>{e(data['outcome'])}</b>"
            + (f"<br>目录条目：{items}" if items else "")
            + "</p>"
            f"<h4>纪要</h4><p>{e(data['notes']).replace(chr(10), '<br>') or '—'}</p>"
            f"<h4>跟进事项（点击方框标记完成）</h4><ul>{followups or '<li>无</li>'}</ul>"
            f"<h4>附件</h4><ul>{files or '<li>无</li>'}</ul>"
        )

    def _on_link(self, url: QUrl) -> None:
        kind, _, ref = url.toString().partition(":")
        if kind == "followup":
            row = self.ctx.store.get("followups", ref)
            if row:
                visits.set_followup_done(self.ctx.store, ref, not row["done"])
        elif kind == "company":
            window = self.window()
            if hasattr(window, "show_page"):
                page = window.show_page("companies")
                if hasattr(page, "show_company"):
                    page.show_company(ref)
        elif kind == "file":
            row = self.ctx.store.get("attachments", ref)
            if row:
                QDesktopServices.openUrl(
                    QUrl.fromLocalFile(str(attachments.blob_path(row["sha256"])))
                )

    def add_attachment(self) -> None:
        if not self.current_id:
            return
        if pick_and_attach(self, self.ctx.store, "visits", self.current_id):
            self.show_visit(self.current_id, select=False)

    def delete_visit(self) -> None:
        if not self.current_id:
            return
        if (
            QMessageBox.question(
                self,
                "删除拜访记录",
                "确定删除这条拜访记录？\n删除后可在“设置 › 回收站”恢复，或按 Ctrl+Z 撤销。",
            )
            == QMessageBox.StandardButton.Yes
        ):
            with self.ctx.action("删除拜访记录"):
                visits.delete_visit(self.ctx.store, self.current_id)
            self.current_id = None
            self._show_empty()
