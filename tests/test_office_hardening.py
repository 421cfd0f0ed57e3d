"""Hostile and broken requests against a real office server on loopback, on SQLite and
PostgreSQL: every malformed request is a 4xx with a Chinese message (never a 500), one
wrong-typed value cannot poison the province, bodies are capped before work, forged
timestamps are refused, attachments do not leak across units, enrollment and auth
failures are rate-limited, and refusals land in the audit log."""

from __future__ import annotations

import gzip
import hashlib
import json
import resource
import time

import httpx
import office_backends
import pytest
from test_sync_support import Device

from zsapp.office import audit
from zsapp.office.server import ServerThread
from zsapp.sync import client as sync_client
from zsapp.sync import protocol as p

cluster = office_backends.cluster
office = office_backends.office

HEADERS = {p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION)}
SHA = "ab" * 32


@pytest.fixture
def env(office, tmp_path):
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    office.add_officer("王五", "大理州")
    with ServerThread(office) as server:
        devices = {}
        for who in ("张三", "李四", "王五"):
            dev = Device(tmp_path / f"{who}.sqlite3")
            dev.enroll(office, server.url, who)
            devices[who] = dev
        http = httpx.Client(base_url=server.url, headers=HEADERS, timeout=30)
        yield office, server, devices, http
        http.close()
        for dev in devices.values():
            dev.close()


def token(dev: Device) -> str:
    return sync_client.get_config(dev.store)["token"]


def auth(dev: Device) -> dict:
    return {**HEADERS, "Authorization": f"Bearer {token(dev)}"}


def post(http, path, body, dev=None, raw: bytes | None = None, headers=None):
    hdrs = {**(auth(dev) if dev else HEADERS), **(headers or {})}
    if raw is None:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return http.post(path, content=raw, headers=hdrs)


def op(dev: Device, n: int, **kw) -> dict:
    base = {
        "seq": n,
        "device": dev.store.device_id,
        "t": "companies",
        "id": "c-1",
        "f": "name",
        "v": "云南白药",
        "h": dev.store.clock.now().pack(),
    }
    base.update(kw)
    return base


def batch(dev: Device, ops: list[dict]) -> dict:
    seqs = [o["seq"] for o in ops if isinstance(o, dict) and isinstance(o.get("seq"), int)]
    return {
        "batch_id": f"{dev.store.device_id}:x",
        "from_seq": min(seqs, default=1),
        "to_seq": max(seqs, default=1),
        "ops": ops,
    }


def assert_refused(response, statuses=(400, 413, 422)):
    assert response.status_code in statuses, (response.status_code, response.text)
    message = response.json()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


ENDPOINTS = ["/v1/enroll", "/v1/hello", "/v1/push", "/v1/pull", "/v1/done", "/v1/blobs/missing"]


