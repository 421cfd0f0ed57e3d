"""Files as the real programs write them import with every field in place: Android /
Samsung / Xiaomi vCard 2.1 (QP breaks inside UTF-8 characters, unescaped commas), Outlook's
gb2312-labelled GBK vCard, iPhone 3.0, vCard 4.0, a streaming XLSX with <dimension ref="A1"/>
and formula cells, a BIFF8 .xls, an ODS, 企查查 / 天眼查 exports, Outlook (en/zh) and Google
Contacts CSV, an office sheet with a title row and a two-level merged header."""

import json

import import_samples as samples
import pytest

from zsapp.contacts import companies, importer, people


def person(store, name):
    return people.get_person(store, people.resolve(store, name))


def company(store, name):
    return companies.get_company(store, companies.resolve(store, name))


def items(store, name):
    return companies.item_ids(store, companies.resolve(store, name))


def tags(row):
    return json.loads(row["tags"])


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_android_vcard_21_qp_breaks_inside_characters(store, tmp_path):
    data = samples.android_vcf()
    assert b"=E4=B8=\r\n=9A" in data  # the soft break really splits 业 (E4 B8 9A)
    report = importer.import_file(store, write(tmp_path, "Samsung.vcf", data))
    assert not report.errors and report.people_created == 3
    zhang = person(store, "张伟明（云南铝业采购部）")
    assert zhang["title"] == "副总经理，分管铝箔"
    assert zhang["mobile"] == "+8613911112222"
    assert zhang["landline"] == "+8687163123456;ext=8001"  # the 分机 is kept
    assert zhang["email"] == "zhangwm@example.com"
    assert zhang["notes"].startswith("Q3重点跟进：铝箔与光伏项目，关注铝箔")
    assert "QQ：12345678" in zhang["notes"]
    assert company(store, "云南铝业股份有限公司")["id"] == zhang["company_id"]
    lisa = person(store, "Lisa Li, PhD")  # unescaped comma in 2.1: text kept whole
    assert lisa["title"] == "Director, Marketing"
    assert lisa["mobile"] == "+85291234567"
    assert company(store, "Acme Trading Co., Ltd.")["id"] == lisa["company_id"]
    assert person(store, "Xiaoer Wang")["company_id"] == companies.resolve(
        store, "Kunming Coffee Co., Ltd."
    )


def test_outlook_vcard_gb2312_label_over_gbk_bytes(store, tmp_path):
    data = samples.outlook_vcf()
    assert "珺".encode("gbk") in data and b"CHARSET=gb2312" in data
    with pytest.raises(UnicodeEncodeError):
        "珺".encode("gb2312")  # so a strict gb2312 decoder would fail
    importer.import_file(store, write(tmp_path, "王珺.vcf", data))
    wang = person(store, "王珺")
    assert wang["title"] == "总经理"
    assert wang["mobile"] == "+8613911113333"
    assert wang["landline"] == "+861085226688;ext=8001"  # 转8001 in GBK bytes, no CHARSET
    assert wang["email"] == "wangjun@example.cn"
    assert wang["notes"] == "第一行：珺瑶项目\n第二行：考察时间待定"
    assert company(store, "昆明珺瑶贸易有限公司")["id"] == wang["company_id"]


def test_iphone_vcard_30_labels_impp_escapes(store, tmp_path):
    importer.import_file(store, write(tmp_path, "iCloud.vcf", samples.iphone_vcf()))
    lina = person(store, "李娜")
    assert lina["title"] == "副总裁, 市场部"
    assert lina["mobile"] == "+8613800138000"
    assert lina["landline"] == "+861085226688;ext=8002"
    assert lina["wechat"] == "lina_wx"  # IMPP;X-SERVICE-TYPE=WeChat → 微信
    assert lina["notes"] == "第一行\n第二行, 含逗号"
    assert company(store, "云南白药集团股份有限公司")["id"] == lina["company_id"]


