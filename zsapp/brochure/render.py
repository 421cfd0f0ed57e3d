"""PDF brochure (推介册) and single-project page (单项目推介页) renderer.

Pure core: reportlab platypus, driven by the dataclasses in ``model``.  All
text goes through :class:`TextBlock`, a flowable that breaks lines with
``linebreak`` (避头尾, Latin words kept whole) and draws each character with
the primary font or a fallback font (see ``fonts``); characters no font has
are shown as a visible ``[U+XXXX]`` marker and reported in
``RenderResult.missing_glyphs``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import io
import os
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import qr as qrmod
from .fonts import GlyphResolver, codepoint_label, font_path, missing_glyphs
from .linebreak import break_paragraph
from .model import (
    BrochureError,
    BrochureSpec,
    CatalogueContext,
    OfficerContact,
    ProjectSheet,
    RenderResult,
)

Progress = Callable[[int, int], None]

PAGE_W, PAGE_H = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 26 * mm
MARGIN_BOTTOM = 22 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X

NAVY = colors.HexColor("#0E3A66")
BLUE = colors.HexColor("#1F5C99")
ACCENT = colors.HexColor("#C8922A")
INK = colors.HexColor("#222A33")
GREY = colors.HexColor("#5F6B78")
LIGHT = colors.HexColor("#EEF3F8")
RULE = colors.HexColor("#C9D5E3")
WHITE = colors.white

MAX_COVER_PX = 1800


# --------------------------------------------------------------------------- text


@dataclasses.dataclass(frozen=True)
class TextStyle:
    size: float = 10.5
    leading: float = 17.0
    color: colors.Color = INK
    align: str = "justify"  # left | justify | center | right
    bold: bool = False
    space_before: float = 0.0
    space_after: float = 0.0
    indent_first: bool = False  # two ideographic spaces at each paragraph start


BODY = TextStyle(space_after=4)
BODY_EN = TextStyle(size=9, leading=13.5, color=GREY, align="left", space_after=4)
CELL = TextStyle(size=9.5, leading=14, align="left")
CELL_LABEL = TextStyle(size=9.5, leading=14, color=NAVY, align="left")
CELL_HEAD = TextStyle(size=9.5, leading=14, color=WHITE, align="left", bold=True)
H1 = TextStyle(size=19, leading=26, color=NAVY, align="left", bold=True, space_after=2)
H1_EN = TextStyle(size=10.5, leading=15, color=GREY, align="left", space_after=6)
H2 = TextStyle(
    size=12.5, leading=18, color=NAVY, align="left", bold=True, space_before=10, space_after=4
)


class _Ctx:
    """State shared by the flowables and page callbacks of one render."""

    def __init__(
        self,
        title: str,
        header_left: str,
        use_fallback: bool,
        progress: Progress | None,
        steps: int,
    ):
        self.res = GlyphResolver(use_fallback)
        self.title = title
        self.header_left = header_left
        self.page_map: dict[str, int] = {}
        self.prev_page_map: dict[str, int] = {}
        self.total: int | None = None
        self.prev_total: int | None = None
        self.progress = progress
        self.steps = max(2, steps)
        self.done = 0
        self.cover = None  # callable(canvas) drawing the cover page

    def tick(self) -> None:
        if self.progress is None:
            return
        self.done = min(self.done + 1, self.steps - 1)
        self.progress(self.done, self.steps)

    def prep(self, text: str | None) -> str:
        if not text:
            return ""
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        text = "".join(c for c in text if c == "\n" or (c >= " " and c != "\x7f"))
        return self.res.substitute(text)

    def measure(self, text: str, size: float) -> float:
        return self.res.width(text, size)

    def draw_line(
        self, canv, x: float, y: float, text: str, size: float, color, *, bold=False, char_space=0.0
    ) -> float:
        """Draw one already-substituted line; return its advance width."""
        canv.setFillColor(color)
        if bold:
            canv.setStrokeColor(color)
            canv.setLineWidth(size * 0.032)
        x0 = x
        for font, run in self.res.runs(text):
            canv.setFont(font, size)
            if bold:
                canv.drawString(x, y, run, mode=2, charSpace=char_space)
            elif char_space:
                canv.drawString(x, y, run, charSpace=char_space)
            else:
                canv.drawString(x, y, run)
            x += self.res.width(run, size) + char_space * len(run)
        return x - x0

    def lines(self, text: str, size: float, width: float) -> list[str]:
        def m(s: str) -> float:
            return self.res.width(s, size)

        out: list[str] = []
        for par in text.split("\n"):
            out.extend(break_paragraph(par, m, width))
        return out

    def fit_one_line(self, text: str, size: float, width: float) -> str:
        """``text`` cut with an ellipsis to fit ``width``."""
        if self.measure(text, size) <= width:
            return text
        while text and self.measure(text + "…", size) > width:
            text = text[:-1]
        return text + "…"


class TextBlock(Flowable):
    """A paragraph block typeset with the project's own line breaker."""

    def __init__(
        self,
        ctx: _Ctx,
        text: str,
        style: TextStyle = BODY,
        *,
        prepped: bool = False,
        lines: list[tuple[str, bool]] | None = None,
        keep_with_next: bool = False,
    ):
        super().__init__()
        self.ctx = ctx
        self.st = style
        raw = text if prepped else ctx.prep(text)
        if style.indent_first and raw:
            raw = "\n".join(
                ("\u3000\u3000" + p.strip()) if p.strip() else "" for p in raw.split("\n")
            )
        self.text = raw
        self._lines = lines
        self._lines_w: float | None = None if lines is None else -1.0
        self.spaceBefore = style.space_before
        self.spaceAfter = style.space_after
        self.keepWithNext = keep_with_next

    def _break(self, width: float) -> list[tuple[str, bool]]:
        if self._lines is not None and (self._lines_w == width or self._lines_w == -1.0):
            return self._lines
        out: list[tuple[str, bool]] = []
        size = self.st.size
        for par in self.text.split("\n"):
            ls = break_paragraph(par, lambda s: self.ctx.res.width(s, size), width)
            out.extend((ln, i == len(ls) - 1) for i, ln in enumerate(ls))
        self._lines, self._lines_w = out, width
        return out

    def wrap(self, availWidth, availHeight):
        lines = self._break(availWidth) if self.text or self._lines else []
        self.width = availWidth
        self.height = len(lines) * self.st.leading
        return availWidth, self.height

    def split(self, availWidth, availHeight):
        lines = self._break(availWidth)
        n = len(lines)
        k = int((availHeight + 1e-6) // self.st.leading)
        if n < 4 or k < 2:
            return []  # keep short blocks whole; never leave an orphan line
        k = min(k, n - 2)  # no widow line either
        if k < 2:
            return []
        st1 = dataclasses.replace(self.st, space_after=0)
        st2 = dataclasses.replace(self.st, space_before=0, indent_first=False)
        a = TextBlock(self.ctx, "", st1, prepped=True, lines=lines[:k])
        b = TextBlock(self.ctx, "", st2, prepped=True, lines=lines[k:])
        for part in (a, b):
            part._lines_w = availWidth
        return [a, b]

    def draw(self):
        st = self.st
        canv = self.canv
        lines = self._lines or []
        size, lead = st.size, st.leading
        for i, (line, last) in enumerate(lines):
            if not line:
                continue
            base = self.height - i * lead - (lead - size) / 2 - 0.86 * size
            w = self.ctx.measure(line, size)
            x, cs = 0.0, 0.0
            if st.align == "justify" and not last and len(line) > 1:
                slack = self.width - w
                per = slack / (len(line) - 1)
                if 0 < per <= 0.3 * size:
                    cs = per
            elif st.align == "center":
                x = (self.width - w) / 2
            elif st.align == "right":
                x = self.width - w
            self.ctx.draw_line(canv, x, base, line, size, st.color, bold=st.bold, char_space=cs)


class Heading(TextBlock):
    """Section heading: registers a TOC key / PDF outline entry, never left alone at a page bottom."""

    def __init__(
        self,
        ctx: _Ctx,
        text: str,
        style: TextStyle,
        toc_key: str | None = None,
        toc_title: str | None = None,
        bar: bool = False,
        progress_tick: bool = False,
    ):
        super().__init__(ctx, text, style, keep_with_next=True)
        self.toc_key = toc_key
        self.toc_title = toc_title or text
        self.bar = bar
        self.progress_tick = progress_tick

    def split(self, availWidth, availHeight):
        return []

    def draw(self):
        if self.bar:
            c = self.canv
            c.setFillColor(ACCENT)
            c.rect(
                -9, self.height - self.st.leading + 3, 3.2, self.st.leading - 6, stroke=0, fill=1
            )
        super().draw()


class Rule(Flowable):
    def __init__(self, color=RULE, thickness=0.8, space=4):
        super().__init__()
        self.color, self.thickness = color, thickness
        self.spaceBefore = self.spaceAfter = space

    def wrap(self, aw, ah):
        self.width = aw
        return aw, self.thickness

    def draw(self):
        self.canv.setStrokeColor(self.color)
        self.canv.setLineWidth(self.thickness)
        self.canv.line(0, 0, self.width, 0)


class QRFlowable(Flowable):
    """Vector QR code; edge ≥ ``min_mm`` and every module ≥ 0.4 mm."""

    def __init__(self, data: str, min_mm: float):
        super().__init__()
        try:
            self.matrix = qrmod.qr_matrix(data)
        except Exception as exc:
            raise BrochureError(f"二维码内容过长或无法编码（{len(data)} 个字符）：{exc}") from exc
        self.data = data
        n = len(self.matrix)
        self.size = qrmod.qr_print_size_mm(n, min_mm) * mm
        self.module = self.size / n
        self.hAlign = "CENTER"

    def wrap(self, aw, ah):
        self.width = self.height = self.size
        return self.size, self.size

    def draw(self):
        c = self.canv
        n, m = len(self.matrix), self.module
        c.setFillColor(colors.white)
        c.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        p = c.beginPath()
        for r, row in enumerate(self.matrix):
            y = self.size - (r + 1) * m
            col = 0
            while col < n:
                if row[col]:
                    start = col
                    while col < n and row[col]:
                        col += 1
                    p.rect(start * m, y, (col - start) * m, m)
                else:
                    col += 1
        c.setFillColor(colors.black)
        c.drawPath(p, stroke=0, fill=1)


class TocEntry(Flowable):
    """One TOC line: title, dotted leader, page number from the previous pass."""

    def __init__(self, ctx: _Ctx, number: str, title: str, key: str, en: str = ""):
        super().__init__()
        self.ctx, self.key = ctx, key
        self.number = number
        self.title = ctx.prep(title)
        self.en = ctx.prep(en)
        self.size, self.lead = 11.5, 18.0
        self.spaceAfter = 5

    def wrap(self, aw, ah):
        self.width = aw
        num_w = 30.0
        self._num_w = num_w
        self._lines = self.ctx.lines(self.title, self.size, aw - num_w - 42)
        self._en = self.ctx.lines(self.en, 8.5, aw - num_w - 42) if self.en else []
        self.height = len(self._lines) * self.lead + len(self._en) * 12.5
        return aw, self.height

    def draw(self):
        c, ctx = self.canv, self.ctx
        y = self.height - self.lead + 4.5
        if self.number:
            ctx.draw_line(c, 0, y, self.number, self.size, ACCENT, bold=True)
        x0 = self._num_w
        last_w = 0.0
        for i, ln in enumerate(self._lines):
            last_w = ctx.draw_line(c, x0, y - i * self.lead, ln, self.size, INK)
        ly = y - (len(self._lines) - 1) * self.lead
        page = ctx.prev_page_map.get(self.key)
        label = str(page) if page else ""
        pw = ctx.measure(label, self.size)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.9)
        c.setDash(1, 2.5)
        start, end = x0 + last_w + 6, self.width - 24
        if end > start:
            c.line(start, ly + 2, end, ly + 2)
        c.setDash()
        ctx.draw_line(c, self.width - pw, ly, label, self.size, NAVY)
        for j, ln in enumerate(self._en):
            ctx.draw_line(c, x0, ly - 12.5 * (j + 1) + 2, ln, 8.5, GREY)


