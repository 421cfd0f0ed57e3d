"""共享 across units through a real office server on loopback: a 昆明市 record stays private
to 昆明 until it is shared (or its project is transferred) with 大理州; then 大理 devices pull
it, may edit it, and the edit reaches 昆明; unrelated 昆明 records stay invisible, a push to
an unshared 昆明 record is refused as a whole, and count/checksum drift checks stay clean."""

from __future__ import annotations

import httpx
import pytest
from test_sync_support import Device, make_office, start_server, tick

from zsapp.projects import projects as P
from zsapp.sync import client as sync_client
from zsapp.sync import protocol as proto
from zsapp.sync import shares


@pytest.fixture(scope="module")
def cluster():
    from pg import PgCluster, PgUnavailable

    try:
        c = PgCluster().start()
    except PgUnavailable as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield c
    c.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def office(request, tmp_path):
    url = None
    if request.param == "postgresql":
        from pg import unique_db_name

        url = request.getfixturevalue("cluster").create_database(unique_db_name())
    office = make_office(tmp_path, url)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    office.add_officer("王五", "大理州")
    office.add_officer("赵六", "大理州")
    office.add_officer("钱七", "曲靖市")
    office.add_officer("省办", "省招商办", role="province")
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


def assert_no_drift(*devs: Device) -> None:
    for dev in devs:
        dev.sync()
        with sync_client.SyncClient(dev.store) as client:
            assert client.verify() == [], dev.name


def test_shared_record_reaches_the_other_unit_both_ways_and_unrelated_stay_private(office, devices):
    km, km2, dali, qj, prov = (
        devices("张三"),
        devices("李四"),
        devices("王五"),
        devices("钱七"),
        devices("省办"),
    )
    pid = P.create_project(km.store, name="绿色铝精深加工项目", prefecture_key="昆明市", year=2026)
    private = km.store.insert("probe_notes", {"title": "昆明内部"})
    shared = km.store.insert("probe_notes", {"title": "共享的拜访", "body": "初谈"})
    km.sync()
    dali.sync()
    assert pid not in dali.rows("projects") and shared not in dali.rows("probe_notes")

    fresh = km.store.insert("probe_notes", {"title": "新建即共享"})  # record + share in one batch
    shares.share_record(km.store, "probe_notes", fresh, "大理州")
    shares.share_record(km.store, "projects", pid, "大理州")
    shares.share_record(
        km.store, "probe_notes", shared, "大理"
    )  # another spelling of the same 州市
    assert (
        shares.share_record(km.store, "projects", pid, "大理白族自治州")
        == shares.list_shares(km.store, "projects", pid)[0]["id"]
    )
    km.sync()
    dali.sync()
    qj.sync()
    assert dali.rows("projects")[pid]["name"] == "绿色铝精深加工项目"
    assert dali.rows("probe_notes")[shared]["body"] == "初谈"
    assert dali.rows("probe_notes")[fresh]["title"] == "新建即共享"
    assert private not in dali.rows("probe_notes")
    assert pid not in qj.rows("projects") and shared not in qj.rows("probe_notes")

    # 大理 edits a field; 昆明 receives it. 昆明 edits another; 大理 receives that too.
    dali.store.update("probe_notes", shared, {"body": "大理已考察"})
    km.store.update("probe_notes", shared, {"title": "共享的拜访（更新）"})
    dali.sync()
    km.sync()
    dali.sync()
    km2.sync()
    prov.sync()
    for dev in (km, km2, dali, prov):
        row = dev.rows("probe_notes")[shared]
        assert (row["title"], row["body"]) == ("共享的拜访（更新）", "大理已考察"), dev.name
        assert dev.store.count("sync_conflicts") == 0
    assert office.record("probe_notes", shared)["body"] == "大理已考察"
    # Same-field concurrent edits across units: per-field rule, loser kept as a conflict.
    dali.store.update("probe_notes", shared, {"title": "大理的标题"})
    tick()
    km.store.update("probe_notes", shared, {"title": "昆明的标题"})
    dali.sync()
    km.sync()
    dali.sync()
    for dev in (km, dali):
        assert dev.rows("probe_notes")[shared]["title"] == "昆明的标题"
    assert km.store.count("sync_conflicts") == 1
    assert_no_drift(km, km2, dali, qj, prov)


