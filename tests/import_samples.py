"""Import sample files written byte for byte the way the real programs write them (see
shared reference "real-world formats"): Android/Samsung/Xiaomi vCard 2.1 with QP soft
breaks inside UTF-8 characters, Outlook's gb2312-labelled GBK vCard, iPhone 3.0, vCard 4.0,
a streaming-writer XLSX with <dimension ref="A1"/> and formula cells, a BIFF8 .xls (xlwt),
an ODS, 企查查 / 天眼查 exports, Outlook (en/zh) and Google Contacts CSV, and an office sheet
with a title row and a two-level merged header. Used by tests/test_import_*.py and bench/."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

# -- vCard ---------------------------------------------------------------------------------


def qp_android(text: str, charset: str = "utf-8", every: int = 23) -> str:
    """Quoted-printable as the AOSP exporter writes it: every byte as =XX, a soft line
    break ('=' CRLF) after ``every`` bytes — 23 is not a multiple of 3, so the breaks fall
    inside UTF-8 characters."""
    data = text.encode(charset)
    chunks = ["".join(f"={b:02X}" for b in data[i : i + every]) for i in range(0, len(data), every)]
    return "=\r\n".join(chunks)


def android_card(
    name: str, family: str, given: str, org: str, title: str, phones, email: str, note: str
) -> str:
    qp = "CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE"
    lines = [
        "BEGIN:VCARD",
        "VERSION:2.1",
        f"N;{qp}:{qp_android(family)};{qp_android(given)};;;",
        f"FN;{qp}:{qp_android(name)}",
        f"ORG;{qp}:{qp_android(org)}",  # commas not escaped: "Co., Ltd."
        f"TITLE;{qp}:{qp_android(title)}",
    ]
    for kind, number in phones:
        lines.append(f"TEL;{kind}:{number}")
    lines += [
        f"EMAIL;WORK:{email}",
        f"NOTE;{qp}:{qp_android(note)}",
        "X-QQ:12345678",
        "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQE",
        " BQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkF",
        " BQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAAR",
        "",
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


def android_vcf() -> bytes:
    """Samsung One UI / MIUI export: 2.1, QP UTF-8, unescaped commas, folded PHOTO."""
    cards = android_card(
        "张伟明（云南铝业采购部）",
        "张",
        "伟明",
        "云南铝业股份有限公司",
        "副总经理，分管铝箔",
        [("CELL", "139-1111-2222"), ("WORK", "0871-63123456-8001")],
        "zhangwm@example.com",
        "Q3重点跟进：铝箔与光伏项目，关注铝箔",  # 2 ASCII bytes: a break between characters
    )
    cards += android_card(
        "Lisa Li, PhD",
        "Li",
        "Lisa",
        "Acme Trading Co., Ltd.",
        "Director, Marketing",
        [("CELL", "+852 9123 4567")],
        "lisa@example.com",
        "香港分公司，英文沟通",
    )
    # MIUI: a short ASCII-only card is written without QP; commas stay unescaped.
    cards += (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Wang;Xiaoer;;;\r\nFN:Xiaoer Wang\r\n"
        "ORG:Kunming Coffee Co., Ltd.\r\nTEL;CELL:13700137000\r\nEND:VCARD\r\n"
    )
    return cards.encode("ascii")


def outlook_vcf() -> bytes:
    """Outlook zh-CN "另存为 vCard": 2.1, CHARSET=gb2312 over cp936 bytes (珺 is not in
    GB2312), QP NOTE with =0D=0A and soft breaks, X-MS-OL-DESIGN in UTF-8."""
    note = qp_android("第一行：珺瑶项目\r\n第二行：考察时间待定", "gbk", 25)
    text_lines = [
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N;LANGUAGE=zh-cn;CHARSET=gb2312:王;珺",
        "FN;CHARSET=gb2312:王珺",
        "ORG;CHARSET=gb2312:昆明珺瑶贸易有限公司",
        "TITLE;CHARSET=gb2312:总经理",
        "TEL;WORK;VOICE:010-85226688转8001",
        "TEL;CELL;VOICE:13911113333",
        "EMAIL;PREF;INTERNET:wangjun@example.cn",
    ]
    data = "\r\n".join(text_lines).encode("gbk") + b"\r\n"
    data += b"NOTE;CHARSET=gb2312;ENCODING=QUOTED-PRINTABLE:" + note.encode("ascii") + b"\r\n"
    data += 'X-MS-OL-DESIGN;CHARSET=utf-8:<card xmlns="http://schemas.microsoft.com/office/outlook/12/electronicbusinesscards"><head>王珺</head></card>\r\n'.encode()
    data += b"REV:20261101T080000Z\r\nEND:VCARD\r\n"
    return data


def iphone_vcf() -> bytes:
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 18.1//EN\r\n"
        "N:李;娜;;;\r\nFN:李娜\r\nORG:云南白药集团股份有限公司;\r\nTITLE:副总裁\\, 市场部\r\n"
        "item1.TEL;type=pref:+86 138 0013 8000\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\n"
        "item2.TEL:010-85226688转8002\r\nitem2.X-ABLabel:工作\r\n"
        "IMPP;X-SERVICE-TYPE=WeChat;type=pref:x-apple:lina_wx\r\n"
        "NOTE:第一行\\n第二行\\, 含逗号\r\n"
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgF\r\n"
        " BQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUE\r\n"
        "END:VCARD\r\n"
    ).encode()


def vcard4() -> bytes:
    return (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:赵敏\r\nN:赵;敏;;;\r\nORG:北京数字经济研究院\r\n"
        'TEL;VALUE=uri;TYPE="cell,voice":tel:+86-139-1111-4444\r\n'
        'TEL;VALUE=uri;TYPE="work,voice":tel:+86-10-85226688;ext=8001\r\n'
        "EMAIL;TYPE=work:zhaomin@example.org\r\nX-WECHAT:zhaomin_wx\r\nEND:VCARD\r\n"
    ).encode()


# -- spreadsheets --------------------------------------------------------------------------
def _col(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def streaming_xlsx(path: Path, rows: list[list], formulas: dict | None = None) -> Path:
    """An XLSX as Apache POI SXSSF writes it: inline strings, <dimension ref="A1"/>
    whatever the size, formula cells with their cached value. ``formulas`` maps (row, col)
    → formula text; the cell's value in ``rows`` is the cached result."""
    formulas = formulas or {}
    out = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_col(c)}{r}"
            formula = formulas.get((r, c))
            f = f"<f>{escape(formula)}</f>" if formula else ""
            if value is None:
                continue
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}">{f}<v>{value}</v></c>')
            elif formula:
                cells.append(f'<c r="{ref}" t="str">{f}<v>{escape(value)}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15.0"/><sheetData>'
        + "".join(out)
        + '</sheetData><pageMargins bottom="0.75" footer="0.3" header="0.3" left="0.7" right="0.7" top="0.75"/></worksheet>'
    )
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="false"/><bookViews><workbookView activeTab="0"/></bookViews><sheets><sheet name="客商" r:id="rId3" sheetId="1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def ods(path: Path, rows: list[list]) -> Path:
    """A LibreOffice Calc .ods: mimetype stored first, numbers as office:value-type float."""
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None or value == "":
                cells.append("<table:table-cell/>")
            elif isinstance(value, (int, float)):
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
                )
            else:
                cells.append(
                    f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'
                )
        body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        '<office:body><office:spreadsheet><table:table table:name="客商">'
        + "".join(body)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def xls_with_title(path: Path) -> Path:
    """A BIFF8 .xls (as WPS/Excel 2003 save it) with a merged title row, phones as doubles."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    ws.write_merge(0, 0, 0, 5, "2024年重点客商名录（WPS）")
    for c, h in enumerate(
        ["企业名称", "统一社会信用代码", "所属行业", "联系人", "手机", "营收（万元）"]
    ):
        ws.write(1, c, h)
    data = [
        ["云南咖啡贸易有限公司", "91530100MA6K7W3X1J", "咖啡", "杨春", 13911115555.0, 800.0],
        ["昆明光伏科技有限公司", "", "光伏制造业", "周强", 13911116666.0, 12000.0],
    ]
    for r, row in enumerate(data, 2):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.save(str(path))
    return path


def office_sheet(path: Path) -> Path:
    """An office's own sheet: merged title row, two-level merged header (企业信息 /
    联系人信息), a vertically merged 序号, phones as doubles, USCC as text."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "重点客商"
    ws["A1"] = "2024年重点客商名录"
    ws.merge_cells("A1:K1")
    ws["A2"] = "序号"
    ws.merge_cells("A2:A3")
    ws["B2"] = "企业信息"
    ws.merge_cells("B2:F2")
    ws["G2"] = "联系人信息"
    ws.merge_cells("G2:K2")
    for c, h in enumerate(
        [
            "名称",
            "统一社会信用代码",
            "所属行业",
            "所在省份",
            "备注",
            "姓名",
            "职务",
            "手机",
            "座机",
            "备注",
        ],
        2,
    ):
        ws.cell(3, c, h)
    rows = [
        [
            1,
            "华为技术有限公司",
            "914403001922038216",
            "数字经济",
            "广东省",
            "龙头企业",
            "张伟",
            "总经理",
            13800138000.0,
            "0755-28780808-8001",
            "喜欢喝茶",
        ],
        [
            2,
            "云南咖啡贸易有限公司",
            "",
            "咖啡、I02-04",
            "云南省",
            "",
            "欧阳娜娜",
            "董事长",
            13900139000.0,
            "",
            "",
        ],
        [
            3,
            "隆基绿能科技股份有限公司",
            "",
            "光伏制造业",
            "陕西省",
            "",
            "李振国",
            "",
            1.3911112222e10,
            "",
            "",
        ],
    ]
    for r, row in enumerate(rows, 4):
        for c, v in enumerate(row, 1):
            ws.cell(r, c, v)
    wb.save(path)
    return path


