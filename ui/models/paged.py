"""The one table model every list uses: rows come page by page from a core function.

- ``count()`` gives the exact number of rows, so the scroll bar spans the whole list and
  the status line can say how many there are;
- ``fetch(offset, limit, after)`` returns one page of dicts (``after`` is the last row of
  the page before when it is loaded, for keyset paging; sources may ignore it);
- only the pages near what is on screen are kept (``max_pages``), so scrolling a million
  rows to the end holds a few hundred rows in memory, not a million;
- optional check boxes in the first column keep the checked ids in checking order.

Subclasses only declare ``COLUMNS`` and how to fetch and count (a filter lives there).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
MAX_PAGES = 6

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: str | None = None  # sort key understood by the source, None: not sortable
    fmt: Callable[[Row], Any] | None = None
    align_right: bool = False
    colour: Callable[[Row], str | None] | None = None  # text colour (#rrggbb) or None
    background: Callable[[Row], str | None] | None = None
    tooltip: Callable[[Row], str | None] | None = None


class _Rows(Sequence[Row]):
    """``model.rows``: the whole list as a sequence; pages are fetched on access."""

    def __init__(self, model: PagedModel) -> None:
        self.model = model

    def __len__(self) -> int:
        return self.model.total

    def __getitem__(self, n):  # type: ignore[override]
        if isinstance(n, slice):
            return [self.model.row(i) for i in range(*n.indices(len(self)))]
        if n < 0:
            n += len(self)
        if not 0 <= n < len(self):
            raise IndexError(n)
        return self.model.row(n)

    def __iter__(self) -> Iterator[Row]:
        for n in range(len(self)):
            yield self.model.row(n)


class PagedModel(QAbstractTableModel):
    COLUMNS: list[Column] = []
    checked_changed = Signal()

    def __init__(
        self,
        parent=None,
        *,
        fetch: Callable[[int, int, Row | None], list[Row]] | None = None,
        count: Callable[[], int] | None = None,
        columns: list[Column] | None = None,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        checkable: bool = False,
    ) -> None:
        super().__init__(parent)
        self._fetch_fn, self._count_fn = fetch, count
        if columns is not None:
            self.COLUMNS = columns
        self.page_size, self.max_pages, self.checkable = page_size, max_pages, checkable
        self.total = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.sort_key = ""
        self.descending = False
        self.checked: list[str] = []  # checking order
        self.fetches = 0  # pages fetched since the last reload (tests, bench)

    # -- source (override or pass fetch/count) ----------------------------------------
    def fetch(self, offset: int, limit: int, after: Row | None) -> list[Row]:
        assert self._fetch_fn is not None, "PagedModel needs fetch"
        return self._fetch_fn(offset, limit, after)

    def count(self) -> int:
        assert self._count_fn is not None, "PagedModel needs count"
        return self._count_fn()

    # -- loading ----------------------------------------------------------------------
    def reload(self) -> None:
        """Count again and drop every page; the first page is fetched at once."""
        self.beginResetModel()
        self._pages.clear()
        self.fetches = 0
        self.total = self.count()
        if self.total:
            self._load(0)
        self.endResetModel()

    def _load(self, page: int) -> list[Row]:
        rows = self._pages.get(page)
        if rows is not None:
            self._pages.move_to_end(page)
            return rows
        before = self._pages.get(page - 1)
        rows = self.fetch(page * self.page_size, self.page_size, before[-1] if before else None)
        self.fetches += 1
        self._pages[page] = rows
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        return rows

    def row(self, n: int) -> Row:
        rows = self._load(n // self.page_size)
        k = n % self.page_size
        return rows[k] if k < len(rows) else {}

    @property
    def rows(self) -> _Rows:
        return _Rows(self)

    def loaded_rows(self) -> int:
        return sum(len(p) for p in self._pages.values())

    def row_of(self, row_id: str) -> int:
        """The row showing ``row_id`` among the loaded pages, else -1."""
        for page, rows in self._pages.items():
            for k, r in enumerate(rows):
                if r.get("id") == row_id:
                    return page * self.page_size + k
        return -1

    def find(self, row_id: str, max_rows: int = 5000) -> int:
        """The row of ``row_id``, loading pages from the top if needed (short lists)."""
        n = self.row_of(row_id)
        page = 0
        while n < 0 and page * self.page_size < min(self.total, max_rows):
            rows = self._load(page)
            n = next(
                (page * self.page_size + k for k, r in enumerate(rows) if r.get("id") == row_id),
                -1,
            )
            page += 1
        return n

    # -- Qt model API ------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section].title
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if self.checkable and index.column() == 0:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.total:
            return None
        row = self.row(index.row())
        if not row:
            return None
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.fmt(row) if column.fmt else row.get(column.key)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.tooltip and (tip := column.tooltip(row)):
                return tip
            value = column.fmt(row) if column.fmt else row.get(column.key)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.colour:
            colour = column.colour(row)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.BackgroundRole and column.background:
            colour = column.background(row)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.CheckStateRole and self.checkable and index.column() == 0:
            return Qt.CheckState.Checked if self.is_checked(row) else Qt.CheckState.Unchecked
        if role == ID_ROLE:
            return row.get("id")
        if role == ROW_ROLE:
            return row
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.COLUMNS[column].sort if 0 <= column < len(self.COLUMNS) else None
        if key is None:
            return
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # -- check boxes -------------------------------------------------------------------
    def is_checked(self, row: Row) -> bool:
        return row.get("id") in self.checked

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not self.checkable or index.column() != 0:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        return self.on_checked(self.row(index.row()), on)

    def on_checked(self, row: Row, on: bool) -> bool:
        """A check box was clicked; by default it selects (see ``checked``)."""
        self.set_checked_one(row["id"], on)
        return True

    def set_checked_one(self, row_id: str, on: bool) -> None:
        if on and row_id not in self.checked:
            self.checked.append(row_id)
        elif not on and row_id in self.checked:
            self.checked.remove(row_id)
        else:
            return
        self._changed_rows()

    def set_checked(self, ids: list[str]) -> None:
        self.checked = list(dict.fromkeys(ids))
        self._changed_rows()

    def _changed_rows(self) -> None:
        if self.total:
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.total - 1, 0), [Qt.ItemDataRole.CheckStateRole]
            )
        self.checked_changed.emit()
