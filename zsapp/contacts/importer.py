"""Import companies and their contact people from CSV (UTF-8 with/without BOM, GBK/GB18030,
UTF-16 — detected), XLSX and vCard 3.0/4.0.

Flow: :func:`read_source` → :func:`auto_mapping` (column → field, editable by the user) →
:func:`plan_import` (every row validated; bad rows reported with their line number and
reason) → :func:`apply_import` (one transaction: all-or-nothing unless ``only_good``).
Rows are matched to existing records (USCC, then exact name; people by mobile, e-mail or
name at the same company), so importing the same file again creates no duplicates.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zsapp.contacts import companies as companies_mod
from zsapp.contacts import people as people_mod
from zsapp.contacts.validation import ContactsError, normalise_phone
from zsapp.store import Store

# Import targets: "company.<field>", "company.items", "person.<field>".
TARGETS: dict[str, str] = {
    **{f"company.{f}": companies_mod.LABELS[f] for f in companies_mod.FIELDS},
    "company.items": "行业（目录条目编号）",
    **{
        f"person.{f}": "联系人" + people_mod.LABELS[f]
        for f in people_mod.FIELDS
        if f != "company_id"
    },
}
TARGETS["company.notes"] = "企业备注"
TARGETS["company.tags"] = "企业标签"
TARGETS["person.name"] = "联系人"

ALIASES: dict[str, list[str]] = {
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
        "company",
        "companyname",
        "organization",
        "org",
        "机构名称",
    ],
    "company.short_name": ["简称", "企业简称", "公司简称", "shortname"],
    "company.uscc": ["统一社会信用代码", "信用代码", "社会信用代码", "uscc", "统一代码"],
    "company.registered_location": ["注册地", "注册地址", "地址", "企业地址"],
    "company.origin_province": ["来源省份", "省份", "所在省", "省", "来源省"],
    "company.origin_city": ["来源城市", "城市", "所在城市", "所在市", "市"],
    "company.region_tag": ["区域", "来源区域", "区域标签"],
    "company.country": ["国家/地区", "国家", "国别", "country"],
    "company.ownership": ["所有制", "企业性质", "性质", "企业类型"],
    "company.is_fortune500": ["世界500强"],
    "company.is_china500": ["中国500强"],
    "company.is_specialized_giant": ["专精特新小巨人", "专精特新“小巨人”", "小巨人", "专精特新"],
    "company.is_single_champion": ["制造业单项冠军", "单项冠军"],
    "company.is_listed": ["上市", "是否上市"],
    "company.listing_board": ["上市板块", "板块"],
    "company.listing_code": ["股票代码", "证券代码"],
    "company.revenue_wan": ["营收（万元）", "营收", "营业收入", "营业收入（万元）", "年营收"],
    "company.employees": ["员工人数", "员工", "员工数", "人数", "职工人数"],
    "company.website": ["网址", "官网", "网站", "website"],
    "company.notes": ["企业备注", "备注", "notes"],
    "company.tags": ["企业标签", "标签", "tags"],
    "company.is_dishonest": ["失信", "是否失信", "失信被执行"],
    "company.dishonest_date": ["列入失信日期", "失信日期"],
    "company.dishonest_source": ["失信信息来源", "失信来源"],
    "company.items": ["行业（目录条目编号）", "行业", "目录条目", "产业"],
    "person.name": ["联系人", "联系人姓名", "姓名", "name", "fullname"],
    "person.title": ["联系人职务", "职务", "职位", "title"],
    "person.mobile": ["联系人手机", "手机", "手机号", "手机号码", "移动电话", "mobile", "cell"],
    "person.landline": ["联系人座机", "座机", "电话", "固定电话", "办公电话", "phone", "tel"],
    "person.email": ["联系人邮箱", "邮箱", "电子邮箱", "电子邮件", "email", "e-mail"],
    "person.wechat": ["联系人微信", "微信", "微信号", "wechat"],
    "person.notes": ["联系人备注"],
    "person.tags": ["联系人标签"],
}


class ImportRejected(ContactsError):
    """Nothing was imported because some rows are bad (all-or-nothing)."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class SourceTable:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    encoding: str = ""
    format: str = "csv"  # csv | xlsx | vcf


@dataclass
class RowPlan:
    line: int
    company: dict[str, Any] | None = None
    items: list[str] = field(default_factory=list)
    person: dict[str, Any] | None = None


@dataclass
class ImportReport:
    total: int = 0
    good: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    companies_created: int = 0
    companies_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    unchanged: int = 0
    written: bool = False
    encoding: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "good": self.good,
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
            "companies_created": self.companies_created,
            "companies_updated": self.companies_updated,
            "people_created": self.people_created,
            "people_updated": self.people_updated,
            "unchanged": self.unchanged,
            "written": self.written,
            "encoding": self.encoding,
        }

    def summary(self) -> str:
        text = (
            f"共 {self.total} 行，有效 {self.good} 行；企业新建 {self.companies_created}、更新 "
            f"{self.companies_updated}；联系人新建 {self.people_created}、更新 {self.people_updated}；"
            f"无变化 {self.unchanged}"
        )
        if self.errors:
            text += f"；错误 {len(self.errors)} 行"
        return text


