"""Remote wipe: the office marked this device lost. Keys go first (the envelope, the key
store entry), which alone makes the encrypted database, attachments and backups
unreadable; then the files themselves. A small notice file says why, for the next start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from zsapp import paths
from zsapp.security import keys, perms


def notice_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".wiped")


def wipe_device(store: Any, reason: str, close: bool = False) -> Path:
    """Erase this device's local data and keys.

    The keys go first (crypto-erase), then the files. The store is left open unless
    ``close``: other threads (the UI) may still be reading, and on POSIX the unlinked files
    stay readable to this process only until it closes them. Where an open file cannot be
    removed (Windows), the leftover ciphertext — useless without the keys — is removed on
    the next start (:func:`clear_leftovers`)."""
    db_path = Path(store.path)
    envelope = keys.read_envelope(db_path)
    if envelope is not None:
        with contextlib.suppress(Exception):
            keys.source_for_envelope(envelope).forget(envelope)
        if getattr(store, "key_source", None) is not None:
            with contextlib.suppress(Exception):
                store.key_source.forget(envelope)
    for env in (keys.envelope_path(db_path), keys.envelope_path(db_path).with_suffix(".keys-new")):
        _overwrite_and_remove(env)
    if close:
        with contextlib.suppress(Exception):
            store.close()
    _remove_files(db_path)
    attachments = paths.data_dir() / "attachments"
    if attachments.exists():
        shutil.rmtree(attachments, ignore_errors=True)
    notice = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
    return perms.write_private(
        notice_path(db_path), json.dumps(notice, ensure_ascii=False).encode()
    )


def _remove_files(db_path: Path) -> None:
    for path in db_path.parent.glob(db_path.name + "*"):
        if path.is_file() and path != notice_path(db_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def clear_leftovers(db_path: Path | str) -> bool:
    """At start: after a wipe, files that could not be removed then are removed now."""
    db_path = Path(db_path)
    if not notice_path(db_path).exists() or keys.envelope_path(db_path).exists():
        return False
    _remove_files(db_path)
    return True


def _overwrite_and_remove(path: Path) -> None:
    if path.exists():
        with contextlib.suppress(OSError), open(path, "r+b") as fh:
            fh.write(b"\0" * path.stat().st_size)
        path.unlink(missing_ok=True)


def wiped_notice(db_path: Path | str) -> dict[str, Any] | None:
    path = notice_path(db_path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"at": "", "reason": ""}
