"""Import CSV (UTF-8, BOM, GBK), XLSX and vCard; bad rows by line; all-or-nothing;
re-import without duplicates; export CSV/XLSX/vCard round trip."""

import csv
import json

import openpyxl
import pytest
import vobject

from zsapp.cli import main
from zsapp.contacts import companies, exporter, importer, people

HEADER = "企业名称,统一社会信用代码,省份,所有制,营收（万元）,联系人,职务,手机,邮箱\n"
GOOD = [
    "华为技术有限公司,914403001922038216,广东省,民营,1.2亿,张伟,总经理,13800138000,zw@example.com\n",
    "阿里巴巴（中国）有限公司,91330100716105852F,浙江省,民营,,李娜,副总裁,+86 139 0013 9000,\n",
    "云南咖啡贸易有限公司,,云南省,,800,欧阳娜娜,,0871-63123456,\n",
]
BAD = [
    "坏码公司,914403001922038217,广东省,,,,,,\n",  # wrong check character
    "电话错公司,,,,,王五,,12345,\n",  # bad phone
    ",,,,,,,,\n",  # blank line: skipped, not an error
    "私企公司,,,私企,,,,,\n",  # unknown ownership: a soft field, kept as a tag (warning)
]


def write(path, text, encoding):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "encoding, detected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_encodings_detected(store, tmp_path, encoding, detected):
    path = write(tmp_path / "客商.csv", HEADER + "".join(GOOD), encoding)
    report = importer.import_file(store, path)
    assert report.encoding == detected
    assert (report.companies_created, report.people_created) == (3, 3)
    names = {r["name"] for r in store.query("SELECT name FROM companies")}
    assert names == {"华为技术有限公司", "阿里巴巴（中国）有限公司", "云南咖啡贸易有限公司"}
    person = people.get_person(store, people.resolve(store, "欧阳娜娜"))
    assert person["landline"] == "+8687163123456"
    assert (
        companies.get_company(store, companies.resolve(store, "华为技术有限公司"))["revenue_wan"]
        == 12000
    )


def test_bad_rows_reported_by_line_and_nothing_imported(store, tmp_path):
    path = write(tmp_path / "a.csv", HEADER + "".join(GOOD + BAD), "gbk")
    with pytest.raises(importer.ImportRejected) as info:
        importer.import_file(store, path)
    errors = dict(info.value.report.errors)
    assert set(errors) == {5, 6}
    assert "校验位错误" in errors[5] and "手机“12345”" in errors[6]
    assert "所有制“私企”" in dict(info.value.report.warnings)[8]
    assert store.count("companies") == 0 and store.count("people") == 0

    report = importer.import_file(store, path, only_good=True)
    assert report.companies_created == 4 and len(report.errors) == 2
    assert store.count("companies") == 4
    private = companies.get_company(store, companies.resolve(store, "私企公司"))
    assert private["ownership"] == "" and json.loads(private["tags"]) == ["私企"]


def test_reimport_creates_no_duplicates(store, tmp_path):
    path = write(tmp_path / "a.csv", HEADER + "".join(GOOD), "utf-8-sig")
    importer.import_file(store, path)
    outbox = store.pending_changes()
    again = importer.import_file(store, path)
    assert (again.companies_created, again.people_created, again.unchanged) == (0, 0, 3)
    assert store.count("companies") == 3 and store.count("people") == 3
    assert store.pending_changes() == outbox  # nothing rewritten


def test_dry_run_writes_nothing(store, tmp_path):
    path = write(tmp_path / "a.csv", HEADER + "".join(GOOD), "utf-8")
    report = importer.import_file(store, path, dry_run=True)
    assert report.companies_created == 3 and not report.written
    assert store.count("companies") == 0


def test_multiline_cells_keep_line_numbers(store, tmp_path):
    text = HEADER + '"多行公司",,,,,"赵六","备注\n第二行",13800138000,\n' + BAD[0]
    path = write(tmp_path / "a.csv", text, "utf-8")
    with pytest.raises(importer.ImportRejected) as info:
        importer.import_file(store, path)
    assert [line for line, _ in info.value.report.errors] == [4]


