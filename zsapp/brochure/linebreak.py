"""Chinese/Latin line breaking with 避头尾 (kinsoku) rules.

Pure functions: given text, a width function and the line width, return the
lines.  Rules:

* no line starts with a closing/pause mark (``CANNOT_START``: ，。、；：？！）》」』”’… …);
* no line ends with an opening mark (``CANNOT_END``: （《「『“‘ …);
* runs of Latin letters, digits and their ASCII punctuation ("TOPCon",
  "12.5", "HJT/TOPCon") are never split, unless a single run is wider than
  the whole line (then it is cut by character so nothing overflows);
* a number stays on the same line as the CJK unit right after it ("12.5亿");
* whitespace collapses to one space; spaces at line ends are dropped;
* ``\\n`` is a hard break (an empty paragraph gives an empty line).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

CANNOT_START = frozenset(
    "，。、；：？！）》」』”’…‥〉】〕〗〙〛｝］｠〟．,.;:?!)]}%‰℃°·・～—ー々〆ゝゞヽヾ"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
)
CANNOT_END = frozenset("（《「『“‘〈【〔〖〘〚｛［｟〝([{$￥＄£€")

# chars that keep a run of identical marks together ("——", "……")
_REPEAT_GLUE = frozenset("—…‥")

Measure = Callable[[str], float]


@lru_cache(maxsize=8192)
def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(par: str) -> list[tuple[str, bool]]:
    """Split one paragraph into (token, space_before) pairs."""
    out: list[tuple[str, bool]] = []
    space = False
    buf: list[str] = []  # current Latin/narrow run

    def flush() -> None:
        nonlocal space
        if buf:
            out.append(("".join(buf), space))
            buf.clear()
            space = False

    for ch in par:
        if ch != "\u3000" and ch.isspace():
            flush()
            space = True
            continue
        if _is_wide(ch):
            flush()
            if out and not space and ch in _REPEAT_GLUE and out[-1][0][-1] == ch:
                out[-1] = (out[-1][0] + ch, out[-1][1])
            else:
                out.append((ch, space))
            space = False
        else:
            if buf and (ch in _REPEAT_GLUE or buf[-1] in _REPEAT_GLUE) and buf[-1] != ch:
                # "——" / "……" form their own run, separate from adjacent Latin text
                flush()
            buf.append(ch)
    flush()
    return out


def _clusters(tokens: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Glue tokens that must not be separated by a line break."""
    out: list[list] = []  # [text, space_before]
    for tok, sp in tokens:
        if out:
            prev = out[-1][0]
            glue = (
                tok[0] in CANNOT_START
                or prev[-1] in CANNOT_END
                or (
                    prev[-1].isdigit()
                    and not sp
                    and len(tok) == 1
                    and _is_wide(tok)
                    and tok not in CANNOT_END
                )
            )
            if glue:
                out[-1][0] = (
                    prev
                    + (
                        " "
                        if sp and tok[0] not in CANNOT_START and prev[-1] not in CANNOT_END
                        else ""
                    )
                    + tok
                )
                continue
        out.append([tok, sp])
    return [(t, s) for t, s in out]


def _hard_split(cluster: str, measure: Measure, width: float) -> list[str]:
    """Cut an over-wide cluster by character (at least one char per line)."""
    lines: list[str] = []
    cur = ""
    cur_w = 0.0
    for ch in cluster:
        w = measure(ch)
        if cur and cur_w + w > width:
            lines.append(cur)
            cur, cur_w = "", 0.0
        cur += ch
        cur_w += w
    if cur:
        lines.append(cur)
    # don't leave a forbidden mark at the start of a cut piece if avoidable
    for i in range(1, len(lines)):
        while (
            lines[i] and lines[i][0] in CANNOT_START and len(lines[i - 1]) > 1 and len(lines[i]) > 0
        ):
            moved = lines[i][0]
            lines[i] = lines[i][1:]
            lines[i - 1] = lines[i - 1] + moved
            if not lines[i]:
                break
    return [ln for ln in lines if ln]


def break_paragraph(par: str, measure: Measure, width: float) -> list[str]:
    """Break one paragraph (no newlines) into lines fitting ``width``."""
    clusters = _clusters(_tokens(par))
    if not clusters:
        return [""]
    space_w = measure(" ")
    lines: list[str] = []
    cur: list[str] = []
    cur_w = 0.0
    for text, sp in clusters:
        w = measure(text)
        extra = space_w if (sp and cur) else 0.0
        if cur and cur_w + extra + w <= width + 1e-6:
            if extra:
                cur.append(" ")
            cur.append(text)
            cur_w += extra + w
            continue
        if cur:
            lines.append("".join(cur))
            cur, cur_w = [], 0.0
        if w <= width + 1e-6:
            cur, cur_w = [text], w
        else:
            pieces = _hard_split(text, measure, width)
            lines.extend(pieces[:-1])
            cur, cur_w = [pieces[-1]], measure(pieces[-1])
    if cur:
        lines.append("".join(cur))
    return lines


def break_text(text: str, measure: Measure, width: float) -> list[str]:
    """Break ``text`` (``\\n`` = hard break) into lines with a width function."""
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for par in text.split("\n"):
        out.extend(break_paragraph(par, measure, width))
    return out


def break_lines(text: str, font_name: str, font_size: float, width: float) -> list[str]:
    """Break ``text`` for a reportlab-registered font at ``font_size`` into lines ≤ ``width`` points."""
    from reportlab.pdfbase import pdfmetrics

    cache: dict[str, float] = {}

    def char_w(ch: str) -> float:
        w = cache.get(ch)
        if w is None:
            w = cache[ch] = pdfmetrics.stringWidth(ch, font_name, font_size)
        return w

    def measure(s: str) -> float:
        return sum(char_w(c) for c in s)

    return break_text(text, measure, width)


def check_kinsoku(lines: list[str]) -> list[str]:
    """Return the lines violating 避头尾 (for tests and diagnostics)."""
    bad = []
    for ln in lines:
        s = ln.strip()
        if s and (s[0] in CANNOT_START or s[-1] in CANNOT_END):
            bad.append(ln)
    return bad
