"""Font registration, glyph coverage and fallback fonts for the brochure.

The primary face is the bundled WenQuanYi Micro Hei (TrueType outlines, so
reportlab can embed it as a subset with a ToUnicode map).  It covers GB2312/GBK
but not the rarer CJK extension blocks.  Characters it lacks are resolved, per
character, against optional fallback TrueType fonts found on the system
(``DroidSansFallbackFull.ttf``, HanaMin, BabelStone Han, SimSun-ExtB …, or any
path listed in ``ZSAPP_FALLBACK_FONTS``).  A character no font covers is never
printed as a silent blank: the renderer substitutes a visible ``[U+XXXX]``
marker and reports it.
"""

from __future__ import annotations

import os
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

PRIMARY_FONT = "ZsWqyMicroHei"
PRIMARY_FILE = "wqy-microhei.ttc"

# Known fallback faces, best first: (file name, subfont index).  Only fonts
# with TrueType (glyf) outlines are usable by reportlab; CFF fonts are skipped.
FALLBACK_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("HanaMinA.ttf", 0),
    ("HanaMinB.ttf", 0),
    ("BabelStoneHan.ttf", 0),
    ("TH-Tshyn-P0.ttf", 0),
    ("TH-Tshyn-P2.ttf", 0),
    ("DroidSansFallbackFull.ttf", 0),
    ("DroidSansFallback.ttf", 0),
    ("simsunb.ttf", 0),  # Windows: SimSun-ExtB
    ("SimSun-ExtB.ttf", 0),
    ("mingliub.ttc", 0),  # Windows: MingLiU-ExtB
    ("msyh.ttc", 0),
    ("simsun.ttc", 0),
)

FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "~/Library/Fonts",
    r"C:\Windows\Fonts",
)

_lock = threading.Lock()
_registered: set[str] = set()
_fallbacks: list[_Fallback] | None = None


class FontError(RuntimeError):
    """The bundled primary font cannot be found or loaded."""


@dataclass
class _Fallback:
    name: str
    path: str
    subfont: int
    cmap: frozenset[int]


def primary_font_path() -> Path:
    """Locate the bundled WQY Micro Hei collection."""
    candidates: list[Path] = []
    env = os.environ.get("ZSAPP_FONT_DIR")
    if env:
        candidates.append(Path(env) / PRIMARY_FILE)
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / "resources" / "fonts" / PRIMARY_FILE)
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "fonts" / PRIMARY_FILE)
    candidates.append(Path("/usr/share/fonts/truetype/wqy") / PRIMARY_FILE)
    for c in candidates:
        if c.is_file():
            return c
    raise FontError(
        "找不到内置字体文件 " + PRIMARY_FILE + "（已查找：" + "；".join(map(str, candidates)) + "）"
    )


def register_fonts() -> str:
    """Register the primary font with reportlab (idempotent); return its name."""
    with _lock:
        if PRIMARY_FONT not in _registered:
            path = primary_font_path()
            try:
                pdfmetrics.registerFont(TTFont(PRIMARY_FONT, str(path), subfontIndex=0))
            except Exception as exc:  # pragma: no cover - broken install
                raise FontError(f"无法加载内置字体 {path}：{exc}") from exc
            _registered.add(PRIMARY_FONT)
    return PRIMARY_FONT


def _primary_cmap() -> dict[int, int]:
    register_fonts()
    font = cast(TTFont, pdfmetrics.getFont(PRIMARY_FONT))  # registered as a TTFont above
    return font.face.charToGlyph


