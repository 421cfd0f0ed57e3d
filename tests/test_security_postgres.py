"""Issue 14's office side on PostgreSQL: token rotation, lost device, erasure."""

from __future__ import annotations

import pytest
from pg import PgCluster, PgUnavailable, unique_db_name
from test_sync_support import Device

from zsapp.contacts import people
from zsapp.office import security as office_security
from zsapp.office.server import ServerThread
from zsapp.office.service import Office
from zsapp.security import erasure
from zsapp.security.errors import DeviceWiped
from zsapp.sync import client as sync_client

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster():
    try:
        c = PgCluster().start()
    except PgUnavailable as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield c
    c.stop()


def test_rotation_lost_device_and_erasure_on_postgresql(cluster, tmp_path):
    office = Office(cluster.create_database(unique_db_name()), blob_dir=tmp_path / "blobs")
    office.init()
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    try:
        with ServerThread(office) as server:
            a, b = Device(tmp_path / "a.sqlite3"), Device(tmp_path / "b.sqlite3")
            a.enroll(office, server.url, "张三")
            b.enroll(office, server.url, "李四")
            pid = people.create_person(a.store, {"name": "周删除", "mobile": "13300001111"})
            a.sync()
            b.sync()
            old = sync_client.get_config(a.store)["token"]
            office.token_rotate_s = 0
            a.sync()
            office.token_rotate_s = 3600
            assert sync_client.get_config(a.store)["token"] != old
            erasure.erase_person(a.store, pid)
            a.sync()
            assert office.record("people", pid) is None
            b.sync()
            assert b.store.query("SELECT id FROM people WHERE id = ?", (pid,)) == []
            office_security.mark_lost(office, b.store.device_id, "测试")
            with pytest.raises(DeviceWiped):
                b.sync()
            assert not b.path.exists()
            a.close()
    finally:
        office.close()
