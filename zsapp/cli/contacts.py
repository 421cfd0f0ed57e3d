"""``zsapp contacts import|export``, ``zsapp companies …``, ``zsapp people …``,
``zsapp visits …``, ``zsapp followups …``."""

from __future__ import annotations

import argparse
from pathlib import Path

from zsapp.cli import CliError, print_json, print_search_results
from zsapp.contacts import attachments, companies, exporter, importer, merge, people, quick, visits
from zsapp.contacts.validation import display_phone

COMPANY_OPTIONS = {  # option -> (field, help)
    "name": ("name", "企业名称"),
    "short-name": ("short_name", "简称"),
    "uscc": ("uscc", "统一社会信用代码"),
    "location": ("registered_location", "注册地"),
    "province": ("origin_province", "来源省份"),
    "city": ("origin_city", "来源城市"),
    "region": ("region_tag", "区域：京津冀/长三角/粤港澳大湾区/成渝/境外"),
    "country": ("country", "国家/地区"),
    "ownership": ("ownership", "所有制：央企/国企/民营/外资/港澳台"),
    "fortune500": ("is_fortune500", "世界500强 yes|no"),
    "china500": ("is_china500", "中国500强 yes|no"),
    "giant": ("is_specialized_giant", "专精特新“小巨人” yes|no"),
    "champion": ("is_single_champion", "制造业单项冠军 yes|no"),
    "listed": ("is_listed", "上市 yes|no"),
    "board": ("listing_board", "上市板块"),
    "code": ("listing_code", "股票代码"),
    "revenue": ("revenue_wan", "营收（万元，可写 1.2亿）"),
    "employees": ("employees", "员工人数"),
    "website": ("website", "网址"),
    "notes": ("notes", "备注"),
    "tags": ("tags", "标签，逗号分隔"),
    "dishonest": ("is_dishonest", "失信 yes|no"),
    "dishonest-date": ("dishonest_date", "列入失信日期"),
    "dishonest-source": ("dishonest_source", "失信信息来源"),
}
PERSON_OPTIONS = {
    "name": ("name", "姓名"),
    "company": ("company_id", "企业（id 或全称）"),
    "title": ("title", "职务"),
    "mobile": ("mobile", "手机"),
    "landline": ("landline", "座机"),
    "email": ("email", "邮箱"),
    "wechat": ("wechat", "微信"),
    "notes": ("notes", "备注"),
    "tags": ("tags", "标签，逗号分隔"),
}
FLAG_NAMES = {
    "fortune500": "is_fortune500",
    "china500": "is_china500",
    "giant": "is_specialized_giant",
    "champion": "is_single_champion",
    "listed": "is_listed",
}


def _add_field_options(parser, options) -> None:
    for option, (field, help_text) in options.items():
        parser.add_argument(f"--{option}", dest=f"f_{field}", metavar="VALUE", help=help_text)
        alias = field.replace("_", "-")  # the column name works too: --origin-province
        if alias != option:
            parser.add_argument(f"--{alias}", dest=f"f_{field}", help=argparse.SUPPRESS)


def _field_values(args) -> dict:
    return {k[2:]: v for k, v in vars(args).items() if k.startswith("f_") and v is not None}