def test_xlsx_import_with_mapping_preview(store, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["公司名称", "信用代码", "员工人数", "姓名", "手机号码", "备注说明"])
    ws.append(["腾讯科技（深圳）有限公司", "9144030071526726XG", 50000, "马明", 13800138001, "x"])
    ws.append(["腾讯科技（深圳）有限公司", "9144030071526726XG", 50000, "周华", "13800138002", ""])
    path = tmp_path / "客商.xlsx"
    wb.save(path)
    table = importer.read_source(path)
    mapping = importer.auto_mapping(table.headers)
    assert (
        mapping[0] == "company.name"
        and mapping[1] == "company.uscc"
        and mapping[4] == "person.mobile"
    )
    mapping.pop(5, None)
    rows = importer.preview(table, mapping)
    assert rows[0]["企业名称"] == "腾讯科技（深圳）有限公司" and rows[0]["_line"] == "2"
    plans, report = importer.plan_import(store, table, mapping)
    importer.apply_import(store, plans, report)
    assert store.count("companies") == 1 and store.count("people") == 2
    assert (
        companies.get_company(store, companies.resolve(store, "腾讯科技（深圳）有限公司"))[
            "employees"
        ]
        == 50000
    )


VCARD = """BEGIN:VCARD
VERSION:3.0
FN:欧阳娜娜
N:欧阳;娜娜;;;
ORG:云南咖啡贸易有限公司
TITLE:总经理
TEL;TYPE=CELL:138 0013 8000
TEL;TYPE=WORK,VOICE:0871-63123456
TEL;TYPE=CELL:13900139000
EMAIL;TYPE=INTERNET:nana@example.com
EMAIL;TYPE=INTERNET:nana@example.cn
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:司马光
N:司马;光;;;
TEL;VALUE=uri;TYPE=cell:tel:+86-137-0013-7000
EMAIL:sima@example.com
END:VCARD
"""


def test_vcard_import_chinese_names_several_phones(store, tmp_path):
    path = tmp_path / "通讯录.vcf"
    path.write_text(VCARD, encoding="utf-8")
    report = importer.import_file(store, path)
    assert report.people_created == 2 and report.companies_created == 1
    nana = people.get_person(store, people.resolve(store, "欧阳娜娜"))
    assert nana["mobile"] == "+8613800138000" and nana["landline"] == "+8687163123456"
    assert "13900139000" in nana["notes"] and "nana@example.cn" in nana["notes"]
    assert nana["email"] == "nana@example.com" and nana["title"] == "总经理"
    sima = people.get_person(store, people.resolve(store, "司马光"))
    assert sima["mobile"] == "+8613700137000"
    assert importer.import_file(store, path).people_created == 0  # re-import: no duplicates


def test_vcard_export_round_trip(store, tmp_path):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    pid = people.create_person(
        store,
        {
            "name": "欧阳娜娜",
            "company_id": cid,
            "title": "董事长",
            "mobile": "13800138000",
            "landline": "0871-63123456转8001",
            "email": "nana@example.com",
        },
    )
    path = tmp_path / "nana.vcf"
    assert exporter.export_vcf(store, path, [pid]) == 1
    text = path.read_bytes().decode("utf-8")
    assert "VERSION:3.0" in text
    card = vobject.readOne(text)
    assert card.fn.value == "欧阳娜娜"
    assert (card.n.value.family, card.n.value.given) == ("欧阳", "娜娜")
    assert card.org.value == ["云南白药集团股份有限公司"]
    assert {t.value for t in card.tel_list} == {"+8613800138000", "+8687163123456 ext. 8001"}
    # importing the card into a fresh store gives the same person
    people.delete_person(store, pid)
    importer.import_file(store, path)
    again = people.get_person(store, people.resolve(store, "欧阳娜娜"))
    assert (again["mobile"], again["landline"], again["email"], again["title"]) == (
        "+8613800138000",
        "+8687163123456;ext=8001",
        "nana@example.com",
        "董事长",
    )