def is_renderable_control(ch: str) -> bool:
    """Whitespace and control/format characters are never reported as missing."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def has_glyph(ch: str) -> bool:
    """True if the primary font has a real glyph for ``ch``."""
    return _primary_cmap().get(ord(ch), 0) != 0


def missing_glyphs(text: str) -> list[str]:
    """Distinct characters of ``text`` (in order of appearance) the primary font lacks."""
    cmap = _primary_cmap()
    seen: set[str] = set()
    out: list[str] = []
    for ch in text:
        if ch in seen:
            continue
        seen.add(ch)
        if cmap.get(ord(ch), 0) == 0 and not is_renderable_control(ch):
            out.append(ch)
    return out


def codepoint_label(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _candidate_paths() -> list[tuple[str, int]]:
    extra = [p for p in os.environ.get("ZSAPP_FALLBACK_FONTS", "").split(os.pathsep) if p]
    found: list[tuple[str, int]] = [(p, 0) for p in extra if os.path.isfile(p)]
    wanted = {name.lower(): (rank, sub) for rank, (name, sub) in enumerate(FALLBACK_CANDIDATES)}
    hits: list[tuple[int, str, int]] = []
    for d in FONT_DIRS:
        root = os.path.expanduser(d)
        if not os.path.isdir(root):
            continue
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                key = f.lower()
                if key in wanted:
                    rank, sub = wanted[key]
                    hits.append((rank, os.path.join(dirpath, f), sub))
    hits.sort()
    seen = {p for p, _ in found}
    for _rank, path, sub in hits:
        if path not in seen:
            seen.add(path)
            found.append((path, sub))
    return found


def _load_fallbacks() -> list[_Fallback]:
    global _fallbacks
    with _lock:
        if _fallbacks is not None:
            return _fallbacks
        from fontTools.ttLib import TTCollection
        from fontTools.ttLib import TTFont as FTFont

        result: list[_Fallback] = []
        for i, (path, sub) in enumerate(_candidate_paths()):
            try:
                if path.lower().endswith((".ttc", ".otc")):
                    with TTCollection(path, lazy=True) as coll:
                        face = coll.fonts[sub]
                        glyf = "glyf" in face
                        cmap = frozenset(face.getBestCmap() or {}) if glyf else frozenset()
                else:
                    with FTFont(path, lazy=True) as face:
                        glyf = "glyf" in face
                        cmap = frozenset(face.getBestCmap() or {}) if glyf else frozenset()
                if not glyf:
                    continue  # CFF outlines: reportlab cannot embed them
            except Exception:
                continue
            if cmap:
                result.append(_Fallback(f"ZsFallback{i}", path, sub, cmap))
        _fallbacks = result
        return result


def fallback_fonts() -> list[str]:
    """Paths of the usable fallback fonts found on this machine (may be empty)."""
    return [f.path for f in _load_fallbacks()]


def fallback_for(ch: str) -> str | None:
    """Name of a registered fallback font that covers ``ch`` (registering it lazily), or None."""
    cp = ord(ch)
    for fb in _load_fallbacks():
        if cp in fb.cmap:
            with _lock:
                if fb.name not in _registered:
                    try:
                        pdfmetrics.registerFont(TTFont(fb.name, fb.path, subfontIndex=fb.subfont))
                    except Exception:
                        fb.cmap = frozenset()
                        continue
                    _registered.add(fb.name)
            return fb.name
    return None


def font_path(font_name: str) -> str:
    """File path of a registered font name (for reports)."""
    for fb in _load_fallbacks() if font_name != PRIMARY_FONT else []:
        if fb.name == font_name:
            return fb.path
    return str(primary_font_path())


class GlyphResolver:
    """Per-character font choice and width cache for one render."""

    def __init__(self, use_fallback: bool = True) -> None:
        self.primary = register_fonts()
        self.use_fallback = use_fallback
        self._cmap = _primary_cmap()
        self._font: dict[str, str | None] = {}
        self._w: dict[str, float] = {}

    def font_for(self, ch: str) -> str | None:
        f = self._font.get(ch, "")
        if f != "":
            return f
        if self._cmap.get(ord(ch), 0) != 0 or is_renderable_control(ch):
            f = self.primary
        elif self.use_fallback:
            f = fallback_for(ch)
        else:
            f = None
        self._font[ch] = f
        return f

    def char_width(self, ch: str) -> float:
        """Advance width at size 1."""
        w = self._w.get(ch)
        if w is None:
            font = self.font_for(ch) or self.primary
            w = pdfmetrics.stringWidth(ch, font, 1000.0) / 1000.0
            self._w[ch] = w
        return w

    def width(self, text: str, size: float) -> float:
        cw = self.char_width
        return sum(cw(c) for c in text) * size

    def runs(self, text: str) -> list[tuple[str, str]]:
        """Split ``text`` into (font name, text) runs; unrenderable chars must be substituted first."""
        out: list[tuple[str, str]] = []
        cur_font: str | None = None
        buf: list[str] = []
        for ch in text:
            f = self.font_for(ch) or self.primary
            if f != cur_font and buf:
                out.append((cur_font or self.primary, "".join(buf)))
                buf = []
            cur_font = f
            buf.append(ch)
        if buf:
            out.append((cur_font or self.primary, "".join(buf)))
        return out

    def substitute(self, text: str) -> str:
        """Replace characters no available font covers by a visible ``[U+XXXX]`` marker."""
        if all(self.font_for(c) is not None for c in text):
            return text
        return "".join(
            c if self.font_for(c) is not None else f"[{codepoint_label(c)}]" for c in text
        )