def register(subparsers) -> None:
    # contacts import/export
    parser = subparsers.add_parser("contacts", help="客商数据导入导出")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser(
        "import",
        help="导入 CSV、Excel（xlsx/xls/ods/WPS）、vCard，企查查/天眼查/Outlook/Google 导出",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true", help="只检查并列出每行的改动，不写入")
    p.add_argument(
        "--mode",
        choices=list(importer.MODES),
        default="fill",
        help="已有记录：skip 跳过已有、fill 只补空白字段（默认）、overwrite 覆盖",
    )
    p.add_argument(
        "--source",
        choices=list(importer.SOURCES),
        help="文件来源（默认自动识别）："
        + "、".join(f"{k}={v[0]}" for k, v in importer.SOURCES.items()),
    )
    p.add_argument("--only-good", action="store_true", help="跳过有误的行，只导入正确的行")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)
    p = sub.add_parser("imports", help="导入记录（每次导入一个批次，可撤销）")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_imports)
    p = sub.add_parser("undo-import", help="撤销一次导入：恢复原值，删除其新建的记录")
    p.add_argument("batch", help="导入批次编号（见 zsapp contacts imports）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_undo_import)
    p = sub.add_parser("export", help="导出为 xlsx、csv 或 vcf")
    p.add_argument("--format", choices=["xlsx", "csv", "vcf"], required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument(
        "--kind",
        choices=list(exporter.KINDS),
        help="csv 导出的数据（默认 companies）；xlsx 默认全部",
    )
    p.add_argument("--person", action="append", default=[], help="vcf：只导出这些联系人（可重复）")
    p.set_defaults(handler=cmd_export)

    # companies
    parser = subparsers.add_parser("companies", help="企业（客商）")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="新建企业")
    _add_field_options(p, COMPANY_OPTIONS)
    p.add_argument("--item", action="append", default=[], help="行业：目录条目编号（可重复）")
    p.add_argument("--force", action="store_true", help="名称相近也保存")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_add)
    p = sub.add_parser("show", help="显示企业（含联系人、拜访、附件）")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_show)
    p = sub.add_parser("update", help="修改企业字段，如 --notes 文本 --dishonest yes")
    p.add_argument("id")
    _add_field_options(p, COMPANY_OPTIONS)
    p.add_argument(
        "--item", action="append", default=None, help="行业：替换为这些目录条目（可重复）"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_update)
    p = sub.add_parser("delete", help="删除企业")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_delete)
    p = sub.add_parser("list", help="列出企业（可筛选）")
    p.add_argument("--query", default="")
    p.add_argument("--region", default="")
    p.add_argument("--province", default="")
    p.add_argument("--ownership", default="")
    p.add_argument("--flag", action="append", default=[], choices=list(FLAG_NAMES))
    p.add_argument("--industry", default="", help="目录条目编号（I02-04）或产业编号（I02）")
    p.add_argument("--tag", default="")
    p.add_argument("--dishonest", choices=["yes", "no"])
    p.add_argument("--sort", default="name", choices=list(companies.SORTS))
    p.add_argument("--desc", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_list)
    p = sub.add_parser("search", help="检索企业（汉字、拼音、首字母）")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_search)
    p = sub.add_parser("merge", help="合并两家企业：保留 KEEP_ID，OTHER_ID 的人员、拜访、附件转入")
    p.add_argument("keep_id")
    p.add_argument("other_id")
    p.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD",
        help="该字段取被合并企业的值（可重复）",
    )
    p.add_argument("--preview", action="store_true", help="只显示合并后的结果，不合并")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_merge)
    p = sub.add_parser("unmerge", help="取消合并：被并入的企业恢复，原有的引用转回")
    p.add_argument("merged_id", help="被合并掉的企业 id")
    p.set_defaults(handler=cmd_unmerge)
    p = sub.add_parser("similar", help="查找名称相近的企业")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_company_similar)
    p = sub.add_parser("attach", help="给企业添加附件")
    p.add_argument("id")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=lambda a, s: cmd_attach(a, s, "companies"))

    # people
    parser = subparsers.add_parser("people", help="联系人")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="新建联系人")
    _add_field_options(p, PERSON_OPTIONS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_person_add)
    p = sub.add_parser("show", help="显示联系人（含任职经历、拜访）")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_person_show)
    p = sub.add_parser("update", help="修改联系人字段；--company 换单位时保留任职经历")
    p.add_argument("id")
    _add_field_options(p, PERSON_OPTIONS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_person_update)
    p = sub.add_parser("delete", help="删除联系人")
    p.add_argument("id")
    p.set_defaults(handler=cmd_person_delete)
    p = sub.add_parser("list", help="列出联系人")
    p.add_argument("--company", default="")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_person_list)
    p = sub.add_parser("search", help="检索联系人（姓名、拼音、手机号）")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_person_search)
    p = sub.add_parser("merge", help="合并两位联系人")
    p.add_argument("keep_id")
    p.add_argument("other_id")
    p.add_argument("--take", action="append", default=[], metavar="FIELD")
    p.add_argument("--preview", action="store_true", help="只显示合并后的结果，不合并")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_person_merge)
    p = sub.add_parser("unmerge", help="取消合并：被并入的联系人恢复")
    p.add_argument("merged_id", help="被合并掉的联系人 id")
    p.set_defaults(handler=cmd_unmerge)

    # visits
    parser = subparsers.add_parser("visits", help="拜访记录")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="记录一次拜访")
    p.add_argument("--at", default="", help="时间 YYYY-MM-DD HH:MM（默认现在）")
    p.add_argument("--kind", default="外出拜访", choices=visits.KINDS)
    p.add_argument("--city", default="")
    p.add_argument("--place", default="")
    p.add_argument("--ours", default="", help="我方人员")
    p.add_argument(
        "--company",
        action="append",
        default=[],
        help="企业 id、全称或简称（可重复；找不到则新建）",
    )
    p.add_argument(
        "--person",
        action="append",
        default=[],
        help="联系人 id 或姓名（可重复；找不到则在第一家企业下新建）",
    )
    p.add_argument("--allow-similar", action="store_true", help="企业名称与已有企业相近时仍新建")
    p.add_argument("--item", action="append", default=[], help="目录条目编号（可重复）")
    p.add_argument("--project", action="append", default=[], help="项目 id（可重复）")
    p.add_argument("--notes", default="")
    p.add_argument("--outcome", default="无", choices=visits.OUTCOMES)
    p.add_argument(
        "--followup", action="append", default=[], help="跟进事项：“内容@YYYY-MM-DD”（可重复）"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit_add)
    p = sub.add_parser("show", help="显示拜访记录")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit_show)
    p = sub.add_parser(
        "update", help="修改拜访记录；给出的 --company/--person/--item/--project 替换原有的"
    )
    p.add_argument("id")
    p.add_argument("--at", default=None, help="时间 YYYY-MM-DD HH:MM")
    p.add_argument("--kind", default=None, choices=visits.KINDS)
    p.add_argument("--city", default=None)
    p.add_argument("--place", default=None)
    p.add_argument("--ours", default=None, help="我方人员")
    p.add_argument("--notes", default=None)
    p.add_argument("--outcome", default=None, choices=visits.OUTCOMES)
    for option, what in (
        ("company", "企业 id 或全称"),
        ("person", "联系人 id 或姓名"),
        ("item", "目录条目编号"),
        ("project", "项目 id"),
    ):
        p.add_argument(f"--{option}", action="append", default=None, help=f"{what}（可重复）")
        p.add_argument(f"--no-{option}", action="store_true", help=f"清空{what.split(' ')[0]}")
    p.add_argument(
        "--followup",
        action="append",
        default=None,
        help="跟进事项“内容@YYYY-MM-DD”（可重复；给出时替换原有的全部跟进事项）",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit_update)
    p = sub.add_parser("delete", help="删除拜访记录（放入回收站）")
    p.add_argument("id")
    p.set_defaults(handler=cmd_visit_delete)
    p = sub.add_parser("list", help="列出拜访记录（新的在前）")
    p.add_argument("--query", default="")
    p.add_argument("--since", default="")
    p.add_argument("--until", default="")
    p.add_argument("--company", default="")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit_list)
    p = sub.add_parser("attach", help="给拜访记录添加附件")
    p.add_argument("id")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=lambda a, s: cmd_attach(a, s, "visits"))

    # follow-ups
    parser = subparsers.add_parser("followups", help="跟进事项")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="列出未完成的跟进事项")
    p.add_argument("--due", action="store_true", help="只列到期（今天及以前）的")
    p.add_argument("--within", type=int, default=None, help="列出今后 N 天内到期的")
    p.add_argument("--all", action="store_true", help="包括已完成的")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_followups_list)
    p = sub.add_parser("done", help="标记跟进事项已完成")
    p.add_argument("id")
    p.add_argument("--undo", action="store_true", help="改回未完成")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_followup_done)
    p = sub.add_parser("add", help="给拜访记录添加跟进事项")
    p.add_argument("visit_id")
    p.add_argument("text")
    p.add_argument("--due", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_followup_add)
    p = sub.add_parser("update", help="修改跟进事项的内容或截止日期")
    p.add_argument("id")
    p.add_argument("--text", default=None)
    p.add_argument("--due", default=None, help="YYYY-MM-DD；空字符串表示不设截止日期")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_followup_update)
    p = sub.add_parser("delete", help="删除跟进事项（放入回收站）")
    p.add_argument("id")
    p.set_defaults(handler=cmd_followup_delete)

    # employment
    parser = subparsers.add_parser("employment", help="联系人的任职经历")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("update", help="修改一段任职经历")
    p.add_argument("id")
    p.add_argument("--company", default=None, help="企业 id 或全称")
    p.add_argument("--title", default=None)
    p.add_argument("--start", default=None, help="开始日期 YYYY-MM-DD")
    p.add_argument("--end", default=None, help="结束日期 YYYY-MM-DD（空字符串=至今）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_employment_update)
    p = sub.add_parser("delete", help="删除一段任职经历（放入回收站）")
    p.add_argument("id")
    p.set_defaults(handler=cmd_employment_delete)


def _check_limit(args) -> None:
    if getattr(args, "limit", 1) < 1:
        raise CliError("--limit 必须是正整数")


# -- contacts import/export ------------------------------------------------------------
def cmd_import(args, store) -> int:
    try:
        report = importer.import_file(
            store,
            args.file,
            only_good=args.only_good,
            dry_run=args.dry_run,
            mode=args.mode,
            source=args.source,
        )
    except importer.ImportRejected as exc:
        if args.json:
            print_json({**exc.report.as_json(), "message": str(exc)})
        else:
            for line, reason in exc.report.errors:
                print(f"第 {line} 行：{reason}")
        raise
    if args.json:
        print_json(report.as_json())
        return 0
    for line, reason in report.errors:
        print(f"第 {line} 行：{reason}（已跳过）")
    for line, message in report.warnings:
        print(f"第 {line} 行：提示：{message}")
    for change in report.changes:
        if change.action in ("更新", "跳过") or args.dry_run:
            print(change.text())
    prefix = "检查结果（未写入）：" if args.dry_run else "已导入："
    print(prefix + report.summary() + f"（方式：{importer.MODES[report.mode]}）")
    if report.written:
        print(f"导入批次 {report.batch_id}，撤销：zsapp contacts undo-import {report.batch_id}")
    return 0


def cmd_imports(args, store) -> int:
    _check_limit(args)
    rows = importer.list_imports(store, args.limit)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("还没有导入记录")
    for r in rows:
        state = f"已撤销 {r['undone_at']}" if r["undone_at"] else "可撤销"
        print(f"{r['id']}  {r['created_at']}  {r['file_name']}  {r['summary']}  〔{state}〕")
    return 0


def cmd_undo_import(args, store) -> int:
    result = importer.undo_import(store, args.batch)
    if args.json:
        print_json(result)
        return 0
    text = f"已撤销导入：删除新建记录 {result['removed']} 条，恢复字段 {result['restored']} 个"
    if result["kept"]:
        text += f"；{result['kept']} 个字段在导入后又被修改过，保留了修改后的值"
    print(text)
    return 0


def cmd_export(args, store) -> int:
    ids = [people.resolve(store, p) for p in args.person]
    counts = exporter.export(store, args.format, args.output, kind=args.kind or "", person_ids=ids)
    print(exporter.describe(counts, args.output))
    return 0


# -- companies -------------------------------------------------------------------------
def _print_company(store, data) -> None:
    flags = [label for key, label in companies.FLAGS.items() if data[key]]
    print(f"{data['name']}  〔{data['id']}〕")
    for key in (
        "short_name",
        "uscc",
        "registered_location",
        "origin_province",
        "origin_city",
        "region_tag",
        "country",
        "ownership",
        "listing_board",
        "listing_code",
        "revenue_wan",
        "employees",
        "website",
    ):
        if data.get(key) not in ("", None):
            print(f"  {companies.LABELS[key]}：{data[key]}")
    if flags:
        print(f"  标记：{'、'.join(flags)}")
    if data["is_dishonest"]:
        print(f"  ⚠ 失信：列入失信惩戒清单 {data['dishonest_date']} {data['dishonest_source']}")
    if data["items"]:
        print(f"  行业：{'、'.join(data['items'])}")
    if data["tags"]:
        print(f"  标签：{'、'.join(data['tags'])}")
    if data.get("notes"):
        print(f"  备注：{data['notes']}")
    for p in data.get("people", []):
        print(f"  联系人：{p['name']} {p['title']} {display_phone(p['mobile'])}  〔{p['id']}〕")
    for v in data.get("visits", []):
        print(
            f"  拜访：{v['visited_at'].replace('T', ' ')} {v['kind']} {v['outcome']}  〔{v['id']}〕"
        )
    for a in data.get("attachments", []):
        print(f"  附件：{a['filename']} ({a['size']} 字节)")


def cmd_company_add(args, store) -> int:
    values = _field_values(args)
    try:
        company_id = companies.create_company(
            store, values, items=args.item, allow_similar=args.force
        )
    except companies.DuplicateCompany as exc:
        raise CliError(f"{exc}（companies show {exc.existing_id}）") from exc
    except companies.SimilarCompanyWarning as exc:
        ids = "、".join(f"{c['name']}〔{c['id']}〕（{c['reason']}）" for c in exc.candidates)
        raise CliError(f"已有名称相近的企业：{ids}。确认不是同一家请加 --force") from exc
    row = companies.get_company(store, company_id)
    if args.json:
        print_json(companies.as_json(store, row))
    else:
        print(f"已新建企业：{row['name']}  〔{company_id}〕")
    return 0


def cmd_company_show(args, store) -> int:
    company_id = companies.resolve(store, args.id)
    data = companies.as_json(store, companies.get_company(store, company_id), detail=True)
    if args.json:
        print_json(data)
    else:
        _print_company(store, data)
    return 0


def cmd_company_update(args, store) -> int:
    company_id = companies.resolve(store, args.id)
    values = _field_values(args)
    if not values and args.item is None:
        raise CliError("没有要修改的字段，例如 --notes 文本 或 --dishonest yes")
    try:
        companies.update_company(store, company_id, values, items=args.item)
    except companies.DuplicateCompany as exc:
        raise CliError(f"{exc}（companies show {exc.existing_id}）") from exc
    data = companies.as_json(store, companies.get_company(store, company_id))
    if args.json:
        print_json(data)
    else:
        print(f"已更新企业：{data['name']}  〔{company_id}〕")
    return 0


def cmd_company_delete(args, store) -> int:
    company_id = companies.resolve(store, args.id)
    companies.delete_company(store, company_id)
    if args.json:
        print_json({"id": company_id, "deleted": True})
    else:
        print(f"已删除企业 {company_id}")
    return 0


def _company_line(row) -> str:
    marks = "".join(
        m
        for key, m in (
            ("is_fortune500", "〔世界500强〕"),
            ("is_china500", "〔中国500强〕"),
            ("is_specialized_giant", "〔小巨人〕"),
            ("is_single_champion", "〔单项冠军〕"),
            ("is_listed", "〔上市〕"),
            ("is_dishonest", "〔失信〕"),
        )
        if row.get(key)
    )
    where = " ".join(
        x for x in (row.get("region_tag"), row.get("origin_province"), row.get("origin_city")) if x
    )
    return f"{row['id']}  {row['name']}  {where}{marks}"


def cmd_company_list(args, store) -> int:
    _check_limit(args)
    flt = companies.CompanyFilter(
        query=args.query,
        region_tag=args.region,
        province=args.province,
        ownership=args.ownership,
        flags=[FLAG_NAMES[f] for f in args.flag],
        item=args.industry,
        tag=args.tag,
        dishonest=None if args.dishonest is None else args.dishonest == "yes",
    )
    rows = companies.list_companies(
        store,
        flt,
        sort=args.sort if not args.query else "",
        descending=args.desc,
        limit=args.limit,
        offset=args.offset,
    )
    if args.json:
        print_json([companies.as_json(store, companies.get_company(store, r["id"])) for r in rows])
    else:
        total = companies.count_companies(store, flt)
        for row in rows:
            print(_company_line(row))
        print(f"（共 {total} 家，显示 {len(rows)} 家）")
    return 0


def cmd_company_search(args, store) -> int:
    _check_limit(args)
    rows = companies.search_companies(store, args.query, args.limit)
    return print_search_results(
        rows,
        args.json,
        args.query,
        "企业",
        lambda row: f"{row['id']}  {row['name']}  〔{row['matched']}〕",
    )


def _print_plan(plan, as_json: bool) -> int:
    if as_json:
        print_json(plan)
        return 0
    print(plan["summary"])
    for f in plan["fields"]:
        if f["keep"] != f["other"]:
            print(
                f"  {f['label']}：{f['keep'] or '—'} / {f['other'] or '—'} → {f['merged'] or '—'}"
            )
    return 0


def cmd_unmerge(args, store) -> int:
    result = merge.unmerge(store, args.merged_id)
    print(f"已取消合并：{result['restored']} 已恢复（与 {result['kept']} 分开）")
    return 0


def cmd_company_merge(args, store) -> int:
    keep = companies.resolve(store, args.keep_id)
    other = companies.resolve(store, args.other_id)
    if args.preview:
        return _print_plan(merge.merge_plan(store, "companies", keep, other), args.json)
    result = merge.merge_companies(store, keep, other, dict.fromkeys(args.take, "other"))
    if args.json:
        print_json(result)
    else:
        print(f"已合并：{other} 并入 {keep}，转移引用 {result['references_moved']} 处")
    return 0


def cmd_company_similar(args, store) -> int:
    rows = companies.find_similar(store, args.name, limit=20)
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print(f"{row['id']}  {row['name']}  （{row['reason']}）")
        if not rows:
            print("没有名称相近的企业")
    return 0


def cmd_attach(args, store, owner_table) -> int:
    owner = (
        companies.resolve(store, args.id)
        if owner_table == "companies"
        else visits.get_visit(store, args.id)["id"]
    )
    attachment_id = attachments.add_attachment(store, owner_table, owner, args.file)
    if args.json:
        print_json({"id": attachment_id, "owner_id": owner})
    else:
        print(f"已添加附件 {args.file.name}  〔{attachment_id}〕")
    return 0


# -- people ----------------------------------------------------------------------------
def _person_values(args, store) -> dict:
    values = _field_values(args)
    if values.get("company_id"):
        values["company_id"] = companies.resolve(store, values["company_id"])
    return values


def cmd_person_add(args, store) -> int:
    person_id = people.create_person(store, _person_values(args, store))
    data = people.as_json(store, people.get_person(store, person_id))
    if args.json:
        print_json(data)
    else:
        print(f"已新建联系人：{data['name']}  〔{person_id}〕")
    return 0


def cmd_person_show(args, store) -> int:
    person_id = people.resolve(store, args.id)
    data = people.as_json(store, people.get_person(store, person_id), detail=True)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['name']}  {data['title']}  {data['company_name']}  〔{person_id}〕")
    for key in ("mobile", "landline"):
        if data[key]:
            print(f"  {people.LABELS[key]}：{display_phone(data[key])}")
    for key in ("email", "wechat", "notes"):
        if data[key]:
            print(f"  {people.LABELS[key]}：{data[key]}")
    for job in data["employment"]:
        print(
            f"  任职：{job['company_name']} {job['title']} {job['start_date']} ~ {job['end_date'] or '至今'}"
        )
    for v in data["visits"]:
        print(f"  拜访：{v['visited_at'].replace('T', ' ')} {v['kind']}  〔{v['id']}〕")
    return 0


