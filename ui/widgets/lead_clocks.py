"""首页 section 线索承诺: lead clocks overdue (red) or due within a day, most urgent first."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from ui.context import AppContext
from zsapp.trips import leads

TABLES = {"leads", "lead_steps", "companies", "settings"}


class LeadClocksSection(QGroupBox):
    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__("线索承诺（已逾期及 24 小时内到期）", parent)
        self.ctx = ctx
        self.clock = clock
        self.setObjectName("leadClocksSection")
        self.label = QLabel()
        self.label.setObjectName("leadClocks")
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        self.rows: list[dict] = []
        ctx.watch(self, TABLES, lambda _tables: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.rows = leads.due_steps(self.ctx.store, now=self.clock(), limit=20)
        if not self.rows:
            self.label.setText(
                f"没有逾期或即将到期的线索。承诺时限：{leads.clocks_text(self.ctx.store)}"
            )
            return
        overdue = sum(r["overdue"] for r in self.rows)
        items = "".join(
            f"<li style='color:{'#b00020' if r['overdue'] else '#a05a00'}'>"
            f"{html.escape(r['title'])}{html.escape('（' + r['company_name'] + '）' if r['company_name'] else '')}"
            f" · {html.escape(r['label'])} 截止 {html.escape(r['due_at'].replace('T', ' '))}，"
            f"{html.escape(r['remaining'])}</li>"
            for r in self.rows
        )
        head = f"<b style='color:#b00020'>已逾期 {overdue} 项</b>，" if overdue else ""
        self.label.setText(f"{head}共 {len(self.rows)} 项待办<ul>{items}</ul>")
