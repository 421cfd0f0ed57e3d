"""Qt models for 客商与拜访: table models over SQL queries that fetch lazily in pages
(canFetchMore/fetchMore with LIMIT/OFFSET); sorting and filtering happen in SQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from zsapp.contacts import companies, people, visits
from zsapp.contacts.validation import display_phone

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
SEARCH_PAGE_SIZE = 50  # with a search query, rank only what fills the view first


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: str | None = None  # SQL sort key or None (not sortable)
    fmt: Callable[[dict[str, Any]], Any] | None = None
    align_right: bool = False


class LazySqlModel(QAbstractTableModel):
    """Rows come from ``fetch(sort, descending, limit, offset)``; PAGE_SIZE at a time."""

    COLUMNS: list[Column] = []

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self._exhausted = False
        self.sort_key = ""
        self.descending = False

    # subclasses
    def fetch(self, limit: int, offset: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = []
        self._exhausted = False
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def page_size(self) -> int:
        return PAGE_SIZE

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or self._exhausted:
            return
        size = self.page_size()
        page = self.fetch(size, len(self.rows))
        if len(page) < size:
            self._exhausted = True
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = column.fmt(row) if column.fmt else row.get(column.key)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ID_ROLE:
            return row.get("id")
        if role == ROW_ROLE:
            return row
        return self.extra_data(row, column, role)

    def extra_data(self, row: dict[str, Any], column: Column, role: int) -> Any:
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.COLUMNS[column].sort if 0 <= column < len(self.COLUMNS) else None
        if key is None:
            return
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def row_of(self, row_id: str) -> int:
        for n, row in enumerate(self.rows):
            if row["id"] == row_id:
                return n
        return -1


def _flags(row: dict[str, Any]) -> str:
    marks = [
        ("is_fortune500", "世界500强"),
        ("is_china500", "中国500强"),
        ("is_specialized_giant", "小巨人"),
        ("is_single_champion", "单项冠军"),
        ("is_listed", "上市"),
    ]
    return "、".join(label for key, label in marks if row.get(key))


def _origin(row: dict[str, Any]) -> str:
    if row.get("region_tag") == "境外":
        return row.get("country") or "境外"
    return " ".join(x for x in (row.get("origin_province"), row.get("origin_city")) if x)


class CompanyListModel(LazySqlModel):
    COLUMNS = [
        Column("name", "企业名称", "name"),
        Column("region_tag", "区域", "region_tag"),
        Column("origin", "来源地", "origin_province", _origin),
        Column("ownership", "所有制", "ownership"),
        Column("flags", "标记", None, _flags),
        Column(
            "revenue_wan",
            "营收（万元）",
            "revenue_wan",
            lambda r: f"{r['revenue_wan']:,}" if r.get("revenue_wan") is not None else "",
            True,
        ),
        Column("employees", "员工", "employees", None, True),
        Column("tags", "标签", None, lambda r: "、".join(json.loads(r.get("tags") or "[]"))),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = companies.CompanyFilter()
        self.sort_key = "name"

    def set_filter(self, flt: companies.CompanyFilter) -> None:
        self.filter = flt
        self.reload()

    def page_size(self) -> int:
        return SEARCH_PAGE_SIZE if self.filter.query.strip() else PAGE_SIZE

    def fetch(self, limit: int, offset: int) -> list[dict[str, Any]]:
        # With a search query and no explicit sort the best matches come first.
        sort = self.sort_key if (self.sort_key != "name" or not self.filter.query.strip()) else ""
        after = self.rows[-1] if offset and self.rows else None
        return companies.list_companies(
            self.store,
            self.filter,
            sort=sort,
            descending=self.descending,
            limit=limit,
            offset=offset,
            after=after,
        )

    def total(self, limit: int = 2000) -> int:
        return companies.count_companies(self.store, self.filter, search_limit=limit)

    def extra_data(self, row, column, role):
        if role == Qt.ItemDataRole.ForegroundRole and row.get("is_dishonest"):
            return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.ToolTipRole and row.get("is_dishonest"):
            return "已列入失信惩戒措施基础清单"
        return None


class PeopleModel(LazySqlModel):
    COLUMNS = [
        Column("name", "姓名", "name"),
        Column("title", "职务", "title"),
        Column("company_name", "企业", "company_name"),
        Column("mobile", "手机", "mobile", lambda r: display_phone(r.get("mobile") or "")),
        Column("email", "邮箱", None),
        Column("wechat", "微信", None),
    ]

    def __init__(self, store, company_id: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.company_id = company_id
        self.query = ""
        self.sort_key = "name"

    def set_query(self, query: str, company_id: str | None = None) -> None:
        self.query, self.company_id = query, company_id
        self.reload()

    def fetch(self, limit: int, offset: int) -> list[dict[str, Any]]:
        sort = "" if self.query.strip() and self.sort_key == "name" else self.sort_key
        return people.list_people(
            self.store,
            self.query,
            company_id=self.company_id,
            sort=sort,
            descending=self.descending,
            limit=limit,
            offset=offset,
        )


class VisitListModel(LazySqlModel):
    COLUMNS = [
        Column(
            "visited_at",
            "时间",
            "visited_at",
            lambda r: (r.get("visited_at") or "").replace("T", " "),
        ),
        Column("kind", "方式", None),
        Column("companies", "企业", None),
        Column("people", "对方人员", None),
        Column("city", "城市", None),
        Column("outcome", "意向", None),
        Column("notes", "纪要", None, lambda r: (r.get("notes") or "").replace("\n", " ")[:60]),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.query = ""
        self.since = ""
        self.until = ""
        self.sort_key = "visited_at"
        self.descending = True

    def set_filter(self, query: str = "", since: str = "", until: str = "") -> None:
        self.query, self.since, self.until = query, since, until
        self.reload()

    def page_size(self) -> int:
        return SEARCH_PAGE_SIZE if self.query.strip() else PAGE_SIZE

    def fetch(self, limit: int, offset: int) -> list[dict[str, Any]]:
        return visits.list_visits(
            self.store,
            self.query,
            since=self.since,
            until=self.until,
            limit=limit,
            offset=offset,
            descending=self.descending,
        )


class FollowupModel(QAbstractTableModel):
    """Open follow-ups due within N days (a short list: never the whole table)."""

    HEADERS = ("", "截止日期", "跟进事项", "企业", "拜访时间")

    def __init__(self, store, due_within: int = 7, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.due_within = due_within
        self.rows: list[dict[str, Any]] = []

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = visits.list_followups(self.store, due_within=self.due_within, limit=500)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index):
        base = super().flags(index)
        if index.column() == 0:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            return Qt.CheckState.Checked if row["done"] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 1:
                state = "（已逾期）" if row["overdue"] else "（今天）" if row["due_today"] else ""
                return f"{row['due_date']}{state}"
            if col == 2:
                return row["text"]
            if col == 3:
                return row.get("companies") or ""
            if col == 4:
                return (row.get("visited_at") or "").replace("T", " ")
        if role == Qt.ItemDataRole.ForegroundRole and row["overdue"]:
            return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.BackgroundRole and row["overdue"]:
            return QBrush(QColor("#fdecee"))
        if role == Qt.ItemDataRole.BackgroundRole and row["due_today"]:
            return QBrush(QColor("#fff7e0"))
        if role == ID_ROLE:
            return row["id"]
        if role == ROW_ROLE:
            return row
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        done = (
            Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        )
        visits.set_followup_done(self.store, self.rows[index.row()]["id"], done)
        self.rows[index.row()]["done"] = int(done)
        self.dataChanged.emit(index, index.siblingAtColumn(len(self.HEADERS) - 1))
        return True
