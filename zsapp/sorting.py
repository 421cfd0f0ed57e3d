"""Pinyin (A–Z) order for Chinese names, as officers expect in lists and pickers.

``pinyin_key('中国铝业')`` → ``'zhong guo lv ye'``-like key (tone-less pinyin, then the
text itself to break ties); Latin letters sort among the pinyin by their letters. The
SQLite collation ``pinyin`` (registered on every connection by the store) gives the same
order in SQL: ``ORDER BY name COLLATE pinyin``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=65536)
def pinyin_key(text: str) -> tuple[str, str]:
    text = text or ""
    # Characters without a reading sort by themselves, one per "syllable" (pypinyin accepts
    # a list from the errors callback; its stubs only say str).
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: list(s.lower()))  # type: ignore[arg-type,return-value]
    return (" ".join(s.lower() for s in syllables), text)


def pinyin_sorted(names: Iterable[str]) -> list[str]:
    return sorted(names, key=pinyin_key)


def collate_pinyin(a: str, b: str) -> int:
    ka, kb = pinyin_key(a or ""), pinyin_key(b or "")
    return (ka > kb) - (ka < kb)