# --------------------------------------------------------------------------- document


class _Doc(BaseDocTemplate):
    def __init__(self, target, ctx: _Ctx, **kw):
        self.ctx = ctx
        super().__init__(
            target,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            initialFontName=ctx.res.primary,
            initialFontSize=10,
            **kw,
        )
        body = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            CONTENT_W,
            PAGE_H - MARGIN_TOP - MARGIN_BOTTOM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        cover = Frame(
            0,
            0,
            PAGE_W,
            PAGE_H,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="cover",
        )
        self.addPageTemplates(
            [
                PageTemplate("cover", [cover], onPage=self._on_cover),
                PageTemplate("body", [body], onPage=self._on_body),
            ]
        )

    def _on_cover(self, canv, doc):
        canv.saveState()
        if self.ctx.cover:
            self.ctx.cover(canv)
        self._footer(canv, light=True)
        canv.restoreState()

    def _on_body(self, canv, doc):
        ctx = self.ctx
        canv.saveState()
        y = PAGE_H - 15 * mm
        left = ctx.fit_one_line(ctx.prep(ctx.header_left), 9, CONTENT_W * 0.45)
        ctx.draw_line(canv, MARGIN_X, y, left, 9, NAVY)
        right = ctx.fit_one_line(ctx.prep(ctx.title), 9, CONTENT_W * 0.5)
        ctx.draw_line(canv, PAGE_W - MARGIN_X - ctx.measure(right, 9), y, right, 9, GREY)
        canv.setStrokeColor(NAVY)
        canv.setLineWidth(1.1)
        canv.line(MARGIN_X, y - 5, PAGE_W - MARGIN_X, y - 5)
        canv.setStrokeColor(ACCENT)
        canv.setLineWidth(2.2)
        canv.line(MARGIN_X, y - 5, MARGIN_X + 22 * mm, y - 5)
        self._footer(canv)
        canv.restoreState()

    def _footer(self, canv, light=False):
        ctx = self.ctx
        total = ctx.prev_total or 0
        text = (
            f"第 {canv.getPageNumber()} 页 / 共 {total} 页"
            if total
            else f"第 {canv.getPageNumber()} 页"
        )
        size = 8.5
        y = 11 * mm
        if not light:
            canv.setStrokeColor(RULE)
            canv.setLineWidth(0.6)
            canv.line(MARGIN_X, y + 11, PAGE_W - MARGIN_X, y + 11)
        # tokens drawn with explicit gaps so text extraction keeps the spaces reliably
        parts = text.split(" ")
        gap = size * 0.6
        width = sum(ctx.measure(t, size) for t in parts) + gap * (len(parts) - 1)
        x = (PAGE_W - width) / 2
        for t in parts:
            x += ctx.draw_line(canv, x, y, t, size, GREY) + gap

    def afterFlowable(self, flowable):
        key = getattr(flowable, "toc_key", None)
        if key:
            self.ctx.page_map[key] = self.page
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.toc_title, key, level=0)
        if getattr(flowable, "progress_tick", False):
            self.ctx.tick()


