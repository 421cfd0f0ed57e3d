"""``zsapp catalogue search|show|list``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from zsapp import catalogue
from zsapp.cli import CliError, print_json, print_search_results


def register(subparsers) -> None:
    parser = subparsers.add_parser("catalogue", help="招商引资指导目录")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("search", help="检索目录（汉字、全拼、首字母、英文缩写）")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("show", help="显示一个条目")
    p.add_argument("item_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("list", help="列出产业与条目")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)


def cmd_search(args, store) -> int:
    if args.limit < 1:
        raise CliError("--limit 必须是正整数")
    hits: list[Any] = catalogue.search_catalogue(store, args.query, args.limit)  # or JSON dicts
    if args.json:
        hits = [
            {
                "id": h.id,
                "kind": h.kind,
                "industry": h.industry,
                "item": h.item,
                "term": h.term,
                "path": h.path,
                "matched": h.matched,
                "score": h.score,
            }
            for h in hits
        ]
    return print_search_results(
        hits,
        args.json,
        args.query,
        "条目",
        lambda h: f"{h.id:<12} {catalogue.PATH_SEPARATOR.join(h.path)}  〔{h.matched}〕",
    )


def cmd_show(args, store) -> int:
    item = catalogue.get_item(store, args.item_id)
    if args.json:
        print_json({**asdict(item), "path": item.path})
        return 0
    print(f"{item.id}  {catalogue.PATH_SEPARATOR.join(item.path)}")
    print(item.text)
    if item.note:
        print(f"注：{item.note}")
    for term in item.terms:
        print(f"  · {term}")
    return 0


def cmd_list(args, store) -> int:
    inds = catalogue.industries(store)
    if args.json:
        print_json(
            [
                {
                    "id": i.id,
                    "no": i.no,
                    "name": i.name,
                    "name_en": i.name_en,
                    "items": [
                        {"id": it.id, "no": it.no, "name": it.name, "terms": it.terms}
                        for it in i.items
                    ],
                }
                for i in inds
            ]
        )
        return 0
    for industry in inds:
        print(f"（{industry.no}）{industry.name}")
        for item in industry.items:
            print(f"    {item.id}  {item.no}. {item.name}")
    return 0
