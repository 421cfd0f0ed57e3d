"""The SQLCipher 4 database: open with the raw data key, convert a plain SQLite file,
rekey. :func:`open_encrypted` is the one way the app opens its local database file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3

from zsapp.security import files, keys, perms
from zsapp.security.errors import SecurityError, WrongKeyError

# SQLite errors from either driver (the app uses sqlcipher3; tools and old files sqlite3).
DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher3.Error)
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher3.DatabaseError)
PLAIN_HEADER = b"SQLite format 3\x00"

WRONG_DB_KEY = (
    "密钥与本机数据库不匹配（口令错误、密钥文件被替换或数据库不是本机的），"
    "无法打开。数据库未作任何改动。"
)


def is_plain_sqlite(path: Path | str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except OSError:
        return False


# SQLCipher 4 defaults throughout (AES-256-CBC pages, HMAC-SHA512 per page, 4 KiB pages):
# they are part of the file format. HMAC-SHA256 would be cheaper only on CPUs with SHA-NI
# (many officers' Intel 8th–10th gen laptops lack it); the bench shows the defaults within
# target for search and list, see bench/bench_crypto.py.


def _apply_key(conn: Any, data_keys: keys.DataKeys, schema: str = "main") -> None:
    prefix = "" if schema == "main" else f"{schema}."
    conn.execute(f"PRAGMA {prefix}key = {data_keys.sqlcipher_key}")


def connect(path: Path | str, data_keys: keys.DataKeys, **kwargs: Any) -> sqlcipher3.Connection:
    """A connection to the encrypted database ``path``; a wrong key raises
    :class:`WrongKeyError` (the file is only read)."""
    conn = sqlcipher3.connect(str(path), **kwargs)
    try:
        _apply_key(conn, data_keys)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise WrongKeyError(WRONG_DB_KEY) from exc
    return conn


def connect_with_envelope(
    path: Path | str, keys_of: Path | str | None = None, **kwargs: Any
) -> sqlcipher3.Connection:
    """Open ``path`` with the keys of its envelope, or of the envelope of the database
    ``keys_of`` (its backups share its key) — for tools and tests."""
    data_keys, *_ = keys.resolve(keys_of or path, create=False)
    return connect(path, data_keys, **kwargs)


def _table_counts(conn: Any) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%'"
        )
    ]
    return {n: conn.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0] for n in names}


def plain_backup_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.before-encryption.bak.enc")


def convert_plain(path: Path | str, data_keys: keys.DataKeys) -> Path:
    """Turn the plain SQLite file ``path`` into a SQLCipher one in place
    (``sqlcipher_export``), every row kept (checked table by table). The plain original
    is kept only as an AES-GCM encrypted backup (returned path); the plain file itself
    is overwritten and removed."""
    path = Path(path)
    tmp = path.with_name(path.name + ".encrypting")
    tmp.unlink(missing_ok=True)
    src = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        src.execute("PRAGMA journal_mode = DELETE")
        version = src.execute("PRAGMA user_version").fetchone()[0]
        before = _table_counts(src)
        quoted = str(tmp).replace("'", "''")
        src.execute(f"ATTACH DATABASE '{quoted}' AS encrypted KEY {data_keys.sqlcipher_key}")
        src.execute("SELECT sqlcipher_export('encrypted')")
        src.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        src.execute("DETACH DATABASE encrypted")
    except sqlcipher3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise SecurityError(f"无法加密现有数据库 {path}：{exc}。原数据库未作改动。") from exc
    finally:
        src.close()
    perms.private_file(tmp)
    check = connect(tmp, data_keys)
    try:
        after = _table_counts(check)
    finally:
        check.close()
    if after != before:
        tmp.unlink(missing_ok=True)
        raise SecurityError("加密后的数据库与原数据库记录数不一致，已放弃转换，原数据库未改动")
    backup = plain_backup_path(path)
    files.encrypt_file(data_keys.files, path, backup)
    _shred(path)
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm", "-journal"):
        _shred(Path(f"{path}{suffix}"))
    return backup


def _shred(path: Path) -> None:
    """Overwrite then remove a plaintext file (best effort: SSDs and copy-on-write file
    systems may keep old blocks; full-disk encryption covers those)."""
    if not path.exists():
        return
    with contextlib.suppress(OSError):
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            remaining = size
            while remaining > 0:
                n = min(remaining, 1 << 20)
                fh.write(b"\0" * n)
                remaining -= n
            fh.flush()
            os.fsync(fh.fileno())
    path.unlink(missing_ok=True)


def unlock(
    path: Path | str, source: keys.KeySource | None = None
) -> tuple[keys.DataKeys, keys.KeySource]:
    """The data keys of the local database ``path``, preparing the file as needed:

    - no file yet: new keys, protected by ``source`` (default: key store or passphrase);
    - a plain SQLite file: new keys, then converted in place, an encrypted backup kept;
    - an encrypted file: unlocked from its envelope; a wrong key changes nothing.
    """
    from zsapp.security import wipe

    path = Path(path)
    perms.private_dir(path.parent)
    wipe.clear_leftovers(path)  # ciphertext left by a remote wipe (keys already gone)
    pending = keys.pending_envelope(path)
    if (
        keys.read_envelope(path) is None
        and path.exists()
        and path.stat().st_size
        and not is_plain_sqlite(path)
    ):
        raise SecurityError(
            f"无法打开数据库 {path}：它不是普通的 SQLite 文件（已加密或已损坏），"
            f"也找不到它的密钥文件 {keys.envelope_path(path).name}。"
            "请从备份恢复密钥文件；数据库未作任何改动。"
        )
    data_keys, source, _, _created = keys.resolve(path, source)
    if path.exists() and path.stat().st_size:
        if is_plain_sqlite(path):
            convert_plain(path, data_keys)
        try:
            connect(path, data_keys).close()
        except WrongKeyError:
            if pending is None:
                raise
            # A passphrase change stopped between rekey and envelope swap: finish it.
            data_keys = source.unlock(path, pending)
            connect(path, data_keys).close()
            keys.commit_pending(path)
            pending = None
    if pending is not None:
        keys.discard_pending(path)
    perms.private_file(path)
    return data_keys, source


def cipher_version(store: Any) -> str:
    """The SQLCipher version of an open store ('' for a plain SQLite connection)."""
    return store.scalar("PRAGMA cipher_version") or ""


def rekey_connection(conn: Any, new_keys: keys.DataKeys) -> None:
    """Re-encrypt the whole database file of ``conn`` with ``new_keys``."""
    conn.execute(f"PRAGMA rekey = {new_keys.sqlcipher_key}")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