def _primary() -> str:
    from .fonts import register_fonts

    return register_fonts()


def _fmt_num(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "待定"
    d = Decimal(value)
    if d == d.to_integral_value():
        s = f"{d.quantize(Decimal(1)):,}"
    else:
        s = f"{d.normalize():,f}"
    return f"{s} {unit}"


def _fmt_date(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _table(rows, col_widths, header=True, zebra=True, extra=()):
    t = Table(rows, colWidths=col_widths, repeatRows=1 if header else 0, hAlign="LEFT")
    cmds = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), _primary()),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 4.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
    ]
    if header:
        cmds += [("BACKGROUND", (0, 0), (-1, 0), NAVY), ("LINEBELOW", (0, 0), (-1, 0), 1.5, ACCENT)]
    if zebra:
        for r in range(1 if header else 0, len(rows)):
            if (r - (1 if header else 0)) % 2 == 1:
                cmds.append(("BACKGROUND", (0, r), (-1, r), LIGHT))
    cmds.extend(extra)
    t.setStyle(TableStyle(cmds))
    return t


def _t(ctx, text, style=CELL):
    return TextBlock(ctx, text, style)


def _contact_lines(officer: OfficerContact, en: bool = False) -> list[tuple[str, str]]:
    name = officer.name + (f"（{officer.title}）" if officer.title else "")
    if en and officer.name_en and officer.name_en != officer.name:
        name += f"  {officer.name_en}"
    rows = [("联系人", name)]
    org = " ".join(p for p in (officer.org, officer.unit) if p)
    if org:
        rows.append(("单位", org + (f"\n{officer.org_en}" if en and officer.org_en else "")))
    if officer.phone:
        rows.append(("电话", officer.phone))
    if officer.email:
        rows.append(("邮箱", officer.email))
    if en:
        labels = {"联系人": "Contact", "单位": "Organisation", "电话": "Tel", "邮箱": "Email"}
        rows = [(f"{k} {labels[k]}", v) for k, v in rows]
    return rows


