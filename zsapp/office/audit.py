"""Append-only, tamper-evident audit log of the office server (GB/T 22239 等保 2.0 level 3).

Every admin action, enrollment, revoke, staff sign-in and refused request is one entry:
time, subject (``actor``), action, object (``target``), result and a JSON ``detail``.
Entries form a hash chain: each stores the hash of the one before it and its own hash
over all of its fields, so editing, deleting or reordering any entry breaks the chain
from that entry on (``verify_chain``). A one-row head table holds the id and hash of the
newest entry: it serialises writers (the row is locked for the rest of the writer's
transaction) and makes cutting entries off the end detectable too.

Nothing here deletes entries; the log is kept for as long as the office database is
(the standard asks for at least 6 months).

Use ``record(conn, ...)`` inside the caller's transaction: the entry commits or rolls
back with the work it describes. A refused request is recorded in a transaction of its
own, after the refused work was rolled back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.office.schema import metadata

GENESIS = "0" * 64
# Field length caps: a hostile request cannot inflate the log through its entries.
MAX_ACTOR = 200
MAX_ACTION = 80
MAX_TARGET = 300
MAX_RESULT = 40
MAX_DETAIL = 4000

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("action", sa.String(MAX_ACTION), nullable=False),
    sa.Column("target", sa.String(MAX_TARGET), nullable=False, server_default=""),
    sa.Column("result", sa.String(MAX_RESULT), nullable=False, server_default="ok"),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("audit_log_at", "at"),
)

# One row (id = 1): the newest entry's id and hash. Locked by every writer.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)


def create(conn: Connection) -> None:
    """Create the tables if missing (migration ``_v3_hardening``)."""
    audit_log.create(conn, checkfirst=True)
    audit_head.create(conn, checkfirst=True)
    if conn.execute(sa.select(audit_head.c.id)).first() is None:
        conn.execute(sa.insert(audit_head).values(id=1, last_id=0, last_hash=GENESIS))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _clean(text: str, limit: int) -> str:
    """Text as stored: at most ``limit`` characters, no NUL, no lone surrogates (so
    PostgreSQL accepts it and the hash input is well-defined UTF-8)."""
    text = str(text).replace("\x00", "\ufffd")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def _detail_json(detail: dict | None) -> str:
    text = json.dumps(
        detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    text = _clean(text, 10 * MAX_DETAIL)
    if len(text) > MAX_DETAIL:
        text = json.dumps({"truncated": text[:MAX_DETAIL]}, ensure_ascii=False)
    return text


def entry_hash(
    entry_id: int,
    at: str,
    actor: str,
    action: str,
    target: str,
    result: str,
    detail: str,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [entry_id, at, actor, action, target, result, detail, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_head(conn: Connection) -> sa.Row | None:
    return conn.execute(sa.select(audit_head).where(audit_head.c.id == 1).with_for_update()).first()


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    target: str = "",
    result: str = "ok",
    detail: dict | None = None,
) -> None:
    """Append one entry inside the caller's transaction (commits or rolls back with it)."""
    head = _lock_head(conn)
    if head is None:
        # Normally created with the tables; a database whose head row was removed.
        conn.execute(sa.insert(audit_head).values(id=1, last_id=0, last_hash=GENESIS))
        last_id, prev = 0, GENESIS
        head = _lock_head(conn)
    else:
        last_id, prev = int(head.last_id), head.last_hash
    values: dict[str, Any] = {
        "id": last_id + 1,
        "at": _now(),
        "actor": _clean(actor, MAX_ACTOR),
        "action": _clean(action, MAX_ACTION),
        "target": _clean(target, MAX_TARGET),
        "result": _clean(result, MAX_RESULT),
        "detail": _detail_json(detail),
        "prev_hash": prev,
    }
    values["hash"] = entry_hash(
        values["id"],
        values["at"],
        values["actor"],
        values["action"],
        values["target"],
        values["result"],
        values["detail"],
        prev,
    )
    conn.execute(sa.insert(audit_log).values(**values))
    conn.execute(
        sa.update(audit_head)
        .where(audit_head.c.id == 1)
        .values(last_id=values["id"], last_hash=values["hash"])
    )


def verify_chain(conn: Connection) -> bool | int:
    """``True`` when the whole log is intact, else the id of the first bad entry (an
    edited, inserted or reordered entry, a gap, or a cut-off tail: then the id that is
    missing). Compare with ``is True``: an id is an int."""
    prev, expected_id = GENESIS, 1
    while True:  # pages by id: memory stays flat however long the log is
        page = conn.execute(
            sa.select(audit_log)
            .where(audit_log.c.id >= expected_id)
            .order_by(audit_log.c.id)
            .limit(5000)
        ).all()
        if not page:
            break
        for row in page:
            if row.id != expected_id or row.prev_hash != prev:
                return int(min(row.id, expected_id))
            digest = entry_hash(
                row.id, row.at, row.actor, row.action, row.target, row.result, row.detail, prev
            )
            if digest != row.hash:
                return int(row.id)
            prev, expected_id = row.hash, row.id + 1
    head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).first()
    last_id = expected_id - 1
    if head is None:
        return True if last_id == 0 else 1
    if int(head.last_id) != last_id or head.last_hash != prev:
        return int(min(head.last_id, last_id) + 1)
    return True


def read(
    conn: Connection, since: str | dt.datetime | dt.date | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Entries (oldest first) at or after ``since`` (an ISO date/time or datetime; UTC
    when no zone is given), ``detail`` decoded."""
    q = sa.select(audit_log).order_by(audit_log.c.id)
    if since is not None:
        q = q.where(audit_log.c.at >= _since_text(since))
    if limit is not None:
        q = q.limit(limit)
    out = []
    for row in conn.execute(q):
        item = dict(row._mapping)
        with contextlib.suppress(ValueError):  # an edited entry: shown as stored
            item["detail"] = json.loads(item["detail"])
        out.append(item)
    return out


def _since_text(since: str | dt.datetime | dt.date) -> str:
    if isinstance(since, str):
        text = since.strip()
        try:
            since = dt.datetime.fromisoformat(text)
        except ValueError:
            try:
                since = dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"无法识别的时间“{text}”，请写成 2026-06-01 或 2026-06-01T08:00"
                ) from None
    if not isinstance(since, dt.datetime):
        since = dt.datetime(since.year, since.month, since.day, tzinfo=dt.UTC)
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return since.astimezone(dt.UTC).isoformat(timespec="milliseconds")
