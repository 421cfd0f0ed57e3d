"""``zsapp trips …`` and ``zsapp leads …`` end to end (in-process main and one real
``python -m zsapp`` subprocess): JSON output, files written, Chinese errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import icalendar
import pytest
from test_brochure_render import needs_poppler, pdftext, squash

from zsapp.cli import main

START = date.today() - timedelta(days=1)
END = START + timedelta(days=2)


def run(capsys, *argv):
    code = main(["--db", str(run.db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def setup_world(capsys):
    assert (
        run(
            capsys,
            "profile",
            "set",
            "--name",
            "张三",
            "--phone",
            "13800138000",
            "--prefecture",
            "昆明市",
        )[0]
        == 0
    )
    run_json(
        capsys,
        "companies",
        "add",
        "--name",
        "苏州铝箔材料有限公司",
        "--city",
        "苏州",
        "--item",
        "I02-04",
    )
    run_json(
        capsys,
        "people",
        "add",
        "--name",
        "王建国",
        "--company",
        "苏州铝箔材料有限公司",
        "--mobile",
        "13911112222",
    )
    run_json(
        capsys,
        "projects",
        "add",
        "年产10万吨电池铝箔项目",
        "--item",
        "I02-04",
        "--prefecture",
        "昆明市",
        "--investment-yi",
        "12.5",
    )
    trip = run_json(
        capsys,
        "trips",
        "add",
        "--to",
        "上海,苏州",
        "--from",
        START.isoformat(),
        "--until",
        END.isoformat(),
        "--companions",
        "李四",
        "--purpose",
        "新材料招商",
    )
    return trip


@needs_poppler
def test_trip_lifecycle(capsys, db_path, tmp_path):
    run.db = db_path
    trip = setup_world(capsys)
    assert trip["destination_names"] == ["上海市", "苏州市"]
    tid = trip["id"]
    meeting = run_json(
        capsys,
        "trips",
        "meet",
        tid[:8],
        "--company",
        "苏州铝箔材料有限公司",
        "--at",
        f"{START} 10:00",
        "--person",
        "王建国",
        "--project",
        "KM-2026-0001",
        "--place",
        "园区管委会",
    )
    assert meeting["city_name"] == "苏州市" and meeting["people"][0]["name"] == "王建国"
    listed = run_json(capsys, "trips", "list")
    assert listed[0]["meetings"] == 1 and listed[0]["met"] == 0

    brief = run_json(capsys, "trips", "brief", tid)
    assert brief["counts"]["companies"] == 1
    assert brief["companies"][0]["projects"][0]["code"] == "KM-2026-0001"
    code, out, err = run(
        capsys,
        "trips",
        "brief",
        tid,
        "-o",
        str(tmp_path / "简报.pdf"),
        "--ics",
        str(tmp_path / "a.ics"),
    )
    assert code == 0, err and "简报 PDF" in out
    assert "苏州铝箔材料有限公司" in squash(pdftext(tmp_path / "简报.pdf"))
    cal = icalendar.Calendar.from_ical((tmp_path / "a.ics").read_bytes())
    assert len(cal.walk("VEVENT")) == 2

    code, out, _ = run(capsys, "trips", "check", tid)
    assert code == 1 and "尚未生成个性化推介册" in out and "尚未登记同步" in out
    checked = json.loads(
        run(capsys, "trips", "check", tid, "--generate", str(tmp_path / "册"), "--json")[1]
    )
    assert checked["generated"][0]["ok"] and checked["missing_brochures"] == []

    visit = run_json(
        capsys,
        "trips",
        "visit",
        meeting["id"],
        "--notes",
        "同意考察",
        "--outcome",
        "有意向",
        "--followup",
        "寄送资料@2099-01-01",
    )
    assert (
        visit["place"] == "园区管委会" and visit["companies"][0]["name"] == "苏州铝箔材料有限公司"
    )
    code, _, err = run(capsys, "trips", "visit", meeting["id"])
    assert code == 1 and "已记录过" in err

    rep = run_json(capsys, "trips", "report", tid, "--set", "下一步工作=月底回访")
    assert rep["figures"]["visits"] == 1 and rep["figures"]["brochures"] == 1
    assert rep["next_steps"] == "月底回访" and rep["edited"] == ["next_steps"]
    assert run(capsys, "trips", "report", tid, "-o", str(tmp_path / "r.xlsx"))[0] == 0
    assert (tmp_path / "r.xlsx").stat().st_size > 0
    code, _, err = run(capsys, "trips", "report", tid, "-o", str(tmp_path / "r.doc"))
    assert code == 2 and ".pdf 或 .xlsx" in err


def test_trip_errors_are_chinese(capsys, db_path):
    run.db = db_path
    code, _, err = run(
        capsys, "trips", "add", "--to", "火星", "--from", "2026-01-01", "--until", "2026-01-02"
    )
    assert code == 1 and "找不到城市：火星" in err
    code, _, err = run(capsys, "trips", "show", "nope")
    assert code == 1 and "找不到出差" in err
    with pytest.raises(SystemExit) as exc:  # argparse: a wrong command line exits 2
        run(capsys, "trips", "add", "--to", "上海")
    assert exc.value.code == 2


def test_leads_cli_with_pinned_clock(capsys, db_path):
    run.db = db_path
    lead = run_json(
        capsys, "leads", "add", "扩产意向", "--source", "推介会", "--now", "2026-03-02T09:00"
    )
    assert [s["due_at"] for s in lead["steps"]][:2] == ["2026-03-03T09:00", "2026-03-05T09:00"]
    due = run_json(capsys, "leads", "list", "--due", "--now", "2026-03-03T10:00")
    assert due[0]["overdue"] and due[0]["label"] == "答复"
    code, out, _ = run(capsys, "leads", "list", "--due", "--now", "2026-03-03T10:00")
    assert "【逾期】扩产意向" in out
    after = run_json(capsys, "leads", "advance", lead["id"][:8], "--now", "2026-03-03T10:00")
    assert after["next_step"] == "评估" and after["steps"][0]["state"] == "late"
    assert run_json(capsys, "leads", "clocks", "答复=2d,报告=1w")[0]["hours"] == 48
    code, _, err = run(capsys, "leads", "clocks", "答复=x")
    assert code == 1 and "格式不正确" in err
    code, _, err = run(capsys, "leads", "add", "y", "--source", "传闻")
    assert code == 1 and "线索来源" in err


def test_module_entry_point(db_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-m", "zsapp", "--db", str(db_path), "leads", "clocks"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "答复 1 天" in out and "报告 2 周" in out


def test_trip_commands_and_page_load_pdf_and_calendar_libraries_on_first_use():
    code = (
        "import sys, zsapp.cli.trips, ui.pages.trips_page; "
        "heavy = [m for m in ('reportlab', 'icalendar', 'openpyxl') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
