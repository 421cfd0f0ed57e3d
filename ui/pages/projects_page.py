"""项目: the project list (search with the shared engine, filters, SQL sorting, lazy pages)
and the project page (stages timeline, 到位资金 chart, investors, visits, 准入预审, 流转,
放行记录, 推荐客商)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from ui.dialogs.project_dialog import (
    AdmissionDialog,
    FundsDialog,
    ProjectDialog,
    StageDialog,
    ThresholdsDialog,
    TransferDialog,
)
from ui.fit import button_grid
from ui.models.projects_models import ID_ROLE, ProjectListModel
from ui.widgets.funds_chart import FundsChart
from zsapp import catalogue, regions
from zsapp.projects import projects as P
from zsapp.projects import recommend, stages
from zsapp.projects.common import wan_to_yi_text

SEARCH_DELAY_MS = 80
# What the list and the project page show.
TABLES = frozenset(
    {
        "projects",
        "project_items",
        "project_investors",
        "project_stages",
        "project_funds",
        "project_transfers",
        "project_status",
        "admission_overrides",
        "admission_thresholds",
        "companies",
        "visits",
        "visit_projects",
        "parks",
    }
)
RESULT_COLOURS = {"通过": "#1e7b34", "不通过": "#b00020", "需人工确认": "#a15c00"}


class ProjectDetail(QWidget):
    """The project page shown beside the list."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.project_id: str | None = None
        self.title = QLabel("请选择一个项目")
        self.title.setObjectName("projectTitle")
        self.title.setStyleSheet("font-size: 17px; font-weight: bold")
        self.title.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (
            ("edit", "编辑"),
            ("stage", "变更阶段"),
            ("funds", "登记到位资金"),
            ("check", "准入预审"),
            ("transfer", "流转"),
            ("delete", "删除"),
        ):
            button = QPushButton(text)
            button.setObjectName(f"project_{key}_button")
            self.buttons[key] = button
        bar = button_grid(list(self.buttons.values()), 3)
        self.chart = FundsChart()
        self.chart.setObjectName("fundsChart")
        self.body = QTextBrowser()
        self.body.setObjectName("projectDetail")
        self.body.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.chart)
        layout.addWidget(self.body, 1)
        self.buttons["edit"].clicked.connect(self.edit)
        self.buttons["stage"].clicked.connect(lambda: self._open(StageDialog))
        self.buttons["funds"].clicked.connect(lambda: self._open(FundsDialog))
        self.buttons["check"].clicked.connect(lambda: self._open(AdmissionDialog))
        self.buttons["transfer"].clicked.connect(lambda: self._open(TransferDialog))
        self.buttons["delete"].clicked.connect(self.delete)
        self.body.anchorClicked.connect(self._on_link)
        self.show_project(None)

    def _on_link(self, url) -> None:
        text = url.toString()
        if text.startswith("investor:") and self.project_id:
            P.add_investor(self.ctx.store, self.project_id, text.split(":", 1)[1], "意向")

    def _open(self, cls) -> QWidget | None:
        if not self.project_id:
            return None
        dialog = cls(self.ctx, self.project_id, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.dialog = dialog
        return dialog

    def edit(self) -> QWidget | None:
        return self._open(ProjectDialog)

    def delete(self) -> None:
        if not self.project_id:
            return
        p = self.ctx.store.get("projects", self.project_id)
        answer = QMessageBox.question(
            self,
            "删除项目",
            f"确定删除项目“{p['name']}”（{p['code']}）？\n删除后可在“设置 › 回收站”恢复，或按 Ctrl+Z 撤销。",
        )
        if answer == QMessageBox.StandardButton.Yes:
            with self.ctx.action(f"删除项目“{p['name']}”"):
                P.delete_project(self.ctx.store, self.project_id)
            self.show_project(None)

    def show_project(self, project_id: str | None) -> None:
        self.project_id = project_id
        for button in self.buttons.values():
            button.setEnabled(bool(project_id))
        if not project_id or not self.ctx.store.get("projects", project_id):
            self.project_id = None
            self.title.setText("请选择一个项目")
            self.chart.set_data([])
            self.body.setHtml(
                "<p style='color:#666'>在左侧选择项目，或点击“新建项目”。"
                "也可以在“目录”页选中条目后点击“生成推介项目”。</p>"
            )
            for button in self.buttons.values():
                button.setEnabled(False)
            return
        p = P.get_project(self.ctx.store, project_id)
        stalled = " <span style='color:#b00020'>⚠ 疑似停滞</span>" if p["stalled"] else ""
        self.title.setText(f"{html.escape(p['code'])}　{html.escape(p['name'])}{stalled}")
        self.chart.set_data(p["funds_by_month"])
        self.body.setHtml(self.render(p))

    def render(self, p: dict[str, Any]) -> str:
        e = html.escape
        pre = p["precheck"]
        colour = RESULT_COLOURS.get(pre["summary"], "#000")
        facts = [
            ("阶段", f"{p['stage']}（{p['stage_on']}）"),
            ("所在地", p["location"]),
            (
                "总投资",
                f"{wan_to_yi_text(p['total_investment_wan'])} 亿元"
                if p["total_investment_wan"] is not None
                else "—",
            ),
            ("用地", f"{p['land_mu']} 亩" if p["land_mu"] else "—"),
            (
                "投资强度",
                f"{p['intensity_wan_per_mu']} 万元/亩" if p["intensity_wan_per_mu"] else "—",
            ),
            ("预期亩均税收", f"{p['tax_per_mu_wan']} 万元/亩" if p["tax_per_mu_wan"] else "—"),
            ("预计就业", str(p["expected_jobs"]) if p["expected_jobs"] is not None else "—"),
            ("类别", p["category"]),
            ("项目来源", p["source_name"] or "—"),
            ("重点招商方向", "、".join(p["direction_names"]) or "—"),
            ("招商方式", "、".join(p["way_names"]) or "—"),
            ("负责人 / 挂钩领导", f"{p['owner_officer'] or '—'} / {p['leader'] or '—'}"),
            ("省级重大项目库", "是" if p["is_provincial_major"] else "否"),
            (
                "最近动态",
                f"{p['last_activity_on']}（{p['idle_days']} 天前）"
                if p["last_activity_on"]
                else "—",
            ),
        ]
        parts = ["<table cellpadding=3>"]
        parts += [f"<tr><td style='color:#666'>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in facts]
        parts.append("</table>")
        if p["summary"]:
            parts.append(f"<p>{e(p['summary'])}</p>")
        if p["construction_content"]:
            parts.append(f"<p><b>建设内容：</b>{e(p['construction_content'])}</p>")
        items = "".join(
            f"<li>{e(i['industry'])} › {e(i['name'])}（{e(i['id'])}）</li>" for i in p["items"]
        )
        parts.append(f"<h3>产业链位置</h3><ul>{items or '<li>未选择目录条目</li>'}</ul>")
        parts.append(
            f"<h3>准入预审：<span style='color:{colour}'>{e(pre['summary'])}</span></h3><table cellpadding=3>"
        )
        for r in pre["rules"]:
            c = RESULT_COLOURS[r["result"]]
            extra = (
                (
                    f"<br><span style='color:#1e7b34'>已放行：{e(r['override']['reason'])}"
                    f"（{e(r['override']['decided_by'])}，{e(r['override']['decided_on'])}）</span>"
                )
                if r["override"]
                else ""
            )
            parts.append(
                f"<tr><td valign=top>{e(r['group'])} {e(r['label'])}</td>"
                f"<td valign=top style='color:{c}'><b>{e(r['result'])}</b></td>"
                f"<td>{e(r['reason'])}<br><span style='color:#888'>{e(r['rule_text'])}</span>{extra}</td></tr>"
            )
        parts.append("</table>")
        timeline = "".join(
            f"<li>{e(s['changed_on'])}　<b>{e(s['stage'])}</b>　{e(s['note'])}</li>"
            for s in p["stage_history"]
        )
        parts.append(f"<h3>阶段记录</h3><ol>{timeline}</ol>")
        t = p["funds_totals"]
        parts.append(
            f"<h3>到位资金</h3><p>合计 {t['total_wan']:,} 万元，其中省外 {t['outside_wan']:,} 万元，"
            f"省外产业类 {t['outside_industrial_wan']:,} 万元</p>"
        )
        if p["funds"]:
            parts.append(
                "<ul>"
                + "".join(
                    f"<li>{e(f['month'])}　{f['amount_wan']:,} 万元　{'省外' if f['outside_province'] else '省内'}"
                    f"{'·产业类' if f['industrial'] else ''}　{e(f['note'])}</li>"
                    for f in p["funds"]
                )
                + "</ul>"
            )
        investors = "".join(
            f"<li>{e(i['name'])}（{e(i['role'])}）{'　世界500强' if i['is_fortune500'] else ''}"
            f"{'　<span style=color:#b00020>失信</span>' if i['is_dishonest'] else ''}</li>"
            for i in p["investors"]
        )
        parts.append(f"<h3>投资方</h3><ul>{investors or '<li>尚未关联投资方</li>'}</ul>")
        visits = "".join(
            f"<li>{e(v['visited_at'].replace('T', ' '))}　{e(v['kind'])}　{e(v['city'])}　"
            f"{e(v['outcome'])}</li>"
            for v in p["visits"][:20]
        )
        parts.append(f"<h3>拜访记录（{len(p['visits'])}）</h3><ul>{visits or '<li>暂无</li>'}</ul>")
        if p["transfers"]:
            parts.append(
                "<h3>流转记录</h3><ul>"
                + "".join(
                    f"<li>{e(t['transferred_on'])}　{e(t['from_text'])} → {e(t['to_text'])}　理由：{e(t['reason'])}"
                    f"{'（' + e(t['decided_by']) + '）' if t['decided_by'] else ''}</li>"
                    for t in p["transfers"]
                )
                + "</ul>"
            )
        if p["overrides"]:
            parts.append(
                "<h3>放行记录</h3><ul>"
                + "".join(
                    f"<li>{e(o['rule'])}：{e(o['reason'])}（{e(o['decided_by'])}，{e(o['decided_on'])}）</li>"
                    for o in p["overrides"]
                )
                + "</ul>"
            )
        rec = recommend.recommend(self.ctx.store, p["id"], limit=10)
        lines = "".join(
            f"<li>{e(c['name'])}　<span style='color:#666'>{e('、'.join(c['reasons']))}</span>　"
            f"<a href='investor:{e(c['company_id'])}'>加为意向投资方</a></li>"
            for c in rec["companies"]
        )
        excluded = (
            f"<p style='color:#888'>已排除失信企业：{e('、'.join(x['name'] for x in rec['excluded_dishonest']))}</p>"
            if rec["excluded_dishonest"]
            else ""
        )
        parts.append(
            f"<h3>推荐客商（延链补链）</h3><ol>{lines or '<li>暂无：请为项目选择目录条目，并在客商资料中标注所属产业</li>'}</ol>{excluded}"
        )
        return "".join(parts)


class ProjectsPage(QWidget):
    project_selected = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        store = ctx.store
        self.search_box = QLineEdit()
        self.search_box.setObjectName("projectSearch")
        self.search_box.setPlaceholderText("搜索项目：名称、编号、投资方、拼音或首字母")
        self.search_box.setClearButtonEnabled(True)
        self.new_button = QPushButton("新建项目")
        self.new_button.setObjectName("newProject")
        self.thresholds_button = QPushButton("准入阈值…")
        self.thresholds_button.setObjectName("thresholdsButton")
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.setObjectName("exportProjects")
        self.status = QLabel()
        self.status.setObjectName("projectsStatus")
        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.status)
        top.addWidget(self.new_button)
        top.addWidget(self.thresholds_button)
        top.addWidget(self.export_button)

        self.stage = QComboBox()
        self.stage.setObjectName("filterStage")
        self.stage.addItem("全部阶段", "")
        for s in stages.STAGES:
            self.stage.addItem(s, s)
        self.prefecture = QComboBox()
        self.prefecture.setObjectName("filterPrefecture")
        self.prefecture.addItem("全部州市", "")
        for p in regions.prefectures():
            self.prefecture.addItem(p["name"], p["code"])
        self.park = QComboBox()
        self.park.setObjectName("filterPark")
        self._fill_parks()
        self.industry = QComboBox()
        self.industry.setObjectName("filterIndustry")
        self.industry.addItem("全部产业", "")
        for ind in catalogue.industries(store):
            self.industry.addItem(ind.name, ind.id)
        self.admission = QComboBox()
        self.admission.setObjectName("filterAdmission")
        self.admission.addItem("预审：全部", "")
        for a in ("不通过", "需人工确认", "通过"):
            self.admission.addItem(f"预审：{a}", a)
        self.big = QCheckBox("≥10亿")
        self.big.setObjectName("filterBig")
        self.fortune = QCheckBox("500强")
        self.fortune.setObjectName("filterFortune500")
        self.fortune.setToolTip("只看有世界500强投资方的项目")
        self.stalled = QCheckBox("疑似停滞")
        self.stalled.setObjectName("filterStalled")
        # two rows so every filter shows its whole text on a 1024-pixel screen
        filters = QVBoxLayout()
        combos, checks = QHBoxLayout(), QHBoxLayout()
        for w in (self.stage, self.prefecture, self.park, self.industry, self.admission):
            w.setMinimumWidth(56)  # full text from 1024 px up; may shrink on a narrower window
            combos.addWidget(w)
        for w in (self.big, self.fortune, self.stalled):
            checks.addWidget(w)
        combos.addStretch(1)
        checks.addStretch(1)
        filters.addLayout(combos)
        filters.addLayout(checks)

        self.model = ProjectListModel(store, self)
        self.table = QTableView()
        self.table.setObjectName("projectsTable")
        self.table.setMinimumWidth(200)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((110, 200, 110, 170, 90, 86, 88, 64)):
            self.table.setColumnWidth(column, width)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

        self.detail = ProjectDetail(ctx)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 560])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply_filter)
        self.search_box.textChanged.connect(lambda _t: self._timer.start())
        self.search_box.returnPressed.connect(self.apply_filter)
        self.prefecture.currentIndexChanged.connect(self._fill_parks)
        for combo in (self.stage, self.prefecture, self.park, self.industry, self.admission):
            combo.currentIndexChanged.connect(self.apply_filter)
        for box in (self.big, self.fortune, self.stalled):
            box.toggled.connect(self.apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.new_button.clicked.connect(lambda: self.new_project())
        self.thresholds_button.clicked.connect(self.edit_thresholds)
        self.export_button.clicked.connect(self.export)
        ctx.watch(self, TABLES, self._on_data_changed)
        self.apply_filter()

    # -- list --------------------------------------------------------------------------
    def current_filter(self) -> P.ProjectFilter:
        return P.ProjectFilter(
            query=self.search_box.text().strip(),
            stage=self.stage.currentData() or "",
            prefecture_code=self.prefecture.currentData() or "",
            park_id=self.park.currentData() or "",
            industry_id=self.industry.currentData() or "",
            admission=self.admission.currentData() or "",
            big_only=self.big.isChecked(),
            fortune500_only=self.fortune.isChecked(),
            stalled_only=self.stalled.isChecked(),
        )

    def _fill_parks(self) -> None:
        from zsapp.projects import parks

        self.park.blockSignals(True)
        self.park.clear()
        self.park.addItem("全部园区", "")
        for park in parks.list_parks(self.ctx.store, self.prefecture.currentData() or None):
            self.park.addItem(park["name"], park["id"])
        self.park.blockSignals(False)

    def apply_filter(self) -> None:
        self._timer.stop()
        keep = self.detail.project_id
        self.model.set_filter(self.current_filter())
        total = self.model.total
        self.status.setText(f"共 {total} 个项目" if total else "没有符合条件的项目")
        if keep:
            self.select(keep, show=False)

    def select(self, project_id: str, show: bool = True) -> bool:
        row = self.model.find(project_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        elif show:
            self.detail.show_project(project_id)
        return row >= 0

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            project_id = self.model.index(current.row(), 0).data(ID_ROLE)
            self.detail.show_project(project_id)
            self.project_selected.emit(project_id)

    def _on_data_changed(self, _changed: frozenset[str]) -> None:
        self.apply_filter()
        self.detail.show_project(self.detail.project_id)

    # -- actions -----------------------------------------------------------------------
    def new_project(self, initial: dict[str, Any] | None = None) -> ProjectDialog:
        dialog = ProjectDialog(
            self.ctx, None, self.window(), initial=initial or P.draft_defaults(self.ctx.store)
        )
        dialog.accepted.connect(lambda: dialog.saved_id and self._after_create(dialog.saved_id))
        dialog.open()
        self.dialog = dialog
        return dialog

    def new_from_item(self, item_id: str) -> ProjectDialog:
        """目录 › 生成推介项目: a draft prefilled from the catalogue item."""
        return self.new_project(P.draft_from_item(self.ctx.store, item_id))

    def new_for_company(self, company_id: str) -> ProjectDialog:
        """客商 › 新建项目: a draft with the company as the investor."""
        return self.new_project(P.draft_from_company(self.ctx.store, company_id))

    def _after_create(self, project_id: str) -> None:
        for combo in (self.stage, self.prefecture, self.park, self.industry, self.admission):
            combo.setCurrentIndex(0)
        for box in (self.big, self.fortune, self.stalled):
            box.setChecked(False)
        self.search_box.clear()
        self.apply_filter()
        self.select(project_id)

    def edit_thresholds(self) -> ThresholdsDialog:
        dialog = ThresholdsDialog(self.ctx, self.window())
        dialog.open()
        self.dialog = dialog
        return dialog

    def export(self) -> None:
        path = filedialogs.save_file(self, "导出项目", "招商项目.xlsx", "Excel 文件 (*.xlsx)")
        if not path:
            return
        from zsapp.projects.export import export_xlsx

        flt = self.current_filter()
        self.ctx.tasks.run(
            lambda: export_xlsx(self.ctx.store, path, flt),
            on_success=lambda n: self.status.setText(f"已导出 {n} 个项目到 {path}"),
        )


def open_pitch_from_catalogue(window: QWidget, item_id: str) -> ProjectDialog:
    """Used by the 目录 page: switch to 项目 and open a prefilled draft."""
    page: ProjectsPage = window.show_page("projects")  # type: ignore[attr-defined]
    return page.new_from_item(item_id)


def open_project_for_company(window: QWidget, company_id: str) -> ProjectDialog:
    """Used by the company page: switch to 项目 and open a draft with the investor set."""
    page: ProjectsPage = window.show_page("projects")  # type: ignore[attr-defined]
    return page.new_for_company(company_id)
