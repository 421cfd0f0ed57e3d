"""End-to-end sync against a real office server on loopback: enroll, push, pull, merge."""

from __future__ import annotations

import pytest
from test_sync_support import Device, make_office, start_server, tick

from zsapp.sync import client as sync_client


@pytest.fixture
def office(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    office.add_officer("王五", "大理州")
    server = start_server(office)
    office.url_ = server.url
    yield office
    server.stop()
    office.close()


@pytest.fixture
def devices(tmp_path, office):
    made = []

    def make(officer: str, name: str | None = None) -> Device:
        dev = Device(tmp_path / f"{name or officer}-{len(made)}.sqlite3", name or officer)
        dev.enroll(office, office.url_, officer)
        made.append(dev)
        return dev

    yield make
    for dev in made:
        dev.close()


def test_edits_flow_between_devices_and_different_fields_both_survive(office, devices):
    a, b = devices("张三"), devices("李四")
    rid = a.store.insert(
        "probe_notes", {"title": "云南咖啡", "body": "初次接触", "amount_wan": 500}
    )
    res = a.sync()
    assert res.pushed >= 3 and a.store.pending_changes() == 0
    b.sync()
    assert b.rows("probe_notes")[rid]["title"] == "云南咖啡"
    # Different fields edited offline on both devices: both survive, no conflict.
    a.store.update("probe_notes", rid, {"title": "云南小粒咖啡"})
    b.store.update("probe_notes", rid, {"body": "已考察"})
    a.sync()
    b.sync()
    a.sync()
    for dev in (a, b):
        row = dev.rows("probe_notes")[rid]
        assert (row["title"], row["body"], row["amount_wan"]) == ("云南小粒咖啡", "已考察", 500)
        assert dev.store.count("sync_conflicts") == 0


def test_same_field_conflict_is_kept_and_restorable(office, devices):
    from zsapp.sync import conflicts

    a, b = devices("张三"), devices("李四")
    rid = a.store.insert("probe_notes", {"title": "原值"})
    a.sync()
    b.sync()
    a.store.update("probe_notes", rid, {"title": "甲的修改"})
    tick()
    b.store.update("probe_notes", rid, {"title": "乙的修改"})  # later HLC: wins
    a.sync()
    res = b.sync()
    a.sync()
    for dev in (a, b):
        assert dev.rows("probe_notes")[rid]["title"] == "乙的修改"
    open_a = conflicts.list_conflicts(a.store)
    assert (
        len(open_a) == 1
        and open_a[0]["loser_value"] == "甲的修改"
        and open_a[0]["winner_value"] == "乙的修改"
    )
    assert res.conflicts == 1
    conflicts.restore(a.store, open_a[0]["id"])
    a.sync()
    b.sync()
    for dev in (a, b):
        assert dev.rows("probe_notes")[rid]["title"] == "甲的修改"
        assert conflicts.list_conflicts(dev.store) == []


def test_other_units_private_records_never_reach_a_device(office, devices):
    a, c = devices("张三"), devices("王五")
    private = a.store.insert("probe_notes", {"title": "昆明内部"})
    a.sync()
    c.sync()
    assert private not in c.rows("probe_notes")
    st = sync_client.status(c.store)
    assert st["state"] == "synced" and st["unit"] == "大理州"
