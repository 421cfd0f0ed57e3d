"""Office side of issue 14: device token rotation, lost devices (remote wipe) and erasure
of records on request, kept apart from the sync service so the request handlers only call
in at three points (authenticate, hello, push).

- **Rotation**: a device's token is replaced on its first ``hello`` after
  ``Office.token_rotate_s`` (default a day); the new token is in that answer. The old one
  stays valid for ``Office.token_grace_s`` (default an hour) only, so a lost answer does not
  lock the device out, but a token copied from a database goes stale within a day.
- **Lost device**: revoked at once; as long as it still presents a token it had, every
  request is answered 410 with a wipe order, which the device carries out before pushing.
- **Erasure**: a record (a person, with their employment, visit links, attachments and
  conflicts) is deleted from ``fields``/``records``/``shared_fields``; ``erasures`` keeps
  only table and id, and devices delete their copy when they read that feed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.office import schema as s
from zsapp.sync import protocol as p

TOKEN_ROTATE_S = 24 * 3600
TOKEN_GRACE_S = 3600
ERASURE_FEED_LIMIT = 5000
LOST_DEFAULT_REASON = "设备丢失"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def _errors():
    from zsapp.office.common import ForbiddenError, NotFoundError, OfficeError

    return OfficeError, ForbiddenError, NotFoundError


def device_lost_error(reason: str):
    from zsapp.office.common import OfficeError  # late, like _errors(): avoids an import cycle

    class DeviceLost(OfficeError):
        status = 410

    return DeviceLost(
        f"本设备已被省招商办标记为丢失（{reason}），服务器已撤销其访问权限；"
        "本机数据和密钥将被清除。"
    )


def _security_row(conn: Connection, device_id: str) -> Any:
    return conn.execute(
        sa.select(s.device_security).where(s.device_security.c.device_id == device_id)
    ).first()


def _upsert(conn: Connection, device_id: str, **values: Any) -> None:
    if _security_row(conn, device_id) is None:
        conn.execute(sa.insert(s.device_security).values(device_id=device_id, **values))
    else:
        conn.execute(
            sa.update(s.device_security)
            .where(s.device_security.c.device_id == device_id)
            .values(**values)
        )


# -- authentication hooks -----------------------------------------------------------------
def device_by_previous_token(conn: Connection, hashed: str, select: Any) -> Any:
    """The device row (``select`` as in Office.authenticate) for a token replaced by a
    rotation less than the grace window ago, or a lost device's old token; else None."""
    sec = conn.execute(
        sa.select(s.device_security).where(s.device_security.c.prev_token_hash == hashed)
    ).first()
    if sec is None:
        return None
    if not sec.lost_at and (sec.prev_valid_until or "") <= _iso(_now()):
        return None
    return conn.execute(select.where(s.devices.c.id == sec.device_id)).first()


def check_lost(conn: Connection, device_id: str) -> Exception | None:
    """The wipe order (HTTP 410) to answer if ``device_id`` was marked lost; notes when
    it was first sent. The caller raises it after committing."""
    sec = _security_row(conn, device_id)
    if sec is None or not sec.lost_at:
        return None
    if not sec.wipe_sent_at:
        conn.execute(
            sa.update(s.device_security)
            .where(s.device_security.c.device_id == device_id)
            .values(wipe_sent_at=_iso(_now()))
        )
    return device_lost_error(sec.lost_reason or LOST_DEFAULT_REASON)


# -- administration ------------------------------------------------------------------------
def _audit(conn: Connection, actor: str, action: str, target: str, detail: dict) -> None:
    """The office audit log (issue 12's hash chain), when this server has one."""
    from zsapp.office import audit

    audit.record(conn, actor=actor, action=action, target=target, detail=detail)


def mark_lost(
    office: Any, device_id: str, reason: str = "", actor: str = "admin"
) -> dict[str, Any]:
    """Revoke at once and order a wipe on the device's next contact."""
    _, _, NotFoundError = _errors()
    with office.engine.begin() as conn:
        matches = conn.execute(
            sa.select(s.devices.c.id, s.devices.c.token_hash).where(
                s.devices.c.id.startswith(device_id)
            )
        ).all()
        if len(matches) != 1:
            raise NotFoundError(
                f"找不到唯一的设备“{device_id}”"
                if not matches
                else f"“{device_id}”匹配多台设备，请写完整编号"
            )
        dev = matches[0]
        now = _iso(_now())
        conn.execute(sa.update(s.devices).where(s.devices.c.id == dev.id).values(revoked_at=now))
        _upsert(conn, dev.id, lost_at=now, lost_reason=(reason or LOST_DEFAULT_REASON)[:500])
        _audit(conn, actor, "device.lost", f"device:{dev.id}", {"reason": reason[:200]})
    return {"device_id": dev.id, "revoked_at": now, "lost": True}


