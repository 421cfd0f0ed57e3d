"""出差: trips on the left; on the right the selected trip's 拜访安排 (a planned meeting becomes
a visit log with Enter), 出差简报 (PDF and .ics), 出发前检查 (one click: a personalised
brochure per meeting), 出差报告 (editable, PDF/XLSX) and its 线索 with their clocks.

All data access goes through zsapp.trips (no SQL here); PDFs are rendered off the UI thread."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.dialogs.trip_dialog import LeadDialog, MeetingDialog, TripDialog
from ui.models.trips_models import LeadModel, MeetingModel, TripListModel
from zsapp.store import StoreError
from zsapp.trips import briefing, check, leads, meetings, report
from zsapp.trips import trips as T

# Tables this page shows (store change events, see AppContext.watch).
TABLES = {
    "trips",
    "trip_meetings",
    "trip_reports",
    "leads",
    "lead_steps",
    "visits",
    "visit_companies",
    "visit_people",
    "visit_projects",
    "followups",
    "companies",
    "people",
    "projects",
    "project_stages",
    "brochures",
    "sync_log",
}


def _table(name: str, model) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class TripsPage(QWidget):
    briefing_ready = Signal(object)
    exported = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.clock = clock
        self.trip_id: str | None = None
        self.brief: dict[str, Any] | None = None
        self.check_result: dict[str, Any] | None = None
        self.busy = False

        # -- left: trips ------------------------------------------------------------------
        self.trips_model = TripListModel(ctx.store, self)
        self.trip_list = _table("tripList", self.trips_model)
        self.trip_list.setMinimumWidth(140)
        header = self.trip_list.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.trip_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.trip_list.setWordWrap(False)
        self.trip_list.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._on_trip_row(cur.row())
        )
        self.new_button = QPushButton("新建出差…")
        self.new_button.setObjectName("newTrip")
        self.new_button.clicked.connect(self.new_trip)
        self.edit_button = QPushButton("修改…")
        self.edit_button.setObjectName("editTrip")
        self.edit_button.clicked.connect(self.edit_trip)
        self.delete_button = QPushButton("删除")
        self.delete_button.setObjectName("deleteTrip")
        self.delete_button.clicked.connect(self.delete_trip)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.new_button)
        row = QHBoxLayout()
        for b in (self.edit_button, self.delete_button):
            row.addWidget(b)
        lv.addLayout(row)
        lv.addWidget(self.trip_list, 1)

        # -- right: the selected trip -------------------------------------------------------
        self.header = QLabel("请选择或新建一次出差")
        self.header.setObjectName("tripHeader")
        self.header.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("tripStatus")
        self.status.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tripTabs")
        self.tabs.addTab(self._meetings_tab(), "拜访安排")
        self.tabs.addTab(self._briefing_tab(), "出差简报")
        self.tabs.addTab(self._check_tab(), "出发前检查")
        self.tabs.addTab(self._report_tab(), "出差报告")
        self.tabs.addTab(self._leads_tab(), "线索")
        self.tabs.currentChanged.connect(lambda _i: self._refresh_tab())
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.header)
        rv.addWidget(self.tabs, 1)
        rv.addWidget(self.status)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([330, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        ctx.watch(self, TABLES, self._on_data_changed)
        self.reload()

    # -- tabs ----------------------------------------------------------------------------
    def _meetings_tab(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        self.meetings_model = MeetingModel(self.ctx.store, self)
        self.meetings_table = _table("meetingsTable", self.meetings_model)
        self.meetings_table.doubleClicked.connect(lambda _i: self.record_visit())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.meetings_table)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self.record_visit)
        self.add_meeting_button = QPushButton("添加…")
        self.add_meeting_button.setToolTip("添加拜访安排")
        self.add_meeting_button.setObjectName("addMeeting")
        self.add_meeting_button.clicked.connect(self.add_meeting)
        self.edit_meeting_button = QPushButton("修改…")
        self.edit_meeting_button.clicked.connect(self.edit_meeting)
        self.delete_meeting_button = QPushButton("删除")
        self.delete_meeting_button.clicked.connect(self.delete_meeting)
        self.visit_button = QPushButton("记为拜访")
        self.visit_button.setToolTip("把选中的拜访安排记为拜访记录（Enter 或双击）")
        self.visit_button.setObjectName("recordVisit")
        self.visit_button.clicked.connect(self.record_visit)
        row = QHBoxLayout()
        for b in (self.add_meeting_button, self.edit_meeting_button, self.delete_meeting_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.visit_button)
        v.addLayout(row)
        v.addWidget(self.meetings_table, 1)
        return w

    def _briefing_tab(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        self.briefing_view = QTextBrowser()
        self.briefing_view.setObjectName("briefingView")
        self.pdf_button = QPushButton("导出 PDF…")
        self.pdf_button.setObjectName("exportBriefing")
        self.pdf_button.clicked.connect(
            lambda: self._ask_path(
                "保存出差简报", "出差简报.pdf", "PDF 文件 (*.pdf)", self.export_briefing_pdf
            )
        )
        self.ics_button = QPushButton("导出日历 .ics…")
        self.ics_button.setObjectName("exportIcs")
        self.ics_button.clicked.connect(
            lambda: self._ask_path("保存日历", "出差日程.ics", "日历文件 (*.ics)", self.export_ics)
        )
        row = QHBoxLayout()
        row.addWidget(self.pdf_button)
        row.addWidget(self.ics_button)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.briefing_view, 1)
        return w

    def _check_tab(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        self.check_view = QTextBrowser()
        self.check_view.setObjectName("checkView")
        self.recheck_button = QPushButton("重新检查")
        self.recheck_button.clicked.connect(self.run_check)
        self.generate_button = QPushButton("一键生成推介册…")
        self.generate_button.setToolTip("为每场尚无推介册的拜访生成一份“致 该企业”的个性化推介册")
        self.generate_button.setObjectName("generateBrochures")
        self.generate_button.clicked.connect(self._ask_brochure_dir)
        row = QHBoxLayout()
        row.addWidget(self.recheck_button)
        row.addWidget(self.generate_button)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.check_view, 1)
        return w

    def _report_tab(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        self.report_figures = QLabel()
        self.report_figures.setObjectName("reportFigures")
        self.report_figures.setWordWrap(True)
        self.report_edits: dict[str, QPlainTextEdit] = {}
        body = QWidget()
        form = QFormLayout(body)
        for key, label in report.REPORT_SECTIONS:
            edit = QPlainTextEdit()
            edit.setObjectName(f"report_{key}")
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(70)
            self.report_edits[key] = edit
            form.addRow(label, edit)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.report_generate = QPushButton("生成 / 刷新")
        self.report_generate.setToolTip("按本次出差的拜访记录生成；手工修改过的栏目保留")
        self.report_generate.setObjectName("generateReport")
        self.report_generate.clicked.connect(self.generate_report)
        self.report_save = QPushButton("保存修改")
        self.report_save.setObjectName("saveReport")
        self.report_save.clicked.connect(self.save_report)
        self.report_pdf = QPushButton("导出 PDF…")
        self.report_pdf.clicked.connect(
            lambda: self._ask_path(
                "导出出差报告", "出差报告.pdf", "PDF 文件 (*.pdf)", self.export_report
            )
        )
        self.report_xlsx = QPushButton("导出 XLSX…")
        self.report_xlsx.clicked.connect(
            lambda: self._ask_path(
                "导出出差报告", "出差报告.xlsx", "Excel 文件 (*.xlsx)", self.export_report
            )
        )
        row = QHBoxLayout()
        for b in (self.report_generate, self.report_save, self.report_pdf, self.report_xlsx):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.report_figures)
        v.addWidget(scroll, 1)
        return w

    def _leads_tab(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        self.leads_model = LeadModel(self.ctx.store, self.clock, self)
        self.leads_table = _table("tripLeadsTable", self.leads_model)
        self.add_lead_button = QPushButton("登记线索…")
        self.add_lead_button.setObjectName("addLead")
        self.add_lead_button.clicked.connect(self.add_lead)
        self.advance_button = QPushButton("完成下一步")
        self.advance_button.setObjectName("advanceLead")
        self.advance_button.clicked.connect(self.advance_lead)
        self.clocks_label = QLabel()
        self.clocks_button = QPushButton("时限设置…")
        self.clocks_button.setObjectName("leadClocksSettings")
        self.clocks_button.clicked.connect(self._ask_clocks)
        self.all_leads = QCheckBox("全部线索")
        self.all_leads.setToolTip("不限本次出差，含已办结、已放弃的线索")
        self.all_leads.setObjectName("allLeads")
        self.all_leads.toggled.connect(lambda _on: self.load_leads())
        row = QHBoxLayout()
        row.addWidget(self.add_lead_button)
        row.addWidget(self.advance_button)
        row.addWidget(self.all_leads)
        row.addStretch(1)
        row.addWidget(self.clocks_button)
        self.clocks_label.setWordWrap(True)
        self.clocks_label.setStyleSheet("color: #555")
        v.addLayout(row)
        v.addWidget(self.clocks_label)
        v.addWidget(self.leads_table, 1)
        return w

    # -- loading -------------------------------------------------------------------------
    def reload(self) -> None:
        keep = self.trip_id
        self.trip_list.selectionModel().blockSignals(True)
        self.trips_model.reload()
        self.trip_list.selectionModel().blockSignals(False)
        row = self.trips_model.find(keep) if keep else -1
        if row < 0 and self.trips_model.total:
            row = 0
        if row >= 0:
            self.trip_list.selectionModel().blockSignals(True)
            self.trip_list.selectRow(row)
            self.trip_list.selectionModel().blockSignals(False)
        self.select_trip(self.trips_model.row(row).get("id") if row >= 0 else None)

    def _on_trip_row(self, row: int) -> None:
        trip = self.trips_model.row(row) if 0 <= row < self.trips_model.total else {}
        self.select_trip(trip.get("id"))

    def trip_count(self) -> int:
        return self.trips_model.total

    def select_trip(self, trip_id: str | None) -> None:
        self.trip_id = trip_id
        self.brief = None
        self.check_result = None
        has = trip_id is not None
        for w in (self.edit_button, self.delete_button, self.tabs):
            w.setEnabled(has)
        if not has:
            self.header.setText("还没有出差。点击“新建出差…”，填写目的地和日期。")
            self.load_meetings()
            return
        t = T.trip_json(self.ctx.store, T.get_trip(self.ctx.store, trip_id))
        extra = "；".join(
            x
            for x in (
                t["companions"] and f"同行：{t['companions']}",
                t["purpose"] and f"目的：{t['purpose']}",
            )
            if x
        )
        self.header.setText(
            f"<b>{html.escape(t['title'])}</b>　{t['start_date']} 至 {t['end_date']}　"
            f"{html.escape('、'.join(t['destination_names']))}"
            + (f"<br><span style='color:#555'>{html.escape(extra)}</span>" if extra else "")
        )
        self.load_meetings()
        self._refresh_tab()

    def _refresh_tab(self) -> None:
        if not self.trip_id:
            return
        index = self.tabs.currentIndex()
        if index == 1 and self.brief is None:
            self.load_briefing()
        elif index == 2 and self.check_result is None:
            self.run_check()
        elif index == 3:
            if self.report_dirty():  # never overwrite what the officer is typing
                self.status.setText("出差报告有未保存的修改（其他数据已更新，保存后可刷新）")
            else:
                self.load_report()
        elif index == 4:
            self.load_leads()

    def _on_data_changed(self, _tables: frozenset[str]) -> None:
        self.reload()

    def load_meetings(self) -> None:
        current = self.selected_meeting()
        self.meetings_model.trip_id = self.trip_id
        self.meetings_model.reload()
        row = self.meetings_model.find(current["id"]) if current else -1
        if row < 0 and self.meetings_model.total:
            row = 0
        if row >= 0:
            self.meetings_table.selectRow(row)

    def selected_meeting(self) -> dict[str, Any] | None:
        row = self.meetings_table.currentIndex().row()
        return (
            self.meetings_model.row(row) or None if 0 <= row < self.meetings_model.total else None
        )

    # -- trips ---------------------------------------------------------------------------
    def new_trip(self) -> TripDialog:
        dialog = TripDialog(self.ctx, self)
        dialog.accepted.connect(lambda: self._saved_trip(dialog.saved_id))
        dialog.open()
        self.dialog = dialog
        return dialog

    def edit_trip(self) -> TripDialog | None:
        if not self.trip_id:
            return None
        dialog = TripDialog(self.ctx, self, self.trip_id)
        dialog.accepted.connect(lambda: self._saved_trip(dialog.saved_id))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _saved_trip(self, trip_id: str | None) -> None:
        self.trip_id = trip_id  # kept selected when the change event reloads the list

    def delete_trip(self) -> None:
        if not self.trip_id:
            return
        if (
            QMessageBox.question(
                self, "删除出差", "删除这次出差及其拜访安排？已记录的拜访记录不受影响。"
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        T.delete_trip(self.ctx.store, self.trip_id)
        self.trip_id = None

    # -- meetings ------------------------------------------------------------------------
    def add_meeting(self, company_id: str | None = None) -> MeetingDialog | None:
        if not self.trip_id:
            return None
        dialog = MeetingDialog(self.ctx, self.trip_id, self, company_id=company_id or None)
        dialog.accepted.connect(self._meeting_saved)
        dialog.open()
        self.dialog = dialog
        return dialog

    def edit_meeting(self) -> MeetingDialog | None:
        m = self.selected_meeting()
        if not m or not self.trip_id:
            return None
        dialog = MeetingDialog(self.ctx, self.trip_id, self, meeting_id=m["id"])
        dialog.accepted.connect(self._meeting_saved)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _meeting_saved(self) -> None:
        self.status.setText("拜访安排已保存")

    def delete_meeting(self) -> None:
        m = self.selected_meeting()
        if m:
            T.delete_meeting(self.ctx.store, m["id"])

    def record_visit(self):
        """The selected meeting → the quick visit entry, prefilled; saving links the visit."""
        from ui.dialogs.visit_dialog import VisitDialog

        m = self.selected_meeting()
        if m is None:
            return None
        if m["visit_id"]:
            self.status.setText("这次拜访已有拜访记录，可在“拜访”中查看和修改。")
            return None
        try:
            payload = meetings.dialog_payload(self.ctx.store, m["id"])
        except StoreError as exc:
            self.status.setText(str(exc))
            return None
        dialog = VisitDialog(self.ctx, self.window(), draft=payload)
        dialog.setWindowTitle(f"记录拜访：{m['company_name']}（Ctrl+Enter 保存）")
        meeting_id = m["id"]

        def link(visit_id: str) -> None:
            meetings.link_visit(self.ctx.store, meeting_id, visit_id)
            self.status.setText(f"已记录拜访：{m['company_name']}")

        dialog.saved.connect(link)
        dialog.open()
        dialog.notes.setFocus()
        self.dialog = dialog
        return dialog

    # -- briefing ------------------------------------------------------------------------
    def load_briefing(self) -> None:
        trip_id, store, now = self.trip_id, self.ctx.store, self.clock()
        self.briefing_view.setHtml("<p>正在生成出差简报…</p>")
        self.ctx.tasks.run(
            lambda: briefing.briefing(store, trip_id, now=now),
            lambda data: self._show_briefing(trip_id, data),
            self._failed,
        )

    def _show_briefing(self, trip_id: str, data: dict[str, Any]) -> None:
        if trip_id != self.trip_id:
            return
        self.brief = data
        c = data["counts"]
        esc = html.escape
        parts = [
            f"<p>目的地客商 <b>{c['companies']}</b> 家 · 联系人 {c['people']} 人 · 待办跟进 "
            f"{c['open_followups']} 条 · 拜访安排 {c['meetings']} 场"
            + (
                f" · <b style='color:#b00020'>失信企业 {c['dishonest']} 家</b>"
                if c["dishonest"]
                else ""
            )
            + "</p>"
        ]
        if data["leads_due"]:
            parts.append("<h4>线索承诺时限</h4><ul>")
            for d in data["leads_due"]:
                color = "#b00020" if d["overdue"] else "#a05a00"
                parts.append(
                    f"<li style='color:{color}'>{esc(d['title'])} · {esc(d['label'])} {esc(d['remaining'])}</li>"
                )
            parts.append("</ul>")
        parts.append("<h4>客商（按重要程度）</h4><ol>")
        for e in data["companies"][:100]:
            bits = [f"<b>{esc(e['name'])}</b> {esc(e['city_name'])}"]
            if e["dishonest"]:
                bits.append(f"<span style='color:#b00020'>{esc(e['dishonest'])}</span>")
            if e["people"]:
                bits.append("联系人：" + esc("、".join(p["name"] for p in e["people"][:5])))
            if e["open_followups"]:
                bits.append(f"待办跟进 {len(e['open_followups'])} 条")
            if e["projects"]:
                bits.append("可推介：" + esc("、".join(p["code"] for p in e["projects"])))
            parts.append("<li>" + "<br>".join(bits) + "</li>")
        parts.append("</ol>")
        self.briefing_view.setHtml("".join(parts))
        self.briefing_ready.emit(data)

    def export_briefing_pdf(self, path: str | Path) -> None:
        trip_id, store, now = self.trip_id, self.ctx.store, self.clock()

        def work():
            from zsapp.trips import pdf  # reportlab on first use

            return pdf.render_briefing(store, briefing.briefing(store, trip_id, now=now), path)

        self.status.setText("正在生成简报 PDF…")
        self.ctx.tasks.run(
            work,
            lambda res: self._exported(f"已导出出差简报：{res.path}（{res.pages} 页）", res.path),
            self._failed,
        )

    def export_ics(self, path: str | Path) -> None:
        from zsapp.trips import ics  # icalendar on first use

        try:
            out = ics.export_ics(self.ctx.store, self.trip_id, path)
        except (StoreError, OSError) as exc:
            self._failed(exc)
            return
        self._exported(
            f"已导出日历：{out['path']}（{out['events']} 个日程，可导入手机日历）", out["path"]
        )

    # -- check ---------------------------------------------------------------------------
    def run_check(self) -> dict[str, Any] | None:
        if not self.trip_id:
            return None
        result = check.check(self.ctx.store, self.trip_id)
        self.check_result = result
        esc = html.escape
        if result["ok"]:
            parts = [
                "<p style='color:#1b7f3b'><b>检查通过</b>：数据已同步，推介册已备齐，联系信息完整。</p>"
            ]
        else:
            parts = ["<ul>" + "".join(f"<li>{esc(m)}</li>" for m in result["messages"]) + "</ul>"]
        parts.append("<h4>推介册</h4><ul>")
        for b in result["brochures"]:
            state = "已生成" if b["file_exists"] else "<b style='color:#b00020'>未生成</b>"
            parts.append(
                f"<li>{esc(b['starts_at'].replace('T', ' '))} {esc(b['company_name'])}：{state}</li>"
            )
        parts.append("</ul>")
        if result["contact_problems"]:
            parts.append("<h4>联系信息</h4><ul>")
            for p in result["contact_problems"]:
                parts.append(f"<li>{esc(p['company_name'])}：{esc('；'.join(p['problems']))}</li>")
            parts.append("</ul>")
        self.check_view.setHtml("".join(parts))
        self.generate_button.setEnabled(bool(result["missing_brochures"]) and not self.busy)
        return result

    def _ask_brochure_dir(self) -> None:
        directory = QFileDialog.getExistingDirectory(self, "推介册保存到", str(Path.home()))
        if directory:
            self.generate_brochures(directory)

    def generate_brochures(self, directory: str | Path) -> None:
        trip_id, store = self.trip_id, self.ctx.store
        self.busy = True
        self.generate_button.setEnabled(False)
        self.status.setText("正在逐一生成个性化推介册…")

        def done(results: list[dict[str, Any]]) -> None:
            self.busy = False
            ok = [r for r in results if r["ok"]]
            bad = [f"{r['company_name']}：{r['error']}" for r in results if not r["ok"]]
            self.status.setText(
                f"已生成 {len(ok)} 份推介册" + ("；未能生成：" + "；".join(bad) if bad else "")
            )
            self.run_check()
            self.exported.emit(str(directory))

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._failed(exc)

        self.ctx.tasks.run(
            lambda progress: check.generate_brochures(store, trip_id, directory, progress=progress),
            done,
            failed,
            lambda d, t: self.status.setText(f"正在生成推介册 {d}/{t}…"),
        )

    # -- report --------------------------------------------------------------------------
    def load_report(self) -> None:
        data = report.get_report(self.ctx.store, self.trip_id) if self.trip_id else None
        self._show_report(data)

    def _show_report(self, data: dict[str, Any] | None) -> None:
        for key, edit in self.report_edits.items():
            edit.setPlainText(data[key] if data else "")
            edit.document().setModified(False)
        if not data:
            self.report_figures.setText(
                "尚未生成出差报告。点击“生成 / 刷新”，按本次出差的拜访记录生成。"
            )
            return
        f = data["figures"]
        edited = "、".join(
            dict(report.REPORT_SECTIONS)[k]
            for k in data["edited"]
            if k in dict(report.REPORT_SECTIONS)
        )
        self.report_figures.setText(
            f"拜访 <b>{f.get('visits', 0)}</b> 次 · 企业 {f.get('companies', 0)} 家 · 会见 {f.get('people', 0)} 人 · "
            f"新增线索 {f.get('leads', 0)} 条 · 跟进事项 {f.get('followups', 0)} 条 · 推进项目 {f.get('projects', 0)} 个 · "
            f"发放推介册 {f.get('brochures', 0)} 份"
            + (
                f"<br><span style='color:#555'>手工修改过的栏目（刷新时保留）：{html.escape(edited)}</span>"
                if edited
                else ""
            )
        )

    def report_dirty(self) -> bool:
        return any(e.document().isModified() for e in self.report_edits.values())

    def generate_report(self) -> dict[str, Any]:
        if self.report_dirty():  # hand edits are saved first, so the refresh keeps them
            self.save_report()
        data = report.generate(self.ctx.store, self.trip_id, now=self.clock())
        self._show_report(data)
        return data

    def save_report(self) -> dict[str, Any] | None:
        current = report.get_report(self.ctx.store, self.trip_id)
        changes = {
            k: e.toPlainText()
            for k, e in self.report_edits.items()
            if current is None or e.toPlainText().strip() != (current[k] or "").strip()
        }
        if not changes:
            self.status.setText("报告没有修改")
            return current
        try:
            data = report.edit(self.ctx.store, self.trip_id, changes)
        except StoreError as exc:
            self._failed(exc)
            return None
        self._show_report(data)
        self.status.setText("出差报告已保存")
        return data

    def export_report(self, path: str | Path) -> None:
        self.save_report()
        trip_id, store = self.trip_id, self.ctx.store
        path = Path(path)

        def work():
            if path.suffix.lower() == ".xlsx":
                return report.export_xlsx(store, trip_id, path)
            return report.export_pdf(store, trip_id, path).path

        self.ctx.tasks.run(
            work, lambda out: self._exported(f"已导出出差报告：{out}", out), self._failed
        )

    # -- leads ---------------------------------------------------------------------------
    def load_leads(self) -> None:
        self.clocks_label.setText("承诺时限：" + leads.clocks_text(self.ctx.store))
        self.leads_model.trip_id = self.trip_id or ""
        self.leads_model.everything = self.all_leads.isChecked()
        self.leads_model.reload()

    def _ask_clocks(self) -> None:
        text, ok = QInputDialog.getText(
            self,
            "线索承诺时限",
            "新登记线索的时限（名称=时限，d 天 / w 周 / h 小时；已登记的线索不变）：",
            text=leads.clocks_spec(self.ctx.store),
        )
        if ok:
            self.set_clocks(text)

    def set_clocks(self, spec: str) -> bool:
        try:
            leads.set_clocks(self.ctx.store, spec)
        except StoreError as exc:
            self._failed(exc)
            return False
        self.status.setText("承诺时限已保存：" + leads.clocks_text(self.ctx.store))
        self.clocks_label.setText("承诺时限：" + leads.clocks_text(self.ctx.store))
        return True

    def add_lead(self) -> LeadDialog:
        m = self.selected_meeting()
        dialog = LeadDialog(
            self.ctx, self, trip_id=self.trip_id or "", company_id=(m or {}).get("company_id", "")
        )
        dialog.accepted.connect(lambda: self.status.setText("已登记线索，各项时限已开始计时"))
        dialog.open()
        self.dialog = dialog
        return dialog

    def advance_lead(self) -> None:
        row = self.leads_table.currentIndex().row()
        lead = self.leads_model.row(row) if 0 <= row < self.leads_model.total else {}
        if not lead:
            return
        try:
            data = leads.advance(self.ctx.store, lead["id"], now=self.clock())
        except StoreError as exc:
            self._failed(exc)
            return
        self.status.setText(
            f"已完成：{data['title']}"
            + (f"；下一步 {data['next_step']}" if data["next_step"] else "；线索已办结")
        )

    # -- helpers -------------------------------------------------------------------------
    def _ask_path(self, title: str, name: str, filt: str, action) -> None:
        if not self.trip_id:
            return
        target, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filt)
        if target:
            action(target)

    def _exported(self, message: str, path) -> None:
        self.status.setText(message)
        self.exported.emit(str(path))

    def _failed(self, exc: BaseException) -> None:
        message = str(exc) or exc.__class__.__name__
        self.status.setText(f"操作失败：{message}")
        self.failed.emit(message)