QCC_HEADERS = [
    "企业名称", "登记状态", "法定代表人", "注册资本", "实缴资本", "成立日期", "核准日期",
    "营业期限", "所属省份", "所属城市", "所属区县", "电话", "更多电话", "邮箱", "更多邮箱",
    "统一社会信用代码", "纳税人识别号", "注册号", "组织机构代码", "参保人数",
    "企业(机构)类型", "国标行业门类", "国标行业大类", "所属行业", "曾用名", "英文名", "官网",
    "企业地址", "最新年报地址", "经营范围", "登记机关", "纳税人资质",
]  # fmt: skip


def qichacha_xlsx(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企查查"
    ws["A1"] = (
        "声明：本表数据来源于企查查（www.qcc.com），基于公开信息整理，仅供参考。"
        "导出时间：2026-11-20 10:21:33"
    )
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(QCC_HEADERS))
    ws.append(QCC_HEADERS)
    rows = [
        {
            "企业名称": "云南铝业股份有限公司", "登记状态": "存续", "法定代表人": "冀树军",
            "注册资本": "346,767.2404万元人民币", "实缴资本": "-", "成立日期": "1998-03-20",
            "所属省份": "云南省", "所属城市": "昆明市", "电话": "0871-67455268",
            "更多电话": "0871-67455269；13911117777", "邮箱": "ylgf@ylgf.example",
            "统一社会信用代码": "91530000216556146T", "参保人数": "5623",
            "企业(机构)类型": "其他股份有限公司(上市)", "国标行业门类": "制造业",
            "所属行业": "有色金属冶炼和压延加工业", "官网": "www.ylgf.example",
            "企业地址": "云南省昆明市呈贡区七甸街道", "经营范围": "重有色金属冶炼……",
        },
        {
            "企业名称": "曲靖隆基硅材料有限公司", "登记状态": "存续", "法定代表人": "李振国",
            "注册资本": "5000万元人民币", "成立日期": "2016-05-11", "所属省份": "云南省",
            "所属城市": "曲靖市", "电话": "-", "邮箱": "-", "统一社会信用代码": "91530300MA6K5A7F2N",
            "参保人数": "-", "企业(机构)类型": "有限责任公司(非自然人投资或控股的法人独资)",
            "国标行业门类": "制造业", "所属行业": "光伏制造业", "企业地址": "云南省曲靖市经开区",
        },
    ]  # fmt: skip
    for row in rows:
        ws.append([row.get(h, "-") for h in QCC_HEADERS])
    ws.append(["数据来源：企查查"])
    wb.save(path)
    return path


