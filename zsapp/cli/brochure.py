"""``zsapp brochure``: print-ready PDF 推介册 from the database, their history and templates.

zsapp brochure --projects KM-2026-0001,KM-2026-0002 [--for-company ID] [--lang zh|zh-en]
               [--template NAME] [--page] -o file.pdf
zsapp brochure history [--company ID] [--json]
zsapp brochure template list|add|delete ...
zsapp brochure texts CODE [--name-en ...] [--summary-en ...] [--highlights ...] [--advantages ...]
zsapp brochure url [URL | --clear]
"""

from __future__ import annotations

import sys
from pathlib import Path

from zsapp.cli import CliError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "brochure",
        help="生成推介册 PDF（含二维码）、查看生成记录、管理推介模板",
        description="生成推介册：--projects 指定项目编号（逗号分隔），或 --for-company 按企业产业自动挑选项目。",
    )
    parser.add_argument(
        "--projects", metavar="CODE,CODE", help="项目编号，逗号分隔（按此顺序编排）"
    )
    parser.add_argument(
        "--for-company",
        metavar="ID",
        dest="company",
        help="致某企业：封面写“致 企业名称”；未给 --projects 时按企业所属产业自动挑选项目",
    )
    parser.add_argument(
        "--lang", choices=("zh", "zh-en"), default=None, help="zh 中文（默认）或 zh-en 中英双语"
    )
    parser.add_argument(
        "--template", metavar="NAME", help="推介模板名称（标题、推介说明、封面图片、语言）"
    )
    parser.add_argument("--title", help="推介册标题（覆盖模板）")
    parser.add_argument(
        "--intro-file", type=Path, metavar="FILE", help="推介说明文字（UTF-8 文本文件，覆盖模板）"
    )
    parser.add_argument("--cover", type=Path, metavar="IMAGE", help="封面图片（覆盖模板）")
    parser.add_argument(
        "--page", action="store_true", help="生成单项目推介页（仅一个项目，无封面和目录）"
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE.pdf", help="输出 PDF 文件")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    parser.add_argument("--quiet", "-q", action="store_true", help="不显示进度")
    parser.set_defaults(handler=cmd_generate)

    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    p = sub.add_parser("history", help="已生成的推介册：时间、对象企业、项目、文件")
    p.add_argument("--company", metavar="ID", help="只看给某企业的推介册")
    p.add_argument("--search", metavar="TEXT", help="按企业名称、项目编号、标题或文件名筛选")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_history)

    p = sub.add_parser("template", help="推介模板")
    tsub = p.add_subparsers(dest="template_action", metavar="ACTION", required=True)
    t = tsub.add_parser("list", help="列出推介模板")
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=cmd_template_list)
    t = tsub.add_parser("add", help="新建或更新推介模板（同名则更新）")
    t.add_argument("name")
    t.add_argument("--title", default=None)
    t.add_argument("--intro-file", type=Path, metavar="FILE")
    t.add_argument("--cover", type=Path, metavar="IMAGE")
    t.add_argument("--lang", choices=("zh", "zh-en"), default=None)
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=cmd_template_add)
    t = tsub.add_parser("delete", help="删除推介模板")
    t.add_argument("name")
    t.set_defaults(handler=cmd_template_delete)

    p = sub.add_parser("texts", help="项目的推介文字：英文名称/简介、项目亮点、优势与政策")
    p.add_argument("project", metavar="CODE")
    p.add_argument("--name-en")
    p.add_argument("--summary-en")
    p.add_argument("--highlights")
    p.add_argument("--advantages")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_texts)

    p = sub.add_parser("url", help="项目二维码使用的招商办项目网址（不设置则二维码为纯文本）")
    p.add_argument("url", nargs="?")
    p.add_argument("--clear", action="store_true", help="清除网址")
    p.set_defaults(handler=cmd_url)


