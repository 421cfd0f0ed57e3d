"""Import companies, their people and visits from the files officers really have: CSV
(any encoding Chinese desktops write), XLSX/XLS/ODS/WPS, vCard 2.1/3.0/4.0, exports of
企查查, 天眼查, Outlook and Google Contacts, and this program's own XLSX export.

Flow: :func:`read_sources` (cells, header row detected, source recognised) →
:func:`auto_mapping` (column → field, editable by the user, remembered per layout) →
:func:`plan_import` (every row validated; *every* error of a row listed; soft fields such
as 所属行业 or 所有制 never reject a row: an unknown value is kept as a tag with a warning)
→ :func:`apply_import` (one transaction; rows matched to existing records by 编号, USCC,
name; mode ``skip`` / ``fill`` (default: only blank fields) / ``overwrite``; per row the
before → after of every changed field). Every written import is an *import batch* that
:func:`undo_import` reverts in one step through Store.insert/update/delete, so it syncs.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zsapp.contacts import companies as companies_mod
from zsapp.contacts import import_mapping as mapping_mod
from zsapp.contacts import people as people_mod
from zsapp.contacts import readers, vcard_reader
from zsapp.contacts import visits as visits_mod
from zsapp.contacts.import_mapping import (
    MULTI,
    SOURCES,
    TARGETS,
    VISIT_TARGETS,
    detect_source,
    remember_mapping,
    remembered_mapping,
)
from zsapp.contacts.validation import (
    ContactsError,
    display_phone,
    is_mobile_number,
    normalise_email,
    normalise_phone,
    parse_flag,
    parse_tags,
    split_extension,
    tags_json,
)
from zsapp.store import Store

MODES = {"skip": "跳过已有", "fill": "只补空白字段", "overwrite": "覆盖"}
PLACEHOLDERS = {"-", "--", "—", "——", "/", "－", "n/a", "N/A", "暂无", "null", "NULL"}


def auto_mapping(headers: list[str], source: str | None = None) -> dict[int, str]:
    return mapping_mod.auto_mapping(headers, source)


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
    format: str = "csv"  # csv | xlsx | xls | ods | vcf
    sheet: str = ""
    source: str = "generic"  # a key of import_mapping.SOURCES, or vcard / zsapp
    kind: str = "contacts"  # contacts | visits
    header_line: int = 1
    upper_headers: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # title/declaration rows
    fixed_mapping: dict[int, str] | None = None  # vCard and our own export

    @property
    def source_label(self) -> str:
        if self.source == "vcard":
            return "vCard 通讯录"
        if self.source == "zsapp":
            return "招商助手导出"
        return SOURCES.get(self.source, (self.source,))[0]


@dataclass
class RowPlan:
    line: int
    sheet: str = ""
    company: dict[str, Any] | None = None
    company_ref: str = ""  # 编号 from our own export
    items: list[str] = field(default_factory=list)
    person: dict[str, Any] | None = None
    person_ref: str = ""
    visit: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RowChange:
    line: int
    entity: str  # 企业 / 联系人 / 拜访
    name: str
    action: str  # 新建 / 更新 / 跳过 / 无变化
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)
    sheet: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "sheet": self.sheet,
            "entity": self.entity,
            "name": self.name,
            "action": self.action,
            "fields": [{"field": f, "before": b, "after": a} for f, b, a in self.fields],
        }

    def text(self) -> str:
        head = f"第 {self.line} 行 {self.entity}“{self.name}”：{self.action}"
        if self.fields and self.action != "新建":
            head += "；" + "；".join(f"{f}：“{b}” → “{a}”" for f, b, a in self.fields)
        return head


@dataclass
class ImportReport:
    total: int = 0
    good: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    companies_created: int = 0
    companies_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    visits_created: int = 0
    visits_updated: int = 0
    skipped_existing: int = 0
    unchanged: int = 0
    written: bool = False
    encoding: str = ""
    mode: str = "fill"
    batch_id: str = ""
    sources: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "good": self.good,
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
            "warnings": [{"line": line, "message": m} for line, m in self.warnings],
            "changes": [c.as_json() for c in self.changes],
            "companies_created": self.companies_created,
            "companies_updated": self.companies_updated,
            "people_created": self.people_created,
            "people_updated": self.people_updated,
            "visits_created": self.visits_created,
            "visits_updated": self.visits_updated,
            "skipped_existing": self.skipped_existing,
            "unchanged": self.unchanged,
            "written": self.written,
            "encoding": self.encoding,
            "mode": self.mode,
            "batch_id": self.batch_id,
            "sources": self.sources,
        }

    def summary(self) -> str:
        text = (
            f"共 {self.total} 行，有效 {self.good} 行；企业新建 {self.companies_created}、更新 "
            f"{self.companies_updated}；联系人新建 {self.people_created}、更新 {self.people_updated}"
        )
        if self.visits_created or self.visits_updated:
            text += f"；拜访记录新建 {self.visits_created}、更新 {self.visits_updated}"
        if self.skipped_existing:
            text += f"；跳过已有 {self.skipped_existing}"
        text += f"；无变化 {self.unchanged}"
        if self.warnings:
            text += f"；提示 {len(self.warnings)} 条"
        if self.errors:
            text += f"；错误 {len(self.errors)} 行"
        return text

    def merge(self, other: ImportReport) -> None:
        self.total += other.total
        self.good += other.good
        self.errors += other.errors
        self.warnings += other.warnings
        self.encoding = self.encoding or other.encoding


# -- reading -------------------------------------------------------------------------------
decode = readers.decode

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
_VCARD_MAPPING = dict(
    enumerate(
        [
            "person.name",
            "person.title",
            "company.name",
            "person.mobile",
            "person.landline",
            "person.email",
            "person.wechat",
            "person.notes",
        ]
    )
)


def read_vcard_bytes(data: bytes, encoding: str = "vcf") -> SourceTable:
    rows = []
    for card in vcard_reader.parse(data):
        c = vcard_reader.contact(card)
        mobiles: list[str] = []
        others: list[str] = []
        for number, types in c.phones:
            try:
                value = normalise_phone(number)
            except ContactsError:
                value = ""
            wants_mobile = bool(types & {"cell", "mobile", "iphone", "手机", "移动电话"})
            if value and (is_mobile_number(value) if not wants_mobile else True):
                (mobiles if is_mobile_number(value) else others).append(number)
            else:
                (mobiles if wants_mobile and not value else others).append(number)
        mobile = mobiles[0] if mobiles else ""
        landline = others[0] if others else ""
        rest = mobiles[1:] + others[1:]
        notes = list(c.notes)
        if rest:
            notes.append("其他电话：" + "、".join(rest))
        if len(c.emails) > 1:
            notes.append("其他邮箱：" + "、".join(c.emails[1:]))
        rows.append(
            (
                c.line,
                [
                    c.name,
                    c.title,
                    c.company,
                    mobile,
                    landline,
                    c.emails[0] if c.emails else "",
                    c.wechat,
                    "\n".join(notes),
                ],
            )
        )
    return SourceTable(
        list(VCARD_HEADERS),
        rows,
        encoding,
        "vcf",
        source="vcard",
        fixed_mapping=dict(_VCARD_MAPPING),
    )


def read_vcard_text(text: str) -> SourceTable:
    return read_vcard_bytes(text.encode("utf-8"))


def _own_layouts():
    """(sheet name, kind, column → target) of each table our exporter writes."""
    from zsapp.contacts import exporter

    specs = [
        ("企业", exporter.COMPANY_COLUMNS, "company"),
        ("联系人", exporter.PEOPLE_COLUMNS, "person"),
        ("拜访记录", exporter.VISIT_COLUMNS, "visit"),
    ]
    for sheet, columns, entity in specs:
        fixed: dict[int, str] = {}
        for n, (name, _label) in enumerate(columns):
            if entity == "visit":
                fixed[n] = f"visit.{name}"
            elif entity == "company":
                fixed[n] = "company.items" if name == "items" else f"company.{name}"
            elif name == "company_name":
                fixed[n] = "company.name"
            else:
                fixed[n] = f"person.{name}"
        yield (
            sheet,
            [label for _, label in columns],
            ("visits" if entity == "visit" else "contacts"),
            fixed,
        )


def _own_table(grid: readers.Grid, sheet: str | None = None) -> SourceTable | None:
    """The grid as one of our own export tables (CSV or sheet), if its header row is ours."""
    if not grid.rows:
        return None
    line, headers = grid.rows[0]
    for name, labels, kind, fixed in _own_layouts():
        if sheet not in (None, name) or [h for h in headers if h] != labels:
            continue
        return SourceTable(
            list(headers),
            grid.rows[1:],
            grid.encoding,
            grid.format,
            sheet=grid.name or name,
            source="zsapp",
            kind=kind,
            header_line=line,
            fixed_mapping=dict(fixed),
        )
    return None


def _own_export_tables(grids: list[readers.Grid]) -> list[SourceTable] | None:
    """Our own XLSX export (sheets 企业, 联系人, 拜访记录): every sheet, in that order."""
    names = {g.name: g for g in grids}
    tables = []
    for sheet, *_ in _own_layouts():
        grid = names.get(sheet)
        if grid is None or not grid.rows:
            continue
        table = _own_table(grid, sheet)
        if table is None:
            return None  # same sheet names, other columns: not ours
        tables.append(table)
    return tables or None


def _table_from_grid(grid: readers.Grid) -> SourceTable:
    header = mapping_mod.detect_header(grid.rows, grid.merged)
    width = len(header.headers)
    rows = [
        (line, cells)
        for line, cells in grid.rows[header.row + 1 :]
        if not mapping_mod.is_footer(cells, width)
    ]
    return SourceTable(
        header.headers,
        rows,
        grid.encoding,
        grid.format,
        sheet=grid.name,
        source=detect_source(header.headers),
        header_line=header.line,
        upper_headers=header.upper,
        skipped=header.skipped,
    )


def read_sources(path: Path | str) -> list[SourceTable]:
    """Every table of the file to import (one for CSV/vCard; all sheets of our own
    export; otherwise the first sheet whose header is recognised)."""
    path = Path(path)
    if not path.is_file():
        raise ContactsError(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(8)
    if suffix in readers.SPREADSHEET_SUFFIXES or magic.startswith(
        (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
    ):
        grids = readers.read_spreadsheet(path)
        if not grids:
            raise ContactsError("工作表是空的，没有表头")
        own = _own_export_tables(grids)
        if own:
            return own
        tables = [_table_from_grid(g) for g in grids]
        scored = [
            (sum(1 for h in t.headers if mapping_mod.known(h)), -n, t) for n, t in enumerate(tables)
        ]
        best = max(scored, key=lambda s: (s[0], s[1]))[2]
        return [best]
    data = readers.read_bytes_limited(path)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n\t").upper()
    if suffix in (".vcf", ".vcard") or head.startswith(b"BEGIN:VCARD"):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text, _ = readers.decode(data)  # UTF-16 vCard: rare, re-encode as UTF-8
            data = text.encode("utf-8")
        table = read_vcard_bytes(data, "vcf")
        if not table.rows:
            raise ContactsError("文件中没有找到联系人（vCard 应以 BEGIN:VCARD 开始）")
        return [table]
    text, encoding = readers.decode(data)
    grid = readers.read_csv_text(text, encoding)
    if not grid.rows:
        raise ContactsError("文件是空的，没有表头")
    return [_own_table(grid) or _table_from_grid(grid)]


def read_source(path: Path | str) -> SourceTable:
    return read_sources(path)[0]


def mapping_for(store: Store | None, table: SourceTable, source: str | None = None):
    """(mapping, source, remembered?) for a table: fixed for vCard / our own export, else a
    mapping remembered for this header layout, else the alias table of the source."""
    if table.fixed_mapping is not None:
        return dict(table.fixed_mapping), table.source, False
    if store is not None and not source:
        saved = remembered_mapping(store, table.headers)
        if saved:
            return saved[0], saved[1], True
    source = source or table.source
    return mapping_mod.auto_mapping(table.headers, source), source, False


def preview(table: SourceTable, mapping: dict[int, str], limit: int = 20) -> list[dict[str, str]]:
    labels = {**TARGETS, **VISIT_TARGETS}
    out = []
    for line, cells in table.rows[:limit]:
        row = {"_line": str(line)}
        for i, t in mapping.items():
            value = cells[i] if i < len(cells) else ""
            key = labels[t]
            row[key] = f"{row[key]}；{value}" if row.get(key) and value else row.get(key) or value
        out.append(row)
    return out


# -- soft fields -----------------------------------------------------------------------------
OWNERSHIP_SYNONYMS = {
    "民营企业": "民营",
    "民企": "民营",
    "私营": "民营",
    "私营企业": "民营",
    "民营经济": "民营",
    "国有": "国企",
    "国有企业": "国企",
    "地方国企": "国企",
    "省属国企": "国企",
    "市属国企": "国企",
    "中央企业": "央企",
    "央属企业": "央企",
    "外商投资": "外资",
    "外商投资企业": "外资",
    "外资企业": "外资",
    "外商独资": "外资",
    "中外合资": "外资",
    "港澳台资": "港澳台",
    "港澳台投资": "港澳台",
    "港澳台企业": "港澳台",
}


class Catalogue:
    """Resolve 所属行业 values to catalogue items: an item code (I06-04), an industry code
    (I06) or name (光伏制造业 → all its items), an item name (咖啡) or a catalogue term."""

    def __init__(self, store: Store) -> None:
        self.items = {
            r["id"]: r["name"] for r in store.query("SELECT id, name FROM catalogue_items")
        }
        self.by_name: dict[str, list[str]] = {}
        for item_id, name in self.items.items():
            self.by_name.setdefault(_norm(name), []).append(item_id)
        self.industries: dict[str, list[str]] = {}
        for row in store.query(
            "SELECT i.id, i.name, group_concat(c.id) AS items FROM catalogue_industries i "
            "JOIN catalogue_items c ON c.industry_id = i.id GROUP BY i.id"
        ):
            ids = sorted((row["items"] or "").split(","))
            self.industries[row["id"].upper()] = ids
            self.industries[_norm(row["name"])] = ids
        self.terms: dict[str, list[str]] = {}
        for row in store.query("SELECT item_id, term FROM catalogue_terms"):
            self.terms.setdefault(_norm(row["term"]), []).append(row["item_id"])

    def resolve(self, token: str) -> list[str]:
        key = _norm(token)
        upper = token.strip().upper()
        if upper in self.items:
            return [upper]
        for found in (
            self.industries.get(upper),
            self.by_name.get(key),
            self.industries.get(key),
            self.terms.get(key),
        ):
            if found:
                return sorted(set(found))
        return []


def _norm(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).lower()


def _split(value: str, extra: str = "") -> list[str]:
    return [v.strip() for v in re.split(rf"[;；,，、\n{extra}]+|\s:::\s", value) if v.strip()]


# -- planning --------------------------------------------------------------------------------
def _column_values(table: SourceTable, mapping: dict[int, str], cells: list[str]):
    values: dict[str, list[tuple[str, str]]] = {}
    for index, target in sorted(mapping.items()):
        raw = cells[index] if index < len(cells) else ""
        raw = raw.strip()
        if raw in PLACEHOLDERS:
            raw = ""
        if raw == "":
            continue
        header = table.headers[index] if index < len(table.headers) else target
        values.setdefault(target, []).append((header, raw))
    return values


def _first(values, target: str) -> str:
    found = values.get(target)
    return found[0][1] if found else ""


def _all(values, target: str) -> list[tuple[str, str]]:
    return values.get(target, [])


def _plan_company(plan: RowPlan, values, catalogue: Catalogue, errors: list[str]) -> None:
    company_fields = {
        t.split(".", 1)[1]: _first(values, t)
        for t in values
        if t.startswith("company.") and t.split(".", 1)[1] in companies_mod.FIELDS
    }
    tokens = [
        tok
        for t in ("company.items", "company.industry")
        for _, v in _all(values, t)
        for tok in _split(v, "/")
    ]
    extra = [f"{h}：{v}" for h, v in _all(values, "company.extra")]
    plan.company_ref = _first(values, "company.id")
    if not (company_fields or tokens or extra or plan.company_ref):
        return
    if not company_fields.get("name"):
        errors.append("企业名称为空")
        return
    out: dict[str, Any] = {}
    tags: list[str] = []
    headers = {t.split(".", 1)[1]: v[0][0] for t, v in values.items() if t.startswith("company.")}
    for key, value in company_fields.items():
        if key == "revenue_wan":
            unit = re.search(r"(亿元|亿|万元|万|元)", headers.get(key, ""))
            if unit and re.fullmatch(r"[\d.,，\s]+", value):
                value += unit[1]  # "营收（亿元）" 1.2 → 1.2亿
        if key == "employees" and re.fullmatch(
            r"\d+\s*[-~～至]\s*\d+\s*人?|\d+\s*人以[上下]", value
        ):
            plan.warnings.append(f"员工人数“{value}”是范围，已记入企业备注")
            extra.append(f"{headers.get(key) or '员工人数'}：{value}")
            continue
        if key == "uscc" and re.fullmatch(r"\d(\.\d+)?e\+?1\d", value, re.IGNORECASE):
            errors.append(
                f"统一社会信用代码“{value}”被 Excel 存成了数字，末几位已丢失；"
                "请在 Excel 中把该列设为“文本”后重新填写"
            )
            continue
        if key == "ownership":
            value = OWNERSHIP_SYNONYMS.get(value.strip(), value.strip())
            if value not in companies_mod.OWNERSHIPS:
                plan.warnings.append(f"所有制“{value}”不在可选值中，已作为企业标签保留")
                tags.append(value)
                continue
        if key == "region_tag" and value not in companies_mod.REGION_TAGS:
            plan.warnings.append(f"区域“{value}”不在可选值中，已作为企业标签保留")
            tags.append(value)
            continue
        if key in companies_mod.FLAGS or key == "is_dishonest":
            try:
                out[key] = parse_flag(value, companies_mod.LABELS[key])
            except ContactsError as exc:
                plan.warnings.append(f"{exc}，已忽略")
            continue
        try:
            out.update(companies_mod.clean({key: value}, partial=True))
        except ContactsError as exc:
            errors.append(str(exc))
    for token in tokens:
        found = catalogue.resolve(token)
        if found:
            plan.items += [i for i in found if i not in plan.items]
        else:
            plan.warnings.append(
                f"所属行业“{token}”不是指导目录中的条目、产业或名称，已作为企业标签保留"
            )
            tags.append(token)
    if tags:
        out["tags"] = tags_json(
            parse_tags(json.loads(out.get("tags", "[]")) + [t for t in tags if t])
        )
    if extra:
        notes = "\n".join(x for x in [out.get("notes", ""), *extra] if x)
        out["notes"] = notes[:4000]
    if "region_tag" in out and not out["region_tag"]:
        out.pop("region_tag")
    plan.company = out


def _plan_person(
    store: Store, plan: RowPlan, values, errors: list[str], company_named: bool
) -> None:
    name = _first(values, "person.name")
    family, given = _first(values, "person.family"), _first(values, "person.given")
    if not name and (family or given):
        cjk = re.search(r"[\u3400-\u9fff]", family + given)
        name = f"{family}{given}" if cjk else " ".join(x for x in (given, family) if x)
    legal_rep = _first(values, "person.legal_rep")
    title = _first(values, "person.title")
    if not name and legal_rep:
        name, title = legal_rep, title or "法定代表人"
    plan.person_ref = _first(values, "person.id")
    phones: list[tuple[str, str, str]] = []  # (column kind, raw, normalised)
    unreadable: list[str] = []
    for kind in ("mobile", "landline", "phone"):
        for header, raw in _all(values, f"person.{kind}"):
            for token in _split(raw, "/"):
                # "0871-67455269（2021年报）": a note in brackets is not part of the number
                token = re.sub(r"[（(][^）)]*[^\d\s）)+-][^）)]*[）)]", "", token).strip()
                if not token:
                    continue
                try:
                    phones.append(
                        (
                            kind,
                            token,
                            normalise_phone(
                                token,
                                people_mod.LABELS.get(kind, "电话")
                                if kind != "phone"
                                else header or "电话",
                            ),
                        )
                    )
                except ContactsError as exc:
                    if kind == "phone":  # a general 电话 column: keep the text, warn
                        unreadable.append(token)
                        plan.warnings.append(f"{exc}，已记入备注")
                    else:
                        errors.append(str(exc))
    emails: list[str] = []
    for _, raw in _all(values, "person.email"):
        for token in _split(raw, r"\s"):
            try:
                email = normalise_email(token)
            except ContactsError as exc:
                errors.append(str(exc))
                continue
            if email and email.lower() not in {e.lower() for e in emails}:
                emails.append(email)
    simple = {
        k: _first(values, f"person.{k}")
        for k in ("title", "wechat", "tags")
        if _first(values, f"person.{k}")
    }
    if title:
        simple["title"] = title
    notes = [v for _, v in _all(values, "person.notes")]
    notes += [f"{h}：{v}" for h, v in _all(values, "person.extra")]
    if unreadable:
        notes.append("电话（未能识别）：" + "、".join(unreadable))
    if not (name or phones or emails or simple or notes or plan.person_ref):
        return
    mobiles, landlines = [], []
    for kind, _raw, value in phones:
        if kind == "landline" and not is_mobile_number(value):
            landlines.append(value)
        elif kind == "mobile" and is_mobile_number(value):
            mobiles.append(value)
        else:
            (mobiles if is_mobile_number(value) else landlines).append(value)
    mobiles = list(dict.fromkeys(mobiles))
    landlines = list(dict.fromkeys(landlines))
    out: dict[str, Any] = {}
    if mobiles:
        out["mobile"] = mobiles[0]
    if landlines:
        out["landline"] = landlines[0]
    if emails:
        out["email"] = emails[0]
    rest = mobiles[1:] + landlines[1:]
    if rest:
        notes.append("其他电话：" + "、".join(display_phone(p) for p in rest))
    if len(emails) > 1:
        notes.append("其他邮箱：" + "、".join(emails[1:]))
    if not name:
        details = [display_phone(p) for p in mobiles + landlines] + emails
        if company_named and plan.company is not None:
            text = "联系方式：" + "、".join(details) if details else ""
            text = "\n".join(x for x in [text, *notes] if x)
            if text:
                plan.company["notes"] = "\n".join(
                    x for x in [plan.company.get("notes", ""), text] if x
                )[:4000]
                plan.warnings.append("没有联系人姓名，电话/邮箱已记入企业备注")
            return
        errors.append("联系人姓名为空")
        return
    for key, value in simple.items():
        try:
            out.update(people_mod.clean(store, {key: value}, partial=True))
        except ContactsError as exc:
            errors.append(str(exc))
    if notes:
        text = "\n".join(notes)
        if len(text) > 4000:
            plan.warnings.append("联系人备注超过 4000 字，已截断")
        out["notes"] = text[:4000]
    try:
        out.update(people_mod.clean(store, {"name": name}, partial=True))
    except ContactsError as exc:
        errors.append(str(exc))
    plan.person = out


def _plan_visit(plan: RowPlan, values, errors: list[str]) -> None:
    row = {k.split(".", 1)[1]: v[0][1] for k, v in values.items() if k.startswith("visit.")}
    if not row:
        return
    fields = {k: row[k] for k in visits_mod.FIELDS if k in row}
    try:
        cleaned = visits_mod.clean(fields, partial=False)
    except ContactsError as exc:
        errors.append(str(exc))
        return
    followups = []
    for text in re.split(r"[；\n]", row.get("followups", "")):
        text = text.strip()
        if not text:
            continue
        done = text.endswith("✓")
        text = text.rstrip("✓").strip()
        due = ""
        m = re.search(r"（(\d{4}-\d{2}-\d{2})）$", text)
        if m:
            text, due = text[: m.start()].strip(), m[1]
        followups.append({"text": text, "due_date": due, "done": done})
    plan.visit = {
        "values": cleaned,
        "companies": _split(row.get("companies", "")),
        "people": _split(row.get("people", "")),
        "followups": followups,
        "id": row.get("id", ""),
    }


def plan_import(
    store: Store, table: SourceTable, mapping: dict[int, str]
) -> tuple[list[RowPlan], ImportReport]:
    labels = {**TARGETS, **VISIT_TARGETS}
    unknown = set(mapping.values()) - set(labels)
    if unknown:
        raise ContactsError(f"未知的导入字段：{'、'.join(sorted(unknown))}")
    targets = set(mapping.values())
    if table.kind == "contacts" and not targets & {
        "company.name",
        "person.name",
        "person.given",
        "person.family",
        "person.legal_rep",
    }:
        raise ContactsError(
            "请至少把一列对应到“企业名称”或“联系人”"
            f"（识别到的表头在第 {table.header_line} 行：{'、'.join(h for h in table.headers if h)[:120]}）"
        )
    # Single-valued targets take their first column only.
    seen: set[str] = set()
    clean_mapping = {}
    for index, target in sorted(mapping.items()):
        if target in MULTI or target not in seen:
            clean_mapping[index] = target
            seen.add(target)
    report = ImportReport(total=len(table.rows), encoding=table.encoding)
    plans: list[RowPlan] = []
    catalogue = Catalogue(store)
    for line, cells in table.rows:
        values = _column_values(table, clean_mapping, cells)
        plan = RowPlan(line, table.sheet)
        errors: list[str] = []
        if table.kind == "visits":
            _plan_visit(plan, values, errors)
        else:
            _plan_company(plan, values, catalogue, errors)
            _plan_person(store, plan, values, errors, bool(_first(values, "company.name")))
        if not errors and plan.company is None and plan.person is None and plan.visit is None:
            if not values:
                report.total -= 1  # a row of placeholders only: nothing to import
                continue
            errors.append("没有可导入的内容")
        prefix = f"［{table.sheet}］" if table.source == "zsapp" else ""
        if errors:
            report.errors.append((line, prefix + "；".join(dict.fromkeys(errors))))
            continue
        report.warnings += [(line, prefix + w) for w in plan.warnings]
        plans.append(plan)
    report.good = len(plans)
    return plans, report


# -- applying ---------------------------------------------------------------------------------
class _DryRun(Exception):
    pass


class _Recorder:
    """Records, for the import batch, every insert and every field's previous value written
    through this store by this thread while active."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # (table, row id, "insert" | "update", previous values, written values)
        self.changes: list[tuple[str, str, str, dict | None, dict | None]] = []
        self.thread = threading.get_ident()
        self._insert, self._update = store.insert, store.update

    def __enter__(self) -> _Recorder:
        store = self.store

        def insert(table, values):
            row_id = self._insert(table, values)
            if threading.get_ident() == self.thread:
                self.changes.append((table, row_id, "insert", None, None))
            return row_id

        def update(table, row_id, changes):
            mine = threading.get_ident() == self.thread
            before = store.get(table, row_id, include_deleted=True) if mine else None
            result = self._update(table, row_id, changes)
            if mine and before is not None:
                changed = {
                    k: before.get(k)
                    for k in changes
                    if k in result and before.get(k) != result.get(k)
                }
                if changed:
                    after = {k: result.get(k) for k in changed}
                    self.changes.append((table, row_id, "update", changed, after))
            return result

        store.insert, store.update = insert, update  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc) -> None:
        del self.store.insert, self.store.update  # back to the class methods


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == "[]"