def _contact_block(
    ctx: _Ctx,
    officer: OfficerContact,
    qrs: list[tuple[str, str, float]],
    title: str,
    en: bool = False,
) -> Flowable:
    """Contact details on the left, QR code(s) with captions on the right."""
    left = [TextBlock(ctx, f"{k}：{v}", CELL) for k, v in _contact_lines(officer, en)]
    qr_cells = []
    qr_w = 0.0
    for data, caption, min_mm in qrs:
        q = QRFlowable(data, min_mm)
        qr_w = max(qr_w, q.size)
        qr_cells.append(
            [q, TextBlock(ctx, caption, TextStyle(size=8, leading=11, color=GREY, align="center"))]
        )
    qw = max(qr_w, 32 * mm) + 8
    cols = [CONTENT_W - qw * len(qr_cells)] + [qw] * len(qr_cells)
    t = Table([[left, *qr_cells]], colWidths=cols, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _primary()),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                ("LINEABOVE", (0, 0), (-1, 0), 1.5, NAVY),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return KeepTogether([Heading(ctx, title, H2, bar=True), t])


def _project_flowables(
    ctx: _Ctx,
    i: int,
    p: ProjectSheet,
    officer: OfficerContact,
    lang: str,
    numbered: bool,
    warnings: list[str],
) -> list[Flowable]:
    en = lang == "zh-en"
    contact = p.contact or officer
    out: list[Flowable] = []
    title = f"{i + 1:02d}  {p.name}" if numbered else p.name
    out.append(
        Heading(ctx, title, H1, toc_key=f"project-{i}", toc_title=p.name, progress_tick=True)
    )
    if en and p.name_en:
        out.append(TextBlock(ctx, p.name_en, H1_EN, keep_with_next=True))
    else:
        out.append(Spacer(1, 4))
    # key figures strip
    big = TextStyle(size=17, leading=22, color=NAVY, align="center")
    small = TextStyle(size=8.5, leading=12, color=GREY, align="center")
    figs = [
        ("总投资" + (" Investment" if en else ""), _fmt_num(p.investment_yi, "亿元")),
        ("用地面积" + (" Land" if en else ""), _fmt_num(p.land_mu, "亩")),
        ("项目阶段" + (" Stage" if en else ""), p.stage or "—"),
    ]
    strip = Table(
        [[[TextBlock(ctx, v, big), TextBlock(ctx, k, small)] for k, v in figs]],
        colWidths=[CONTENT_W / 3] * 3,
    )
    strip.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _primary()),
                ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                ("LINEABOVE", (0, 0), (-1, 0), 2, NAVY),
                ("LINEAFTER", (0, 0), (1, 0), 0.6, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    out += [strip, Spacer(1, 8)]
    # details table (repeats its header row when split)
    path = " › ".join(x for x in p.industry_path if x)
    rows = [
        [_t(ctx, "项目要素", CELL_HEAD), _t(ctx, "内容", CELL_HEAD)],
        [_t(ctx, "项目编号", CELL_LABEL), _t(ctx, p.code)],
        [_t(ctx, "所属产业", CELL_LABEL), _t(ctx, path or "—")],
    ]
    if en and p.industry_path_en:
        rows.append([_t(ctx, "Industry", CELL_LABEL), _t(ctx, " › ".join(p.industry_path_en))])
    location = p.location or "—"
    if en and p.location_en:
        location += "\n" + p.location_en
    rows += [[_t(ctx, "建设地点" + ("\nLocation" if en else ""), CELL_LABEL), _t(ctx, location)]]
    for label, label_en, value in (
        ("投资强度", "Investment per mu", _fmt_num(p.intensity_wan_per_mu, "万元/亩")),
        ("亩均税收", "Tax per mu", _fmt_num(p.tax_per_mu_wan, "万元/亩")),
        (
            "预计就业",
            "Jobs",
            f"{p.expected_jobs} 人" if p.expected_jobs is not None else "—",
        ),
    ):
        if value != "—":
            rows.append(
                [_t(ctx, label + (f"\n{label_en}" if en else ""), CELL_LABEL), _t(ctx, value)]
            )
    out.append(_table(rows, [30 * mm, CONTENT_W - 30 * mm]))
    sections = [
        ("项目概况", "Overview", p.summary, p.summary_en if en else ""),
        ("建设内容", "Construction", p.construction, ""),
        ("项目亮点", "Highlights", p.highlights, ""),
        ("优势与政策", "Advantages & Incentives", p.advantages, ""),
    ]
    for zh, en_label, text, text_en in sections:
        if not (text.strip() or text_en.strip()):
            continue
        out.append(Heading(ctx, f"{zh}  {en_label}" if en else zh, H2, bar=True))
        if text.strip():
            out.append(TextBlock(ctx, text, dataclasses.replace(BODY, indent_first=True)))
        if text_en.strip():
            out.append(TextBlock(ctx, text_en, BODY_EN))
    if p.investment_yi is None:
        warnings.append(f"项目 {p.code}《{p.name}》未填写总投资")
    qr_data = p.qr_text or qrmod.project_qr_text(p, contact.phone)
    out.append(Spacer(1, 6))
    out.append(
        _contact_block(
            ctx,
            contact,
            [(qr_data, "扫码查看项目信息", qrmod.PROJECT_MIN_MM)],
            "项目联系  Contact" if en else "项目联系",
            en,
        )
    )
    return out


def _catalogue_contexts(spec: BrochureSpec) -> list[CatalogueContext]:
    if spec.catalogue_context:
        return spec.catalogue_context
    groups: dict[str, CatalogueContext] = {}
    for p in spec.projects:
        if p.catalogue_items:
            for ind, item in p.catalogue_items:
                g = groups.setdefault(ind, CatalogueContext(ind, "", []))
                if all(item != x[0] for x in g.items):
                    g.items.append((item, ""))
            continue
        if not p.industry_path:
            continue
        ind = p.industry_path[0]
        en = p.industry_path_en
        g = groups.setdefault(ind, CatalogueContext(ind, en[0] if en else "", []))
        item = " › ".join(p.industry_path[1:])
        item_en = " › ".join(en[1:]) if len(en) > 1 else ""
        if item and all(item != x[0] for x in g.items):
            g.items.append((item, item_en))
    return list(groups.values())


def _catalogue_flowables(ctx: _Ctx, spec: BrochureSpec, warnings: list[str]) -> list[Flowable]:
    en = spec.language == "zh-en"
    out: list[Flowable] = [
        Heading(
            ctx,
            "产业目录依据" + ("  Catalogue Reference" if en else ""),
            H1,
            toc_key="catalogue",
            toc_title="产业目录依据",
        )
    ]
    version = spec.catalogue_version.strip()
    if not version:
        warnings.append("未注明《云南省招商引资指导目录》版本")
    stamp = TextBlock(
        ctx,
        f"依据《云南省招商引资指导目录》版本 {version or '未注明'}",
        TextStyle(size=10.5, leading=16, color=ACCENT, align="left"),
    )
    box = Table([[stamp]], colWidths=[CONTENT_W])
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _primary()),
                ("BOX", (0, 0), (-1, -1), 1.2, ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    out += [
        Spacer(1, 6),
        box,
        Spacer(1, 6),
        TextBlock(ctx, "本册所列项目均属于下列鼓励类产业及目录条目：", BODY),
        Spacer(1, 2),
    ]
    header = [
        _t(ctx, "产业", CELL_HEAD),
        _t(ctx, "目录条目", CELL_HEAD),
        _t(ctx, "本册项目", CELL_HEAD),
    ]
    rows = [header]
    for g in _catalogue_contexts(spec):
        items = g.items or [("", "")]
        for j, (name, name_en) in enumerate(items):
            codes = [
                p.code
                for p in spec.projects
                if (
                    (g.industry, name) in p.catalogue_items
                    or (not name and any(ind == g.industry for ind, _ in p.catalogue_items))
                )
                or (
                    not p.catalogue_items
                    and p.industry_path
                    and p.industry_path[0] == g.industry
                    and (not name or name in " › ".join(p.industry_path[1:]))
                )
            ]
            ind = (
                g.industry + ("\n" + g.industry_en if en and g.industry_en else "")
                if j == 0
                else ""
            )
            item = name + ("\n" + name_en if en and name_en else "")
            rows.append(
                [_t(ctx, ind, CELL_LABEL), _t(ctx, item or "—"), _t(ctx, "、".join(codes) or "—")]
            )
    out.append(_table(rows, [34 * mm, 52 * mm, CONTENT_W - 86 * mm]))
    return out


def _missing_report(spec_obj, res: GlyphResolver, prefix: str) -> list[dict]:
    """Walk every text field of a dataclass tree and report characters the primary font lacks."""
    out: list[dict] = []

    def walk(value, path):
        if isinstance(value, str):
            for ch in missing_glyphs(value):
                fb = res.font_for(ch)
                out.append(
                    {
                        "char": ch,
                        "codepoint": codepoint_label(ch),
                        "field": path,
                        "rendered_with": font_path(fb) if fb else None,
                        "shown_as": ch if fb else f"[{codepoint_label(ch)}]",
                    }
                )
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)
        elif isinstance(value, (list, tuple)):
            for k, v in enumerate(value):
                walk(v, f"{path}[{k}]")

    walk(spec_obj, prefix)
    return out


