"""Attachment files at rest: ``data_dir()/attachments/<sha[:2]>/<sha>``, named by the
SHA-256 of their *plaintext* (sync moves them by that hash), stored AES-GCM encrypted
with the store's files key. A plain blob left by an older version is still read, and
:func:`encrypt_legacy_blobs` encrypts those in place at start.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any, BinaryIO

from zsapp import paths
from zsapp.security import files, perms


def blobs_dir() -> Path:
    return paths.data_dir() / "attachments"


def blob_path(sha: str) -> Path:
    return blobs_dir() / sha[:2] / sha


def store_blob(store: Any, sha: str, source: Path | str) -> Path:
    """Encrypt the plaintext file ``source`` into the blob for ``sha`` (atomic)."""
    target = blob_path(sha)
    perms.private_dir(target.parent)
    perms.private_dir(target.parent.parent)
    files.encrypt_file(store.keys.files, source, target)
    return target


def store_blob_bytes(store: Any, sha: str, data: bytes) -> Path:
    target = blob_path(sha)
    perms.private_dir(target.parent)
    perms.write_private(target, files.encrypt_bytes(store.keys.files, data))
    return target


def open_blob(store: Any, sha: str) -> BinaryIO:
    """The plaintext of a blob, seekable; ``.size`` is its plaintext size."""
    path = blob_path(sha)
    if files.is_encrypted(path):
        return files.EncryptedReader(store.keys.files, path)  # type: ignore[return-value]
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller
    fh.size = os.fstat(fh.fileno()).st_size  # type: ignore[attr-defined]
    return fh


def read_blob(store: Any, sha: str) -> bytes:
    with open_blob(store, sha) as fh:
        return fh.read()


def export_blob(store: Any, sha: str, target: Path | str) -> Path:
    """Write the decrypted attachment to ``target`` (0600), e.g. to open it."""
    target = Path(target)
    with open_blob(store, sha) as src:
        perms.write_private(target, src.read())
    return target


def encrypt_legacy_blobs(store: Any) -> int:
    """Encrypt blobs written in plain by an older version; returns how many."""
    root = blobs_dir()
    if not root.exists():
        return 0
    count = 0
    for path in root.glob("*/*"):
        if path.name.startswith(".") or path.suffix == ".part" or files.is_encrypted(path):
            continue
        with contextlib.suppress(OSError):
            data = path.read_bytes()
            perms.write_private(path, files.encrypt_bytes(store.keys.files, data))
            count += 1
    return count


def erase_blob(sha: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        blob_path(sha).unlink()


__all__ = ["blob_path", "io", "open_blob", "read_blob", "store_blob", "store_blob_bytes"]