def _read_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CliError(f"找不到文件：{path}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"文件不是 UTF-8 文本：{path}") from exc
    except OSError as exc:
        raise CliError(f"无法读取文件 {path}：{exc}") from exc


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        sys.stderr.write(f"\r正在生成… {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def cmd_generate(args, store) -> int:
    from zsapp.brochure import BrochureError, history

    if args.output is None:
        raise CliError(
            "请用 -o 指定输出的 PDF 文件，例如：zsapp brochure --projects KM-2026-0001 -o 推介册.pdf"
        )
    if not args.projects and not args.company:
        raise CliError("请用 --projects 指定项目编号，或用 --for-company 指定企业以自动挑选项目")
    if args.projects is not None and not args.projects.strip(" ,，"):
        raise CliError("--projects 不能为空")
    intro = _read_text(args.intro_file)
    if args.lang == "zh-en" and args.projects and not args.json:
        from zsapp.brochure import source

        try:
            lacking = source.missing_english(store, args.projects)
        except BrochureError as exc:
            raise CliError(str(exc)) from exc
        if lacking:
            print("以下内容还没有英文，将只显示中文：", file=sys.stderr)
            for m in lacking:
                print(f"  {m['code'] or '—'}  {m['label']}", file=sys.stderr)
    try:
        gen = history.generate(
            store,
            args.output,
            codes=args.projects,
            company_ref=args.company,
            language=args.lang,
            template_ref=args.template,
            title=args.title,
            intro=intro,
            cover_image=args.cover,
            single_page=args.page,
            progress=_progress(args.quiet or args.json),
        )
    except BrochureError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print_json(gen.as_json())
        return 0
    res = gen.result
    who = f"，致 {gen.built.company_name}" if gen.built.company_name else ""
    print(f"已生成{gen.kind}：{res.path}（{res.pages} 页，{res.size_bytes / 1024:.0f} KB{who}）")
    print(f"项目：{'、'.join(gen.built.project_codes)}")
    for note in gen.built.notes:
        print(note)
    for w in res.warnings:
        print(f"注意：{w}", file=sys.stderr)
    return 0


def cmd_history(args, store) -> int:
    from zsapp.brochure import BrochureError, history

    if args.limit < 1:
        raise CliError("--limit 必须是正整数")
    try:
        rows = history.list_history(
            store, company_ref=args.company, text=args.search, limit=args.limit
        )
    except BrochureError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("还没有生成过推介册")
        return 0
    for r in rows:
        who = r["company_name"] or "（未指定企业）"
        missing = "" if r["file_exists"] else "  〔文件已不在〕"
        lang = "中英双语" if r.get("language") == "zh-en" else "中文"
        print(
            f"{r['generated_at'].replace('T', ' ')}  {r['kind']}  {lang}  致 {who}  {r['pages']} 页  "
            f"{'、'.join(r['projects'])}\n    {r['file_path']}{missing}"
        )
    return 0


def cmd_template_list(args, store) -> int:
    from zsapp.brochure import templates

    items = templates.list_templates(store)
    if args.json:
        print_json([t.as_json() for t in items])
        return 0
    if not items:
        print("还没有推介模板（用 zsapp brochure template add 名称 --title … 新建）")
    for t in items:
        print(
            f"{t.name}  〔{'中英双语' if t.language == 'zh-en' else '中文'}〕  {t.title or '（默认标题）'}"
            + (f"  封面：{t.cover_image}" if t.cover_image else "")
        )
    return 0


def cmd_template_add(args, store) -> int:
    from zsapp.brochure import BrochureError, templates

    intro = _read_text(args.intro_file)
    try:
        try:
            current = templates.get_template(store, args.name)
        except templates.TemplateError:
            current = templates.Template(name=args.name)
        if args.title is not None:
            current.title = args.title
        if intro is not None:
            current.intro = intro
        if args.cover is not None:
            current.cover_image = str(args.cover)
        if args.lang is not None:
            current.language = args.lang
        saved = templates.save_template(store, current)
    except BrochureError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print_json(saved.as_json())
    else:
        print(f"已保存推介模板“{saved.name}”")
    return 0


def cmd_template_delete(args, store) -> int:
    from zsapp.brochure import BrochureError, templates

    try:
        templates.delete_template(store, args.name)
    except BrochureError as exc:
        raise CliError(str(exc)) from exc
    print(f"已删除推介模板“{args.name}”")
    return 0


def cmd_texts(args, store) -> int:
    from zsapp.brochure import BrochureError, source

    try:
        row = source.resolve_projects(store, [args.project])[0]
        changes = {
            k: getattr(args, k)
            for k in ("name_en", "summary_en", "highlights", "advantages")
            if getattr(args, k) is not None
        }
        if changes:
            source.set_promo(store, row["id"], **changes)
        texts = source.promo(store, row["id"])
    except BrochureError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print_json({"code": row["code"], "name": row["name"], **texts})
        return 0
    print(f"{row['code']}  {row['name']}")
    labels = {
        "name_en": "英文名称",
        "summary_en": "英文简介",
        "highlights": "项目亮点",
        "advantages": "优势与政策",
    }
    for k, label in labels.items():
        print(f"  {label}：{texts[k] or '（未填写）'}")
    return 0


def cmd_url(args, store) -> int:
    from zsapp.brochure import BrochureError, source

    try:
        if args.clear:
            source.set_project_url(store, "")
            print("已清除项目网址；项目二维码将使用纯文本（编号、名称、电话）")
        elif args.url is not None:
            url = source.set_project_url(store, args.url)
            print(f"项目二维码将指向：{url.rstrip('/')}/<项目编号>")
        else:
            url = source.project_url(store)
            print(url or "未设置（项目二维码为纯文本：编号、名称、电话）")
    except BrochureError as exc:
        raise CliError(str(exc)) from exc
    return 0
