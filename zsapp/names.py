"""Person names: the one way the app splits a name into family and given name (vCards
written by the contacts export and by the brochure's officer QR code)."""

from __future__ import annotations

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "令狐",
        "慕容",
        "尉迟",
        "长孙",
        "夏侯",
        "公孙",
        "轩辕",
        "司徒",
        "司空",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "宇文",
        "呼延",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "太叔",
        "申屠",
        "钟离",
        "拓跋",
        "百里",
        "东郭",
        "北堂",
        "第五",
    ]
)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def split_chinese_name(name: str) -> tuple[str, str]:
    """(family, given). Chinese: the first character, or a compound surname such as 欧阳
    (呼延庆 → 呼延, 庆) when a given name follows; names with · (阿卜杜·热合曼) are kept
    whole as the given name; Latin names: the last word is the family name."""
    name = (name or "").strip()
    if not name:
        return "", ""
    if "·" in name or "•" in name:
        return "", name
    if not _is_han(name[0]):
        parts = name.split()
        return (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (name, "")
    name = "".join(name.split())
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[0], name[1:]
