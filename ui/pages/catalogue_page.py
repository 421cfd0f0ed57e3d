"""目录: the 招商引资指导目录 — industry tree, live search, item detail with the rules."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.models.catalogue_models import ID_ROLE, CatalogueTreeModel, SearchResultsModel
from zsapp import catalogue

SEARCH_DELAY_MS = 60  # debounce keystrokes; a query itself takes ~1 ms


class CataloguePage(QWidget):
    item_selected = Signal(str)  # item or industry id shown in the detail pane

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current_id: str | None = None

        self.search_box = QLineEdit()
        self.search_box.setObjectName("catalogueSearch")
        self.search_box.setPlaceholderText(
            "搜索指导目录：汉字、全拼或首字母（如 kafei / kf → 咖啡）、TOPCon、BGA…"
        )
        self.search_box.setClearButtonEnabled(True)
        self.status = QLabel()
        self.status.setObjectName("catalogueStatus")

        self.tree_model = CatalogueTreeModel(catalogue.industries(ctx.store), self)
        self.tree = QTreeView()
        self.tree.setObjectName("catalogueTree")
        self.tree.setHeaderHidden(True)
        self.tree.setModel(self.tree_model)
        self.tree.expandAll()

        self.results_model = SearchResultsModel(self)
        self.results = QTableView()
        self.results.setObjectName("catalogueResults")
        self.results.setModel(self.results_model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().hide()
        self.results.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.results.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )

        self.left = QStackedWidget()
        self.left.addWidget(self.tree)
        self.left.addWidget(self.results)

        self.detail = QTextBrowser()
        self.detail.setObjectName("catalogueDetail")
        self.detail.setOpenExternalLinks(False)

        splitter = QSplitter()
        splitter.addWidget(self.left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        # 招商项目: a draft pitch prefilled from the selected item (ui/pages/projects_page.py).
        self.pitch_button = QPushButton("生成推介项目")
        self.pitch_button.setObjectName("pitchButton")
        self.pitch_button.setEnabled(False)
        self.pitch_button.clicked.connect(self.create_pitch)
        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.pitch_button)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.search_box.textChanged.connect(lambda _text: self._timer.start())
        self.search_box.returnPressed.connect(self.run_search)
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current)
        self.results.selectionModel().currentChanged.connect(self._on_result_current)
        ctx.watch(self, {"catalogue_versions"}, self._on_data_changed)
        self._show_overview()

    # -- search ------------------------------------------------------------------------
    def run_search(self) -> None:
        self._timer.stop()
        query = self.search_box.text().strip()
        if not query:
            self.left.setCurrentWidget(self.tree)
            self.status.setText("")
            return
        hits = catalogue.search_catalogue(self.ctx.store, query, limit=100)
        self.results_model.set_hits(hits)
        self.left.setCurrentWidget(self.results)
        self.status.setText(
            f"找到 {len(hits)} 条结果" if hits else f"没有找到与“{query}”相关的条目"
        )
        if hits:
            self.results.selectRow(0)

    def _on_result_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            hit = self.results_model.hits[current.row()]
            self.show_node(hit.item_id or hit.industry_id, highlight=hit.term or hit.matched)

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.show_node(current.data(ID_ROLE))

    def _on_data_changed(self, _changed: frozenset[str]) -> None:
        self.tree_model.reload(catalogue.industries(self.ctx.store))
        self.tree.expandAll()

    # -- detail ------------------------------------------------------------------------
    def create_pitch(self):
        from ui.pages.projects_page import open_pitch_from_catalogue

        if self.current_id and "-" in self.current_id:
            return open_pitch_from_catalogue(self.window(), self.current_id)
        return None

    def show_node(self, node_id: str, highlight: str | None = None) -> None:
        self.current_id = node_id
        self.pitch_button.setEnabled("-" in node_id)
        if "-" in node_id:
            self.detail.setHtml(
                self._item_html(catalogue.get_item(self.ctx.store, node_id), highlight)
            )
        else:
            self.detail.setHtml(
                self._industry_html(catalogue.get_industry(self.ctx.store, node_id))
            )
        self.item_selected.emit(node_id)

    def _rules_html(self) -> str:
        rules = catalogue.admission_rules(self.ctx.store)
        conditions = catalogue.general_conditions(self.ctx.store)
        parts = ["<h3>准入管理（适用于所有项目）</h3><ol>"]
        parts += [f"<li>{html.escape(r['text'])}</li>" for r in rules]
        parts.append("</ol><h3>不招 / 慎招</h3><ul>")
        for c in conditions:
            colour = "#b00020" if c["verdict"] == "不招" else "#a15c00"
            parts.append(
                f"<li><b style='color:{colour}'>{c['verdict']}</b>：{html.escape(c['text'])}</li>"
            )
        parts.append("</ul>")
        return "".join(parts)

    def _item_html(self, item: catalogue.Item, highlight: str | None) -> str:
        terms = []
        for term in item.terms:
            text = html.escape(term)
            if highlight and (highlight == term or highlight in term):
                text = f"<span style='background:#ffe58f'>{text}</span>"
            terms.append(f"<li>{text}</li>")
        note = f"<p><i>注：{html.escape(item.note)}</i></p>" if item.note else ""
        english = (
            f"<p style='color:#666'>{html.escape(item.industry_en)} › {html.escape(item.name_en)}</p>"
            if item.name_en
            else ""
        )
        return (
            f"<p style='color:#666'>{html.escape(item.industry)} › 第 {item.no} 条</p>"
            f"<h2>{html.escape(item.name)}</h2>{english}"
            f"<p>{html.escape(item.text)}</p>{note}"
            f"<h3>产品与业态（{len(item.terms)}）</h3><ul>{''.join(terms)}</ul>"
            + self._rules_html()
        )

    def _industry_html(self, industry: catalogue.Industry) -> str:
        items = "".join(f"<li>{it.no}. {html.escape(it.name)}</li>" for it in industry.items)
        return (
            f"<h2>（{industry.no}）{html.escape(industry.name)}</h2>"
            f"<p style='color:#666'>{html.escape(industry.name_en)}</p>"
            f"<h3>条目（{len(industry.items)}）</h3><ol>{items}</ol>" + self._rules_html()
        )

    def _show_overview(self) -> None:
        doc = catalogue.document(self.ctx.store)
        directions = "".join(
            f"<li>{html.escape(d['name'])}</li>" for d in doc.get("focus_directions", [])
        )
        targets = "".join(
            f"<li>{html.escape(t)}</li>" for t in doc.get("targets", {}).get("texts", [])
        )
        count = sum(len(i["items"]) for i in doc["industries"])
        self.detail.setHtml(
            f"<h2>{html.escape(doc.get('source_title', '招商引资指导目录'))}</h2>"
            f"<p style='color:#666'>版本 {html.escape(doc['version'])} · {len(doc['industries'])} 个重点产业 · {count} 个条目</p>"
            f"<h3>总体目标</h3><ul>{targets}</ul><h3>重点招商方向</h3><ol>{directions}</ol>"
            + self._rules_html()
        )