def _prepare_cover_image(path: Path | None) -> ImageReader | None:
    if path is None:
        return None
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        with Image.open(p) as opened:
            opened.load()
            im = opened.convert("RGB")
            im.thumbnail((MAX_COVER_PX, MAX_COVER_PX))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=85, optimize=True)
    except FileNotFoundError as exc:
        raise BrochureError(f"封面图片不存在：{p}") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise BrochureError(f"封面图片无法读取：{p}（{exc}）") from exc
    buf.seek(0)
    return ImageReader(buf)


def _cover_painter(ctx: _Ctx, spec: BrochureSpec, image: ImageReader | None):
    title = ctx.prep(spec.title)
    place = ctx.prep(spec.park_name or spec.place)
    place2 = ctx.prep(spec.place if spec.park_name and spec.place != spec.park_name else "")
    en = spec.language == "zh-en"

    def paint(c):
        band_h = 118 * mm
        c.setFillColor(NAVY)
        c.rect(0, PAGE_H - band_h, PAGE_W, band_h, stroke=0, fill=1)
        c.setFillColor(BLUE)
        c.rect(0, PAGE_H - band_h, PAGE_W, 9 * mm, stroke=0, fill=1)
        c.setFillColor(ACCENT)
        c.rect(0, PAGE_H - band_h - 2.2 * mm, PAGE_W, 2.2 * mm, stroke=0, fill=1)
        x = 24 * mm
        w = PAGE_W - 2 * x
        y = PAGE_H - 34 * mm
        ctx.draw_line(
            c,
            x,
            y,
            "招商引资项目推介" + ("  INVESTMENT PROMOTION" if en else ""),
            11,
            ACCENT,
            char_space=1.5,
        )
        y -= 20 * mm
        size = 30 if ctx.measure(title, 30) <= w * 2 else 22
        lines = ctx.lines(title, size, w)[:3]
        for ln in lines:
            ctx.draw_line(c, x, y, ln, size, WHITE, bold=True)
            y -= size * 1.35
        if en and spec.title_en:
            title_en = ctx.fit_one_line(ctx.prep(spec.title_en), 14, w)
            ctx.draw_line(c, x, y, title_en, 14, colors.HexColor("#DCE6F2"))
            y -= 8 * mm
        y -= 4 * mm
        if place:
            ctx.draw_line(c, x, y, ctx.fit_one_line(place, 15, w), 15, colors.HexColor("#DCE6F2"))
            y -= 8 * mm
        if place2:
            ctx.draw_line(c, x, y, ctx.fit_one_line(place2, 11, w), 11, colors.HexColor("#B8C8DC"))
            y -= 6 * mm
        if en and spec.place_en:
            line = ctx.fit_one_line(ctx.prep(spec.place_en), 11, w)
            ctx.draw_line(c, x, y, line, 11, colors.HexColor("#B8C8DC"))
        y = PAGE_H - band_h - 16 * mm
        if spec.recipient:
            rec = ctx.prep(f"致 {spec.recipient}")
            for ln in ctx.lines(rec, 18, w)[:2]:
                ctx.draw_line(c, x, y, ln, 18, NAVY, bold=True)
                y -= 26
            y -= 4 * mm
        if image is not None:
            iw, ih = image.getSize()
            box_w, box_h = w, y - 62 * mm
            if box_h > 30 * mm:
                scale = min(box_w / iw, box_h / ih)
                dw, dh = iw * scale, ih * scale
                c.drawImage(image, x + (box_w - dw) / 2, y - dh, dw, dh)
        else:
            # no photo: a restrained panel listing the industries covered
            inds = list(dict.fromkeys(p.industry_path[0] for p in spec.projects if p.industry_path))
            if inds:
                top = y - 6 * mm
                lines = ctx.lines(ctx.prep("　·　".join(inds)), 13, w - 16 * mm)[:4]
                h = 22 * mm + len(lines) * 20
                c.setFillColor(LIGHT)
                c.rect(x, top - h, w, h, stroke=0, fill=1)
                c.setFillColor(ACCENT)
                c.rect(x, top - h, 1.6 * mm, h, stroke=0, fill=1)
                ctx.draw_line(
                    c,
                    x + 8 * mm,
                    top - 10 * mm,
                    "重点产业" + ("  KEY INDUSTRIES" if en else ""),
                    10,
                    GREY,
                    char_space=1,
                )
                for k, ln in enumerate(lines):
                    ctx.draw_line(c, x + 8 * mm, top - 19 * mm - k * 20, ln, 13, NAVY)
        # bottom block
        yb = 46 * mm
        c.setStrokeColor(NAVY)
        c.setLineWidth(1.2)
        c.line(x, yb + 12 * mm, PAGE_W - x, yb + 12 * mm)
        n = len(spec.projects)
        count = f"收录重点招商项目 {n} 个" + (f"  {n} key projects" if en else "")
        ctx.draw_line(c, x, yb + 4 * mm, ctx.prep(count), 11, INK)
        org = " ".join(p for p in (spec.officer.org, spec.officer.unit) if p)
        if en and spec.officer.org_en:
            org = f"{org}  {spec.officer.org_en}" if org else spec.officer.org_en
        if org:
            ctx.draw_line(c, x, yb - 4 * mm, ctx.fit_one_line(ctx.prep(org), 11, w), 11, INK)
        ctx.draw_line(c, x, yb - 12 * mm, _fmt_date(spec.date), 11, GREY)

    return paint


