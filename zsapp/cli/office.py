"""``zsapp office ...``: the provincial office server and its administration."""

from __future__ import annotations

import json
import os
from pathlib import Path

from zsapp import paths
from zsapp.cli import CliError, print_json


def _office_url(args) -> str:
    return (
        args.office_db
        or os.environ.get("ZSAPP_OFFICE_DB")
        or str(paths.data_dir() / "office" / "office.sqlite3")
    )


def _actor() -> str:
    """Who ran an admin command, for the audit log (the OS account at the console)."""
    import getpass

    try:
        return f"admin:{getpass.getuser()}"
    except (KeyError, OSError):
        return "admin"


def _open(args, init: bool = False):
    from zsapp.office.service import Office

    office = Office(
        _office_url(args), blob_dir=Path(args.blobs) if getattr(args, "blobs", None) else None
    )
    if init:
        office.init()
    else:
        office.check_schema()
    return office


def register(subparsers) -> None:
    parser = subparsers.add_parser("office", help="省招商办同步服务器与管理")
    parser.add_argument(
        "--db",
        dest="office_db",
        help="服务器数据库：SQLite 文件路径或 postgresql://… （默认在用户数据目录）",
    )
    parser.add_argument("--blobs", help="附件存放目录（默认在数据库旁）")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("init", help="创建或升级服务器数据库")
    p.set_defaults(handler=cmd_init, needs_store=False)

    p = sub.add_parser("serve", help="启动同步服务器")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--tls-cert", type=Path)
    p.add_argument("--tls-key", type=Path)
    p.add_argument("--workers", type=int, default=1, help="工作进程数（无状态，可多进程）")
    p.set_defaults(handler=cmd_serve, needs_store=False)

    officer = sub.add_parser("officer", help="招商干部账号").add_subparsers(
        dest="officer_action", required=True, metavar="ACTION"
    )
    p = officer.add_parser("add", help="添加干部")
    p.add_argument("name")
    p.add_argument("--unit", required=True, help="所属州市，例如 昆明市")
    p.add_argument("--role", default="officer", choices=["officer", "unit-admin", "province"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_officer_add, needs_store=False)
    p = officer.add_parser("list", help="列出干部")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_officer_list, needs_store=False)

    p = sub.add_parser("enroll", help="为干部生成一次性登记码（含二维码）")
    p.add_argument("officer", help="干部姓名或编号")
    p.add_argument("--url", help="服务器地址（写入二维码）")
    p.add_argument("--qr-png", type=Path, help="把二维码另存为 PNG")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_enroll, needs_store=False)

    device = sub.add_parser("device", help="已登记的设备").add_subparsers(
        dest="device_action", required=True, metavar="ACTION"
    )
    p = device.add_parser("list", help="列出设备")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_device_list, needs_store=False)
    p = device.add_parser("revoke", help="撤销设备（下一次请求即生效）")
    p.add_argument("device_id")
    p.set_defaults(handler=cmd_device_revoke, needs_store=False)

    cat = sub.add_parser("catalogue", help="发布指导目录").add_subparsers(
        dest="cat_action", required=True, metavar="ACTION"
    )
    p = cat.add_parser("publish", help="发布新版指导目录（以及园区、准入门槛清单）给所有设备")
    p.add_argument("file", type=Path, help="指导目录 JSON")
    p.add_argument("--parks", type=Path, help="园区清单 JSON")
    p.add_argument("--thresholds", type=Path, help="准入门槛 JSON")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_publish, needs_store=False)

    p = sub.add_parser("log", help="最近的同步记录")
    p.add_argument("--limit", type=int, default=30)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_log, needs_store=False)

    p = sub.add_parser("audit", help="审计日志（管理操作、登记、撤销、被拒请求），并校验防篡改链")
    p.add_argument("--since", help="只显示此时间之后的记录，例如 2026-06-01 或 2026-06-01T08:00")
    p.add_argument("--json", action="store_true", help="导出为 JSON")
    p.set_defaults(handler=cmd_audit, needs_store=False)

    p = sub.add_parser("compact", help="清理早已删除的记录（墓碑），超过保留期的设备将重新快照")
    p.add_argument("--older-than-days", type=int, default=400)
    p.set_defaults(handler=cmd_compact, needs_store=False)


def cmd_init(args) -> int:
    office = _open(args, init=True)
    print(f"服务器数据库已就绪：{_safe_url(_office_url(args))}")
    office.close()
    return 0


