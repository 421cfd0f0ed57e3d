"""The contacts CLI end to end: JSON with stable ids, Chinese errors, exit codes."""

import json

from zsapp.cli import main

HUAWEI = "914403001922038216"


def run(capsys, *argv):
    code = main(["--db", str(run.db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_companies_people_visits_followups(capsys, db_path):
    run.db = db_path
    company = run_json(
        capsys,
        "companies",
        "add",
        "--name",
        "中国移动通信集团有限公司",
        "--uscc",
        HUAWEI,
        "--province",
        "北京市",
        "--fortune500",
        "yes",
        "--tags",
        "央企,通信",
    )
    cid = company["id"]
    assert company["region_tag"] == "京津冀" and company["is_fortune500"] is True

    code, _, err = run(capsys, "companies", "add", "--name", "中国移动通信集团")
    assert code == 2 and "名称相近" in err and "--force" in err
    code, _, err = run(capsys, "companies", "add", "--name", "别的公司", "--uscc", HUAWEI)
    assert code == 2 and "已属于" in err and cid in err
    code, _, err = run(
        capsys, "companies", "add", "--name", "坏码公司", "--uscc", "914403001922038217"
    )
    assert code == 1 and "校验位错误" in err

    assert run_json(capsys, "companies", "search", "zgyd")[0]["id"] == cid
    updated = run_json(
        capsys,
        "companies",
        "update",
        cid,
        "--notes",
        "重点客商",
        "--dishonest",
        "yes",
        "--dishonest-date",
        "2025-01-02",
    )
    assert updated["notes"] == "重点客商" and updated["is_dishonest"] is True
    listed = run_json(capsys, "companies", "list", "--dishonest", "yes", "--flag", "fortune500")
    assert [c["id"] for c in listed] == [cid]

    person = run_json(
        capsys, "people", "add", "--name", "张伟", "--company", cid, "--mobile", "138 0013 8000"
    )
    assert (
        person["mobile"] == "+8613800138000"
        and person["company_name"] == "中国移动通信集团有限公司"
    )
    code, _, err = run(capsys, "people", "add", "--name", "李四", "--mobile", "12345")
    assert code == 1 and "手机" in err
    assert run_json(capsys, "people", "search", "zw")[0]["id"] == person["id"]

    visit = run_json(
        capsys,
        "visits",
        "add",
        "--company",
        cid,
        "--person",
        "张伟",
        "--at",
        "2025-03-07 10:00",
        "--notes",
        "数据中心选址",
        "--followup",
        "寄资料@2020-01-01",
        "--followup",
        "回访@2099-01-01",
    )
    assert visit["companies"][0]["id"] == cid and len(visit["followups"]) == 2
    assert run_json(capsys, "visits", "show", visit["id"])["notes"] == "数据中心选址"
    assert run_json(capsys, "visits", "list")[0]["id"] == visit["id"]

    due = run_json(capsys, "followups", "list", "--due")
    assert [f["text"] for f in due] == ["寄资料"] and due[0]["overdue"]
    done = run_json(capsys, "followups", "done", due[0]["id"])
    assert done["done"] == 1
    assert run_json(capsys, "followups", "list", "--due") == []

    shown = run_json(capsys, "companies", "show", cid)
    assert shown["people"][0]["name"] == "张伟" and shown["visits"][0]["id"] == visit["id"]


def test_merge_and_delete(capsys, db_path):
    run.db = db_path
    a = run_json(capsys, "companies", "add", "--name", "甲科技有限公司")["id"]
    b = run_json(
        capsys,
        "companies",
        "add",
        "--name",
        "甲科技股份有限公司",
        "--force",
        "--website",
        "https://a.cn",
    )["id"]
    run_json(capsys, "people", "add", "--name", "钱七", "--company", b)
    result = run_json(capsys, "companies", "merge", a, b)
    assert result["kept"] == a
    shown = run_json(capsys, "companies", "show", a)
    assert shown["website"] == "https://a.cn" and shown["people"][0]["name"] == "钱七"
    code, _, err = run(capsys, "companies", "show", b)
    assert code == 1 and "找不到企业" in err
    assert run_json(capsys, "companies", "delete", a)["deleted"] is True
    assert run_json(capsys, "companies", "list") == []


def test_update_without_fields_is_a_usage_error(capsys, db_path):
    run.db = db_path
    a = run_json(capsys, "companies", "add", "--name", "甲")["id"]
    code, _, err = run(capsys, "companies", "update", a)
    assert code == 2 and "没有要修改的字段" in err