def device_states(office: Any) -> dict[str, dict[str, Any]]:
    with office.engine.connect() as conn:
        return {
            r.device_id: {
                "lost_at": r.lost_at,
                "wipe_sent_at": r.wipe_sent_at,
                "rotated_at": r.rotated_at,
            }
            for r in conn.execute(sa.select(s.device_security))
        }


# -- hello: rotation, erasure requests and feed ------------------------------------------
def on_hello(office: Any, device: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Extra fields for the hello answer: ``token`` (when rotated), ``erasures`` (the feed
    after the device's ``erasure_cursor``); carries out the device's ``erase`` requests."""
    if hasattr(data, "model_dump"):  # the validated HelloRequest
        data = data.model_dump()
    data = data or {}
    out: dict[str, Any] = {}
    requests = data.get("erase") or []
    if isinstance(requests, list) and requests:
        refused: list[tuple[str, str]] = []
        out["erased"] = erase_records(
            office,
            [(str(r.get("t", "")), str(r.get("id", ""))) for r in requests if isinstance(r, dict)],
            by=f"{device.get('officer_name', '')}@{device['id'][:8]}",
            device=device,
            refused=refused,
        )
        if refused:  # another unit's record: erased on the device only; the office decides
            out["erase_refused"] = [{"t": t, "id": i} for t, i in refused]
    rotate_s = getattr(office, "token_rotate_s", TOKEN_ROTATE_S)
    grace_s = getattr(office, "token_grace_s", TOKEN_GRACE_S)
    now = _now()
    with office.engine.begin() as conn:
        sec = _security_row(conn, device["id"])
        rotated_at = (sec.rotated_at if sec else None) or device.get("enrolled_at") or ""
        used_previous = bool(sec and sec.prev_token_hash == device.get("_presented_hash"))
        due = rotated_at <= _iso(now - dt.timedelta(seconds=rotate_s))
        if due or used_previous:
            from zsapp.office.common import token_hash

            token = secrets.token_urlsafe(32)
            conn.execute(
                sa.update(s.devices)
                .where(s.devices.c.id == device["id"])
                .values(token_hash=token_hash(token))
            )
            if used_previous:
                # The device missed the last answer: a new token, but the old one's grace
                # window is not extended (a copied token cannot keep itself alive).
                _upsert(conn, device["id"], rotated_at=_iso(now))
            else:
                # The token the device holds now stays valid for the grace window only.
                _upsert(
                    conn,
                    device["id"],
                    prev_token_hash=device["token_hash"],
                    prev_valid_until=_iso(now + dt.timedelta(seconds=grace_s)),
                    rotated_at=_iso(now),
                )
            out["token"] = token
        try:
            cursor = int(data.get("erasure_cursor") or 0)
        except (TypeError, ValueError):
            cursor = 0
        feed = conn.execute(
            sa.select(s.erasures.c.id, s.erasures.c.tbl, s.erasures.c.row_id)
            .where(s.erasures.c.id > cursor)
            .order_by(s.erasures.c.id)
            .limit(ERASURE_FEED_LIMIT)
        ).all()
    out["erasures"] = [{"n": r.id, "t": r.tbl, "id": r.row_id} for r in feed]
    return out


def is_erased(conn: Connection, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``keys`` (table, row id) were erased: their ops are dropped on push."""
    if not keys:
        return set()
    out = set()
    items = sorted(keys)
    for i in range(0, len(items), 400):
        chunk = items[i : i + 400]
        out |= {
            (r.tbl, r.row_id)
            for r in conn.execute(
                sa.select(s.erasures.c.tbl, s.erasures.c.row_id).where(
                    sa.tuple_(s.erasures.c.tbl, s.erasures.c.row_id).in_(chunk)
                )
            )
        }
    return out


# -- erasure --------------------------------------------------------------------------------
# Records that belong to a person and go with them: (table, field pointing at the person).
PERSON_DEPENDENTS = (("person_employment", "person_id"), ("visit_people", "person_id"))


def _field_refs(conn: Connection, tbl: str, field: str, value: str) -> list[str]:
    return [
        r.row_id
        for r in conn.execute(
            sa.select(s.fields.c.row_id).where(
                s.fields.c.tbl == tbl,
                s.fields.c.field == field,
                s.fields.c.value == json.dumps(value, ensure_ascii=False),
            )
        )
    ]


def dependents(conn: Connection, tbl: str, row_id: str) -> list[tuple[str, str]]:
    """The record and everything holding its data: dependents, attachments, conflicts."""
    found = [(tbl, row_id)]
    if tbl == "people":
        for dep_tbl, field in PERSON_DEPENDENTS:
            found += [(dep_tbl, r) for r in _field_refs(conn, dep_tbl, field, row_id)]
        owned = set(_field_refs(conn, "attachments", "owner_id", row_id))
        found += [
            ("attachments", r)
            for r in owned
            if r in set(_field_refs(conn, "attachments", "owner_table", "people"))
        ]
        found += [("people", r) for r in _field_refs(conn, "people", "merged_into", row_id)]
    conflicts = []
    for t, rid in found:
        ids = set(_field_refs(conn, p.CONFLICTS_TABLE, "row_id", rid))
        if ids:
            same = set(_field_refs(conn, p.CONFLICTS_TABLE, "table_name", t))
            conflicts += [(p.CONFLICTS_TABLE, c) for c in sorted(ids & same)]
    return found + conflicts


def erase_records(
    office: Any,
    keys: list[tuple[str, str]],
    by: str = "",
    device: dict[str, Any] | None = None,
    refused: list[tuple[str, str]] | None = None,
) -> int:
    """Erase records (and their dependents) from every server table, and attachment files
    nothing else uses; returns how many records. ``device``: only records in spaces it can
    see (its officer's request) — others are skipped and listed in ``refused``."""
    erased = 0
    shas: set[str] = set()
    with office.engine.begin() as conn:
        visible = set(office.visible_spaces(conn, device)) if device else None
        targets: list[tuple[str, str]] = []
        for tbl, row_id in keys:
            if not tbl or not row_id:
                continue
            for key in dependents(conn, tbl, row_id):
                if key not in targets:
                    targets.append(key)
        for tbl, row_id in targets:
            rec = conn.execute(
                sa.select(s.records.c.space).where(
                    s.records.c.tbl == tbl, s.records.c.row_id == row_id
                )
            ).first()
            if visible is not None and rec is not None and rec.space not in visible:
                if refused is not None:
                    refused.append((tbl, row_id))
                continue
            if tbl == "attachments":
                shas |= {
                    json.loads(r.value)
                    for r in conn.execute(
                        sa.select(s.fields.c.value).where(
                            s.fields.c.tbl == tbl,
                            s.fields.c.row_id == row_id,
                            s.fields.c.field == "sha256",
                        )
                    )
                    if r.value
                }
            _delete_fields(conn, tbl, row_id)
            conn.execute(
                sa.delete(s.records).where(s.records.c.tbl == tbl, s.records.c.row_id == row_id)
            )
            conn.execute(
                sa.delete(s.shares).where(s.shares.c.tbl == tbl, s.shares.c.row_id == row_id)
            )
            already = conn.execute(
                sa.select(s.erasures.c.id).where(
                    s.erasures.c.tbl == tbl, s.erasures.c.row_id == row_id
                )
            ).first()
            if already is None:
                conn.execute(
                    sa.insert(s.erasures).values(
                        tbl=tbl, row_id=row_id, at=_iso(_now()), by=by[:200]
                    )
                )
            erased += 1
        if targets:
            _audit(
                conn,
                by or "admin",
                "record.erase",
                f"{keys[0][0]}:{keys[0][1]}" if keys else "",
                {"records": len(targets)},  # ids and tables only: never the data
            )
        still_used = {
            json.loads(r.value)
            for r in conn.execute(
                sa.select(s.fields.c.value).where(
                    s.fields.c.tbl == "attachments",
                    s.fields.c.field == "sha256",
                    s.fields.c.value.in_([json.dumps(h) for h in shas]),
                )
            )
        }
    for sha in shas - still_used:
        with contextlib.suppress(Exception):
            office.blob_path(sha).unlink(missing_ok=True)
    return erased


def _delete_fields(conn: Connection, tbl: str, row_id: str) -> None:
    """Delete a record's fields, keeping each space's count and checksum right (devices
    delete the same fields when they apply the erasure, so ``verify`` still agrees)."""
    for table in (s.fields, s.shared_fields):
        rows = conn.execute(
            sa.select(table.c.space, table.c.field, table.c.hlc).where(
                table.c.tbl == tbl, table.c.row_id == row_id
            )
        ).all()
        per_space: dict[str, list] = {}
        for r in rows:
            per_space.setdefault(r.space, []).append(r)
        for space, items in per_space.items():
            head = conn.execute(sa.select(s.spaces).where(s.spaces.c.name == space)).first()
            if head is None:
                continue
            checksum = head.checksum
            for r in items:
                checksum = (checksum - p.field_hash(tbl, row_id, r.field, r.hlc)) % p.CHECKSUM_MOD
            conn.execute(
                sa.update(s.spaces)
                .where(s.spaces.c.name == space)
                .values(count=head._mapping["count"] - len(items), checksum=checksum)
            )
        conn.execute(sa.delete(table).where(table.c.tbl == tbl, table.c.row_id == row_id))


def erasure_log(office: Any, limit: int = 100) -> list[dict[str, Any]]:
    with office.engine.connect() as conn:
        q = sa.select(s.erasures).order_by(s.erasures.c.id.desc()).limit(limit)
        return [dict(r._mapping) for r in conn.execute(q)]