def cmd_person_update(args, store) -> int:
    person_id = people.resolve(store, args.id)
    values = _person_values(args, store)
    if not values:
        raise CliError("没有要修改的字段，例如 --mobile 13800138000")
    people.update_person(store, person_id, values)
    data = people.as_json(store, people.get_person(store, person_id))
    if args.json:
        print_json(data)
    else:
        print(f"已更新联系人：{data['name']}  〔{person_id}〕")
    return 0


def cmd_person_delete(args, store) -> int:
    person_id = people.resolve(store, args.id)
    people.delete_person(store, person_id)
    print(f"已删除联系人 {person_id}")
    return 0


def _person_rows(store, rows, as_json: bool) -> None:
    if as_json:
        print_json([{**r, "tags": __import__("json").loads(r["tags"] or "[]")} for r in rows])
    else:
        for r in rows:
            print(
                f"{r['id']}  {r['name']}  {r['title']}  {r['company_name'] or ''}  {display_phone(r['mobile'])}"
            )


def cmd_person_list(args, store) -> int:
    _check_limit(args)
    company_id = companies.resolve(store, args.company) if args.company else None
    _person_rows(
        store,
        people.list_people(store, company_id=company_id, limit=args.limit, offset=args.offset),
        args.json,
    )
    return 0


