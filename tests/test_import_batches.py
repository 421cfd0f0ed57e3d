"""Existing records: dry run lists before → after per field; modes skip / fill (default) /
overwrite; never a "（重复行）" name. Every import is a batch undone in one step through
Store.update/delete (so it syncs). Our own XLSX export re-imports to the same data. Mapping
remembered per layout. Zip bombs and oversized sheets refused under 300 MB. CLI."""

import json
import os
import subprocess
import sys

import import_samples as samples
import pytest

from zsapp.cli import main
from zsapp.contacts import companies, exporter, importer, people, readers, visits

HUAWEI = "914403001922038216"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def existing(store):
    cid = companies.create_company(
        store,
        {
            "name": "华为技术有限公司",
            "uscc": HUAWEI,
            "website": "https://old.example",
            "tags": "重点",
        },
    )
    pid = people.create_person(
        store, {"name": "张伟", "company_id": cid, "mobile": "13800138000", "title": "经理"}
    )
    return cid, pid


REIMPORT = (
    "企业名称,统一社会信用代码,网址,来源省份,企业标签,联系人,手机,职务,邮箱\n"
    f"华为技术有限公司（深圳）,{HUAWEI},https://new.example,广东省,通信,张伟,13800138000,总经理,zw@example.com\n"
    "新公司有限公司,,,,,,,,\n"
)


def test_dry_run_shows_before_and_after_per_field(store, existing, tmp_path):
    _cid, _ = existing
    outbox = store.pending_changes()
    report = importer.import_file(store, write(tmp_path, "a.csv", REIMPORT), dry_run=True)
    assert not report.written and store.pending_changes() == outbox
    by_entity = {(c.line, c.entity): c for c in report.changes}
    firm = by_entity[(2, "企业")]
    assert firm.action == "更新" and firm.name == "华为技术有限公司"
    assert ("来源省份", "", "广东省") in firm.fields
    assert ("标签", "重点", "重点、通信") in firm.fields  # tags are added, not replaced
    assert not any(f[0] in ("企业名称", "网址") for f in firm.fields)  # only blank fields
    person = by_entity[(2, "联系人")]
    assert person.fields == [("邮箱", "", "zw@example.com")]  # 职务 was not blank
    assert by_entity[(3, "企业")].action == "新建"
    assert "第 2 行 企业“华为技术有限公司”：更新" in firm.text()


def test_modes_skip_fill_overwrite(store, existing, tmp_path):
    cid, pid = existing
    path = write(tmp_path, "a.csv", REIMPORT)
    skip = importer.import_file(store, path, mode="skip", dry_run=True)
    assert skip.companies_updated == skip.people_updated == 0 and skip.companies_created == 1
    assert skip.skipped_existing == 1

    importer.import_file(store, path)  # fill (the default)
    row = companies.get_company(store, cid)
    assert (row["name"], row["website"], row["origin_province"]) == (
        "华为技术有限公司",
        "https://old.example",
        "广东省",
    )
    assert json.loads(row["tags"]) == ["重点", "通信"]
    assert people.get_person(store, pid)["title"] == "经理"

    report = importer.import_file(store, path, mode="overwrite")
    row = companies.get_company(store, cid)
    assert row["name"] == "华为技术有限公司（深圳）" and row["website"] == "https://new.example"
    assert people.get_person(store, pid)["title"] == "总经理"
    assert ("网址", "https://old.example", "https://new.example") in next(
        c.fields for c in report.changes if c.entity == "企业" and c.line == 2
    )
    assert store.scalar("SELECT count(*) FROM companies WHERE name LIKE '%重复行%'") == 0
    assert store.count("companies") == 2  # matched by USCC, never a duplicate


def test_undo_restores_values_and_removes_created_through_sync(store, existing, tmp_path):
    cid, pid = existing
    before_company = companies.get_company(store, cid)
    text = REIMPORT + "云南新企业有限公司,,,云南省,,李四,13900139000,,\n"
    report = importer.import_file(store, write(tmp_path, "a.csv", text), mode="overwrite")
    assert report.written and report.batch_id
    created_people = store.scalar("SELECT id FROM people WHERE name = '李四'")
    assert store.count("companies") == 3 and store.count("people") == 2
    outbox = store.pending_changes()

    result = importer.undo_import(store, report.batch_id)
    assert result["removed"] >= 3 and result["restored"] >= 4 and result["kept"] == 0
    after = companies.get_company(store, cid)
    for key in ("name", "website", "origin_province", "tags", "region_tag"):
        assert after[key] == before_company[key], key
    assert people.get_person(store, pid)["title"] == "经理"
    assert people.get_person(store, pid)["email"] == ""
    assert store.count("companies") == 1 and store.count("people") == 1
    assert companies.search_companies(store, "云南新企业") == []  # search index follows
    # the undo went through Store.update/delete: its changes are in the sync outbox
    assert store.pending_changes() > outbox
    assert store.scalar(
        "SELECT count(*) FROM outbox WHERE table_name = 'people' AND row_id = ? AND field = 'deleted'"
        " AND value = '1'",
        (created_people,),
    )
    history = importer.list_imports(store)
    assert history[0]["id"] == report.batch_id and history[0]["undone_at"]
    with pytest.raises(importer.ContactsError, match="已于"):
        importer.undo_import(store, report.batch_id)


