"""Request validation for the office server: a pydantic v2 schema per endpoint, and the
per-field rules by table for pushed values. Everything here runs before any database
work; a refusal is a ``ValidationFailed`` (HTTP 422) with a Chinese message.

Field rules come from the device schema itself (the bundled db/migrations applied to an
in-memory SQLite): a known column must get a value of its type (TEXT → text or a number,
INTEGER → an integer, REAL → a number), never a JSON object or array, never null where
the column is NOT NULL. Text is NUL-free, and capped: ids 64, names 200, notes 4,000,
other text 100,000 characters. Fields and tables this server version does not know (a
newer app) are kept, within limits: a scalar, or a small JSON value.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from zsapp.office.common import OfficeError

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

MAX_SEQ = 2**62
MAX_BATCH_OPS = 5000
MAX_PULL_LIMIT = 50000
MAX_CURSORS = 2000
MAX_HASHES = 10000

MAX_ID_CHARS = 64
MAX_NAME_CHARS = 200
MAX_NOTE_CHARS = 4000
MAX_TEXT_CHARS = 100_000
MAX_UNKNOWN_JSON = 16_384  # encoded size of a value for a field this version does not know
NAME_FIELDS = {"name", "short_name", "company_name", "template_name", "officer", "name_en"}
NOTE_FIELDS = {"notes", "note"}
SYNC_BOOKKEEPING = {"id", "created_at", "updated_at", "updated_by"}

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
RowId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Hlc = Annotated[str, StringConstraints(pattern=HLC_PATTERN)]
Sha = Annotated[str, StringConstraints(pattern=SHA_PATTERN)]
Seq = Annotated[int, Field(strict=True, ge=0, le=MAX_SEQ)]
Count = Annotated[int, Field(strict=True, ge=0, le=2**31)]
Space = Annotated[str, StringConstraints(pattern=SPACE_PATTERN)]


class ValidationFailed(OfficeError):
    status = 422


class PayloadTooLarge(OfficeError):
    status = 413


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class EnrollRequest(_Model):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    device_id: Annotated[str, StringConstraints(pattern=DEVICE_PATTERN)]
    device_name: Annotated[str, StringConstraints(max_length=200)] = ""
    next_seq: Annotated[int, Field(strict=True, ge=1, le=MAX_SEQ)] = 1
    app_version: Annotated[str, StringConstraints(max_length=40)] = ""


class EraseItem(_Model):
    t: Name
    id: RowId


class HelloRequest(_Model):
    now_ms: Annotated[int, Field(strict=True, ge=0, le=MAX_SEQ)] | None = None
    device_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    # issue 14: erasures requested on the device, and where its erasure feed stands
    erase: Annotated[list[EraseItem], Field(max_length=1000)] = []
    erasure_cursor: Annotated[int, Field(strict=True, ge=0, le=MAX_SEQ)] = 0


class Op(_Model):
    seq: Annotated[int, Field(strict=True, ge=1, le=MAX_SEQ)]
    device: Annotated[str, StringConstraints(pattern=DEVICE_PATTERN)]
    t: Name
    id: RowId
    f: Name
    v: Any = None
    h: Hlc
    b: Hlc | None = None
    db: Hlc | None = None
    rb: Annotated[dict[Name, Hlc], Field(max_length=500)] | None = None


class PushRequest(_Model):
    batch_id: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    from_seq: Seq | None = None
    to_seq: Seq | None = None
    ops: Annotated[list[Op], Field(max_length=MAX_BATCH_OPS)] = []


class PullRequest(_Model):
    cursors: Annotated[dict[Space, Seq], Field(max_length=MAX_CURSORS)] = {}
    limit: Annotated[int, Field(strict=True, ge=1, le=MAX_PULL_LIMIT)] | None = None


class DoneRequest(_Model):
    pushed: Count = 0
    pulled: Count = 0
    conflicts: Count = 0
    error: Annotated[str, StringConstraints(max_length=2000)] = ""


class BlobsMissingRequest(_Model):
    hashes: Annotated[list[Sha], Field(max_length=MAX_HASHES)] = []


_FIELD_NAMES_ZH = {
    "code": "登记码",
    "device_id": "设备编号",
    "device_name": "设备名称",
    "next_seq": "起始编号",
    "app_version": "程序版本",
    "batch_id": "批次编号",
    "from_seq": "起始编号",
    "to_seq": "结束编号",
    "ops": "修改列表",
    "seq": "修改编号",
    "device": "设备编号",
    "t": "表名",
    "id": "记录编号",
    "f": "字段名",
    "h": "时间戳",
    "b": "基准版本",
    "db": "删除基准版本",
    "rb": "基准版本表",
    "cursors": "进度游标",
    "limit": "每页条数",
    "pushed": "上传数",
    "pulled": "下载数",
    "conflicts": "冲突数",
    "error": "错误信息",
    "hashes": "文件哈希列表",
    "now_ms": "本机时间",
}


def _describe(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(
        _FIELD_NAMES_ZH.get(str(part), str(part)) if isinstance(part, str) else f"第{part + 1}项"
        for part in err.get("loc", ())
    )
    kind = err.get("type", "")
    if kind == "missing":
        what = "缺少必填项"
    elif kind in ("string_pattern_mismatch",):
        what = "格式不正确"
    elif kind.startswith("too_long") or kind.endswith("too_long") or kind == "string_too_long":
        what = "过长"
    elif kind in ("greater_than_equal", "less_than_equal", "too_short", "string_too_short"):
        what = "超出允许范围"
    elif kind.endswith("_type") or kind in ("model_type", "dict_type", "list_type"):
        what = "类型不正确"
    else:
        what = "不符合要求"
    return f"请求内容不正确：{where or '请求体'}{what}"


def parse(model: type[_Model], data: Any) -> Any:
    """``data`` (decoded JSON) as ``model``, or ``ValidationFailed`` with a Chinese message."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("请求内容不正确：应为 JSON 对象")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(_describe(exc)) from None


