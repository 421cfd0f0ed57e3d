"""Projects across devices through a real office server on loopback: offline code
collisions resolve the same way everywhere; derived status and search follow synced rows."""

from __future__ import annotations

import json

import pytest
from test_sync_support import Device, make_office, start_server

from zsapp.projects import dashboard, funds, stages
from zsapp.projects import projects as P


@pytest.fixture
def pair(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    server = start_server(office)
    devices = []
    for officer in ("张三", "李四"):
        dev = Device(tmp_path / f"{officer}.sqlite3", officer)
        dev.enroll(office, server.url, officer)
        devices.append(dev)
    yield devices
    for dev in devices:
        dev.close()
    server.stop()
    office.close()


def test_offline_code_collision_converges_and_derived_data_follows(pair):
    a, b = pair
    first = P.create_project(a.store, name="绿色铝精深加工项目", prefecture_key="昆明", year=2026)
    second = P.create_project(b.store, name="咖啡精深加工项目", prefecture_key="昆明", year=2026)
    assert (
        a.store.get("projects", first)["code"]
        == b.store.get("projects", second)["code"]
        == "KM-2026-0001"
    )
    stages.change_stage(b.store, second, "在谈", "首谈")
    funds.add_funds(b.store, second, "2026-03", 4321)

    for _ in range(3):
        a.sync()
        b.sync()

    for dev in (a, b):
        rows = {r["id"]: r for r in dev.store.query("SELECT id, code, former_codes FROM projects")}
        assert rows[first]["code"] == "KM-2026-0001"  # created first: keeps the code
        assert rows[second]["code"] == "KM-2026-0002"  # renumbered, old code kept on record
        assert json.loads(rows[second]["former_codes"]) == ["KM-2026-0001"]
        assert P.get_project(dev.store, "KM-2026-0002")["stage"] == "在谈"
        assert P.search_projects(dev.store, "kafei")[0]["id"] == second
        everyone = dashboard.dashboard(dev.store, owner="", year=2026)
        assert everyone["projects"] == 2 and everyone["funds_year_outside_industrial_wan"] == 4321
        assert dev.store.count("sync_conflicts") == 0
    assert a.store.pending_changes() == 0 and b.store.pending_changes() == 0
