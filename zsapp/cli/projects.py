"""``zsapp projects add|show|list|search|stage|funds|check|override|answer|transfer|recommend|export|…``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from zsapp.cli import CliError, print_json, print_search_results
from zsapp.projects import admission, dashboard, funds, parks, recommend, stages, status
from zsapp.projects import projects as P
from zsapp.projects.common import wan_to_yi_text


def register(subparsers) -> None:
    parser = subparsers.add_parser("projects", help="招商项目：预审、阶段、到位资金")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("add", help="新建项目")
    p.add_argument("name")
    p.add_argument("--item", action="append", default=[], help="目录条目编号（可多次），如 I02-04")
    p.add_argument("--from-item", help="由目录条目生成推介项目（预填名称、产业路径和简介）")
    p.add_argument("--prefecture", default="", help="州市（名称或代码）")
    p.add_argument("--county", default="", help="县市区（名称或代码）")
    p.add_argument("--park", default="", help="园区（名称、编号）")
    p.add_argument("--investment-yi", help="总投资（亿元，可带小数）")
    p.add_argument("--land-mu", help="用地（亩）")
    p.add_argument("--tax-per-mu", help="预期亩均税收（万元/亩）")
    p.add_argument("--jobs", help="预计就业人数")
    p.add_argument("--category", default="产业类", help="产业类/房地产/基础设施/金融类")
    p.add_argument("--summary", default=None)
    p.add_argument("--content", default="", help="建设内容")
    p.add_argument(
        "--investor", action="append", default=[], help="投资方（企业名称或 id）[:签约主体]"
    )
    p.add_argument("--direction", action="append", default=[], help="重点招商方向 D1…D6")
    p.add_argument("--way", action="append", default=[], help="招商方式 W1…W4")
    p.add_argument("--source", default="", help="项目来源 S1…S6")
    p.add_argument("--owner", default=None, help="负责人（默认本人）")
    p.add_argument("--leader", default="", help="挂钩领导")
    p.add_argument("--major", action="store_true", help="纳入省级重大项目库")
    p.add_argument("--year", type=int, help="编号年份（默认今年）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("show", help="显示项目")
    p.add_argument("code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("list", help="列出项目（可筛选、排序）")
    p.add_argument("--stage", default="")
    p.add_argument("--prefecture", default="")
    p.add_argument("--park", default="")
    p.add_argument("--industry", default="", help="产业编号，如 I02")
    p.add_argument("--big", action="store_true", help="只看 10 亿元以上")
    p.add_argument("--fortune500", action="store_true", help="只看有世界500强投资方的")
    p.add_argument("--admission", default="", choices=["", "通过", "不通过", "需人工确认"])
    p.add_argument("--stalled", action="store_true", help="只看疑似停滞")
    p.add_argument("--sort", default="code", choices=sorted(P.SORTS))
    p.add_argument("--desc", action="store_true")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("search", help="检索项目（汉字、拼音、首字母、编号）")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser(
        "stage", help="变更阶段（可补录以前的日期并写明原因）；--history 列出，--edit/--delete 修改"
    )
    p.add_argument("code")
    p.add_argument("stage", nargs="?", default=None, help="线索/在谈/签约/开工/投产/停滞/终止")
    p.add_argument("--note", "--reason", dest="note", default=None, help="备注/原因")
    p.add_argument("--date", default=None, help="变更日期 YYYY-MM-DD（默认今天，可早于以前的变更）")
    p.add_argument("--history", action="store_true", help="列出阶段历史")
    p.add_argument("--edit", metavar="ENTRY_ID", default=None, help="修改一条阶段记录")
    p.add_argument("--delete", metavar="ENTRY_ID", default=None, help="删除一条阶段记录")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stage)

    p = sub.add_parser("funds", help="登记到位资金；--list 列出，--edit/--delete 修改")
    p.add_argument("code")
    p.add_argument("--month", default=None, help="YYYY-MM")
    p.add_argument("--amount-wan", default=None, help="金额（万元，整数）")
    p.add_argument("--list", action="store_true", help="列出该项目的到位资金记录")
    p.add_argument("--edit", metavar="ENTRY_ID", default=None, help="修改一条到位资金记录")
    p.add_argument("--delete", metavar="ENTRY_ID", default=None, help="删除一条（放入回收站）")
    p.add_argument("--outside", action="store_true", help="（--edit）改为省外资金")
    p.add_argument("--json", action="store_true")
    p.add_argument("--inside", action="store_true", help="省内资金（默认省外）")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--industrial", dest="industrial", action="store_true", default=None, help="计入产业类"
    )
    group.add_argument(
        "--non-industrial", dest="industrial", action="store_false", help="不计入产业类"
    )
    p.add_argument("--replace", action="store_true", help="替换该月同类金额（而非累加）")
    p.add_argument("--note", default=None)
    p.set_defaults(handler=cmd_funds)

    p = sub.add_parser("check", help="准入预审")
    p.add_argument("code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("answer", help="回答预审问题")
    p.add_argument("code")
    p.add_argument("rule", help="规则编号，如 R5、G1")
    p.add_argument("answer", choices=["是", "否", ""])
    p.set_defaults(handler=cmd_answer)

    p = sub.add_parser("override", help="记录放行决定（理由与决策人）")
    p.add_argument("code")
    p.add_argument("rule", help="规则编号，如 R3")
    p.add_argument("--reason", required=True)
    p.add_argument("--by", required=True, help="决策人或决策机制，如：州市招商引资集体决策会议")
    p.add_argument("--date", default=None)
    p.set_defaults(handler=cmd_override)

    p = sub.add_parser("transfer", help="项目流转（换园区或州市）")
    p.add_argument("code")
    p.add_argument("--prefecture", default="")
    p.add_argument("--county", default="")
    p.add_argument("--park", default="")
    p.add_argument("--reason", required=True)
    p.add_argument("--by", default="")
    p.add_argument("--date", default=None)
    p.set_defaults(handler=cmd_transfer)

    p = sub.add_parser("recommend", help="推荐客商（延链补链）")
    p.add_argument("code")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_recommend)

    p = sub.add_parser("dashboard", help="首页统计")
    p.add_argument("--year", type=int)
    p.add_argument("--all", action="store_true", help="全部项目（默认只看本人负责的）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_dashboard)

    p = sub.add_parser("threshold", help="设置准入阈值（投资强度、亩均税收下限）")
    p.add_argument("--prefecture", default="")
    p.add_argument("--park", default="")
    p.add_argument("--industry", default="")
    p.add_argument("--min-intensity", help="投资强度下限（万元/亩）")
    p.add_argument("--min-tax", help="亩均税收下限（万元/亩）")
    p.add_argument("--source", required=True, help="来源文件")
    p.set_defaults(handler=cmd_threshold)

    p = sub.add_parser("keywords", help="准入关键词清单（禁止/限制/淘汰/产能过剩/污染/危化）")
    p.add_argument(
        "--import", dest="import_path", type=Path, help="导入本单位采用的关键词清单（JSON）"
    )
    p.add_argument("--reset", action="store_true", help="恢复为随程序发布的清单")
    p.set_defaults(handler=cmd_keywords)

    p = sub.add_parser("export", help="导出项目")
    p.add_argument("--format", default="xlsx", choices=["xlsx", "json"])
    p.add_argument("-o", "--output", type=Path, required=True)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("parks", help="列出园区（或新增园区）")
    p.add_argument("--add", metavar="NAME", help="新增园区名称")
    p.add_argument("--prefecture", default="", help="新增园区所在州市")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_parks)

    p = sub.add_parser("rebuild", help="重建项目检索索引和停滞/预审状态")
    p.set_defaults(handler=cmd_rebuild)


def _project(store, code: str) -> dict:
    return P.find_project(store, code)


def cmd_add(args, store) -> int:
    parks.ensure_seeded(store)
    values: dict = {}
    if args.from_item:
        values = P.draft_from_item(store, args.from_item)
    from zsapp.contacts import companies

    investors = []
    for spec in args.investor:
        ref, _, role = (
            spec.rpartition(":") if spec.endswith((":意向", ":签约主体")) else (spec, "", "")
        )
        investors.append((companies.resolve(store, ref), role or "意向"))
    item_ids = list(dict.fromkeys([*values.pop("item_ids", []), *args.item]))
    fields = {
        "summary": args.summary if args.summary is not None else values.get("summary", ""),
        "construction_content": args.content,
        "category": args.category,
        "directions": args.direction or values.get("directions", []),
        "ways": args.way,
        "source_id": args.source,
        "leader": args.leader,
        "is_provincial_major": args.major,
    }
    if args.owner is not None:
        fields["owner_officer"] = args.owner
    if args.investment_yi is not None:
        fields["total_investment_yi"] = args.investment_yi
    if args.land_mu is not None:
        fields["land_mu"] = args.land_mu
    if args.tax_per_mu is not None:
        fields["tax_per_mu_wan"] = args.tax_per_mu
    if args.jobs is not None:
        fields["expected_jobs"] = args.jobs
    name = args.name
    pid = P.create_project(
        store,
        name=name,
        item_ids=item_ids,
        investors=investors,
        prefecture_key=args.prefecture or values.get("prefecture_key", ""),
        county_key=args.county,
        park_key=args.park or (values.get("park_key", "") if not args.prefecture else ""),
        year=args.year,
        **fields,
    )
    project = P.get_project(store, pid)
    if args.json:
        print_json(project)
    else:
        print(f"已新建项目 {project['code']}  {project['name']}（{project['location']}）")
        print(
            f"准入预审：{project['precheck']['summary']}（详见 zsapp projects check {project['code']}）"
        )
    return 0


def _money(wan) -> str:
    return "—" if wan is None else f"{wan_to_yi_text(wan)} 亿元"


def cmd_show(args, store) -> int:
    p = P.get_project(store, args.code)
    if args.json:
        print_json(p)
        return 0
    print(f"{p['code']}  {p['name']}")
    print(f"阶段：{p['stage']}（{p['stage_on']}）{'  ⚠ 疑似停滞' if p['stalled'] else ''}")
    print(f"所在地：{p['location']}")
    print(
        f"总投资：{_money(p['total_investment_wan'])}  用地：{p['land_mu'] or '—'} 亩  "
        f"投资强度：{p['intensity_wan_per_mu'] or '—'} 万元/亩  亩均税收：{p['tax_per_mu_wan'] or '—'} 万元/亩"
    )
    if p["items"]:
        print("产业：" + "；".join(f"{i['industry']} › {i['name']}" for i in p["items"]))
    if p["investors"]:
        print("投资方：" + "；".join(f"{i['name']}（{i['role']}）" for i in p["investors"]))
    print(f"准入预审：{p['precheck']['summary']}")
    for o in p["overrides"]:
        print(f"  放行 {o['rule']}：{o['reason']}（{o['decided_by']}，{o['decided_on']}）")
    t = p["funds_totals"]
    print(
        f"到位资金：合计 {t['total_wan']} 万元，其中省外产业类 {t['outside_industrial_wan']} 万元"
    )
    print("阶段记录：")
    for s in p["stage_history"]:
        print(f"  {s['changed_on']}  {s['stage']}  {s['note']}")
    for t in p["transfers"]:
        print(f"流转 {t['transferred_on']}：{t['from_text']} → {t['to_text']}（{t['reason']}）")
    return 0


def cmd_list(args, store) -> int:
    if args.limit < 1:
        raise CliError("--limit 必须是正整数")
    pref, park_id = _location(store, args)
    if args.stage and args.stage not in stages.STAGES:
        raise CliError(f"未知的阶段“{args.stage}”")
    f = P.ProjectFilter(
        stage=args.stage,
        prefecture_code=pref,
        park_id=park_id,
        industry_id=args.industry,
        big_only=args.big,
        fortune500_only=args.fortune500,
        admission=args.admission,
        stalled_only=args.stalled,
    )
    rows = P.list_projects(store, f, sort=args.sort, descending=args.desc, limit=args.limit)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有符合条件的项目")
    for r in rows:
        flag = "  ⚠疑似停滞" if r["stalled"] else ""
        print(
            f"{r['code']:<14} {r['stage'] or '':<4} {_money(r['total_investment_wan']):<12} {r['name']}  "
            f"〔{r['prefecture'] or '未定'}{' › ' + r['park'] if r['park'] else ''}〕 预审:{r['admission']}{flag}"
        )
    return 0


def cmd_search(args, store) -> int:
    hits = P.search_projects(store, args.query, args.limit)
    return print_search_results(
        hits,
        args.json,
        args.query,
        "项目",
        lambda h: f"{h['code']:<14} {h['name']}  〔{h['matched']}〕",
    )


def _print_history(store, p, as_json: bool) -> None:
    rows = stages.history(store, p["id"])
    if as_json:
        print_json(rows)
        return
    for r in rows:
        print(f"{r['changed_on']}  {r['stage']}  {r['note']}  〔{r['id']}〕")
    print(f"当前阶段：{stages.current_stage(store, p['id']) or '—'}")


def _stage_entry(store, p, ref: str) -> str:
    ref = (ref or "").strip()
    found = [
        r["id"]
        for r in stages.history(store, p["id"])
        if r["id"] == ref or (len(ref) >= 6 and r["id"].startswith(ref))
    ]
    if len(found) != 1:
        raise CliError(f"项目 {p['code']} 没有编号为“{ref}”的阶段记录（--history 可列出）")
    return found[0]


def cmd_stage(args, store) -> int:
    p = _project(store, args.code)
    if args.history:
        _print_history(store, p, args.json)
        return 0
    if args.delete:
        stages.delete_entry(store, _stage_entry(store, p, args.delete))
        print(
            f"已删除阶段记录；{p['code']} 当前阶段：{stages.current_stage(store, p['id']) or '—'}"
        )
        return 0
    if args.edit:
        stages.update_entry(
            store,
            _stage_entry(store, p, args.edit),
            stage=args.stage,
            changed_on=args.date,
            note=args.note,
        )
        print(
            f"已修改阶段记录；{p['code']} 当前阶段：{stages.current_stage(store, p['id']) or '—'}"
        )
        return 0
    if not args.stage:
        raise CliError("请给出阶段，例如：projects stage KM-2026-0001 在谈 --date 2026-03-01")
    stages.change_stage(store, p["id"], args.stage, args.note or "", args.date)
    now = stages.current_stage(store, p["id"])
    if now == args.stage:
        print(f"{p['code']} 已进入“{args.stage}”阶段")
    else:
        print(f"已补录 {args.date} “{args.stage}”；{p['code']} 当前阶段仍是“{now}”")
    return 0


def _print_fund_warnings(store, project_id, month) -> None:
    for warning in funds.warnings_for(store, project_id, month):
        print(f"注意：{warning}", file=sys.stderr)


def cmd_funds(args, store) -> int:
    p = _project(store, args.code)
    if args.list:
        rows = funds.rows(store, p["id"])
        if args.json:
            print_json(rows)
        for r in [] if args.json else rows:
            where = "省外" if r["outside_province"] else "省内"
            kind = "产业类" if r["industrial"] else "非产业类"
            print(
                f"{r['month']}  {r['amount_wan']} 万元  {where}{kind}  {r['note']}  〔{r['id']}〕"
            )
        return 0
    if args.delete:
        funds.delete_funds(store, funds.resolve_entry(store, p["id"], args.delete))
        t = funds.totals(store, p["id"])
        print(f"已删除到位资金记录（可在回收站恢复）；{p['code']} 累计 {t['total_wan']} 万元")
        return 0
    if args.edit:
        if args.inside and args.outside:
            raise CliError("--inside 和 --outside 只能选一个")
        row = funds.update_funds(
            store,
            funds.resolve_entry(store, p["id"], args.edit),
            month=args.month,
            amount_wan=args.amount_wan,
            outside_province=True if args.outside else False if args.inside else None,
            industrial=args.industrial,
            note=args.note,
        )
        _print_fund_warnings(store, p["id"], row["month"])
        t = funds.totals(store, p["id"])
        print(
            f"已修改 {p['code']} 到位资金：{row['month']} {row['amount_wan']} 万元；"
            f"累计 {t['total_wan']} 万元，其中省外产业类 {t['outside_industrial_wan']} 万元"
        )
        return 0
    if not args.month or args.amount_wan is None:
        raise CliError("登记到位资金需要 --month YYYY-MM 和 --amount-wan 金额")
    funds.add_funds(
        store,
        p["id"],
        args.month,
        args.amount_wan,
        outside_province=not args.inside,
        industrial=args.industrial,
        note=args.note or "",
        replace=args.replace,
    )
    _print_fund_warnings(store, p["id"], args.month)
    t = funds.totals(store, p["id"])
    print(
        f"已登记 {p['code']} {args.month} 到位资金 {args.amount_wan} 万元；"
        f"累计 {t['total_wan']} 万元，其中省外产业类 {t['outside_industrial_wan']} 万元"
    )
    return 0


def cmd_check(args, store) -> int:
    p = _project(store, args.code)
    pre = admission.evaluate(store, p["id"])
    if args.json:
        print_json({"code": p["code"], "name": p["name"], **pre.as_json()})
        return 0
    print(f"{p['code']}  {p['name']}  准入预审：{pre.summary}")
    for r in pre.rules:
        mark = {"通过": "✔", "不通过": "✘", "需人工确认": "？"}[r.result]
        print(f"{mark} [{r.rule_id}] {r.group} {r.label}（{r.verdict}）：{r.result}")
        print(f"    规则：{r.rule_text}")
        print(f"    理由：{r.reason}")
        if r.override:
            print(
                f"    已放行：{r.override['reason']}（{r.override['decided_by']}，{r.override['decided_on']}）"
            )
    return 0


def cmd_answer(args, store) -> int:
    p = _project(store, args.code)
    known = {q["rule_id"] for q in admission.questions(store)}
    if args.rule not in known:
        raise CliError(f"规则 {args.rule} 不是问答题，可选：{'、'.join(sorted(known))}")
    admission.set_answer(store, p["id"], args.rule, args.answer)
    print(f"已记录 {p['code']} {args.rule}：{args.answer or '（清除）'}")
    return 0


def cmd_override(args, store) -> int:
    p = _project(store, args.code)
    admission.record_override(store, p["id"], args.rule, args.reason, args.by, args.date)
    print(f"已记录 {p['code']} {args.rule} 放行：{args.reason}（{args.by}）")
    return 0


def cmd_transfer(args, store) -> int:
    p = _project(store, args.code)
    P.transfer(
        store,
        p["id"],
        reason=args.reason,
        prefecture_key=args.prefecture,
        county_key=args.county,
        park_key=args.park,
        decided_by=args.by,
        on=args.date,
    )
    after = P.get_project(store, p["id"])
    print(f"{p['code']} 已流转至 {after['location']}")
    return 0


def cmd_recommend(args, store) -> int:
    p = _project(store, args.code)
    result = recommend.recommend(store, p["id"], args.limit)
    if args.json:
        print_json({"code": p["code"], **result})
        return 0
    if not result["companies"]:
        print("没有可推荐的客商（请先为项目选择目录条目，并为客商标注所属产业）")
    for i, c in enumerate(result["companies"], 1):
        print(f"{i:>2}. {c['name']}  {c['score']} 分  {'、'.join(c['reasons'])}")
    if result["excluded_dishonest"]:
        print("已排除失信企业：" + "、".join(e["name"] for e in result["excluded_dishonest"]))
    return 0


def cmd_dashboard(args, store) -> int:
    data = dashboard.dashboard(store, owner="" if args.all else None, year=args.year)
    if args.json:
        print_json(data)
        return 0
    print(
        f"{data['year']} 年  项目 {data['projects']} 个："
        + "，".join(f"{k} {v}" for k, v in data["by_stage"].items())
    )
    print(
        f"10 亿元以上 {data['big_projects']} 个；世界500强投资方 {data['fortune500_investors']} 家"
    )
    target = data["funds_target_wan"]
    print(
        f"到位资金 {data['funds_year_wan']} 万元（省外产业类 {data['funds_year_outside_industrial_wan']} 万元）"
        + (f"，目标 {target} 万元" if target is not None else "")
    )
    print(f"逾期跟进 {data['overdue_followups']} 项；疑似停滞 {data['stalled_count']} 个")
    return 0


def _location(store, args) -> tuple[str, str]:
    """(州市 code, park id) from --prefecture/--park, through projects.resolve_location;
    the 州市 only when it was given (a park alone does not add one)."""
    try:
        loc = P.resolve_location(store, args.prefecture, "", args.park)
    except P.ProjectError as exc:
        raise CliError(str(exc)) from exc
    return (loc["prefecture_code"] if args.prefecture else ""), loc["park_id"]


def cmd_threshold(args, store) -> int:
    pref, park_id = _location(store, args)
    admission.set_threshold(
        store,
        prefecture_code=pref,
        park_id=park_id,
        industry_id=args.industry,
        min_intensity_wan=args.min_intensity,
        min_tax_wan=args.min_tax,
        source=args.source,
    )
    print("已保存准入阈值")
    return 0


def cmd_keywords(args, store) -> int:
    import json

    if args.reset:
        admission.reset_keyword_document(store)
    if args.import_path:
        try:
            document = json.loads(args.import_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(f"无法读取关键词清单 {args.import_path}：{exc}") from exc
        admission.set_keyword_document(store, document)
    print_json(admission.keyword_document(store))
    return 0


def cmd_export(args, store) -> int:
    if args.format == "json":
        import json

        rows = P.list_projects(store, sort="code", descending=False, limit=1_000_000)
        data = [P.get_project(store, r["id"]) for r in rows]
        try:
            args.output.write_text(
                json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        except OSError as exc:
            raise CliError(f"无法写入文件 {args.output}：{exc}") from exc
        count = len(data)
    else:
        from zsapp.projects.export import export_xlsx

        count = export_xlsx(store, args.output)
    print(f"已导出 {count} 个项目到 {args.output}")
    return 0


def cmd_parks(args, store) -> int:
    parks.ensure_seeded(store)
    if args.add:
        parks.add_park(store, args.add, args.prefecture)
    rows = parks.list_parks(store)
    if args.json:
        print_json(rows)
        return 0
    from zsapp.projects.common import prefecture_name

    for r in rows:
        print(f"{r['seed_id'] or '—':<4} {prefecture_name(r['prefecture_code']):<10} {r['name']}")
    return 0


def cmd_rebuild(args, store) -> int:
    n = status.rebuild(store)
    print(f"已重建 {n} 个项目的索引和状态")
    return 0


_ = dt