def _write_atomic(data: bytes, out_path: Path) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~" + out_path.name, suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _build(
    ctx: _Ctx, make_story: Callable[[], list], meta: dict, out_path: Path, doc_cls=None
) -> int:
    """Build until page numbers are stable (normally two passes), then write atomically."""
    data = b""
    for _attempt in range(4):
        ctx.page_map = {}
        buf = io.BytesIO()
        doc = (doc_cls or _Doc)(buf, ctx, **meta)
        doc.build(make_story())
        ctx.total = doc.page
        data = buf.getvalue()
        stable = ctx.page_map == ctx.prev_page_map and ctx.total == ctx.prev_total
        ctx.prev_page_map, ctx.prev_total = dict(ctx.page_map), ctx.total
        if stable:
            break
    _write_atomic(data, out_path)
    return ctx.total or 0


def _check_officer(officer: OfficerContact | None) -> None:
    if officer is None or not officer.name.strip():
        raise BrochureError("缺少招商专员（联系人）姓名")


def _meta(
    title: str, officer: OfficerContact, subject: str, keywords: list[str], app_version: str
) -> dict:
    return {
        "title": title,
        "author": officer.name,
        "subject": subject,
        "keywords": ", ".join(keywords),
        "creator": f"招商助手 {app_version}".strip(),
        "lang": "zh-CN",
    }


