"""The office server on PostgreSQL (throwaway cluster via tests/pg.py): the same sync
flows as on SQLite, convergence, and the commit-order guarantee of the server sequence
under concurrent transactions (a reader must never skip a change that commits late)."""

from __future__ import annotations

import threading

import pytest
from pg import PgCluster, PgUnavailable, unique_db_name
from test_sync_support import Device, tick

from zsapp.office.server import ServerThread
from zsapp.office.service import Office

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster():
    try:
        c = PgCluster().start()
    except PgUnavailable as exc:
        print(f"PostgreSQL tests skipped: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield c
    c.stop()


@pytest.fixture
def pg_office(cluster, tmp_path):
    office = Office(cluster.create_database(unique_db_name()), blob_dir=tmp_path / "blobs")
    office.init()
    yield office
    office.close()


def test_sync_flows_on_postgresql(pg_office, tmp_path):
    from zsapp.sync import conflicts

    office = pg_office
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    office.add_officer("王五", "大理州")
    with ServerThread(office) as server:
        a, b, c = (Device(tmp_path / f"{n}.sqlite3") for n in "abc")
        for dev, who in ((a, "张三"), (b, "李四"), (c, "王五")):
            dev.enroll(office, server.url, who)
        rid = a.store.insert("probe_notes", {"title": "原值", "amount_wan": 10})
        a.sync()
        b.sync()
        c.sync()
        assert rid in b.rows("probe_notes") and rid not in c.rows("probe_notes")
        a.store.update("probe_notes", rid, {"title": "甲"})
        tick()
        b.store.update("probe_notes", rid, {"title": "乙", "amount_wan": 20})
        a.sync()
        b.sync()
        a.sync()
        for dev in (a, b):
            row = dev.rows("probe_notes")[rid]
            assert (row["title"], row["amount_wan"]) == ("乙", 20)
        assert [x["loser_value"] for x in conflicts.list_conflicts(a.store)] == ["甲"]
        assert a.sync(verify=True).resnapshot == []
        for dev in (a, b, c):
            dev.close()


class PausingOffice(Office):
    """Pauses the first push transaction after its rows and sequence numbers are written
    but before it commits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paused = threading.Event()
        self.release = threading.Event()
        self._first = True

    def _write(self, conn, *args):
        super()._write(conn, *args)
        if self._first:
            self._first = False
            self.paused.set()
            assert self.release.wait(30)


def _device(office, officer, dev_id):
    office.add_officer(officer, "昆明市") if not any(
        o["name"] == officer for o in office.officers()
    ) else None
    code = office.create_enrollment(officer)["code"]
    office.enroll(code, dev_id)
    return {"id": dev_id, "role": "officer", "unit": "昆明市", "officer_name": officer}


def _ops(dev_id, start, n, prefix):
    from zsapp.clock import HybridLogicalClock

    clock = HybridLogicalClock(dev_id)
    return [
        {
            "seq": start + i,
            "device": dev_id,
            "t": "probe_notes",
            "id": f"{prefix}-{start + i}",
            "f": "title",
            "v": f"{prefix}{i}",
            "h": clock.now().pack(),
        }
        for i in range(n)
    ]


def test_late_committing_lower_sequence_is_not_skipped(cluster, tmp_path):
    office = PausingOffice(cluster.create_database(unique_db_name()), blob_dir=tmp_path / "b")
    office.init()
    d1, d2 = _device(office, "甲", "dev1"), _device(office, "乙", "dev2")
    reader = {"id": "r", "role": "province", "unit": "云南省", "officer_name": "省"}
    t1 = threading.Thread(
        target=office.push, args=(d1, {"batch_id": "b1", "ops": _ops("dev1", 1, 5, "A")})
    )
    t1.start()
    assert office.paused.wait(30)  # T1 holds its sequence numbers, uncommitted
    t2_done = threading.Event()
    t2 = threading.Thread(
        target=lambda: (
            office.push(d2, {"batch_id": "b2", "ops": _ops("dev2", 1, 5, "B")}),
            t2_done.set(),
        )
    )
    t2.start()
    # T2 (same space) cannot take sequence numbers while T1 is open, so it cannot commit first.
    assert not t2_done.wait(1.0)
    page = office.pull(reader, {})
    cursors = page["cursors"]
    assert page["rows"] == []
    office.release.set()
    t1.join(30)
    t2.join(30)
    got = {r["id"] for r in office.pull(reader, cursors)["rows"]}
    assert got == {f"A-{i}" for i in range(1, 6)} | {f"B-{i}" for i in range(1, 6)}
    office.close()


def test_concurrent_writers_and_a_paging_reader_miss_nothing(cluster, tmp_path):
    office = Office(cluster.create_database(unique_db_name()), blob_dir=tmp_path / "b")
    office.init()
    writers = [_device(office, f"干部{i}", f"w{i}") for i in range(8)]
    reader = {"id": "r", "role": "province", "unit": "云南省", "officer_name": "省"}
    stop = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []

    def write(dev):
        try:
            for batch in range(10):
                office.push(
                    dev,
                    {
                        "batch_id": f"{dev['id']}-{batch}",
                        "ops": _ops(dev["id"], batch * 20 + 1, 20, dev["id"]),
                    },
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    def read():
        cursors: dict = {}
        while True:
            final = stop.is_set()
            page = office.pull(reader, cursors, limit=37)
            seen.update(r["id"] for r in page["rows"])
            cursors = page["cursors"]
            if final and not page["more"]:
                return

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    r = threading.Thread(target=read)
    r.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    r.join(120)
    assert not errors
    assert len(seen) == 8 * 200
    heads = office.hello(reader)["spaces"]
    assert heads["unit:昆明市"]["count"] == 8 * 200 * 1  # one field per record
    office.close()


def test_convergence_on_postgresql(cluster, tmp_path_factory, monkeypatch):
    import test_sync_convergence as conv

    monkeypatch.setattr(conv, "make_office", lambda root: _pg_office(cluster, root))
    conv._run(tmp_path_factory, examples=5, steps=25)


def test_convergence_with_faults_shares_and_attachments_on_postgresql(cluster, tmp_path):
    import test_sync_convergence as conv

    fired = conv.run_faulty(
        tmp_path, seed=5, steps=80, office_factory=lambda root: _pg_office(cluster, root)
    )
    assert all(n > 0 for n in fired.values()), fired


def _pg_office(cluster, root):
    office = Office(cluster.create_database(unique_db_name()), blob_dir=root / "blobs")
    office.init()
    return office
