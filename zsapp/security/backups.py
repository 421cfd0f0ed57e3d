"""Backup files at rest: sealed with AES-256-GCM (zsapp.security.files) under the device's
files key, read back through a seekable decrypting view, so a zip-based backup format
(issue 13's ``.zsbackup``) is encrypted by changing only its one writer and one reader:

    writer:  write the zip to ``tmp`` as now, then ``seal(store.keys.files, tmp, dest)``
    reader:  ``open_zip(store.keys.files, path)`` instead of ``zipfile.ZipFile(path)``

A plain (older) backup file is still read. The database copy inside is SQLCipher with the
same key, and attachment blobs are already encrypted, so nothing in a backup is plain.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

from zsapp.security import files, perms


def seal(master: bytes, source: Path | str, dest: Path | str) -> Path:
    """Encrypt ``source`` to ``dest`` (0600, atomic) and remove ``source``."""
    files.encrypt_file(master, source, dest)
    with contextlib.suppress(FileNotFoundError):
        Path(source).unlink()
    return perms.private_file(dest)


def open_zip(master: bytes, path: Path | str) -> zipfile.ZipFile:
    """A sealed (or, from an older version, plain) zip file for reading."""
    if files.is_encrypted(path):
        return zipfile.ZipFile(files.EncryptedReader(master, path))
    return zipfile.ZipFile(path)
