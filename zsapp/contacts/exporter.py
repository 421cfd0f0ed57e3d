"""Export companies, people and visits to CSV (UTF-8 with BOM, so Excel on Chinese
Windows opens it right) and XLSX; people to vCard 3.0 (Chinese names intact)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zsapp.contacts import companies as companies_mod
from zsapp.contacts.validation import ContactsError, display_phone
from zsapp.names import split_chinese_name
from zsapp.store import Store

KINDS = {"companies": "企业", "people": "联系人", "visits": "拜访记录"}
_YESNO = lambda v: "是" if v else "否"  # noqa: E731

COMPANY_COLUMNS = [(f, companies_mod.LABELS[f]) for f in companies_mod.FIELDS]
COMPANY_COLUMNS = [
    (f, "企业备注" if f == "notes" else "企业标签" if f == "tags" else label)
    for f, label in COMPANY_COLUMNS
] + [("items", "行业（目录条目编号）"), ("id", "编号")]
PEOPLE_COLUMNS = [
    ("name", "联系人"),
    ("company_name", "企业名称"),
    ("title", "联系人职务"),
    ("mobile", "联系人手机"),
    ("landline", "联系人座机"),
    ("email", "联系人邮箱"),
    ("wechat", "联系人微信"),
    ("notes", "联系人备注"),
    ("tags", "联系人标签"),
    ("id", "编号"),
]
VISIT_COLUMNS = [
    ("visited_at", "拜访时间"),
    ("kind", "方式"),
    ("city", "城市"),
    ("place", "地点"),
    ("companies", "企业"),
    ("people", "对方人员"),
    ("our_participants", "我方人员"),
    ("outcome", "意向程度"),
    ("notes", "纪要"),
    ("followups", "跟进事项"),
    ("id", "编号"),
]


def _company_rows(store: Store) -> Iterator[list[Any]]:
    rows = store.iter_query(
        "SELECT c.*, (SELECT group_concat(item_id, '、') FROM (SELECT item_id FROM company_items "
        "WHERE company_id = c.id AND deleted = 0 ORDER BY item_id)) AS items "
        "FROM companies c WHERE c.deleted = 0 ORDER BY c.name, c.id"
    )
    for row in rows:
        out = []
        for f, _ in COMPANY_COLUMNS:
            v = row.get(f)
            if f in companies_mod.FLAGS or f == "is_dishonest":
                v = _YESNO(v)
            elif f == "tags":
                v = "、".join(json.loads(v or "[]"))
            out.append("" if v is None else v)
        yield out


def _people_rows(store: Store) -> Iterator[list[Any]]:
    rows = store.iter_query(
        "SELECT p.*, c.name AS company_name FROM people p LEFT JOIN companies c ON c.id = p.company_id "
        "WHERE p.deleted = 0 ORDER BY p.name, p.id"
    )
    for row in rows:
        out = []
        for f, _ in PEOPLE_COLUMNS:
            v = row.get(f) or ""
            if f in ("mobile", "landline"):
                v = display_phone(v)
            elif f == "tags":
                v = "、".join(json.loads(v or "[]"))
            out.append(v)
        yield out


def _visit_rows(store: Store) -> Iterator[list[Any]]:
    rows = store.iter_query(
        "SELECT v.*, "
        "(SELECT group_concat(c.name, '、') FROM visit_companies l JOIN companies c ON c.id = l.company_id "
        " WHERE l.visit_id = v.id AND l.deleted = 0) AS companies, "
        "(SELECT group_concat(p.name, '、') FROM visit_people l JOIN people p ON p.id = l.person_id "
        " WHERE l.visit_id = v.id AND l.deleted = 0) AS people, "
        "(SELECT group_concat(f.text || CASE WHEN f.due_date <> '' THEN '（' || f.due_date || '）' ELSE '' END "
        "   || CASE WHEN f.done THEN '✓' ELSE '' END, '；') FROM followups f "
        " WHERE f.visit_id = v.id AND f.deleted = 0) AS followups "
        "FROM visits v WHERE v.deleted = 0 ORDER BY v.visited_at DESC, v.id"
    )
    for row in rows:
        yield [
            (row.get(f) or "").replace("T", " ") if f == "visited_at" else (row.get(f) or "")
            for f, _ in VISIT_COLUMNS
        ]


def table(store: Store, kind: str) -> tuple[list[str], Iterator[list[Any]]]:
    if kind == "companies":
        return [h for _, h in COMPANY_COLUMNS], _company_rows(store)
    if kind == "people":
        return [h for _, h in PEOPLE_COLUMNS], _people_rows(store)
    if kind == "visits":
        return [h for _, h in VISIT_COLUMNS], _visit_rows(store)
    raise ContactsError(f"不能导出“{kind}”，可选：companies、people、visits")


def _atomic_target(path: Path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _finish(tmp: Path, path: Path) -> None:
    os.replace(tmp, path)


def export_csv(store: Store, kind: str, path: Path | str) -> int:
    headers, rows = table(store, kind)
    tmp = _atomic_target(Path(path))
    count = 0
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            for row in rows:
                writer.writerow(row)
                count += 1
        _finish(tmp, Path(path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def export_xlsx(store: Store, kinds: list[str], path: Path | str) -> dict[str, int]:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = openpyxl.Workbook(write_only=True)
    counts = {}
    for kind in kinds:
        headers, rows = table(store, kind)
        ws = wb.create_sheet(KINDS[kind])
        bold = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = Font(bold=True)
            bold.append(cell)
        ws.append(bold)
        n = 0
        for row in rows:
            ws.append([str(v) if isinstance(v, str) else v for v in row])  # codes stay text
            n += 1
        counts[kind] = n
    tmp = _atomic_target(Path(path))
    try:
        wb.save(tmp)
        _finish(tmp, Path(path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts


def vcard(person: dict[str, Any]) -> str:
    import vobject

    card = vobject.vCard()
    card.add("version").value = "3.0"
    card.add("fn").value = person["name"]
    family, given = split_chinese_name(person["name"])
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    if person.get("company_name"):
        card.add("org").value = [person["company_name"]]
    if person.get("title"):
        card.add("title").value = person["title"]
    if person.get("mobile"):
        tel = card.add("tel")
        tel.value = person["mobile"]
        tel.type_paramlist = ["CELL", "VOICE"]
    if person.get("landline"):
        tel = card.add("tel")
        tel.value = person["landline"]
        tel.type_paramlist = ["WORK", "VOICE"]
    if person.get("email"):
        email = card.add("email")
        email.value = person["email"]
        email.type_param = "INTERNET"
    if person.get("wechat"):
        card.add("x-wechat").value = person["wechat"]
    if person.get("notes"):
        card.add("note").value = person["notes"]
    return card.serialize()


def export_vcf(store: Store, path: Path | str, person_ids: list[str] | None = None) -> int:
    sql = (
        "SELECT p.*, c.name AS company_name FROM people p LEFT JOIN companies c ON c.id = p.company_id "
        "WHERE p.deleted = 0"
    )
    params: list[Any] = []
    if person_ids:
        sql += f" AND p.id IN ({', '.join('?' for _ in person_ids)})"
        params = list(person_ids)
    rows = store.query(sql + " ORDER BY p.name", params)
    if person_ids and len(rows) != len(set(person_ids)):
        raise ContactsError("有联系人不存在或已删除")
    tmp = _atomic_target(Path(path))
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            for row in rows:
                fh.write(vcard(row))
        _finish(tmp, Path(path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(rows)


FORMATS = {"xlsx": "Excel 工作簿", "csv": "CSV 文件", "vcf": "vCard 名片"}


def export(
    store: Store,
    fmt: str,
    path: Path | str,
    *,
    kind: str = "",
    person_ids: list[str] | None = None,
) -> dict[str, int]:
    """Export in ``fmt`` (xlsx: every kind or ``kind``; csv: one kind, companies unless
    told; vcf: people, all or ``person_ids``); returns rows written per kind. Both the
    客商 page and ``zsapp contacts export`` call this."""
    if fmt not in FORMATS:
        raise ContactsError(f"不支持的导出格式“{fmt}”，可选：{'、'.join(FORMATS)}")
    if kind and kind not in KINDS:
        raise ContactsError(f"未知的导出内容“{kind}”")
    if fmt == "csv":
        kind = kind or "companies"
        return {kind: export_csv(store, kind, path)}
    if fmt == "xlsx":
        return export_xlsx(store, [kind] if kind else list(KINDS), path)
    if kind and kind != "people":
        raise ContactsError("vcf 只能导出联系人")
    return {"people": export_vcf(store, path, person_ids or None)}


def describe(counts: dict[str, int], path: Path | str) -> str:
    """'已导出 企业 3 条、联系人 2 条 到 …' for a status line or the CLI."""
    return "已导出 " + "、".join(f"{KINDS[k]} {n} 条" for k, n in counts.items()) + f" 到 {path}"
