"""``zsapp visits update``, ``projects funds --edit/--delete``, ``projects stage --date``,
``zsapp trash …`` and ``zsapp backup …`` run as a user runs them (subprocess, real files),
plus the backup core: consistent copy while open, checked restore, daily rotation."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile

import pytest

from zsapp import backup
from zsapp.contacts import attachments, companies


def run(*args, data_dir, code=0):
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "zsapp", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == code, result.stderr + result.stdout
    return result


def test_visit_update_and_trash_through_the_cli(data_dir):
    run("companies", "add", "--name", "云南白药集团股份有限公司", data_dir=data_dir)
    run("companies", "add", "--name", "中国铝业集团有限公司", data_dir=data_dir)
    run(
        "people",
        "add",
        "--name",
        "刘洋",
        "--company",
        "云南白药集团股份有限公司",
        data_dir=data_dir,
    )
    visit = json.loads(
        run(
            "visits",
            "add",
            "--company",
            "云南白药集团股份有限公司",
            "--person",
            "刘洋",
            "--at",
            "2026-11-03 10:00",
            "--notes",
            "初谈",
            "--followup",
            "寄资料@2026-11-10",
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    vid = visit["id"]
    updated = json.loads(
        run(
            "visits",
            "update",
            vid,
            "--at",
            "2026-11-04 15:30",
            "--notes",
            "补记",
            "--company",
            "中国铝业集团有限公司",
            "--no-person",
            "--followup",
            "回访@2026-12-01",
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    assert updated["visited_at"] == "2026-11-04T15:30" and updated["notes"] == "补记"
    assert [c["name"] for c in updated["companies"]] == ["中国铝业集团有限公司"]
    assert updated["people"] == [] and [f["text"] for f in updated["followups"]] == ["回访"]
    fid = updated["followups"][0]["id"]
    out = run("followups", "update", fid, "--due", "2026-12-05", data_dir=data_dir).stdout
    assert "2026-12-05" in out
    nothing = run("visits", "update", vid, data_dir=data_dir, code=2)
    assert "没有要修改的内容" in nothing.stderr

    run("visits", "delete", vid, data_dir=data_dir)
    listed = json.loads(run("trash", "list", "--json", data_dir=data_dir).stdout)
    # the visit, and the follow-up the edit replaced (newest delete first)
    assert next((i["kind"], i["id"]) for i in listed) == ("拜访记录", vid)
    assert [i["kind"] for i in listed] == ["拜访记录", "跟进事项"]
    assert "中国铝业" in listed[0]["title"] and listed[1]["title"] == "寄资料"
    assert "已恢复拜访记录" in run("trash", "restore", vid[:8], data_dir=data_dir).stdout
    assert len(json.loads(run("trash", "list", "--json", data_dir=data_dir).stdout)) == 1
    assert (
        "跟进事项"
        in run("trash", "list", data_dir=data_dir).stdout
        in run("trash", "list", data_dir=data_dir).stdout
    )
    missing = run("trash", "restore", "nonexistent", data_dir=data_dir, code=1)
    assert "回收站里没有" in missing.stderr and "Traceback" not in missing.stderr
    run("visits", "delete", vid, data_dir=data_dir)
    asked = run("trash", "empty", data_dir=data_dir, code=2)
    assert "2 条" in asked.stderr and "--yes" in asked.stderr
    run("trash", "empty", "--yes", data_dir=data_dir)
    assert "回收站是空的" in run("trash", "list", data_dir=data_dir).stdout


def test_merge_preview_and_unmerge_through_the_cli(data_dir):
    keep = json.loads(
        run(
            "companies", "add", "--name", "中国铝业集团有限公司", "--json", data_dir=data_dir
        ).stdout
    )["id"]
    other = json.loads(
        run("companies", "add", "--name", "中铝集团", "--force", "--json", data_dir=data_dir).stdout
    )["id"]
    plan = run("companies", "merge", keep, other, "--preview", data_dir=data_dir).stdout
    assert "“中铝集团”将并入“中国铝业集团有限公司”" in plan
    run("companies", "merge", keep, other, data_dir=data_dir)
    hits = json.loads(run("companies", "search", "中铝集团", "--json", data_dir=data_dir).stdout)
    assert [h["id"] for h in hits] == [keep]
    run("companies", "unmerge", other[:8], data_dir=data_dir)
    hits = json.loads(run("companies", "search", "中铝集团", "--json", data_dir=data_dir).stdout)
    assert [h["id"] for h in hits] == [other]


def test_funds_and_backdated_stages_through_the_cli(data_dir):
    year = dt.date.today().year
    run(
        "projects",
        "add",
        "普洱咖啡精深加工",
        "--from-item",
        "I01-06",
        "--prefecture",
        "普洱",
        data_dir=data_dir,
    )
    code = f"PE-{year}-0001"
    added = run(
        "projects",
        "funds",
        code,
        "--month",
        f"{year}-01",
        "--amount-wan",
        "3000",
        data_dir=data_dir,
    )
    assert "没有签约记录" in added.stderr
    rows = json.loads(run("projects", "funds", code, "--list", "--json", data_dir=data_dir).stdout)
    fid = rows[0]["id"]
    edited = run(
        "projects", "funds", code, "--edit", fid[:8], "--amount-wan", "4500", data_dir=data_dir
    )
    assert "4500 万元" in edited.stdout and "累计 4500 万元" in edited.stdout
    run("projects", "funds", code, "--delete", fid[:8], data_dir=data_dir)
    assert (
        json.loads(run("projects", "funds", code, "--list", "--json", data_dir=data_dir).stdout)
        == []
    )
    assert (
        json.loads(run("trash", "list", "--json", data_dir=data_dir).stdout)[0]["kind"]
        == "到位资金"
    )

    today = dt.date.today()
    run("projects", "stage", code, "在谈", data_dir=data_dir)
    past = (today - dt.timedelta(days=400)).isoformat()
    refused = run("projects", "stage", code, "停滞", "--date", past, data_dir=data_dir, code=1)
    assert "原因" in refused.stderr
    out = run(
        "projects", "stage", code, "停滞", "--date", past, "--reason", "补录", data_dir=data_dir
    )
    assert "当前阶段仍是“在谈”" in out.stdout
    hist = json.loads(
        run("projects", "stage", code, "--history", "--json", data_dir=data_dir).stdout
    )
    assert [h["stage"] for h in hist] == ["停滞", "线索", "在谈"]  # ordered by date


def test_backup_create_list_restore_through_the_cli(data_dir, tmp_path):
    usb = tmp_path / "U盘"
    run("companies", "add", "--name", "云南白药集团股份有限公司", data_dir=data_dir)
    made = json.loads(run("backup", "create", str(usb), "--json", data_dir=data_dir).stdout)
    assert made["counts"]["companies"] == 1
    run("companies", "add", "--name", "中国铝业集团有限公司", data_dir=data_dir)
    listed = json.loads(run("backup", "list", str(usb), "--json", data_dir=data_dir).stdout)
    assert [b["path"] for b in listed] == [made["path"]]
    asked = run("backup", "restore", made["path"], data_dir=data_dir, code=2)
    assert "--yes" in asked.stderr
    run("backup", "restore", made["path"], "--yes", data_dir=data_dir)
    names = json.loads(run("companies", "list", "--json", data_dir=data_dir).stdout)
    assert [c["name"] for c in names] == ["云南白药集团股份有限公司"]
    # the data from before the restore was kept as a backup
    safety = json.loads(run("backup", "list", "--json", data_dir=data_dir).stdout)
    assert safety and safety[0]["counts"]["companies"] == 2
    bogus = tmp_path / "x.zsbackup"
    bogus.write_bytes(b"not a backup")
    bad = run("backup", "restore", str(bogus), "--yes", data_dir=data_dir, code=1)
    assert "不是招商助手的备份文件" in bad.stderr and "Traceback" not in bad.stderr


def test_backup_is_consistent_while_open_and_includes_attachments(store, tmp_path, data_dir):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    doc = tmp_path / "名片.txt"
    doc.write_text("名片", encoding="utf-8")
    attachments.add_attachment(store, "companies", cid, doc)
    with store.transaction():  # a write in progress on the same connection's lock holder
        pass
    info = backup.create_backup(store, tmp_path / "out", now=dt.datetime(2026, 12, 1, 9, 0))
    assert b"PK\x03\x04" not in info.path.read_bytes()[:64]  # sealed, not a plain zip
    with backup.open_backup_file(store, info.path) as zf:
        names = zf.namelist()
        assert "manifest.json" in names and backup.DB_MEMBER in names
        assert any(n.startswith("attachments/") for n in names)
    # losing the blob locally, then restoring brings it back
    blob = next((data_dir / "attachments").rglob("*"), None)
    for p in sorted((data_dir / "attachments").rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    companies.delete_company(store, cid)
    result = backup.restore_backup(store, info.path, now=dt.datetime(2026, 12, 1, 10, 0))
    assert result.attachments_restored == 1 and blob is not None
    assert companies.get_company(store, cid)["name"] == "云南白药集团股份有限公司"
    assert result.safety_backup.path.parent == backup.local_folder()


def test_restore_refuses_broken_newer_and_foreign_files(store, tmp_path):
    good = backup.create_backup(store, tmp_path, now=dt.datetime(2026, 12, 1, 9, 0))

    def forged(name, db_bytes=None, manifest=None, mutate=None):
        path = tmp_path / name
        with backup.open_backup_file(store, good.path) as src, zipfile.ZipFile(path, "w") as dst:
            for n in src.namelist():
                data = src.read(n)
                if n == "manifest.json" and manifest is not None:
                    data = json.dumps(manifest).encode()
                if n == backup.DB_MEMBER and db_bytes is not None:
                    data = db_bytes
                dst.writestr(n, data)
        return path

    with pytest.raises(backup.BackupError, match="不是招商助手的备份文件"):
        backup.restore_backup(store, forged("a.zsbackup", manifest={"app": "other"}))
    with backup.open_backup_file(store, good.path) as zf:
        raw = zf.read(backup.DB_MEMBER)
    broken = raw[:4096] + b"\x00" * 100 + raw[4196:8192]
    with pytest.raises(backup.BackupError, match=r"损坏|不是招商助手的数据"):
        backup.restore_backup(store, forged("b.zsbackup", db_bytes=broken))
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(raw)
    conn = store.open_copy(newer, readonly=False)  # the copy is encrypted with our key
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    with pytest.raises(backup.BackupError, match="较新版本"):
        backup.restore_backup(store, forged("c.zsbackup", db_bytes=newer.read_bytes()))
    assert backup.list_backups(store) == []  # nothing was replaced, no safety copy needed


def test_daily_automatic_backups_are_kept_14_days(store, tmp_path):
    folder = tmp_path / "auto"
    start = dt.datetime(2026, 11, 1, 8, 0)
    for day in range(20):
        now = start + dt.timedelta(days=day)
        assert backup.auto_backup(store, now=now, folder=folder) is not None
        assert backup.auto_backup(store, now=now + dt.timedelta(hours=3), folder=folder) is None
    days = sorted(i.created_at[:10] for i in backup.list_backups(store, folder))
    assert days[0] == "2026-11-06" and days[-1] == "2026-11-20" and len(days) == 15
