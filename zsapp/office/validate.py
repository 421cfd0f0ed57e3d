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

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from zsapp.office.common import OfficeError
from zsapp.sync.rules import (  # noqa: F401  (re-exported for callers)
    DEVICE_PATTERN,
    HLC_PATTERN,
    ID_PATTERN,
    NAME_PATTERN,
    SHA_PATTERN,
    SPACE_PATTERN,
    SYNC_BOOKKEEPING,
    device_columns,
    field_problem,
    is_hlc,
    is_sha256,
)

MAX_SEQ = 2**62
MAX_BATCH_OPS = 5000
MAX_PULL_LIMIT = 50000
MAX_CURSORS = 2000
MAX_HASHES = 10000

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
RowId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Hlc = Annotated[str, StringConstraints(pattern=HLC_PATTERN)]
Sha = Annotated[str, StringConstraints(pattern=SHA_PATTERN)]
Seq = Annotated[int, Field(strict=True, ge=0, le=MAX_SEQ)]
Count = Annotated[int, Field(strict=True, ge=0, le=2**31)]
Space = Annotated[str, StringConstraints(pattern=SPACE_PATTERN)]


class ValidationFailed(OfficeError):
    """422. ``seq``: the one op of a push batch that was refused (the device sets it
    aside and sends the rest), when the refusal is about a single op."""

    status = 422

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


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
        raise ValidationFailed(_describe(exc), seq=_op_seq(exc, data)) from None


def _op_seq(exc: ValidationError, data: dict) -> int | None:
    """The ``seq`` of the op an error is about (when it names a well-numbered op)."""
    loc = exc.errors(include_url=False)[0].get("loc", ())
    ops = data.get("ops")
    if len(loc) >= 3 and loc[0] == "ops" and isinstance(loc[1], int) and isinstance(ops, list):
        seq = ops[loc[1]].get("seq") if isinstance(ops[loc[1]], dict) else None
        if isinstance(seq, int) and not isinstance(seq, bool) and loc[2] != "seq":
            return seq
    return None


def check_text(data: Any) -> None:
    """Refuse lone surrogates anywhere in decoded JSON (they cannot be stored as UTF-8)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed("请求内容含有无效的字符（孤立的代理项）") from None
    except (ValueError, RecursionError):
        raise ValidationFailed("请求内容嵌套过深或数值无效") from None


def check_op_value(op: Op) -> None:
    if op.f in SYNC_BOOKKEEPING:
        raise ValidationFailed(f"字段 {op.t}.{op.f} 由同步自动维护，不能直接修改", seq=op.seq)
    problem = field_problem(op.t, op.f, op.v)
    if problem:
        raise ValidationFailed(f"第 {op.seq} 号修改被拒绝：{problem}", seq=op.seq)
