"""Hybrid logical clock (HLC) for sync-ready timestamps.

A timestamp is ``(wall_ms, counter, node)`` and packs into a fixed-width string that
sorts lexicographically in causal order: ``"0001732500000000-0000-<node>"``.
The counter keeps timestamps monotonic when the wall clock stalls or goes backwards;
``receive`` merges a remote timestamp so causally later edits always sort later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Remote timestamps further ahead than this are refused: a device with a wrong clock
# must not push everybody's edits into the future.
MAX_DRIFT_MS = 24 * 3600 * 1000

_MS_WIDTH = 16
_COUNTER_WIDTH = 4
_COUNTER_MAX = 16**_COUNTER_WIDTH - 1


class ClockDriftError(ValueError):
    """A remote timestamp is too far ahead of this device's wall clock."""


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    node: str

    def pack(self) -> str:
        return f"{self.wall_ms:0{_MS_WIDTH}d}-{self.counter:0{_COUNTER_WIDTH}x}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        try:
            wall, counter, node = text.split("-", 2)
            return cls(int(wall), int(counter, 16), node)
        except ValueError as exc:
            raise ValueError(f"无效的时间戳：{text!r}") from exc

    def __str__(self) -> str:
        return self.pack()


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class HybridLogicalClock:
    """Issues monotonic HLC timestamps for one node (device). Thread-safe."""

    def __init__(
        self,
        node: str,
        now_ms: Callable[[], int] = wall_clock_ms,
        last: str | None = None,
        max_drift_ms: int = MAX_DRIFT_MS,
    ) -> None:
        if "-" in node or not node:
            raise ValueError("node id must be non-empty and contain no '-'")
        self.node = node
        self._now_ms = now_ms
        self._max_drift_ms = max_drift_ms
        self._lock = threading.Lock()
        self._wall = 0
        self._counter = 0
        if last:
            self._observe(Timestamp.parse(last))

    def _observe(self, ts: Timestamp) -> None:
        if (ts.wall_ms, ts.counter) > (self._wall, self._counter):
            self._wall, self._counter = ts.wall_ms, ts.counter

    def _bump(self, wall: int) -> Timestamp:
        if wall > self._wall:
            self._wall, self._counter = wall, 0
        else:
            self._counter += 1
            if self._counter > _COUNTER_MAX:
                # Counter exhausted within one millisecond: borrow the next millisecond.
                self._wall, self._counter = self._wall + 1, 0
        return Timestamp(self._wall, self._counter, self.node)

    def now(self) -> Timestamp:
        """A new timestamp, later than every timestamp issued or received so far."""
        with self._lock:
            return self._bump(self._now_ms())

    def receive(self, remote: str | Timestamp) -> Timestamp:
        """Merge a remote timestamp; the result is later than both it and local time."""
        ts = Timestamp.parse(remote) if isinstance(remote, str) else remote
        with self._lock:
            physical = self._now_ms()
            if ts.wall_ms - physical > self._max_drift_ms:
                raise ClockDriftError(
                    f"远端时间比本机时钟快 {(ts.wall_ms - physical) // 60000} 分钟，超过允许范围"
                )
            self._observe(ts)
            return self._bump(physical)

    def wall_ms(self) -> int:
        """This node's physical (wall) clock reading."""
        return self._now_ms()

    def observe_trusted(self, remote: str | Timestamp) -> None:
        """Never issue a timestamp below ``remote`` again, even if it is far ahead of the
        wall clock. For timestamps from an authority that bounds them to its own clock
        (the office server), when this device's clock is the one that is wrong."""
        ts = Timestamp.parse(remote) if isinstance(remote, str) else remote
        with self._lock:
            self._observe(ts)

    def peek(self) -> str:
        with self._lock:
            return Timestamp(self._wall, self._counter, self.node).pack()