def test_vcard_40_tel_uri_with_extension(store, tmp_path):
    importer.import_file(store, write(tmp_path, "nextcloud.vcf", samples.vcard4()))
    zhao = person(store, "赵敏")
    assert zhao["mobile"] == "+8613911114444"
    assert zhao["landline"] == "+861085226688;ext=8001"
    assert (zhao["email"], zhao["wechat"]) == ("zhaomin@example.org", "zhaomin_wx")


def test_streaming_xlsx_dimension_a1_and_formula_values(store, tmp_path):
    rows = [
        ["企业名称", "统一社会信用代码", "营收（万元）", "联系人", "手机", "员工人数"],
        ["云南锗业有限公司", "", 52000, "包文东", 13911112222, 1200],
        ["云南驰宏锌锗股份有限公司", "", 830000, "王强", 13911112223, 8000],
    ]
    path = samples.streaming_xlsx(
        tmp_path / "crm-export.xlsx", rows, {(2, 2): "5.2*10000", (3, 5): "SUM(F10:F20)"}
    )
    import zipfile

    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1"/>' in sheet and "<f>5.2*10000</f><v>52000</v>" in sheet
    report = importer.import_file(store, path)
    assert (report.total, report.companies_created, report.people_created) == (2, 2, 2)
    assert company(store, "云南锗业有限公司")["revenue_wan"] == 52000  # the cached formula value
    assert company(store, "云南驰宏锌锗股份有限公司")["employees"] == 8000
    assert person(store, "包文东")["mobile"] == "+8613911112222"


def test_xls_biff8_with_title_row(store, tmp_path):
    path = samples.xls_with_title(tmp_path / "客商.xls")
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    table = importer.read_source(path)
    assert table.header_line == 2 and table.skipped == [(1, "2024年重点客商名录（WPS）")]
    report = importer.import_file(store, path)
    assert report.companies_created == 2 and not report.errors
    coffee = company(store, "云南咖啡贸易有限公司")
    assert coffee["uscc"] == "91530100MA6K7W3X1J" and coffee["revenue_wan"] == 800
    assert items(store, "云南咖啡贸易有限公司") == ["I01-06"]  # 咖啡: an exact item name
    assert len(items(store, "昆明光伏科技有限公司")) > 1  # 光伏制造业: the industry's items
    assert all(i.startswith("I03-") for i in items(store, "昆明光伏科技有限公司"))
    assert person(store, "杨春")["mobile"] == "+8613911115555"  # a double, not 1.39E10


def test_wps_et_file_is_read_like_xls(store, tmp_path):
    path = samples.xls_with_title(tmp_path / "客商.xls")
    et = tmp_path / "客商.et"
    et.write_bytes(path.read_bytes())
    assert importer.import_file(store, et).companies_created == 2


def test_ods(store, tmp_path):
    path = samples.ods(
        tmp_path / "客商.ods",
        [
            ["企业名称", "联系人", "手机", "所属行业"],
            ["昆明钢铁有限公司", "刘洋", 13911113344, "I02-04"],
        ],
    )
    importer.import_file(store, path)
    assert person(store, "刘洋")["mobile"] == "+8613911113344"
    assert items(store, "昆明钢铁有限公司") == ["I02-04"]


