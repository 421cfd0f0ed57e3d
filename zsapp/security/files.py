"""AES-256-GCM encryption of files (attachments, backups), streamed in chunks.

Format: header ``ZSENC1`` + 16-byte salt + 4-byte chunk size, then chunks of
``chunk size`` plaintext bytes each sealed with AES-GCM (+16-byte tag). Each file gets its
own key, HKDF-SHA256(files key, salt), so chunk nonces can be a counter: 11 bytes of
chunk index and 1 byte that is 1 only on the last chunk (the STREAM construction), so
a truncated, reordered or spliced file fails to decrypt instead of yielding part of it.
The header is authenticated with every chunk. Chunks also give random access (``seek``),
which resumable uploads need.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zsapp.security import perms
from zsapp.security.errors import SecurityError

MAGIC = b"ZSENC1"
HEADER_LEN = len(MAGIC) + 16 + 4
CHUNK = 1 << 20
TAG = 16

BROKEN = "加密文件已损坏、不完整或不是用本机密钥加密的"


def _file_key(master: bytes, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"zsapp-file-v1").derive(
        master
    )
    return AESGCM(key)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def is_encrypted(path: Path | str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def encrypt_stream(master: bytes, src: BinaryIO, dst: BinaryIO, chunk: int = CHUNK) -> int:
    """Encrypt ``src`` into ``dst``; returns the plaintext size. Memory use: two chunks."""
    salt = os.urandom(16)
    header = MAGIC + salt + chunk.to_bytes(4, "big")
    aead = _file_key(master, salt)
    dst.write(header)
    total = 0
    index = 0
    block = src.read(chunk)
    while True:
        following = src.read(chunk) if len(block) == chunk else b""
        final = not following
        dst.write(aead.encrypt(_nonce(index, final), block, header))
        total += len(block)
        if final:
            return total
        block = following
        index += 1


def _read_header(fh: BinaryIO) -> tuple[bytes, int]:
    header = fh.read(HEADER_LEN)
    if len(header) != HEADER_LEN or not header.startswith(MAGIC):
        raise SecurityError(BROKEN)
    chunk = int.from_bytes(header[-4:], "big")
    if not 0 < chunk <= 64 << 20:
        raise SecurityError(BROKEN)
    return header, chunk


def decrypt_chunks(master: bytes, src: BinaryIO) -> Iterator[bytes]:
    header, chunk = _read_header(src)
    aead = _file_key(master, header[len(MAGIC) : len(MAGIC) + 16])
    index = 0
    sealed = src.read(chunk + TAG)
    while True:
        following = src.read(chunk + TAG) if len(sealed) == chunk + TAG else b""
        final = not following
        try:
            yield aead.decrypt(_nonce(index, final), sealed, header)
        except InvalidTag:
            raise SecurityError(BROKEN) from None
        if final:
            return
        sealed = following
        index += 1


def decrypt_stream(master: bytes, src: BinaryIO, dst: BinaryIO) -> int:
    total = 0
    for block in decrypt_chunks(master, src):
        dst.write(block)
        total += len(block)
    return total


def encrypt_file(master: bytes, source: Path | str, target: Path | str) -> int:
    """Encrypt ``source`` to ``target`` (0600, written atomically)."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, perms.FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            size = encrypt_stream(master, src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return size


def encrypt_bytes(master: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(master, io.BytesIO(data), out)
    return out.getvalue()


def decrypt_bytes(master: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    decrypt_stream(master, io.BytesIO(data), out)
    return out.getvalue()


def decrypt_file(master: bytes, source: Path | str, target: Path | str) -> int:
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, perms.FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            size = decrypt_stream(master, src, out)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return size


class EncryptedReader(io.RawIOBase):
    """Read-only, seekable view of the plaintext of an encrypted file (decrypts only the
    chunks that are read)."""

    def __init__(self, master: bytes, path: Path | str) -> None:
        super().__init__()
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        header, self._chunk = _read_header(self._fh)
        self._header = header
        self._aead = _file_key(master, header[len(MAGIC) : len(MAGIC) + 16])
        body = os.fstat(self._fh.fileno()).st_size - HEADER_LEN
        self._chunks = max(1, -(-body // (self._chunk + TAG)))
        self.size = body - self._chunks * TAG
        if self.size < 0:
            raise SecurityError(BROKEN)
        self._pos = 0
        self._cache: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _block(self, index: int) -> bytes:
        if self._cache and self._cache[0] == index:
            return self._cache[1]
        self._fh.seek(HEADER_LEN + index * (self._chunk + TAG))
        sealed = self._fh.read(self._chunk + TAG)
        try:
            plain = self._aead.decrypt(
                _nonce(index, index == self._chunks - 1), sealed, self._header
            )
        except InvalidTag:
            raise SecurityError(BROKEN) from None
        self._cache = (index, plain)
        return plain

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._pos
        out = bytearray()
        while size > 0 and self._pos < self.size:
            index, within = divmod(self._pos, self._chunk)
            block = self._block(index)[within : within + size]
            out += block
            self._pos += len(block)
            size -= len(block)
        return bytes(out)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._fh.close()
        super().close()
