"""Issue 14 on the wire (real office server on loopback): token rotation makes a copied
database's token go stale, a lost device wipes itself on its next sync without pushing,
an erased person is gone from the server's tables and from other devices."""

from __future__ import annotations

import shutil

import httpx
import pytest
import sqlalchemy as sa
from test_sync_support import Device, make_office, start_server

from zsapp.contacts import companies, people
from zsapp.office import schema as s
from zsapp.office import security as office_security
from zsapp.security import erasure, keys, wipe
from zsapp.security.errors import DeviceWiped
from zsapp.sync import client as sync_client
from zsapp.sync import protocol as p


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


def hello_with(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/hello",
        content=p.dumps({"now_ms": 0}),
        headers={
            "Authorization": f"Bearer {token}",
            p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION),
            "Content-Encoding": "gzip",
        },
    )


def test_rotated_token_makes_a_copied_database_stale(office, devices, tmp_path):
    a = devices("张三")
    a.store.insert("probe_notes", {"title": "昆明数据"})
    a.sync()
    old_token = sync_client.get_config(a.store)["token"]
    # A thief copies the database and its key file (and knows the passphrase).
    copy = tmp_path / "copy.sqlite3"
    a.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(a.path, copy)
    shutil.copy(keys.envelope_path(a.path), keys.envelope_path(copy))

    office.token_rotate_s = 0  # the schedule comes round
    office.token_grace_s = 0  # and the grace window is over at once
    a.sync()
    new_token = sync_client.get_config(a.store)["token"]
    assert new_token != old_token
    office.token_rotate_s = 3600
    assert a.sync().pushed == 0  # the device goes on with its new token

    thief = Device(copy)
    with pytest.raises(sync_client.AuthRequired, match="令牌无效"):
        thief.sync()
    thief.close()
    assert hello_with(office.url_, old_token).status_code == 401


def test_old_token_works_only_inside_the_grace_window(office, devices):
    a = devices("张三")
    old = sync_client.get_config(a.store)["token"]
    office.token_rotate_s = 0
    office.token_grace_s = 3600
    first = hello_with(office.url_, old)  # the answer with the new token gets lost
    assert first.status_code == 200 and first.json()["token"]
    office.token_rotate_s = 3600
    again = hello_with(office.url_, old)  # still accepted (grace), rotated again
    assert again.status_code == 200 and again.json()["token"] not in (None, first.json()["token"])
    with office.engine.begin() as conn:  # the grace window ends
        conn.execute(sa.update(s.device_security).values(prev_valid_until="2000-01-01T00:00:00"))
    assert hello_with(office.url_, old).status_code == 401
    assert hello_with(office.url_, again.json()["token"]).status_code == 200


def test_lost_device_wipes_itself_on_next_sync_without_pushing(office, devices, data_dir):
    a = devices("张三")
    a.store.insert("probe_notes", {"title": "已同步"})
    a.sync()
    unsent = a.store.insert("probe_notes", {"title": "丢失后未推送的秘密"})
    result = office_security.mark_lost(office, a.store.device_id[:8], "出差途中遗失")
    assert result["lost"]
    # Revoked at once: nothing else works with its token.
    assert office.devices()[0]["revoked_at"]
    with pytest.raises(DeviceWiped, match="出差途中遗失") as info:
        a.sync()
    assert "已清除" in str(info.value)
    assert not a.path.exists() and not keys.envelope_path(a.path).exists()
    assert not list(a.path.parent.glob(a.path.name + "*.bak*"))
    assert wipe.wiped_notice(a.path)["reason"].find("出差途中遗失") >= 0
    assert office.record("probe_notes", unsent) is None  # nothing was pushed
    assert office_security.device_states(office)[a.store.device_id]["wipe_sent_at"]