# -- reading -------------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """Text and the detected encoding: BOMs first, then strict UTF-8, then GB18030 (GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ContactsError("文件以 UTF-16 标记开头，但内容不完整或已损坏") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ContactsError(
            "无法识别文件编码（支持 UTF-8、GBK/GB18030、UTF-16），请另存为 UTF-8 CSV 后重试"
        ) from exc


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return (
            value.isoformat()[:10]
            if getattr(value, "hour", 0) == 0 and getattr(value, "minute", 0) == 0
            else value.isoformat(timespec="minutes")
        )
    return str(value).strip()


def read_csv_text(text: str, encoding: str = "") -> SourceTable:
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    rows = []
    start = 1
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1  # a quoted cell may span several physical lines
            if headers is None:
                if any(c.strip() for c in cells):
                    headers = [c.strip() for c in cells]
                continue
            if any(c.strip() for c in cells):
                rows.append((line, [c.strip() for c in cells]))
    except csv.Error as exc:  # NUL bytes: not a text file
        raise ContactsError(
            f"无法按 CSV 读取（第 {reader.line_num} 行）：请确认选择的是 CSV 文本文件"
        ) from exc
    if headers is None:
        raise ContactsError("文件是空的，没有表头")
    return SourceTable(headers, rows, encoding, "csv")


def read_xlsx(path: Path) -> SourceTable:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError…
        raise ContactsError(f"无法读取 Excel 文件：{exc}") from exc
    try:
        ws = wb.worksheets[0]
        headers: list[str] | None = None
        rows = []
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            cells = [_cell(v) for v in values]
            if headers is None:
                if any(cells):
                    headers = cells
                continue
            if any(cells):
                rows.append((number, cells))
    finally:
        wb.close()
    if headers is None:
        raise ContactsError("工作表是空的，没有表头")
    while headers and not headers[-1]:
        headers.pop()
    return SourceTable(headers, rows, "xlsx", "xlsx")


VCARD_HEADERS = [
    "联系人",
    "联系人职务",
    "企业名称",
    "联系人手机",
    "联系人座机",
    "联系人邮箱",
    "联系人微信",
    "联系人备注",
]


def read_vcard_text(text: str) -> SourceTable:
    import vobject

    begins = [
        n for n, line in enumerate(text.splitlines(), 1) if line.strip().upper() == "BEGIN:VCARD"
    ]
    rows = []
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:
        raise ContactsError(f"vCard 文件格式错误：{exc}") from exc
    for index, card in enumerate(cards):
        line = begins[index] if index < len(begins) else index + 1
        rows.append((line, _vcard_cells(card)))
    return SourceTable(VCARD_HEADERS, rows, "vcf", "vcf")


def _vcard_values(card, name: str) -> list[Any]:
    return list(card.contents.get(name, []))


def _vcard_cells(card) -> list[str]:
    def first(name: str) -> str:
        items = _vcard_values(card, name)
        value = items[0].value if items else ""
        if isinstance(value, list):
            value = " ".join(str(v) for v in value if v)
        return str(value).strip()

    name = first("fn")
    if not name and _vcard_values(card, "n"):
        n = card.contents["n"][0].value
        name = (
            f"{n.family}{n.given}".strip()
            if re.search(r"[\u4e00-\u9fff]", f"{n.family}{n.given}")
            else f"{n.given} {n.family}".strip()
        )
    org = _vcard_values(card, "org")
    company = ""
    if org:
        value = org[0].value
        company = (value[0] if isinstance(value, list) and value else str(value or "")).strip()
    mobiles, others = [], []
    for tel in _vcard_values(card, "tel"):
        number = re.sub(r"^tel:", "", str(tel.value).strip(), flags=re.I)
        types = {t.lower() for t in tel.params.get("TYPE", [])}
        types |= {t.lower() for v in tel.params.get("TYPE", []) for t in str(v).split(",")}
        (mobiles if types & {"cell", "mobile", "iphone"} or _is_mobile(number) else others).append(
            number
        )
    emails = [str(e.value).strip() for e in _vcard_values(card, "email") if str(e.value).strip()]
    extra = []
    phones = mobiles + others
    mobile = mobiles[0] if mobiles else ""
    landline = others[0] if others else ""
    if not mobile and not landline and phones:
        mobile = phones[0]
    rest = [p for p in phones if p not in (mobile, landline)]
    if rest:
        extra.append("其他电话：" + "、".join(rest))
    if len(emails) > 1:
        extra.append("其他邮箱：" + "、".join(emails[1:]))
    note = first("note")
    notes = "\n".join(x for x in [note, *extra] if x)
    wechat = ""
    for key in ("x-wechat", "x-weixin"):
        if _vcard_values(card, key):
            wechat = first(key)
    return [
        name,
        first("title"),
        company,
        mobile,
        landline,
        emails[0] if emails else "",
        wechat,
        notes,
    ]