def _show(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key in ("mobile", "landline"):
        return display_phone(value)
    if key == "tags":
        return "、".join(json.loads(value or "[]"))
    if key in companies_mod.FLAGS or key == "is_dishonest":
        return "是" if value else "否"
    return str(value)


def _changes(current: dict[str, Any], incoming: dict[str, Any], mode: str) -> dict[str, Any]:
    out = {}
    for key, value in incoming.items():
        old = current.get(key)
        if key == "tags":
            if mode == "overwrite":
                if json.loads(value) and value != old:
                    out[key] = value
            else:
                merged = parse_tags(json.loads(old or "[]") + json.loads(value))
                if merged != json.loads(old or "[]"):
                    out[key] = tags_json(merged)
            continue
        if (
            key in ("mobile", "landline")
            and old
            and split_extension(old)[0] == split_extension(value)[0]
            and not split_extension(value)[1]
        ):
            continue  # the same number without its extension adds nothing
        if mode == "fill":
            is_flag = key in companies_mod.FLAGS or key == "is_dishonest"
            fillable = _blank(old) or (is_flag and not old and value)
            if fillable and not _blank(value) and value != old:
                out[key] = value
        elif mode == "overwrite" and value != old and not _blank(value):
            out[key] = value
    return out


def _field_diff(labels, current, changes) -> list[tuple[str, str, str]]:
    return [(labels.get(k, k), _show(k, current.get(k)), _show(k, v)) for k, v in changes.items()]


def _find_company(store: Store, plan: RowPlan) -> dict[str, Any] | None:
    row = plan.company
    assert row is not None, "_find_company needs a planned company"
    if plan.company_ref:
        found = store.get("companies", plan.company_ref)
        if found:
            return found
    if row.get("uscc"):
        found = companies_mod.find_by_uscc(store, row["uscc"])
        if found:
            return store.get("companies", found["id"])
    found = store.query_one(
        "SELECT * FROM companies WHERE name = ? AND deleted = 0 LIMIT 1", (row["name"],)
    )
    if found and row.get("uscc") and found["uscc"] and found["uscc"] != row["uscc"]:
        return None  # same name, different registered entity
    return found


def _apply_company(store, plan, report, mode) -> str:
    row = plan.company
    existing = _find_company(store, plan)
    if existing is None:
        company_id = companies_mod.create_company(
            store, row, items=plan.items, allow_similar=True, cleaned=True
        )
        report.companies_created += 1
        report.changes.append(RowChange(plan.line, "企业", row["name"], "新建", [], plan.sheet))
        return company_id
    company_id = existing["id"]
    if mode == "skip":
        report.changes.append(
            RowChange(plan.line, "企业", existing["name"], "跳过", [], plan.sheet)
        )
        return company_id
    incoming = dict(row)
    if mode != "overwrite" or incoming.get("name") == existing["name"]:
        incoming.pop("name", None)
    changes = _changes(existing, incoming, mode)
    diff = _field_diff(companies_mod.LABELS, existing, changes)
    if changes:
        companies_mod.update_company(store, company_id, changes)
    if plan.items:
        current = companies_mod.item_ids(store, company_id)
        wanted = sorted(set(current) | set(plan.items))
        if wanted != current:
            companies_mod.set_items(store, company_id, wanted)
            diff.append(("行业", "、".join(current), "、".join(wanted)))
    if diff:
        report.companies_updated += 1
    report.changes.append(
        RowChange(
            plan.line, "企业", existing["name"], "更新" if diff else "无变化", diff, plan.sheet
        )
    )
    return company_id


def _apply_person(store, plan, report, mode, company_id, emails) -> None:
    row = dict(plan.person)
    if company_id:
        row["company_id"] = company_id
    existing = store.get("people", plan.person_ref) if plan.person_ref else None
    email = row.get("email", "")
    if existing is None:
        existing = people_mod.find_duplicate(
            store,
            row["name"],
            row.get("mobile", ""),
            row.get("company_id"),
            email if email.lower() in emails else "",
        )
    if existing is None:
        people_mod.create_person(store, row, cleaned=True)
        report.people_created += 1
        report.changes.append(RowChange(plan.line, "联系人", row["name"], "新建", [], plan.sheet))
    elif mode == "skip":
        report.changes.append(
            RowChange(plan.line, "联系人", existing["name"], "跳过", [], plan.sheet)
        )
    else:
        incoming = dict(row)
        if mode != "overwrite" or incoming.get("name") == existing["name"]:
            incoming.pop("name", None)
        changes = _changes(existing, incoming, mode)
        moved = row.get("company_id") and existing.get("company_id")
        if mode == "fill" and moved and row["company_id"] != existing["company_id"]:
            report.warnings.append(
                (
                    plan.line,
                    f"联系人“{existing['name']}”已在另一家企业，文件中的企业未改动；"
                    "如已换单位，请选择“覆盖”导入",
                )
            )
        labels = dict(people_mod.LABELS)
        diff = []
        for key, value in changes.items():
            if key == "company_id":
                names = [
                    store.scalar("SELECT name FROM companies WHERE id = ?", (v,)) or ""
                    for v in (existing.get("company_id"), value)
                ]
                diff.append(("企业", names[0], names[1]))
            else:
                diff.append(
                    (labels.get(key, key), _show(key, existing.get(key)), _show(key, value))
                )
        if changes:
            people_mod.update_person(store, existing["id"], changes)
            report.people_updated += 1
        report.changes.append(
            RowChange(
                plan.line,
                "联系人",
                existing["name"],
                "更新" if diff else "无变化",
                diff,
                plan.sheet,
            )
        )
    if email:
        emails.add(email.lower())


def _apply_visit(store, plan, report, mode) -> None:
    visit = plan.visit
    values = visit["values"]
    existing = store.get("visits", visit["id"]) if visit["id"] else None
    if existing is None:
        existing = store.query_one(
            "SELECT * FROM visits WHERE deleted = 0 AND visited_at = ? AND kind = ? AND notes = ? LIMIT 1",
            (values["visited_at"], values["kind"], values.get("notes", "")),
        )
    label = values["visited_at"].replace("T", " ")
    if existing is not None:
        if mode == "skip":
            report.changes.append(RowChange(plan.line, "拜访", label, "跳过", [], plan.sheet))
            return
        changes = _changes(existing, {k: v for k, v in values.items() if k != "visited_at"}, mode)
        diff = [
            (VISIT_TARGETS.get(f"visit.{k}", k), str(existing.get(k) or ""), str(v))
            for k, v in changes.items()
        ]
        if changes:
            visits_mod.update_visit(store, existing["id"], changes)
            report.visits_updated += 1
        report.changes.append(
            RowChange(plan.line, "拜访", label, "更新" if diff else "无变化", diff, plan.sheet)
        )
        return
    company_ids = []
    for name in visit["companies"]:
        found = store.query_one(
            "SELECT id FROM companies WHERE name = ? AND deleted = 0 LIMIT 1", (name,)
        )
        if found:
            company_ids.append(found["id"])
        else:
            report.warnings.append(
                (plan.line, f"［{plan.sheet}］找不到企业“{name}”，拜访记录未关联该企业")
            )
    person_ids = []
    for name in visit["people"]:
        found = None
        if company_ids:
            found = store.query_one(
                f"SELECT id FROM people WHERE name = ? AND deleted = 0 AND company_id IN ({','.join('?' for _ in company_ids)}) LIMIT 1",
                (name, *company_ids),
            )
        found = found or store.query_one(
            "SELECT id FROM people WHERE name = ? AND deleted = 0 LIMIT 1", (name,)
        )
        if found:
            person_ids.append(found["id"])
        else:
            report.warnings.append(
                (plan.line, f"［{plan.sheet}］找不到联系人“{name}”，拜访记录未关联此人")
            )
    visits_mod.create_visit(
        store,
        values,
        companies=company_ids,
        people=person_ids,
        followups=visit["followups"],
    )
    report.visits_created += 1
    report.changes.append(RowChange(plan.line, "拜访", label, "新建", [], plan.sheet))


def _apply_row(
    store: Store, plan: RowPlan, report: ImportReport, emails: set[str], mode: str
) -> None:
    first_change = len(report.changes)
    if plan.visit is not None:
        _apply_visit(store, plan, report, mode)
    company_id = None
    if plan.company is not None:
        company_id = _apply_company(store, plan, report, mode)
    if plan.person is not None:
        _apply_person(store, plan, report, mode, company_id, emails)
    actions = {c.action for c in report.changes[first_change:]}
    if not actions & {"新建", "更新"}:
        if "跳过" in actions:
            report.skipped_existing += 1
        else:
            report.unchanged += 1


def _live_emails(store: Store) -> set[str]:
    return {
        r["email"].lower()
        for r in store.query("SELECT email FROM people WHERE email <> '' AND deleted = 0")
    }


_COUNTERS = (
    "companies_created",
    "companies_updated",
    "people_created",
    "people_updated",
    "visits_created",
    "visits_updated",
    "skipped_existing",
    "unchanged",
)


def _counters(report: ImportReport) -> dict[str, int]:
    return {name: getattr(report, name) for name in _COUNTERS}


@contextmanager
def _row_savepoint(store: Store):
    """One row's writes, rolled back alone when the row fails."""
    with store.savepoint("import_row"):
        yield


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ContactsError(
            f"导入方式“{mode}”无效，可选：skip（跳过已有）、fill（只补空白字段）、overwrite（覆盖）"
        )


def apply_import(
    store: Store,
    plans: list[RowPlan],
    report: ImportReport,
    *,
    only_good: bool = False,
    dry_run: bool = False,
    mode: str = "fill",
    progress: Callable[[int, int], None] | None = None,
    batch_info: dict[str, Any] | None = None,
) -> ImportReport:
    """Write the planned rows in one transaction. With errors and not ``only_good`` nothing
    is written (ImportRejected). ``dry_run`` computes the same report and rolls back. A
    written import is recorded as an import batch (``report.batch_id``)."""
    _check_mode(mode)
    report.mode = mode
    if report.errors and not only_good and not dry_run:
        first = "；".join(f"第 {line} 行：{reason}" for line, reason in report.errors[:5])
        more = f" 等 {len(report.errors)} 行" if len(report.errors) > 5 else ""
        raise ImportRejected(
            f"有 {len(report.errors)} 行数据有误，未导入任何数据。{first}{more}", report
        )
    batch_id = uuid.uuid4().hex[:12]
    try:
        with store.transaction(), _Recorder(store) as recorder:
            # A row that fails only while writing (e.g. its USCC belongs to another company)
            # is undone alone when bad rows may be skipped; otherwise the whole import is.
            savepoints = only_good or dry_run
            emails = _live_emails(store)
            for n, plan in enumerate(plans):
                marks = (len(recorder.changes), len(report.changes), _counters(report))
                try:
                    with _row_savepoint(store) if savepoints else nullcontext():
                        _apply_row(store, plan, report, emails, mode)
                except ContactsError as exc:
                    if not savepoints:
                        report.errors.append((plan.line, str(exc)))
                        report.good -= 1
                        raise ImportRejected(
                            f"第 {plan.line} 行：{exc}。未导入任何数据。", report
                        ) from exc
                    del recorder.changes[marks[0] :]
                    del report.changes[marks[1] :]
                    for name, value in marks[2].items():
                        setattr(report, name, value)
                    report.errors.append((plan.line, str(exc)))
                    report.good -= 1
                    continue
                if progress and n % 200 == 0:
                    progress(n, len(plans))
            if dry_run:
                raise _DryRun
            if recorder.changes:  # nothing written, nothing to undo: no batch
                _save_batch(store, batch_id, report, recorder.changes, batch_info or {})
            else:
                batch_id = ""
    except _DryRun:
        report.written = False
    else:
        report.written = True
        report.batch_id = batch_id
        report.errors.sort()
    if progress:
        progress(len(plans), len(plans))
    return report


def run_import(
    store: Store,
    tables: list[SourceTable],
    mappings: list[dict[int, str]],
    sources: list[str],
    *,
    only_good: bool = False,
    dry_run: bool = False,
    mode: str = "fill",
    progress=None,
    remember: bool = False,
    file_name: str = "",
) -> ImportReport:
    """Plan and apply the tables of one file with the given mappings (one batch, one
    transaction). ``remember`` saves each editable mapping for its header layout."""
    _check_mode(mode)
    plans: list[RowPlan] = []
    report = ImportReport()
    for table, table_mapping, table_source in zip(tables, mappings, sources, strict=True):
        table_plans, table_report = plan_import(store, table, table_mapping)
        plans += table_plans
        report.merge(table_report)
        report.sources.append(table_source)
    result = apply_import(
        store,
        plans,
        report,
        only_good=only_good,
        dry_run=dry_run,
        mode=mode,
        progress=progress,
        batch_info={"file_name": file_name, "source": "、".join(report.sources)},
    )
    if remember and result.written:
        for table, table_mapping, table_source in zip(tables, mappings, sources, strict=True):
            if table.fixed_mapping is None:
                remember_mapping(store, table.headers, table_mapping, table_source)
    return result


def import_file(
    store: Store,
    path: Path | str,
    *,
    mapping: dict[int, str] | None = None,
    only_good: bool = False,
    dry_run: bool = False,
    mode: str = "fill",
    source: str | None = None,
    progress=None,
    remember: bool = False,
) -> ImportReport:
    """Read, plan and apply a whole file (all its sheets: one batch, one transaction).
    ``mapping`` overrides the first table's mapping; otherwise a mapping remembered for the
    layout, else the (given or detected) source's alias table."""
    _check_mode(mode)
    if source and source not in SOURCES:
        raise ContactsError(f"未知的来源“{source}”，可选：{'、'.join(SOURCES)}")
    tables = read_sources(path)
    mappings, sources = [], []
    for n, table in enumerate(tables):
        if mapping is not None and n == 0:
            table_mapping, table_source = mapping, source or table.source
        else:
            table_mapping, table_source, _ = mapping_for(store, table, source)
        mappings.append(table_mapping)
        sources.append(table_source)
    return run_import(
        store,
        tables,
        mappings,
        sources,
        only_good=only_good,
        dry_run=dry_run,
        mode=mode,
        progress=progress,
        remember=remember,
        file_name=Path(path).name,
    )


# -- import batches -----------------------------------------------------------------------
def _save_batch(store, batch_id, report, changes, info) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store.execute(
        "INSERT INTO import_batches (id, created_at, file_name, source, mode, summary, counts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            batch_id,
            now,
            info.get("file_name", ""),
            info.get("source", ""),
            report.mode,
            report.summary(),
            json.dumps(
                {
                    k: getattr(report, k)
                    for k in (
                        "companies_created",
                        "companies_updated",
                        "people_created",
                        "people_updated",
                        "visits_created",
                        "visits_updated",
                    )
                }
            ),
        ),
    )
    for seq, (table, row_id, action, before, after) in enumerate(changes):
        store.execute(
            "INSERT INTO import_batch_changes (batch_id, seq, table_name, row_id, action, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                batch_id,
                seq,
                table,
                row_id,
                action,
                json.dumps(before or {}, ensure_ascii=False),
                json.dumps(after or {}, ensure_ascii=False),
            ),
        )


