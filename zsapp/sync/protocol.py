"""Wire format shared by the device client and the office server (see docs/sync.md).

JSON bodies, gzip-compressed both ways. Every request carries the protocol version and
the app version in headers; each side refuses a peer older than its minimum with a clear
"请升级到 x.y" message instead of exchanging data it may misread.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

PROTOCOL_VERSION = 1
# Oldest peer protocol each side still talks to.
MIN_CLIENT_PROTOCOL = 1
MIN_SERVER_PROTOCOL = 1
# App version to tell users to upgrade to when their protocol is too old.
MIN_CLIENT_APP_VERSION = "0.1"

HEADER_PROTOCOL = "X-Zsapp-Protocol"
HEADER_APP = "X-Zsapp-App"
HEADER_DEVICE = "X-Zsapp-Device"

PROVINCE_SPACE = "province"
PUSH_BATCH_OPS = 1000
# Upper bound of one push batch's JSON (the server refuses bodies over 16 MB).
PUSH_BATCH_BYTES = 4 * 1024 * 1024
PULL_PAGE_ROWS = 10000

# Tables that are never synced even if they carry the sync columns (local-only state).
LOCAL_ONLY_TABLES: set[str] = set()
# Province-wide directory: every device sees and may edit these.
PROVINCE_TABLES: set[str] = {"companies", "company_items"}
# Office-owned: visible to all, written only by the province role.
OFFICE_TABLES: set[str] = {"parks", "admission_thresholds"}
# Conflicts live in the space of the record they are about.
CONFLICTS_TABLE = "sync_conflicts"
# Merges: a non-empty value in this field means the row was merged into that row id.
MERGE_FIELD = "merged_into"
MERGE_TABLES = ("companies", "people")


# Records shared with another unit (device table ``record_shares``: tbl, row_id, unit).
SHARES_TABLE = "record_shares"
SHARED_PREFIX = "shared:"


def unit_space(unit: str) -> str:
    return f"unit:{unit}"


def unit_key(unit: str) -> str:
    """One spelling per 州市: "大理州", "大理" and "大理白族自治州" all give the prefecture
    code; a unit that is not a 州市 (e.g. 省招商办) is kept as typed."""
    unit = (unit or "").strip()
    from zsapp.projects.common import prefecture

    for key in (unit, unit[:-1] if unit.endswith(("市", "州")) else ""):
        found = prefecture(key) if key else None
        if found:
            return found["code"]
    return unit


def shared_space(unit: str) -> str:
    return SHARED_PREFIX + unit_key(unit)


def dumps(data: Any) -> bytes:
    return gzip.compress(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), compresslevel=5
    )


def loads(body: bytes, encoding: str | None = "gzip") -> Any:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return json.loads(body.decode("utf-8")) if body else None


def field_hash(table: str, row_id: str, field: str, hlc: str) -> int:
    """Contribution of one field version to a space checksum (sum mod 2**62)."""
    digest = hashlib.blake2b(
        f"{table}\x1f{row_id}\x1f{field}\x1f{hlc}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") >> 2


CHECKSUM_MOD = 2**62


def hlc_wall_ms(hlc: str) -> int:
    return int(hlc.split("-", 1)[0])


def hlc_node(hlc: str) -> str:
    return hlc.split("-", 2)[2]


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())
