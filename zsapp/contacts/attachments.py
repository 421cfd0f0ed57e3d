"""Files attached to companies and visits, stored once by content hash in
data_dir()/attachments/<sha256[:2]>/<sha256>."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from zsapp.contacts.validation import ContactsError
from zsapp.security import blobs
from zsapp.store import RecordNotFound, Store

OWNERS = {"companies": "企业", "visits": "拜访记录", "people": "联系人"}
MAX_SIZE = 200 * 1024 * 1024


def blob_path(sha256: str) -> Path:
    return blobs.blob_path(sha256)


def add_attachment(
    store: Store, owner_table: str, owner_id: str, source: Path | str, filename: str | None = None
) -> str:
    if owner_table not in OWNERS:
        raise ContactsError(f"不能给 {owner_table} 添加附件")
    if not store.scalar(f"SELECT 1 FROM [{owner_table}] WHERE id = ? AND deleted = 0", (owner_id,)):
        raise RecordNotFound(f"找不到{OWNERS[owner_table]} {owner_id}")
    source = Path(source)
    if not source.is_file():
        raise ContactsError(f"文件不存在：{source}")
    size = source.stat().st_size
    if size > MAX_SIZE:
        raise ContactsError(f"文件过大（{size // 1024 // 1024} MB），附件最大 200 MB")
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    if not blob_path(sha).exists():
        blobs.store_blob(store, sha, source)  # encrypted, atomic under its hash
    name = filename or source.name
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return store.insert(
        "attachments",
        {
            "owner_table": owner_table,
            "owner_id": owner_id,
            "sha256": sha,
            "filename": name,
            "mime": mime,
            "size": size,
        },
    )


def list_attachments(store: Store, owner_table: str, owner_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT id, sha256, filename, mime, size, created_at FROM attachments "
        "WHERE owner_table = ? AND owner_id = ? AND deleted = 0 ORDER BY created_at",
        (owner_table, owner_id),
    )
    for row in rows:
        row["path"] = str(blob_path(row["sha256"]))
        row["available"] = blob_path(row["sha256"]).exists()
    return rows


def remove_attachment(store: Store, attachment_id: str) -> None:
    if store.get("attachments", attachment_id) is None:
        raise RecordNotFound(f"找不到附件 {attachment_id}")
    store.delete("attachments", attachment_id)
