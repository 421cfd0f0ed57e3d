"""Hybrid logical clock: monotonic, sortable, merges remote time, bounds drift."""

import pytest

from zsapp.clock import ClockDriftError, HybridLogicalClock, Timestamp


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_timestamps_sort_lexicographically_in_issue_order():
    wall = FakeWall(1_700_000_000_000)
    clock = HybridLogicalClock("dev1", now_ms=wall)
    issued = []
    for step in [0, 0, 5, 0, 1000, 0]:
        wall.ms += step
        issued.append(clock.now().pack())
    assert issued == sorted(issued)
    assert len(set(issued)) == len(issued)


def test_monotonic_when_wall_clock_goes_backwards():
    wall = FakeWall(1_700_000_000_000)
    clock = HybridLogicalClock("dev1", now_ms=wall)
    before = clock.now()
    wall.ms -= 3_600_000  # NTP correction: an hour back
    after = [clock.now() for _ in range(3)]
    assert all(a > before for a in after)
    assert [a.pack() for a in after] == sorted(a.pack() for a in after)
    assert after[0].wall_ms == before.wall_ms and after[0].counter == before.counter + 1


def test_receive_moves_past_remote_timestamp():
    wall = FakeWall(1_700_000_000_000)
    clock = HybridLogicalClock("dev1", now_ms=wall)
    remote = Timestamp(wall.ms + 60_000, 7, "dev2")  # other device a minute ahead
    merged = clock.receive(remote.pack())
    assert merged > remote and merged.node == "dev1"
    assert clock.now().pack() > remote.pack()


def test_receive_refuses_timestamp_far_in_the_future():
    wall = FakeWall(1_700_000_000_000)
    clock = HybridLogicalClock("dev1", now_ms=wall)
    with pytest.raises(ClockDriftError):
        clock.receive(Timestamp(wall.ms + 2 * 86_400_000, 0, "dev2"))
    assert clock.now().wall_ms == wall.ms  # nothing pushed into the future


def test_ties_broken_by_device_id_and_parse_roundtrip():
    a, b = Timestamp(5, 1, "aaa"), Timestamp(5, 1, "bbb")
    assert a.pack() < b.pack()
    assert Timestamp.parse(a.pack()) == a
    with pytest.raises(ValueError):
        Timestamp.parse("garbage")


def test_restart_resumes_after_last_issued_timestamp():
    wall = FakeWall(1_700_000_000_000)
    first = HybridLogicalClock("dev1", now_ms=wall)
    last = first.now().pack()
    wall.ms -= 10_000
    second = HybridLogicalClock("dev1", now_ms=wall, last=last)
    assert second.now().pack() > last


def test_observe_trusted_moves_past_a_far_ahead_authority():
    wall = FakeWall(1_700_000_000_000)
    clock = HybridLogicalClock("dev1", now_ms=wall)
    server = Timestamp(wall.ms + 3 * 86_400_000, 0, "server")  # this device's clock is 3 days slow
    clock.observe_trusted(server.pack())
    assert clock.now() > server
    assert clock.wall_ms() == wall.ms