def test_office_sheet_title_row_and_two_level_merged_header(store, tmp_path):
    path = samples.office_sheet(tmp_path / "2024年重点客商名录.xlsx")
    table = importer.read_source(path)
    assert table.header_line == 3 and table.skipped == [(1, "2024年重点客商名录")]
    assert table.headers[5:7] == ["企业备注", "联系人姓名"]
    report = importer.import_file(store, path)
    assert not report.errors and report.total == 3
    assert (report.companies_created, report.people_created) == (3, 3)
    assert store.scalar("SELECT count(*) FROM companies WHERE name LIKE '%名录%'") == 0
    huawei = company(store, "华为技术有限公司")
    assert (huawei["uscc"], huawei["origin_province"], huawei["notes"]) == (
        "914403001922038216",
        "广东省",
        "龙头企业",
    )
    assert huawei["region_tag"] == "粤港澳大湾区"
    assert items(store, "华为技术有限公司") and all(
        i.startswith("I08-") for i in items(store, "华为技术有限公司")
    )  # 数字经济: an industry name
    zhang = person(store, "张伟")
    assert (zhang["title"], zhang["mobile"], zhang["landline"], zhang["notes"]) == (
        "总经理",
        "+8613800138000",
        "+8675528780808;ext=8001",
        "喜欢喝茶",
    )
    assert items(store, "云南咖啡贸易有限公司") == ["I01-06", "I02-04"]
    assert person(store, "李振国")["mobile"] == "+8613911112222"  # 1.3911112222E10


def test_qichacha_export(store, tmp_path):
    path = samples.qichacha_xlsx(tmp_path / "企查查导出.xlsx")
    table = importer.read_source(path)
    assert table.source == "qichacha" and table.header_line == 2
    assert len(table.rows) == 2  # the "数据来源" footer row is not a company
    report = importer.import_file(store, path)
    assert not report.errors, report.errors
    assert (report.companies_created, report.people_created) == (2, 2)
    yl = company(store, "云南铝业股份有限公司")
    assert yl["uscc"] == "91530000216556146T"
    assert yl["revenue_wan"] is None  # 注册资本 is not 营收 …
    assert "注册资本：346,767.2404万元人民币" in yl["notes"]  # … it is kept in the notes
    assert "企业(机构)类型：其他股份有限公司(上市)" in yl["notes"]
    assert yl["ownership"] == ""  # 企业(机构)类型 is not 所有制
    assert (yl["origin_province"], yl["origin_city"], yl["employees"]) == ("云南省", "昆明市", 5623)
    assert yl["registered_location"] == "云南省昆明市呈贡区七甸街道"
    assert yl["website"] == "www.ylgf.example"
    # 所属行业 outside the catalogue: kept as a tag, with a warning, the row not rejected
    assert tags(yl) == ["有色金属冶炼和压延加工业"]
    assert any("有色金属冶炼和压延加工业" in w for _, w in report.warnings)
    ji = person(store, "冀树军")  # 法定代表人 is a person of the company
    assert ji["company_id"] == yl["id"] and ji["title"] == "法定代表人"
    assert ji["landline"] == "+8687167455268" and ji["mobile"] == "+8613911117777"
    assert "0871 6745 5269" in ji["notes"]  # the other number is kept
    assert ji["email"] == "ylgf@ylgf.example"
    lj = company(store, "曲靖隆基硅材料有限公司")
    assert lj["employees"] is None  # 参保人数 "-" is empty, not an error
    assert all(i.startswith("I03-") for i in items(store, "曲靖隆基硅材料有限公司"))
    assert store.scalar("SELECT count(*) FROM people WHERE name = ''") == 0


def test_tianyancha_export_with_watermark_row(store, tmp_path):
    path = samples.tianyancha_xlsx(tmp_path / "天眼查.xlsx")
    table = importer.read_source(path)
    assert table.source == "tianyancha" and table.header_line == 2
    report = importer.import_file(store, path)
    assert (report.companies_created, report.people_created) == (1, 1) and not report.errors
    by = company(store, "云南白药集团股份有限公司")
    assert (by["uscc"], by["employees"], by["revenue_wan"]) == ("91530000216520224M", 8211, None)
    assert "注册资本：178,417.9599万人民币" in by["notes"] and "经营状态：存续" in by["notes"]
    assert tags(by) == ["医药制造业"]
    dong = person(store, "董明")
    assert (dong["company_id"], dong["title"], dong["landline"], dong["email"]) == (
        by["id"],
        "法定代表人",
        "+8687166226008",
        "ynby@example.com",
    )


