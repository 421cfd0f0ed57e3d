"""Which row is the header, which program wrote the file, and which column is which field.

* Header detection scores the first rows against the known column names of every source and
  takes the best row, so a title row ("2024年重点客商名录"), a 企查查 declaration row or a
  天眼查 watermark row above the header is skipped; a two-level merged header (企业信息 /
  联系人信息 over the real names) is combined column by column.
* Columns map by **exact** name (after NFKC, case and space folding) or alias, from one alias
  table per source — never by substring, so "经理姓名" is not 联系人 and "E-mail 1 - Label"
  is not an e-mail.
* A mapping the user confirmed is remembered per header layout (settings key by header
  signature), so the next file from the same source maps itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from zsapp.contacts import companies as companies_mod
from zsapp.contacts import people as people_mod

# -- targets -------------------------------------------------------------------------------
TARGETS: dict[str, str] = {
    **{f"company.{f}": companies_mod.LABELS[f] for f in companies_mod.FIELDS},
    "company.items": "行业（目录条目编号）",
    "company.industry": "所属行业（目录条目/产业/名称，可不在目录中）",
    "company.extra": "企业备注（附列名，如 注册资本）",
    "company.id": "企业编号（本软件导出）",
    **{
        f"person.{f}": "联系人" + people_mod.LABELS[f]
        for f in people_mod.FIELDS
        if f != "company_id"
    },
}
TARGETS.update(
    {
        "company.notes": "企业备注",
        "company.tags": "企业标签",
        "person.name": "联系人",
        "person.family": "联系人姓（Last Name）",
        "person.given": "联系人名（First Name）",
        "person.phone": "联系人电话（自动区分手机/座机）",
        "person.legal_rep": "法定代表人（作为企业联系人）",
        "person.extra": "联系人备注（附列名）",
        "person.id": "联系人编号（本软件导出）",
    }
)
# Targets several columns may feed (values are combined); others take the first column.
MULTI = {
    "company.items",
    "company.industry",
    "company.extra",
    "company.tags",
    "company.notes",
    "person.phone",
    "person.mobile",
    "person.landline",
    "person.email",
    "person.extra",
    "person.tags",
    "person.notes",
}

VISIT_TARGETS = {
    "visit.visited_at": "拜访时间",
    "visit.kind": "方式",
    "visit.city": "城市",
    "visit.place": "地点",
    "visit.companies": "企业",
    "visit.people": "对方人员",
    "visit.our_participants": "我方人员",
    "visit.outcome": "意向程度",
    "visit.notes": "纪要",
    "visit.followups": "跟进事项",
    "visit.id": "编号",
}

# -- alias tables, one per source ----------------------------------------------------------
GENERIC: dict[str, list[str]] = {
    "company.name": [
        "企业名称",
        "公司名称",
        "企业",
        "公司",
        "单位名称",
        "单位",
        "名称",
        "客商名称",
        "客商",
        "客商企业",
        "机构名称",
        "企业全称",
        "公司全称",
        "company",
        "companyname",
        "organization",
    ],
    "company.short_name": ["简称", "企业简称", "公司简称", "shortname"],
    "company.uscc": ["统一社会信用代码", "信用代码", "社会信用代码", "uscc", "统一代码"],
    "company.registered_location": [
        "注册地",
        "注册地址",
        "地址",
        "企业地址",
        "公司地址",
        "通讯地址",
    ],
    "company.origin_province": [
        "来源省份",
        "省份",
        "所在省",
        "省",
        "来源省",
        "所属省份",
        "所在省份",
    ],
    "company.origin_city": ["来源城市", "城市", "所在城市", "所在市", "市", "所属城市", "所属地市"],
    "company.region_tag": ["区域", "来源区域", "区域标签"],
    "company.country": ["国家/地区", "国家", "国别", "country"],
    "company.ownership": ["所有制", "企业性质", "性质", "所有制性质", "经济类型"],
    "company.is_fortune500": ["世界500强", "是否世界500强"],
    "company.is_china500": ["中国500强", "是否中国500强"],
    "company.is_specialized_giant": [
        "专精特新小巨人",
        "专精特新“小巨人”",
        '专精特新"小巨人"',
        "小巨人",
        "专精特新",
    ],
    "company.is_single_champion": ["制造业单项冠军", "单项冠军"],
    "company.is_listed": ["上市", "是否上市"],
    "company.listing_board": ["上市板块", "板块"],
    "company.listing_code": ["股票代码", "证券代码"],
    "company.revenue_wan": [
        "营收（万元）",
        "营收",
        "营业收入",
        "营业收入（万元）",
        "年营收",
        "年营业收入",
        "营收(万元)",
    ],
    "company.employees": ["员工人数", "员工", "员工数", "人数", "职工人数", "参保人数"],
    "company.website": ["网址", "官网", "网站", "website", "企业官网"],
    "company.notes": ["企业备注", "备注", "notes"],
    "company.tags": ["企业标签", "标签", "tags"],
    "company.is_dishonest": ["失信", "是否失信", "失信被执行"],
    "company.dishonest_date": ["列入失信日期", "失信日期"],
    "company.dishonest_source": ["失信信息来源", "失信来源"],
    "company.items": ["行业（目录条目编号）", "目录条目", "目录条目编号"],
    "company.industry": [
        "行业",
        "所属行业",
        "产业",
        "所属产业",
        "重点产业",
        "产业领域",
        "行业领域",
    ],
    "company.extra": ["注册资本", "成立日期", "登记状态", "经营状态"],
    "company.id": [],
    "person.name": ["联系人", "联系人姓名", "姓名", "name", "fullname"],
    "person.legal_rep": ["法定代表人", "法人", "法人代表", "法定代表人姓名"],
    "person.title": ["联系人职务", "职务", "职位", "title", "jobtitle"],
    "person.mobile": ["联系人手机", "手机", "手机号", "手机号码", "移动电话", "mobile", "cell"],
    "person.landline": ["联系人座机", "座机", "固定电话", "办公电话", "座机电话"],
    "person.phone": ["电话", "联系电话", "电话号码", "联系人电话", "phone", "tel"],
    "person.email": ["联系人邮箱", "邮箱", "电子邮箱", "电子邮件", "email", "e-mail"],
    "person.wechat": ["联系人微信", "微信", "微信号", "wechat"],
    "person.notes": ["联系人备注"],
    "person.tags": ["联系人标签"],
    "person.extra": ["QQ", "QQ号", "传真", "部门", "联系人部门"],
}

# 企查查 export: row 1 is a merged declaration, the header is row 2, "-" means empty.
QICHACHA: dict[str, list[str]] = {
    "company.name": ["企业名称"],
    "company.uscc": ["统一社会信用代码"],
    "person.legal_rep": ["法定代表人"],
    "company.extra": [
        "登记状态",
        "注册资本",
        "实缴资本",
        "成立日期",
        "企业(机构)类型",
        "企业类型",
        "国标行业门类",
        "国标行业大类",
        "国标行业中类",
        "国标行业小类",
        "企查查行业门类",
        "企查查行业大类",
        "企查查行业中类",
        "企业状态",
        "纳税人识别号",
        "注册号",
        "组织机构代码",
        "营业期限",
        "登记机关",
        "核准日期",
        "曾用名",
        "英文名",
        "纳税人资质",
        "人员规模",
    ],
    "company.industry": ["所属行业"],
    "company.origin_province": ["所属省份"],
    "company.origin_city": ["所属城市"],
    "person.phone": ["电话", "更多电话"],
    "person.email": ["邮箱", "更多邮箱"],
    "company.registered_location": ["地址", "注册地址", "企业地址"],
    "company.website": ["网址", "官网"],
    "company.employees": ["参保人数"],
}

# 天眼查 export: a title/watermark row 1, header row 2.
TIANYANCHA: dict[str, list[str]] = {
    "company.name": ["公司名称", "企业名称"],
    "company.uscc": ["统一社会信用代码"],
    "person.legal_rep": ["法定代表人"],
    "company.extra": [
        "经营状态",
        "登记状态",
        "注册资本",
        "实缴资本",
        "成立日期",
        "公司类型",
        "企业类型",
        "纳税人识别号",
        "注册号",
        "组织机构代码",
        "营业期限",
        "登记机关",
        "核准日期",
        "曾用名",
        "英文名称",
        "人员规模",
    ],
    "company.industry": ["行业", "所属行业", "国标行业"],
    "company.origin_province": ["省份", "所属省份"],
    "company.origin_city": ["城市", "所属城市"],
    "person.phone": ["电话", "更多电话", "联系电话", "其他电话"],
    "person.email": ["邮箱", "更多邮箱", "其他邮箱"],
    "company.registered_location": ["注册地址", "地址"],
    "company.website": ["网址", "官网"],
    "company.employees": ["参保人数"],
}

# Outlook desktop "逗号分隔值" export, English UI. "Title" is the salutation (Mr./Ms.).
OUTLOOK_EN: dict[str, list[str]] = {
    "person.given": ["First Name"],
    "person.family": ["Last Name"],
    "person.title": ["Job Title"],
    "company.name": ["Company"],
    "person.extra": ["Department", "Nickname"],
    "person.landline": ["Business Phone", "Business Phone 2", "Company Main Phone"],
    "person.mobile": ["Mobile Phone"],
    "person.phone": ["Home Phone", "Home Phone 2", "Other Phone", "Primary Phone", "Car Phone"],
    "person.email": ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"],
    "person.notes": ["Notes"],
    "company.website": ["Web Page"],
}

# Outlook, Chinese UI. 称谓 is the salutation; 经理姓名 / 助理的姓名 are other people.
OUTLOOK_ZH: dict[str, list[str]] = {
    "person.given": ["名"],
    "person.family": ["姓"],
    "person.title": ["职务"],
    "company.name": ["单位"],
    "person.extra": ["部门", "昵称"],
    "person.landline": ["商务电话", "商务电话 2", "公司代表线路"],
    "person.mobile": ["移动电话"],
    "person.phone": ["住宅电话", "住宅电话 2", "其他电话", "主要电话", "车载电话"],
    "person.email": ["电子邮件地址", "电子邮件 2 地址", "电子邮件 3 地址"],
    "person.notes": ["备注"],
    "company.website": ["网页"],
}

# Google Contacts "Google CSV" (old and new header sets). "… - Label"/"… - Type" columns
# are labels, not values.
GOOGLE: dict[str, list[str]] = {
    "person.name": ["Name"],
    "person.given": ["Given Name", "First Name"],
    "person.family": ["Family Name", "Last Name"],
    "company.name": ["Organization 1 - Name", "Organization Name"],
    "person.title": ["Organization 1 - Title", "Organization Title"],
    "person.extra": ["Organization 1 - Department", "Organization Department", "Nickname"],
    "person.email": [f"E-mail {n} - Value" for n in range(1, 6)],
    "person.phone": [f"Phone {n} - Value" for n in range(1, 8)],
    "person.notes": ["Notes"],
    "company.website": ["Website 1 - Value"],
}

SOURCES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "generic": ("Excel/WPS 表格（中文表头）", GENERIC),
    "qichacha": ("企查查导出", QICHACHA),
    "tianyancha": ("天眼查导出", TIANYANCHA),
    "outlook_en": ("Outlook 联系人（英文界面）", OUTLOOK_EN),
    "outlook_zh": ("Outlook 联系人（中文界面）", OUTLOOK_ZH),
    "google": ("Google 通讯录", GOOGLE),
}
# Sources whose tables are complete: unknown columns stay unmapped (no generic fallback).
_CLOSED = {"outlook_en", "outlook_zh", "google"}
# Columns that identify a source even when few of its other columns are present.
_MARKERS = {
    "qichacha": {"登记状态", "企业(机构)类型", "国标行业门类", "企查查行业门类"},
    "tianyancha": {"经营状态", "公司类型", "公司名称"},
    "outlook_en": {"first name", "last name", "job title", "business phone", "e-mail address"},
    "outlook_zh": {"电子邮件地址", "商务电话", "移动电话", "经理姓名", "单位"},
    "google": {"e-mail 1 - value", "phone 1 - value", "given name", "organization 1 - name"},
}


def header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    return re.sub(r"[\s_*:：]", "", text)


def _index(table: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for target, aliases in table.items():
        for alias in aliases:
            out.setdefault(header_key(alias), target)
    return out


_INDEXES = {name: _index(table) for name, (_, table) in SOURCES.items()}
for _target, _label in TARGETS.items():
    _INDEXES["generic"].setdefault(header_key(_label), _target)
_MARKER_KEYS = {name: {header_key(m) for m in marks} for name, marks in _MARKERS.items()}
_ALL_KEYS = set().union(*_INDEXES.values())


def lookup(header: str, source: str) -> str | None:
    key = header_key(header)
    if not key:
        return None
    target = _INDEXES[source].get(key)
    if target is None and source not in _CLOSED:
        target = _INDEXES["generic"].get(key)
        if target is None:  # "营收（亿元）" style: the name without a bracketed unit
            bare = re.sub(r"\(.*?\)", "", key)
            if bare != key:
                target = _INDEXES[source].get(bare) or _INDEXES["generic"].get(bare)
    return target


def known(header: str) -> bool:
    key = header_key(header)
    return bool(key) and (key in _ALL_KEYS or re.sub(r"\(.*?\)", "", key) in _ALL_KEYS)


def detect_source(headers: list[str]) -> str:
    """The source whose alias table (plus its marker columns) fits the headers best."""
    keys = {header_key(h) for h in headers if h}
    best, best_score = "generic", 0.0
    for name in SOURCES:
        score = float(len(keys & set(_INDEXES[name])))
        score += 2 * len(keys & _MARKER_KEYS.get(name, set()))
        if name == "generic":
            score += 0.5  # ties go to the plain Chinese table
        if score > best_score:
            best, best_score = name, score
    return best


def auto_mapping(headers: list[str], source: str | None = None) -> dict[int, str]:
    """Column index → target by exact name or alias of the (detected) source."""
    source = source or detect_source(headers)
    if source not in SOURCES:
        raise KeyError(source)
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for n, header in enumerate(headers):
        target = lookup(header, source)
        if target and (target in MULTI or target not in used):
            mapping[n] = target
            used.add(target)
    return mapping


# -- header detection ----------------------------------------------------------------------
_GROUP_SUFFIX = re.compile(r"(信息|资料|情况|概况)$")
_FOOTER = re.compile(r"数据来源|企查查|天眼查|启信宝|仅供参考|导出时间|免责|声明|制表")


@dataclass
class Header:
    row: int  # index into the grid's rows of the (lower) header row
    line: int  # its row number in the file
    headers: list[str]
    upper: list[str] = field(default_factory=list)  # the group row of a two-level header
    skipped: list[tuple[int, str]] = field(default_factory=list)  # rows above: (line, text)


def _score(cells: list[str]) -> int:
    return sum(1 for c in cells if known(c))


def _fill_groups(upper: list[str], lower: list[str], merged, upper_line: int) -> list[str]:
    width = max(len(upper), len(lower))
    out = list(upper) + [""] * (width - len(upper))
    spans = [(c0, c1) for r0, c0, r1, c1 in merged if r0 <= upper_line <= r1 and c1 > c0]
    for c0, c1 in spans:
        value = out[c0] if c0 < len(out) else ""
        for c in range(c0, min(c1 + 1, width)):
            out[c] = out[c] or value
    if not spans:  # no merge information: a group label covers the blanks to its right
        current = ""
        for c in range(width):
            if upper[c] if c < len(upper) else "":
                current = upper[c]
            elif current and c < len(lower) and lower[c]:
                out[c] = current
    return out


def combine(upper: list[str], lower: list[str], merged=(), upper_line: int = 0) -> list[str]:
    """One header per column from a two-level header: the lower name, qualified by its
    group when that makes a known name ("联系人信息" + "手机" → "联系人手机"), or the upper
    cell where the lower one is empty (merged vertically)."""
    groups = _fill_groups(upper, lower, merged, upper_line)
    out = []
    for c in range(max(len(groups), len(lower))):
        up = groups[c] if c < len(groups) else ""
        low = lower[c] if c < len(lower) else ""
        original_up = upper[c] if c < len(upper) else ""
        if not low:
            out.append(original_up)
            continue
        group = _GROUP_SUFFIX.sub("", up)
        candidates = [group + low, low] if group and group != low else [low]
        out.append(next((c2 for c2 in candidates if known(c2)), low))
    return out


def detect_header(rows: list[tuple[int, list[str]]], merged=(), limit: int = 20) -> Header:
    """The header among the first ``limit`` non-empty rows: the one (alone or combined with
    the group row above it) with the most known column names."""
    if not rows:
        return Header(0, 1, [])
    best: Header | None = None
    best_score = 0
    for i, (line, cells) in enumerate(rows[:limit]):
        score, headers, upper = _score(cells), list(cells), []
        if i > 0 and rows[i - 1][0] == line - 1:
            above = rows[i - 1][1]
            if sum(1 for c in above if c) >= 2 or any(r0 == line - 1 for r0, *_ in merged):
                joined = combine(above, cells, merged, line - 1)
                joined_score = _score(joined)
                # The group row counts when it makes more names known, or qualifies some
                # (two "备注" columns become 企业备注 and 联系人备注).
                if (
                    joined_score >= score
                    and joined != list(cells) + [""] * (len(joined) - len(cells))
                    and _score(above) < joined_score
                ):
                    score, headers, upper = joined_score, joined, list(above)
        non_empty = sum(1 for c in cells if c)
        needed = 1 if non_empty <= 2 else 2
        if score >= needed and score > best_score:
            best_score = score
            best = Header(i, line, headers, upper)
    if best is None:
        best = Header(0, rows[0][0], list(rows[0][1]))
    first_data = best.row - (1 if best.upper else 0)
    best.skipped = [(ln, " ".join(c for c in cells if c)) for ln, cells in rows[:first_data]]
    while best.headers and not best.headers[-1]:
        best.headers.pop()
    return best


_TOTALS = re.compile(r"^(合\s*计|总\s*计|小\s*计)[:：]?$")


def is_footer(cells: list[str], width: int) -> bool:
    """A row under the data that is not a record: a note ("数据来源：企查查 …", one cell
    filled in a wide table) or a 合计 / 小计 row."""
    filled = [c for c in cells if c]
    if filled and _TOTALS.match(filled[0]):
        return True
    return width >= 4 and len(filled) == 1 and bool(_FOOTER.search(filled[0]))


# -- remembered mappings -------------------------------------------------------------------
def signature(headers: list[str]) -> str:
    text = "\x1f".join(header_key(h) for h in headers)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def remembered_mapping(store, headers: list[str]) -> tuple[dict[int, str], str] | None:
    saved = store.get_setting(f"import.mapping.{signature(headers)}")
    if not saved:
        return None
    columns = saved.get("columns", {})
    mapping = {n: columns[h] for n, h in enumerate(headers) if columns.get(h) in TARGETS}
    return mapping, saved.get("source", "generic")


def remember_mapping(store, headers: list[str], mapping: dict[int, str], source: str) -> None:
    columns = {headers[n]: t for n, t in mapping.items() if n < len(headers) and headers[n]}
    store.set_setting(
        f"import.mapping.{signature(headers)}", {"source": source, "columns": columns}
    )