def check_text(data: Any) -> None:
    """Refuse lone surrogates anywhere in decoded JSON (they cannot be stored as UTF-8)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed("请求内容含有无效的字符（孤立的代理项）") from None
    except (ValueError, RecursionError):
        raise ValidationFailed("请求内容嵌套过深或数值无效") from None


def is_sha256(text: object) -> bool:
    return isinstance(text, str) and _SHA_RE.match(text) is not None


def is_hlc(text: object) -> bool:
    return isinstance(text, str) and _HLC_RE.match(text) is not None


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
                r[1]: (_affinity(r[2]), bool(r[3]))
                for r in conn.execute(f"PRAGMA table_info([{name}])")
            }
            if {"id", "deleted", "updated_at"} <= set(cols):
                out[name] = cols
        return out
    finally:
        conn.close()


def _affinity(declared: str) -> str:
    d = (declared or "").upper()
    if "INT" in d:
        return "INTEGER"
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "ANY"


def _text_cap(field: str) -> int:
    if field == "id" or field.endswith("_id"):
        return MAX_ID_CHARS
    if field in NAME_FIELDS:
        return MAX_NAME_CHARS
    if field in NOTE_FIELDS:
        return MAX_NOTE_CHARS
    return MAX_TEXT_CHARS


_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def field_problem(table: str, field: str, value: Any) -> str | None:
    """Why ``value`` may not be stored in ``table.field`` (Chinese), or None."""
    cols = device_columns().get(table)
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
    if value is None:
        return f"{table}.{field} 不能为空" if not_null else None
    if isinstance(value, (dict, list)):
        return f"{table}.{field} 类型不正确（不能是对象或列表）"
    if affinity == "INTEGER" and not isinstance(value, int):
        return f"{table}.{field} 应为整数"
    if affinity == "REAL" and not isinstance(value, (int, float)):
        return f"{table}.{field} 应为数值"
    if affinity == "TEXT" and not isinstance(value, (str, int, float)):
        return f"{table}.{field} 应为文字"
    if field == "sha256" and table == "attachments" and value != "" and not is_sha256(value):
        return "attachments.sha256 应为 64 位小写十六进制"
    return None


def check_op_value(op: Op) -> None:
    if op.f in SYNC_BOOKKEEPING:
        raise ValidationFailed(f"字段 {op.t}.{op.f} 由同步自动维护，不能直接修改")
    problem = field_problem(op.t, op.f, op.v)
    if problem:
        raise ValidationFailed(f"第 {op.seq} 号修改被拒绝：{problem}")
