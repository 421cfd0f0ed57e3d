"""PDFs of the briefing (出差简报) and the trip report (出差报告), typeset by the brochure
engine (``zsapp.brochure.render``: its line breaker, fonts with fallbacks, text blocks,
tables, page header/footer and atomic two-pass build) — not a copy of it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from zsapp import __version__
from zsapp.brochure import render as engine
from zsapp.brochure.model import OfficerContact, RenderResult
from zsapp.brochure.render import (
    BODY,
    CELL,
    CELL_HEAD,
    CELL_LABEL,
    CONTENT_W,
    GREY,
    H1,
    H2,
    NAVY,
    Heading,
    Rule,
    TextBlock,
    TextStyle,
)
from zsapp.store import Store

from .report import REPORT_SECTIONS
from .trips import TripError

MAX_PDF_COMPANIES = 200
SMALL = TextStyle(size=9, leading=13.5, color=GREY, align="left", space_after=2)
ENTRY = TextStyle(size=11.5, leading=17, color=NAVY, align="left", bold=True, space_before=8)
WARN = TextStyle(size=10, leading=15, color=engine.colors.HexColor("#B00020"), align="left")
LINE = dataclasses.replace(BODY, align="left", size=10, leading=15, space_after=1)


def _officer(store: Store) -> OfficerContact:
    from zsapp.brochure.source import officer_contact

    officer = officer_contact(store, required=False)
    if not officer.name:
        officer.name = "招商专员"
    return officer


def _check_out(out_path: str | os.PathLike) -> Path:
    out = Path(out_path).expanduser()
    if out.suffix.lower() != ".pdf":
        raise TripError(f"输出文件应以 .pdf 结尾：{out.name}")
    if out.is_dir():
        raise TripError(f"输出路径是一个文件夹：{out}")
    return out


def _when(text: str) -> str:
    return text.replace("T", " ") if text else ""


def _info_table(ctx, rows: list[tuple[str, str]]):
    data = [[TextBlock(ctx, k, CELL_LABEL), TextBlock(ctx, v or "—", CELL)] for k, v in rows]
    return engine._table(data, [28 * mm, CONTENT_W - 28 * mm], header=False)


def _render(
    title: str,
    header: str,
    make_story,
    out: Path,
    officer: OfficerContact,
    subject: str,
) -> RenderResult:
    ctx = engine._Ctx(title, header, True, None, 4)

    def story() -> list:
        return make_story(ctx)

    meta = engine._meta(title, officer, subject, ["招商引资", "出差"], __version__)
    try:
        pages = engine._build(ctx, story, meta, out, engine._SingleDoc)
    except OSError as exc:
        raise TripError(f"无法写入文件 {out}：{exc.strerror or exc}") from exc
    return RenderResult(out, pages, out.stat().st_size, [], [])


# -- briefing --------------------------------------------------------------------------------
def _meeting_rows(ctx, meetings: list[dict[str, Any]]) -> list:
    rows = [
        [
            TextBlock(ctx, "时间", CELL_HEAD),
            TextBlock(ctx, "城市 / 地点", CELL_HEAD),
            TextBlock(ctx, "企业 / 对方人员", CELL_HEAD),
            TextBlock(ctx, "拟推介项目", CELL_HEAD),
        ]
    ]
    for m in meetings:
        who = m["company_name"] or "（企业已删除）"
        if m["company_dishonest"]:
            who += "【失信】"
        names = "、".join(
            p["name"] + (f"（{p['title']}）" if p["title"] else "") for p in m["people"]
        )
        rows.append(
            [
                TextBlock(ctx, _when(m["starts_at"]) + f"\n{m['duration_min']} 分钟", CELL),
                TextBlock(
                    ctx, "\n".join(x for x in (m["city_name"], m["place"]) if x) or "—", CELL
                ),
                TextBlock(ctx, who + (f"\n{names}" if names else ""), CELL),
                TextBlock(
                    ctx, "\n".join(f"{p['code']} {p['name']}" for p in m["projects"]) or "—", CELL
                ),
            ]
        )
    return rows


def _contact(p: dict[str, Any]) -> str:
    from zsapp.brochure.source import display_phone

    bits = [p["name"] + (f"（{p['title']}）" if p["title"] else "")]
    for key in ("mobile", "landline"):
        if p.get(key):
            bits.append(display_phone(p[key]))
    if p.get("email"):
        bits.append(p["email"])
    if p.get("wechat"):
        bits.append("微信 " + p["wechat"])
    return " ".join(bits)


def _company_flowables(ctx, i: int, e: dict[str, Any]) -> list:
    head = f"{i}. {e['name']}"
    out: list = [TextBlock(ctx, head, ENTRY, keep_with_next=True)]
    sub = " · ".join(x for x in (e["city_name"], e["registered_location"], *e["flags"]) if x)
    if sub:
        out.append(TextBlock(ctx, sub, SMALL, keep_with_next=True))
    if e["dishonest"]:
        out.append(TextBlock(ctx, "【失信】" + e["dishonest"], WARN))
    if e["meetings"]:
        out.append(TextBlock(ctx, f"本次出差已安排拜访 {len(e['meetings'])} 次", LINE))
    if e["people"]:
        out.append(
            TextBlock(ctx, "联系人：" + "；".join(_contact(p) for p in e["people"][:6]), LINE)
        )
    else:
        out.append(TextBlock(ctx, "联系人：暂无", LINE))
    for v in e["last_visits"]:
        notes = f" — {v['notes']}" if v["notes"] else ""
        out.append(
            TextBlock(
                ctx, f"最近拜访：{_when(v['visited_at'])} {v['kind']} {v['outcome']}{notes}", LINE
            )
        )
    for f in e["open_followups"][:5]:
        due = f"（{f['due_date']} 到期）" if f["due_date"] else ""
        out.append(TextBlock(ctx, f"待办跟进：{f['text']}{due}", LINE))
    for d in e["leads_due"]:
        out.append(TextBlock(ctx, f"线索时限：{d['title']} · {d['label']} {d['remaining']}", WARN))
    if e["projects"]:
        more = (
            f"（共 {e['projects_total']} 个）" if e["projects_total"] > len(e["projects"]) else ""
        )
        out.append(
            TextBlock(
                ctx,
                "可推介项目"
                + more
                + "："
                + "；".join(f"{p['code']} {p['name']}（{p['reason']}）" for p in e["projects"]),
                LINE,
            )
        )
    return out


def render_briefing(
    store: Store, data: dict[str, Any], out_path: str | os.PathLike
) -> RenderResult:
    """The 出差简报 PDF of :func:`zsapp.trips.briefing.briefing` data."""
    out = _check_out(out_path)
    trip = data["trip"]
    officer = _officer(store)
    title = f"出差简报 · {trip['title']}"

    def story(ctx) -> list:
        s: list = [engine.NextPageTemplate("body")]
        s += [Heading(ctx, title, H1), Rule(NAVY, 1.2, 6)]
        counts = data["counts"]
        s.append(
            _info_table(
                ctx,
                [
                    ("目的地", "、".join(trip["destination_names"])),
                    ("日期", f"{trip['start_date']} 至 {trip['end_date']}"),
                    ("同行人员", trip["companions"]),
                    ("出差目的", trip["purpose"]),
                    (
                        "概况",
                        f"目的地客商 {counts['companies']} 家，联系人 {counts['people']} 人，"
                        f"待办跟进 {counts['open_followups']} 条，拜访安排 {counts['meetings']} 场"
                        + (f"，失信企业 {counts['dishonest']} 家" if counts["dishonest"] else ""),
                    ),
                    ("生成时间", _when(data["generated_at"])),
                ],
            )
        )
        s.append(Heading(ctx, "拜访安排", H2, bar=True))
        if data["meetings"]:
            s.append(
                engine._table(
                    _meeting_rows(ctx, data["meetings"]),
                    [36 * mm, 32 * mm, 54 * mm, CONTENT_W - 122 * mm],
                )
            )
        else:
            s.append(TextBlock(ctx, "尚未安排拜访。", BODY))
        if data["dishonest"]:
            s.append(Heading(ctx, "失信提醒", H2, bar=True))
            for d in data["dishonest"]:
                s.append(TextBlock(ctx, f"{d['name']}：{d['warning']}", WARN))
        if data["leads_due"]:
            s.append(Heading(ctx, "线索承诺时限（出差期间到期或已逾期）", H2, bar=True))
            for d in data["leads_due"]:
                who = f"（{d['company_name']}）" if d["company_name"] else ""
                s.append(
                    TextBlock(
                        ctx,
                        f"{d['title']}{who} · {d['label']} 截止 {_when(d['due_at'])}，{d['remaining']}",
                        WARN if d["overdue"] else LINE,
                    )
                )
        entries = data["companies"]
        s.append(Heading(ctx, f"目的地客商（{len(entries)} 家）", H2, bar=True))
        if len(entries) > MAX_PDF_COMPANIES:
            s.append(
                TextBlock(
                    ctx,
                    f"按重要程度列出前 {MAX_PDF_COMPANIES} 家，另有 {len(entries) - MAX_PDF_COMPANIES} 家未列出（可在“出差”中查看全部）。",
                    SMALL,
                )
            )
        if not entries:
            s.append(TextBlock(ctx, "客商库中没有注册地或来源城市在目的地的企业。", BODY))
        for i, e in enumerate(entries[:MAX_PDF_COMPANIES], 1):
            s.extend(_company_flowables(ctx, i, e))
        s.append(Spacer(1, 8))
        return s

    return _render(title, "出差简报", story, out, officer, f"{trip['title']} 出差简报")


# -- report ----------------------------------------------------------------------------------


def render_report(
    store: Store, report: dict[str, Any], trip: dict[str, Any], out_path: str | os.PathLike
) -> RenderResult:
    out = _check_out(out_path)
    officer = _officer(store)
    title = f"出差报告 · {trip['title']}"
    figures = report["figures"]

    def story(ctx) -> list:
        s: list = [engine.NextPageTemplate("body"), Heading(ctx, title, H1), Rule(NAVY, 1.2, 6)]
        s.append(
            _info_table(
                ctx,
                [
                    ("目的地", "、".join(trip["destination_names"])),
                    ("日期", f"{trip['start_date']} 至 {trip['end_date']}"),
                    ("出差人员", "、".join(x for x in (officer.name, trip["companions"]) if x)),
                    (
                        "主要数据",
                        f"拜访 {figures.get('visits', 0)} 次，企业 {figures.get('companies', 0)} 家，"
                        f"会见 {figures.get('people', 0)} 人，新增线索 {figures.get('leads', 0)} 条，"
                        f"跟进事项 {figures.get('followups', 0)} 条，推进项目 {figures.get('projects', 0)} 个，"
                        f"发放推介册 {figures.get('brochures', 0)} 份",
                    ),
                ],
            )
        )
        for key, label in REPORT_SECTIONS:
            text = (report.get(key) or "").strip()
            if not text:
                continue
            s.append(Heading(ctx, label, H2, bar=True))
            s.append(TextBlock(ctx, text, dataclasses.replace(BODY, align="left")))
        s.append(Spacer(1, 6))
        s.append(
            TextBlock(
                ctx,
                f"{officer.org + ' ' if officer.org else ''}{officer.name} · {dt.date.today():%Y年%m月%d日}",
                TextStyle(size=9, leading=13, color=GREY, align="right"),
            )
        )
        return s

    return _render(title, "出差报告", story, out, officer, f"{trip['title']} 出差报告")
