"""督查通报: the quarter's figures as an XLSX workbook (one sheet per section) or a PDF
(the brochures' embedded font, charts drawn with reportlab graphics)."""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

from sqlalchemy.engine import Connection

from zsapp.office import reports_figures as fig


def collect(
    conn: Connection,
    quarter: fig.Quarter,
    scope: fig.Scope,
    today: dt.date | None = None,
    stalled_days: int = 90,
) -> dict[str, Any]:
    today = today or dt.date.today()
    return {
        "quarter": quarter,
        "scope": scope,
        "generated": today.isoformat(),
        "overview": fig.overview(conn, quarter, scope),
        "stalled": fig.stalled(conn, scope, stalled_days, today, limit=5000),
        "transfers": fig.transfers(conn, scope),
        "duplicates": fig.duplicates(conn, scope),
        "investors": fig.investors(conn),
    }


def _yi(wan: Any) -> float:
    return round(float(wan or 0) / 10000, 2)


def _title(report: dict[str, Any]) -> str:
    scope = report["scope"].prefecture
    where = fig.prefecture_name(scope) if scope else "全省"
    return f"{where}招商引资督查通报（{report['quarter'].title()}）"


def sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(sheet name, header, rows) per section; shared by XLSX and PDF."""
    ov = report["overview"]
    out = []
    rows = []
    for t in ov["targets"]:
        money = t["money"]
        conv = _yi if money else (lambda v: v)
        rows.append(
            [
                t["label"],
                conv(t["target"]),
                conv(t["quarter_value"]),
                conv(t["cumulative"]),
                t["percent"],
            ]
        )
    out.append(("目标完成", ["指标", "目标", "本季度", "累计", "完成率（%）"], rows))
    rows = [
        [
            q,
            _yi(ov["targets"][0]["by_quarter"][i]),
            _yi(ov["targets"][1]["by_quarter"][i]),
            ov["targets"][2]["by_quarter"][i],
            ov["targets"][3]["by_quarter"][i],
        ]
        for i, q in enumerate(ov["quarters"])
    ]
    out.append(
        (
            "分季度",
            ["季度", "到位资金（亿元）", "其中工业（亿元）", "10亿元以上项目", "世界500强"],
            rows,
        )
    )
    rows = [
        [
            p["rank"],
            p["name"],
            _yi(p["funds_wan"]),
            _yi(p["quarter_funds_wan"]),
            _yi(p["gongye_wan"]),
            p["big_projects"],
            p["fortune500"],
            p["signed"],
            p["started"],
            p["produced"],
        ]
        for p in ov["prefectures"]
    ]
    out.append(
        (
            "州市排名",
            [
                "名次",
                "州市",
                "累计到位资金（亿元）",
                "本季度（亿元）",
                "其中工业（亿元）",
                "10亿元以上项目",
                "世界500强",
                "签约",
                "开工",
                "投产",
            ],
            rows,
        )
    )
    st = report["stalled"]
    rows = [
        [
            p["code"],
            p["name"],
            p["prefecture"],
            p["stage"],
            p["last_activity_on"],
            p.get("status") or "未处理",
            p.get("deadline") or "",
        ]
        for p in st["rows"]
    ]
    out.append(
        ("停滞项目", ["编号", "项目", "州市", "阶段", "最近进展", "整治状态", "整改期限"], rows)
    )
    rows = [
        [
            t["transferred_on"],
            t["code"],
            t["name"],
            t["from_name"],
            t["to_name"],
            t["reason"],
            t["from_funds_pct"] if t["split_recorded"] else "未记录",
            t["from_credit_pct"] if t["split_recorded"] else "未记录",
        ]
        for t in report["transfers"]
    ]
    out.append(
        (
            "项目流转",
            [
                "日期",
                "编号",
                "项目",
                "由",
                "至",
                "理由",
                "流出方资金分成（%）",
                "流出方项目分成（%）",
            ],
            rows,
        )
    )
    rows = []
    for d in report["duplicates"]:
        rows.append(
            [
                d["uscc"],
                f"{d['a_code']} {d['a_name']}（{d['a_pref_name']}）",
                f"{d['b_code']} {d['b_name']}（{d['b_pref_name']}）",
                round(d["name_similarity"], 2),
                d["status"],
            ]
        )
    out.append(("重复统计", ["投资方代码", "项目甲", "项目乙", "名称相似度", "状态"], rows))
    inv = report["investors"]
    rows = [
        [
            r["region"],
            r["origin_province"],
            r["total"],
            r["fortune500"],
            r["central"],
            r["specialized"],
            r["dishonest"],
        ]
        for r in inv["rows"]
    ]
    out.append(
        ("客商", ["来源地区", "省份", "企业", "世界500强", "央企", "专精特新", "失信"], rows)
    )
    return out


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # drop the default (active) sheet
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="EEF1F5")
    for name, header, rows in sections(report):
        ws = wb.create_sheet(name)
        ws.append([_title(report) + " · " + name])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(header)
        for cell in ws[2]:
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in rows:
            ws.append(row)
        for i, title in enumerate(header, 1):
            width = max([len(str(title))] + [len(str(r[i - 1])) for r in rows[:200]]) * 1.6 + 2
            ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 50)
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- PDF -------------------------------------------------------------------------------
def _bar_chart(
    title: str, names: list[str], values: list[float], font: str, width: float, height: float
):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    d.add(String(4, height - 14, title, fontName=font, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 36
    chart.width, chart.height = width - 56, height - 64  # type: ignore[assignment]  # stubs say int; floats work
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = names or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(names) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(names) > 8 else "n"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#c81e1e")
    chart.bars[0].strokeColor = None
    d.add(chart)
    return d


def to_pdf(report: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from zsapp.brochure.fonts import register_fonts

    font = register_fonts()
    title_style = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle(
        "h",
        fontName=font,
        fontSize=12,
        leading=16,
        spaceBefore=8,
        spaceAfter=4,
        textColor=colors.HexColor("#9b1c1c"),
    )
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=13)
    cell = ParagraphStyle("c", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK")
    buf = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buf,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_title(report),
        author="省招商委办公室",
    )
    avail = page[0] - 24 * mm
    story: list = [
        Paragraph(_title(report), title_style),
        Paragraph(
            "口径：产业类项目（不含房地产、基础设施、金融类）的省外到位资金，按资金到位月份计；累计自 2022 年 1 月起至本季度末；"
            "重复统计的项目已剔除；流转项目按约定的利益分成计入双方。生成日期："
            + report["generated"],
            body,
        ),
    ]
    ov = report["overview"]
    charts = Table(
        [
            [
                _bar_chart(
                    "省外到位资金按季度（亿元）",
                    ov["quarters"],
                    [_yi(v) for v in ov["targets"][0]["by_quarter"]],
                    font,
                    avail / 2 - 6,
                    170,
                ),
                _bar_chart(
                    "各州市累计到位资金（亿元）",
                    [p["name"] for p in ov["prefectures"]],
                    [_yi(p["funds_wan"]) for p in ov["prefectures"]],
                    font,
                    avail / 2 - 6,
                    170,
                ),
            ]
        ],
        colWidths=[avail / 2, avail / 2],
    )
    for index, (name, header, rows) in enumerate(sections(report)):
        data: list[list[Any]] = [[Paragraph(str(h), cell) for h in header]] + [
            [Paragraph(_fmt(v), cell) for v in row] for row in rows[:2000]
        ]
        if not rows:
            data.append([Paragraph("（无）", cell)] + [""] * (len(header) - 1))
        table = Table(data, repeatRows=1, colWidths=[avail / len(header)] * len(header))
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b8c1")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTNAME", (0, 0), (-1, -1), font),
                ]
            )
        )
        story.append(KeepTogether([Paragraph(name, h2)]))
        story.append(table)
        if index == 0:
            story += [Spacer(1, 6), charts]
    # The canvas' initial font too (otherwise an unembedded Helvetica is referenced).
    doc.build(
        story,
        canvasmaker=functools.partial(Canvas, initialFontName=font, initialFontSize=9),  # type: ignore[arg-type]  # stubs: initialFontName is a str
    )
    return buf.getvalue()


def _fmt(value: Any) -> str:
    from xml.sax.saxutils import escape

    if isinstance(value, float):
        text = f"{value:,.2f}" if not value.is_integer() else f"{int(value):,}"
    else:
        text = str(value)
    return escape(text)