def test_malformed_bodies_are_4xx_never_500(env):
    _office, _server, devs, http = env
    dev = devs["张三"]
    for path in ENDPOINTS:
        for body in (b"[]", b'"x"', b"42", b"null", b"{", b"\xff\xfe", b"[1,2]", b'{"a":'):
            if body == b"null" and path not in ("/v1/enroll", "/v1/push"):
                continue  # an empty request body is fine where every field has a default
            r = post(http, path, None, dev, raw=body)
            # (enrollment attempts are rate-limited per address: 429 after ten)
            assert_refused(r, (400, 422, 429))
    seq = 1
    bad_values = [
        {"next_seq": "x"},
        {"limit": "10"},
        {"limit": 1.5},
        {"cursors": {"province": "x"}},
        {"cursors": {"province": 2**70}},
        {"cursors": []},
        {"pushed": "3"},
        {"pushed": 2**64},
    ]
    for body in bad_values:
        for path in ("/v1/pull", "/v1/done"):
            r = post(http, path, body, dev)
            assert r.status_code in (200, 422), (path, body, r.status_code)
    for body in ({"cursors": {"province": 2**70}}, {"limit": "10"}, {"cursors": {"x": -1}}):
        assert_refused(post(http, "/v1/pull", body, dev))
    assert_refused(post(http, "/v1/done", {"pushed": "3"}, dev))
    assert_refused(
        post(http, "/v1/enroll", {"code": "x", "device_id": "d1", "next_seq": "x"}), (422, 429)
    )
    for broken in (
        {"h": None},
        {"h": 5},
        {"h": "abc"},
        {"seq": "1"},
        {"seq": 2**64},
        {"f": "x" * 101},
        {"f": "Name; DROP"},
        {"t": "../etc"},
        {"id": "r" * 65},
        {"id": "a\x00b"},
        {"v": "a\x00b"},
        {"v": {"nested": 1}},
        {"v": None},
        {"v": "\ud800"},
        {"f": "updated_by"},
    ):
        r = post(http, "/v1/push", batch(dev, [op(dev, seq, **broken)]), dev)
        assert_refused(r)
    missing_h = op(dev, seq)
    del missing_h["h"]
    assert_refused(post(http, "/v1/push", batch(dev, [missing_h]), dev))
    assert_refused(post(http, "/v1/push", {**batch(dev, [op(dev, 1)]), "to_seq": 2**64}, dev))
    assert_refused(post(http, "/v1/blobs/missing", {"hashes": ["../../etc/passwd"]}, dev))
    assert_refused(post(http, "/v1/blobs/missing", {"hashes": "abc"}, dev))
    r = http.put(f"/v1/blobs/{SHA}", params={"offset": "x", "total": "3"}, headers=auth(dev))
    assert_refused(r)
    r = http.put("/v1/blobs/..%2F..%2Fx", params={"total": "3"}, content=b"abc", headers=auth(dev))
    assert r.status_code in (404, 422)
    # Nothing of this reached the data: the server holds no company, the device syncs on.
    assert _office.record("companies", "c-1") is None
    dev.store.insert("companies", {"name": "正常企业"})
    dev.sync()
    assert devs["李四"].sync().pulled >= 1


def test_one_wrong_typed_value_cannot_poison_the_province(env):
    office, _server, devs, http = env
    a, b, c = devs["张三"], devs["李四"], devs["王五"]
    good = a.store.insert("companies", {"name": "好企业"})
    a.sync()
    # A hostile device pushes an object into companies.name and null into a NOT NULL column.
    for v in ({"x": 1}, None, ["a"]):
        r = post(http, "/v1/push", batch(c, [op(c, 1, id=good, v=v)]), c)
        assert_refused(r, (422,))
        assert "companies.name" in r.json()["message"]
    assert office.record("companies", good)["name"] == "好企业"
    b.sync()
    assert b.rows("companies")[good]["name"] == "好企业"


