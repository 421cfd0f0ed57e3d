"""English for the bilingual (中英双语) brochure: place names, the officer's name, labels,
and the list of fields still lacking English before generating."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

# Official English names of Yunnan's 州市 (GB/T 2260 codes).
PREFECTURES_EN = {
    "530000": "Yunnan Province",
    "530100": "Kunming",
    "530300": "Qujing",
    "530400": "Yuxi",
    "530500": "Baoshan",
    "530600": "Zhaotong",
    "530700": "Lijiang",
    "530800": "Pu'er",
    "530900": "Lincang",
    "532300": "Chuxiong Yi Autonomous Prefecture",
    "532500": "Honghe Hani and Yi Autonomous Prefecture",
    "532600": "Wenshan Zhuang and Miao Autonomous Prefecture",
    "532800": "Xishuangbanna Dai Autonomous Prefecture",
    "532900": "Dali Bai Autonomous Prefecture",
    "533100": "Dehong Dai and Jingpo Autonomous Prefecture",
    "533300": "Nujiang Lisu Autonomous Prefecture",
    "533400": "Diqing Tibetan Autonomous Prefecture",
}
_SUFFIXES = [
    ("自治县", " Autonomous County"),
    ("市", ""),
    ("县", " County"),
    ("区", " District"),
]
_HAN = re.compile(r"[\u4e00-\u9fff]")


def romanise(text: str) -> str:
    """'安宁' → 'Anning' (Hanyu Pinyin, no tones, one word)."""
    return "".join(lazy_pinyin(text, style=Style.NORMAL)).capitalize()


def person_name_en(name: str) -> str:
    """'张三' → 'Zhang San' (surname first); Latin names are kept."""
    name = (name or "").strip()
    if not name or not _HAN.search(name):
        return name
    syllables = [s.capitalize() for s in lazy_pinyin(name, style=Style.NORMAL)]
    return syllables[0] + (" " + "".join(syllables[1:]).capitalize() if len(syllables) > 1 else "")


def county_en(name: str) -> str:
    for zh, en in _SUFFIXES:
        if name.endswith(zh) and len(name) > len(zh):
            base = name[: -len(zh)]
            if zh == "自治县":  # 峨山彝族自治县 → Eshan
                base = re.sub(r"(.+?)(?:[^族]+族)+$", r"\1", base) or base
            return romanise(base) + en
    return romanise(name)


def place_en(prefecture_code: str, county_name: str = "") -> str:
    """'Anning, Kunming, Yunnan Province'; '' when the 州市 is unknown."""
    pref = PREFECTURES_EN.get(prefecture_code or "")
    if not pref:
        return ""
    parts = [county_en(county_name)] if county_name else []
    parts.append(pref)
    if prefecture_code != "530000":
        parts.append("Yunnan Province")
    return ", ".join(parts)


CONTACT_LABELS_EN = {"联系人": "Contact", "单位": "Organisation", "电话": "Tel", "邮箱": "Email"}
