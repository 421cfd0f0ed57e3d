"""``zsapp conflicts list|restore|dismiss``: the 冲突 list from the command line."""

from __future__ import annotations

from zsapp.cli import print_json
from zsapp.sync import conflicts


def register(subparsers) -> None:
    parser = subparsers.add_parser("conflicts", help="同步冲突：查看、恢复")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="列出未处理的冲突")
    p.add_argument("--all", action="store_true", help="包括已处理的")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("restore", help="恢复被覆盖的值")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_restore)
    p = sub.add_parser("dismiss", help="保留当前值并关闭冲突")
    p.add_argument("id")
    p.set_defaults(handler=cmd_dismiss)


def cmd_list(args, store) -> int:
    rows = conflicts.list_conflicts(store, include_resolved=args.all)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有未处理的冲突")
    for c in rows:
        print(
            f"{c['id'][:8]}  {c['kind_label']}  {c['table_name']}.{c['field']}  "
            f"当前：{c['winner_value']!r}（{c['winner_officer']}）  被覆盖：{c['loser_value']!r}（{c['loser_officer']}）"
        )
    return 0


def cmd_restore(args, store) -> int:
    c = conflicts.restore(store, args.id)
    if args.json:
        print_json(c)
    else:
        print(f"已恢复 {c['table_name']}.{c['field']} = {c['loser_value']!r}，将在下次同步时上传")
    return 0


def cmd_dismiss(args, store) -> int:
    conflicts.dismiss(store, args.id)
    print("已保留当前值，冲突已关闭")
    return 0