def render_brochure(
    spec: BrochureSpec,
    out_path: str | os.PathLike,
    progress: Progress | None = None,
    *,
    use_fallback_fonts: bool = True,
) -> RenderResult:
    """Render a complete 推介册 to ``out_path`` (written atomically)."""
    out_path = Path(out_path)
    if not spec.projects:
        raise BrochureError("推介册至少需要包含一个项目")
    if not spec.title.strip():
        raise BrochureError("推介册标题不能为空")
    if spec.language not in ("zh", "zh-en"):
        raise BrochureError(f"不支持的语言选项：{spec.language}（可选 zh 或 zh-en）")
    _check_officer(spec.officer)
    for i, p in enumerate(spec.projects):
        if not p.name.strip():
            raise BrochureError(f"第 {i + 1} 个项目缺少项目名称")
    image = _prepare_cover_image(spec.cover_image)

    n = len(spec.projects)
    ctx = _Ctx(spec.title, spec.park_name or spec.place, use_fallback_fonts, progress, 2 * n + 2)
    ctx.tick()
    warnings: list[str] = []
    ctx.cover = _cover_painter(ctx, spec, image)
    en = spec.language == "zh-en"

    def story() -> list:
        warnings.clear()
        s: list = [NextPageTemplate("body"), Spacer(1, 1), PageBreak()]
        s.append(Heading(ctx, "目  录" + ("  Contents" if en else ""), H1))
        s.append(Rule(NAVY, 1.2, 6))
        s.append(Spacer(1, 6))
        if spec.intro.strip():
            s.append(TocEntry(ctx, "", "推介说明", "intro", "Introduction" if en else ""))
        for i, p in enumerate(spec.projects):
            s.append(TocEntry(ctx, f"{i + 1:02d}", p.name, f"project-{i}", p.name_en if en else ""))
        s.append(
            TocEntry(ctx, "", "产业目录依据", "catalogue", "Catalogue Reference" if en else "")
        )
        s.append(TocEntry(ctx, "", "联系我们", "contact", "Contact" if en else ""))
        if spec.intro.strip():
            s.append(PageBreak())
            s.append(
                Heading(
                    ctx,
                    "推介说明" + ("  Introduction" if en else ""),
                    H1,
                    toc_key="intro",
                    toc_title="推介说明",
                )
            )
            s.append(Rule(NAVY, 1.2, 6))
            s.append(
                TextBlock(
                    ctx,
                    spec.intro,
                    dataclasses.replace(BODY, size=11, leading=19, indent_first=True),
                )
            )
        for i, p in enumerate(spec.projects):
            s.append(PageBreak())
            s.extend(_project_flowables(ctx, i, p, spec.officer, spec.language, True, warnings))
        s.append(PageBreak())
        s.extend(_catalogue_flowables(ctx, spec, warnings))
        s.append(CondPageBreak(110 * mm))
        s.append(Spacer(1, 10 * mm))
        s.append(
            Heading(
                ctx,
                "联系我们" + ("  Contact" if en else ""),
                H1,
                toc_key="contact",
                toc_title="联系我们",
            )
        )
        s.append(TextBlock(ctx, "如需了解项目详情、洽谈合作或安排实地考察，欢迎与我们联系。", BODY))
        s.append(
            _contact_block(
                ctx,
                spec.officer,
                [(qrmod.officer_vcard(spec.officer), "扫码保存联系人", qrmod.VCARD_MIN_MM)],
                "招商专员" + ("  Investment Officer" if en else ""),
                en,
            )
        )
        return s

    meta = _meta(
        spec.title, spec.officer, f"{spec.place} 招商项目推介册", spec.keywords, spec.app_version
    )
    pages = _build(ctx, story, meta, out_path)
    missing = _missing_report(spec, ctx.res, "")
    for m in missing:
        if m["rendered_with"] is None:
            warnings.append(
                f"字体缺字：{m['field']} 中的“{m['char']}”（{m['codepoint']}）无可用字体，已显示为 {m['shown_as']}"
            )
    if progress:
        progress(ctx.steps, ctx.steps)
    return RenderResult(
        out_path, pages, out_path.stat().st_size, missing, list(dict.fromkeys(warnings))
    )


