"""Push and merge: a device's batch of field edits applied under the space locks.

Every write runs in one database transaction. Per space, the server sequence is taken
from a counter row locked (SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer) for
the rest of the transaction, so sequence order is commit order and a reader paging by
``seq > cursor`` never skips a change that commits late."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.clock import Timestamp, wall_clock_ms
from zsapp.office import schema as s
from zsapp.office import security as office_security
from zsapp.office.common import (
    FUTURE_TOLERANCE_MS,
    SERVER_NODE,
    AuthError,
    ForbiddenError,
    GapError,
    OfficeCore,
    chunks,
    insert_stmt,
    now_iso,
)
from zsapp.office.merge import Edit, FieldState, delete_edit_conflicts, merge_field
from zsapp.office.validate import PushRequest, ValidationFailed, check_op_value, parse
from zsapp.sync import protocol as p

# A pushed timestamp may be this much older than the device's enrollment (edits made
# offline before enrolling), never older than PRODUCT_EPOCH_MS.
PAST_TOLERANCE_MS = 400 * 86400_000
PRODUCT_EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
LOCK_TIMEOUT_MS = 10_000
STATEMENT_TIMEOUT_MS = 60_000


def hlc_floor_ms(device: dict[str, Any]) -> int:
    """The oldest wall time accepted in this device's timestamps (told in hello, so a
    device re-stamps older unsent edits instead of being refused)."""
    enrolled = device.get("enrolled_at") or ""
    try:
        at = dt.datetime.fromisoformat(enrolled)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        enrolled_ms = int(at.timestamp() * 1000)
    except ValueError:
        enrolled_ms = PRODUCT_EPOCH_MS
    return max(PRODUCT_EPOCH_MS, enrolled_ms - PAST_TOLERANCE_MS)


# Called after a batch's ops are merged, in the push transaction (before it commits), as
# ``hook(conn, device, written)``: ``written`` lists every field row the batch wrote —
# dicts with "t" (table), "id" (row id), "f" (field), "v" (JSON text), "h" (HLC),
# "device" and "s" (space), conflict records included. A hook that raises rolls the
# whole batch back (the device retries it). Read models (the office console) register
# here; append to the list, never replace it.
PushHook = Callable[[Connection, dict[str, Any], list[dict[str, Any]]], None]
PUSH_HOOKS: list[PushHook] = []


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """A field row this batch writes (``space``: the record's space)."""

    value: str
    hlc: str
    device: str
    space: str


@dataclass
class _Batch:
    """The working state of one batch: records, their fields, what is written, and the
    conflicts found (as ``sync_conflicts`` field values)."""

    device: dict[str, Any]
    recs: dict[tuple[str, str], dict[str, Any]]
    state: dict[tuple[str, str], dict[str, FieldState]]
    officer_names: dict[str, str] = dc_field(default_factory=dict)
    writes: dict[tuple[str, str, str], PendingWrite] = dc_field(default_factory=dict)
    # Version of each overwritten field as stored before the batch (space checksums).
    old_versions: dict[tuple[str, str, str], str] = dc_field(default_factory=dict)
    stored: set[tuple[str, str, str]] = dc_field(default_factory=set)
    conflicts: list[dict[str, Any]] = dc_field(default_factory=list)

    def __post_init__(self) -> None:
        self.stored = {(k[0], k[1], f) for k, fields in self.state.items() for f in fields}

    def write(self, key: tuple[str, str], name: str, new: FieldState) -> None:
        k = (key[0], key[1], name)
        cur = self.state[key].get(name)
        if cur is not None and k in self.stored and k not in self.old_versions:
            self.old_versions[k] = cur.hlc
        self.state[key][name] = new
        self.writes[k] = PendingWrite(new.value, new.hlc, new.device, self.recs[key]["space"])

    def conflict(
        self, kind: str, key: tuple[str, str], name: str, winner: FieldState, loser: FieldState
    ) -> None:
        own_space = p.unit_space(self.device["unit"])
        names = self.officer_names
        self.conflicts.append(
            {
                "space": self.recs[key]["space"] if kind != "rejected" else own_space,
                "kind": kind,
                "table_name": key[0],
                "row_id": key[1],
                "field": name,
                "winner_value": winner.value,
                "winner_hlc": winner.hlc,
                "winner_device": winner.device,
                "winner_officer": names.get(winner.device, winner.device),
                "loser_value": loser.value,
                "loser_hlc": loser.hlc,
                "loser_device": loser.device,
                "loser_officer": names.get(loser.device, loser.device),
            }
        )


class PushMixin(OfficeCore):
    """Push, merge and sharing (part of ``Office``)."""

    def _check_hlc(self, hlc: str, device: dict[str, Any], seq: int | None = None) -> str:
        """A pushed timestamp as stored: canonical ASCII form (validated), the pushing
        device's own, not before the device's enrollment minus ``PAST_TOLERANCE_MS``
        (a forged ancient stamp is refused), and re-stamped with the server time when
        further ahead than ``FUTURE_TOLERANCE_MS``."""
        ts = Timestamp.parse(hlc)
        if ts.node != device["id"]:
            raise ForbiddenError("批次中的时间戳不属于本设备")
        if ts.wall_ms < hlc_floor_ms(device):
            raise ValidationFailed(
                f"时间戳 {hlc[:16]} 早于本设备登记时间允许的范围，已拒绝（请升级招商助手后重试）",
                seq=seq,
            )
        if ts.wall_ms > wall_clock_ms() + FUTURE_TOLERANCE_MS:
            server = Timestamp.parse(self._server_hlc())
            return Timestamp(server.wall_ms, server.counter, device["id"]).pack()
        return hlc

    def push(self, device: dict[str, Any], batch: PushRequest | dict[str, Any]) -> dict[str, Any]:
        """Apply one batch of the device's ops (all or nothing). Validated first — schema,
        op ownership, sequence numbers, every value by table — then merged under the
        space locks, with a bounded wait for locks."""
        req = batch if isinstance(batch, PushRequest) else parse(PushRequest, batch)
        dev_id = device["id"]
        ops = sorted((op.model_dump() for op in req.ops), key=lambda o: o["seq"])
        for op, model in zip(ops, sorted(req.ops, key=lambda o: o.seq), strict=True):
            if op["device"] != dev_id:
                raise ForbiddenError("批次中含有其他设备的修改，已拒绝")
            check_op_value(model)
            op["h"] = self._check_hlc(op["h"], device, op["seq"])
        from_seq = req.from_seq if req.from_seq is not None else (ops[0]["seq"] if ops else 0)
        to_seq = req.to_seq if req.to_seq is not None else (ops[-1]["seq"] if ops else 0)
        seqs = [o["seq"] for o in ops]
        if (
            len(set(seqs)) != len(seqs)
            or (ops and (seqs[0] < from_seq or seqs[-1] > to_seq))
            or from_seq > to_seq
        ):
            raise ValidationFailed("批次编号不一致，已拒绝")
        batch_id = req.batch_id
        with self.engine.begin() as conn:
            self._bound_lock_wait(conn)
            dev_row = conn.execute(
                sa.select(s.devices.c.last_seq, s.devices.c.revoked_at)
                .where(s.devices.c.id == dev_id)
                .with_for_update()
            ).first()
            if dev_row is None or dev_row.revoked_at:
                raise AuthError("本设备已被管理员撤销，请重新登记（本机数据不受影响）")
            last_seq = dev_row.last_seq
            if to_seq <= last_seq:
                return {
                    "batch_id": batch_id,
                    "acked_seq": last_seq,
                    "applied": 0,
                    "skipped": len(ops),
                    "conflicts": 0,
                }
            if from_seq > last_seq + 1:
                raise GapError(
                    f"批次不连续：服务器已收到第 {last_seq} 号修改，本批从第 {from_seq} 号开始"
                )
            new_ops = [o for o in ops if o["seq"] > last_seq]
            erased = office_security.is_erased(conn, {(o["t"], o["id"]) for o in new_ops})
            new_ops = [o for o in new_ops if (o["t"], o["id"]) not in erased]  # issue 14
            applied, conflicts, written = (
                self._apply_ops(conn, device, new_ops) if new_ops else (0, 0, [])
            )
            for hook in PUSH_HOOKS:
                hook(conn, device, written)
            acked = to_seq
            conn.execute(
                sa.update(s.devices).where(s.devices.c.id == dev_id).values(last_seq=acked)
            )
            conn.execute(
                insert_stmt(conn, s.batches)
                .values(
                    device_id=dev_id,
                    batch_id=batch_id,
                    last_seq=acked,
                    applied=applied,
                    conflicts=conflicts,
                    at=now_iso(),
                )
                .on_conflict_do_nothing(index_elements=["device_id", "batch_id"])
            )
        return {
            "batch_id": batch_id,
            "acked_seq": acked,
            "applied": applied,
            "skipped": len(ops) - len(new_ops),
            "conflicts": conflicts,
        }

    def _bound_lock_wait(self, conn: Connection) -> None:
        """PostgreSQL: wait at most LOCK_TIMEOUT for a lock and STATEMENT_TIMEOUT for a
        statement (then the client is told the server is busy and retries). SQLite waits
        up to its busy timeout for the single writer; batch caps bound how long any
        writer holds it."""
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_MS}ms'")

    def _apply_ops(
        self, conn: Connection, device: dict[str, Any], ops: list[dict[str, Any]]
    ) -> tuple[int, int, list[dict[str, Any]]]:
        """Merge ``ops`` (already validated, in device order) into the current state.
        Returns (applied, conflicts, written field rows)."""
        keys = sorted({(o["t"], o["id"]) for o in ops})
        recs = self._load_records(conn, keys)
        live = self._live_shares(conn, keys)
        new_recs, rejected = self._place_records(conn, device, ops, recs, live)
        locked, share_ids = self._lock_spaces(conn, device, ops, recs, new_recs, live)
        batch = _Batch(device, {**recs, **new_recs}, self._load_state(conn, keys))
        batch.officer_names = self._device_officers(
            conn, {v.device for st in batch.state.values() for v in st.values()} | {device["id"]}
        )
        applied = 0
        for op in ops:
            if self._merge_op(batch, op, rejected):
                applied += 1
        self._conflict_records(batch, new_recs)
        self._write(conn, batch.writes, batch.old_versions, new_recs, locked)
        self._apply_shares(
            conn, device, share_ids, {(k[0], k[1]) for k in batch.writes}, live, locked
        )
        written = [
            {
                "t": k[0],
                "id": k[1],
                "f": k[2],
                "v": w.value,
                "h": w.hlc,
                "device": w.device,
                "s": w.space,
            }
            for k, w in batch.writes.items()
        ]
        return applied, len(batch.conflicts), written

    def _merge_op(self, batch: _Batch, op: dict[str, Any], rejected: set) -> bool:
        """Apply one op through ``merge_field``; False when it was refused (a conflict
        record of kind "rejected" keeps it)."""
        dev_id, key, field = batch.device["id"], (op["t"], op["id"]), op["f"]
        edit = Edit(
            json.dumps(op.get("v"), ensure_ascii=False),
            op["h"],
            dev_id,
            op.get("b"),
        )
        row = batch.state[key]
        if (op["t"] in p.OFFICE_TABLES and batch.device["role"] != "province") or key in rejected:
            held = row.get(field)
            server = FieldState(held.value if held else "null", "", SERVER_NODE)
            batch.conflict("rejected", key, field, server, edit.state)
            return False
        before = row.get(field)
        outcome = merge_field(before, edit)
        if outcome.conflict:
            assert outcome.winner is not None and outcome.loser is not None  # set with conflict
            batch.conflict("field", key, field, outcome.winner, outcome.loser)
        if outcome.new is not None:
            batch.write(key, field, outcome.new)
        for other, winner, loser in delete_edit_conflicts(
            row,
            field,
            outcome.new or edit.state,
            before,
            row_bases=op.get("rb") if isinstance(op.get("rb"), dict) else None,
            delete_base=op.get("db"),
        ):
            batch.conflict("delete_edit", key, other, winner, loser)
        return True

    def _load_records(
        self, conn: Connection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        recs: dict[tuple[str, str], dict[str, Any]] = {}
        for chunk in chunks(keys):
            for r in conn.execute(
                sa.select(s.records).where(
                    sa.tuple_(s.records.c.tbl, s.records.c.row_id).in_(chunk)
                )
            ):
                recs[(r.tbl, r.row_id)] = dict(r._mapping)
        return recs

    def _place_records(
        self,
        conn: Connection,
        device: dict[str, Any],
        ops: list[dict[str, Any]],
        recs: dict,
        live: dict,
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], set[tuple[str, str]]]:
        """New records go to the province space (directory, office tables) or the
        device's unit space. An op on a record outside the device's spaces is refused —
        the whole batch — unless the record was shared with the unit once (then that
        edit comes back as a "rejected" conflict)."""
        own_space = p.unit_space(device["unit"])
        visible = None if device["role"] == "province" else {p.PROVINCE_SPACE, own_space}
        my_shared = p.shared_space(device["unit"])
        new_recs: dict[tuple[str, str], dict[str, Any]] = {}
        rejected: set[tuple[str, str]] = set()
        for op in ops:
            key = (op["t"], op["id"])
            rec = recs.get(key) or new_recs.get(key)
            if rec is None:
                in_province = op["t"] in (p.PROVINCE_TABLES | p.OFFICE_TABLES)
                new_recs[key] = {
                    "tbl": op["t"],
                    "row_id": op["id"],
                    "space": p.PROVINCE_SPACE if in_province else own_space,
                    "owner_unit": device["unit"],
                    "created_at": op["h"],
                    "created_device": device["id"],
                }
                continue
            if visible is None or rec["space"] in visible or my_shared in live.get(key, ()):
                continue
            if key in rejected or self._was_shared(conn, my_shared, key):
                rejected.add(key)
                continue
            raise ForbiddenError("批次试图修改本单位无权访问的记录，已拒绝")
        return new_recs, rejected

    def _was_shared(self, conn: Connection, space: str, key: tuple[str, str]) -> bool:
        return (
            conn.execute(
                sa.select(s.shared_fields.c.field)
                .where(
                    s.shared_fields.c.space == space,
                    s.shared_fields.c.tbl == key[0],
                    s.shared_fields.c.row_id == key[1],
                )
                .limit(1)
            ).first()
            is not None
        )

    def _lock_spaces(
        self,
        conn: Connection,
        device: dict[str, Any],
        ops: list[dict[str, Any]],
        recs: dict,
        new_recs: dict,
        live: dict,
    ) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Lock (in name order) the counter row of every space this batch may write:
        the records' spaces, the device's own, and the shared spaces of touched shares."""
        needed = {r["space"] for r in list(recs.values()) + list(new_recs.values())}
        needed.add(p.unit_space(device["unit"]))
        share_ids = sorted({o["id"] for o in ops if o["t"] == p.SHARES_TABLE})
        needed |= {sp for spaces in live.values() for sp in spaces}
        needed |= {
            p.shared_space(str(o.get("v") or ""))
            for o in ops
            if o["t"] == p.SHARES_TABLE and o["f"] == "unit"
        }
        for chunk in chunks(share_ids):
            for r in conn.execute(
                sa.select(s.fields.c.value).where(
                    s.fields.c.tbl == p.SHARES_TABLE,
                    s.fields.c.field == "unit",
                    s.fields.c.row_id.in_(chunk),
                )
            ):
                needed.add(p.shared_space(str(json.loads(r.value) or "")))
        self._ensure_spaces(conn, sorted(needed))
        locked = {
            r.name: dict(r._mapping)
            for r in conn.execute(
                sa.select(s.spaces)
                .where(s.spaces.c.name.in_(sorted(needed)))
                .order_by(s.spaces.c.name)
                .with_for_update()
            )
        }
        return locked, share_ids

    def _load_state(
        self, conn: Connection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, FieldState]]:
        """Current field state of every touched row (read under the space locks)."""
        state: dict[tuple[str, str], dict[str, FieldState]] = {k: {} for k in keys}
        for chunk in chunks(keys):
            q = sa.select(
                s.fields.c.tbl,
                s.fields.c.row_id,
                s.fields.c.field,
                s.fields.c.value,
                s.fields.c.hlc,
                s.fields.c.device,
            ).where(sa.tuple_(s.fields.c.tbl, s.fields.c.row_id).in_(chunk))
            for r in conn.execute(q):
                state[(r.tbl, r.row_id)][r.field] = FieldState(r.value, r.hlc, r.device)
        return state

    def _conflict_records(self, batch: _Batch, new_recs: dict) -> None:
        """Each conflict becomes a record of the synced table ``sync_conflicts`` in the
        space of the record it is about."""
        for c in batch.conflicts:
            cid = str(uuid.uuid4())
            space = c.pop("space")
            hlc = self._server_hlc()
            new_recs[(p.CONFLICTS_TABLE, cid)] = {
                "tbl": p.CONFLICTS_TABLE,
                "row_id": cid,
                "space": space,
                "owner_unit": batch.device["unit"],
                "created_at": hlc,
                "created_device": SERVER_NODE,
            }
            c.update(deleted=0, resolved=0, resolved_at="")
            for name, val in c.items():
                batch.writes[(p.CONFLICTS_TABLE, cid, name)] = PendingWrite(
                    json.dumps(val, ensure_ascii=False), hlc, SERVER_NODE, space
                )

    def _device_officers(self, conn: Connection, device_ids: set[str]) -> dict[str, str]:
        ids = sorted(d for d in device_ids if d)
        out: dict[str, str] = {SERVER_NODE: "省招商办"}
        for chunk in chunks(ids):
            q = (
                sa.select(s.devices.c.id, s.officers.c.name)
                .select_from(s.devices.join(s.officers, s.officers.c.id == s.devices.c.officer_id))
                .where(s.devices.c.id.in_(chunk))
            )
            out.update({r.id: r.name for r in conn.execute(q)})
        return out

    def _write(
        self,
        conn: Connection,
        writes: dict[tuple[str, str, str], PendingWrite],
        old_versions: dict[tuple[str, str, str], str],
        new_recs: dict,
        locked: dict,
    ) -> None:
        if new_recs:
            for chunk in chunks(list(new_recs.values()), 500):
                conn.execute(
                    insert_stmt(conn, s.records).on_conflict_do_nothing(
                        index_elements=["tbl", "row_id"]
                    ),
                    chunk,
                )
        per_space: dict[str, list] = {}
        for k, w in writes.items():
            per_space.setdefault(w.space, []).append((k, w))
        rows = []
        for space, items in per_space.items():
            cur = locked[space]
            seq, count, checksum = cur["seq"], cur["count"], cur["checksum"]
            for (tbl, row_id, name), w in items:
                seq += 1
                old = old_versions.get((tbl, row_id, name))
                if old is None:
                    count += 1
                else:
                    checksum -= p.field_hash(tbl, row_id, name, old)
                checksum = (checksum + p.field_hash(tbl, row_id, name, w.hlc)) % p.CHECKSUM_MOD
                rows.append(
                    {
                        "tbl": tbl,
                        "row_id": row_id,
                        "field": name,
                        "value": w.value,
                        "hlc": w.hlc,
                        "device": w.device,
                        "space": space,
                        "seq": seq,
                    }
                )
            conn.execute(
                sa.update(s.spaces)
                .where(s.spaces.c.name == space)
                .values(seq=seq, count=count, checksum=checksum)
            )
        stmt = insert_stmt(conn, s.fields)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tbl", "row_id", "field"],
            set_={c: stmt.excluded[c] for c in ("value", "hlc", "device", "space", "seq")},
        )
        for chunk in chunks(rows, 1000):
            conn.execute(stmt, chunk)

    def _live_shares(
        self, conn: Connection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for chunk in chunks(keys):
            q = sa.select(s.shares.c.tbl, s.shares.c.row_id, s.shares.c.space).where(
                sa.tuple_(s.shares.c.tbl, s.shares.c.row_id).in_(chunk)
            )
            for r in conn.execute(q):
                out.setdefault((r.tbl, r.row_id), set()).add(r.space)
        return out

    def _lock_space(self, conn: Connection, locked: dict, space: str) -> dict:
        """A space counter row not foreseen before the batch: lock it now."""
        if space not in locked:
            self._ensure_spaces(conn, [space])
            locked[space] = dict(
                conn.execute(sa.select(s.spaces).where(s.spaces.c.name == space).with_for_update())
                .one()  # _ensure_spaces just made sure it exists
                ._mapping
            )
        return locked[space]

    def _apply_shares(
        self,
        conn: Connection,
        device: dict[str, Any],
        share_ids: list[str],
        written: set[tuple[str, str]],
        live: dict,
        locked: dict,
    ) -> None:
        """Re-evaluate the share records this batch touched, then copy into each live
        shared space the fields of shared records written now (all fields of a record that
        has just become shared there). A share is honoured when it was made by a device of
        the record's own unit (same space) or by the province role."""
        copy_all: set[tuple[tuple[str, str], str]] = set()
        # Re-read under the space locks: a share committed while this batch waited for the
        # owner space's lock must receive this batch's writes.
        fresh = self._live_shares(conn, sorted(written))
        live.update({key: fresh.get(key, set()) for key in written})
        for share_id in share_ids:
            vals = {
                r.field: json.loads(r.value) if r.value is not None else None
                for r in conn.execute(
                    sa.select(s.fields.c.field, s.fields.c.value).where(
                        s.fields.c.tbl == p.SHARES_TABLE, s.fields.c.row_id == share_id
                    )
                )
            }
            share_rec = conn.execute(
                sa.select(s.records).where(
                    s.records.c.tbl == p.SHARES_TABLE, s.records.c.row_id == share_id
                )
            ).first()
            tbl, row_id, unit = (
                str(vals.get("tbl") or ""),
                str(vals.get("row_id") or ""),
                str(vals.get("unit") or ""),
            )
            target = (
                conn.execute(
                    sa.select(s.records).where(s.records.c.tbl == tbl, s.records.c.row_id == row_id)
                ).first()
                if tbl and row_id
                else None
            )
            ok = (
                share_rec is not None
                and target is not None
                and unit
                and not vals.get("deleted")
                and tbl not in (p.PROVINCE_TABLES | p.OFFICE_TABLES)
                and tbl != p.SHARES_TABLE
                and (target.space == share_rec.space or device["role"] == "province")
                and p.unit_key(target.owner_unit) != p.unit_key(unit)
            )
            old = conn.execute(sa.select(s.shares).where(s.shares.c.share_id == share_id)).first()
            if old is not None:
                conn.execute(sa.delete(s.shares).where(s.shares.c.share_id == share_id))
                still = conn.execute(
                    sa.select(s.shares.c.share_id).where(
                        s.shares.c.tbl == old.tbl,
                        s.shares.c.row_id == old.row_id,
                        s.shares.c.space == old.space,
                    )
                ).first()
                if still is None:
                    live.get((old.tbl, old.row_id), set()).discard(old.space)
            if ok:
                # Hold the record's owner space too, so no concurrent write to it can miss
                # this share (matters for province-made shares, whose row lives elsewhere).
                assert target is not None  # implied by ok
                self._lock_space(conn, locked, target.space)
                space = p.shared_space(unit)
                conn.execute(
                    sa.insert(s.shares).values(
                        share_id=share_id, tbl=tbl, row_id=row_id, space=space
                    )
                )
                live.setdefault((tbl, row_id), set()).add(space)
                copy_all.add(((tbl, row_id), space))
        targets = {(key, space) for key in written for space in live.get(key, ())} | copy_all
        if not targets:
            return
        per_space: dict[str, list[tuple[str, str]]] = {}
        for key, space in targets:
            per_space.setdefault(space, []).append(key)
        for space in sorted(per_space):
            head = self._lock_space(conn, locked, space)
            seq, count, checksum = head["seq"], head["count"], head["checksum"]
            keys = sorted(per_space[space])
            current: dict[tuple[str, str, str], tuple] = {}
            existing: dict[tuple[str, str, str], str] = {}
            for chunk in chunks(keys):
                for r in conn.execute(
                    sa.select(
                        s.fields.c.tbl,
                        s.fields.c.row_id,
                        s.fields.c.field,
                        s.fields.c.value,
                        s.fields.c.hlc,
                    ).where(sa.tuple_(s.fields.c.tbl, s.fields.c.row_id).in_(chunk))
                ):
                    current[(r.tbl, r.row_id, r.field)] = (r.value, r.hlc)
                for r in conn.execute(
                    sa.select(
                        s.shared_fields.c.tbl,
                        s.shared_fields.c.row_id,
                        s.shared_fields.c.field,
                        s.shared_fields.c.hlc,
                    ).where(
                        s.shared_fields.c.space == space,
                        sa.tuple_(s.shared_fields.c.tbl, s.shared_fields.c.row_id).in_(chunk),
                    )
                ):
                    existing[(r.tbl, r.row_id, r.field)] = r.hlc
            rows = []
            for (tbl, row_id, field), (value, hlc) in sorted(current.items()):
                old_hlc = existing.get((tbl, row_id, field))
                if old_hlc == hlc:
                    continue
                seq += 1
                if old_hlc is None:
                    count += 1
                else:
                    checksum -= p.field_hash(tbl, row_id, field, old_hlc)
                checksum = (checksum + p.field_hash(tbl, row_id, field, hlc)) % p.CHECKSUM_MOD
                rows.append(
                    {
                        "space": space,
                        "tbl": tbl,
                        "row_id": row_id,
                        "field": field,
                        "value": value,
                        "hlc": hlc,
                        "seq": seq,
                    }
                )
            if not rows:
                continue
            head.update(seq=seq, count=count, checksum=checksum)
            conn.execute(
                sa.update(s.spaces)
                .where(s.spaces.c.name == space)
                .values(seq=seq, count=count, checksum=checksum)
            )
            stmt = insert_stmt(conn, s.shared_fields)
            stmt = stmt.on_conflict_do_update(
                index_elements=["space", "tbl", "row_id", "field"],
                set_={c: stmt.excluded[c] for c in ("value", "hlc", "seq")},
            )
            for chunk in chunks(rows, 1000):
                conn.execute(stmt, chunk)