def cmd_person_search(args, store) -> int:
    _check_limit(args)
    rows = people.search_people(store, args.query, args.limit)
    if not rows and not args.json:
        print(f"没有找到与“{args.query}”相关的联系人")
    _person_rows(store, rows, args.json)
    return 0


def cmd_person_merge(args, store) -> int:
    keep = people.resolve(store, args.keep_id)
    other = people.resolve(store, args.other_id)
    if args.preview:
        return _print_plan(merge.merge_plan(store, "people", keep, other), args.json)
    result = merge.merge_people(store, keep, other, dict.fromkeys(args.take, "other"))
    if args.json:
        print_json(result)
    else:
        print(f"已合并：{other} 并入 {keep}，转移引用 {result['references_moved']} 处")
    return 0


# -- visits ----------------------------------------------------------------------------
def cmd_visit_add(args, store) -> int:
    values = {
        "kind": args.kind,
        "city": args.city,
        "place": args.place,
        "our_participants": args.ours,
        "notes": args.notes,
        "outcome": args.outcome,
    }
    if args.at:
        values["visited_at"] = args.at
    visit_id = quick.record_visit(
        store,
        values,
        companies_typed=args.company,
        people_typed=args.person,
        allow_similar=args.allow_similar,
        items=args.item,
        projects=args.project,
        followups=args.followup,
    )
    data = visits.as_json(store, visits.get_visit(store, visit_id))
    if args.json:
        print_json(data)
    else:
        print(f"已记录拜访：{data['visited_at'].replace('T', ' ')} {data['kind']}  〔{visit_id}〕")
        for f in data["followups"]:
            print(f"  跟进：{f['text']} {f['due_date']}  〔{f['id']}〕")
    return 0


