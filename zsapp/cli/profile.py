"""``zsapp profile show|set``: the officer profile used on brochures and visit logs."""

from __future__ import annotations

from dataclasses import asdict, fields

from zsapp import profile
from zsapp.cli import print_json

_LABELS = {
    "name": "姓名",
    "title": "职务",
    "phone": "电话",
    "email": "邮箱",
    "unit": "单位",
    "prefecture": "州市",
    "park": "园区",
    "unit_en": "单位英文名称（中英双语推介册用）",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser("profile", help="招商干部个人资料")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("show")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)
    p = sub.add_parser("set")
    for f in fields(profile.OfficerProfile):
        names = dict.fromkeys([f"--{f.name.replace('_', '-')}", f"--{f.name}"])
        p.add_argument(*names, dest=f.name, help=_LABELS[f.name])
    p.set_defaults(handler=cmd_set)


def cmd_show(args, store) -> int:
    data = asdict(profile.get_profile(store))
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{_LABELS[key]}：{value}")
    return 0


def cmd_set(args, store) -> int:
    current = asdict(profile.get_profile(store))
    current.update({k: v for k, v in vars(args).items() if k in current and v is not None})
    saved = profile.save_profile(store, profile.OfficerProfile(**current))
    print_json(asdict(saved))
    return 0
