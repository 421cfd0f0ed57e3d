"""Field validation shared by the contacts core, import and the UI: 统一社会信用代码
(GB 32100-2015), phone numbers, e-mail, money in 万元, flags, tags, dates."""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from zsapp.store import RecordNotFound, StoreError


def resolve_reference(store, table: str, ref: str, noun: str, measure: str) -> str:
    """A live record's id from its full id, an exact name, or a unique id prefix (≥ 6)."""
    ref = (ref or "").strip()
    if not ref:
        raise ContactsError(f"请指定{noun}")
    if store.scalar(f"SELECT 1 FROM [{table}] WHERE id = ? AND deleted = 0", (ref,)):
        return ref
    rows = store.query(f"SELECT id FROM [{table}] WHERE name = ? AND deleted = 0 LIMIT 2", (ref,))
    if len(rows) == 1:
        return rows[0]["id"]
    if len(ref) >= 6 and re.fullmatch(r"[0-9a-f-]+", ref):
        rows = store.query(
            f"SELECT id FROM [{table}] WHERE id LIKE ? AND deleted = 0 LIMIT 2", (ref + "%",)
        )
        if len(rows) == 1:
            return rows[0]["id"]
    if len(rows) > 1:
        raise ContactsError(f"“{ref}”对应多{measure}{noun}，请使用 id")
    raise RecordNotFound(f"找不到{noun}“{ref}”")


class ContactsError(StoreError):
    """Bad input for a company, person, visit or import, with a Chinese message."""


# GB 32100-2015: 31 characters (no I, O, Z, S, V), weights 3^i mod 31, check character.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=False))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalise_uscc(raw: str | None) -> str:
    """Upper-case, half-width, no spaces or dashes; '' for blank. Raises on a bad code."""
    code = unicodedata.normalize("NFKC", raw or "").upper()
    code = re.sub(r"[\s\-－—]", "", code)
    if not code:
        return ""
    if len(code) != 18:
        raise ContactsError(f"统一社会信用代码“{raw}”应为 18 位，实际为 {len(code)} 位")
    bad = sorted({c for c in code if c not in USCC_CHARSET})
    if bad:
        raise ContactsError(
            f"统一社会信用代码“{raw}”含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ContactsError(
            f"统一社会信用代码“{raw}”校验位错误：第 18 位应为 {expected}，实际为 {code[17]}，请核对是否抄错"
        )
    return code


def normalise_phone(raw: str | None, label: str = "电话") -> str:
    """E.164 for a valid number (China by default, +xx international allowed); '' for blank."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ContactsError(f"{label}“{raw}”无法识别为电话号码") from exc
    if not phonenumbers.is_valid_number(number):
        raise ContactsError(f"{label}“{raw}”不是有效号码，请检查位数和区号")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str, *, international: bool = False) -> str:
    """How the app shows a stored (E.164) number: national for China ('138 0013 8000'),
    international otherwise; ``international=True`` always international ('+86 138 0013
    8000', for papers given to investors). Kept as is when it does not parse."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86 and not international
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str | None) -> str:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if text and not _EMAIL.match(text):
        raise ContactsError(f"电子邮箱“{raw}”格式不正确")
    return text


_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "✓", "对", "x"}
_FALSE = {"0", "false", "no", "n", "否", "无", "", "不是", "-"}


def parse_flag(value: Any, label: str = "标记") -> int:
    if isinstance(value, (bool, int)):
        return int(bool(value))
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise ContactsError(f"{label}“{value}”应为 是/否")


def parse_wan(value: Any, label: str = "营收") -> int | None:
    """Money in 万元 as an integer: '12000', '1.2亿', '3,500万', '5000万元'. Never float."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    factor = Decimal(1)
    for suffix, f in (
        ("亿元", 10000),
        ("亿", 10000),
        ("万元", 1),
        ("万", 1),
        ("元", Decimal("0.0001")),
    ):
        if text.endswith(suffix):
            text, factor = text[: -len(suffix)].strip(), Decimal(f)
            break
    try:
        amount = Decimal(text) * factor
    except InvalidOperation as exc:
        raise ContactsError(f"{label}“{value}”不是数字（单位：万元）") from exc
    if amount < 0:
        raise ContactsError(f"{label}不能为负数")
    return int(amount.to_integral_value())


def parse_int(value: Any, label: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if text.endswith("人"):
        text = text[:-1]
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ContactsError(f"{label}“{value}”不是整数") from exc
    if number != number.to_integral_value() or number < 0:
        raise ContactsError(f"{label}“{value}”应为非负整数")
    return int(number)


def parse_tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            with contextlib.suppress(ValueError):
                value = json.loads(stripped)
    if isinstance(value, str):
        value = re.split(r"[,，;；、\s]+", value)
    tags: list[str] = []
    for tag in value:
        tag = str(tag).strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def tags_json(tags: Iterable[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


def parse_date(value: Any, label: str = "日期") -> str:
    """'YYYY-MM-DD' from a date, datetime, '2025/3/7', '2025.3.7', '2025年3月7日'; '' for blank."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        raise ContactsError(f"{label}“{value}”格式不正确，应为 YYYY-MM-DD")
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError as exc:
        raise ContactsError(f"{label}“{value}”不是有效日期") from exc


def parse_datetime(value: Any, label: str = "拜访时间") -> str:
    """'YYYY-MM-DDTHH:MM' from a datetime or text ('2025-03-07 14:30', '2025-03-07' → 09:00)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise ContactsError(f"{label}不能为空")
    m = re.fullmatch(r"(.+?)(?:[T\s]+(\d{1,2}):(\d{2})(?::\d{2})?)?", text)
    day = parse_date(m[1] if m else text, label)
    hour, minute = (int(m[2]), int(m[3])) if m and m[2] else (9, 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ContactsError(f"{label}“{value}”时间不正确")
    return f"{day}T{hour:02d}:{minute:02d}"


def require_choice(value: Any, choices: Iterable[str], label: str) -> str:
    text = str(value or "").strip()
    options = list(choices)
    if text not in options:
        raise ContactsError(
            f"{label}“{value}”无效，可选：{'、'.join(o for o in options if o) or '（空）'}"
        )
    return text
