"""``zsapp trips add|list|show|edit|delete|meet|unmeet|brief|check|brochures|visit|report``
and ``zsapp leads add|list|show|advance|status|clocks|stats``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from zsapp.cli import CliError, print_json
from zsapp.contacts import companies, people
from zsapp.trips import briefing, check, leads, meetings, report
from zsapp.trips import trips as T


def _now(args) -> datetime | None:
    text = getattr(args, "now", None)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise CliError(f"--now “{text}”格式不正确，应为 YYYY-MM-DDTHH:MM") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser("trips", help="出差：简报、出发前检查、拜访安排、出差报告")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("add", help="新建出差")
    p.add_argument("--to", required=True, help="目的地城市，逗号或顿号分隔：上海、苏州")
    p.add_argument("--from", dest="start", required=True, help="出发日期 YYYY-MM-DD")
    p.add_argument("--until", required=True, help="返回日期 YYYY-MM-DD")
    p.add_argument("--title", default="")
    p.add_argument("--companions", default="", help="同行人员")
    p.add_argument("--purpose", default="", help="出差目的")
    p.add_argument("--notes", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("edit", help="修改出差")
    p.add_argument("trip")
    p.add_argument("--to")
    p.add_argument("--from", dest="start")
    p.add_argument("--until")
    p.add_argument("--title")
    p.add_argument("--companions")
    p.add_argument("--purpose")
    p.add_argument("--notes")
    p.set_defaults(handler=cmd_edit)

    p = sub.add_parser("delete", help="删除出差（及其拜访安排）")
    p.add_argument("trip")
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("list", help="出差列表")
    p.add_argument("--upcoming", action="store_true", help="只列未结束的出差")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help="出差详情与拜访安排")
    p.add_argument("trip")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("meet", help="添加拜访安排")
    p.add_argument("trip")
    p.add_argument("--company", required=True, help="企业（id 或全称）")
    p.add_argument("--at", required=True, help="时间 'YYYY-MM-DD HH:MM'")
    p.add_argument("--minutes", type=int, default=60, help="时长（分钟）")
    p.add_argument("--person", action="append", default=[], help="对方人员（可重复）")
    p.add_argument("--project", action="append", default=[], help="拟推介项目编号（可重复）")
    p.add_argument("--place", default="")
    p.add_argument("--city", default="", help="城市（默认按企业所在地）")
    p.add_argument("--agenda", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_meet)

    p = sub.add_parser("unmeet", help="删除拜访安排")
    p.add_argument("meeting")
    p.set_defaults(handler=cmd_unmeet)

    p = sub.add_parser("brief", help="出差简报：PDF（-o x.pdf）、日历（--ics x.ics）或 JSON")
    p.add_argument("trip")
    p.add_argument("-o", "--output", type=Path, help="简报 PDF")
    p.add_argument("--ics", type=Path, help="导出拜访安排日历 .ics")
    p.add_argument("--now", help=argparse_suppress())
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_brief)

    p = sub.add_parser("check", help="出发前检查（未同步、未生成推介册、缺少联系信息）")
    p.add_argument("trip")
    p.add_argument(
        "--generate", type=Path, metavar="DIR", help="为缺推介册的拜访逐一生成个性化推介册到 DIR"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "visit", help="把拜访安排记为拜访记录（自动带入企业、人员、时间、地点、项目）"
    )
    p.add_argument("meeting")
    p.add_argument("--notes", default="")
    p.add_argument("--outcome", default="")
    p.add_argument("--followup", action="append", default=[], help="跟进事项 '内容@YYYY-MM-DD'")
    p.add_argument("--at", help="实际时间（默认按安排）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit)

    p = sub.add_parser("report", help="出差报告：生成/刷新、修改栏目、导出 PDF/XLSX")
    p.add_argument("trip")
    p.add_argument("-o", "--output", type=Path, help="导出文件 .pdf 或 .xlsx")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="栏目=内容",
        help="修改栏目：" + "、".join(f"{k}({v})" for k, v in report.REPORT_SECTIONS),
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_report)

    lp = subparsers.add_parser("leads", help="线索与承诺时限（答复/评估/反馈/报告）")
    ls = lp.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = ls.add_parser("add", help="登记线索，开始计时")
    p.add_argument("title")
    p.add_argument("--source", default="其他", help="来源：" + "、".join(leads.SOURCES))
    p.add_argument("--detail", default="", help="来源说明（谁、何时、何地）")
    p.add_argument("--company", help="企业（id 或全称）")
    p.add_argument("--trip", help="出差（id 或标题）")
    p.add_argument("--received", help="收到时间（默认现在）")
    p.add_argument("--prefecture", default="", help="负责州市（默认个人资料中的州市）")
    p.add_argument("--notes", default="")
    p.add_argument("--now", help=argparse_suppress())
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lead_add)

    p = ls.add_parser("list", help="线索列表（默认跟进中）")
    p.add_argument("--all", action="store_true", help="包括已办结/已放弃")
    p.add_argument("--due", action="store_true", help="只列已逾期或 24 小时内到期的时限")
    p.add_argument("--now", help=argparse_suppress())
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lead_list)

    p = ls.add_parser("show", help="线索详情与各项时限")
    p.add_argument("lead")
    p.add_argument("--now", help=argparse_suppress())
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lead_show)

    p = ls.add_parser("advance", help="完成下一项时限（或 --step 指定）")
    p.add_argument("lead")
    p.add_argument("--step", default="", help="时限名称，如 答复")
    p.add_argument("--note", default="")
    p.add_argument("--now", help=argparse_suppress())
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lead_advance)

    p = ls.add_parser("status", help="设置线索状态：跟进中/已办结/已放弃")
    p.add_argument("lead")
    p.add_argument("status", choices=leads.STATUSES)
    p.set_defaults(handler=cmd_lead_status)

    p = ls.add_parser("clocks", help="查看或设置新线索的时限，如 答复=1d,评估=3d,反馈=1w,报告=2w")
    p.add_argument("spec", nargs="?", help="名称=时限，逗号分隔；default 恢复默认")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lead_clocks)

    p = ls.add_parser(
        "stats", help="各州市线索响应用时（本机，或 --office 服务器数据库的全省数据）"
    )
    p.add_argument("--office", metavar="DB", help="服务器数据库：SQLite 文件路径或 postgresql://…")
    p.add_argument("--now", help=argparse_suppress())
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lead_stats)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS  # '--now' pins the clock (scripts, tests)


# -- trips -----------------------------------------------------------------------------------
def _trip_line(t: dict) -> str:
    met = f" 拜访安排 {t.get('meetings', 0)} 场（已记录 {t.get('met', 0)}）" if "met" in t else ""
    return f"{t['id'][:8]}  {t['start_date']}～{t['end_date']}  {t['title']}  [{'、'.join(t['destination_names'])}]{met}"


def cmd_add(args, store) -> int:
    trip_id = T.create_trip(
        store,
        {
            "destinations": args.to,
            "start_date": args.start,
            "end_date": args.until,
            "title": args.title,
            "companions": args.companions,
            "purpose": args.purpose,
            "notes": args.notes,
        },
    )
    data = T.trip_json(store, T.get_trip(store, trip_id))
    if args.json:
        print_json(data)
    else:
        print(f"已新建出差 {data['title']}（{trip_id}）")
    return 0


def cmd_edit(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    changes = {
        k: v
        for k, v in {
            "destinations": args.to,
            "start_date": args.start,
            "end_date": args.until,
            "title": args.title,
            "companions": args.companions,
            "purpose": args.purpose,
            "notes": args.notes,
        }.items()
        if v is not None
    }
    if not changes:
        raise CliError("没有要修改的内容")
    T.update_trip(store, trip_id, changes)
    print("已保存")
    return 0


def cmd_delete(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    T.delete_trip(store, trip_id)
    print("已删除出差")
    return 0


def cmd_list(args, store) -> int:
    rows = T.list_trips(
        store, upcoming_from=datetime.now().date().isoformat() if args.upcoming else ""
    )
    if args.json:
        print_json(rows)
    elif not rows:
        print("还没有出差")
    else:
        for r in rows:
            print(_trip_line(r))
    return 0


def _meeting_line(m: dict) -> str:
    names = "、".join(p["name"] for p in m["people"])
    state = "✓已记录" if m["visit_id"] else "待拜访"
    return (
        f"  {m['id'][:8]}  {m['starts_at'].replace('T', ' ')}  {m['city_name']} {m['place']}  "
        f"{m['company_name']}{'【失信】' if m['company_dishonest'] else ''}"
        f"{('：' + names) if names else ''}  {state}"
    )


def cmd_show(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    data = T.trip_json(store, T.get_trip(store, trip_id), detail=True)
    if args.json:
        print_json(data)
        return 0
    print(_trip_line(data))
    for key, label in (("companions", "同行"), ("purpose", "目的"), ("notes", "备注")):
        if data[key]:
            print(f"{label}：{data[key]}")
    print(f"拜访安排（{len(data['meetings'])} 场）：")
    for m in data["meetings"]:
        print(_meeting_line(m))
    return 0


def cmd_meet(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    from zsapp.projects import picker

    values = {
        "company_id": companies.resolve(store, args.company),
        "starts_at": args.at,
        "duration_min": args.minutes,
        "person_ids": [people.resolve(store, p) for p in args.person],
        "project_ids": picker.resolve(store, args.project),
        "place": args.place,
        "agenda": args.agenda,
    }
    if args.city:
        values["city"] = args.city
    meeting_id = T.add_meeting(store, trip_id, values)
    if args.json:
        print_json(T.meeting_json(store, meeting_id))
    else:
        print(f"已添加拜访安排（{meeting_id}）")
    return 0


def cmd_unmeet(args, store) -> int:
    T.delete_meeting(store, T.resolve_meeting(store, args.meeting))
    print("已删除拜访安排")
    return 0


def cmd_brief(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    from zsapp.trips import ics, pdf  # reportlab / icalendar only when writing files

    data = briefing.briefing(store, trip_id, now=_now(args))
    out = {"counts": data["counts"]}
    if args.output:
        result = pdf.render_briefing(store, data, args.output)
        out["pdf"] = {"path": str(result.path), "pages": result.pages}
    if args.ics:
        out["ics"] = ics.export_ics(store, trip_id, args.ics)
    if args.json:
        print_json(data if not (args.output or args.ics) else out)
        return 0
    c = data["counts"]
    print(
        f"{data['trip']['title']}：目的地客商 {c['companies']} 家，联系人 {c['people']} 人，"
        f"待办跟进 {c['open_followups']} 条，拜访安排 {c['meetings']} 场，失信企业 {c['dishonest']} 家"
    )
    if "pdf" in out:
        print(f"简报 PDF：{out['pdf']['path']}（{out['pdf']['pages']} 页）")
    if "ics" in out:
        print(f"日历：{out['ics']['path']}（{out['ics']['events']} 个日程）")
    if not (args.output or args.ics):
        for e in data["companies"][:30]:
            extra = f"  可推介 {e['projects_total']} 个项目" if e["projects_total"] else ""
            warn = "  【失信】" if e["dishonest"] else ""
            print(
                f"  {e['name']}（{e['city_name'] or '拜访安排'}）联系人 {len(e['people'])}{extra}{warn}"
            )
    return 0


def cmd_check(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    generated = None
    if args.generate:
        generated = check.generate_brochures(store, trip_id, args.generate)
    result = check.check(store, trip_id)
    if generated is not None:
        result["generated"] = generated
    if args.json:
        print_json(result)
        return 0 if result["ok"] else 1
    for g in generated or []:
        print(
            f"已生成推介册：{g['company_name']} → {g['file_path']}"
            if g["ok"]
            else f"未能生成 {g['company_name']} 的推介册：{g['error']}"
        )
    if result["ok"]:
        print("出发前检查通过：数据已同步，推介册已备齐，联系信息完整。")
        return 0
    for msg in result["messages"]:
        print(f"· {msg}")
    for p in result["contact_problems"]:
        print(
            f"  {p['starts_at'].replace('T', ' ')} {p['company_name']}：{'；'.join(p['problems'])}"
        )
    return 1


def cmd_visit(args, store) -> int:
    meeting_id = T.resolve_meeting(store, args.meeting)
    changes = {"visited_at": args.at} if args.at else None
    visit_id = meetings.visit_from_meeting(
        store,
        meeting_id,
        notes=args.notes,
        outcome=args.outcome,
        followups=args.followup,
        changes=changes,
    )
    if args.json:
        from zsapp.contacts import visits

        print_json(visits.as_json(store, visits.get_visit(store, visit_id)))
    else:
        print(f"已记录拜访（{visit_id}）")
    return 0


def cmd_report(args, store) -> int:
    trip_id = T.resolve_trip(store, args.trip)
    data = report.generate(store, trip_id)
    if args.set:
        changes = {}
        labels = {v: k for k, v in report.REPORT_SECTIONS}
        for item in args.set:
            key, sep, value = item.partition("=")
            if not sep:
                raise CliError(f"“{item}”应写成 栏目=内容")
            key = labels.get(key.strip(), key.strip())
            changes[key] = value.replace("\\n", "\n")
        data = report.edit(store, trip_id, changes)
    exported = None
    if args.output:
        suffix = args.output.suffix.lower()
        if suffix == ".pdf":
            exported = str(report.export_pdf(store, trip_id, args.output).path)
        elif suffix == ".xlsx":
            exported = str(report.export_xlsx(store, trip_id, args.output))
        else:
            raise CliError("导出文件应以 .pdf 或 .xlsx 结尾")
    if args.json:
        print_json({**data, "exported": exported})
        return 0
    f = data["figures"]
    print(
        f"出差报告：拜访 {f['visits']} 次，企业 {f['companies']} 家，会见 {f['people']} 人，"
        f"新增线索 {f['leads']} 条，跟进事项 {f['followups']} 条，推进项目 {f['projects']} 个，"
        f"发放推介册 {f['brochures']} 份"
    )
    if exported:
        print(f"已导出：{exported}")
    else:
        for key, label in report.REPORT_SECTIONS:
            if data[key]:
                print(f"【{label}】\n{data[key]}")
    return 0


# -- leads -----------------------------------------------------------------------------------
def _lead_line(r: dict) -> str:
    nxt = f"  下一步：{r['next_step']} {r['next_remaining']}" if r["next_step"] else ""
    who = f"（{r['company_name']}）" if r["company_name"] else ""
    return f"{r['id'][:8]}  {r['received_at'].replace('T', ' ')}  {r['title']}{who}  [{r['source']}·{r['status']}]{nxt}"


def cmd_lead_add(args, store) -> int:
    values = {
        "title": args.title,
        "source": args.source,
        "source_detail": args.detail,
        "notes": args.notes,
        "prefecture": args.prefecture,
    }
    if args.company:
        values["company_id"] = companies.resolve(store, args.company)
    if args.trip:
        values["trip_id"] = T.resolve_trip(store, args.trip)
    if args.received:
        values["received_at"] = args.received
    lead_id = leads.create_lead(store, values, now=_now(args))
    data = leads.lead_json(store, leads.get_lead(store, lead_id), now=_now(args))
    if args.json:
        print_json(data)
    else:
        print(f"已登记线索（{lead_id}）")
        for s in data["steps"]:
            print(f"  {s['label']}：{s['due_at'].replace('T', ' ')} 前")
    return 0


def cmd_lead_list(args, store) -> int:
    now = _now(args)
    if args.due:
        rows = leads.due_steps(store, now=now)
        if args.json:
            print_json(rows)
        elif not rows:
            print("没有逾期或即将到期的线索时限")
        else:
            for r in rows:
                flag = "【逾期】" if r["overdue"] else "【即将到期】"
                who = f"（{r['company_name']}）" if r["company_name"] else ""
                print(
                    f"{flag}{r['title']}{who} · {r['label']} 截止 {r['due_at'].replace('T', ' ')}，{r['remaining']}"
                )
        return 0
    rows = leads.list_leads(store, status=None if args.all else "跟进中", now=now)
    if args.json:
        print_json(rows)
    elif not rows:
        print("没有线索")
    else:
        for r in rows:
            print(_lead_line(r))
    return 0


def cmd_lead_show(args, store) -> int:
    lead_id = leads.resolve_lead(store, args.lead)
    data = leads.lead_json(store, leads.get_lead(store, lead_id), now=_now(args))
    if args.json:
        print_json(data)
        return 0
    print(_lead_line(data))
    if data["source_detail"]:
        print(f"来源说明：{data['source_detail']}")
    for s in data["steps"]:
        done = f" 完成于 {s['done_at'].replace('T', ' ')}" if s["done_at"] else ""
        print(f"  {s['label']}：截止 {s['due_at'].replace('T', ' ')}  {s['state_label']}{done}")
    return 0


def cmd_lead_advance(args, store) -> int:
    lead_id = leads.resolve_lead(store, args.lead)
    data = leads.advance(store, lead_id, step=args.step, note=args.note, now=_now(args))
    if args.json:
        print_json(data)
    else:
        print(_lead_line(data))
    return 0


def cmd_lead_status(args, store) -> int:
    leads.set_status(store, leads.resolve_lead(store, args.lead), args.status)
    print(f"线索状态已改为 {args.status}")
    return 0


def cmd_lead_clocks(args, store) -> int:
    if args.spec:
        items = (
            leads.reset_clocks(store)
            if args.spec == "default"
            else leads.set_clocks(store, args.spec)
        )
    else:
        items = leads.clocks(store)
    if args.json:
        print_json(items)
    else:
        print("，".join(f"{c['label']} {leads.duration_text(c['hours'])}" for c in items))
    return 0


def cmd_lead_stats(args, store) -> int:
    if args.office:
        from zsapp.office.service import Office
        from zsapp.office.trips import lead_response_figures

        office = Office(args.office)
        try:
            office.check_schema()
            rows = lead_response_figures(office, now=_now(args))
        finally:
            office.close()
    else:
        rows = leads.response_figures(store, now=_now(args))
    if args.json:
        print_json(rows)
    elif not rows:
        print("还没有线索")
    else:
        for r in rows:
            med = (
                "—"
                if r["median_first_reply_hours"] is None
                else f"{r['median_first_reply_hours']} 小时"
            )
            rate = "—" if r["on_time_rate"] is None else f"{r['on_time_rate'] * 100:.0f}%"
            print(
                f"{r['prefecture_name']}：线索 {r['leads']} 条，首次答复用时中位数 {med}，"
                f"按时完成率 {rate}，当前逾期 {r['overdue_now']} 项"
            )
    return 0