def cmd_visit_show(args, store) -> int:
    data = visits.as_json(store, visits.get_visit(store, args.id))
    if args.json:
        print_json(data)
        return 0
    print(
        f"{data['visited_at'].replace('T', ' ')}  {data['kind']}  {data['city']} {data['place']}  意向：{data['outcome']}"
    )
    print(f"  企业：{'、'.join(c['name'] for c in data['companies']) or '—'}")
    print(f"  对方人员：{'、'.join(p['name'] for p in data['people']) or '—'}")
    if data["our_participants"]:
        print(f"  我方人员：{data['our_participants']}")
    if data["items"]:
        print(f"  目录条目：{'、'.join(i['id'] + ' ' + i['name'] for i in data['items'])}")
    if data["notes"]:
        print(f"  纪要：{data['notes']}")
    for f in data["followups"]:
        print(f"  {'☑' if f['done'] else '☐'} {f['text']} {f['due_date']}  〔{f['id']}〕")
    return 0


def cmd_visit_list(args, store) -> int:
    _check_limit(args)
    if args.company:
        rows = visits.company_timeline(store, companies.resolve(store, args.company), args.limit)
    else:
        rows = visits.list_visits(
            store, args.query, since=args.since, until=args.until, limit=args.limit
        )
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(
                f"{r['id']}  {r['visited_at'].replace('T', ' ')}  {r['kind']}  {r['companies'] or ''}  {r['outcome']}"
            )
    return 0


