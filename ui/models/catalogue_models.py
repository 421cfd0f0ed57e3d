"""Qt models for the catalogue: the industry tree and the search results."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from zsapp import catalogue

ID_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class CatalogueTreeModel(QAbstractItemModel):
    """Two levels: industries, then their items. The catalogue is ~55 nodes."""

    def __init__(self, industries: list[catalogue.Industry], parent=None) -> None:
        super().__init__(parent)
        self._industries = industries

    def reload(self, industries: list[catalogue.Industry]) -> None:
        self.beginResetModel()
        self._industries = industries
        self.endResetModel()

    # Internal id: 0 for an industry; 1 + the industry's row for one of its items.
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._industries)
        if parent.internalId() == 0:
            return len(self._industries[parent.row()].items)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node(index)
        if role == Qt.ItemDataRole.DisplayRole:
            if isinstance(node, catalogue.Industry):
                return f"（{node.no}）{node.name}"
            return f"{node.no}. {node.name}"
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(node, catalogue.Item):
            return node.text
        if role == ID_ROLE:
            return node.id
        return None

    def node(self, index: Index) -> catalogue.Industry | catalogue.Item:
        if index.internalId() == 0:
            return self._industries[index.row()]
        return self._industries[index.internalId() - 1].items[index.row()]

    def index_of(self, node_id: str) -> QModelIndex:
        for r, industry in enumerate(self._industries):
            if industry.id == node_id:
                return self.index(r, 0)
            for c, item in enumerate(industry.items):
                if item.id == node_id:
                    return self.index(c, 0, self.index(r, 0))
        return QModelIndex()


class SearchResultsModel(QAbstractTableModel):
    HEADERS = ("名称", "所属路径", "匹配")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.hits: list[catalogue.CatalogueHit] = []

    def set_hits(self, hits: list[catalogue.CatalogueHit]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return hit.path[-1]
            if index.column() == 1:
                return catalogue.PATH_SEPARATOR.join(hit.path[:-1]) or "产业"
            return hit.matched
        if role == Qt.ItemDataRole.ToolTipRole:
            return catalogue.PATH_SEPARATOR.join(hit.path)
        if role == ID_ROLE:
            return hit.item_id or hit.industry_id
        return None