def list_imports(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT b.*, (SELECT count(*) FROM import_batch_changes c WHERE c.batch_id = b.id) AS writes "
        "FROM import_batches b ORDER BY b.created_at DESC, b.rowid DESC LIMIT ?",
        (limit,),
    )
    for row in rows:
        row["counts"] = json.loads(row["counts"] or "{}")
    return rows


def resolve_batch(store: Store, ref: str) -> dict[str, Any]:
    ref = (ref or "").strip()
    rows = (
        store.query(
            "SELECT * FROM import_batches WHERE id = ? OR id LIKE ? LIMIT 2", (ref, ref + "%")
        )
        if len(ref) >= 4
        else []
    )
    if not rows:
        raise ContactsError(f"找不到导入批次“{ref}”，可用 zsapp contacts imports 查看")
    if len(rows) > 1:
        raise ContactsError(f"“{ref}”对应多个导入批次，请输入完整编号")
    return rows[0]


def undo_import(store: Store, batch_id: str) -> dict[str, int]:
    """Revert an import batch in one step: records it created are deleted (tombstoned), and
    every field it changed gets its previous value back — unless that field was edited again
    after the import (then the newer value is kept and counted as ``kept``). Writes go
    through Store.update/delete, so the undo syncs like any edit."""
    batch = resolve_batch(store, batch_id)
    if batch["undone_at"]:
        raise ContactsError(f"导入批次 {batch['id']} 已于 {batch['undone_at']} 撤销过")
    result = {"removed": 0, "restored": 0, "kept": 0}
    changes = store.query(
        "SELECT * FROM import_batch_changes WHERE batch_id = ? ORDER BY seq DESC", (batch["id"],)
    )
    with store.transaction():
        for change in changes:
            table, row_id = change["table_name"], change["row_id"]
            current = store.get(table, row_id, include_deleted=True)
            if current is None:
                continue
            if change["action"] == "insert":
                if not current["deleted"]:
                    store.delete(table, row_id)
                    result["removed"] += 1
                continue
            before = json.loads(change["before"] or "{}")
            after = json.loads(change["after"] or "{}")
            restore = {k: v for k, v in before.items() if current.get(k) == after.get(k)}
            result["kept"] += len(before) - len(restore)
            if restore:
                store.update(table, row_id, restore)
                result["restored"] += len(restore)
        store.execute(
            "UPDATE import_batches SET undone_at = ? WHERE id = ?",
            (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), batch["id"]),
        )
    return result


__all__ = [
    "MODES",
    "SOURCES",
    "ImportRejected",
    "apply_import",
    "auto_mapping",
    "import_file",
    "list_imports",
    "normalise_phone",
    "plan_import",
    "read_source",
    "read_sources",
    "undo_import",
]
