"""Dialogs of the 出差 section: a trip, a planned meeting, a lead. Type-ahead like the
quick visit entry; every write goes through zsapp.trips."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.dialogs.visit_dialog import CompletingLineEdit, QuickDateEdit, QuickDateTimeEdit
from zsapp import regions
from zsapp.contacts import companies, people
from zsapp.store import StoreError
from zsapp.trips import leads
from zsapp.trips import trips as T


def city_labels(query: str, limit: int = 12) -> list[str]:
    q = query.strip()
    if not q:
        return []
    hits = [
        c["name"]
        for c in regions.cities()
        if c["name"].startswith(q) or c["short"].startswith(q) or c["province_short"].startswith(q)
    ]
    return hits[:limit]


class _Form(QDialog):
    """Form + error label + Save/Cancel; Ctrl+Enter saves; ``save_values`` does the write."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.saved_id: str | None = None
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存（Ctrl+Enter）")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.save)

    def save_values(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def save(self) -> None:
        try:
            self.saved_id = self.save_values()
        except StoreError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class TripDialog(_Form):
    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, trip_id: str | None = None
    ) -> None:
        super().__init__(ctx, "修改出差" if trip_id else "新建出差", parent)
        self.setObjectName("tripDialog")
        self.trip_id = trip_id
        self.destinations = CompletingLineEdit(city_labels)
        self.destinations.setObjectName("trip_destinations")
        self.destinations.setPlaceholderText("目的地城市，如 上海、苏州（输入后 ↓ 选择）")
        today = QDate.currentDate()
        self.start = QuickDateEdit(today.addDays(7))
        self.start.setObjectName("trip_start")
        self.end = QuickDateEdit(today.addDays(9))
        self.end.setObjectName("trip_end")
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("trip_title")
        self.title_edit.setPlaceholderText("留空则自动生成，如 2026年12月 上海、苏州出差")
        self.companions = QLineEdit()
        self.companions.setObjectName("trip_companions")
        self.companions.setPlaceholderText("同行人员，顿号分隔")
        self.purpose = QLineEdit()
        self.purpose.setObjectName("trip_purpose")
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("trip_notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(80)
        self.form.addRow("目的地", self.destinations)
        self.form.addRow("出发日期", self.start)
        self.form.addRow("返回日期", self.end)
        self.form.addRow("标题", self.title_edit)
        self.form.addRow("同行人员", self.companions)
        self.form.addRow("出差目的", self.purpose)
        self.form.addRow("备注", self.notes)
        if trip_id:
            t = T.trip_json(ctx.store, T.get_trip(ctx.store, trip_id))
            self.destinations.setText("、".join(t["destination_names"]) + "、")
            self.start.setDate(QDate.fromString(t["start_date"], "yyyy-MM-dd"))
            self.end.setDate(QDate.fromString(t["end_date"], "yyyy-MM-dd"))
            self.title_edit.setText(t["title"])
            self.companions.setText(t["companions"])
            self.purpose.setText(t["purpose"])
            self.notes.setPlainText(t["notes"])
        self.resize(520, 400)
        self.destinations.setFocus()

    def values(self) -> dict[str, Any]:
        return {
            "destinations": self.destinations.tokens(),
            "start_date": self.start.date().toString("yyyy-MM-dd"),
            "end_date": self.end.date().toString("yyyy-MM-dd"),
            "title": self.title_edit.text(),
            "companions": self.companions.text(),
            "purpose": self.purpose.text(),
            "notes": self.notes.toPlainText(),
        }

    def save_values(self) -> str:
        values = self.values()
        if self.trip_id:
            T.update_trip(self.ctx.store, self.trip_id, values)
            return self.trip_id
        return T.create_trip(self.ctx.store, values)


class MeetingDialog(_Form):
    def __init__(
        self,
        ctx: AppContext,
        trip_id: str,
        parent: QWidget | None = None,
        meeting_id: str | None = None,
        company_id: str | None = None,
    ) -> None:
        super().__init__(ctx, "修改拜访安排" if meeting_id else "添加拜访安排", parent)
        self.setObjectName("meetingDialog")
        self.trip_id, self.meeting_id = trip_id, meeting_id
        store = ctx.store
        trip = T.get_trip(store, trip_id)
        self._person_ids: dict[str, str] = {}
        self.company = CompletingLineEdit(self._company_names, multiple=False)
        self.company.setObjectName("meeting_company")
        self.company.setPlaceholderText("企业名称、拼音或首字母，↓ 选择")
        self.people = CompletingLineEdit(self._person_names)
        self.people.setObjectName("meeting_people")
        self.people.setPlaceholderText("对方人员：姓名或拼音")
        start = QDateTime.fromString(trip["start_date"] + "T09:00", "yyyy-MM-ddTHH:mm")
        self.when = QuickDateTimeEdit(start)
        self.when.setObjectName("meeting_when")
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.duration = QSpinBox()
        self.duration.setObjectName("meeting_duration")
        self.duration.setRange(5, 24 * 60)
        self.duration.setSingleStep(15)
        self.duration.setValue(60)
        self.duration.setSuffix(" 分钟")
        self.place = QLineEdit()
        self.place.setObjectName("meeting_place")
        from zsapp.projects import picker

        self.projects = CompletingLineEdit(lambda q: picker.labels(store, q))
        self.projects.setObjectName("meeting_projects")
        self.projects.setPlaceholderText("拟推介项目：编号、名称或拼音")
        self.agenda = QPlainTextEdit()
        self.agenda.setObjectName("meeting_agenda")
        self.agenda.setTabChangesFocus(True)
        self.agenda.setMaximumHeight(80)
        self.form.addRow("企业", self.company)
        self.form.addRow("对方人员", self.people)
        self.form.addRow("时间", self.when)
        self.form.addRow("时长", self.duration)
        self.form.addRow("地点", self.place)
        self.form.addRow("拟推介项目", self.projects)
        self.form.addRow("议题", self.agenda)
        if company_id:
            self.company.setText(companies.get_company(store, company_id)["name"])
        if meeting_id:
            m = T.meeting_json(store, meeting_id)
            self.company.setText(m["company_name"])
            labels = []
            for p in m["people"]:
                self._person_ids[p["name"]] = p["id"]
                labels.append(p["name"])
            self.people.setText("、".join(labels))
            self.when.setDateTime(QDateTime.fromString(m["starts_at"], "yyyy-MM-ddTHH:mm"))
            self.duration.setValue(m["duration_min"])
            self.place.setText(m["place"])
            self.projects.setText(picker.tokens_for(store, [p["id"] for p in m["projects"]]))
            self.agenda.setPlainText(m["agenda"])
        self.resize(560, 420)
        self.company.setFocus()

    def _company_names(self, query: str) -> list[str]:
        return [r["name"] for r in companies.search_companies(self.ctx.store, query, 10)]

    def _person_names(self, query: str) -> list[str]:
        names = []
        for row in people.search_people(self.ctx.store, query, 10):
            label = (
                f"{row['name']}（{row['company_name']}）"
                if row.get("company_name")
                else row["name"]
            )
            self._person_ids[label] = row["id"]
            names.append(label)
        return names

    def values(self) -> dict[str, Any]:
        from zsapp.projects import picker

        store = self.ctx.store
        name = self.company.text().strip()
        return {
            "company_id": companies.resolve(store, name) if name else "",
            "person_ids": [
                self._person_ids.get(t) or people.resolve(store, t) for t in self.people.tokens()
            ],
            "starts_at": self.when.dateTime().toString("yyyy-MM-dd HH:mm"),
            "duration_min": self.duration.value(),
            "place": self.place.text(),
            "project_ids": picker.resolve(store, self.projects.tokens()),
            "agenda": self.agenda.toPlainText(),
        }

    def save_values(self) -> str:
        values = self.values()
        if self.meeting_id:
            T.update_meeting(self.ctx.store, self.meeting_id, values)
            return self.meeting_id
        return T.add_meeting(self.ctx.store, self.trip_id, values)


class LeadDialog(_Form):
    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        trip_id: str = "",
        company_id: str = "",
    ) -> None:
        super().__init__(ctx, "登记线索", parent)
        self.setObjectName("leadDialog")
        self.trip_id = trip_id
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("lead_title")
        self.title_edit.setPlaceholderText("线索内容，如 某集团拟在滇新建电池铝箔产线")
        self.source = QComboBox()
        self.source.setObjectName("lead_source")
        self.source.addItems(leads.SOURCES)
        if trip_id:
            self.source.setCurrentText("出差拜访")
        self.detail = QLineEdit()
        self.detail.setObjectName("lead_detail")
        self.detail.setPlaceholderText("来源说明：谁、何时、何地")
        self.company = CompletingLineEdit(
            lambda q: [r["name"] for r in companies.search_companies(ctx.store, q, 10)],
            multiple=False,
        )
        self.company.setObjectName("lead_company")
        if company_id:
            self.company.setText(companies.get_company(ctx.store, company_id)["name"])
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("lead_notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(80)
        clocks = leads.clocks_text(ctx.store)
        self.form.addRow("线索", self.title_edit)
        self.form.addRow("来源", self.source)
        self.form.addRow("来源说明", self.detail)
        self.form.addRow("企业", self.company)
        self.form.addRow("备注", self.notes)
        self.form.addRow("承诺时限", QLabel(clocks + "（自收到起计）"))
        self.resize(520, 320)
        self.title_edit.setFocus()

    def save_values(self) -> str:
        store = self.ctx.store
        name = self.company.text().strip()
        return leads.create_lead(
            store,
            {
                "title": self.title_edit.text(),
                "source": self.source.currentText(),
                "source_detail": self.detail.text(),
                "company_id": companies.resolve(store, name) if name else "",
                "trip_id": self.trip_id,
                "notes": self.notes.toPlainText(),
            },
        )