# -- follow-ups ------------------------------------------------------------------------
def cmd_followups_list(args, store) -> int:
    within = 0 if args.due else args.within
    rows = visits.list_followups(store, due_within=within, include_done=args.all)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有待办的跟进事项")
    for r in rows:
        state = (
            "已完成"
            if r["done"]
            else "已逾期"
            if r["overdue"]
            else "今天到期"
            if r["due_today"]
            else (r["due_date"] or "无期限")
        )
        print(f"{r['id']}  [{state}] {r['due_date']} {r['text']}  （{r['companies'] or '—'}）")
    return 0


def cmd_followup_done(args, store) -> int:
    followup_id = visits.resolve_followup(store, args.id)
    row = visits.set_followup_done(store, followup_id, not args.undo)
    if args.json:
        print_json({k: row[k] for k in ("id", "visit_id", "text", "due_date", "done", "done_at")})
    else:
        print(f"{'已完成' if row['done'] else '改为未完成'}：{row['text']}")
    return 0


def cmd_followup_add(args, store) -> int:
    followup_id = visits.add_followup(store, args.visit_id, args.text, args.due)
    if args.json:
        print_json({"id": followup_id})
    else:
        print(f"已添加跟进事项 〔{followup_id}〕")
    return 0


def cmd_visit_update(args, store) -> int:
    values = {
        field: value
        for field, value in (
            ("visited_at", args.at),
            ("kind", args.kind),
            ("city", args.city),
            ("place", args.place),
            ("our_participants", args.ours),
            ("notes", args.notes),
            ("outcome", args.outcome),
        )
        if value is not None
    }

    def links(option, resolve):
        given = getattr(args, option)
        if getattr(args, f"no_{option}"):
            return []
        return None if given is None else [resolve(x) for x in given]

    changes = {
        "companies": links("company", lambda c: companies.resolve(store, c)),
        "people": links("person", lambda p: people.resolve(store, p)),
        "items": links("item", str),
        "projects": links("project", str),
        "followups": args.followup,
    }
    if not values and all(v is None for v in changes.values()):
        raise CliError("没有要修改的内容，例如 --notes 文本 或 --at '2026-11-30 14:00'")
    visit_id = visits.get_visit(store, args.id)["id"]
    visits.update_visit(store, visit_id, values, **changes)
    data = visits.as_json(store, visits.get_visit(store, visit_id))
    if args.json:
        print_json(data)
    else:
        print(
            f"已修改拜访记录：{data['visited_at'].replace('T', ' ')} {data['kind']}  〔{visit_id}〕"
        )
    return 0


