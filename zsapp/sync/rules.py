"""Per-field rules for synced values, shared by the office server (refuses a push) and
devices (set a pulled row aside): safe table/field/id names, canonical ASCII timestamps,
sha256 hashes, and values by column type and length. No third-party imports (devices
load this on every sync).

Rules come from the device schema: on the server the bundled db/migrations applied to an
in-memory SQLite (``device_columns``), on a device its own tables. A known column must
get a value of its type (TEXT → text or a number, INTEGER → an integer, REAL → a
number), never a JSON object or array, never null where the column is NOT NULL. Text is
NUL-free and capped: ids 64, names 200, notes 4,000, other text 100,000 characters.
Fields and tables not known (a newer app) are kept within limits: a scalar, or a small
JSON value.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type-only: this module stays free of third-party imports at run time
    from typing_extensions import TypeIs

# Names and ids from a safe pattern (they are used as SQL identifiers on devices and as
# primary-key parts here). ``re.ASCII``-equivalent: pydantic's regex engine treats
# [0-9] and [a-z] as ASCII ranges.
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
DEVICE_PATTERN = r"^[A-Za-z0-9_]{1,64}$"
HLC_PATTERN = r"^[0-9]{16}-[0-9a-f]{4}-[A-Za-z0-9_]{1,64}$"
SHA_PATTERN = r"^[0-9a-f]{64}$"
SPACE_PATTERN = r"^[^\x00-\x1f]{1,120}$"

_HLC_RE = re.compile(HLC_PATTERN, re.ASCII)
_SHA_RE = re.compile(SHA_PATTERN, re.ASCII)

MAX_ID_CHARS = 64
MAX_NAME_CHARS = 200
MAX_NOTE_CHARS = 4000
MAX_TEXT_CHARS = 100_000
MAX_UNKNOWN_JSON = 16_384  # encoded size of a value for a field this version does not know
NAME_FIELDS = {"name", "short_name", "company_name", "template_name", "officer", "name_en"}
NOTE_FIELDS = {"notes", "note"}
SYNC_BOOKKEEPING = {"id", "created_at", "updated_at", "updated_by"}


_NAME_RE = re.compile(NAME_PATTERN, re.ASCII)
_ID_RE = re.compile(ID_PATTERN, re.ASCII)

Columns = dict[str, tuple[str, bool]]


def is_name(text: object) -> TypeIs[str]:
    return isinstance(text, str) and _NAME_RE.fullmatch(text) is not None


_DEVICE_RE = re.compile(DEVICE_PATTERN, re.ASCII)


def is_device_id(text: object) -> bool:
    return isinstance(text, str) and _DEVICE_RE.fullmatch(text) is not None


def is_row_id(text: object) -> TypeIs[str]:
    return isinstance(text, str) and _ID_RE.fullmatch(text) is not None


def is_sha256(text: object) -> bool:
    return isinstance(text, str) and _SHA_RE.fullmatch(text) is not None


def is_hlc(text: object) -> bool:
    return isinstance(text, str) and _HLC_RE.fullmatch(text) is not None


# -- per-field rules --------------------------------------------------------------------


@functools.cache
def device_columns() -> dict[str, dict[str, tuple[str, bool]]]:
    """{table: {column: (affinity, not_null)}} of every synced device table, from the
    bundled migrations applied to an in-memory database."""
    from zsapp.store import list_migrations

    conn = sqlite3.connect(":memory:")
    try:
        for _number, path in list_migrations():
            conn.executescript(path.read_text(encoding="utf-8"))
        out: dict[str, dict[str, tuple[str, bool]]] = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cols = {
                r[1]: (affinity(r[2]), bool(r[3]))
                for r in conn.execute(f"PRAGMA table_info([{name}])")
            }
            if {"id", "deleted", "updated_at"} <= set(cols):
                out[name] = cols
        return out
    finally:
        conn.close()


def affinity(declared: str) -> str:
    d = (declared or "").upper()
    if "INT" in d:
        return "INTEGER"
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "ANY"


def _text_cap(field: str) -> int:
    if field.endswith("_value"):  # conflict records: a value as JSON text
        return 2 * MAX_TEXT_CHARS + 100
    if field == "id" or field.endswith("_id"):
        return MAX_ID_CHARS
    if field in NAME_FIELDS:
        return MAX_NAME_CHARS
    if field in NOTE_FIELDS:
        return MAX_NOTE_CHARS
    return MAX_TEXT_CHARS


_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def field_problem(
    table: str, field: str, value: Any, columns: Columns | bool | None = True
) -> str | None:
    """Why ``value`` may not be stored in ``table.field`` (Chinese), or None.
    ``columns``: the table's columns ({name: (affinity, not_null)}); True: look them up
    in the bundled device schema; None: a table this version does not know."""
    cols = device_columns().get(table) if columns is True else columns
    column = cols.get(field) if cols else None
    if isinstance(value, str):
        if "\x00" in value:
            return f"{table}.{field} 含有空字符（NUL）"
        if column is None and len(value) > MAX_UNKNOWN_JSON:
            return f"{table}.{field} 过长"
        if len(value) > _text_cap(field):
            return f"{table}.{field} 过长（最多 {_text_cap(field)} 字）"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{table}.{field} 不是有效数值"
    elif (
        isinstance(value, int) and not isinstance(value, bool) and not _INT_MIN <= value <= _INT_MAX
    ):
        return f"{table}.{field} 数值超出范围"
    if column is None:
        if isinstance(value, (dict, list)):
            encoded = json.dumps(value, ensure_ascii=False)
            if len(encoded) > MAX_UNKNOWN_JSON or "\\u0000" in encoded:
                return f"{table}.{field} 过大"
        return None
    affinity, not_null = column
    if field == "sha256" and table == "attachments" and value != "" and not is_sha256(value):
        return "attachments.sha256 应为 64 位小写十六进制"
    if value is None:
        return f"{table}.{field} 不能为空" if not_null else None
    if isinstance(value, (dict, list)):
        return f"{table}.{field} 类型不正确（不能是对象或列表）"
    # Numeric columns take numbers (SQLite keeps 1.5 in an INTEGER column as it is) and
    # text that SQLite itself would read as a number or leave empty; never other text.
    if affinity in ("INTEGER", "REAL") and isinstance(value, str) and not _numeric(value):
        return f"{table}.{field} 应为数值"
    return None


def _numeric(text: str) -> bool:
    if text.strip() == "":
        return True
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
