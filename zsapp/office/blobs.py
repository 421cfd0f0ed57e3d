"""Attachments by content hash (sha256), with per-space access.

A blob is *owned* by the unit spaces whose devices uploaded it in full (content checked
against the hash). A device may download it only when an ``attachments`` record it may
see references the hash and that record lives in an owner space (or is shared with the
device's unit from one): pushing one's own ``attachments`` row that names another unit's
hash grants nothing. ``/v1/blobs/missing`` answers "missing" for every hash the device's
own space does not own, so it never reveals whether another unit has a file.

Uploads go to one ``.part`` file per (hash, device), resumable; the declared total is
fixed by the first chunk, a chunk past it is refused, and a device's unfinished uploads
together may not exceed its quota.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.office import audit
from zsapp.office import schema as s
from zsapp.office.common import (
    ForbiddenError,
    NotFoundError,
    OfficeCore,
    OfficeError,
    insert_stmt,
    now_iso,
)
from zsapp.office.limits import DEVICE_BLOB_QUOTA, MAX_BLOB_BYTES
from zsapp.office.validate import PayloadTooLarge, ValidationFailed, is_sha256
from zsapp.sync import protocol as p

blob_owners = sa.Table(
    "blob_owners",
    s.metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("space", sa.String(120), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)

blob_parts = sa.Table(
    "blob_parts",
    s.metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Index("blob_parts_device", "device_id"),
)


def create(conn: Connection) -> None:
    blob_owners.create(conn, checkfirst=True)
    blob_parts.create(conn, checkfirst=True)


class BlobConflict(OfficeError):
    """The upload offset does not match what the server holds (client resumes there)."""

    status = 409

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


class BlobsMixin(OfficeCore):
    """Attachment blobs (part of ``Office``)."""

    def blob_path(self, sha: str) -> Path:
        if not is_sha256(sha):
            raise ValidationFailed("无效的文件哈希（应为 64 位小写十六进制）")
        return self.blob_dir / sha[:2] / sha

    def _part_path(self, sha: str, device_id: str) -> Path:
        return self.blob_path(sha).with_name(f"{sha}.{device_id}.part")

    def _owners(self, conn: Connection, sha: str) -> set[str]:
        owners = {
            r.space
            for r in conn.execute(sa.select(blob_owners.c.space).where(blob_owners.c.sha256 == sha))
        }
        if owners:
            return owners
        # Uploaded before ownership was tracked: the space of the first record naming it.
        first = conn.execute(
            sa.select(s.records.c.space)
            .select_from(
                s.fields.join(
                    s.records,
                    sa.and_(
                        s.records.c.tbl == s.fields.c.tbl, s.records.c.row_id == s.fields.c.row_id
                    ),
                )
            )
            .where(
                s.fields.c.tbl == "attachments",
                s.fields.c.field == "sha256",
                s.fields.c.value == json.dumps(sha),
            )
            .order_by(s.records.c.created_at)
            .limit(1)
        ).first()
        return {first.space} if first else set()

    def blobs_missing(self, device: dict[str, Any], hashes: list[str]) -> list[dict[str, Any]]:
        own = p.unit_space(device["unit"])
        out = []
        with self.engine.connect() as conn:
            owned = set()
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                owned |= {
                    r.sha256
                    for r in conn.execute(
                        sa.select(blob_owners.c.sha256).where(
                            blob_owners.c.sha256.in_(chunk), blob_owners.c.space == own
                        )
                    )
                }
        for sha in dict.fromkeys(hashes):
            if sha in owned and self.blob_path(sha).exists():
                continue
            part = self._part_path(sha, device["id"])
            out.append({"sha256": sha, "offset": part.stat().st_size if part.exists() else 0})
        return out

    def blob_upload(
        self, device: dict[str, Any], sha: str, offset: int, total: int, chunk: bytes
    ) -> dict[str, Any]:
        """Append ``chunk`` at ``offset`` of the device's upload of ``sha`` (``total``
        bytes); once complete and verified the device's unit owns the blob."""
        path = self.blob_path(sha)
        own = p.unit_space(device["unit"])
        if not 0 <= total <= MAX_BLOB_BYTES:
            raise PayloadTooLarge(f"附件过大（单个最多 {MAX_BLOB_BYTES >> 20} MB）")
        with self.engine.begin() as conn:
            if (
                path.exists()
                and conn.execute(
                    sa.select(blob_owners.c.space).where(
                        blob_owners.c.sha256 == sha, blob_owners.c.space == own
                    )
                ).first()
            ):
                return {"complete": True, "size": path.stat().st_size}
            row = conn.execute(
                sa.select(blob_parts).where(
                    blob_parts.c.sha256 == sha, blob_parts.c.device_id == device["id"]
                )
            ).first()
            part = self._part_path(sha, device["id"])
            have = part.stat().st_size if part.exists() and row is not None else 0
            if row is None:
                pending: int = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(blob_parts.c.total), 0)).where(
                        blob_parts.c.device_id == device["id"]
                    )
                ).scalar_one()
                if int(pending) + total > DEVICE_BLOB_QUOTA:
                    raise PayloadTooLarge(
                        "本设备未完成的附件上传过多，已达配额，请先完成或稍后再传"
                    )
                conn.execute(
                    sa.insert(blob_parts).values(
                        sha256=sha, device_id=device["id"], total=total, started_at=now_iso()
                    )
                )
            elif int(row.total) != total:
                raise ValidationFailed("附件大小与先前声明的不一致，已拒绝")
        if offset != have:
            raise BlobConflict("上传位置不一致", have)
        if have + len(chunk) > total:
            raise PayloadTooLarge("上传的内容超过了声明的附件大小，已拒绝")
        size = _append(part, chunk)
        if size < total:
            return {"complete": False, "size": size}
        digest = _sha256_file(part)
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(blob_parts).where(
                    blob_parts.c.sha256 == sha, blob_parts.c.device_id == device["id"]
                )
            )
            if digest != sha:
                part.unlink(missing_ok=True)
                audit.record(
                    conn,
                    actor=f"device:{device['id']}",
                    action="blob.upload",
                    target=f"blob:{sha}",
                    result="refused",
                    detail={"reason": "hash mismatch", "size": size},
                )
                raise ValidationFailed("文件内容与哈希不符，已丢弃，请重新上传")
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                part.unlink(missing_ok=True)
            else:
                part.replace(path)
            conn.execute(
                insert_stmt(conn, blob_owners)
                .values(sha256=sha, space=own, size=size, device_id=device["id"], at=now_iso())
                .on_conflict_do_nothing(index_elements=["sha256", "space"])
            )
        return {"complete": True, "size": size}

    def blob_for_download(self, device: dict[str, Any], sha: str) -> Path:
        path = self.blob_path(sha)
        if not self.blob_visible(device, sha):
            raise ForbiddenError("无权下载这个附件")
        if not path.exists():
            raise NotFoundError("服务器上还没有这个附件")
        return path

    def blob_visible(self, device: dict[str, Any], sha: str) -> bool:
        """An ``attachments`` record naming ``sha`` that the device may see, in a space
        that owns the blob (directly, or shared with the device's unit from it)."""
        value = json.dumps(sha)
        with self.engine.connect() as conn:
            owners = self._owners(conn, sha)
            if not owners:
                return False
            visible = set(self.visible_spaces(conn, device))
            direct = sorted(owners & visible)
            if (
                direct
                and conn.execute(
                    sa.select(s.fields.c.row_id)
                    .where(
                        s.fields.c.tbl == "attachments",
                        s.fields.c.field == "sha256",
                        s.fields.c.value == value,
                        s.fields.c.space.in_(direct),
                    )
                    .limit(1)
                ).first()
            ):
                return True
            shared = sorted(sp for sp in visible if sp.startswith(p.SHARED_PREFIX))
            if not shared:
                return False
            row = conn.execute(
                sa.select(s.shared_fields.c.row_id)
                .select_from(
                    s.shared_fields.join(
                        s.records,
                        sa.and_(
                            s.records.c.tbl == s.shared_fields.c.tbl,
                            s.records.c.row_id == s.shared_fields.c.row_id,
                        ),
                    )
                )
                .where(
                    s.shared_fields.c.tbl == "attachments",
                    s.shared_fields.c.field == "sha256",
                    s.shared_fields.c.value == value,
                    s.shared_fields.c.space.in_(shared),
                    s.records.c.space.in_(sorted(owners)),
                )
                .limit(1)
            ).first()
        return row is not None


def _append(part: Path, chunk: bytes) -> int:
    part.parent.mkdir(parents=True, exist_ok=True)
    with open(part, "ab") as fh:
        fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    return part.stat().st_size


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
