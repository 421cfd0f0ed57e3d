"""``zsapp projects …`` run as a user runs it: a real subprocess and database file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from openpyxl import load_workbook


def run(*args, data_dir, code=0):
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "zsapp", "projects", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == code, result.stderr + result.stdout
    return result


def test_project_lifecycle_through_the_cli(data_dir, tmp_path):
    year = dt.date.today().year
    added = json.loads(
        run(
            "add",
            "普洱咖啡精深加工",
            "--from-item",
            "I01-06",
            "--prefecture",
            "普洱",
            "--investment-yi",
            "12.5",
            "--land-mu",
            "250",
            "--tax-per-mu",
            "18",
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    code = added["code"]
    assert code == f"PE-{year}-0001"
    assert added["items"][0]["id"] == "I01-06" and "咖啡物流" in added["summary"]
    assert added["total_investment_wan"] == 125000 and added["intensity_wan_per_mu"] == "500"

    run("add", "土法炼焦厂", "--prefecture", "曲靖", data_dir=data_dir)
    checked = json.loads(run("check", f"QJ-{year}-0001", "--json", data_dir=data_dir).stdout)
    assert checked["summary"] == "不通过" and checked["blocking"] == ["R1"]
    r1 = checked["rules"][0]
    assert set(r1) >= {"rule_id", "rule_text", "result", "reason", "effective", "override"}
    run("stage", f"QJ-{year}-0001", "在谈", "--note", "首谈", data_dir=data_dir)
    refused = run("stage", f"QJ-{year}-0001", "签约", data_dir=data_dir, code=1)
    assert "不通过" in refused.stderr and "放行" in refused.stderr
    run(
        "override",
        f"QJ-{year}-0001",
        "R1",
        "--reason",
        "工艺已改造",
        "--by",
        "集体决策",
        data_dir=data_dir,
    )
    run("stage", f"QJ-{year}-0001", "签约", data_dir=data_dir)

    out = run(
        "funds", code, "--month", f"{year}-01", "--amount-wan", "3000", data_dir=data_dir
    ).stdout
    assert "3000 万元" in out
    run(
        "funds", code, "--month", f"{year}-01", "--amount-wan", "250", "--inside", data_dir=data_dir
    )
    bad = run(
        "funds", code, "--month", f"{year}-01", "--amount-wan", "1.5", data_dir=data_dir, code=1
    )
    assert "小数" in bad.stderr
    shown = json.loads(run("show", code, "--json", data_dir=data_dir).stdout)
    assert shown["funds_totals"] == {
        "total_wan": 3250,
        "outside_wan": 3000,
        "outside_industrial_wan": 3000,
    }

    hits = json.loads(run("search", "kfjsjg", "--json", data_dir=data_dir).stdout)
    assert hits[0]["code"] == code
    listed = json.loads(run("list", "--big", "--json", data_dir=data_dir).stdout)
    assert [r["code"] for r in listed] == [code]
    listed = json.loads(run("list", "--stage", "签约", "--json", data_dir=data_dir).stdout)
    assert [r["code"] for r in listed] == [f"QJ-{year}-0001"]
    assert "找不到项目" in run("show", "XX-1", data_dir=data_dir, code=1).stderr

    out = tmp_path / "projects.xlsx"
    run("export", "--format", "xlsx", "-o", str(out), data_dir=data_dir)
    wb = load_workbook(out)
    rows = list(wb["项目"].values)
    assert rows[0][0] == "项目编号" and {r[0] for r in rows[1:]} == {code, f"QJ-{year}-0001"}
    overrides = list(wb["放行记录"].values)
    assert (
        overrides[1][2] == "第1条"
        and overrides[1][5] == "工艺已改造"
        and overrides[1][6] == "集体决策"
    )
    funds_rows = list(wb["到位资金"].values)
    assert sum(r[3] for r in funds_rows[1:]) == 3250

    rec = json.loads(run("recommend", code, "--json", data_dir=data_dir).stdout)
    assert rec["companies"] == [] and rec["excluded_dishonest"] == []


def test_investor_by_name_dishonest_check_recommend_and_keyword_import(data_dir, tmp_path):
    env_run = lambda *a, code=0: run(*a, data_dir=data_dir, code=code)  # noqa: E731
    companies = [sys.executable, "-m", "zsapp", "companies", "add"]
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    for extra in (
        ["--name", "云南锡业集团有限公司", "--item", "I06-04", "--china500", "yes"],
        ["--name", "失信锡材公司", "--item", "I06-04", "--dishonest", "yes"],
        ["--name", "某世界500强", "--item", "I06-01", "--fortune500", "yes"],
    ):
        subprocess.run(companies + extra, check=True, capture_output=True, env=env, timeout=60)
    added = json.loads(
        env_run(
            "add",
            "锡基新材料项目",
            "--prefecture",
            "红河",
            "--item",
            "I06-04",
            "--investor",
            "失信锡材公司:签约主体",
            "--json",
        ).stdout
    )
    assert added["investors"][0]["role"] == "签约主体"
    checked = json.loads(env_run("check", added["code"], "--json").stdout)
    r4 = next(r for r in checked["rules"] if r["rule_id"] == "R4")
    assert r4["result"] == "不通过" and "失信锡材公司" in r4["reason"]
    rec = json.loads(env_run("recommend", added["code"], "--json").stdout)
    assert [c["name"] for c in rec["companies"]] == ["云南锡业集团有限公司", "某世界500强"]
    assert "找不到企业" in env_run("add", "x", "--investor", "不存在的公司", code=1).stderr

    doc = json.loads(env_run("keywords").stdout)
    doc["categories"][0]["keywords"] = ["锡基"]
    path = tmp_path / "kw.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    env_run("keywords", "--import", str(path))
    listed = json.loads(env_run("list", "--admission", "不通过", "--json").stdout)
    assert [r["code"] for r in listed] == [added["code"]]
    r1 = json.loads(env_run("check", added["code"], "--json").stdout)["rules"][0]
    assert r1["result"] == "不通过" and "锡基" in r1["reason"]