TYC_HEADERS = [
    "公司名称", "经营状态", "法定代表人", "注册资本", "实缴资本", "成立日期", "核准日期",
    "统一社会信用代码", "纳税人识别号", "注册号", "组织机构代码", "公司类型", "行业", "营业期限",
    "登记机关", "省份", "城市", "区县", "电话", "更多电话", "邮箱", "更多邮箱", "参保人数",
    "曾用名", "英文名称", "注册地址", "网址", "经营范围",
]  # fmt: skip


def tianyancha_xlsx(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "天眼查 TianYanCha.com ｜ 数据仅供参考 ｜ 水印：zsapp-test"
    ws.append(TYC_HEADERS)
    row = {
        "公司名称": "云南白药集团股份有限公司", "经营状态": "存续", "法定代表人": "董明",
        "注册资本": "178,417.9599万人民币", "成立日期": "1993-11-30",
        "统一社会信用代码": "91530000216520224M", "公司类型": "股份有限公司(上市、国有控股)",
        "行业": "医药制造业", "省份": "云南省", "城市": "昆明市", "电话": "0871-66226008",
        "邮箱": "ynby@example.com", "参保人数": "8211", "注册地址": "云南省昆明市呈贡区",
        "网址": "www.yunnanbaiyao.example",
    }  # fmt: skip
    ws.append([row.get(h, "-") for h in TYC_HEADERS])
    wb.save(path)
    return path


OUTLOOK_EN_HEADERS = [
    "Title",
    "First Name",
    "Middle Name",
    "Last Name",
    "Suffix",
    "Company",
    "Department",
    "Job Title",
    "Business Street",
    "Business Street 2",
    "Business Street 3",
    "Business City",
    "Business State",
    "Business Postal Code",
    "Business Country/Region",
    "Home Street",
    "Home Street 2",
    "Home Street 3",
    "Home City",
    "Home State",
    "Home Postal Code",
    "Home Country/Region",
    "Other Street",
    "Other Street 2",
    "Other Street 3",
    "Other City",
    "Other State",
    "Other Postal Code",
    "Other Country/Region",
    "Assistant's Phone",
    "Business Fax",
    "Business Phone",
    "Business Phone 2",
    "Callback",
    "Car Phone",
    "Company Main Phone",
    "Home Fax",
    "Home Phone",
    "Home Phone 2",
    "ISDN",
    "Mobile Phone",
    "Other Fax",
    "Other Phone",
    "Pager",
    "Primary Phone",
    "Radio Phone",
    "TTY/TDD Phone",
    "Telex",
    "Account",
    "Anniversary",
    "Assistant's Name",
    "Billing Information",
    "Birthday",
    "Business Address PO Box",
    "Categories",
    "Children",
    "Directory Server",
    "E-mail Address",
    "E-mail Type",
    "E-mail Display Name",
    "E-mail 2 Address",
    "E-mail 2 Type",
    "E-mail 2 Display Name",
    "E-mail 3 Address",
    "E-mail 3 Type",
    "E-mail 3 Display Name",
    "Gender",
    "Government ID Number",
    "Hobby",
    "Home Address PO Box",
    "Initials",
    "Internet Free Busy",
    "Keywords",
    "Language",
    "Location",
    "Manager's Name",
    "Mileage",
    "Notes",
    "Office Location",
    "Organizational ID Number",
    "Other Address PO Box",
    "Priority",
    "Private",
    "Profession",
    "Referred By",
    "Sensitivity",
    "Spouse",
    "User 1",
    "User 2",
    "User 3",
    "User 4",
    "Web Page",
]
OUTLOOK_ZH_HEADERS = [
    "称谓",
    "名",
    "中间名",
    "姓",
    "后缀",
    "单位",
    "部门",
    "职务",
    "商务地址 街道",
    "商务地址 街道 2",
    "商务地址 街道 3",
    "商务地址 市/县",
    "商务地址 省/市/自治区",
    "商务地址 邮政编码",
    "商务地址 国家/地区",
    "住宅地址 街道",
    "住宅地址 市/县",
    "住宅地址 省/市/自治区",
    "住宅地址 邮政编码",
    "住宅地址 国家/地区",
    "助理的电话",
    "商务传真",
    "商务电话",
    "商务电话 2",
    "回电话",
    "车载电话",
    "公司代表线路",
    "住宅传真",
    "住宅电话",
    "住宅电话 2",
    "ISDN",
    "移动电话",
    "其他传真",
    "其他电话",
    "寻呼机",
    "主要电话",
    "无线电话",
    "TTY/TDD 电话",
    "电报",
    "帐户",
    "纪念日",
    "助理的姓名",
    "记帐信息",
    "生日",
    "商务地址邮箱",
    "类别",
    "子女",
    "目录服务器",
    "电子邮件地址",
    "电子邮件类型",
    "电子邮件显示名称",
    "电子邮件 2 地址",
    "电子邮件 2 类型",
    "电子邮件 2 显示名称",
    "电子邮件 3 地址",
    "电子邮件 3 类型",
    "电子邮件 3 显示名称",
    "性别",
    "政府 ID 号",
    "爱好",
    "住宅地址邮箱",
    "缩写",
    "Internet 忙闲",
    "关键词",
    "语言",
    "位置",
    "经理姓名",
    "里程",
    "备注",
    "办公地点",
    "组织 ID 号",
    "其他地址邮箱",
    "优先级",
    "私有",
    "职业",
    "推荐人",
    "敏感度",
    "配偶",
    "用户 1",
    "用户 2",
    "用户 3",
    "用户 4",
    "网页",
]


def _quoted_csv(headers: list[str], rows: list[dict], encoding: str) -> bytes:
    lines = [",".join(f'"{h}"' for h in headers)]
    for row in rows:
        lines.append(",".join(f'"{row.get(h, "")}"' for h in headers))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def outlook_en_csv() -> bytes:
    """Outlook desktop (English UI on Chinese Windows): every field quoted, cp936, CRLF."""
    rows = [
        {
            "Title": "Mr.", "First Name": "建国", "Last Name": "王",
            "Company": "中国铝业集团有限公司", "Department": "投资部", "Job Title": "总经理",
            "Business Phone": "010-85226688转8001", "Mobile Phone": "13911118888",
            "E-mail Address": "wjg@chalco.example", "E-mail Type": "SMTP",
            "E-mail Display Name": "王建国 (wjg@chalco.example)", "Manager's Name": "李总",
            "Notes": "2024年昆明洽谈会认识", "Private": "False", "Sensitivity": "Normal",
            "Priority": "Normal", "Gender": "Unspecified", "Initials": "W.J.",
        },
        {
            "Title": "Ms.", "First Name": "Mary", "Last Name": "Chan",
            "Company": "Hong Kong Logistics Ltd.", "Job Title": "CEO",
            "Mobile Phone": "(852) 9123 4568", "Business Phone": "+852 2123 4567 ext. 8001",
            "E-mail Address": "mary@hklog.example", "Private": "False",
        },
    ]  # fmt: skip
    return _quoted_csv(OUTLOOK_EN_HEADERS, rows, "gbk")


def outlook_zh_csv() -> bytes:
    rows = [
        {
            "称谓": "先生", "名": "建华", "姓": "欧阳", "单位": "云南能源投资集团有限公司",
            "部门": "战略部", "职务": "副总经理", "商务电话": "0871-63123456-8001",
            "移动电话": "13911119999", "电子邮件地址": "oyjh@yneic.example",
            "电子邮件类型": "SMTP", "经理姓名": "段总", "备注": "关注绿色能源", "私有": "False",
        },
    ]  # fmt: skip
    return _quoted_csv(OUTLOOK_ZH_HEADERS, rows, "gbk")


GOOGLE_HEADERS = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
    "E-mail 1 - Label",
    "E-mail 1 - Value",
    "E-mail 2 - Label",
    "E-mail 2 - Value",
    "Phone 1 - Label",
    "Phone 1 - Value",
    "Phone 2 - Label",
    "Phone 2 - Value",
    "Address 1 - Label",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Website 1 - Label",
    "Website 1 - Value",
]
GOOGLE_OLD_HEADERS = [
    "Name",
    "Given Name",
    "Additional Name",
    "Family Name",
    "Yomi Name",
    "Given Name Yomi",
    "Additional Name Yomi",
    "Family Name Yomi",
    "Name Prefix",
    "Name Suffix",
    "Initials",
    "Nickname",
    "Short Name",
    "Maiden Name",
    "Birthday",
    "Gender",
    "Location",
    "Billing Information",
    "Directory Server",
    "Mileage",
    "Occupation",
    "Hobby",
    "Sensitivity",
    "Priority",
    "Subject",
    "Notes",
    "Language",
    "Photo",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Phone 2 - Type",
    "Phone 2 - Value",
    "Organization 1 - Type",
    "Organization 1 - Name",
    "Organization 1 - Yomi Name",
    "Organization 1 - Title",
    "Organization 1 - Department",
]


