"""The device side of hostile or broken data, and recovery: a poisoned record pulled from
the server is set aside (the rest applies, the sync goes on), synced hashes never build
paths outside the data dir, an office database restored from a backup under live
devices converges with nothing lost, and the CLI never prints a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import office_backends
import pytest
import sqlalchemy as sa
from test_sync_support import Device, tick

from zsapp.cli import main
from zsapp.office import schema as s
from zsapp.office.server import ServerThread
from zsapp.sync import client as sync_client

cluster = office_backends.cluster
office = office_backends.office


def poison(office, space: str, table: str, row_id: str, fields: dict) -> None:
    """Write a record straight into the office database (as an older server, without
    validation, would have accepted it)."""
    with office.engine.begin() as conn:
        head = conn.execute(sa.select(s.spaces).where(s.spaces.c.name == space)).first()
        seq = head.seq
        conn.execute(
            sa.insert(s.records).values(
                tbl=table,
                row_id=row_id,
                space=space,
                owner_unit="昆明市",
                created_at="0001764000000000-0000-evil",
                created_device="evil",
            )
        )
        for name, value in fields.items():
            seq += 1
            conn.execute(
                sa.insert(s.fields).values(
                    tbl=table,
                    row_id=row_id,
                    field=name,
                    value=value,
                    hlc=f"{1764000000000 + seq:016d}-0000-evil",
                    device="evil",
                    space=space,
                    seq=seq,
                )
            )
        conn.execute(sa.update(s.spaces).where(s.spaces.c.name == space).values(seq=seq))


def test_a_poisoned_record_is_set_aside_and_the_rest_applies(office, tmp_path, capsys):
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    with ServerThread(office) as server:
        a, b = Device(tmp_path / "a.sqlite3"), Device(tmp_path / "b.sqlite3")
        a.enroll(office, server.url, "张三")
        b.enroll(office, server.url, "李四")
        good = a.store.insert("companies", {"name": "好企业"})
        a.sync()
        poison(office, "province", "companies", "bad-object", {"name": '{"x": 1}', "deleted": "0"})
        poison(office, "province", "companies", "bad-null", {"name": "null", "deleted": "0"})
        poison(office, "unit:昆明市", "attachments", "bad-sha", {"sha256": '"../../escape"'})
        poison(office, "unit:昆明市", "x; drop table companies", "r1", {"a": "1"})
        result = b.sync()
        assert result.quarantined == 4
        assert any("暂存未应用" in w for w in result.warnings)
        rows = b.rows("companies")
        assert rows[good]["name"] == "好企业"
        assert "bad-object" not in rows and "bad-null" not in rows
        assert "bad-sha" not in b.rows("attachments")
        assert sync_client.status(b.store)["quarantined"] == 4
        # Next sync: nothing stuck, new data still flows.
        later = a.store.insert("companies", {"name": "后来的企业"})
        a.sync()
        assert b.sync().quarantined == 0
        assert later in b.rows("companies")
        assert main(["--db", str(b.path), "sync", "quarantine"]) == 0
        out = capsys.readouterr().out
        assert "bad-object" in out and "原因" in out
        a.close()
        b.close()


def test_synced_hashes_never_build_paths(data_dir, tmp_path):
    for bad in ("../../etc/passwd", "AB" * 32, "ab" * 31, "ab" * 32 + "\n", "", "٠" * 64):
        with pytest.raises(sync_client.SyncError):
            sync_client.blob_path(bad)
    assert sync_client.blob_path("ab" * 32).is_relative_to(data_dir)


def test_download_skips_malformed_hashes(office, tmp_path, data_dir):
    office.add_officer("张三", "昆明市")
    with ServerThread(office) as server:
        a = Device(tmp_path / "a.sqlite3")
        a.enroll(office, server.url, "张三")
        # A row that reached the device somehow (an older app, a restored backup).
        a.store.execute(
            "INSERT INTO attachments (id, created_at, updated_at, updated_by, sha256) "
            "VALUES ('x', '', '', '', '../../../outside/evil')"
        )
        a.sync()
        assert not (data_dir.parent / "outside").exists()
        assert not (tmp_path.parent / "outside").exists()
        a.close()


def _backup(office) -> dict[str, list[dict]]:
    with office.engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
            for t in s.metadata.sorted_tables
        }


def _restore(office, backup: dict[str, list[dict]]) -> None:
    with office.engine.begin() as conn:
        for t in reversed(s.metadata.sorted_tables):
            conn.execute(sa.delete(t))
        for t in s.metadata.sorted_tables:
            if backup.get(t.name):
                conn.execute(sa.insert(t), backup[t.name])


def test_restored_office_database_recovers_under_live_devices(office, tmp_path):
    """The office DB is restored from a backup taken mid-way: devices that synced since
    re-send what it lost, nobody loops on 409, and everyone converges."""
    for who, unit in (("张三", "昆明市"), ("李四", "昆明市"), ("王五", "大理州")):
        office.add_officer(who, unit)
    server = ServerThread(office).start()
    devs = [Device(tmp_path / f"d{i}.sqlite3") for i in range(3)]
    for dev, who in zip(devs, ("张三", "李四", "王五"), strict=True):
        dev.enroll(office, server.url, who)
    a, b, c = devs
    early = a.store.insert("probe_notes", {"title": "备份前", "amount_wan": 1})
    comp = c.store.insert("companies", {"name": "备份前企业"})
    for d in devs:
        d.sync()
    backup = _backup(office)
    # After the backup: edits on every device, all acknowledged by the server.
    a.store.update("probe_notes", early, {"title": "备份后修改"})
    late = a.store.insert("probe_notes", {"title": "备份后新建", "amount_wan": 7})
    tick()
    b_note = b.store.insert("probe_notes", {"title": "李四的新记录", "amount_wan": 3})
    c.store.update("companies", comp, {"notes": "备份后备注"})
    for d in devs:
        d.sync()
    for d in devs:
        d.sync()
    assert office.record("probe_notes", late)["title"] == "备份后新建"
    # Disaster: the office database goes back to the backup, under live devices.
    server.stop()
    _restore(office, backup)
    assert office.record("probe_notes", late) is None
    server = ServerThread(office, port=server.port).start()
    # One more edit made while the server was down.
    b.store.update("probe_notes", b_note, {"amount_wan": 4})
    for _ in range(2):
        for d in devs:
            d.sync()  # no GapError / 409 loop
    try:
        dump = office.dump()
        assert dump[("probe_notes", early)]["title"] == "备份后修改"
        assert dump[("probe_notes", late)]["title"] == "备份后新建"
        assert dump[("probe_notes", b_note)]["amount_wan"] == 4
        assert dump[("companies", comp)]["notes"] == "备份后备注"
        for d in devs:
            assert d.store.pending_changes() == 0
        kunming = office.dump(["province", "unit:昆明市"])
        for d in (a, b):
            for table in ("probe_notes", "companies"):
                local = d.rows(table)
                remote = {rid: f for (t, rid), f in kunming.items() if t == table}
                assert set(local) == set(remote)
                for rid, fields in remote.items():
                    for f, v in fields.items():
                        assert local[rid][f] == v, (table, rid, f)
        assert c.rows("companies")[comp]["notes"] == "备份后备注"
        assert late not in c.rows("probe_notes")
    finally:
        server.stop()
        for d in devs:
            d.close()


def test_old_unsent_edits_are_restamped_not_refused(office, tmp_path):
    office.add_officer("张三", "昆明市")
    with ServerThread(office) as server:
        a = Device(tmp_path / "a.sqlite3")
        a.enroll(office, server.url, "张三")
        rid = a.store.insert("probe_notes", {"title": "时钟很慢时写的"})
        # As if written with the clock at 2001: older than the server accepts.
        a.store.execute(
            "UPDATE outbox SET hlc = '0000978307200000-0000-' || ? ", (a.store.device_id,)
        )
        a.sync()
        assert a.store.pending_changes() == 0
        assert office.record("probe_notes", rid)["title"] == "时钟很慢时写的"
        a.close()


def test_cli_never_prints_a_traceback(tmp_path, capsys):
    db = tmp_path / "dev.sqlite3"
    assert main(["--db", str(db), "sync", "enroll", "http://127.0.0.1:9", "AAAA-BBBB-CCCC"]) == 1
    err = capsys.readouterr().err
    assert "无法连接服务器" in err and "Traceback" not in err
    assert main(["--db", str(db), "sync", "now"]) == 1
    assert "尚未登记" in capsys.readouterr().err
    # Enrolled, then the server goes away: `sync now` says so in plain Chinese.
    from zsapp.office.service import Office

    office = Office(tmp_path / "o.sqlite3")
    office.init()
    office.add_officer("张三", "昆明市")
    server = ServerThread(office).start()
    code = office.create_enrollment("张三")["code"]
    assert main(["--db", str(db), "sync", "enroll", server.url, code]) == 0
    server.stop()
    capsys.readouterr()
    assert main(["--db", str(db), "sync", "now"]) == 1
    err = capsys.readouterr().err
    assert "离线" in err and "Traceback" not in err
    office.close()
    # An unexpected error: a plain message pointing to a log file with the details.
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    proc = subprocess.run(
        [sys.executable, "-m", "zsapp", "--db", str(bad), "sync", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "错误" in proc.stderr, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "zsapp", "office", "--db", str(tmp_path / "new.sqlite3"), "log"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr and "尚未初始化" in proc.stderr, proc.stderr


def test_unexpected_errors_go_to_a_log_file(tmp_path, capsys, monkeypatch, data_dir):
    from zsapp.cli import sync as cli_sync

    def broken(args, store):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_sync, "cmd_status", broken)
    code = main(["--db", str(tmp_path / "d.sqlite3"), "sync", "status"])
    err = capsys.readouterr().err
    log = data_dir / "logs" / "cli-errors.log"
    assert code == 1 and str(log) in err and "Traceback" not in err
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")
    json.dumps(err)


def test_an_edit_the_server_refuses_is_set_aside_and_the_rest_is_sent(office, tmp_path, capsys):
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    with ServerThread(office) as server:
        a, b = Device(tmp_path / "a.sqlite3"), Device(tmp_path / "b.sqlite3")
        a.enroll(office, server.url, "张三")
        b.enroll(office, server.url, "李四")
        first = a.store.insert("companies", {"name": "先写的企业"})
        # Written without the app's checks (an old import): longer than the server allows.
        long_note = a.store.insert("companies", {"name": "长备注企业", "notes": "长" * 5000})
        after = a.store.insert("companies", {"name": "后写的企业"})
        result = a.sync()
        assert result.quarantined == 1 and any("已暂存" in w for w in result.warnings)
        assert a.store.pending_changes() == 0
        assert office.record("companies", first)["name"] == "先写的企业"
        assert office.record("companies", after)["name"] == "后写的企业"
        assert office.record("companies", long_note)["name"] == "长备注企业"
        assert "notes" not in office.record("companies", long_note)
        assert len(a.rows("companies")[long_note]["notes"]) == 5000  # kept locally
        # Not stuck: later edits flow, the other device gets everything else.
        a.store.update("companies", first, {"notes": "正常备注"})
        assert a.sync().quarantined == 0
        b.sync()
        assert b.rows("companies")[first]["notes"] == "正常备注"
        assert sync_client.status(a.store)["quarantined"] == 1
        assert main(["--db", str(a.path), "sync", "quarantine"]) == 0
        assert "上传被拒" in capsys.readouterr().out
        a.close()
        b.close()
