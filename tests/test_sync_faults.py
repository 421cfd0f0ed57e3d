"""Transport faults, a server killed with SIGKILL mid-batch, the app killed mid-pull:
afterwards nothing is lost or duplicated, the outbox drains, SQLite integrity is ok."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import httpx
import pytest
from test_sync_support import Device, make_office, start_server, user_fields

from zsapp.office.server import free_port
from zsapp.sync import client as sync_client


class FaultTransport(httpx.BaseTransport):
    """Real HTTP to the server, with scripted faults for the n-th request to a path."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.faults: list[tuple[str, str]] = []  # (path suffix, fault) consumed in order
        self.recorded: list[httpx.Request] = []
        self.on_commit = None

    def close(self) -> None:  # reused across syncs; shut() closes the real transport
        pass

    def shut(self) -> None:
        self.inner.close()

    def add(self, path: str, fault: str, times: int = 1) -> None:
        self.faults.extend([(path, fault)] * times)

    def _copy(self, request: httpx.Request, content: bytes | None = None) -> httpx.Request:
        body = request.content if content is None else content
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        return httpx.Request(request.method, request.url, headers=headers, content=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        fault = None
        if self.faults and request.url.path.endswith(self.faults[0][0]):
            fault = self.faults.pop(0)[1]
        if request.url.path.endswith("/push"):
            self.recorded.append(self._copy(request))
        if fault == "drop_request":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "5xx":
            return httpx.Response(503, content=b"busy", request=request)
        if fault == "cut_body":
            half = self._copy(request, request.content[: len(request.content) // 2])
            self.inner.handle_request(half).read()
            raise httpx.WriteError("connection reset while sending", request=request)
        if fault == "replay_old" and len(self.recorded) > 1:
            self.inner.handle_request(self._copy(self.recorded[0])).read()
        response = self.inner.handle_request(self._copy(request))
        response.read()
        if fault == "duplicate":
            response = self.inner.handle_request(self._copy(request))
            response.read()
        if fault == "drop_response":
            if self.on_commit:
                self.on_commit()
            raise httpx.ReadError("connection lost", request=request)
        if fault == "truncate":
            raw = response.content
            return httpx.Response(
                200,
                content=raw[: len(raw) // 2],
                request=request,
                headers={"content-type": "application/json"},
            )
        return httpx.Response(
            response.status_code,
            headers=[
                (k, v)
                for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-encoding")
            ],
            content=response.content,
            request=request,
        )


@pytest.fixture
def env(tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    server = start_server(office)
    yield office, server, tmp_path
    server.stop()
    office.close()


def _server_rows(office, table="probe_notes"):
    return {rid: f for (t, rid), f in office.dump().items() if t == table}


@pytest.mark.parametrize(
    "fault",
    ["drop_request", "drop_response", "5xx", "cut_body", "duplicate", "truncate", "replay_old"],
)
def test_transport_faults_lose_and_duplicate_nothing(env, fault, monkeypatch):
    office, server, tmp = env
    monkeypatch.setattr(sync_client, "RETRIES", 0)  # surface every fault
    monkeypatch.setattr(sync_client.p, "PUSH_BATCH_OPS", 7)
    a, b = Device(tmp / "a.sqlite3"), Device(tmp / "b.sqlite3")
    a.enroll(office, server.url, "张三")
    b.enroll(office, server.url, "李四")
    ids = [a.store.insert("probe_notes", {"title": f"记录{i}", "amount_wan": i}) for i in range(6)]
    a.store.update("probe_notes", ids[0], {"amount_wan": 100})
    t = FaultTransport()
    for path in ("/push", "/pull"):
        t.add(path, fault, times=2)
    for _ in range(6):
        try:
            a.sync(transport=t)
            b.sync(transport=t)
        except sync_client.SyncError:
            continue
    t.shut()
    a.sync()
    b.sync()
    a.sync()
    assert a.store.pending_changes() == 0 and b.store.pending_changes() == 0
    server_rows = _server_rows(office)
    assert set(server_rows) == set(ids)
    assert server_rows[ids[0]]["amount_wan"] == 100
    for dev in (a, b):
        rows = dev.rows("probe_notes")
        assert {k: user_fields(v) for k, v in rows.items()} == {
            k: user_fields(v) for k, v in a.rows("probe_notes").items()
        }
        assert len(rows) == 6 and dev.integrity_ok()
        assert dev.store.count("sync_conflicts") == 0  # retries never look like concurrent edits
    a.close()
    b.close()


def test_server_killed_with_sigkill_mid_batch_then_restarted(tmp_path):
    db = tmp_path / "office.sqlite3"
    env = {**os.environ, "ZSAPP_DATA_DIR": str(tmp_path / "srvdata")}
    z = [sys.executable, "-m", "zsapp", "office", "--db", str(db)]
    subprocess.run([*z, "init"], check=True, env=env, capture_output=True)
    subprocess.run(
        [*z, "officer", "add", "张三", "--unit", "昆明市"], check=True, env=env, capture_output=True
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "serve.log", "ab")  # noqa: SIM115 - shared by restarts, closed at the end

    def start():
        proc = subprocess.Popen(
            [*z, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        for _ in range(200):
            try:
                httpx.get(url + "/", timeout=0.2)
                return proc
            except httpx.HTTPError:
                try:
                    proc.wait(0.05)
                    raise RuntimeError((tmp_path / "serve.log").read_text())
                except subprocess.TimeoutExpired:
                    pass
        raise RuntimeError("server did not start")

    proc = start()
    from zsapp.office.service import Office

    office = Office(db)
    a = Device(tmp_path / "a.sqlite3")
    a.enroll(office, url, "张三")
    ids = [a.store.insert("probe_notes", {"title": f"批量{i}"}) for i in range(400)]
    t = FaultTransport()
    t.faults = [
        ("/push", None),
        ("/push", "drop_response"),
    ]  # 2nd batch: commit, then the server dies
    t.on_commit = lambda: (proc.send_signal(signal.SIGKILL), proc.wait())
    import zsapp.sync.protocol as p

    old = p.PUSH_BATCH_OPS
    p.PUSH_BATCH_OPS = 500
    try:
        with pytest.raises(sync_client.SyncError):
            a.sync(transport=t)
        t.shut()
        assert a.store.pending_changes() > 0  # unacknowledged ops stay in the outbox
        proc = start()
        a.sync()
    finally:
        p.PUSH_BATCH_OPS = old
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert a.store.pending_changes() == 0
    assert set(_server_rows(office)) == set(ids)
    assert a.store.count("sync_conflicts") == 0
    log.close()
    conn = __import__("sqlite3").connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    office.close()
    a.close()


def test_app_killed_mid_pull_resumes_without_gaps(env):
    office, server, tmp = env
    a = Device(tmp / "a.sqlite3")
    a.enroll(office, server.url, "张三")
    ids = {a.store.insert("probe_notes", {"title": f"第{i}条"}) for i in range(300)}
    a.sync()
    b_path = tmp / "b.sqlite3"
    b = Device(b_path)
    b.enroll(office, server.url, "李四")
    b.close()
    # A separate process pulls in small pages and dies (os._exit) inside the 3rd page's transaction.
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from test_sync_support import Device
        from zsapp.store import on_record_change
        import zsapp.sync.protocol as p
        p.PULL_PAGE_ROWS = 200
        count = 0
        @on_record_change("probe_notes")
        def die(store, row_id):
            global count
            count += 1
            if count == 130:
                os._exit(9)
        d = Device(__import__("pathlib").Path({str(b_path)!r}))
        d.sync()
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=os.environ.copy(), capture_output=True
    )
    assert proc.returncode == 9, proc.stderr.decode()
    b = Device(b_path)
    assert b.integrity_ok()
    partial = len(b.rows("probe_notes"))
    assert 0 < partial < 300
    b.sync()
    assert set(b.rows("probe_notes")) == ids and b.store.pending_changes() == 0
    b.close()
    a.close()
