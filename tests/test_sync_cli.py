"""The CLI scripts a whole sync without a window: office admin, enroll, now, status,
conflicts list/restore, revoke → clear Chinese error and exit code, data kept."""

from __future__ import annotations

import json

import pytest
from test_sync_support import tick

from zsapp.cli import main
from zsapp.office.server import ServerThread
from zsapp.office.service import Office


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def served(tmp_path):
    db = tmp_path / "office.sqlite3"
    return db


def test_cli_end_to_end(capsys, tmp_path, served):
    db = served
    o = ["office", "--db", db]
    assert run(capsys, *o, "init")[0] == 0
    assert run(capsys, *o, "officer", "add", "张三", "--unit", "昆明市")[0] == 0
    assert run(capsys, *o, "officer", "add", "李四", "--unit", "昆明市")[0] == 0
    with pytest.raises(SystemExit) as exc:
        run(capsys, *o, "officer", "add", "王五", "--unit", "昆明市", "--role", "boss")
    assert exc.value.code == 2
    code, out, err = run(capsys, *o, "officer", "add", "张三", "--unit", "昆明市")
    assert code == 1 and "已有名为" in err
    office = Office(db)
    with ServerThread(office) as server:
        code, out, _ = run(
            capsys,
            *o,
            "enroll",
            "张三",
            "--url",
            server.url,
            "--qr-png",
            tmp_path / "qr.png",
            "--json",
        )
        enrollment = json.loads(out)
        assert code == 0 and (tmp_path / "qr.png").stat().st_size > 100
        a = ["--db", tmp_path / "a.sqlite3"]
        b = ["--db", tmp_path / "b.sqlite3"]
        assert run(capsys, *a, "sync", "enroll", server.url, enrollment["code"])[0] == 0
        code, out, err = run(capsys, *b, "sync", "enroll", server.url, enrollment["code"])
        assert code == 1 and "登记码无效" in err
        code_b = json.loads(run(capsys, *o, "enroll", "李四", "--json")[1])["code"]
        assert run(capsys, *b, "sync", "enroll", server.url, code_b, "--json")[0] == 0

        from zsapp.bootstrap import open_store

        with open_store(tmp_path / "a.sqlite3") as store:
            rid = store.insert("companies", {"name": "云南白药", "notes": "甲"})
        code, out, _ = run(capsys, *a, "sync", "now", "--json")
        assert code == 0 and json.loads(out)["pushed"] >= 2
        assert run(capsys, *b, "sync", "now")[0] == 0
        with open_store(tmp_path / "a.sqlite3") as store:
            store.update("companies", rid, {"notes": "甲改"})
        tick()
        with open_store(tmp_path / "b.sqlite3") as store:
            store.update("companies", rid, {"notes": "乙改"})
        run(capsys, *a, "sync", "now")
        run(capsys, *b, "sync", "now")
        run(capsys, *a, "sync", "now")
        code, out, _ = run(capsys, *a, "conflicts", "list", "--json")
        conflicts = json.loads(out)
        assert code == 0 and len(conflicts) == 1 and conflicts[0]["loser_value"] == "甲改"
        code, out, _ = run(capsys, *a, "conflicts", "restore", conflicts[0]["id"][:8])
        assert code == 0 and "已恢复" in out
        code, out, _ = run(capsys, *a, "sync", "status", "--json")
        status = json.loads(out)
        assert (
            status["pending"] == 2
            and status["officer"] == "张三"
            and status["server"] == server.url
        )
        assert run(capsys, *a, "sync", "now")[0] == 0
        assert json.loads(run(capsys, *a, "sync", "status", "--json")[1])["pending"] == 0

        code, out, _ = run(capsys, *o, "device", "list", "--json")
        devices = json.loads(out)
        assert len(devices) == 2
        assert run(capsys, *o, "device", "revoke", status["device_id"])[0] == 0
        code, out, err = run(capsys, *a, "sync", "now")
        assert code == 1 and "重新登记" in err
        code, out, _ = run(capsys, *o, "log", "--json")
        assert code == 0 and any(
            r["kind"] == "refused" or r["kind"] == "sync" for r in json.loads(out)
        )
        code, out, _ = run(
            capsys, *o, "catalogue", "publish", "resources/catalogue/catalogue.json", "--json"
        )
        assert code == 0 and json.loads(out)[0]["kind"] == "catalogue"
    office.close()


def test_sync_now_before_enrollment_says_what_to_do(capsys, tmp_path):
    code, _out, err = run(capsys, "--db", tmp_path / "x.sqlite3", "sync", "now")
    assert code == 1 and "尚未登记" in err
