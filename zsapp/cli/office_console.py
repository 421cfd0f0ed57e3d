"""``zsapp office user|report|rebuild-reports``: console staff accounts, the quarterly
督查通报 export and rebuilding the read model (added to the ``office`` command)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from zsapp.cli import CliError, print_json


def add_commands(sub) -> None:
    from zsapp.office.console.auth import ROLES

    user = sub.add_parser("user", help="督查平台工作人员账号").add_subparsers(
        dest="user_action", required=True, metavar="ACTION"
    )
    p = user.add_parser("add", help="添加工作人员账号（管理员会生成动态口令密钥）")
    p.add_argument("username")
    p.add_argument(
        "--role",
        required=True,
        choices=list(ROLES),
        help="admin 省级管理员 / province 省级 / prefecture 州市",
    )
    p.add_argument("--prefecture", default="", help="州市账号所属州市，例如 昆明市")
    p.add_argument("--name", default="", help="显示名称")
    p.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读取密码（否则交互输入）"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_user_add, needs_store=False)
    p = user.add_parser("reset", help="重设密码（同时解除锁定、结束已登录的会话）")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(handler=cmd_user_reset, needs_store=False)
    p = user.add_parser("list", help="列出工作人员账号")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_user_list, needs_store=False)
    p = user.add_parser("disable", help="停用账号")
    p.add_argument("username")
    p.set_defaults(handler=cmd_user_disable, needs_store=False)
    p = user.add_parser("totp", help="为账号生成新的动态口令密钥（旧密钥失效）")
    p.add_argument("username")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_user_totp, needs_store=False)

    p = sub.add_parser("report", help="导出季度督查通报（Excel 或 PDF）")
    p.add_argument("--quarter", required=True, help="季度，例如 2026Q4")
    p.add_argument("--format", choices=["xlsx", "pdf"], required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--prefecture", default="", help="只导出一个州市")
    p.add_argument("--stalled-days", type=int, default=90)
    p.set_defaults(handler=cmd_report, needs_store=False)

    p = sub.add_parser("rebuild-reports", help="从同步数据重建督查平台的报表数据")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_rebuild, needs_store=False)


def _open(args):
    from zsapp.cli.office import _open as open_office

    return open_office(args)


def _password(args, confirm: bool = True) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("ZSAPP_STAFF_PASSWORD"):
        return os.environ["ZSAPP_STAFF_PASSWORD"]
    first = getpass.getpass("密码：")
    if confirm and getpass.getpass("再输入一次：") != first:
        raise CliError("两次输入的密码不一致")
    return first


def _prefecture_code(text: str) -> str:
    if not text:
        return ""
    from zsapp.projects.common import prefecture

    found = prefecture(text)
    if not found:
        raise CliError(f"找不到州市“{text}”")
    return found["code"]


def _staff(office):
    from zsapp.office.console.auth import Staff

    return Staff(office.engine)


def cmd_user_add(args) -> int:
    office = _open(args)
    code = _prefecture_code(args.prefecture)
    user = _staff(office).add(args.username, _password(args), args.role, code, args.name)
    if args.json:
        print_json(user)
        return 0
    print(f"已添加账号 {user['username']}（{args.role}{'，' + args.prefecture if code else ''}）")
    if user.get("totp_uri"):
        _print_totp(user)
    return 0


def _print_totp(user) -> None:
    print(f"动态口令密钥：{user['totp_secret']}")
    print(f"用身份验证器扫描或输入：{user['totp_uri']}")
    try:
        import io

        import qrcode

        qr = qrcode.QRCode(border=1)
        qr.add_data(user["totp_uri"])
        buf = io.StringIO()
        qr.print_ascii(out=buf, invert=True)
        print(buf.getvalue())
    except (ImportError, UnicodeError, OSError):  # a terminal without the block characters
        pass


def cmd_user_reset(args) -> int:
    _staff(_open(args)).reset(args.username, _password(args))
    print(f"已重设 {args.username} 的密码，账号已解锁")
    return 0


def cmd_user_list(args) -> int:
    rows = _staff(_open(args)).list()
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("还没有工作人员账号")
    from zsapp.office.reports_figures import prefecture_name

    for r in rows:
        state = "已停用" if r["disabled"] else ("已锁定" if r["locked"] else "正常")
        where = prefecture_name(r["prefecture_code"]) if r["prefecture_code"] else "全省"
        print(
            f"{r['username']:<16} {r['role']:<10} {where:<8} {state}  最近登录 {r['last_login_at'] or '-'}"
        )
    return 0


def cmd_user_disable(args) -> int:
    _staff(_open(args)).disable(args.username)
    print(f"账号 {args.username} 已停用")
    return 0


def cmd_user_totp(args) -> int:
    user = _staff(_open(args)).new_totp(args.username)
    if args.json:
        print_json(user)
    else:
        _print_totp(user)
    return 0


def cmd_report(args) -> int:
    from zsapp.office import audit
    from zsapp.office import reports_export as export
    from zsapp.office import reports_figures as fig

    office = _open(args)
    quarter = fig.parse_quarter(args.quarter)
    scope = fig.Scope(_prefecture_code(args.prefecture) or None)
    with office.engine.connect() as conn:
        report = export.collect(conn, quarter, scope, stalled_days=max(1, args.stalled_days))
    body = export.to_xlsx(report) if args.format == "xlsx" else export.to_pdf(report)
    try:
        args.output.write_bytes(body)
    except OSError as exc:
        raise CliError(f"无法写入 {args.output}：{exc}") from exc
    with office.engine.begin() as conn:
        audit.record(
            conn, actor="cli", action="console.export", target=f"{quarter.label}.{args.format}"
        )
    print(f"已导出 {quarter.title()} 督查通报：{args.output}")
    return 0


def cmd_rebuild(args) -> int:
    from zsapp.office import reports

    office = _open(args)
    with office.engine.begin() as conn:
        counts = reports.rebuild(conn)
    if args.json:
        print_json(counts)
    else:
        print("报表数据已重建：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    return 0