def _is_mobile(number: str) -> bool:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _is_cn_mobile_only(number: str) -> bool:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE


def read_source(path: Path | str) -> SourceTable:
    path = Path(path)
    if not path.is_file():
        raise ContactsError(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix == ".xls":
        raise ContactsError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    text, encoding = decode(path.read_bytes())
    if suffix in (".vcf", ".vcard") or text.lstrip().upper().startswith("BEGIN:VCARD"):
        table = read_vcard_text(text)
        table.encoding = encoding
        return table
    return read_csv_text(text, encoding)


# -- mapping -------------------------------------------------------------------------------
def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    return re.sub(r"[\s_*:：]", "", text)


def auto_mapping(headers: list[str]) -> dict[int, str]:
    """Column index → target field, by exact alias first, then by alias contained."""
    mapping: dict[int, str] = {}
    used: set[str] = set()
    keys = [_header_key(h) for h in headers]
    alias_index = {_header_key(a): target for target, aliases in ALIASES.items() for a in aliases}
    for target, label in TARGETS.items():
        alias_index.setdefault(_header_key(label), target)
    for n, key in enumerate(keys):
        target = alias_index.get(key) or alias_index.get(re.sub(r"[（(].*?[)）]", "", key))
        if target and target not in used:
            mapping[n] = target
            used.add(target)
    for n, key in enumerate(keys):
        if n in mapping or not key:
            continue
        for alias, target in sorted(alias_index.items(), key=lambda a: -len(a[0])):
            if len(alias) >= 2 and alias in key and target not in used:
                mapping[n] = target
                used.add(target)
                break
    return mapping


def preview(table: SourceTable, mapping: dict[int, str], limit: int = 20) -> list[dict[str, str]]:
    out = []
    for line, cells in table.rows[:limit]:
        out.append(
            {
                "_line": str(line),
                **{TARGETS[t]: (cells[i] if i < len(cells) else "") for i, t in mapping.items()},
            }
        )
    return out


# -- planning and applying -------------------------------------------------------------------
def plan_import(
    store: Store, table: SourceTable, mapping: dict[int, str]
) -> tuple[list[RowPlan], ImportReport]:
    unknown = set(mapping.values()) - set(TARGETS)
    if unknown:
        raise ContactsError(f"未知的导入字段：{'、'.join(sorted(unknown))}")
    targets = set(mapping.values())
    if "company.name" not in targets and "person.name" not in targets:
        raise ContactsError("请至少把一列对应到“企业名称”或“联系人”")
    report = ImportReport(total=len(table.rows), encoding=table.encoding)
    plans: list[RowPlan] = []
    known_items = {r["id"] for r in store.query("SELECT id FROM catalogue_items")}
    for line, cells in table.rows:
        values: dict[str, dict[str, Any]] = {"company": {}, "person": {}}
        items: list[str] = []
        for index, target in mapping.items():
            raw = cells[index] if index < len(cells) else ""
            kind, name = target.split(".", 1)
            if name == "items":
                items = [i for i in re.split(r"[,，;；、\s]+", raw) if i]
            elif raw != "":
                values[kind][name] = raw
        try:
            plan = RowPlan(line)
            if values["company"] or items:
                if not values["company"].get("name"):
                    raise ContactsError("企业名称为空")
                plan.company = companies_mod.clean(values["company"], partial=True)
                bad = [i for i in items if i not in known_items]
                if bad:
                    raise ContactsError(f"指导目录中没有条目“{'、'.join(bad)}”")
                plan.items = items
            if values["person"]:
                if not values["person"].get("name"):
                    raise ContactsError("联系人姓名为空")
                plan.person = people_mod.clean(store, values["person"], partial=True)
                person = plan.person
                # A fixed-line number in the mobile column belongs in 座机 (and vice versa).
                if (
                    person.get("mobile")
                    and not person.get("landline")
                    and not _is_mobile(person["mobile"])
                ):
                    person["landline"], person["mobile"] = person["mobile"], ""
                elif (
                    person.get("landline")
                    and not person.get("mobile")
                    and _is_mobile(person["landline"])
                    and _is_cn_mobile_only(person["landline"])
                ):
                    person["mobile"], person["landline"] = person["landline"], ""
            if plan.company is None and plan.person is None:
                raise ContactsError("没有可导入的内容")
        except ContactsError as exc:
            report.errors.append((line, str(exc)))
            continue
        plans.append(plan)
    report.good = len(plans)
    return plans, report


class _DryRun(Exception):
    pass


def _live_emails(store: Store) -> set[str]:
    """Lower-cased e-mails of live people: an e-mail not in it matches nobody, so the
    duplicate check can skip its (unindexed) e-mail lookup."""
    return {
        r[0].lower()
        for r in store.rows("SELECT email FROM people WHERE email <> '' AND deleted = 0")
    }


def _apply_row(store: Store, plan: RowPlan, report: ImportReport, emails: set[str]) -> None:
    changed = False
    company_id = None
    if plan.company is not None:
        row = plan.company
        existing = (
            companies_mod.find_by_uscc(store, row.get("uscc", "")) if row.get("uscc") else None
        )
        if existing is None:
            existing = store.query_one(
                "SELECT id, uscc FROM companies WHERE name = ? AND deleted = 0 LIMIT 1",
                (row["name"],),
            )
            if (
                existing
                and row.get("uscc")
                and existing["uscc"]
                and existing["uscc"] != row["uscc"]
            ):
                existing = None  # same name, different registered entity
        if existing:
            company_id = existing["id"]
            before = store.scalar("SELECT updated_at FROM companies WHERE id = ?", (company_id,))
            companies_mod.update_company(store, company_id, row)
            if plan.items:
                companies_mod.set_items(
                    store,
                    company_id,
                    sorted(set(companies_mod.item_ids(store, company_id)) | set(plan.items)),
                )
            if (
                store.scalar("SELECT updated_at FROM companies WHERE id = ?", (company_id,))
                != before
            ):
                report.companies_updated += 1
                changed = True
        else:
            company_id = companies_mod.create_company(
                store, row, items=plan.items, allow_similar=True, cleaned=True
            )
            report.companies_created += 1
            changed = True
    if plan.person is not None:
        row = dict(plan.person)
        if company_id:
            row["company_id"] = company_id
        email = row.get("email", "")
        existing = people_mod.find_duplicate(
            store,
            row["name"],
            row.get("mobile", ""),
            row.get("company_id"),
            email if email.lower() in emails else "",
        )
        if existing:
            before = existing["updated_at"]
            updated = people_mod.update_person(store, existing["id"], row)
            if updated["updated_at"] != before:
                report.people_updated += 1
                changed = True
            email = updated.get("email") or ""
        else:
            people_mod.create_person(store, row, cleaned=True)
            report.people_created += 1
            changed = True
        if email:
            emails.add(email.lower())
    if not changed:
        report.unchanged += 1


def apply_import(
    store: Store,
    plans: list[RowPlan],
    report: ImportReport,
    *,
    only_good: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Write the planned rows in one transaction. With errors and not ``only_good`` nothing is
    written (ImportRejected). ``dry_run`` computes the same report and rolls back."""
    if report.errors and not only_good and not dry_run:
        first = "；".join(f"第 {line} 行：{reason}" for line, reason in report.errors[:5])
        more = f" 等 {len(report.errors)} 行" if len(report.errors) > 5 else ""
        raise ImportRejected(
            f"有 {len(report.errors)} 行数据有误，未导入任何数据。{first}{more}", report
        )
    try:
        with store.transaction():
            # A row that fails only while writing (e.g. its USCC belongs to another company)
            # is undone alone when bad rows may be skipped; otherwise the whole import is.
            savepoints = only_good or dry_run
            emails = _live_emails(store)
            for n, plan in enumerate(plans):
                try:
                    with store.savepoint("import_row") if savepoints else nullcontext():
                        _apply_row(store, plan, report, emails)
                except ContactsError as exc:
                    report.errors.append((plan.line, str(exc)))
                    report.good -= 1
                    if not savepoints:
                        raise ImportRejected(
                            f"第 {plan.line} 行：{exc}。未导入任何数据。", report
                        ) from exc
                    continue
                if progress and n % 200 == 0:
                    progress(n, len(plans))
            if dry_run:
                raise _DryRun
    except _DryRun:
        report.written = False
    else:
        report.written = True
        report.errors.sort()
    if progress:
        progress(len(plans), len(plans))
    return report


def import_file(
    store: Store,
    path: Path | str,
    *,
    mapping: dict[int, str] | None = None,
    only_good: bool = False,
    dry_run: bool = False,
    progress=None,
) -> ImportReport:
    table = read_source(path)
    plans, report = plan_import(
        store, table, mapping if mapping is not None else auto_mapping(table.headers)
    )
    return apply_import(
        store, plans, report, only_good=only_good, dry_run=dry_run, progress=progress
    )


__all__ = [
    "ImportRejected",
    "apply_import",
    "auto_mapping",
    "import_file",
    "normalise_phone",
    "plan_import",
    "read_source",
]