def test_erased_person_is_gone_from_the_server_and_other_devices(office, devices):
    a, b = devices("张三"), devices("李四")
    cid = companies.create_company(a.store, {"name": "玉溪测试烟草机械有限公司"})
    pid = people.create_person(
        a.store, {"name": "赵敏感", "company_id": cid, "mobile": "13712345678"}
    )
    people.update_person(a.store, pid, {"title": "总经理"})
    a.sync()
    b.sync()
    assert b.store.get("people", pid)["name"] == "赵敏感"
    # b edits the person concurrently: a conflict row about them on the server
    people.update_person(b.store, pid, {"title": "副总"})
    people.update_person(a.store, pid, {"title": "董事长"})
    a.sync()
    b.sync()
    a.sync()

    out = erasure.erase_person(a.store, pid)
    assert out["records"] >= 2  # the person and their employment row
    assert a.store.query("SELECT * FROM people WHERE id = ?", (pid,)) == []
    for table in ("field_versions", "outbox", "sync_base"):
        assert not a.store.scalar(f"SELECT count(*) FROM {table} WHERE row_id = ?", (pid,))
    assert people.search_people(a.store, "赵敏感") == []
    a.sync()

    def server_mentions(text: str) -> list:
        hits = []
        with office.engine.connect() as conn:
            for table in (s.fields, s.shared_fields):
                hits += conn.execute(
                    sa.select(table.c.tbl, table.c.field).where(table.c.value.contains(text))
                ).all()
        return hits

    assert server_mentions("赵敏感") == [] and server_mentions("13712345678") == []
    with office.engine.connect() as conn:
        assert not conn.execute(sa.select(s.records).where(s.records.c.row_id == pid)).first()
    assert office.record("people", pid) is None

    b.sync()
    assert b.store.query("SELECT * FROM people WHERE id = ?", (pid,)) == []
    assert not b.store.scalar(
        "SELECT count(*) FROM sync_conflicts WHERE table_name = 'people' AND row_id = ?", (pid,)
    )
    assert not b.store.scalar("SELECT count(*) FROM field_versions WHERE row_id = ?", (pid,))
    assert people.search_people(b.store, "赵敏感") == []
    assert b.store.get("companies", cid) is not None  # the company stays
    # the devices and the server still agree (counts and checksums)
    assert b.sync(verify=True).resnapshot == [] and a.sync(verify=True).resnapshot == []


def test_export_log_reaches_the_office(office, devices, tmp_path):
    from zsapp.contacts import exporter

    a = devices("张三")
    people.create_person(a.store, {"name": "导出对象"})
    exporter.export_csv(a.store, "people", tmp_path / "people.csv")
    [entry] = a.store.query("SELECT id FROM export_log")
    a.sync()
    logged = office.record("export_log", entry["id"])
    assert logged["what"] == "联系人" and logged["rows"] == 1 and logged["target"] == "people.csv"


def test_office_person_erase_reaches_devices(office, devices):
    a, b = devices("张三"), devices("李四")
    pid = people.create_person(a.store, {"name": "办公室删除", "mobile": "13811112222"})
    a.sync()
    b.sync()
    assert office_security.erase_records(office, [("people", pid)], by="admin") == 1
    a.sync()
    b.sync()
    for dev in (a, b):
        assert dev.store.query("SELECT id FROM people WHERE id = ?", (pid,)) == []
    entries = office_security.erasure_log(office)
    assert entries[0]["row_id"] == pid and "办公室删除" not in str(entries)


def test_erasing_a_person_removes_their_attachment_file_on_the_office(office, devices, tmp_path):
    from zsapp.contacts import attachments

    a = devices("张三")
    pid = people.create_person(a.store, {"name": "附件人"})
    card = tmp_path / "名片.txt"
    card.write_text("附件人 13500001111", encoding="utf-8")
    attachments.add_attachment(a.store, "people", pid, card)
    a.sync()
    [att] = a.store.query("SELECT sha256 FROM attachments")
    assert office.blob_path(att["sha256"]).exists()
    erasure.erase_person(a.store, pid)
    a.sync()
    assert not office.blob_path(att["sha256"]).exists()
    assert a.store.query("SELECT * FROM attachments") == []
