"""Office administration and enrollment: officers, enrollment codes, devices and
their tokens, the sync log and audit log, published snapshots, hello."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.clock import wall_clock_ms
from zsapp.office import audit
from zsapp.office import schema as s
from zsapp.office import security as office_security
from zsapp.office.common import (
    _CODE_ALPHABET,
    ENROLL_DAYS,
    ROLES,
    AuthError,
    ForbiddenError,
    NotFoundError,
    OfficeCore,
    OfficeError,
    insert_stmt,
    normalise_code,
    now_iso,
    token_hash,
)
from zsapp.office.push import hlc_floor_ms
from zsapp.sync import protocol as p
from zsapp.sync.rules import is_device_id


class AdminMixin(OfficeCore):
    """Admin, enrollment and authentication (part of ``Office``)."""

    def add_officer(
        self, name: str, unit: str, role: str = "officer", actor: str = "admin"
    ) -> dict[str, Any]:
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
            audit.record(
                conn,
                actor=actor,
                action="officer.add",
                target=f"officer:{officer['id']}",
                detail={"name": name, "unit": unit, "role": role},
            )
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

    def create_enrollment(self, officer: str, actor: str = "admin") -> dict[str, Any]:
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
            audit.record(
                conn,
                actor=actor,
                action="enrollment.create",
                target=f"officer:{row['id']}",
                detail={"name": row["name"], "days": ENROLL_DAYS},
            )
        return {"code": pretty, "officer": row["name"], "unit": row["unit"], "days": ENROLL_DAYS}

    def enroll(
        self,
        code: str,
        device_id: str,
        device_name: str = "",
        next_seq: int = 1,
        app_version: str = "",
        client: str = "",
    ) -> dict[str, Any]:
        if not is_device_id(device_id):
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
            audit.record(
                conn,
                actor=f"device:{device_id}",
                action="device.enroll",
                target=f"officer:{officer['id']}",
                detail={
                    "name": officer["name"],
                    "device_name": device_name[:200],
                    "client": client,
                },
            )
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

    def revoke_device(self, device_id: str, actor: str = "admin") -> None:
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
            audit.record(
                conn, actor=actor, action="device.revoke", target=f"device:{matches[0].id}"
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

    def audit(
        self,
        actor: str,
        action: str,
        target: str = "",
        result: str = "ok",
        detail: dict | None = None,
    ) -> None:
        """One audit entry in a transaction of its own (e.g. a refused request)."""
        with self.engine.begin() as conn:
            audit.record(
                conn, actor=actor, action=action, target=target, result=result, detail=detail
            )

    def audit_entries(self, since: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return audit.read(conn, since)

    def verify_audit(self) -> bool | int:
        with self.engine.connect() as conn:
            return audit.verify_chain(conn)

    def publish(
        self, kind: str, document: Any, version: str | None = None, actor: str = "admin"
    ) -> dict[str, Any]:
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
            stmt = insert_stmt(conn, s.published).values(**row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["kind"], set_={k: stmt.excluded[k] for k in row if k != "kind"}
                )
            )
            audit.record(
                conn,
                actor=actor,
                action="publish",
                target=f"published:{kind}",
                detail={"version": row["version"], "sha256": digest},
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
            raise wipe_order  # 410: the device erases itself (issue 14)
        return dict(row._mapping) | {"_presented_hash": token_hash(token)}

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
            "hlc_floor_ms": hlc_floor_ms(device),
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
