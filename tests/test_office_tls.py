"""TLS: the office serves HTTPS with --tls-cert/--tls-key; the client verifies the
certificate (an office's own CA via --ca) and refuses an unknown one with a clear message."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from test_sync_support import Device, make_office

from zsapp.office.server import ServerThread
from zsapp.sync import client as sync_client


@pytest.fixture
def certs(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl not available to make a test CA")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Yunnan Office Test CA",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (tmp_path / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    return tmp_path


def test_https_with_office_ca_and_refusal_of_unknown_certificate(certs, tmp_path):
    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    with ServerThread(
        office, tls_cert=certs / "server.pem", tls_key=certs / "server.key"
    ) as server:
        assert server.url.startswith("https://")
        stranger = Device(tmp_path / "s.sqlite3")
        code = office.create_enrollment("张三")["code"]
        with pytest.raises(sync_client.SyncError, match="证书验证失败"):
            sync_client.enroll(stranger.store, server.url, code)
        dev = Device(tmp_path / "d.sqlite3")
        sync_client.enroll(dev.store, server.url, code, ca_file=str(certs / "ca.pem"))
        rid = dev.store.insert("probe_notes", {"title": "加密传输"})
        dev.sync()
        assert office.record("probe_notes", rid)["title"] == "加密传输"
        dev.close()
        stranger.close()
    office.close()
