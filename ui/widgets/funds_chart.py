"""A small bar chart of 到位资金 by month (万元): total bars with the 省外产业类 part
highlighted, and an optional monthly-target line. Painted with QPainter (no Qt Charts)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

TOTAL_COLOUR = QColor("#9bb7d9")
OUTSIDE_COLOUR = QColor("#2f6db5")
TARGET_COLOUR = QColor("#d9822b")


class FundsChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.months: list[dict] = []
        self.target_per_month: int | None = None
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(480, 180)

    def set_data(self, months: list[dict], target_per_month: int | None = None) -> None:
        """``months``: [{"month": "2026-01", "total_wan": int, "outside_industrial_wan": int}];
        gaps between the first and last month are shown as empty months (at most 36)."""
        self.months = fill_months(months)
        self.target_per_month = target_per_month
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(44, 10, -8, -34)
        painter.fillRect(self.rect(), QColor("white"))
        if not self.months:
            painter.setPen(QColor("#888"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "暂无到位资金记录")
            return
        peak = max([m["total_wan"] for m in self.months] + [self.target_per_month or 0, 1])
        painter.setPen(QPen(QColor("#ccc")))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.setPen(QColor("#666"))
        painter.drawText(
            QRectF(0, rect.top() - 6, 40, 14), Qt.AlignmentFlag.AlignRight, f"{peak:,}"
        )
        painter.drawText(QRectF(0, rect.bottom() - 7, 40, 14), Qt.AlignmentFlag.AlignRight, "0")
        step = rect.width() / len(self.months)
        bar = min(36.0, max(4.0, step * 0.6))
        for i, month in enumerate(self.months):
            x = rect.left() + i * step + (step - bar) / 2
            for value, colour in (
                (month["total_wan"], TOTAL_COLOUR),
                (month["outside_industrial_wan"], OUTSIDE_COLOUR),
            ):
                h = rect.height() * value / peak
                painter.fillRect(QRectF(x, rect.bottom() - h, bar, h), colour)
            painter.setPen(QColor("#444"))
            label = month["month"][5:] if len(self.months) <= 12 else month["month"][2:]
            painter.drawText(
                QRectF(rect.left() + i * step, rect.bottom() + 2, step, 14),
                Qt.AlignmentFlag.AlignCenter,
                label,
            )
        if self.target_per_month:
            y = rect.bottom() - rect.height() * self.target_per_month / peak
            painter.setPen(QPen(TARGET_COLOUR, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(int(rect.left()), int(y), int(rect.right()), int(y))
        legend_y = self.height() - 14
        x = rect.left()
        for colour, text in (
            (TOTAL_COLOUR, "到位资金合计"),
            (OUTSIDE_COLOUR, "其中省外产业类"),
            *(((TARGET_COLOUR, "月均目标"),) if self.target_per_month else ()),
        ):
            painter.fillRect(QRectF(x, legend_y + 2, 10, 10), colour)
            painter.setPen(QColor("#444"))
            painter.drawText(QRectF(x + 14, legend_y, 120, 14), Qt.AlignmentFlag.AlignLeft, text)
            x += 130
        painter.end()


def fill_months(months: list[dict], limit: int = 36) -> list[dict]:
    """Consecutive months from the first to the last given (the latest ``limit`` of them)."""
    if not months:
        return []
    known = {m["month"]: m for m in months}
    first, last = min(known), max(known)
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while True:
        key = f"{y}-{m:02d}"
        out.append(known.get(key, {"month": key, "total_wan": 0, "outside_industrial_wan": 0}))
        if key >= last:
            return out[-limit:]
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
