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


# An extension written after the number: "转8001", "分机 8001", "ext. 8001", "x8001", "#8001",
# ";ext=8001" (RFC 3966), or a trailing "-8001" after a complete fixed-line number.
_EXTENSION = re.compile(
    r"\s*(?:转|分机号?|ext\.?|extn\.?|x|#|;\s*ext=|,)\s*(\d{1,6})\s*$", re.IGNORECASE
)
_DASH_EXTENSION = re.compile(r"^(.*\d)\s*[-－—]\s*(\d{1,6})$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?e\+?\d{1,2}$", re.IGNORECASE)
EXTENSION_MARK = ";ext="


def _parse_number(text: str):
    """A valid phonenumbers number or None: China by default, then the same digits as an
    international number ("(852) 9123 4567", "852-9123-4567")."""
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return number
    digits = re.sub(r"\D", "", text)
    if digits and not text.lstrip().startswith(("+", "0")):
        try:
            other = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            other = None
        if other is not None and other.country_code != 86 and phonenumbers.is_valid_number(other):
            return other
    return None


def normalise_phone(raw: str | None, label: str = "电话") -> str:
    """E.164 for a valid number (China by default, international allowed: +852…, (852) …,
    0086…), with its extension kept as ``;ext=8001``; '' for blank."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    text = re.sub(r"^tel:", "", text, flags=re.IGNORECASE).strip()
    if not text:
        return ""
    if _SCIENTIFIC.match(text):  # a phone cell stored as a double: 1.3911112222E10
        with contextlib.suppress(InvalidOperation, ValueError):
            text = str(int(Decimal(text)))
    extension = ""
    match = _EXTENSION.search(text)
    if match and re.search(r"\d", text[: match.start()]):
        text, extension = text[: match.start()], match[1]
    number = _parse_number(text)
    if number is None and not extension:
        dash = _DASH_EXTENSION.match(text)
        if dash:
            head = _parse_number(dash[1])
            if head is not None and phonenumbers.number_type(head) in (
                phonenumbers.PhoneNumberType.FIXED_LINE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                phonenumbers.PhoneNumberType.TOLL_FREE,
                phonenumbers.PhoneNumberType.UAN,
            ):
                number, extension = head, dash[2]
    if number is None:
        try:
            phonenumbers.parse(text, "CN")
        except phonenumbers.NumberParseException as exc:
            raise ContactsError(f"{label}“{raw}”无法识别为电话号码") from exc
        raise ContactsError(f"{label}“{raw}”不是有效号码，请检查位数和区号")
    extension = extension or (number.extension or "")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(_MOBILE) < 50_000:  # spare is_mobile_number a second parse (bulk imports)
        _MOBILE[e164] = phonenumbers.number_type(number) in _MOBILE_TYPES
    return f"{e164}{EXTENSION_MARK}{extension}" if extension else e164


def split_extension(value: str) -> tuple[str, str]:
    """("+8687163123456", "8001") from a stored "+8687163123456;ext=8001"."""
    number, _, extension = (value or "").partition(EXTENSION_MARK)
    return number, extension


_MOBILE: dict[str, bool] = {}
_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def is_mobile_number(value: str) -> bool:
    """True for a number that can only be (or may be) a mobile phone."""
    number, extension = split_extension(value)
    if extension or not number:
        return False
    known = _MOBILE.get(number)
    if known is not None:
        return known
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def display_phone(e164: str, *, international: bool = False) -> str:
    """How the app shows a stored (E.164) number: national for China ('138 0013 8000'),
    international otherwise; ``international=True`` always international ('+86 138 0013
    8000', for papers given to investors). Kept as is when it does not parse."""
    if not e164:
        return ""
    e164, extension = split_extension(e164)
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86 and not international
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    text = phonenumbers.format_number(number, fmt)
    return f"{text} 转 {extension}" if extension else text


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