def test_export_csv_has_bom_and_reimports_cleanly(store, tmp_path):
    importer.import_file(store, write(tmp_path / "a.csv", HEADER + "".join(GOOD), "gbk"))
    for kind in ("companies", "people", "visits"):
        path = tmp_path / f"{kind}.csv"
        exporter.export_csv(store, kind, path)
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(tmp_path / "companies.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["企业名称"] for r in rows} == {
        "华为技术有限公司",
        "阿里巴巴（中国）有限公司",
        "云南咖啡贸易有限公司",
    }
    for kind in ("companies", "people"):
        report = importer.import_file(store, tmp_path / f"{kind}.csv")
        assert report.companies_created == report.people_created == 0, kind
    assert store.count("companies") == 3 and store.count("people") == 3


def test_export_xlsx_all_kinds(store, tmp_path):
    importer.import_file(store, write(tmp_path / "a.csv", HEADER + "".join(GOOD), "utf-8"))
    path = tmp_path / "客商.xlsx"
    counts = exporter.export_xlsx(store, ["companies", "people", "visits"], path)
    assert counts == {"companies": 3, "people": 3, "visits": 0}
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["企业", "联系人", "拜访记录"]
    uscc = [row[2] for row in wb["企业"].iter_rows(min_row=2, values_only=True)]
    assert "914403001922038216" in uscc  # kept as text, not 9.14E+17


def test_cli_import_export(tmp_path, db_path, capsys):
    path = write(tmp_path / "a.csv", HEADER + "".join(GOOD + BAD), "gbk")
    assert main(["--db", str(db_path), "contacts", "import", str(path), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is False and [e["line"] for e in report["errors"]] == [5, 6]
    assert main(["--db", str(db_path), "contacts", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "第 5 行" in out and "未导入任何数据" in err
    assert main(["--db", str(db_path), "contacts", "import", str(path), "--only-good"]) == 0
    assert "企业新建 4" in capsys.readouterr().out
    for fmt in ("xlsx", "csv", "vcf"):
        out_path = tmp_path / f"out.{fmt}"
        assert (
            main(["--db", str(db_path), "contacts", "export", "--format", fmt, "-o", str(out_path)])
            == 0
        )
        assert out_path.stat().st_size > 0
    capsys.readouterr()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", "没有表头"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "无法读取 Excel 文件：文件已损坏"),
        ("broken.csv", b"\xff\xfe\x00", "UTF-16"),
        ("other.csv", "编号,金额\n1,2\n".encode("gbk"), "请至少把一列对应到"),
        ("broken.xlsx", b"PK\x03\x04 not really", "无法读取 Excel"),
    ],
)
def test_unreadable_files_refused_in_chinese(store, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(importer.ContactsError, match=message):
        importer.import_file(store, path)
    assert store.count("companies") == 0


def test_import_matches_people_by_name_and_email_case_insensitively(store, tmp_path):
    """A person who moved company is found by name + e-mail, also one created earlier in
    the same file, and a namesake with another e-mail stays a different person."""
    old = companies.create_company(store, {"name": "旧东家有限公司"})
    pid = people.create_person(
        store, {"name": "张伟", "company_id": old, "email": "ZW@Example.com"}
    )
    text = (
        "企业名称,联系人,邮箱\n"
        "新东家有限公司,张伟,zw@example.COM\n"
        "第三家有限公司,李娜,ln@example.com\n"
        "第四家有限公司,李娜,LN@example.com\n"
        "第五家有限公司,张伟,other@example.com\n"
    )
    path = write(tmp_path / "moved.csv", text, "utf-8")
    # default mode (only fill blank fields): 张伟 is found but keeps his company
    report = importer.import_file(store, path, dry_run=True)
    assert (report.people_created, report.people_updated) == (2, 0)
    assert any("已在另一家企业" in w and "覆盖" in w for _, w in report.warnings)
    report = importer.import_file(store, path, mode="overwrite")
    assert (report.people_created, report.people_updated) == (2, 2)
    assert people.get_person(store, pid)["company_id"] == companies.resolve(store, "新东家有限公司")
    lina = store.query("SELECT company_id FROM people WHERE name = '李娜' AND deleted = 0")
    assert [r["company_id"] for r in lina] == [companies.resolve(store, "第四家有限公司")]
    assert store.scalar("SELECT count(*) FROM people WHERE name = '张伟' AND deleted = 0") == 2
