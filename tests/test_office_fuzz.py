"""Random JSON (hypothesis) posted to every endpoint of a live office server, with and
without a valid device token, on SQLite and PostgreSQL: the answer is never a 5xx and a
refusal always carries a Chinese message. Half of the cases are near-valid push
batches (right shape, random values), which reach deep into the merge path."""

from __future__ import annotations

import json

import httpx
import office_backends
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sync_support import Device

from zsapp.office.limits import RateLimiter
from zsapp.office.server import ServerThread
from zsapp.sync import client as sync_client
from zsapp.sync import protocol as p

cluster = office_backends.cluster
office = office_backends.office

HEADERS = {p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION)}
PATHS = [
    ("POST", "/v1/enroll"),
    ("POST", "/v1/hello"),
    ("POST", "/v1/push"),
    ("POST", "/v1/pull"),
    ("POST", "/v1/done"),
    ("POST", "/v1/blobs/missing"),
    ("PUT", "/v1/blobs/" + "ab" * 32),
    ("GET", "/v1/blobs/" + "ab" * 32),
    ("GET", "/v1/published/catalogue"),
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "\x00", "\ud800", "9-0-x", "../..", "a" * 70, "deleted"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_KEYS = [
    "code",
    "device_id",
    "next_seq",
    "cursors",
    "limit",
    "pushed",
    "hashes",
    "ops",
    "batch_id",
]
bodies = json_values | st.dictionaries(st.sampled_from(FIELD_KEYS), json_values, max_size=5)
op_keys = st.sampled_from(["seq", "device", "t", "id", "f", "v", "h", "b", "db", "rb"])


@pytest.fixture
def live(office, tmp_path):
    office.add_officer("张三", "昆明市")
    # Generous limits: the fuzzer must reach the handlers, not the rate limiter.
    from zsapp.office import app as office_app

    real = office_app.create_app

    def lenient(o):
        return real(o, RateLimiter(10**6, 1.0, 10**6), RateLimiter(10**6, 1.0, 10**6))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("zsapp.office.server.create_app", lenient)
        server = ServerThread(office).start()
    dev = Device(tmp_path / "dev.sqlite3")
    dev.enroll(office, server.url, "张三")
    http = httpx.Client(base_url=server.url, timeout=30)
    yield dev, http
    http.close()
    dev.close()
    server.stop()


def _send(http, method, path, body, token):
    headers = dict(HEADERS)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if method == "GET":
        return http.get(path, headers=headers)
    return http.request(method, path, content=raw, headers=headers, params={"total": "10"})


def _check(r):
    # (409 on a blob upload is the resume protocol: it answers where to continue)
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if (
        r.status_code >= 400
        and r.status_code != 409
        and r.headers.get("content-type", "").startswith("application/json")
    ):
        message = r.json().get("message", "")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_random_json_never_answers_5xx(live):
    dev, http = live
    token = sync_client.get_config(dev.store)["token"]

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(
        target=st.sampled_from(PATHS),
        body=bodies,
        authed=st.booleans(),
    )
    def run(target, body, authed):
        method, path = target
        _check(_send(http, method, path, body, token if authed else None))

    run()


def test_near_valid_push_batches_never_answer_5xx(live):
    dev, http = live
    token = sync_client.get_config(dev.store)["token"]
    me = dev.store.device_id

    def good_op(seq):
        return {
            "seq": seq,
            "device": me,
            "t": "companies",
            "id": f"c-{seq}",
            "f": "name",
            "v": "企业",
            "h": dev.store.clock.now().pack(),
        }

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(
        changes=st.lists(st.tuples(op_keys, json_values), max_size=3),
        table=st.sampled_from(["companies", "people", "probe_notes", "attachments", "parks", "x"]),
        field=st.sampled_from(["name", "notes", "deleted", "sha256", "merged_into", "zz_new"]),
        drop=st.sets(op_keys, max_size=2),
        count=st.integers(1, 3),
    )
    def run(changes, table, field, drop, count):
        start = int(dev.store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") or 0)
        ops = []
        for i in range(count):
            o = good_op(start + 1000 + i)
            o.update(t=table, f=field)
            for k, v in changes:
                o[k] = v
            for k in drop:
                o.pop(k, None)
            ops.append(o)
        body = {"batch_id": f"{me}:fuzz", "ops": ops}
        _check(_send(http, "POST", "/v1/push", body, token))

    run()
