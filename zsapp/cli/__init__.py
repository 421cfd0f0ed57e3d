"""Command-line front: ``python -m zsapp ...`` / ``zsapp ...``.

Each module in this package that defines ``register(subparsers)`` adds its commands;
a command's handler takes ``(args, store)`` or, with ``needs_store=False``, ``(args)``.
Errors reach the user on stderr in plain Chinese with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zsapp import __version__


class CliError(Exception):
    """A user mistake on the command line (exit code 2)."""


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_search_results(rows: list, as_json: bool, query: str, noun: str, line) -> int:
    """Search output shared by every ``… search`` command: JSON, a line per hit, or a
    plain "nothing found" sentence."""
    if as_json:
        print_json(rows)
    elif not rows:
        print(f"没有找到与“{query}”相关的{noun}")
    else:
        for row in rows:
            print(line(row))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zsapp", description="招商助手 命令行")
    parser.add_argument("--version", action="version", version=f"招商助手 zsapp {__version__}")
    parser.add_argument("--db", type=Path, help="数据库文件（默认在用户数据目录）")
    parser.add_argument(
        "--selftest", action="store_true", help="打开数据库并检索指导目录，成功则退出码为 0"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def selftest(db: Path | None) -> int:
    import tempfile

    from zsapp.bootstrap import open_store
    from zsapp.catalogue import search_catalogue

    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(db or Path(tmp) / "selftest.sqlite3") as store,
    ):
        hits = search_catalogue(store, "咖啡")
        ok = bool(hits) and store.schema_version > 0
        print(
            f"selftest: schema {store.schema_version}, 咖啡 → {len(hits)} hits: {'ok' if ok else 'FAILED'}"
        )
        return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(f"招商助手 zsapp {__version__}")  # without importing every command
        return 0
    from zsapp.store import StoreError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.selftest:
            return selftest(args.db)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 0
        if getattr(args, "needs_store", True):
            from zsapp.bootstrap import open_store

            with open_store(args.db) as store:
                return args.handler(args, store) or 0
        return args.handler(args) or 0
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
