"""Backups (备份): the database and the attachments in one file, and a checked restore.

A backup is one file (``zsapp-backup-YYYYMMDD-HHMMSS.zsbackup``, a zip) holding
``manifest.json``, a consistent copy of the database made with SQLite's online backup API
while the app keeps running, and the attachment blobs. Every backup file is written by
:func:`write_backup_file` and read by :func:`open_backup_file` only, so the format (e.g.
encryption) can be changed in one place.

Restoring checks the file first (it is ours, ``PRAGMA integrity_check``, a schema version
this program can open), saves the current data as a backup, then copies the backup into
the open database (online backup API again) and brings back missing attachments.
Daily automatic backups go to ``<data dir>/backups`` and are kept 14 days.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zsapp import __version__, paths
from zsapp.security import backups as sealed
from zsapp.security.errors import WrongKeyError
from zsapp.store import DATABASE_ERRORS, Store, StoreError, latest_schema_version

FORMAT = 1
SUFFIX = ".zsbackup"
_NAME = re.compile(r"^zsapp-backup-(\d{8})-(\d{6})(?:-[a-z0-9-]+)?\.zsbackup$")
KEEP_DAYS = 14
COUNTED = ("companies", "people", "visits", "projects")
DB_MEMBER = "zsapp.sqlite3"


class BackupError(StoreError):
    pass


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: str
    schema_version: int
    app_version: str
    counts: dict[str, int]
    size: int

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "created_at": self.created_at,
            "schema_version": self.schema_version,
            "app_version": self.app_version,
            "counts": self.counts,
            "size": self.size,
        }


def local_folder() -> Path:
    return paths.data_dir() / "backups"


def attachments_dir() -> Path:
    return paths.data_dir() / "attachments"


# -- the one writer and the one reader of backup files -------------------------------------
def write_backup_file(
    store: Store, dest: Path, manifest: dict[str, Any], members: Iterable[tuple[str, Path]]
) -> Path:
    """Write a backup file atomically (temporary name, then rename), sealed with AES-GCM
    under the device's files key (zsapp.security.backups): nothing in it is plain."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".zip.part")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            for arcname, source in members:
                zf.write(source, arcname)
        sealed.seal(store.keys.files, tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"无法写入备份文件 {dest}：{exc.strerror or exc}") from exc
    return dest


