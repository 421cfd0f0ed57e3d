"""``zsapp db info``."""

from __future__ import annotations

from zsapp import catalogue
from zsapp.cli import print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="本地数据库")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("info", help="路径、版本与记录数")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_info)


def cmd_info(args, store) -> int:
    tables = [
        r["name"]
        for r in store.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%updated_by%' ORDER BY name"
        )
    ]
    info = {
        "path": str(store.path),
        "schema_version": store.schema_version,
        "device_id": store.device_id,
        "catalogue_version": catalogue.current_version(store),
        "counts": {
            "catalogue_industries": store.count("catalogue_industries"),
            "catalogue_items": store.count("catalogue_items"),
            "catalogue_terms": store.count("catalogue_terms"),
            **{t: store.count(t) for t in tables},
        },
        "pending_changes": store.pending_changes(),
    }
    if args.json:
        print_json(info)
        return 0
    print(f"数据库：{info['path']}")
    print(f"结构版本：{info['schema_version']}    设备：{info['device_id']}")
    print(f"指导目录版本：{info['catalogue_version']}")
    for name, n in info["counts"].items():
        print(f"  {name}: {n}")
    print(f"待同步修改：{info['pending_changes']}")
    return 0
