"""Merge semantics end to end: delete vs edit, company merges propagating, mixed app
versions keeping unknown fields, skewed and jumping clocks, published snapshots,
attachments by hash, tombstone compaction and re-snapshot."""

from __future__ import annotations

import hashlib

import pytest
from test_sync_support import Device, make_office, start_server, tick

from zsapp.clock import HybridLogicalClock, wall_clock_ms
from zsapp.security import blobs
from zsapp.sync import client as sync_client
from zsapp.sync import conflicts


@pytest.fixture
def env(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    office.add_officer("赵六", "昆明市")
    server = start_server(office)
    devs = []

    def device(officer, skew_ms: int = 0, setup_sql: str | None = None):
        path = tmp_path / f"d{len(devs)}.sqlite3"
        if setup_sql:
            import sqlite3

            conn = sqlite3.connect(path)
            conn.executescript(setup_sql)
            conn.close()
        d = Device(path)
        if skew_ms:
            set_skew(d, skew_ms)
        d.enroll(office, server.url, officer)
        devs.append(d)
        return d

    yield office, server, device
    for d in devs:
        d.close()
    server.stop()
    office.close()


def set_skew(dev: Device, skew_ms: int) -> None:
    """Give a device a wrong wall clock (HLC state carried over, as after a clock change)."""
    dev.store.clock = HybridLogicalClock(
        dev.store.device_id, now_ms=lambda: wall_clock_ms() + skew_ms, last=dev.store.clock.peek()
    )


def test_delete_versus_concurrent_edit_is_a_restorable_conflict(env):
    _office, _server, device = env
    a, b = device("张三"), device("李四")
    rid = a.store.insert("probe_notes", {"title": "待删除", "body": "原文"})
    a.sync()
    b.sync()
    a.store.delete("probe_notes", rid)
    tick()
    b.store.update("probe_notes", rid, {"body": "乙补充的重要信息"})
    a.sync()
    b.sync()
    a.sync()
    for dev in (a, b):
        row = dev.rows("probe_notes")[rid]
        assert (
            row["deleted"] == 1 and row["body"] == "乙补充的重要信息"
        )  # the edit is kept, not erased
    found = [c for c in conflicts.list_conflicts(a.store) if c["kind"] == "delete_edit"]
    assert len(found) == 1 and found[0]["loser_value"] == "乙补充的重要信息"
    conflicts.restore(b.store, found[0]["id"])
    b.sync()
    a.sync()
    assert a.rows("probe_notes")[rid]["deleted"] == 0 and conflicts.list_conflicts(a.store) == []
    # And the other order: the edit reaches the server first, the delete second.
    rid2 = a.store.insert("probe_notes", {"title": "二号"})
    a.sync()
    b.sync()
    b.store.update("probe_notes", rid2, {"title": "二号（已改）"})
    a.store.delete("probe_notes", rid2)
    b.sync()
    a.sync()
    b.sync()
    assert any(
        c["row_id"] == rid2 and c["kind"] == "delete_edit"
        for c in conflicts.list_conflicts(b.store)
    )


def test_company_merge_repoints_references_on_every_device(env):
    office, _server, device = env
    a, b = device("张三"), device("李四")
    from zsapp.contacts import merge

    keep = a.store.insert("companies", {"name": "云南白药集团股份有限公司"})
    dup = a.store.insert("companies", {"name": "云南白药"})
    a.sync()
    b.sync()
    person = b.store.insert("people", {"name": "王经理", "company_id": dup})  # offline, old id
    merge.merge_companies(a.store, keep, dup)
    a.sync()
    b.sync()
    b.sync()
    a.sync()
    for dev in (a, b):
        assert dev.rows("people")[person]["company_id"] == keep
        assert dev.rows("companies")[dup]["merged_into"] == keep
    assert office.record("people", person)["company_id"] == keep
    assert conflicts.list_conflicts(a.store) == []


OLD_PROBE = """
CREATE TABLE probe_notes (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT ''
);"""


def test_older_client_keeps_fields_it_does_not_know(env):
    office, _server, device = env
    new = device("张三")
    old = device("李四", setup_sql=OLD_PROBE)  # an older app version: no amount_wan column
    rid = new.store.insert("probe_notes", {"title": "新字段", "amount_wan": 3200})
    new.sync()
    old.sync()
    old.store.update("probe_notes", rid, {"title": "旧版本改了标题"})
    old.sync()
    new.sync()
    assert office.record("probe_notes", rid)["amount_wan"] == 3200
    row = new.rows("probe_notes")[rid]
    assert (row["title"], row["amount_wan"]) == ("旧版本改了标题", 3200)
    # The old app kept the value aside and applies it once it is upgraded (additive column).
    old.store.execute("ALTER TABLE probe_notes ADD COLUMN amount_wan INTEGER NOT NULL DEFAULT 0")
    old.sync()
    assert old.rows("probe_notes")[rid]["amount_wan"] == 3200


DAY = 24 * 3600 * 1000


@pytest.mark.parametrize(
    "skew", [10 * 60_000, -10 * 60_000, DAY + 3600_000, -DAY - 3600_000, 365 * DAY, -365 * DAY]
)
def test_skewed_clock_cannot_win_by_lying_or_lose_later_edits(env, skew):
    _office, _server, device = env
    x, y = device("张三", skew_ms=skew), device("李四")
    rid = y.store.insert("probe_notes", {"title": "起点"})
    y.sync()
    x.sync()
    # Concurrent: x edits first (real time), y edits afterwards -> y's later edit wins.
    x.store.update("probe_notes", rid, {"title": "X 的修改"})
    x.sync()
    tick()
    y.store.update("probe_notes", rid, {"title": "Y 后来的修改"})
    y.sync()
    x.sync()
    for dev in (x, y):
        assert dev.rows("probe_notes")[rid]["title"] == "Y 后来的修改"
    lost = [c["loser_value"] for c in conflicts.list_conflicts(x.store)]
    assert lost == ["X 的修改"]  # nothing silently lost
    # Sequential: x saw y's value, then edits -> x wins without a conflict, whatever its clock.
    x.store.update("probe_notes", rid, {"body": "X 看过后补充"})
    x.store.update("probe_notes", rid, {"title": "X 看过后修改"})
    x.sync()
    y.sync()
    assert y.rows("probe_notes")[rid]["title"] == "X 看过后修改"
    assert len(conflicts.list_conflicts(y.store)) == 1
    # Others' clocks are not dragged into the future by x.
    assert int(y.store.clock.peek().split("-")[0]) < wall_clock_ms() + 120_000
    warned = x.sync().warnings
    assert bool(warned) == (abs(skew) > DAY)


def test_clock_jumping_backwards_keeps_order(env):
    _office, _server, device = env
    a, b = device("张三"), device("李四")
    rid = a.store.insert("probe_notes", {"title": "一"})
    set_skew(a, -3 * 3600_000)  # wall clock set back three hours
    a.store.update("probe_notes", rid, {"title": "二"})
    a.store.update("probe_notes", rid, {"title": "三"})
    a.sync()
    b.sync()
    assert b.rows("probe_notes")[rid]["title"] == "三"
    assert conflicts.list_conflicts(b.store) == []


def test_published_catalogue_is_applied_atomically_with_hash(env):
    office, _server, device = env
    a = device("张三")
    from zsapp import catalogue

    document, _ = catalogue.read_document()
    document = {**document, "version": document["version"] + ".1"}
    document["industries"][0]["items"][0]["terms"].append("测试新增术语甲")
    office.publish("catalogue", document)
    office.publish("parks", [{"name": "昆明经开区"}], version="2026-1")
    a.sync()
    assert catalogue.current_version(a.store) == document["version"]
    assert any(
        h.term == "测试新增术语甲" for h in catalogue.search_catalogue(a.store, "测试新增术语甲")
    )
    assert a.store.get_setting("office.parks") == [{"name": "昆明经开区"}]
    assert a.sync().pulled == 0  # unchanged hash: nothing fetched again


def test_attachments_transfer_by_hash_once(env, data_dir):
    office, _server, device = env
    a, b = device("张三"), device("李四")
    if "attachments" not in a.store.db.table_names():
        pytest.skip("attachments table not present")
    content = "考察纪要".encode() * 50_000
    sha = hashlib.sha256(content).hexdigest()
    path = sync_client.blob_path(sha)
    blobs.store_blob_bytes(a.store, sha, content)
    assert "考察纪要".encode() not in path.read_bytes()  # encrypted at rest
    a.store.insert(
        "attachments",
        {
            "owner_table": "visits",
            "owner_id": "v1",
            "sha256": sha,
            "filename": "纪要.txt",
            "mime": "text/plain",
            "size": len(content),
        },
    )
    a.sync()
    assert office.blob_path(sha).read_bytes() == content
    path.unlink()  # same data dir in this test: b must download it again
    b.sync()
    assert blobs.read_blob(b.store, sha) == content


def test_compacted_tombstones_make_a_stale_device_resnapshot(env):
    office, _server, device = env
    a, b = device("张三"), device("李四")
    keep = a.store.insert("probe_notes", {"title": "保留"})
    gone = a.store.insert("probe_notes", {"title": "将删除"})
    a.sync()
    b.sync()
    a.store.delete("probe_notes", gone)
    later = a.store.insert("probe_notes", {"title": "之后新增"})
    a.sync()
    assert office.compact(older_than_days=-1) == 1  # purge every tombstone now
    res = b.sync()
    assert res.resnapshot == ["unit:昆明市"]
    rows = b.rows("probe_notes")
    assert rows[gone]["deleted"] == 1 and rows[keep]["deleted"] == 0 and later in rows
    assert b.sync(verify=True).resnapshot == []


def test_drift_is_detected_by_counts_and_checksums_and_refetched(env):
    _office, _server, device = env
    a, b = device("张三"), device("李四")
    ids = [a.store.insert("probe_notes", {"title": f"第{i}条"}) for i in range(5)]
    a.sync()
    b.sync()
    # Local damage outside the sync's knowledge (e.g. a restored partial backup).
    b.store.execute("DELETE FROM probe_notes WHERE id = ?", (ids[2],))
    b.store.execute("DELETE FROM sync_base WHERE row_id = ?", (ids[2],))
    b.store.execute(
        "UPDATE sync_base SET hlc = '0' WHERE row_id = ? AND field = 'title'", (ids[3],)
    )
    result = b.sync(verify=True)
    assert result.resnapshot == ["unit:昆明市"]
    assert set(ids) <= set(b.rows("probe_notes"))
    assert b.sync(verify=True).resnapshot == []


def test_edits_made_during_a_sync_go_in_the_next_one(env):
    office, _server, device = env
    a = device("张三")
    rid = a.store.insert("probe_notes", {"title": "同步前"})
    edited = []

    def progress(done, total):
        if not edited:  # the officer keeps typing while the sync runs
            edited.append(a.store.update("probe_notes", rid, {"title": "同步中修改"}))

    sync_client.sync_now(a.store, progress=progress)
    assert a.rows("probe_notes")[rid]["title"] == "同步中修改"  # not overwritten by the pull
    assert a.store.pending_changes() == 1
    a.sync()
    assert (
        a.store.pending_changes() == 0
        and office.record("probe_notes", rid)["title"] == "同步中修改"
    )


def test_attachment_transfer_resumes_from_where_it_stopped(env, monkeypatch):
    office, _server, device = env
    a, b = device("张三"), device("李四")
    if "attachments" not in a.store.db.table_names():
        pytest.skip("attachments table not present")
    content = bytes(range(256)) * 8000
    sha = hashlib.sha256(content).hexdigest()
    local = sync_client.blob_path(sha)
    blobs.store_blob_bytes(a.store, sha, content)
    # The connection dropped after half the upload: the server kept a partial file.
    remote = office.blob_path(sha)
    me = office.authenticate(sync_client.get_config(a.store)["token"])
    office.blob_upload(me, sha, 0, len(content), content[: len(content) // 2])
    sent = []
    real = sync_client._request

    def counting(http, method, path, data=None, **kw):
        if method == "PUT":
            sent.append(len(kw.get("raw") or b""))
        return real(http, method, path, data, **kw)

    monkeypatch.setattr(sync_client, "_request", counting)
    a.store.insert(
        "attachments",
        {
            "owner_table": "visits",
            "owner_id": "v1",
            "sha256": sha,
            "filename": "a.bin",
            "mime": "application/octet-stream",
            "size": len(content),
        },
    )
    a.sync()
    assert remote.read_bytes() == content and sum(sent) == len(content) - len(content) // 2
    # Download side: a partial local file is continued with a Range request.
    local.unlink()
    local.with_suffix(".part").write_bytes(content[:1000])
    b.sync()
    assert blobs.read_blob(b.store, sha) == content and not local.with_suffix(".part").exists()
