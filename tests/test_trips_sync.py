"""Trips, meetings, reports and leads through a real office server on loopback: they sync
in the creator's unit space like visits (same unit sees them, another 州市 does not),
tombstones propagate, and the office computes lead response figures per 州市."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from test_sync_support import Device, make_office, start_server

from zsapp.contacts import companies
from zsapp.office.trips import lead_response_figures
from zsapp.trips import leads, meetings, report
from zsapp.trips import trips as T

T0 = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def trio(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    office.add_officer("王五", "大理州")
    server = start_server(office)
    devices = []
    for officer in ("张三", "李四", "王五"):
        dev = Device(tmp_path / f"{officer}.sqlite3", officer)
        dev.enroll(office, server.url, officer)
        devices.append(dev)
    yield office, devices
    for dev in devices:
        dev.close()
    server.stop()
    office.close()


def test_trip_records_sync_within_the_unit(trio):
    office, (a, b, c) = trio
    cid = companies.create_company(a.store, {"name": "苏州铝箔材料有限公司", "origin_city": "苏州"})
    trip = T.create_trip(
        a.store, {"destinations": "苏州", "start_date": "2026-03-04", "end_date": "2026-03-05"}
    )
    m1 = T.add_meeting(a.store, trip, {"starts_at": "2026-03-04 10:00", "company_id": cid})
    m2 = T.add_meeting(a.store, trip, {"starts_at": "2026-03-05 10:00", "company_id": cid})
    vid = meetings.visit_from_meeting(a.store, m1, outcome="有意向")
    report.generate(a.store, trip)
    lead = leads.create_lead(a.store, {"title": "扩产", "trip_id": trip, "company_id": cid}, now=T0)
    leads.advance(a.store, lead, now=T0 + timedelta(hours=5))
    for dev in (a, b, c):
        dev.sync()

    assert T.trip_json(b.store, T.get_trip(b.store, trip))["destination_names"] == ["苏州市"]
    assert [m["visit_id"] for m in T.list_meetings(b.store, trip)] == [vid, ""]
    assert report.get_report(b.store, trip)["figures"]["visits"] == 1
    assert leads.lead_json(b.store, leads.get_lead(b.store, lead), now=T0)["next_step"] == "评估"
    # another 州市 sees the province-wide company directory, not this unit's trip
    assert c.store.get("companies", cid) is not None
    assert c.store.get("trips", trip) is None and c.store.count("lead_steps") == 0

    # an edit on B and a deletion on A meet on both devices
    T.update_trip(b.store, trip, {"purpose": "电池铝箔"})
    T.delete_meeting(a.store, m2)
    for dev in (a, b, a):
        dev.sync()
    for dev in (a, b):
        assert T.get_trip(dev.store, trip)["purpose"] == "电池铝箔"
        assert [m["id"] for m in T.list_meetings(dev.store, trip)] == [m1]
        assert dev.store.pending_changes() == 0

    figures = {
        r["prefecture_name"]: r for r in lead_response_figures(office, now=T0 + timedelta(days=4))
    }
    assert figures["昆明市"]["leads"] == 1
    assert figures["昆明市"]["median_first_reply_hours"] == 5.0
    assert figures["昆明市"]["on_time_rate"] == 1.0
    assert figures["昆明市"]["overdue_now"] == 1  # 评估 was due after 3 days


def test_office_lead_stats_from_the_cli(trio, capsys, db_path):
    import json

    from zsapp.cli import main

    office, (a, _b, _c) = trio
    lead = leads.create_lead(a.store, {"title": "来函咨询", "source": "来函"}, now=T0)
    leads.advance(a.store, lead, now=T0 + timedelta(hours=30))
    a.sync()
    url = str(office.engine.url.database)
    code = main(
        [
            "--db",
            str(db_path),
            "leads",
            "stats",
            "--office",
            url,
            "--json",
            "--now",
            "2026-03-03T12:00",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out == [
        {
            "prefecture": "530100",
            "prefecture_name": "昆明市",
            "leads": 1,
            "median_first_reply_hours": 30.0,
            "on_time_rate": 0.0,
            "overdue_now": 0,
        }
    ]
