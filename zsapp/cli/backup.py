"""``zsapp backup create|list|restore`` (备份与恢复)."""

from __future__ import annotations

from pathlib import Path

from zsapp import backup
from zsapp.cli import CliError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("backup", help="备份与恢复（数据库和附件）")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("create", help="备份到指定文件夹（如 U 盘；默认本机备份文件夹）")
    p.add_argument("folder", nargs="?", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_create)
    p = sub.add_parser("list", help="列出文件夹里的备份（默认本机备份文件夹）")
    p.add_argument("folder", nargs="?", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("restore", help="从备份文件恢复（当前数据会先自动备份）")
    p.add_argument("file", type=Path)
    p.add_argument("--yes", action="store_true", help="确认用备份替换当前数据")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_restore)


def _describe(info: backup.BackupInfo) -> str:
    c = info.counts
    return (
        f"{info.created_at.replace('T', ' ')}  企业 {c.get('companies', 0)}、联系人 {c.get('people', 0)}、"
        f"拜访 {c.get('visits', 0)}、项目 {c.get('projects', 0)}  {info.size // 1024} KB  {info.path}"
    )


def cmd_create(args, store) -> int:
    info = backup.create_backup(store, args.folder or backup.local_folder())
    if args.json:
        print_json(info.as_json())
    else:
        print(f"已备份：{info.path}")
    return 0


def cmd_list(args, store) -> int:
    items = backup.list_backups(store, args.folder)
    if args.json:
        print_json([i.as_json() for i in items])
    elif not items:
        print("没有找到备份")
    else:
        for info in items:
            print(_describe(info))
    return 0


def cmd_restore(args, store) -> int:
    info = backup.read_info(store, args.file)
    if not args.yes:
        raise CliError(f"将用这份备份替换当前数据：{_describe(info)}。确认请加 --yes")
    result = backup.restore_backup(store, args.file)
    if args.json:
        print_json(
            {
                "restored": result.restored.as_json(),
                "safety_backup": result.safety_backup.as_json(),
                "attachments_restored": result.attachments_restored,
            }
        )
    else:
        print(f"已从备份恢复：{result.restored.created_at.replace('T', ' ')}")
        print(f"恢复前的数据已另存为：{result.safety_backup.path}")
    return 0