def test_undo_keeps_a_field_edited_after_the_import(store, existing, tmp_path):
    cid, _ = existing
    report = importer.import_file(store, write(tmp_path, "a.csv", REIMPORT), mode="overwrite")
    companies.update_company(store, cid, {"website": "https://edited.example"})
    result = importer.undo_import(store, report.batch_id[:6])
    assert result["kept"] == 1
    row = companies.get_company(store, cid)
    assert row["website"] == "https://edited.example" and row["name"] == "华为技术有限公司"


def test_dry_run_and_rejected_imports_leave_no_batch(store, tmp_path):
    path = write(tmp_path, "a.csv", REIMPORT)
    importer.import_file(store, path, dry_run=True)
    bad = write(tmp_path, "bad.csv", "企业名称,手机,联系人\n甲公司,123,王五\n")
    with pytest.raises(importer.ImportRejected):
        importer.import_file(store, bad)
    assert importer.list_imports(store) == []


def test_own_xlsx_export_reimports_all_sheets_to_the_same_data(store, tmp_path, db_path):
    cid = companies.create_company(
        store,
        {
            "name": "中国铝业集团有限公司",
            "uscc": "91110000710931141J",
            "ownership": "央企",
            "is_fortune500": 1,
            "revenue_wan": 29000000,
            "tags": "铝、重点",
            "origin_province": "北京市",
        },
        items=["I02-04"],
    )
    pid = people.create_person(
        store,
        {
            "name": "王建国",
            "company_id": cid,
            "title": "总经理",
            "mobile": "13911112222",
            "landline": "0871-63123456-8001",
            "email": "wjg@example.com",
            "tags": "决策人",
        },
    )
    visits.create_visit(
        store,
        {
            "visited_at": "2026-10-08T14:30",
            "kind": "来访接待",
            "city": "昆明",
            "notes": "谈铝箔项目",
        },
        companies=[cid],
        people=[pid],
        followups=[{"text": "寄送资料", "due_date": "2026-12-01"}],
    )
    path = tmp_path / "客商.xlsx"
    exporter.export_xlsx(store, list(exporter.KINDS), path)
    tables = importer.read_sources(path)
    assert [t.sheet for t in tables] == ["企业", "联系人", "拜访记录"]

    from zsapp.bootstrap import open_store

    fresh = open_store(tmp_path / "fresh.sqlite3")
    try:
        report = importer.import_file(fresh, path)
        assert not report.errors and not report.warnings, (report.errors, report.warnings)
        assert (report.companies_created, report.people_created, report.visits_created) == (1, 1, 1)

        def snapshot(s):
            c = s.query_one("SELECT * FROM companies WHERE deleted = 0")
            p = s.query_one("SELECT * FROM people WHERE deleted = 0")
            v = s.query_one("SELECT * FROM visits WHERE deleted = 0")
            f = s.query_one("SELECT text, due_date, done FROM followups WHERE deleted = 0")
            keep = lambda row, drop: {  # noqa: E731
                k: row[k]
                for k in row
                if k not in (*drop, "id", "created_at", "updated_at", "updated_by")
            }
            return (
                keep(c, ()),
                keep(p, ("company_id",)),
                keep(v, ()),
                f,
                companies.item_ids(s, c["id"]),
                [
                    r["name"]
                    for r in s.query(
                        "SELECT p.name FROM visit_people l JOIN people p ON p.id = l.person_id"
                    )
                ],
                [
                    r["name"]
                    for r in s.query(
                        "SELECT c.name FROM visit_companies l JOIN companies c ON c.id = l.company_id"
                    )
                ],
                s.scalar("SELECT c.name FROM people p JOIN companies c ON c.id = p.company_id"),
            )

        assert snapshot(fresh) == snapshot(store)
        again = importer.import_file(fresh, path)
        assert again.unchanged == again.total == 3
    finally:
        fresh.close()
    # into the same store: matched by 编号, nothing changes
    outbox = store.pending_changes()
    assert importer.import_file(store, path).unchanged == 3
    assert store.pending_changes() == outbox


def test_mapping_is_remembered_per_layout(store, tmp_path):
    text = "客户单位,对接人,联系方式\n甲公司,张三,13800138000\n"
    path = write(tmp_path, "a.csv", text)
    table = importer.read_source(path)
    mapping, _source, remembered = importer.mapping_for(store, table)
    assert mapping == {} and not remembered
    chosen = {0: "company.name", 1: "person.name", 2: "person.phone"}
    importer.import_file(store, path, mapping=chosen, remember=True)
    other = write(tmp_path, "b.csv", "客户单位,对接人,联系方式\n乙公司,李四,0871-63123456转8001\n")
    mapping, _, remembered = importer.mapping_for(store, importer.read_source(other))
    assert remembered and mapping == chosen
    report = importer.import_file(store, other)
    assert report.companies_created == 1
    assert people.get_person(store, people.resolve(store, "李四"))["landline"] == (
        "+8687163123456;ext=8001"
    )