def test_push_to_an_unshared_record_of_another_unit_is_refused_as_a_whole(office, devices):
    km, dali = devices("张三"), devices("王五")
    private = km.store.insert("probe_notes", {"title": "昆明内部"})
    km.sync()
    dali.sync()
    other = dali.store.insert("probe_notes", {"title": "大理自己的"})
    dev = office.authenticate(sync_client.get_config(dali.store)["token"])
    op = {
        "seq": 1,
        "device": dev["id"],
        "t": "probe_notes",
        "id": private,
        "f": "title",
        "v": "篡改",
        "h": f"{proto.hlc_wall_ms(km.store.clock.now().pack()):016d}-0000-{dev['id']}",
    }
    own = {
        "seq": 2,
        "device": dev["id"],
        "t": "probe_notes",
        "id": other,
        "f": "title",
        "v": "大理自己的",
        "h": op["h"],
    }
    with httpx.Client(base_url=office.url_) as http:
        r = http.post(
            "/v1/push",
            content=proto.dumps({"batch_id": "x", "from_seq": 1, "to_seq": 2, "ops": [op, own]}),
            headers={
                "Authorization": f"Bearer {sync_client.get_config(dali.store)['token']}",
                proto.HEADER_PROTOCOL: str(proto.PROTOCOL_VERSION),
                proto.HEADER_APP: "9.9",
                "Content-Encoding": "gzip",
                "Content-Type": "application/json",
            },
        )
    assert r.status_code == 403
    assert office.record("probe_notes", private)["title"] == "昆明内部"
    assert office.record("probe_notes", other) is None  # nothing of the batch applied
    # A share made by another unit's device for a record it does not own is not honoured.
    shares_tbl = dali.store.insert(
        "record_shares", {"tbl": "probe_notes", "row_id": private, "unit": "大理州"}
    )
    dali.sync()
    assert shares_tbl and private not in dali.rows("probe_notes")
    assert_no_drift(km, dali)


def test_transfer_shares_the_project_and_unshare_freezes_the_copy(office, devices):
    km, dali, dali2 = devices("张三"), devices("王五"), devices("赵六")
    pid = P.create_project(km.store, name="咖啡精深加工项目", prefecture_key="昆明市", year=2026)
    km.sync()
    dali.sync()
    assert pid not in dali.rows("projects")
    P.transfer(km.store, pid, reason="不符合本园区主导产业布局", prefecture_key="大理")
    km.sync()
    dali.sync()
    row = dali.rows("projects")[pid]
    assert row["prefecture_code"] == "532900" and row["name"] == "咖啡精深加工项目"
    assert [s["unit"] for s in shares.list_shares(km.store, "projects", pid)] == ["大理白族自治州"]
    dali.store.update("projects", pid, {"summary": "大理跟进中"})
    dali.sync()
    km.sync()
    assert km.rows("projects")[pid]["summary"] == "大理跟进中"

    # Unshare: 大理 keeps its copy, gets no further changes; a later 大理 edit comes back as
    # a visible 'rejected' conflict instead of blocking its sync; drift checks stay clean.
    assert shares.unshare_record(km.store, "projects", pid, "大理州") == 1
    km.sync()
    km.store.update("projects", pid, {"summary": "昆明收回"})
    km.sync()
    dali.sync()
    dali2.sync()
    assert dali.rows("projects")[pid]["summary"] == "大理跟进中"
    assert dali2.rows("projects")[pid]["summary"] == "大理跟进中"  # new device: frozen copy
    dali.store.update("projects", pid, {"summary": "大理又改了"})
    res = dali.sync()
    assert dali.store.pending_changes() == 0 and res.conflicts == 1
    assert office.record("projects", pid)["summary"] == "昆明收回"
    assert_no_drift(km, dali, dali2)


def test_cli_share_unshare(tmp_path, capsys):
    import json

    from zsapp.cli import main
    from zsapp.office.server import ServerThread
    from zsapp.office.service import Office

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    o = ["office", "--db", tmp_path / "office.sqlite3"]
    run(*o, "init")
    run(*o, "officer", "add", "张三", "--unit", "昆明市")
    run(*o, "officer", "add", "王五", "--unit", "大理州")
    office = Office(tmp_path / "office.sqlite3")
    with ServerThread(office) as server:
        km, dali = ["--db", tmp_path / "km.sqlite3"], ["--db", tmp_path / "dali.sqlite3"]
        Device(tmp_path / "dali.sqlite3").close()  # creates the probe table there too
        for dev, who in ((km, "张三"), (dali, "王五")):
            code = json.loads(run(*o, "enroll", who, "--json")[1])["code"]
            assert run(*dev, "sync", "enroll", server.url, code)[0] == 0
        km_dev = Device(tmp_path / "km.sqlite3")
        rid = km_dev.store.insert("probe_notes", {"title": "命令行共享"})
        km_dev.close()
        code, out, err = run(*km, "sync", "share", "probe_notes", rid, "大理州", "--json")
        assert code == 0 and json.loads(out)["share_id"]
        code, out, err = run(*km, "sync", "share", "companies", rid, "大理州")
        assert code == 1 and "不能共享" in err
        assert [r["row_id"] for r in json.loads(run(*km, "sync", "shares", "--json")[1])] == [rid]
        run(*km, "sync", "now")
        run(*dali, "sync", "now", "--verify")
        dali_dev = Device(tmp_path / "dali.sqlite3")
        assert dali_dev.rows("probe_notes")[rid]["title"] == "命令行共享"
        dali_dev.close()
        code, out, _ = run(*km, "sync", "unshare", "probe_notes", rid, "大理州", "--json")
        assert code == 0 and json.loads(out) == {"removed": 1}
        assert run(*km, "sync", "now", "--verify")[0] == 0
    office.close()
