"""避头尾 line breaking for the brochure (pure function tests)."""

from __future__ import annotations

import re

import pytest

from zsapp.brochure.fonts import register_fonts
from zsapp.brochure.linebreak import (
    CANNOT_END,
    CANNOT_START,
    break_lines,
    break_text,
    check_kinsoku,
)

FONT = register_fonts()
SIZE = 10.0
EM = SIZE  # CJK glyphs are 1 em wide in WQY Micro Hei


def em_measure(s: str) -> float:
    """Monospace model: CJK = 1, everything else = 0.5."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in s)


def naive_cjk_break(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(0, len(text), n)]


@pytest.mark.parametrize("mark", list("，。）》」』”’；：？！、…"))
def test_closing_mark_never_starts_a_line(mark):
    # 10 chars per line; a naive breaker would put the mark at the start of line 2
    text = "一二三四五六七八九十" + mark + "十一十二十三十四十五"
    assert naive_cjk_break(text, 10)[1][0] == mark
    lines = break_text(text, em_measure, 10)
    assert "".join(lines) == text
    assert not any(ln and ln[0] == mark for ln in lines), lines
    assert all(em_measure(ln) <= 10 for ln in lines)


@pytest.mark.parametrize("mark", list("（《「『“‘"))
def test_opening_mark_never_ends_a_line(mark):
    text = "一二三四五六七八九" + mark + "十一十二" + "）" + "十三十四十五"
    assert naive_cjk_break(text, 10)[0][-1] == mark
    lines = break_text(text, em_measure, 10)
    assert "".join(lines) == text
    assert not any(ln and ln[-1] == mark for ln in lines), lines


def test_real_font_paragraph_obeys_kinsoku_at_many_widths():
    text = (
        "项目依托云南丰富的绿色水电资源，建设“年产10万吨新能源电池铝箔”生产线（含配套研发中心），"
        "采用TOPCon、HJT等先进技术；预计年产值可达12.5亿元！是否具备条件？请联系招商部门……"
        "《云南省招商引资指导目录》「绿色铝」『新材料』‘锡基’。"
    )
    for width in range(60, 400, 7):
        lines = break_lines(text, FONT, SIZE, width)
        assert not check_kinsoku(lines), (width, lines)
        assert "".join(lines) == text
        for ln in lines:
            assert ln == ln.strip()


def test_latin_words_and_numbers_not_split():
    text = "本项目采用TOPCon与HJT技术，总投资12.5亿元，规划产能5GW，合作方为LONGi Green Energy Technology公司。"
    for width in range(70, 300, 3):  # wider than the longest word
        lines = break_lines(text, FONT, SIZE, width)
        joined = "\n".join(lines)
        for word in ("TOPCon", "HJT", "12.5", "5GW", "LONGi", "Green", "Energy", "Technology"):
            assert word in joined, (width, lines)
        assert "12.5亿" in joined  # number stays with its unit
        assert "  " not in joined


def test_whitespace_collapses_and_trims():
    lines = break_lines("  Green    Aluminium   绿色铝  ", FONT, SIZE, 1000)
    assert lines == ["Green Aluminium 绿色铝"]
    lines = break_lines("alpha beta gamma delta epsilon", FONT, SIZE, 60)
    assert all("  " not in ln and ln == ln.strip() for ln in lines)
    assert " ".join(lines) == "alpha beta gamma delta epsilon"


def test_very_long_latin_token_wraps():
    token = "https://invest.yn.gov.cn/projects/" + "x" * 400
    lines = break_lines("详见" + token + "。", FONT, SIZE, 120)
    assert len(lines) > 5
    assert "".join(lines) == "详见" + token + "。"
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert all(stringWidth(ln, FONT, SIZE) <= 120 + 1e-6 for ln in lines[:-1])
    assert lines[-1][0] != "。"


def test_width_smaller_than_one_glyph_still_progresses():
    lines = break_lines("绿色铝，新材料。", FONT, SIZE, 3)
    assert "".join(lines) == "绿色铝，新材料。"


def test_empty_and_newlines():
    assert break_lines("", FONT, SIZE, 100) == []
    assert break_lines("甲\n\n乙", FONT, SIZE, 100) == ["甲", "", "乙"]
    assert break_lines("甲\r\n乙", FONT, SIZE, 100) == ["甲", "乙"]


def test_huge_text():
    unit = "云南绿色铝产业（电解铝、铝加工）发展迅速，TOPCon电池效率达25.6%。"
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    lines = break_lines(text, FONT, SIZE, 300)
    assert "".join(lines) == text
    assert not check_kinsoku(lines[:-1])


def test_sets_cover_required_marks():
    assert set("，。、；：？！）》」』”’…") <= CANNOT_START
    assert set("（《「『“‘") <= CANNOT_END
    assert re.fullmatch(r"\S+", "".join(sorted(CANNOT_START)))