def test_zip_bomb_refused_quickly_under_300_mb(tmp_path):
    path = samples.zip_bomb_xlsx(tmp_path / "bomb.xlsx", inflated_mb=400)
    assert path.stat().st_size < 3 * 1024 * 1024
    script = (
        "import sys\n"
        "from zsapp.contacts import importer\n"
        "try:\n"
        f"    importer.read_sources({str(path)!r})\n"
        "except importer.ContactsError as exc:\n"
        "    print(exc)\n"
        # VmHWM is this process image's peak; ru_maxrss would also count the forked
        # pytest parent's pages, which Linux carries across exec.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print('MAXRSS', hwm.split()[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert out.returncode == 0, out.stderr
    assert "压缩炸弹" in out.stdout and "已拒绝读取" in out.stdout
    maxrss_kb = int(out.stdout.split("MAXRSS")[1])
    assert maxrss_kb < 300 * 1024


def test_oversized_sheet_refused(store, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_CELLS", 10)
    path = samples.streaming_xlsx(
        tmp_path / "big.xlsx", [["企业名称", "联系人"]] + [[f"公司{n}", "张三"] for n in range(20)]
    )
    with pytest.raises(importer.ContactsError, match="超过导入上限"):
        importer.import_file(store, path)


def test_cli_import_modes_history_and_undo(tmp_path, db_path, capsys):
    path = write(tmp_path, "a.csv", REIMPORT)
    assert main(["--db", str(db_path), "contacts", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "企业新建 2" in out and "撤销：zsapp contacts undo-import" in out
    assert (
        main(
            [
                "--db",
                str(db_path),
                "contacts",
                "import",
                str(path),
                "--dry-run",
                "--mode",
                "overwrite",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "overwrite" and not report["written"]
    assert report["changes"][0]["action"] in ("无变化", "更新")
    outlook = tmp_path / "o.csv"
    outlook.write_bytes(samples.outlook_en_csv())
    assert (
        main(["--db", str(db_path), "contacts", "import", str(outlook), "--source", "outlook_en"])
        == 0
    )
    capsys.readouterr()
    assert main(["--db", str(db_path), "contacts", "imports", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert len(history) == 2 and history[0]["file_name"] == "o.csv"
    assert main(["--db", str(db_path), "contacts", "undo-import", history[0]["id"]]) == 0
    assert "已撤销导入" in capsys.readouterr().out
    assert main(["--db", str(db_path), "contacts", "undo-import", history[0]["id"]]) == 1
    assert "已于" in capsys.readouterr().err
    assert main(["--db", str(db_path), "contacts", "imports"]) == 0
    assert "已撤销" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--db", str(db_path), "contacts", "import", str(path), "--mode", "merge"])
    assert info.value.code == 2 and "overwrite" in capsys.readouterr().err


def test_own_csv_exports_reimport_including_visits(store, tmp_path):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司", "tags": "医药"})
    pid = people.create_person(
        store, {"name": "欧阳娜娜", "company_id": cid, "mobile": "13800138000"}
    )
    visits.create_visit(
        store,
        {
            "visited_at": "2026-09-01T10:00",
            "city": "昆明",
            "outcome": "有意向",
            "notes": "首次拜访",
        },
        companies=[cid],
        people=[pid],
        followups=[{"text": "发送推介册", "done": True}],
    )
    for kind in ("companies", "people", "visits"):
        exporter.export_csv(store, kind, tmp_path / f"{kind}.csv")
    assert importer.read_source(tmp_path / "visits.csv").kind == "visits"
    from zsapp.bootstrap import open_store

    fresh = open_store(tmp_path / "fresh.sqlite3")
    try:
        for kind in ("companies", "people", "visits"):
            report = importer.import_file(fresh, tmp_path / f"{kind}.csv")
            assert not report.errors and not report.warnings, (kind, report.errors, report.warnings)
        visit = fresh.query_one("SELECT * FROM visits WHERE deleted = 0")
        assert (visit["visited_at"], visit["city"], visit["outcome"], visit["notes"]) == (
            "2026-09-01T10:00",
            "昆明",
            "有意向",
            "首次拜访",
        )
        followup = fresh.query_one("SELECT text, done FROM followups WHERE deleted = 0")
        assert followup == {"text": "发送推介册", "done": 1}
        assert (
            fresh.scalar("SELECT p.name FROM visit_people l JOIN people p ON p.id = l.person_id")
            == "欧阳娜娜"
        )
        assert fresh.count("companies") == 1 and fresh.count("people") == 1
    finally:
        fresh.close()
