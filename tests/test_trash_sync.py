"""Deletes and restores from the recycle bin sync between devices (real office server
on loopback)."""

from __future__ import annotations

import pytest
from test_sync_support import Device, make_office, start_server

from zsapp import trash
from zsapp.contacts import companies


@pytest.fixture
def office(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    server = start_server(office)
    office.url_ = server.url
    yield office
    server.stop()
    office.close()


@pytest.fixture
def devices(tmp_path, office):
    made = []

    def make(officer: str) -> Device:
        dev = Device(tmp_path / f"{officer}-{len(made)}.sqlite3", officer)
        dev.enroll(office, office.url_, officer)
        made.append(dev)
        return dev

    yield make
    for dev in made:
        dev.close()


def test_delete_and_restore_reach_the_other_device(office, devices):
    a, b = devices("张三"), devices("李四")
    cid = companies.create_company(a.store, {"name": "云南白药集团股份有限公司"})
    a.sync()
    b.sync()
    assert companies.get_company(b.store, cid)["name"] == "云南白药集团股份有限公司"
    companies.delete_company(a.store, cid)
    a.sync()
    b.sync()
    assert b.store.get("companies", cid) is None
    assert [i.id for i in trash.list_trash(b.store)] == [cid]  # in B's recycle bin too
    trash.restore(b.store, "companies", cid)
    b.sync()
    a.sync()
    assert companies.get_company(a.store, cid)["name"] == "云南白药集团股份有限公司"
    assert trash.list_trash(a.store) == []
    assert [c["id"] for c in companies.search_companies(a.store, "云南白药")] == [cid]
