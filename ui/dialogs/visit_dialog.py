"""拜访快速录入: a visit logged with the keyboard alone — type-ahead for companies and
people (new ones created on the fly), time defaults to now, one follow-up per line,
Ctrl+Enter saves. The form autosaves a draft every few seconds (local ``drafts`` table)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from zsapp import catalogue, profile
from zsapp.contacts import companies, drafts, people, quick, visits
from zsapp.contacts.validation import ContactsError
from zsapp.store import StoreError

DRAFT_KEY = "visit"
AUTOSAVE_MS = 3000
SEPARATORS = re.compile(r"[、，,;；]")


class _TabLeaves:
    """Tab leaves a date/time edit at once (Qt would step through its sections first);
    ←/→ still move between sections and ↑/↓ change them."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class QuickDateTimeEdit(_TabLeaves, QDateTimeEdit):
    pass


class QuickDateEdit(_TabLeaves, QDateEdit):
    pass


class CompletingLineEdit(QLineEdit):
    """A line edit with a type-ahead popup fed by a search function. With ``multiple``,
    several names are separated by 、 and the popup completes the one being typed."""

    def __init__(
        self,
        source: Callable[[str], list[str]],
        multiple: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.multiple = multiple
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setWidget(self)
        self.completer.activated[str].connect(self.insert_completion)
        self.textEdited.connect(self._update)

    def current_segment(self) -> str:
        return SEPARATORS.split(self.text())[-1].strip() if self.multiple else self.text().strip()

    def _update(self, _text: str) -> None:
        segment = self.current_segment()
        names = self.source(segment) if segment else []
        self.model.setStringList(names)
        if names:
            self.completer.complete()
        else:
            self.completer.popup().hide()

    def insert_completion(self, text: str) -> None:
        if self.multiple:
            parts = SEPARATORS.split(self.text())[:-1]
            self.setText("、".join([p.strip() for p in parts if p.strip()] + [text]) + "、")
        else:
            self.setText(text)
        self.completer.popup().hide()

    def tokens(self) -> list[str]:
        parts = SEPARATORS.split(self.text()) if self.multiple else [self.text()]
        return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


_DATE_TAIL = re.compile(
    r"\s*[@＠]?\s*(今天|明天|后天|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.月]\d{1,2}日?)\s*$"
)


def parse_followup_line(
    line: str, default_due: date, today: date | None = None
) -> dict[str, str] | None:
    """'寄送资料 3-10' / '回访 @2025-04-01' / '报价 明天' → text and due date; else default."""
    today = today or date.today()
    line = line.strip().lstrip("-·•☐ ").strip()
    if not line:
        return None
    due = default_due
    match = _DATE_TAIL.search(line)
    if match and match.start() > 0:
        token = match.group(1)
        if token in ("今天", "明天", "后天"):
            due = today + timedelta(days=("今天", "明天", "后天").index(token))
        else:
            numbers = [int(n) for n in re.findall(r"\d+", token)]
            try:
                if len(numbers) == 3:
                    due = date(*numbers)
                else:
                    due = date(today.year, numbers[0], numbers[1])
                    if due < today - timedelta(days=180):
                        due = date(today.year + 1, numbers[0], numbers[1])
            except ValueError as exc:
                raise ContactsError(f"跟进事项“{line}”的日期不正确") from exc
        line = line[: match.start()].strip()
    return {"text": line, "due_date": due.isoformat()}


class VisitDialog(QDialog):
    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        draft: dict[str, Any] | None = None,
        company_id: str | None = None,
        visit_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.visit_id = visit_id  # editing this visit; None for a new one
        self.draft_key = f"{DRAFT_KEY}:{visit_id}" if visit_id else DRAFT_KEY
        self._closing = False
        self.saved_id: str | None = None
        self._person_ids: dict[str, str] = {}
        self._last_draft: dict[str, Any] | None = None
        self.setWindowTitle(
            "修改拜访记录（Ctrl+Enter 保存）" if visit_id else "记录拜访（Ctrl+Enter 保存）"
        )
        self.setObjectName("visitDialog")
        self.resize(640, 620)
        store = ctx.store

        self.companies = CompletingLineEdit(self._company_names)
        self.companies.setObjectName("visit_companies")
        self.companies.setPlaceholderText(
            "输入企业名称、拼音或首字母（如 zgyd），↓ 选择；新企业直接输入全称"
        )
        self.people = CompletingLineEdit(self._person_names)
        self.people.setObjectName("visit_people")
        self.people.setPlaceholderText("对方人员：姓名或拼音；新联系人直接输入姓名")
        self.when = QuickDateTimeEdit(QDateTime.currentDateTime())
        self.when.setObjectName("visit_when")
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.kind = QComboBox()
        self.kind.setObjectName("visit_kind")
        self.kind.addItems(visits.KINDS)
        self.city = QLineEdit()
        self.city.setObjectName("visit_city")
        self.city.setPlaceholderText("城市")
        self.place = QLineEdit()
        self.place.setObjectName("visit_place")
        self.place.setPlaceholderText("地点")
        self.ours = QLineEdit(profile.get_profile(store).name)
        self.ours.setObjectName("visit_ours")
        self.ours.setPlaceholderText("我方人员")
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("visit_notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText("谈了什么、对方关注什么、下一步")
        self.outcome = QComboBox()
        self.outcome.setObjectName("visit_outcome")
        self.outcome.addItems(visits.OUTCOMES)
        # 招商项目 links (zsapp.projects.picker): "KM-2026-0001 项目名" tokens, like companies.
        from zsapp.projects import picker as project_picker

        self.projects = CompletingLineEdit(lambda q: project_picker.labels(store, q))
        self.projects.setObjectName("visit_projects")
        self.projects.setPlaceholderText("关联招商项目：编号、名称或拼音，↓ 选择")
        self.items = CompletingLineEdit(lambda q: catalogue.item_labels(store, q))
        self.items.setObjectName("visit_items")
        self.items.setPlaceholderText("洽谈的目录条目：名称、拼音或编号（如 lb → 铝箔），↓ 选择")
        self.followups = QPlainTextEdit()
        self.followups.setObjectName("visit_followups")
        self.followups.setTabChangesFocus(True)
        self.followups.setPlaceholderText(
            "跟进事项，每行一条，可在末尾写日期：寄送园区资料 3-10 / 回访 明天"
        )
        self.followups.setMaximumHeight(90)
        self.default_due = QuickDateEdit(QDate.currentDate().addDays(7))
        self.default_due.setObjectName("visit_default_due")
        self.default_due.setDisplayFormat("yyyy-MM-dd")
        self.default_due.setCalendarPopup(True)

        form = QFormLayout()
        form.addRow("企业", self.companies)
        form.addRow("对方人员", self.people)
        when_row = QHBoxLayout()
        when_row.addWidget(self.when)
        when_row.addWidget(self.kind)
        form.addRow("时间/方式", when_row)
        where_row = QHBoxLayout()
        where_row.addWidget(self.city)
        where_row.addWidget(self.place, 2)
        form.addRow("城市/地点", where_row)
        form.addRow("我方人员", self.ours)
        form.addRow("纪要", self.notes)
        form.addRow("意向程度", self.outcome)
        form.addRow("跟进事项", self.followups)
        form.addRow("默认截止日期", self.default_due)
        form.addRow("关联项目", self.projects)
        form.addRow("目录条目", self.items)

        self.error = QLabel()
        self.error.setObjectName("visitError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.draft_label = QLabel()
        self.draft_label.setObjectName("visitDraftStatus")
        self.draft_label.setStyleSheet("color: #888")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存（Ctrl+Enter）")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.draft_label, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(bottom)

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.save)

        order = [
            self.companies,
            self.people,
            self.when,
            self.kind,
            self.city,
            self.place,
            self.ours,
            self.notes,
            self.outcome,
            self.followups,
            self.default_due,
            self.projects,
            self.items,
            buttons.button(QDialogButtonBox.StandardButton.Save),
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        if company_id:
            self.companies.setText(companies.get_company(store, company_id)["name"] + "、")
        if visit_id:
            self.load_payload(self.visit_payload(visit_id))
        self._initial = self._comparable(self.payload())
        if draft is None:  # a draft left by Esc/close reopens with its content
            draft = drafts.load_draft(store, self.draft_key)
        if draft:
            self.load_payload(draft)
            self.draft_label.setText(
                f"已恢复 {str(draft.get('_saved_at', '')).replace('T', ' ')} 的草稿"
            )
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.companies.setFocus()

    # -- type-ahead sources ------------------------------------------------------------
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

    # -- drafts --------------------------------------------------------------------------
    def payload(self) -> dict[str, Any]:
        return {
            "companies": self.companies.text(),
            "people": self.people.text(),
            "visited_at": self.when.dateTime().toString("yyyy-MM-ddTHH:mm"),
            "kind": self.kind.currentText(),
            "city": self.city.text(),
            "place": self.place.text(),
            "our_participants": self.ours.text(),
            "notes": self.notes.toPlainText(),
            "outcome": self.outcome.currentText(),
            "followups": self.followups.toPlainText(),
            "projects": self.projects.text(),
            "items": self.items.text(),
            "default_due": self.default_due.date().toString("yyyy-MM-dd"),
            "person_ids": self._person_ids,
        }

    def load_payload(self, data: dict[str, Any]) -> None:
        self.companies.setText(data.get("companies", ""))
        self.people.setText(data.get("people", ""))
        when = QDateTime.fromString(data.get("visited_at", ""), "yyyy-MM-ddTHH:mm")
        if when.isValid():
            self.when.setDateTime(when)
        self.kind.setCurrentText(data.get("kind") or visits.KINDS[0])
        self.city.setText(data.get("city", ""))
        self.place.setText(data.get("place", ""))
        self.ours.setText(data.get("our_participants", ""))
        self.notes.setPlainText(data.get("notes", ""))
        self.outcome.setCurrentText(data.get("outcome") or visits.OUTCOMES[0])
        self.followups.setPlainText(data.get("followups", ""))
        self.projects.setText(data.get("projects", ""))
        self.items.setText(data.get("items", ""))
        due = QDate.fromString(data.get("default_due", ""), "yyyy-MM-dd")
        if due.isValid():
            self.default_due.setDate(due)
        self._person_ids.update(data.get("person_ids") or {})

    def visit_payload(self, visit_id: str) -> dict[str, Any]:
        """The form fields of a saved visit (for editing)."""
        from zsapp.projects import picker as project_picker

        store = self.ctx.store
        data = visits.as_json(store, visits.get_visit(store, visit_id))
        self._person_ids.update({p["name"]: p["id"] for p in data["people"]})
        self._followup_ids = {f["text"]: f["id"] for f in data["followups"]}
        lines = [
            ("☑ " if f["done"] else "") + f["text"] + (f" {f['due_date']}" if f["due_date"] else "")
            for f in data["followups"]
        ]
        items = catalogue.item_labels_for(store, [i["id"] for i in data["items"]])
        return {
            "companies": "、".join(c["name"] for c in data["companies"]),
            "people": "、".join(p["name"] for p in data["people"]),
            "visited_at": data["visited_at"],
            "kind": data["kind"],
            "city": data["city"],
            "place": data["place"],
            "our_participants": data["our_participants"],
            "notes": data["notes"],
            "outcome": data["outcome"],
            "followups": "\n".join(lines),
            "projects": project_picker.tokens_for(store, [p["id"] for p in data["projects"]]),
            "items": items,
        }

    @staticmethod
    def _comparable(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k not in ("person_ids", "default_due")}

    def has_unsaved_changes(self) -> bool:
        return not self.saved_id and self._comparable(self.payload()) != self._initial

    def has_content(self) -> bool:
        return any(
            w.text().strip() for w in (self.companies, self.people, self.city, self.place)
        ) or bool(self.notes.toPlainText().strip() or self.followups.toPlainText().strip())

    def autosave(self) -> None:
        if self.saved_id or not self.has_unsaved_changes() or self.ctx.store.closed:
            return
        data = self.payload()
        if data == self._last_draft:
            return
        drafts.save_draft(self.ctx.store, self.draft_key, data)
        self._last_draft = data
        self.draft_label.setText(f"草稿已自动保存 {datetime.now():%H:%M:%S}")

    def discard(self) -> None:
        """放弃: close without saving and forget the draft."""
        self.autosave_timer.stop()
        drafts.clear_draft(self.ctx.store, self.draft_key)
        self._closing = True
        super().reject()

    def keep_draft(self) -> None:
        """存为草稿: close; the form reopens with this content next time."""
        self.autosave_timer.stop()
        drafts.save_draft(self.ctx.store, self.draft_key, self.payload())
        self._closing = True
        super().reject()

    def ask_unsaved(self) -> str:
        """保存 / 存为草稿 / 放弃 / '' (back to the form)."""
        from ui.forms import ask_unsaved

        return ask_unsaved(self, "这条拜访记录")

    def reject(self) -> None:  # Esc, 取消, the window's close button
        if self._closing or not self.has_unsaved_changes():
            self.autosave_timer.stop()
            if not self.saved_id and not self.has_unsaved_changes():
                drafts.clear_draft(self.ctx.store, self.draft_key)
            self._closing = True
            super().reject()
            return
        choice = self.ask_unsaved()
        if choice == "save":
            self.save()
        elif choice == "draft":
            self.keep_draft()
        elif choice == "discard":
            self.discard()

    def closeEvent(self, event) -> None:
        if self._closing or self.result() or not self.has_unsaved_changes():
            super().closeEvent(event)
            return
        if not self.isVisible():  # never shown (or shutting down): keep the typing as a draft
            if not self.ctx.store.closed:
                drafts.save_draft(self.ctx.store, self.draft_key, self.payload())
            self.autosave_timer.stop()
            self._closing = True
            super().closeEvent(event)
            return
        event.ignore()
        self.reject()

    # -- saving --------------------------------------------------------------------------
    def _plan_companies(self) -> list[quick.CompanyChoice]:
        """What each typed company means — asks about similar names before anything is
        written (zsapp.contacts.quick)."""
        plan = quick.plan_companies(self.ctx.store, self.companies.tokens())
        for choice in plan:
            similar = choice.similar
            if choice.id is None and similar:
                answer = QMessageBox.question(
                    self,
                    "可能重复",
                    f"“{choice.name}”与已有企业“{similar['name']}”相近。\n\n"
                    "是：使用已有企业；否：新建“" + choice.name + "”",
                )
                if answer == QMessageBox.StandardButton.Yes:
                    choice.name, choice.id = similar["name"], similar["id"]
        return plan

    def save(self) -> None:
        if self.saved_id:
            return
        store = self.ctx.store
        try:
            today = date.today()
            due_default = self.default_due.date().toPython()
            todo = []
            for line in self.followups.toPlainText().splitlines():
                done = line.strip().startswith("☑")
                f = parse_followup_line(line.strip().lstrip("☑").strip(), due_default, today)
                if f:
                    known = getattr(self, "_followup_ids", {}).get(f["text"])
                    todo.append({**f, "done": done, **({"id": known} if known else {})})
            company_plan = self._plan_companies()
            from zsapp.projects import picker as project_picker

            project_ids = project_picker.resolve(store, self.projects.tokens())
            item_ids = catalogue.resolve_item_tokens(store, self.items.tokens())
            label = "修改拜访记录" if self.visit_id else "记录拜访"
            with self.ctx.action(label):
                self.saved_id = quick.record_visit(
                    store,
                    {
                        "visited_at": self.when.dateTime().toString("yyyy-MM-dd HH:mm"),
                        "kind": self.kind.currentText(),
                        "city": self.city.text(),
                        "place": self.place.text(),
                        "our_participants": self.ours.text(),
                        "notes": self.notes.toPlainText(),
                        "outcome": self.outcome.currentText(),
                    },
                    companies_typed=company_plan,
                    people_typed=self.people.tokens(),
                    known_people=self._person_ids,
                    allow_similar=True,  # the officer was asked about each similar name
                    followups=todo,
                    projects=project_ids,
                    items=item_ids,
                    draft_key=self.draft_key,
                    visit_id=self.visit_id,
                )
        except StoreError as exc:
            self.saved_id = None
            self.error.setText(str(exc))
            return
        self.autosave_timer.stop()
        self._closing = True
        self.saved.emit(self.saved_id)
        self.accept()
