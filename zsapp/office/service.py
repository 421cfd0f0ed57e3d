"""Office server logic, independent of HTTP: enrollment, auth, scope, push/pull, publish.

Every write runs in one database transaction. Per space, the server sequence is taken
from a counter row locked (SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer) for
the rest of the transaction, so sequence order is commit order and a reader paging by
``seq > cursor`` never skips a change that commits late.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zsapp.clock import HybridLogicalClock, Timestamp, wall_clock_ms
from zsapp.office import schema as s
from zsapp.office import security as office_security
from zsapp.store import StoreError
from zsapp.sync import protocol as p

log = logging.getLogger("zsapp.office")

ROLES = ("officer", "unit-admin", "province")
ENROLL_DAYS = 7
# A pushed timestamp further ahead of the server clock than this is re-stamped with the
# server time: a device with a wrong clock cannot push edits into the future.
FUTURE_TOLERANCE_MS = 60_000
SERVER_NODE = "office"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class OfficeError(StoreError):
    """A problem reported to the client / admin, with a Chinese message."""

    status = 400


class AuthError(OfficeError):
    status = 401


class ForbiddenError(OfficeError):
    status = 403


class NotFoundError(OfficeError):
    status = 404


class GapError(OfficeError):
    status = 409


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def make_engine(url: str | Path) -> Engine:
    """SQLite file path / sqlite:// URL, or postgresql://… (psycopg 3)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return sa.create_engine(text, pool_size=20, max_overflow=40, pool_pre_ping=True)
    if not text.startswith("sqlite"):
        path = Path(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"sqlite:///{path}"
    engine = sa.create_engine(text, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - driver glue
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        dbapi_conn.execute("PRAGMA busy_timeout = 30000")

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver glue
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _insert(conn: Connection, table: sa.Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _chunks(items: list, size: int = 400) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Office:
    """One office database. Thread-safe; stateless apart from the database."""

    def __init__(self, url: str | Path, blob_dir: Path | None = None) -> None:
        self.url = str(url)
        self.engine = make_engine(url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        if blob_dir is None:
            if self.is_postgres:
                blob_dir = Path.cwd() / "office-blobs"
            else:
                blob_dir = Path(self.engine.url.database or ".").with_suffix(".blobs")
        self.blob_dir = Path(blob_dir)
        self.clock = HybridLogicalClock(SERVER_NODE)
        self._clock_lock = threading.Lock()

    def close(self) -> None:
        self.engine.dispose()

    # -- setup / admin -----------------------------------------------------------------
    def init(self) -> int:
        version = s.migrate(self.engine)
        with self.engine.begin() as conn:
            self._ensure_spaces(conn, [p.PROVINCE_SPACE])
        return version

    def check_schema(self) -> None:
        with self.engine.connect() as conn:
            version = s.current_version(conn)
        if version == 0:
            raise OfficeError("服务器数据库尚未初始化，请先运行 zsapp office init")
        if version < s.SCHEMA_VERSION:
            s.migrate(self.engine)
        elif version > s.SCHEMA_VERSION:
            raise OfficeError(f"服务器数据库版本（{version}）比本程序新，请升级服务器程序")

    def add_officer(self, name: str, unit: str, role: str = "officer") -> dict[str, Any]:
        name, unit = name.strip(), unit.strip()
        if not name:
            raise OfficeError("姓名不能为空")
        if role not in ROLES:
            raise OfficeError(f"角色必须是 {' / '.join(ROLES)} 之一")
        if not unit:
            raise OfficeError("请用 --unit 指定所属单位（州市），例如 昆明市")
        with self.engine.begin() as conn:
            if conn.execute(sa.select(s.officers.c.id).where(s.officers.c.name == name)).first():
                raise OfficeError(f"已有名为“{name}”的干部")
            officer = {
                "id": uuid.uuid4().hex[:12],
                "name": name,
                "unit": unit,
                "role": role,
                "created_at": now_iso(),
            }
            conn.execute(sa.insert(s.officers).values(**officer))
            self._ensure_spaces(conn, [p.unit_space(unit)])
        return officer

    def officers(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(s.officers).order_by(s.officers.c.unit, s.officers.c.name)
                )
            ]

    def _officer(self, conn: Connection, key: str) -> dict[str, Any]:
        row = conn.execute(
            sa.select(s.officers).where(sa.or_(s.officers.c.id == key, s.officers.c.name == key))
        ).first()
        if row is None:
            raise NotFoundError(f"找不到干部“{key}”，请先用 zsapp office officer add 添加")
        return dict(row._mapping)

    def create_enrollment(self, officer: str) -> dict[str, Any]:
        """A one-time code (valid ENROLL_DAYS days) the officer types into the desktop app."""
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        pretty = "-".join(code[i : i + 4] for i in range(0, 12, 4))
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as conn:
            row = self._officer(conn, officer)
            conn.execute(
                sa.insert(s.enrollments).values(
                    code_hash=token_hash(code),
                    officer_id=row["id"],
                    created_at=now.isoformat(timespec="seconds"),
                    expires_at=(now + dt.timedelta(days=ENROLL_DAYS)).isoformat(timespec="seconds"),
                )
            )
        return {"code": pretty, "officer": row["name"], "unit": row["unit"], "days": ENROLL_DAYS}

    def enroll(
        self,
        code: str,
        device_id: str,
        device_name: str = "",
        next_seq: int = 1,
        app_version: str = "",
    ) -> dict[str, Any]:
        if not device_id or len(device_id) > 64:
            raise OfficeError("设备编号无效")
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(s.enrollments)
                .where(s.enrollments.c.code_hash == token_hash(normalise_code(code)))
                .with_for_update()
            ).first()
            if row is None or row.used_at is not None:
                raise AuthError("登记码无效或已被使用，请向省招商办管理员索取新的登记码")
            if row.expires_at < now_iso():
                raise AuthError("登记码已过期，请向管理员索取新的登记码")
            officer = self._officer(conn, row.officer_id)
            token = secrets.token_urlsafe(32)
            conn.execute(
                sa.update(s.enrollments)
                .where(s.enrollments.c.code_hash == row.code_hash)
                .values(used_at=now_iso())
            )
            existing = conn.execute(sa.select(s.devices).where(s.devices.c.id == device_id)).first()
            values = {
                "officer_id": officer["id"],
                "token_hash": token_hash(token),
                "name": device_name[:200],
                "enrolled_at": now_iso(),
                "revoked_at": None,
                "app_version": app_version[:40],
            }
            if existing is None:
                conn.execute(
                    sa.insert(s.devices).values(
                        id=device_id, last_seq=max(0, int(next_seq) - 1), **values
                    )
                )
            else:
                if existing.officer_id != officer["id"]:
                    raise ForbiddenError("此设备已登记给另一位干部，请联系管理员")
                conn.execute(
                    sa.update(s.devices).where(s.devices.c.id == device_id).values(**values)
                )
            self._ensure_spaces(conn, [p.unit_space(officer["unit"])])
        return {"token": token, "device_id": device_id, "officer": officer}

    def devices(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            q = (
                sa.select(
                    s.devices.c.id,
                    s.devices.c.name,
                    s.devices.c.enrolled_at,
                    s.devices.c.revoked_at,
                    s.devices.c.last_seen,
                    s.devices.c.last_seq,
                    s.devices.c.app_version,
                    s.officers.c.name.label("officer"),
                    s.officers.c.unit,
                )
                .select_from(s.devices.join(s.officers, s.officers.c.id == s.devices.c.officer_id))
                .order_by(s.devices.c.enrolled_at)
            )
            return [dict(r._mapping) for r in conn.execute(q)]

    def revoke_device(self, device_id: str) -> None:
        with self.engine.begin() as conn:
            matches = conn.execute(
                sa.select(s.devices.c.id).where(s.devices.c.id.startswith(device_id))
            ).all()
            if len(matches) != 1:
                raise NotFoundError(
                    f"找不到唯一的设备“{device_id}”"
                    if not matches
                    else f"“{device_id}”匹配多台设备，请写完整编号"
                )
            conn.execute(
                sa.update(s.devices)
                .where(s.devices.c.id == matches[0].id)
                .values(revoked_at=now_iso())
            )

    def log(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            q = sa.select(s.sync_log).order_by(s.sync_log.c.id.desc()).limit(limit)
            return [dict(r._mapping) for r in conn.execute(q)]

    def add_log(
        self,
        device_id: str,
        kind: str,
        pushed: int = 0,
        pulled: int = 0,
        conflicts: int = 0,
        error: str = "",
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(s.sync_log).values(
                    device_id=device_id,
                    at=now_iso(),
                    kind=kind,
                    pushed=pushed,
                    pulled=pulled,
                    conflicts=conflicts,
                    error=error[:500],
                )
            )

    # -- published snapshots -------------------------------------------------------------
    def publish(self, kind: str, document: Any, version: str | None = None) -> dict[str, Any]:
        text = json.dumps(document, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        version = (
            version
            or (document.get("version") if isinstance(document, dict) else None)
            or digest[:12]
        )
        row = {
            "kind": kind,
            "version": str(version),
            "sha256": digest,
            "document": text,
            "published_at": now_iso(),
        }
        with self.engine.begin() as conn:
            stmt = _insert(conn, s.published).values(**row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["kind"], set_={k: stmt.excluded[k] for k in row if k != "kind"}
                )
            )
        return {k: row[k] for k in ("kind", "version", "sha256")}

    def published_versions(self) -> dict[str, dict[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.published.c.kind, s.published.c.version, s.published.c.sha256)
            ).all()
        return {r.kind: {"version": r.version, "sha256": r.sha256} for r in rows}

    def published_document(self, kind: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.published).where(s.published.c.kind == kind)).first()
        if row is None:
            raise NotFoundError(f"服务器没有发布“{kind}”")
        return {
            "kind": kind,
            "version": row.version,
            "sha256": row.sha256,
            "document": json.loads(row.document),
        }

    # -- auth and scope -------------------------------------------------------------------
    def authenticate(self, token: str | None) -> dict[str, Any]:
        if not token:
            raise AuthError("请求未带设备令牌，请先登记本设备")
        with self.engine.connect() as conn, conn.begin():
            select = sa.select(
                s.devices,
                s.officers.c.name.label("officer_name"),
                s.officers.c.unit,
                s.officers.c.role,
            ).select_from(s.devices.join(s.officers, s.officers.c.id == s.devices.c.officer_id))
            row = conn.execute(select.where(s.devices.c.token_hash == token_hash(token))).first()
            if row is None:  # a rotated-out token in its grace window, or a lost device's
                row = office_security.device_by_previous_token(conn, token_hash(token), select)
            if row is None:
                raise AuthError("本设备未在服务器登记或令牌无效，请重新登记（本机数据不受影响）")
            wipe_order = office_security.check_lost(conn, row.id) if row.revoked_at else None
            if row.revoked_at and wipe_order is None:
                raise AuthError("本设备已被管理员撤销，请重新登记（本机数据不受影响）")
            now = now_iso()
            if not row.last_seen or row.last_seen[:16] != now[:16]:  # at most one write a minute
                conn.execute(
                    sa.update(s.devices).where(s.devices.c.id == row.id).values(last_seen=now)
                )
        if wipe_order is not None:
            raise wipe_order  # 410: the device erases itself
        return dict(row._mapping) | {"_presented_hash": token_hash(token)}

    def visible_spaces(self, conn: Connection, device: dict[str, Any]) -> list[str]:
        if device["role"] == "province":
            # Every owner space; shared:* spaces only repeat records it already sees.
            names = [
                r.name
                for r in conn.execute(sa.select(s.spaces.c.name).order_by(s.spaces.c.name))
                if not r.name.startswith(p.SHARED_PREFIX)
            ]
        else:
            names = [p.PROVINCE_SPACE, p.unit_space(device["unit"]), p.shared_space(device["unit"])]
        # The province-wide directory first, so rows referencing companies arrive after them.
        return sorted(set(names), key=lambda n: (n != p.PROVINCE_SPACE, n))

    def _ensure_spaces(self, conn: Connection, names: Iterable[str]) -> None:
        for name in names:
            conn.execute(
                _insert(conn, s.spaces)
                .values(name=name)
                .on_conflict_do_nothing(index_elements=["name"])
            )

    # -- hello / status ----------------------------------------------------------------
    def hello(self, device: dict[str, Any]) -> dict[str, Any]:
        with self.engine.connect() as conn:
            visible = self.visible_spaces(conn, device)
            rows = conn.execute(sa.select(s.spaces).where(s.spaces.c.name.in_(visible))).all()
        return {
            "server_time_ms": wall_clock_ms(),
            "protocol": p.PROTOCOL_VERSION,
            "device_id": device["id"],
            "officer": {
                "name": device["officer_name"],
                "unit": device["unit"],
                "role": device["role"],
            },
            "last_seq": device.get("last_seq", 0),
            "spaces": {
                r.name: {
                    "seq": r.seq,
                    "count": r.count,
                    "checksum": r.checksum,
                    "forgotten_before": r.forgotten_before,
                }
                for r in rows
            },
            "published": self.published_versions(),
        }

    # -- push ----------------------------------------------------------------------------
    def _server_hlc(self) -> str:
        with self._clock_lock:
            return self.clock.now().pack()

    def _clamp(self, hlc: str, device_id: str) -> str:
        try:
            ts = Timestamp.parse(hlc)
        except ValueError:
            raise OfficeError(f"无效的时间戳 {hlc!r}") from None
        if ts.node != device_id:
            raise ForbiddenError("批次中的时间戳不属于本设备")
        now = wall_clock_ms()
        if ts.wall_ms > now + FUTURE_TOLERANCE_MS:
            server = Timestamp.parse(self._server_hlc())
            return Timestamp(server.wall_ms, server.counter, device_id).pack()
        return hlc

    def push(self, device: dict[str, Any], batch: dict[str, Any]) -> dict[str, Any]:
        batch_id = str(batch.get("batch_id") or "")[:120]
        ops = batch.get("ops") or []
        if not batch_id or not isinstance(ops, list):
            raise OfficeError("批次格式不正确")
        dev_id = device["id"]
        for op in ops:
            if op.get("device") != dev_id:
                raise ForbiddenError("批次中含有其他设备的修改，已拒绝")
            if (
                not isinstance(op.get("seq"), int)
                or not op.get("t")
                or not op.get("id")
                or not op.get("f")
            ):
                raise OfficeError("批次格式不正确")
        ops = sorted(ops, key=lambda o: o["seq"])
        try:
            from_seq = int(batch.get("from_seq", ops[0]["seq"] if ops else 0))
            to_seq = int(batch.get("to_seq", ops[-1]["seq"] if ops else 0))
        except (TypeError, ValueError):
            raise OfficeError("批次格式不正确") from None
        seqs = [o["seq"] for o in ops]
        if (
            len(set(seqs)) != len(seqs)
            or (ops and (seqs[0] < from_seq or seqs[-1] > to_seq))
            or from_seq > to_seq
        ):
            raise OfficeError("批次编号不一致，已拒绝")
        with self.engine.begin() as conn:
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
            new_ops = [o for o in new_ops if (o["t"], o["id"]) not in erased]
            applied, conflicts = self._apply_ops(conn, device, new_ops) if new_ops else (0, 0)
            acked = to_seq
            conn.execute(
                sa.update(s.devices).where(s.devices.c.id == dev_id).values(last_seq=acked)
            )
            conn.execute(
                _insert(conn, s.batches)
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

    def _apply_ops(
        self, conn: Connection, device: dict[str, Any], ops: list[dict[str, Any]]
    ) -> tuple[int, int]:
        dev_id, role = device["id"], device["role"]
        own_space = p.unit_space(device["unit"])
        keys = sorted({(o["t"], o["id"]) for o in ops})
        recs: dict[tuple[str, str], dict[str, Any]] = {}
        for chunk in _chunks(keys):
            for r in conn.execute(
                sa.select(s.records).where(
                    sa.tuple_(s.records.c.tbl, s.records.c.row_id).in_(chunk)
                )
            ):
                recs[(r.tbl, r.row_id)] = dict(r._mapping)
        visible = None
        if role != "province":
            visible = {p.PROVINCE_SPACE, own_space}
        my_shared = p.shared_space(device["unit"])
        live = self._live_shares(conn, keys)
        rejected: set[tuple[str, str]] = set()
        new_recs: dict[tuple[str, str], dict[str, Any]] = {}
        for op in ops:
            key = (op["t"], op["id"])
            rec = recs.get(key) or new_recs.get(key)
            if rec is None:
                space = (
                    p.PROVINCE_SPACE
                    if op["t"] in (p.PROVINCE_TABLES | p.OFFICE_TABLES)
                    else own_space
                )
                rec = {
                    "tbl": op["t"],
                    "row_id": op["id"],
                    "space": space,
                    "owner_unit": device["unit"],
                    "created_at": op["h"],
                    "created_device": dev_id,
                }
                new_recs[key] = rec
            elif (
                visible is not None
                and rec["space"] not in visible
                and my_shared not in live.get(key, ())
            ):
                if (
                    key in rejected
                    or conn.execute(
                        sa.select(s.shared_fields.c.field)
                        .where(
                            s.shared_fields.c.space == my_shared,
                            s.shared_fields.c.tbl == key[0],
                            s.shared_fields.c.row_id == key[1],
                        )
                        .limit(1)
                    ).first()
                ):
                    rejected.add(key)  # shared once, no longer: the edit comes back as a conflict
                    continue
                raise ForbiddenError("批次试图修改本单位无权访问的记录，已拒绝")
        needed = {r["space"] for r in list(recs.values()) + list(new_recs.values())} | {own_space}
        share_ids = sorted({o["id"] for o in ops if o["t"] == p.SHARES_TABLE})
        needed |= {sp for spaces in live.values() for sp in spaces}
        needed |= {
            p.shared_space(str(o.get("v") or ""))
            for o in ops
            if o["t"] == p.SHARES_TABLE and o["f"] == "unit"
        }
        for chunk in _chunks(share_ids):
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
        # Current field state of every touched row, under the space locks.
        state: dict[tuple[str, str], dict[str, list]] = {k: {} for k in keys}
        for chunk in _chunks(keys):
            q = sa.select(
                s.fields.c.tbl,
                s.fields.c.row_id,
                s.fields.c.field,
                s.fields.c.value,
                s.fields.c.hlc,
                s.fields.c.device,
            ).where(sa.tuple_(s.fields.c.tbl, s.fields.c.row_id).in_(chunk))
            for r in conn.execute(q):
                state[(r.tbl, r.row_id)][r.field] = [r.value, r.hlc, r.device, True]
        officer_names = self._device_officers(
            conn, {c[2] for st in state.values() for c in st.values()} | {dev_id}
        )
        writes: dict[tuple[str, str, str], tuple[str, str, str, str]] = {}
        old_versions: dict[tuple[str, str, str], str] = {}
        conflicts: list[dict[str, Any]] = []

        def conflict(kind: str, rec: dict, field: str, winner: list, loser: list) -> None:
            conflicts.append(
                {
                    "space": rec["space"] if kind != "rejected" else own_space,
                    "kind": kind,
                    "table_name": rec["tbl"],
                    "row_id": rec["row_id"],
                    "field": field,
                    "winner_value": winner[0],
                    "winner_hlc": winner[1],
                    "winner_device": winner[2],
                    "winner_officer": officer_names.get(winner[2], winner[2]),
                    "loser_value": loser[0],
                    "loser_hlc": loser[1],
                    "loser_device": loser[2],
                    "loser_officer": officer_names.get(loser[2], loser[2]),
                }
            )

        def write(rec: dict, field: str, value: str, hlc: str) -> None:
            k = (rec["tbl"], rec["row_id"], field)
            cur = state[(rec["tbl"], rec["row_id"])].get(field)
            if cur is not None and cur[3] and k not in old_versions:
                old_versions[k] = cur[1]
            state[(rec["tbl"], rec["row_id"])][field] = [
                value,
                hlc,
                dev_id,
                cur[3] if cur else False,
            ]
            writes[k] = (value, hlc, dev_id, rec["space"])

        applied = 0
        for op in ops:
            key = (op["t"], op["id"])
            rec = recs.get(key) or new_recs[key]
            field = op["f"]
            value = json.dumps(op.get("v"), ensure_ascii=False)
            hlc = self._clamp(op["h"], dev_id)
            row = state[key]
            if (op["t"] in p.OFFICE_TABLES and role != "province") or key in rejected:
                conflict(
                    "rejected",
                    rec,
                    field,
                    [row.get(field, [None])[0], "", SERVER_NODE],
                    [value, hlc, dev_id],
                )
                continue
            cur = row.get(field)
            applied += 1
            if cur is None:
                write(rec, field, value, hlc)
            else:
                same = cur[0] == value
                concurrent = not same and cur[1] != op.get("b") and cur[2] != dev_id
                if same and hlc <= cur[1]:
                    pass  # already the current value, with a newer version: nothing to do
                elif not concurrent:
                    if hlc <= cur[1]:
                        c = Timestamp.parse(cur[1])
                        hlc = Timestamp(c.wall_ms, c.counter + 1, dev_id).pack()
                    write(rec, field, value, hlc)
                elif hlc > cur[1]:
                    conflict("field", rec, field, [value, hlc, dev_id], list(cur))
                    write(rec, field, value, hlc)
                else:
                    conflict("field", rec, field, list(cur), [value, hlc, dev_id])
            # A deletion against edits the deleting device had not seen, and the reverse.
            deleted = row.get("deleted")
            if field == "deleted" and op.get("v") and not (cur and json.loads(cur[0])):
                bases = op.get("rb") or {}
                for other, version in row.items():
                    if (
                        other in ("deleted", p.MERGE_FIELD)
                        or version[2] == dev_id
                        or version[1] == bases.get(other)
                    ):
                        continue
                    conflict("delete_edit", rec, other, [value, hlc, dev_id], list(version))
            elif (
                field != "deleted"
                and deleted
                and json.loads(deleted[0])
                and deleted[2] != dev_id
                and deleted[1] != op.get("db")
                and (cur is None or cur[0] != value)
            ):
                conflict("delete_edit", rec, field, list(deleted), [value, hlc, dev_id])
        # Conflict records: a synced table in the space of the record they are about.
        for c in conflicts:
            cid = str(uuid.uuid4())
            space = c.pop("space")
            hlc = self._server_hlc()
            crec = {
                "tbl": p.CONFLICTS_TABLE,
                "row_id": cid,
                "space": space,
                "owner_unit": device["unit"],
                "created_at": hlc,
                "created_device": SERVER_NODE,
            }
            new_recs[(p.CONFLICTS_TABLE, cid)] = crec
            state[(p.CONFLICTS_TABLE, cid)] = {}
            c.update(deleted=0, resolved=0, resolved_at="")
            for name, val in c.items():
                k = (p.CONFLICTS_TABLE, cid, name)
                writes[k] = (json.dumps(val, ensure_ascii=False), hlc, SERVER_NODE, space)
        self._write(conn, writes, old_versions, new_recs, locked)
        self._apply_shares(conn, device, share_ids, {(k[0], k[1]) for k in writes}, live, locked)
        return applied, len(conflicts)

    # -- sharing (record_shares → shared:<unit> spaces) ------------------------------------
    def _live_shares(
        self, conn: Connection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for chunk in _chunks(keys):
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
                .first()
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
            for chunk in _chunks(keys):
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
            stmt = _insert(conn, s.shared_fields)
            stmt = stmt.on_conflict_do_update(
                index_elements=["space", "tbl", "row_id", "field"],
                set_={c: stmt.excluded[c] for c in ("value", "hlc", "seq")},
            )
            for chunk in _chunks(rows, 1000):
                conn.execute(stmt, chunk)

    def _device_officers(self, conn: Connection, device_ids: set[str]) -> dict[str, str]:
        ids = sorted(d for d in device_ids if d)
        out: dict[str, str] = {SERVER_NODE: "省招商办"}
        for chunk in _chunks(ids):
            q = (
                sa.select(s.devices.c.id, s.officers.c.name)
                .select_from(s.devices.join(s.officers, s.officers.c.id == s.devices.c.officer_id))
                .where(s.devices.c.id.in_(chunk))
            )
            out.update({r.id: r.name for r in conn.execute(q)})
        return out

    def _write(
        self, conn: Connection, writes: dict, old_versions: dict, new_recs: dict, locked: dict
    ) -> None:
        if new_recs:
            for chunk in _chunks(list(new_recs.values()), 500):
                conn.execute(
                    _insert(conn, s.records).on_conflict_do_nothing(
                        index_elements=["tbl", "row_id"]
                    ),
                    chunk,
                )
        per_space: dict[str, list] = {}
        for k, w in writes.items():
            per_space.setdefault(w[3], []).append((k, w))
        rows = []
        for space, items in per_space.items():
            cur = locked[space]
            seq, count, checksum = cur["seq"], cur["count"], cur["checksum"]
            for (tbl, row_id, field), (value, hlc, device, _sp) in items:
                seq += 1
                old = old_versions.get((tbl, row_id, field))
                if old is None:
                    count += 1
                else:
                    checksum -= p.field_hash(tbl, row_id, field, old)
                checksum = (checksum + p.field_hash(tbl, row_id, field, hlc)) % p.CHECKSUM_MOD
                rows.append(
                    {
                        "tbl": tbl,
                        "row_id": row_id,
                        "field": field,
                        "value": value,
                        "hlc": hlc,
                        "device": device,
                        "space": space,
                        "seq": seq,
                    }
                )
            conn.execute(
                sa.update(s.spaces)
                .where(s.spaces.c.name == space)
                .values(seq=seq, count=count, checksum=checksum)
            )
        stmt = _insert(conn, s.fields)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tbl", "row_id", "field"],
            set_={c: stmt.excluded[c] for c in ("value", "hlc", "device", "space", "seq")},
        )
        for chunk in _chunks(rows, 1000):
            conn.execute(stmt, chunk)

    # -- pull ----------------------------------------------------------------------------
    def pull(
        self, device: dict[str, Any], cursors: dict[str, int], limit: int | None = None
    ) -> dict[str, Any]:
        return json.loads(self.pull_json(device, cursors, limit))

    def pull_json(
        self, device: dict[str, Any], cursors: dict[str, int], limit: int | None = None
    ) -> str:
        """One page of changes after the device's per-space cursors, as JSON text. Stored
        values are already JSON, so they are spliced in without decoding (fast pages)."""
        limit = max(1, min(int(limit or p.PULL_PAGE_ROWS), 50000))
        out_rows: dict[tuple[str, str], list] = {}
        new_cursors: dict[str, int] = {}
        resnapshot: list[str] = []
        more = False
        remaining = limit
        dumps = json.dumps
        with self.engine.connect() as conn:
            visible = self.visible_spaces(conn, device)
            heads = {
                r.name: r
                for r in conn.execute(sa.select(s.spaces).where(s.spaces.c.name.in_(visible)))
            }
            for space in visible:
                head = heads.get(space)
                if head is None:
                    continue
                cursor = int(cursors.get(space, 0) or 0)
                if 0 < cursor < head.forgotten_before:
                    resnapshot.append(space)
                    cursor = 0
                new_cursors[space] = cursor
                if remaining <= 0:
                    more = more or cursor < head.seq
                    continue
                # shared:<unit> spaces hold copies (their own seqs) of records owned elsewhere.
                shared = space.startswith(p.SHARED_PREFIX)
                f = s.shared_fields if shared else s.fields
                on = sa.and_(s.records.c.tbl == f.c.tbl, s.records.c.row_id == f.c.row_id)
                q = (
                    sa.select(
                        f.c.tbl,
                        f.c.row_id,
                        f.c.field,
                        f.c.value,
                        f.c.hlc,
                        f.c.seq,
                        sa.func.coalesce(s.records.c.created_at, f.c.hlc)
                        if shared
                        else s.records.c.created_at,
                    )
                    .select_from(f.outerjoin(s.records, on) if shared else f.join(s.records, on))
                    .where(f.c.space == space, f.c.seq > cursor)
                    .order_by(f.c.seq)
                    .limit(remaining + 1)
                )
                result = conn.execute(q).all()
                if len(result) > remaining:
                    result = result[:remaining]
                    more = True
                space_json = dumps(space, ensure_ascii=False)
                for tbl, row_id, field, value, hlc, seq, created_at in result:
                    row = out_rows.get((tbl, row_id))
                    if row is None:
                        row = out_rows[(tbl, row_id)] = [
                            '{"t":'
                            + dumps(tbl)
                            + ',"id":'
                            + dumps(row_id)
                            + ',"s":'
                            + space_json
                            + ',"c":'
                            + dumps(created_at)
                            + ',"f":{',
                            [],
                        ]
                    row[1].append(
                        dumps(field)
                        + ":["
                        + (value if value is not None else "null")
                        + ',"'
                        + hlc
                        + '"]'
                    )
                    new_cursors[space] = seq
                remaining -= len(result)
        rows_json = ",".join(head + ",".join(parts) + "}}" for head, parts in out_rows.values())
        return (
            '{"rows":['
            + rows_json
            + '],"cursors":'
            + dumps(new_cursors, ensure_ascii=False)
            + ',"more":'
            + ("true" if more else "false")
            + ',"resnapshot":'
            + dumps(resnapshot, ensure_ascii=False)
            + ',"changes":'
            + str(limit - remaining)
            + "}"
        )

    # -- maintenance -----------------------------------------------------------------------
    def compact(self, older_than_days: int = 400) -> int:
        """Forget tombstoned records deleted longer ago than any offline period; devices
        whose cursor is older re-snapshot that space."""
        cutoff_ms = wall_clock_ms() - older_than_days * 86400_000
        cutoff = f"{cutoff_ms:016d}"
        purged = 0
        with self.engine.begin() as conn:
            dead = conn.execute(
                sa.select(s.fields.c.tbl, s.fields.c.row_id, s.fields.c.space).where(
                    s.fields.c.field == "deleted", s.fields.c.value == "1", s.fields.c.hlc < cutoff
                )
            ).all()
            by_space: dict[str, list] = {}
            for d in dead:
                by_space.setdefault(d.space, []).append((d.tbl, d.row_id))
            for space in sorted(by_space):
                head = conn.execute(
                    sa.select(s.spaces).where(s.spaces.c.name == space).with_for_update()
                ).first()
                count, checksum, forgotten = head.count, head.checksum, head.forgotten_before
                for chunk in _chunks(by_space[space]):
                    cond = sa.tuple_(s.fields.c.tbl, s.fields.c.row_id).in_(chunk)
                    for f in conn.execute(
                        sa.select(
                            s.fields.c.tbl,
                            s.fields.c.row_id,
                            s.fields.c.field,
                            s.fields.c.hlc,
                            s.fields.c.seq,
                        ).where(cond)
                    ):
                        count -= 1
                        checksum = (
                            checksum - p.field_hash(f.tbl, f.row_id, f.field, f.hlc)
                        ) % p.CHECKSUM_MOD
                        forgotten = max(forgotten, f.seq)
                    conn.execute(sa.delete(s.fields).where(cond))
                    conn.execute(
                        sa.delete(s.records).where(
                            sa.tuple_(s.records.c.tbl, s.records.c.row_id).in_(chunk)
                        )
                    )
                    purged += len(chunk)
                conn.execute(
                    sa.update(s.spaces)
                    .where(s.spaces.c.name == space)
                    .values(count=count, checksum=checksum, forgotten_before=forgotten)
                )
        return purged

    # -- inspection (tests, admin) ----------------------------------------------------------
    def record(self, table: str, row_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.fields.c.field, s.fields.c.value).where(
                    s.fields.c.tbl == table, s.fields.c.row_id == row_id
                )
            ).all()
        if not rows:
            return None
        return {r.field: json.loads(r.value) if r.value is not None else None for r in rows}

    def dump(self, spaces: Iterable[str] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """{(table, row_id): {field: value}} of everything (or of some spaces)."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        with self.engine.connect() as conn:
            q = sa.select(s.fields.c.tbl, s.fields.c.row_id, s.fields.c.field, s.fields.c.value)
            if spaces is not None:
                q = q.where(s.fields.c.space.in_(list(spaces)))
            for r in conn.execute(q):
                out.setdefault((r.tbl, r.row_id), {})[r.field] = (
                    json.loads(r.value) if r.value is not None else None
                )
        return out

    # -- blobs (attachments by content hash) -------------------------------------------------
    def blob_path(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise OfficeError("无效的文件哈希")
        return self.blob_dir / sha[:2] / sha

    def blob_visible(self, device: dict[str, Any], sha: str) -> bool:
        with self.engine.connect() as conn:
            visible = self.visible_spaces(conn, device)
            row = conn.execute(
                sa.select(s.fields.c.row_id)
                .where(
                    s.fields.c.tbl == "attachments",
                    s.fields.c.field == "sha256",
                    s.fields.c.value == json.dumps(sha),
                    s.fields.c.space.in_(visible),
                )
                .limit(1)
            ).first()
            if row is None:
                row = conn.execute(
                    sa.select(s.shared_fields.c.row_id)
                    .where(
                        s.shared_fields.c.tbl == "attachments",
                        s.shared_fields.c.field == "sha256",
                        s.shared_fields.c.value == json.dumps(sha),
                        s.shared_fields.c.space.in_(visible),
                    )
                    .limit(1)
                ).first()
        return row is not None
