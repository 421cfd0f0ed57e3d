"""The office server, independent of HTTP. ``Office`` is assembled from one part per
concern:

- ``admin``: officers, enrollment, devices, authentication, audit, published snapshots;
- ``push``: a device's batch merged field by field (``merge.merge_field``), sharing;
- ``pull``: pages of changes after the device's cursors;
- ``maintenance``: compaction, inspection;
- ``blobs``: attachments by content hash, with per-space access and upload quotas.

Errors and the engine live in ``common`` (re-exported here for callers).
"""

from __future__ import annotations

import threading
from pathlib import Path

from zsapp.clock import HybridLogicalClock
from zsapp.office import schema as s
from zsapp.office.admin import AdminMixin
from zsapp.office.blobs import BlobsMixin
from zsapp.office.common import (
    ENROLL_DAYS,
    FUTURE_TOLERANCE_MS,
    ROLES,
    SERVER_NODE,
    AuthError,
    ForbiddenError,
    GapError,
    NotFoundError,
    OfficeError,
    make_engine,
    normalise_code,
    now_iso,
    token_hash,
)
from zsapp.office.maintenance import MaintenanceMixin
from zsapp.office.pull import PullMixin
from zsapp.office.push import PUSH_HOOKS, PushMixin
from zsapp.sync import protocol as p

__all__ = [
    "ENROLL_DAYS",
    "FUTURE_TOLERANCE_MS",
    "PUSH_HOOKS",
    "ROLES",
    "SERVER_NODE",
    "AuthError",
    "ForbiddenError",
    "GapError",
    "NotFoundError",
    "Office",
    "OfficeError",
    "make_engine",
    "normalise_code",
    "now_iso",
    "token_hash",
]


class Office(AdminMixin, PushMixin, PullMixin, MaintenanceMixin, BlobsMixin):
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
