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
    import secrets
    import tempfile

    from zsapp.bootstrap import open_store
    from zsapp.catalogue import search_catalogue
    from zsapp.security.keys import PassphraseSource

    # A throwaway database gets a throwaway passphrase: no key store or prompt needed.
    throwaway = None if db else PassphraseSource(secrets.token_urlsafe(16))
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(db or Path(tmp) / "selftest.sqlite3", key_source=throwaway) as store,
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
            from zsapp.cli.security import guard

            with open_store(args.db) as store:
                guard(args, store)  # the app lock (issue 14)
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
    except Exception as exc:  # never a traceback on the terminal: see _report_unexpected
        return _report_unexpected(exc)


def _report_unexpected(exc: Exception) -> int:
    """Plain Chinese for the errors a user can meet (network, files, a broken database);
    anything else is written with its traceback to a log file the message points to."""
    import sqlite3

    import httpx
    import sqlalchemy.exc

    if isinstance(exc, httpx.HTTPError):
        print(
            f"错误：网络请求失败（{type(exc).__name__}），请检查服务器地址和网络后重试",
            file=sys.stderr,
        )
        return 1
    if isinstance(exc, sqlalchemy.exc.OperationalError):
        print(
            "错误：无法连接或使用服务器数据库，请检查 --db 地址、数据库服务和权限", file=sys.stderr
        )
        return 1
    if isinstance(exc, sqlite3.DatabaseError):
        print(f"错误：数据库文件无法读写（{exc}），请检查文件是否损坏或被占用", file=sys.stderr)
        return 1
    if isinstance(exc, OSError):
        where = f"：{exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"错误：文件或网络操作失败{where}（{exc.strerror or exc}）", file=sys.stderr)
        return 1
    log_path = _write_crash_log(exc)
    where = f"，详情已写入 {log_path}" if log_path else ""
    print(
        f"错误：程序遇到意外问题（{type(exc).__name__}）{where}；请把该文件发给管理员",
        file=sys.stderr,
    )
    return 1


def _write_crash_log(exc: Exception) -> Path | None:
    import datetime as dt
    import traceback

    from zsapp import paths

    try:
        log_dir = paths.data_dir() / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "cli-errors.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(
                f"--- {dt.datetime.now(dt.UTC).isoformat()} zsapp {__version__} {sys.argv[1:2]}\n"
            )
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None
