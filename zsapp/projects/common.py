"""Shared bits of the 招商项目 domain: errors, money and decimal parsing, dates, regions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from zsapp import regions
from zsapp.store import StoreError

WAN_PER_YI = 10000
BIG_PROJECT_WAN = 10 * WAN_PER_YI  # 10 亿元
CATEGORIES = ("产业类", "房地产", "基础设施", "金融类")
INVESTOR_ROLES = ("意向", "签约主体")

# Project code prefixes per 州市 (GB/T 2260 code → two letters); "YN" for province-level.
CODE_PREFIXES: dict[str, str] = {
    "530100": "KM",
    "530300": "QJ",
    "530400": "YX",
    "530500": "BS",
    "530600": "ZT",
    "530700": "LJ",
    "530800": "PE",
    "530900": "LC",
    "532300": "CX",
    "532500": "HH",
    "532600": "WS",
    "532800": "BN",
    "532900": "DL",
    "533100": "DH",
    "533300": "NJ",
    "533400": "DQ",
}
PROVINCE_PREFIX = "YN"


class ProjectError(StoreError):
    """A problem with a project the user can fix (message in Chinese)."""


class ProjectNotFound(ProjectError):
    pass


def today() -> dt.date:
    return dt.date.today()


def parse_date(text: str | dt.date | None, what: str = "日期") -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError as exc:
        raise ProjectError(f"{what}“{text}”格式不正确，应为 YYYY-MM-DD") from exc


def parse_month(text: str) -> str:
    raw = (text or "").strip()
    try:
        value = dt.date.fromisoformat(raw + "-01")
    except ValueError as exc:
        raise ProjectError(f"月份“{text}”格式不正确，应为 YYYY-MM（如 2026-10）") from exc
    return value.strftime("%Y-%m")


def parse_decimal(
    text: Any, what: str, *, allow_blank: bool = True, places: int = 4
) -> Decimal | None:
    """A non-negative decimal from user text (全角 digits and 千分位 commas accepted)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        if allow_blank:
            return None
        raise ProjectError(f"请填写{what}")
    if isinstance(text, float):
        raise ProjectError(f"{what}不能用浮点数传入")  # programming error guard: keep money exact
    raw = str(text).strip().replace(",", "").replace("，", "")
    raw = raw.translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ProjectError(f"{what}“{text}”不是有效的数字") from exc
    if not value.is_finite() or value < 0:
        raise ProjectError(f"{what}必须是不小于 0 的数字")
    if -value.as_tuple().exponent > places:  # type: ignore[operator]
        raise ProjectError(f"{what}最多保留 {places} 位小数")
    return value


def yi_to_wan(text: Any, what: str = "总投资") -> int | None:
    """亿元 (decimal text) → integer 万元; refuses amounts finer than 1 万元."""
    for suffix in ("亿元", "亿"):
        if isinstance(text, str) and text.strip().endswith(suffix):
            text = text.strip()[: -len(suffix)]
    value = parse_decimal(text, what)
    if value is None:
        return None
    wan = value * WAN_PER_YI
    if wan != wan.to_integral_value():
        raise ProjectError(f"{what}最小单位为 1 万元（亿元最多 4 位小数）")
    return int(wan)


def wan_to_yi_text(wan: int | None) -> str:
    if wan is None:
        return ""
    value = (Decimal(wan) / WAN_PER_YI).normalize()
    text = format(value, "f")
    return text


def decimal_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def json_dict(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def prefecture(code_or_name: str) -> dict[str, Any] | None:
    """Find a 州市 by GB/T 2260 code, full name or short name (昆明 / 昆明市 / 530100)."""
    key = (code_or_name or "").strip()
    if not key:
        return None
    for p in regions.prefectures():
        if key in (p["code"], p["name"], p.get("short", "")) or p["name"].startswith(key):
            return p
    for code, prefix in CODE_PREFIXES.items():
        if key.upper() == prefix:
            return next(p for p in regions.prefectures() if p["code"] == code)
    return None


def prefecture_name(code: str) -> str:
    p = prefecture(code) if code else None
    return p["name"] if p else ""


def county(prefecture_code: str, code_or_name: str) -> dict[str, Any] | None:
    key = (code_or_name or "").strip()
    if not key:
        return None
    for c in regions.counties(prefecture_code):
        if key in (c["code"], c["name"]) or c["name"].startswith(key):
            return c
    return None


def county_name(code: str) -> str:
    if not code:
        return ""
    for c in regions.counties(code[:4] + "00"):
        if c["code"] == code:
            return c["name"]
    return ""


def hlc_date(hlc: str) -> str:
    """The calendar date (local time) of an HLC timestamp text."""
    try:
        ms = int(hlc.split("-", 1)[0])
    except (ValueError, AttributeError):
        return ""
    return dt.datetime.fromtimestamp(ms / 1000).date().isoformat()
