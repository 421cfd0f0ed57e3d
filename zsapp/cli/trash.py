"""``zsapp trash list|restore|empty`` (回收站)."""

from __future__ import annotations

from zsapp import trash
from zsapp.cli import CliError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("trash", help="回收站：列出、恢复、清空已删除的记录")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="列出回收站里的记录（最近删除的在前）")
    p.add_argument("--kind", choices=[k.table for k in trash.KINDS], default=None)
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("restore", help="恢复一条记录（编号或至少 6 位的编号开头）")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_restore)
    p = sub.add_parser("empty", help="清空回收站（清空后不能再恢复）")
    p.add_argument("--yes", action="store_true", help="确认清空")
    p.set_defaults(handler=cmd_empty)


def cmd_list(args, store) -> int:
    if args.limit < 1:
        raise CliError("--limit 必须大于 0")
    items = trash.list_trash(store, table=args.kind, limit=args.limit)
    if args.json:
        print_json([i.as_json() for i in items])
    elif not items:
        print("回收站是空的")
    else:
        for i in items:
            print(f"{i.id}  {i.kind}  {i.title}")
    return 0


def cmd_restore(args, store) -> int:
    item = trash.restore_ref(store, args.id)
    if args.json:
        print_json(item.as_json())
    else:
        print(f"已恢复{item.kind}：{item.title}  〔{item.id}〕")
    return 0


def cmd_empty(args, store) -> int:
    if not args.yes:
        raise CliError(
            f"回收站里有 {trash.count_trash(store)} 条记录，清空后不能再恢复；确认请加 --yes"
        )
    n = trash.empty(store)
    print(f"已清空回收站（{n} 条）")
    return 0