def open_backup_file(store: Store, path: Path) -> zipfile.ZipFile:
    """Open a backup file for reading (sealed, or plain from an older version); a clear
    message when it is not one of ours or was made with another device's key."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    try:
        zf = sealed.open_zip(store.keys.files, path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BackupError(
            f"“{path.name}”不是招商助手的备份文件，或由另一台设备的密钥加密（无法读取）"
        ) from exc
    return zf


# -- creating ------------------------------------------------------------------------------
def _snapshot(store: Store, target: Path) -> None:
    """A consistent copy of the open database (SQLite online backup API)."""
    store.copy_to(target)


def _counts(conn: Any) -> dict[str, int]:
    out = {}
    for table in COUNTED:
        try:
            out[table] = conn.execute(
                f"SELECT count(*) FROM [{table}] WHERE deleted = 0"
            ).fetchone()[0]
        except DATABASE_ERRORS:
            out[table] = 0
    return out


def create_backup(
    store: Store, folder: Path | str, *, now: dt.datetime | None = None, label: str = ""
) -> BackupInfo:
    """Back up the database and attachments into ``folder`` (e.g. a USB stick)."""
    now = now or dt.datetime.now()
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法使用文件夹 {folder}：{exc.strerror or exc}") from exc
    suffix = f"-{label}" if label else ""
    dest = folder / f"zsapp-backup-{now:%Y%m%d-%H%M%S}{suffix}{SUFFIX}"
    n = 1
    while dest.exists():
        n += 1
        dest = folder / f"zsapp-backup-{now:%Y%m%d-%H%M%S}{suffix}-{n}{SUFFIX}"
    with tempfile.TemporaryDirectory(prefix="zsapp-backup-") as tmp:
        snapshot = Path(tmp) / DB_MEMBER
        _snapshot(store, snapshot)
        conn = store.open_copy(snapshot)
        try:
            counts = _counts(conn)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
        members: list[tuple[str, Path]] = [(DB_MEMBER, snapshot)]
        root = attachments_dir()
        if root.is_dir():
            members += [
                (f"attachments/{p.relative_to(root).as_posix()}", p)
                for p in sorted(root.rglob("*"))
                if p.is_file()
            ]
        manifest = {
            "app": "zsapp",
            "format": FORMAT,
            "app_version": __version__,
            "schema_version": version,
            "created_at": now.isoformat(timespec="seconds"),
            "device_id": store.device_id,
            "counts": counts,
            "attachments": len(members) - 1,
        }
        write_backup_file(store, dest, manifest, members)
    return BackupInfo(
        dest, manifest["created_at"], version, __version__, counts, dest.stat().st_size
    )


# -- reading and checking ------------------------------------------------------------------
def read_info(store: Store, path: Path | str) -> BackupInfo:
    path = Path(path)
    with open_backup_file(store, path) as zf:
        manifest = _manifest(zf, path)
    return BackupInfo(
        path,
        str(manifest.get("created_at", "")),
        int(manifest.get("schema_version", 0)),
        str(manifest.get("app_version", "")),
        dict(manifest.get("counts") or {}),
        path.stat().st_size,
    )


def _manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json").decode("utf-8"))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"“{path.name}”不是招商助手的备份文件（缺少说明）") from exc
    if not isinstance(manifest, dict) or manifest.get("app") != "zsapp":
        raise BackupError(f"“{path.name}”不是招商助手的备份文件")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"“{path.name}”的备份格式（{manifest.get('format')}）本程序无法读取")
    return manifest


def list_backups(store: Store, folder: Path | str | None = None) -> list[BackupInfo]:
    """Backups in ``folder`` (default: the automatic ones), newest first."""
    folder = Path(folder) if folder else local_folder()
    out = []
    for path in sorted(folder.glob(f"*{SUFFIX}"), reverse=True) if folder.is_dir() else []:
        try:
            out.append(read_info(store, path))
        except BackupError:
            continue
    return sorted(out, key=lambda b: b.created_at, reverse=True)


def check_database(store: Store, db_file: Path, name: str = "") -> int:
    """The file is a healthy zsapp database this program can open; returns its version."""
    try:
        conn = store.open_copy(db_file)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            conn.close()
    except WrongKeyError as exc:
        raise BackupError(
            f"备份{name}里的数据库已损坏，或由另一台设备的密钥加密，无法恢复"
        ) from exc
    except DATABASE_ERRORS as exc:
        raise BackupError(f"备份{name}里的数据库已损坏，无法恢复（{exc}）") from exc
    if result != "ok":
        raise BackupError(f"备份{name}里的数据库已损坏，无法恢复（完整性检查：{result}）")
    if not {"settings", "devices", "companies", "visits"} <= tables or version < 1:
        raise BackupError(f"备份{name}里不是招商助手的数据")
    latest = latest_schema_version()
    if version > latest:
        raise BackupError(
            f"备份{name}由较新版本的招商助手生成（数据版本 {version}，本程序支持 {latest}），"
            "请先升级招商助手"
        )
    return version


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupInfo
    safety_backup: BackupInfo
    attachments_restored: int


def restore_backup(
    store: Store, path: Path | str, *, now: dt.datetime | None = None
) -> RestoreResult:
    """Replace the current data with a backup, after checking it; the current data is
    first saved as a backup in the local backup folder."""
    path = Path(path)
    info = read_info(store, path)
    with (
        tempfile.TemporaryDirectory(prefix="zsapp-restore-") as tmp,
        open_backup_file(store, path) as zf,
    ):
        _manifest(zf, path)
        try:
            zf.extract(DB_MEMBER, tmp)
        except KeyError as exc:
            raise BackupError(f"“{path.name}”里没有数据库") from exc
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(f"“{path.name}”已损坏，无法读取（{exc}）") from exc
        db_file = Path(tmp) / DB_MEMBER
        check_database(store, db_file, f"“{path.name}”")
        safety = create_backup(store, local_folder(), now=now, label="before-restore")
        store.replace_from(db_file)
        restored = 0
        root = attachments_dir()
        for member in zf.namelist():
            if not member.startswith("attachments/") or member.endswith("/"):
                continue
            rel = Path(member).relative_to("attachments")
            if ".." in rel.parts:
                continue
            target = root / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                restored += 1
    return RestoreResult(info, safety, restored)


# -- automatic daily backups ---------------------------------------------------------------
def _day_of(path: Path) -> dt.date | None:
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        return dt.datetime.strptime(m[1], "%Y%m%d").date()
    except ValueError:
        return None


def auto_backup(
    store: Store,
    *,
    now: dt.datetime | None = None,
    folder: Path | None = None,
    keep_days: int = KEEP_DAYS,
) -> BackupInfo | None:
    """Once a day: back up into the local folder and delete automatic backups older than
    ``keep_days``. Returns the new backup, or None when today's exists already."""
    now = now or dt.datetime.now()
    folder = folder or local_folder()
    folder.mkdir(parents=True, exist_ok=True)
    files = [p for p in folder.glob(f"*{SUFFIX}") if _day_of(p)]
    made = None
    if not any(_day_of(p) == now.date() and "-auto" in p.name for p in files):
        made = create_backup(store, folder, now=now, label="auto")
    cutoff = now.date() - dt.timedelta(days=keep_days)
    for p in files:
        day = _day_of(p)
        if day and day < cutoff:
            p.unlink(missing_ok=True)
    return made
