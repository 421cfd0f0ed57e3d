"""Auth and scope on the office server: tokens, revocation, other units, tampered batches,
protocol negotiation. Real server on loopback, real SQLite files."""

from __future__ import annotations

import httpx
import pytest
from test_sync_support import Device, make_office, start_server

from zsapp.sync import client as sync_client
from zsapp.sync import protocol as p


@pytest.fixture
def env(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("王五", "大理州")
    office.add_officer("省办", "云南省", role="province")
    server = start_server(office)
    devs = []

    def device(officer):
        d = Device(tmp_path / f"d{len(devs)}.sqlite3")
        d.enroll(office, server.url, officer)
        devs.append(d)
        return d

    yield office, server, device
    for d in devs:
        d.close()
    server.stop()
    office.close()


def _post(url, path, data, token=None, protocol=p.PROTOCOL_VERSION):
    headers = {p.HEADER_PROTOCOL: str(protocol), "Content-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url + path, content=p.dumps(data), headers=headers)


def test_wrong_and_revoked_tokens_get_401_and_local_data_is_untouched(env, tmp_path):
    office, server, device = env
    a = device("张三")
    rid = a.store.insert("probe_notes", {"title": "离线记录"})
    pending = a.store.pending_changes()
    assert _post(server.url, "/v1/hello", {}, token="not-a-token").status_code == 401
    office.revoke_device(a.store.device_id[:10])
    with pytest.raises(sync_client.AuthRequired, match="重新登记"):
        a.sync()
    assert (
        a.store.pending_changes() == pending and a.rows("probe_notes")[rid]["title"] == "离线记录"
    )
    assert sync_client.status(a.store)["state"] == "error"
    # Re-enrolling keeps the device's data and op numbering; the edit then syncs.
    a.enroll(office, server.url, "张三")
    a.sync()
    assert a.store.pending_changes() == 0
    assert office.record("probe_notes", rid)["title"] == "离线记录"


def test_enrollment_code_is_one_time_and_only_a_token_hash_is_stored(env, tmp_path):
    office, server, _device = env
    code = office.create_enrollment("张三")["code"]
    d = Device(tmp_path / "x.sqlite3")
    sync_client.enroll(d.store, server.url, code.lower())
    token = d.store.get_setting("sync.config")["token"]
    d2 = Device(tmp_path / "y.sqlite3")
    with pytest.raises(sync_client.AuthRequired, match="登记码无效"):
        sync_client.enroll(d2.store, server.url, code)
    raw = (tmp_path / "office.sqlite3").read_bytes() + (
        tmp_path / "office.sqlite3-wal"
    ).read_bytes()
    assert token.encode() not in raw
    d.close()
    d2.close()


def test_device_cannot_pull_or_overwrite_another_units_records(env):
    office, server, device = env
    a, c, prov = device("张三"), device("王五"), device("省办")
    company = (
        a.store.insert("companies", {"name": "云南白药集团股份有限公司"})
        if "companies" in a.store.db.table_names()
        else None
    )
    secret = a.store.insert("probe_notes", {"title": "昆明市内部"})
    a.sync()
    c.sync()
    prov.sync()
    assert secret not in c.rows("probe_notes")
    assert secret in prov.rows("probe_notes")  # the province role sees every unit
    if company:
        assert company in c.rows("companies")  # province-wide directory
    token = c.store.get_setting("sync.config")["token"]
    # Even asking for the other unit's space by name returns nothing from it.
    page = p.loads(_post(server.url, "/v1/pull", {"cursors": {"unit:昆明市": 0}}, token).content)
    assert all(row["s"] != "unit:昆明市" for row in page["rows"])
    assert secret not in {row["id"] for row in page["rows"]}
    # Overwriting it with a hand-made batch is refused as a whole.
    seq = (c.store.scalar("SELECT seq FROM sqlite_sequence WHERE name='outbox'") or 0) + 1
    hlc = c.store.clock.now().pack()
    batch = {
        "batch_id": "evil",
        "from_seq": seq,
        "to_seq": seq,
        "ops": [
            {
                "seq": seq,
                "device": c.store.device_id,
                "t": "probe_notes",
                "id": secret,
                "f": "title",
                "v": "改掉",
                "h": hlc,
            }
        ],
    }
    r = _post(server.url, "/v1/push", batch, token)
    assert r.status_code == 403
    assert office.record("probe_notes", secret)["title"] == "昆明市内部"


def test_tampered_batch_with_another_devices_ops_is_refused(env):
    office, server, device = env
    a, b = device("张三"), device("王五")
    token_b = b.store.get_setting("sync.config")["token"]
    hlc = a.store.clock.now().pack()
    batch = {
        "batch_id": "spoof",
        "from_seq": 1,
        "to_seq": 1,
        "ops": [
            {
                "seq": 1,
                "device": a.store.device_id,
                "t": "probe_notes",
                "id": "x1",
                "f": "title",
                "v": "冒充",
                "h": hlc,
            }
        ],
    }
    r = _post(server.url, "/v1/push", batch, token_b)
    assert r.status_code == 403 and "其他设备" in r.json()["message"]
    assert office.record("probe_notes", "x1") is None
    # Timestamps must carry the authenticated device's id too.
    batch["ops"][0]["device"] = b.store.device_id
    assert _post(server.url, "/v1/push", batch, token_b).status_code == 403
    assert office.record("probe_notes", "x1") is None


def test_protocol_versions_are_negotiated_with_a_clear_message(env):
    _office, server, device = env
    a = device("张三")
    token = a.store.get_setting("sync.config")["token"]
    r = _post(server.url, "/v1/hello", {}, token, protocol=0)
    assert r.status_code == 426 and "请升级到" in r.json()["message"]

    # A server speaking an older protocol than this app needs: clear message, no data exchanged.
    def old_server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"server_time_ms": 0}, headers={p.HEADER_PROTOCOL: "0"})

    a.store.insert("probe_notes", {"title": "不应丢失"})
    before = a.store.pending_changes()
    with pytest.raises(sync_client.UpgradeRequired, match="升级"):
        a.sync(transport=httpx.MockTransport(old_server))
    assert a.store.pending_changes() == before


def test_office_only_tables_are_read_only_for_officers(env):
    _office, _server, device = env
    a = device("张三")
    if "parks" not in a.store.db.table_names():
        pytest.skip("parks table not present")
    before = a.store.count("sync_conflicts")
    a.store.insert("parks", {"name": "自建园区"})
    a.sync()
    a.sync()
    from zsapp.sync import conflicts

    rejected = [c for c in conflicts.list_conflicts(a.store) if c["kind"] == "rejected"]
    assert rejected and a.store.count("sync_conflicts") > before
    assert a.store.pending_changes() == 0  # not stuck in the outbox
