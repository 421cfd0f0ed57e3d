"""``zsapp security …``, ``zsapp people erase|stale``, the app lock in the CLI, export log,
change of passphrase (rekey) — as a user runs them (subprocess, real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import TEST_PASSPHRASE

from zsapp.bootstrap import open_store
from zsapp.contacts import companies, exporter, people
from zsapp.security import applock, erasure, exportlog, keys, rekey
from zsapp.security.errors import SecurityError, WrongKeyError
from zsapp.store import Store


def run(*args, data_dir, env=None, check=True):
    full = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "zsapp", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_status_reports_encryption_and_key_source(data_dir):
    info = json.loads(run("security", "status", "--json", data_dir=data_dir).stdout)
    assert info["encrypted"] and info["cipher"].startswith("SQLCipher 4")
    assert info["key_source"] == "passphrase" and info["kdf"]["name"] == "argon2id"
    assert info["loose_permissions"] == [] and info["idle_lock_minutes"] == 15


def test_wrong_passphrase_on_the_command_line_is_a_clear_message(data_dir):
    run("db", "info", data_dir=data_dir)
    before = (data_dir / "zsapp.sqlite3").read_bytes()
    bad = run("db", "info", data_dir=data_dir, env={"ZSAPP_PASSPHRASE": "wrong-pass"}, check=False)
    assert bad.returncode == 1 and "口令不正确" in bad.stderr and "Traceback" not in bad.stderr
    assert (data_dir / "zsapp.sqlite3").read_bytes() == before


def test_headless_without_passphrase_says_how(tmp_path):
    fresh = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if k != keys.ENV_PASSPHRASE}
    result = subprocess.run(
        [sys.executable, "-m", "zsapp", "db", "info"],
        capture_output=True,
        text=True,
        env={**env, "ZSAPP_DATA_DIR": str(fresh)},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1 and "ZSAPP_PASSPHRASE" in result.stderr
    assert not (fresh / "zsapp.sqlite3").exists()


def test_lock_is_honoured_by_the_cli(data_dir):
    run("security", "lock", data_dir=data_dir)
    wrong = run("companies", "search", "x", data_dir=data_dir, env={"ZSAPP_PIN": "x"}, check=False)
    assert wrong.returncode == 0  # the passphrase (env) opens and unlocks this command
    with open_store(data_dir / "zsapp.sqlite3") as store:
        assert applock.is_locked(store)
        assert not applock.verify(store, "not it") and applock.verify(store, TEST_PASSPHRASE)
        with pytest.raises(WrongKeyError, match="不正确"):
            applock.unlock(store, "not it")
        assert applock.is_locked(store)
    run("security", "unlock", data_dir=data_dir)
    with open_store(data_dir / "zsapp.sqlite3") as store:
        assert not applock.is_locked(store)


def test_keyring_install_locks_with_a_pin(tmp_path):
    from test_security_crypto import MemoryKeyring

    path = tmp_path / "k.sqlite3"
    with Store(path, key_source=keys.KeyringSource(MemoryKeyring())) as store:
        assert applock.secret_name(store) == "PIN"
        with pytest.raises(SecurityError, match="PIN"):
            applock.lock(store)
        applock.set_pin(store, "246810")
        applock.lock(store)
        assert not applock.verify(store, "135790")
        applock.unlock(store, "246810")
        assert not applock.is_locked(store)


def test_idle_timer_uses_the_setting(store):
    assert applock.idle_minutes(store) == 15
    applock.set_idle_minutes(store, 5)
    now = [1000.0]
    timer = applock.IdleTimer(applock.idle_minutes(store), clock=lambda: now[0])
    now[0] += 299
    assert not timer.due()
    timer.touch()
    now[0] += 300
    assert timer.due()
    with pytest.raises(SecurityError):
        applock.set_idle_minutes(store, 0)


def test_change_passphrase_rekeys_and_keeps_everything(data_dir, store):
    cid = companies.create_company(store, {"name": "红河测试矿业有限公司"})
    old_key = store.keys.db
    rekey.change_passphrase(store, "全新的口令-2026", params=keys.Argon2Params(1, 64, 1))
    assert store.keys.db != old_key
    companies.create_company(store, {"name": "更换口令后新增"})
    assert store.get("companies", cid)["name"] == "红河测试矿业有限公司"
    store.close()
    with pytest.raises(WrongKeyError):
        Store(data_dir / "zsapp.sqlite3", key_source=keys.PassphraseSource(TEST_PASSPHRASE))
    with Store(
        data_dir / "zsapp.sqlite3", key_source=keys.PassphraseSource("全新的口令-2026")
    ) as again:
        assert again.count("companies") >= 2


def test_change_passphrase_from_the_cli(data_dir):
    run("companies", "add", "--name", "曲靖测试化工有限公司", data_dir=data_dir)
    run(
        "security",
        "change-passphrase",
        data_dir=data_dir,
        env={"ZSAPP_NEW_PASSPHRASE": "another-passphrase"},
    )
    old = run("db", "info", data_dir=data_dir, check=False)
    assert old.returncode == 1 and "口令不正确" in old.stderr
    out = run(
        "companies",
        "search",
        "曲靖测试",
        data_dir=data_dir,
        env={"ZSAPP_PASSPHRASE": "another-passphrase"},
    )
    assert "曲靖测试化工有限公司" in out.stdout


def test_people_erase_from_the_cli(data_dir):
    with open_store(data_dir / "zsapp.sqlite3") as store:
        pid = people.create_person(store, {"name": "钱要删", "mobile": "13600001111"})
    refused = run("people", "erase", pid, data_dir=data_dir, check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    out = run("people", "erase", pid[:8], "--yes", data_dir=data_dir)
    assert "已彻底删除" in out.stdout
    with open_store(data_dir / "zsapp.sqlite3") as store:
        assert store.query("SELECT * FROM people WHERE id = ?", (pid,)) == []
        assert erasure.pending_requests(store) == [{"t": "people", "id": pid}]


def test_exports_are_logged_with_who_what_when_how_many(store, tmp_path):
    from zsapp import profile

    profile.save_profile(store, profile.OfficerProfile(name="张三"))
    for i in range(3):
        people.create_person(store, {"name": f"导出人{i}"})
    exporter.export_csv(store, "people", tmp_path / "p.csv")
    exporter.export_vcf(store, tmp_path / "p.vcf")
    [vcf, csv] = exportlog.entries(store)
    assert (csv["officer"], csv["what"], csv["format"], csv["rows"], csv["target"]) == (
        "张三",
        "联系人",
        "csv",
        3,
        "p.csv",
    )
    assert vcf["format"] == "vcf" and vcf["rows"] == 3
    assert store.scalar("SELECT count(*) FROM outbox WHERE table_name = 'export_log'") > 0
    assert oct((tmp_path / "p.csv").stat().st_mode & 0o777) == "0o600"


def test_records_untouched_for_years_are_listed_for_review(store):
    old = companies.create_company(store, {"name": "多年未联系企业"})
    recent = companies.create_company(store, {"name": "最近联系企业"})
    # as if last changed five years ago
    store.execute(
        "UPDATE companies SET updated_at = '0001450000000000-0000-x' WHERE id = ?", (old,)
    )
    names = {r["name"] for r in erasure.stale_records(store, years=3)}
    assert "多年未联系企业" in names and "最近联系企业" not in names
    assert recent


def test_office_device_lost_and_person_erase_from_the_cli(data_dir, tmp_path):
    from test_sync_support import Device, make_office, start_server

    from zsapp.office import security as office_security

    office = make_office(tmp_path)
    office.add_officer("张三", "昆明市")
    server = start_server(office)
    try:
        dev = Device(tmp_path / "dev.sqlite3")
        dev.enroll(office, server.url, "张三")
        pid = people.create_person(dev.store, {"name": "冯办公室删"})
        dev.sync()
        db = str(tmp_path / "office.sqlite3")
        out = run("office", "--db", db, "person", "erase", pid, data_dir=data_dir)
        assert "已从服务器彻底删除" in out.stdout and office.record("people", pid) is None
        out = run(
            "office",
            "--db",
            db,
            "device",
            "lost",
            dev.store.device_id[:10],
            "--reason",
            "被盗",
            data_dir=data_dir,
        )
        assert "已标记为丢失" in out.stdout
        assert office_security.device_states(office)[dev.store.device_id]["lost_at"]
        with pytest.raises(SecurityError, match="被盗"):
            dev.sync()
        log = json.loads(run("office", "--db", db, "erasures", "--json", data_dir=data_dir).stdout)
        assert log[0]["row_id"] == pid
    finally:
        server.stop()
        office.close()