def cmd_visit_delete(args, store) -> int:
    visits.delete_visit(store, args.id)
    print(f"已删除拜访记录 {args.id}（可在回收站恢复：zsapp trash restore {args.id}）")
    return 0


def cmd_followup_update(args, store) -> int:
    followup_id = visits.resolve_followup(store, args.id)
    changes = {k: v for k, v in (("text", args.text), ("due_date", args.due)) if v is not None}
    if not changes:
        raise CliError("没有要修改的内容，例如 --text 文本 或 --due 2026-12-31")
    row = visits.update_followup(store, followup_id, changes)
    if args.json:
        print_json({k: row[k] for k in ("id", "visit_id", "text", "due_date", "done")})
    else:
        print(f"已修改跟进事项：{row['text']} {row['due_date']}  〔{followup_id}〕")
    return 0


def cmd_followup_delete(args, store) -> int:
    followup_id = visits.resolve_followup(store, args.id)
    visits.delete_followup(store, followup_id)
    print(f"已删除跟进事项 {followup_id}（可在回收站恢复）")
    return 0


def cmd_employment_update(args, store) -> int:
    changes = {
        k: v
        for k, v in (
            ("title", args.title),
            ("start_date", args.start),
            ("end_date", args.end),
        )
        if v is not None
    }
    if args.company is not None:
        changes["company_id"] = companies.resolve(store, args.company)
    if not changes:
        raise CliError("没有要修改的内容，例如 --start 2020-01-01 或 --title 总经理")
    row = people.update_employment(store, args.id, changes)
    if args.json:
        print_json(row)
    else:
        print(
            f"已修改任职经历 〔{args.id}〕：{row['title']} {row['start_date']}～{row['end_date'] or '至今'}"
        )
    return 0


def cmd_employment_delete(args, store) -> int:
    people.delete_employment(store, args.id)
    print(f"已删除任职经历 {args.id}（可在回收站恢复）")
    return 0