def google_csv() -> bytes:
    """Google Contacts "Google CSV" (2024+ headers): UTF-8 without BOM, LF, label/value pairs,
    several values in one cell joined with " ::: "."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(GOOGLE_HEADERS)
    row = dict.fromkeys(GOOGLE_HEADERS, "")
    row.update(
        {
            "First Name": "明", "Last Name": "孙", "Phonetic First Name": "Ming",
            "Phonetic Last Name": "Sun", "Organization Name": "腾讯科技（深圳）有限公司",
            "Organization Title": "投资总监", "Notes": "微信群认识", "Labels": "* myContacts ::: 客商",
            "E-mail 1 - Label": "* Work", "E-mail 1 - Value": "sunming@tencent.example",
            "E-mail 2 - Label": "Home", "E-mail 2 - Value": "sunming@qq.example",
            "Phone 1 - Label": "Mobile", "Phone 1 - Value": "+86 139 1111 0001 ::: +86 139 1111 0002",
            "Phone 2 - Label": "Work", "Phone 2 - Value": "0755-86013388",
        }
    )  # fmt: skip
    w.writerow([row[h] for h in GOOGLE_HEADERS])
    return buf.getvalue().encode("utf-8")


def google_old_csv() -> bytes:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(GOOGLE_OLD_HEADERS)
    row = dict.fromkeys(GOOGLE_OLD_HEADERS, "")
    row.update(
        {
            "Name": "周杰", "Given Name": "杰", "Family Name": "周",
            "Group Membership": "* My Contacts", "E-mail 1 - Type": "* Work",
            "E-mail 1 - Value": "zhoujie@example.com", "Phone 1 - Type": "Mobile",
            "Phone 1 - Value": "13911110003", "Organization 1 - Name": "四川长虹电器股份有限公司",
            "Organization 1 - Title": "副总裁",
        }
    )  # fmt: skip
    w.writerow([row[h] for h in GOOGLE_OLD_HEADERS])
    return buf.getvalue().encode("utf-8")


def zip_bomb_xlsx(path: Path, inflated_mb: int = 400) -> Path:
    """A ~1–2 MB .xlsx whose sheet XML inflates to ``inflated_mb`` MB."""
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<worksheet><dimension ref="A1"/><sheetData>')
            chunk = row.encode()
            for _ in range(inflated_mb * 1024 * 1024 // len(chunk)):
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    return path
