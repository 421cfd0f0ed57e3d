"""User-only permissions for what the app writes: files 0600, directories 0700.

On Windows the user's profile directory (``%LOCALAPPDATA%``) is already private to the
user; chmod there only toggles the read-only bit, so these helpers do nothing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

POSIX = os.name == "posix"
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if POSIX:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    path = Path(path)
    if POSIX and path.exists():
        os.chmod(path, FILE_MODE)
    return path


def tighten(root: Path | str) -> int:
    """Make every file under ``root`` 0600 and every directory 0700; returns the count
    changed. Run at start so data written by older versions (0644/0755) is fixed too."""
    if not POSIX:
        return 0
    changed = 0
    root = Path(root)
    if not root.exists():
        return 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name, mode in [(dirpath, DIR_MODE)] + [
            (os.path.join(dirpath, f), FILE_MODE) for f in filenames
        ]:
            with contextlib.suppress(FileNotFoundError):
                st = os.lstat(name)
                if not os.path.islink(name) and (st.st_mode & 0o777) != mode:
                    os.chmod(name, mode)
                    changed += 1
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return changed


def secure_umask() -> None:
    """New files created by this process (SQLite -wal/-shm, exports, logs) are 0600 and
    new directories 0700."""
    if POSIX:
        os.umask(0o077)


def write_private(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to a new 0600 file (atomically replacing any old one)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return private_file(path)
