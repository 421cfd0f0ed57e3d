"""Limits applied before any work: request body size (compressed and decompressed, read
and gunzipped as a stream), and rate limits per client address."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable

from zsapp.office.validate import PayloadTooLarge

MAX_COMPRESSED_BODY = 8 * 1024 * 1024
MAX_BODY = 16 * 1024 * 1024  # decompressed JSON of one request (a push batch at most)
MAX_BLOB_CHUNK = 8 * 1024 * 1024
MAX_BLOB_BYTES = 512 * 1024 * 1024  # one attachment
DEVICE_BLOB_QUOTA = 2 * 1024 * 1024 * 1024  # unfinished uploads of one device at a time

_TOO_LARGE = "请求内容过大，已拒绝（单次最多 {mb} MB）"


async def read_body(
    chunks: AsyncIterator[bytes],
    gzipped: bool,
    declared_length: str | None,
    max_compressed: int = MAX_COMPRESSED_BODY,
    max_body: int = MAX_BODY,
) -> bytes:
    """The request body, gunzipped while it streams in; ``PayloadTooLarge`` as soon as
    either cap is passed (a gzip bomb costs at most ``max_body`` bytes of memory)."""
    if declared_length is not None:
        try:
            if int(declared_length) > max_compressed:
                raise PayloadTooLarge(_TOO_LARGE.format(mb=max_compressed >> 20))
        except ValueError:
            pass
    raw_size = 0
    out = bytearray()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    first = True
    async for chunk in chunks:
        if not chunk:
            continue
        raw_size += len(chunk)
        if raw_size > max_compressed:
            raise PayloadTooLarge(_TOO_LARGE.format(mb=max_compressed >> 20))
        if first:
            first = False
            if inflater is None and chunk[:2] == b"\x1f\x8b":  # gzip, header or not
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if inflater is None:
            out += chunk
        else:
            try:
                out += inflater.decompress(chunk, max_body + 1 - len(out))
                while inflater.unconsumed_tail and len(out) <= max_body:
                    out += inflater.decompress(inflater.unconsumed_tail, max_body + 1 - len(out))
            except zlib.error:
                raise _bad_gzip() from None
        if len(out) > max_body:
            raise PayloadTooLarge(_TOO_LARGE.format(mb=max_body >> 20))
    if inflater is not None and raw_size:
        try:
            out += inflater.flush()
        except zlib.error:
            raise _bad_gzip() from None
        if len(out) > max_body:
            raise PayloadTooLarge(_TOO_LARGE.format(mb=max_body >> 20))
        if not inflater.eof:
            raise _bad_gzip()
    return bytes(out)


def _bad_gzip():
    from zsapp.office.common import OfficeError

    return OfficeError("请求内容无法解压（gzip 数据不完整或损坏）")


class RateLimiter:
    """Token buckets per key (client address): ``rate`` events per ``per`` seconds, with
    bursts up to ``burst``. In-process (each server worker counts on its own)."""

    def __init__(
        self,
        rate: float,
        per: float = 60.0,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate, self.per = rate, per
        self.burst = burst if burst is not None else max(1, int(rate))
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate / self.per)

    def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            level = self._level(key, now)
            return 0.0 if level >= 1 else (1 - level) * self.per / self.rate

    def hit(self, key: str) -> None:
        """Count one event (an attempt or a failure) for ``key``."""
        with self._lock:
            now = self.clock()
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                # Forget full buckets (keys that are not limited anyway).
                self._buckets = {
                    k: v for k, v in self._buckets.items() if self._level(k, now) < self.burst
                }
            self._buckets[key] = (max(0.0, self._level(key, now) - 1), now)
