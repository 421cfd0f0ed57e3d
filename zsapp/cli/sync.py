"""``zsapp sync enroll|now|status|log``: device-side sync, scriptable without a window."""

from __future__ import annotations

from zsapp.cli import CliError, print_json
from zsapp.sync import client, shares


def register(subparsers) -> None:
    parser = subparsers.add_parser("sync", help="与省招商办服务器同步")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("enroll", help="用登记码把本设备登记到服务器")
    p.add_argument("url", help="服务器地址，例如 https://zs.example.gov.cn:8765")
    p.add_argument("code", help="管理员给的一次性登记码")
    p.add_argument("--ca", help="信任此 CA 证书文件（单位自建 CA 时）")
    p.add_argument("--name", default="", help="设备名称")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_enroll)

    p = sub.add_parser("now", help="立即同步")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verify", action="store_true", help="同步后核对计数与校验和，不一致时重新获取")
    p.set_defaults(handler=cmd_now)

    p = sub.add_parser("status", help="同步状态")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("share", help="把一条记录共享给另一个单位（州市），下次同步生效")
    p.add_argument("table", help="表名，例如 projects、people、visits")
    p.add_argument("id", help="记录编号")
    p.add_argument("unit", help="共享给的单位，例如 大理州")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_share)

    p = sub.add_parser("unshare", help="取消共享（对方已有的副本保留，但不再更新）")
    p.add_argument("table")
    p.add_argument("id")
    p.add_argument("unit")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_unshare)

    p = sub.add_parser("shares", help="列出本机的共享记录")
    p.add_argument("table", nargs="?")
    p.add_argument("id", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_shares)

    p = sub.add_parser("quarantine", help="从服务器收到但内容无效、暂存未应用的记录")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_quarantine)

    p = sub.add_parser("log", help="本机同步记录")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_log)


def cmd_enroll(args, store) -> int:
    if args.url.startswith("zsapp-enroll:") and "#" in args.url:  # scanned QR payload
        args.url = args.url[len("zsapp-enroll:") :].split("#", 1)[0]
    info = client.enroll(store, args.url, args.code, ca_file=args.ca, device_name=args.name)
    if args.json:
        print_json(info)
    else:
        print(
            f"已登记：{info['officer']}（{info['unit']}），服务器 {info['server']}，设备 {info['device_id']}"
        )
    return 0


def cmd_now(args, store) -> int:
    result = client.sync_now(store, verify=args.verify)
    if args.json:
        print_json(result.as_json())
    else:
        print(
            f"同步完成：上传 {result.pushed}，下载 {result.pulled}，新冲突 {result.conflicts}（{result.seconds:.1f} 秒）"
        )
        for w in result.warnings:
            print(f"注意：{w}")
    return 0


def cmd_status(args, store) -> int:
    st = client.status(store)
    if args.json:
        print_json(st)
        return 0
    if not st["enrolled"]:
        print("本设备尚未登记到服务器（zsapp sync enroll URL CODE）")
    else:
        print(
            f"服务器：{st['server']}\n干部：{st['officer']}（{st['unit']}）\n设备：{st['device_id']}"
        )
    print(
        f"上次成功同步：{st['last_sync'] or '从未'}\n待同步修改：{st['pending']} 条\n未处理冲突：{st['open_conflicts']} 条"
    )
    if st["quarantined"]:
        print(
            f"暂存未应用：{st['quarantined']} 条从服务器收到的记录内容无效（zsapp sync quarantine 查看）"
        )
    if st["last_error"]:
        print(f"上次错误：{st['last_error']}")
    return 0


def cmd_quarantine(args, store) -> int:
    rows = client.quarantined(store)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有暂存未应用的记录")
    for r in rows:
        where = "收到" if r["direction"] == "pull" else "上传被拒"
        field = f".{r['field']}" if r["field"] else ""
        print(
            f"{r['received_at']}  {where}  {r['table_name']}{field}  {r['row_id']}  原因：{r['reason']}"
        )
    return 0


def cmd_log(args, store) -> int:
    if args.limit < 1:
        raise CliError("--limit 必须是正整数")
    rows = client.sync_log(store, args.limit)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        result = "成功" if r["ok"] else f"失败：{r['error']}"
        print(
            f"{r['started_at']}  上传 {r['pushed']}  下载 {r['pulled']}  冲突 {r['conflicts']}  {result}"
        )
    return 0


def cmd_share(args, store) -> int:
    share_id = shares.share_record(store, args.table, args.id, args.unit)
    if args.json:
        print_json({"share_id": share_id, "table": args.table, "id": args.id, "unit": args.unit})
    else:
        print(f"已共享给{args.unit}（共享编号 {share_id}），下次同步后对方可见")
    return 0


def cmd_unshare(args, store) -> int:
    removed = shares.unshare_record(store, args.table, args.id, args.unit)
    if args.json:
        print_json({"removed": removed})
    elif removed:
        print(f"已取消共享给{args.unit}（对方已有的副本保留，但不再更新）")
    else:
        print(f"该记录没有共享给{args.unit}")
    return 0


def cmd_shares(args, store) -> int:
    rows = shares.list_shares(store, args.table, args.id)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']}  {r['tbl']}  {r['row_id']}  → {r['unit']}")
    return 0
