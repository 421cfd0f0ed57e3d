"""``zsapp office user|report|rebuild-reports`` as a user runs them (subprocesses on a
real office database): accounts with the password rules, TOTP secrets, disable/reset,
the 督查通报 files, and rebuilding the read model from the field store."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa
from console_fixtures import scenario
from openpyxl import load_workbook

from zsapp.office import reports
from zsapp.office.console.auth import Staff
from zsapp.office.service import Office, OfficeError

PASSWORD = "Yunnan-招商-2026!"


def zsapp(db, *args, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "zsapp", "office", "--db", str(db), *args],
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "office.sqlite3"
    office = Office(path)
    office.init()
    scenario(office)
    office.close()
    return path


def test_user_commands(db):
    r = zsapp(
        db,
        "user",
        "add",
        "lixia",
        "--role",
        "admin",
        "--name",
        "李霞",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert r.returncode == 0, r.stderr
    user = json.loads(r.stdout)
    assert user["totp_uri"].startswith("otpauth://totp/") and len(user["totp_secret"]) >= 16
    r = zsapp(
        db,
        "user",
        "add",
        "qj",
        "--role",
        "prefecture",
        "--prefecture",
        "曲靖",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert r.returncode == 0 and "曲靖" in r.stdout
    r = zsapp(db, "user", "add", "weak", "--role", "province", "--password-stdin", stdin="abc\n")
    assert r.returncode != 0 and "12" in r.stderr and "Traceback" not in r.stderr
    r = zsapp(
        db,
        "user",
        "add",
        "nopref",
        "--role",
        "prefecture",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert r.returncode != 0 and "--prefecture" in r.stderr
    rows = {u["username"]: u for u in json.loads(zsapp(db, "user", "list", "--json").stdout)}
    assert rows["qj"]["prefecture_code"] == "530300" and rows["lixia"]["totp"] is True
    r = zsapp(db, "user", "totp", "lixia", "--json")
    assert json.loads(r.stdout)["totp_secret"] != user["totp_secret"]
    assert zsapp(db, "user", "disable", "qj").returncode == 0
    office = Office(db)
    with pytest.raises(OfficeError, match="停用"):
        Staff(office.engine).login("qj", PASSWORD)
    new = "Another-密码-2027#"
    assert zsapp(db, "user", "reset", "lixia", "--password-stdin", stdin=new + "\n").returncode == 0
    assert Staff(office.engine).login("lixia", new)["needs_totp"] is True
    office.close()
    assert (
        zsapp(db, "user", "reset", "nobody", "--password-stdin", stdin=new + "\n").returncode != 0
    )


def test_report_files_and_rebuild(db, tmp_path):
    out = tmp_path / "通报.xlsx"
    r = zsapp(db, "report", "--quarter", "2022Q4", "--format", "xlsx", "-o", str(out))
    assert r.returncode == 0, r.stderr
    book = load_workbook(out)
    assert book.sheetnames == [
        "目标完成",
        "分季度",
        "州市排名",
        "停滞项目",
        "项目流转",
        "重复统计",
        "客商",
    ]
    rows = list(book["目标完成"].iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("产业类省外到位资金（亿元）", 8300.0, 2.5, 3.6, 0.0)
    assert rows[2][3] == 2  # ≥10亿 projects: P1 and P4 (P5 is a double count)
    ranking = list(book["州市排名"].iter_rows(min_row=3, values_only=True))
    assert ranking[0][1] == "昆明市" and ranking[0][2] == 3.0
    pdf = tmp_path / "通报.pdf"
    r = zsapp(
        db,
        "report",
        "--quarter",
        "2022Q4",
        "--format",
        "pdf",
        "--prefecture",
        "曲靖市",
        "-o",
        str(pdf),
    )
    assert r.returncode == 0, r.stderr
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "曲靖市招商引资督查通报（2022年第四季度）" in text
    assert "QJ-2023-0001" in text and "KM-2022" not in text and "咖啡" not in text
    r = zsapp(db, "report", "--quarter", "2022-4", "--format", "pdf", "-o", str(pdf))
    assert r.returncode != 0 and "季度" in r.stderr and "Traceback" not in r.stderr
    # Wipe the read model: rebuild-reports restores it from the field store.
    office = Office(db)
    with office.engine.begin() as conn:
        conn.execute(sa.delete(reports.rm_funds))
    office.close()
    r = zsapp(db, "rebuild-reports", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["project_funds"] == 9
    r = zsapp(db, "report", "--quarter", "2022Q4", "--format", "xlsx", "-o", str(out))
    assert (
        next(iter(load_workbook(out)["目标完成"].iter_rows(min_row=3, values_only=True)))[3] == 3.6
    )
