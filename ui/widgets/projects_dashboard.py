"""首页 section 项目进展: my projects by stage, ≥10亿 projects, 500强 investors, 到位资金
this year by month against my own target, overdue follow-ups and 疑似停滞 projects.
All numbers come from zsapp.projects.dashboard (SQL aggregates)."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.widgets.funds_chart import FundsChart
from zsapp.projects import dashboard
from zsapp.projects import projects as P
from zsapp.projects.common import ProjectError, parse_decimal

# What the 项目进展 section shows (projects, their derived status, funds, investors,
# follow-ups, the officer's targets in settings).
TABLES = frozenset(
    {
        "projects",
        "project_status",
        "project_funds",
        "project_investors",
        "project_stages",
        "companies",
        "followups",
        "visits",
        "settings",
    }
)


class ProjectSettingsDialog(QDialog):
    """本人年度到位资金目标（万元）and the 疑似停滞 threshold (days)."""

    def __init__(self, ctx: AppContext, year: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.year = ctx, year
        self.setWindowTitle("项目设置")
        self.setObjectName("projectSettingsDialog")
        target = dashboard.funds_target(ctx.store, year)
        self.target = QLineEdit("" if target is None else str(target))
        self.target.setObjectName("fundsTarget")
        self.target.setPlaceholderText("整数，单位万元；留空表示未设目标")
        self.days = QSpinBox()
        self.days.setObjectName("stalledDays")
        self.days.setRange(1, 3650)
        self.days.setValue(P.stalled_days(ctx.store))
        self.days.setSuffix(" 天")
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(f"{year} 年本人到位资金目标（万元）", self.target)
        form.addRow("无拜访、阶段变化或到位资金超过", self.days)
        form.addRow("", QLabel("即标记为“疑似停滞”"))
        form.addRow(self.error)
        form.addRow(buttons)

    def save(self) -> None:
        try:
            value = parse_decimal(self.target.text(), "到位资金目标（万元）", places=0)
            dashboard.set_funds_target(
                self.ctx.store, self.year, None if value is None else int(value)
            )
            P.set_stalled_days(self.ctx.store, self.days.value())
        except ProjectError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class ProjectsSection(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("项目进展", parent)
        self.ctx = ctx
        self.setObjectName("projectsSection")
        self.summary = QLabel()
        self.summary.setObjectName("projectsSummary")
        self.summary.setWordWrap(True)
        self.funds = QLabel()
        self.funds.setObjectName("fundsSummary")
        self.chart = FundsChart()
        self.chart.setObjectName("homeFundsChart")
        self.stalled = QListWidget()
        self.stalled.setObjectName("stalledProjects")
        self.stalled.setMaximumHeight(130)
        self.stalled.itemActivated.connect(self._open)
        self.stalled.itemDoubleClicked.connect(self._open)
        self.settings_button = QPushButton("目标与停滞设置…")
        self.settings_button.setObjectName("projectSettingsButton")
        self.settings_button.clicked.connect(self.edit_settings)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.funds)
        layout.addWidget(self.chart)
        self.stalled_label = QLabel()
        layout.addWidget(self.stalled_label)
        layout.addWidget(self.stalled)
        ctx.watch(self, TABLES, self.refresh)
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        data = dashboard.dashboard(self.ctx.store)
        self.data = data
        who = f"{html.escape(data['owner'])}负责的" if data["owner"] else "全部"
        stages = (
            "，".join(f"{k} <b>{v}</b>" for k, v in data["by_stage"].items() if v) or "暂无项目"
        )
        overdue = data["overdue_followups"]
        self.summary.setText(
            f"{who}项目 <b>{data['projects']}</b> 个：{stages}<br>"
            f"10 亿元以上 <b>{data['big_projects']}</b> 个 · 世界500强投资方 <b>{data['fortune500_investors']}</b> 家 · "
            + (
                f"<span style='color:#b00020'>逾期跟进 <b>{overdue}</b> 项</span>"
                if overdue
                else "无逾期跟进"
            )
        )
        target = data["funds_target_wan"]
        done = data["funds_year_outside_industrial_wan"]
        progress = (
            f"，完成目标 {target:,} 万元的 {done * 100 // target}%"
            if target
            else "（尚未设置本人年度目标）"
        )
        self.funds.setText(
            f"{data['year']} 年到位资金 <b>{data['funds_year_wan']:,}</b> 万元，其中省外产业类 <b>{done:,}</b> 万元{progress}"
        )
        self.chart.set_data(data["funds_by_month"], target // 12 if target else None)
        self.stalled.clear()
        for row in data["stalled"]:
            item = QListWidgetItem(
                f"⚠ {row['code']}  {row['name']}（{row['stage']}，最近动态 {row['last_activity_on'] or '—'}）"
            )
            item.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.stalled.addItem(item)
        self.stalled_label.setText(
            f"疑似停滞 {data['stalled_count']} 个（超过 {P.stalled_days(self.ctx.store)} 天无拜访、阶段变化或到位资金；双击打开）"
            if data["stalled_count"]
            else "没有疑似停滞的项目。"
        )
        self.stalled.setVisible(bool(data["stalled"]))
        self.stalled.setFixedHeight(min(140, 8 + 24 * max(1, len(data["stalled"]))))

    def _open(self, item: QListWidgetItem) -> None:
        window = self.window()
        if hasattr(window, "show_page"):
            page = window.show_page("projects")
            page.select(item.data(Qt.ItemDataRole.UserRole))

    def edit_settings(self) -> ProjectSettingsDialog:
        dialog = ProjectSettingsDialog(self.ctx, dt.date.today().year, self.window())
        dialog.open()
        self.dialog = dialog
        return dialog