def render_project_page(
    project: ProjectSheet,
    officer: OfficerContact,
    out_path: str | os.PathLike,
    language: str = "zh",
    *,
    place: str = "",
    park_name: str = "",
    date: datetime.date | None = None,
    app_version: str = "",
    keywords: list[str] | None = None,
    progress: Progress | None = None,
    use_fallback_fonts: bool = True,
) -> RenderResult:
    """Render a 单项目推介页 (one or two A4 pages, no cover/TOC) for one project."""
    out_path = Path(out_path)
    if project is None or not project.name.strip():
        raise BrochureError("项目名称不能为空")
    if language not in ("zh", "zh-en"):
        raise BrochureError(f"不支持的语言选项：{language}（可选 zh 或 zh-en）")
    _check_officer(officer)
    date = date or datetime.date.today()
    header = park_name or place or "招商项目推介"
    ctx = _Ctx(project.name, header, use_fallback_fonts, progress, 4)
    ctx.tick()
    warnings: list[str] = []

    def story() -> list:
        warnings.clear()
        s: list = [NextPageTemplate("body")]
        s.extend(_project_flowables(ctx, 0, project, officer, language, False, warnings))
        s.append(Spacer(1, 4))
        s.append(
            TextBlock(
                ctx,
                f"{header} · {_fmt_date(date)}",
                TextStyle(size=8.5, leading=12, color=GREY, align="right"),
            )
        )
        return s

    meta = _meta(project.name, officer, f"{header} 单项目推介页", keywords or [], app_version)
    pages = _build(ctx, story, meta, out_path, _SingleDoc)
    missing = _missing_report(project, ctx.res, "project") + _missing_report(
        officer, ctx.res, "officer"
    )
    for m in missing:
        if m["rendered_with"] is None:
            warnings.append(
                f"字体缺字：{m['field']} 中的“{m['char']}”（{m['codepoint']}）无可用字体，已显示为 {m['shown_as']}"
            )
    if progress:
        progress(ctx.steps, ctx.steps)
    return RenderResult(
        out_path, pages, out_path.stat().st_size, missing, list(dict.fromkeys(warnings))
    )


class _SingleDoc(_Doc):
    def __init__(self, target, ctx, **kw):
        super().__init__(target, ctx, **kw)
        self.pageTemplates = [t for t in self.pageTemplates if t.id == "body"]