def test_outlook_english_csv(store, tmp_path):
    data = samples.outlook_en_csv()
    assert data.startswith(b'"Title","First Name","Middle Name","Last Name"')
    report = importer.import_file(store, write(tmp_path, "contacts.CSV", data))
    assert report.sources == ["outlook_en"] and not report.errors
    wang = person(store, "王建国")  # Last + First, not "建国"
    assert wang["title"] == "总经理"  # Job Title, not Title (Mr.)
    assert wang["landline"] == "+861085226688;ext=8001"
    assert (wang["mobile"], wang["email"]) == ("+8613911118888", "wjg@chalco.example")
    assert "投资部" in wang["notes"] and "2024年昆明洽谈会认识" in wang["notes"]
    assert company(store, "中国铝业集团有限公司")["id"] == wang["company_id"]
    assert store.scalar("SELECT count(*) FROM people WHERE name LIKE '%李总%'") == 0
    mary = person(store, "Mary Chan")
    assert (mary["title"], mary["mobile"]) == ("CEO", "+85291234568")  # "(852) 9123 4568"
    assert mary["landline"] == "+85221234567;ext=8001"


def test_outlook_chinese_csv(store, tmp_path):
    report = importer.import_file(store, write(tmp_path, "联系人.CSV", samples.outlook_zh_csv()))
    assert report.sources == ["outlook_zh"] and not report.errors
    oy = person(store, "欧阳建华")
    assert (oy["title"], oy["mobile"], oy["landline"], oy["email"]) == (
        "副总经理",
        "+8613911119999",
        "+8687163123456;ext=8001",
        "oyjh@yneic.example",
    )
    assert company(store, "云南能源投资集团有限公司")["id"] == oy["company_id"]
    assert store.scalar("SELECT count(*) FROM people WHERE name = '段总'") == 0  # 经理姓名


def test_google_contacts_csv(store, tmp_path):
    report = importer.import_file(store, write(tmp_path, "contacts.csv", samples.google_csv()))
    assert report.sources == ["google"] and not report.errors
    sun = person(store, "孙明")
    assert sun["email"] == "sunming@tencent.example"  # not "* Work" (the label column)
    assert sun["title"] == "投资总监"
    assert sun["mobile"] == "+8613911110001"
    assert sun["landline"] == "+8675586013388"
    assert "139 1111 0002" in sun["notes"] and "sunming@qq.example" in sun["notes"]
    assert company(store, "腾讯科技（深圳）有限公司")["id"] == sun["company_id"]


def test_google_contacts_csv_old_headers(store, tmp_path):
    importer.import_file(store, write(tmp_path, "google.csv", samples.google_old_csv()))
    zhou = person(store, "周杰")
    assert (zhou["email"], zhou["title"], zhou["mobile"]) == (
        "zhoujie@example.com",
        "副总裁",
        "+8613911110003",
    )
    assert company(store, "四川长虹电器股份有限公司")["id"] == zhou["company_id"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16", "utf-16-le", "gb18030"])
def test_excel_csv_encodings_with_title_row(store, tmp_path, encoding):
    text = (
        "2024年重点客商名录,,,\r\n"
        "企业名称,联系人,手机,所属行业\r\n"
        '"云南喆䶮科技有限公司",杨喆,13911112244,"数字经济"\r\n'
    )
    if encoding == "gbk":
        text = text.replace("喆䶮", "珺").replace("杨喆", "杨珺")
    path = write(tmp_path, "客商.csv", text.encode(encoding))
    report = importer.import_file(store, path)
    assert report.companies_created == 1 and not report.errors
    name = "杨珺" if encoding == "gbk" else "杨喆"
    assert person(store, name)["mobile"] == "+8613911112244"


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("0871-63123456-8001", "+8687163123456;ext=8001"),
        ("010-85226688转8001", "+861085226688;ext=8001"),
        ("010-85226688 ext. 8001", "+861085226688;ext=8001"),
        ("010-85226688#8001", "+861085226688;ext=8001"),
        ("(852) 9123 4567", "+85291234567"),
        ("+852 9123 4567", "+85291234567"),
        ("0086 139 1111 2222", "+8613911112222"),
        ("+86 139 1111 2222", "+8613911112222"),
        ("400-810-8888", "+864008108888"),
    ],
)
def test_phones_as_people_write_them(store, tmp_path, raw, stored):
    path = write(tmp_path, "p.csv", f'企业名称,联系人,电话\n甲公司,张三,"{raw}"\n'.encode())
    report = importer.import_file(store, path)
    assert not report.errors, report.errors
    row = person(store, "张三")
    assert stored in (row["mobile"], row["landline"])