def test_limits_before_work(env):
    office, _server, devs, http = env
    dev = devs["张三"]
    bomb = gzip.compress(b"\x00" * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    r = post(http, "/v1/push", None, dev, raw=bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413 and "过大" in r.json()["message"]
    # Unauthenticated: refused before the body is even read.
    r = post(http, "/v1/push", None, None, raw=bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 401
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, grown_mb
    assert time.perf_counter() - t0 < 10
    # Too large compressed (declared length) and too many ops.
    r = post(http, "/v1/push", None, dev, raw=b"x" * (9 * 1024 * 1024))
    assert r.status_code == 413
    many = [op(dev, i + 1, id=f"c-{i}") for i in range(5001)]
    assert_refused(post(http, "/v1/push", batch(dev, many), dev), (422,))
    # A note longer than the app allows; a 51 MB value.
    assert_refused(post(http, "/v1/push", batch(dev, [op(dev, 1, f="notes", v="长" * 4001)]), dev))
    huge = gzip.compress(
        json.dumps(batch(dev, [op(dev, 1, f="notes", v="x" * (51 * 1024 * 1024))])).encode()
    )
    r = post(http, "/v1/push", None, dev, raw=huge, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413
    assert office.record("companies", "c-1") is None


def test_forged_and_foreign_digit_timestamps_are_refused(env):
    office, _server, devs, http = env
    a, b = devs["张三"], devs["李四"]
    me = a.store.device_id
    for forged in (f"9-0-{me}", f"0000000000000009-0000-{me}", f"١٧٣٢٥٠٠٠٠٠٠٠٠٠٠٠-0000-{me}"):
        r = post(http, "/v1/push", batch(a, [op(a, 1, h=forged)]), a)
        assert_refused(r, (422,))
    # Another device's stamp.
    r = post(http, "/v1/push", batch(a, [op(a, 1, h=b.store.clock.now().pack())]), a)
    assert r.status_code == 403
    # A stamp far in the future is accepted but re-stamped with the server's time.
    future = f"{int(time.time() * 1000) + 10 * 86400_000:016d}-0000-{me}"
    r = post(http, "/v1/push", batch(a, [op(a, 1, id="c-fut", h=future)]), a)
    assert r.status_code == 200, r.text
    assert office.record("companies", "c-fut")["name"] == "云南白药"
    # A real edit a second later wins over an old (but accepted) one.
    rid = a.store.insert("companies", {"name": "甲"})
    a.sync()
    b.sync()
    b.store.update("companies", rid, {"name": "乙"})
    b.sync()
    assert office.record("companies", rid)["name"] == "乙"


def _attach(dev: Device, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    path = sync_client.blob_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    dev.store.insert(
        "attachments",
        {"owner_table": "visits", "owner_id": "v1", "sha256": sha, "size": len(content)},
    )
    return sha


def test_attachments_do_not_leak_across_units(env, data_dir):
    office, _server, devs, http = env
    a, b, c = devs["张三"], devs["李四"], devs["王五"]
    secret = b"kunming confidential " * 100
    sha = _attach(a, secret)
    a.sync()
    assert office.blob_path(sha).read_bytes() == secret
    # Same unit: may download.
    r = http.get(f"/v1/blobs/{sha}", headers=auth(b))
    assert r.status_code == 200 and r.content == secret
    # Another unit (which does not have the file) names the hash in its own attachments
    # row: still refused.
    sync_client.blob_path(sha).unlink()
    c.store.insert("attachments", {"owner_table": "visits", "owner_id": "v9", "sha256": sha})
    c.sync()
    assert http.get(f"/v1/blobs/{sha}", headers=auth(c)).status_code == 403
    # /v1/blobs/missing answers the same for an existing and a non-existing hash.
    r = post(http, "/v1/blobs/missing", {"hashes": [sha, SHA]}, c).json()
    assert r == {"missing": [{"sha256": sha, "offset": 0}, {"sha256": SHA, "offset": 0}]}
    assert post(http, "/v1/blobs/missing", {"hashes": [sha]}, a).json() == {"missing": []}


def test_blob_upload_limits(env):
    office, _server, devs, http = env
    dev = devs["张三"]
    content = b"0123456789"
    sha = hashlib.sha256(content).hexdigest()
    put = lambda body, offset, total: http.put(  # noqa: E731
        f"/v1/blobs/{sha}",
        params={"offset": offset, "total": total},
        content=body,
        headers=auth(dev),
    )
    assert put(content[:4], 0, 10).json() == {"complete": False, "size": 4}
    assert_refused(put(content[4:], 4, 11), (422,))  # the declared total changed
    assert_refused(put(content[4:] + b"extra", 4, 10), (413,))  # past the declared total
    assert put(content[4:], 4, 10).json() == {"complete": True, "size": 10}
    assert_refused(put(b"x", 0, 10**12), (413,))  # over the per-file cap
    from zsapp.office import limits

    other = hashlib.sha256(b"other").hexdigest()
    assert (
        http.put(
            f"/v1/blobs/{other}",
            params={"offset": 0, "total": limits.DEVICE_BLOB_QUOTA},
            content=b"o",
            headers=auth(dev),
        ).status_code
        == 413
    )
    # Wrong content for the hash: discarded.
    bad = hashlib.sha256(b"right").hexdigest()
    r = http.put(
        f"/v1/blobs/{bad}", params={"offset": 0, "total": 5}, content=b"wrong", headers=auth(dev)
    )
    assert_refused(r, (422,))
    assert not office.blob_path(bad).exists()


def test_rate_limits_and_audit(env):
    office, _server, devs, http = env
    # Three enrollments (the fixture's devices) already came from this address.
    codes = [
        post(http, "/v1/enroll", {"code": f"WRONG-{i}", "device_id": f"dev{i}"}).status_code
        for i in range(9)
    ]
    assert codes[:7] == [401] * 7 and codes[7:] == [429, 429]
    statuses = [
        http.post("/v1/hello", headers={**HEADERS, "Authorization": f"Bearer bad{i}"}).status_code
        for i in range(32)
    ]
    assert statuses[:30] == [401] * 30 and statuses[30:] == [429, 429]
    r = http.post("/v1/hello", headers=auth(devs["张三"]))
    assert r.status_code == 429 and "秒后再试" in r.json()["message"]
    with office.engine.connect() as conn:
        entries = audit.read(conn)
        assert audit.verify_chain(conn) is True
    refused = [e for e in entries if e["result"].startswith("refused")]
    assert sum(e["result"] == "refused:401" for e in refused) == 37
    assert sum(e["result"] == "refused:429" for e in refused) == 1  # a flood is one entry
    assert sum(e["action"] == "device.enroll" for e in entries) == 3


def test_revoke_and_admin_actions_are_audited(env):
    office, _server, devs, _http = env
    office.revoke_device(devs["王五"].store.device_id)
    with pytest.raises(sync_client.AuthRequired):
        devs["王五"].sync()
    with office.engine.connect() as conn:
        actions = [e["action"] for e in audit.read(conn)]
    assert actions.count("officer.add") == 3 and actions.count("enrollment.create") == 3
    assert "device.revoke" in actions and actions[-1].startswith("request POST /v1/hello")


def test_unknown_future_fields_are_kept_within_limits(env):
    office, _server, devs, http = env
    a, b = devs["张三"], devs["李四"]
    rid = a.store.insert("companies", {"name": "未来企业"})
    a.sync()
    me = a.store.device_id
    seq = int(a.store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")) + 1
    future = op(a, seq, id=rid, f="zz_future_rating", v={"stars": 5, "by": "新版本"})
    r = post(http, "/v1/push", batch(a, [future]), a)
    assert r.status_code == 200, r.text
    assert office.record("companies", rid)["zz_future_rating"] == {"stars": 5, "by": "新版本"}
    too_big = op(a, seq + 1, id=rid, f="zz_future_blob", v={"x": "长" * 20000})
    assert_refused(post(http, "/v1/push", batch(a, [too_big]), a), (422,))
    a.store.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (seq,))
    b.sync()
    kept = b.store.query(
        "SELECT value FROM sync_extra WHERE table_name = 'companies' AND row_id = ? "
        "AND field = 'zz_future_rating'",
        (rid,),
    )
    assert [json.loads(k["value"]) for k in kept] == [{"stars": 5, "by": "新版本"}]
    assert me


def test_push_hooks_run_in_the_push_transaction(env):
    from zsapp.office import push as office_push

    office, _server, devs, _http = env
    a = devs["张三"]
    seen: list[list[dict]] = []

    def hook(conn, device, written):
        seen.append(written)
        if any(w["v"] == '"拒绝"' for w in written):
            raise RuntimeError("read model refused")

    office_push.PUSH_HOOKS.append(hook)
    try:
        rid = a.store.insert("companies", {"name": "钩子企业"})
        a.sync()
        assert {(w["t"], w["id"], w["f"]) for w in seen[-1]} >= {("companies", rid, "name")}
        assert seen[-1][0]["s"] == "province"
        a.store.update("companies", rid, {"name": "拒绝"})
        with pytest.raises(sync_client.SyncError):
            a.sync()
        assert office.record("companies", rid)["name"] == "钩子企业"  # rolled back
        assert a.store.pending_changes() == 1  # kept, sent again next time
    finally:
        office_push.PUSH_HOOKS.remove(hook)
    a.sync()
    assert office.record("companies", rid)["name"] == "拒绝"