def _safe_url(url: str) -> str:
    """Never print a database password."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def cmd_serve(args) -> int:
    from zsapp.office.server import serve

    if bool(args.tls_cert) != bool(args.tls_key):
        raise CliError("--tls-cert 和 --tls-key 需要同时给出")
    office = _open(args, init=True)
    scheme = "https" if args.tls_cert else "http"
    print(
        f"招商助手同步服务器：{scheme}://{args.host}:{args.port}  数据库：{_safe_url(_office_url(args))}",
        flush=True,
    )
    serve(office, args.host, args.port, args.tls_cert, args.tls_key, workers=max(1, args.workers))
    return 0


def cmd_officer_add(args) -> int:
    officer = _open(args).add_officer(args.name, args.unit, args.role, actor=_actor())
    if args.json:
        print_json(officer)
    else:
        print(
            f"已添加干部 {officer['name']}（{officer['unit']}，{officer['role']}），编号 {officer['id']}"
        )
    return 0


def cmd_officer_list(args) -> int:
    rows = _open(args).officers()
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']}  {r['name']:<8} {r['unit']:<8} {r['role']}")
    return 0


def cmd_enroll(args) -> int:
    result = _open(args).create_enrollment(args.officer, actor=_actor())
    payload = result["code"] if not args.url else f"zsapp-enroll:{args.url}#{result['code']}"
    if args.qr_png:
        import qrcode

        qrcode.make(payload).save(args.qr_png)
    if args.json:
        print_json(
            {**result, "qr_payload": payload, "qr_png": str(args.qr_png) if args.qr_png else None}
        )
        return 0
    print(
        f"干部 {result['officer']}（{result['unit']}）的一次性登记码：{result['code']}（{result['days']} 天内有效）"
    )
    print(
        "在招商助手中：同步 → 登记本设备，填写服务器地址和此登记码；或运行 zsapp sync enroll URL CODE"
    )
    try:
        import io

        import qrcode

        qr = qrcode.QRCode(border=1)
        qr.add_data(payload)
        buf = io.StringIO()
        qr.print_ascii(out=buf, invert=True)
        print(buf.getvalue())
    except Exception:  # a terminal without the needed characters: the code above suffices
        pass
    if args.qr_png:
        print(f"二维码已保存：{args.qr_png}")
    return 0


def cmd_device_list(args) -> int:
    rows = _open(args).devices()
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("还没有登记的设备")
    for r in rows:
        state = f"已撤销 {r['revoked_at']}" if r["revoked_at"] else "有效"
        print(
            f"{r['id']}  {r['officer']}（{r['unit']}） {r['name']}  登记 {r['enrolled_at']}  "
            f"最近 {r['last_seen'] or '-'}  {state}"
        )
    return 0


def cmd_device_revoke(args) -> int:
    _open(args).revoke_device(args.device_id, actor=_actor())
    print(f"设备 {args.device_id} 已撤销；它的下一次同步请求会被拒绝")
    return 0


def cmd_publish(args) -> int:
    from zsapp import catalogue

    office = _open(args)
    document, _digest = catalogue.read_document(args.file)
    out = [office.publish("catalogue", document, actor=_actor())]
    for kind, path in (("parks", args.parks), ("thresholds", args.thresholds)):
        if path:
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CliError(f"无法读取 {path}：{exc}") from exc
            out.append(office.publish(kind, doc, actor=_actor()))
    if args.json:
        print_json(out)
    else:
        for item in out:
            print(f"已发布 {item['kind']} 版本 {item['version']}（sha256 {item['sha256'][:12]}…）")
    return 0


def cmd_log(args) -> int:
    rows = _open(args).log(args.limit)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        err = f"  错误：{r['error']}" if r["error"] else ""
        print(
            f"{r['at']}  {r['device_id'][:12]}  {r['kind']:<7} 上传 {r['pushed']}  下载 {r['pulled']}  冲突 {r['conflicts']}{err}"
        )
    return 0


def cmd_compact(args) -> int:
    n = _open(args).compact(args.older_than_days, actor=_actor())
    print(f"已清理 {n} 条早已删除的记录")
    return 0


def cmd_audit(args) -> int:
    office = _open(args)
    try:
        entries = office.audit_entries(args.since)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    intact = office.verify_audit()
    if args.json:
        print_json(
            {
                "intact": intact is True,
                "first_bad_id": None if intact is True else intact,
                "entries": entries,
            }
        )
        return 0 if intact is True else 1
    for e in entries:
        detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
        print(
            f"{e['id']}  {e['at']}  {e['actor']}  {e['action']}  {e['target']}  {e['result']}  {detail}"
        )
    if not entries:
        print("没有符合条件的审计记录")
    if intact is True:
        print("审计日志完整（防篡改链校验通过）")
        return 0
    print(f"警告：审计日志自第 {intact} 条起被改动或缺失，防篡改链校验失败")
    return 1