def test_every_error_of_a_row_is_listed(store, tmp_path):
    text = "企业名称,统一社会信用代码,营收（万元）,联系人,手机,邮箱\n坏公司,914403001922038217,很多,李四,12345,not-an-email\n"
    report = importer.import_file(store, write(tmp_path, "bad.csv", text.encode()), dry_run=True)
    ((line, reason),) = report.errors
    assert line == 2
    for part in ("校验位错误", "营收“很多”", "手机“12345”", "电子邮箱“not-an-email”"):
        assert part in reason


def test_no_substring_matching(store, tmp_path):
    """ "经理姓名" is not 联系人 and "公司简介" is not 企业名称: unknown columns stay unmapped."""
    headers = ["公司名称", "公司简介", "经理姓名", "联系人", "E-mail 1 - Label"]
    mapping = importer.auto_mapping(headers)
    assert mapping == {0: "company.name", 3: "person.name"}


def test_soft_fields_never_reject_a_row(store, tmp_path):
    text = "企业名称,所有制,区域,所属行业,世界500强\n甲公司,民营企业,西南,制造业,不清楚\n乙公司,私营,,咖啡物流,是\n"
    report = importer.import_file(store, write(tmp_path, "soft.csv", text.encode()))
    assert not report.errors and report.companies_created == 2
    jia = company(store, "甲公司")
    assert jia["ownership"] == "民营" and tags(jia) == ["西南", "制造业"]
    assert len(report.warnings) == 3
    yi = company(store, "乙公司")
    assert yi["ownership"] == "民营" and yi["is_fortune500"] == 1
    assert items(store, "乙公司") == ["I01-06"]  # 咖啡物流: a catalogue term of 咖啡


def test_company_data_quirks(store, tmp_path):
    """Units in the header, employee ranges, annotated or unreadable numbers in a general
    电话 column, a USCC that Excel turned into a number."""
    text = (
        "企业名称,营收（亿元）,员工人数,法定代表人,电话,统一社会信用代码\n"
        "甲公司,1.2,500-999人,赵一,0871-67455269（2021年报）；见官网,\n"
        "乙公司,,,,,9.15300002165561E+17\n"
    )
    report = importer.import_file(store, write(tmp_path, "q.csv", text.encode()), only_good=True)
    jia = company(store, "甲公司")
    assert jia["revenue_wan"] == 12000 and jia["employees"] is None
    assert "员工人数：500-999人" in jia["notes"]
    zhao = person(store, "赵一")
    assert zhao["landline"] == "+8687167455269" and "见官网" in zhao["notes"]
    assert len([w for line, w in report.warnings if line == 2]) == 2
    ((line, reason),) = report.errors
    assert line == 3 and "被 Excel 存成了数字" in reason


def test_total_rows_are_not_companies(store, tmp_path):
    text = "企业名称,营收（万元）\n甲公司,100\n乙公司,200\n合计,300\n"
    report = importer.import_file(store, write(tmp_path, "t.csv", text.encode("gbk")))
    assert report.total == 2 and report.companies_created == 2
    assert store.scalar("SELECT count(*) FROM companies WHERE name = '合计'") == 0
