"""``zsapp security …`` (status, lock, unlock, change-passphrase, set-pin, idle, exports)
and the issue-14 commands added to other groups: ``zsapp people erase|stale``,
``zsapp office device lost``, ``zsapp office person erase``.

Registered after ``contacts`` and ``office`` (modules load in name order), it attaches
its sub-commands to their parsers instead of editing those modules."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from zsapp.cli import CliError, print_json

ENV_NEW_PASSPHRASE = "ZSAPP_NEW_PASSPHRASE"
ENV_PIN = "ZSAPP_PIN"


def _subactions(subparsers, name: str):
    """The sub-command group of the existing top-level command ``name``."""
    parser = subparsers.choices[name]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise KeyError(name)


def register(subparsers) -> None:
    parser = subparsers.add_parser("security", help="本机数据安全：加密、锁定、口令")
    sub = parser.add_subparsers(dest="security_action", metavar="ACTION", required=True)
    p = sub.add_parser("status", help="加密与密钥、锁定、文件权限状态")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status, unlocked_ok=True)
    p = sub.add_parser("lock", help="立即锁定（界面隐藏数据，命令行需再次输入口令/PIN）")
    p.set_defaults(handler=cmd_lock, unlocked_ok=True)
    p = sub.add_parser(
        "unlock", help="解除锁定（口令或 PIN；脚本可用 ZSAPP_PASSPHRASE / ZSAPP_PIN）"
    )
    p.set_defaults(handler=cmd_unlock, unlocked_ok=True)
    p = sub.add_parser(
        "change-passphrase",
        help="更换本机数据口令并更换数据库密钥（rekey）；新口令可由 ZSAPP_NEW_PASSPHRASE 提供",
    )
    p.set_defaults(handler=cmd_change_passphrase)
    p = sub.add_parser("set-pin", help="设置解锁 PIN（密钥在系统密钥库时使用）")
    p.set_defaults(handler=cmd_set_pin)
    p = sub.add_parser("idle", help="查看或设置空闲多少分钟后自动锁定（默认 15）")
    p.add_argument("minutes", type=int, nargs="?")
    p.set_defaults(handler=cmd_idle)
    p = sub.add_parser("exports", help="导出记录（谁在何时导出了什么、多少条）")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_exports)

    people = _subactions(subparsers, "people")
    p = people.add_parser(
        "erase", help="应本人要求彻底删除联系人（本机、服务器、其他设备；不是放入回收站）"
    )
    p.add_argument("person_id")
    p.add_argument("--yes", action="store_true", help="不再确认")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_people_erase)
    p = people.add_parser("stale", help="多年未更新的联系人与企业（供复核是否仍需保留）")
    p.add_argument("--years", type=int, help="年数（默认取设置，初始 3 年）")
    p.add_argument("--set-default", action="store_true", help="把 --years 保存为默认值")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_people_stale)

    office = _subactions(subparsers, "office")
    device = _subactions(office, "device")
    p = device.add_parser("lost", help="标记设备丢失：立即撤销，并在它下次联网时清除本机数据")
    p.add_argument("device_id")
    p.add_argument("--reason", default="", help="原因（设备上会显示）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_office_device_lost, needs_store=False)
    person = office.add_parser("person", help="个人信息").add_subparsers(
        dest="person_action", required=True, metavar="ACTION"
    )
    p = person.add_parser("erase", help="从服务器彻底删除联系人（并通知所有设备删除）")
    p.add_argument("person_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_office_person_erase, needs_store=False)
    p = office.add_parser("erasures", help="已执行的删除请求（只记表名与编号）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_office_erasures, needs_store=False)


# -- the lock, honoured by every command ------------------------------------------------------
def _ask_secret(store) -> str:
    from zsapp.security import applock, keys

    name = applock.secret_name(store)
    env = os.environ.get(ENV_PIN if name == "PIN" else keys.ENV_PASSPHRASE)
    if env:
        return env
    if not sys.stdin or not sys.stdin.isatty():
        var = ENV_PIN if name == "PIN" else keys.ENV_PASSPHRASE
        raise CliError(f"本机数据已锁定：请在终端中运行并输入{name}，或设置环境变量 {var}")
    return getpass.getpass(f"本机数据已锁定，请输入{name}：")


def guard(args, store) -> None:
    """While the app is locked, a command needs the passphrase / PIN first."""
    from zsapp.security import applock

    if getattr(args, "unlocked_ok", False) or not applock.is_locked(store):
        return
    if not applock.verify(store, _ask_secret(store)):
        raise CliError(applock.WRONG_SECRET)


# -- handlers --------------------------------------------------------------------------------
def status(store) -> dict:
    from zsapp.security import applock, dbcrypt, erasure, keys, perms, wipe

    envelope = keys.read_envelope(store.path) or {}
    loose = []
    if perms.POSIX:
        for path in [store.path.parent, *store.path.parent.rglob("*")]:
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                loose.append(f"{path} {oct(mode)}")
    cipher = dbcrypt.cipher_version(store)
    return {
        "database": str(store.path),
        "encrypted": bool(cipher) and not dbcrypt.is_plain_sqlite(store.path),
        "cipher": f"SQLCipher {cipher}" if cipher else "",
        "key_source": envelope.get("source", ""),
        "kdf": {k: v for k, v in (envelope.get("kdf") or {}).items() if k != "salt"},
        "envelope": str(keys.envelope_path(store.path)),
        "locked": applock.is_locked(store),
        "unlock_with": applock.secret_name(store),
        "idle_lock_minutes": applock.idle_minutes(store),
        "pending_office_erasures": len(erasure.pending_requests(store)),
        "loose_permissions": loose,
        "wiped_notice": wipe.wiped_notice(store.path),
    }


def cmd_status(args, store) -> int:
    info = status(store)
    if args.json:
        print_json(info)
        return 0
    print(f"数据库：{info['database']}")
    print(f"加密：{'是，' + info['cipher'] if info['encrypted'] else '否'}")
    source = {"keyring": "系统密钥库", "passphrase": "口令（Argon2id 派生）"}.get(
        info["key_source"], info["key_source"]
    )
    print(f"密钥保管：{source}")
    print(f"锁定：{'已锁定' if info['locked'] else '未锁定'}（解锁用{info['unlock_with']}）")
    print(f"空闲自动锁定：{info['idle_lock_minutes']} 分钟")
    if info["pending_office_erasures"]:
        print(f"待发送到服务器的删除请求：{info['pending_office_erasures']} 条")
    if info["loose_permissions"]:
        print("权限过宽的文件：\n  " + "\n  ".join(info["loose_permissions"]))
    else:
        print("文件权限：仅本用户可读写")
    return 0


def cmd_lock(args, store) -> int:
    from zsapp.security import applock

    applock.lock(store)
    print(f"已锁定：界面将隐藏数据，命令行需要先输入{applock.secret_name(store)}")
    return 0


def cmd_unlock(args, store) -> int:
    from zsapp.security import applock

    try:
        applock.unlock(store, _ask_secret(store))
    except applock.WrongKeyError as exc:
        raise CliError(str(exc)) from None
    print("已解锁")
    return 0


def _new_secret(prompt: str, env: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise CliError(f"请在终端中运行，或设置环境变量 {env}")
    first = getpass.getpass(prompt)
    if getpass.getpass("再输入一次：") != first:
        raise CliError("两次输入不一致")
    return first


def cmd_change_passphrase(args, store) -> int:
    from zsapp.security import rekey

    new = _new_secret("新口令（至少 8 个字符）：", ENV_NEW_PASSPHRASE)
    rekey.change_passphrase(store, new)
    print("口令已更换，数据库已用新密钥重新加密；请牢记新口令（忘记后数据无法恢复）")
    return 0


def cmd_set_pin(args, store) -> int:
    from zsapp.security import applock

    applock.set_pin(store, _new_secret("新 PIN（至少 6 位）：", ENV_PIN))
    print("解锁 PIN 已设置")
    return 0


def cmd_idle(args, store) -> int:
    from zsapp.security import applock

    if args.minutes is not None:
        applock.set_idle_minutes(store, args.minutes)
    print(f"空闲 {applock.idle_minutes(store)} 分钟后自动锁定")
    return 0


def cmd_exports(args, store) -> int:
    from zsapp.security import exportlog

    rows = exportlog.entries(store, args.limit)
    if args.json:
        print_json(rows)
    elif not rows:
        print("没有导出记录")
    else:
        for r in rows:
            print(
                f"{r['at']}  {r['officer']}  {r['what']}  {r['rows']} 条  {r['format']}  {r['target']}"
            )
    return 0


def cmd_people_erase(args, store) -> int:
    from zsapp.security import erasure

    person = store.query_one(
        "SELECT id, name FROM people WHERE id = ? OR id LIKE ?",
        (args.person_id, f"{args.person_id}%"),
    )
    if person is None:
        raise CliError(f"找不到联系人 {args.person_id}")
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise CliError("彻底删除无法撤销：确认请加 --yes")
        answer = input(f"彻底删除联系人“{person['name']}”及其全部记录，无法撤销。输入 yes 确认：")
        if answer.strip().lower() != "yes":
            print("已取消")
            return 1
    out = erasure.erase_person(store, person["id"])
    if args.json:
        print_json(out)
    else:
        print(
            f"已彻底删除联系人 {person['id'][:8]}（本机 {out['records']} 条记录）；"
            "下次同步时服务器和其他设备也会删除"
        )
    return 0


def cmd_people_stale(args, store) -> int:
    from zsapp.security import erasure

    if args.set_default:
        if args.years is None:
            raise CliError("--set-default 需要同时给出 --years")
        store.set_setting(erasure.REVIEW_KEY, int(args.years))
    rows = erasure.stale_records(store, args.years)
    if args.json:
        print_json(rows)
    elif not rows:
        print("没有长期未更新的记录")
    else:
        for r in rows:
            print(f"{r['kind']}  {r['id'][:8]}  {r['name']}  最后更新 {r['last_changed']}")
    return 0


def _office(args):
    from zsapp.cli.office import _open

    return _open(args)


def cmd_office_device_lost(args) -> int:
    from zsapp.office import security as office_security

    out = office_security.mark_lost(_office(args), args.device_id, args.reason)
    if args.json:
        print_json(out)
    else:
        print(f"设备 {out['device_id']} 已标记为丢失并立即撤销；它下次联网时会清除本机数据和密钥")
    return 0


def cmd_office_person_erase(args) -> int:
    from zsapp.office import security as office_security

    n = office_security.erase_records(_office(args), [("people", args.person_id)], by="office")
    if args.json:
        print_json({"person_id": args.person_id, "records": n})
    else:
        print(f"已从服务器彻底删除 {n} 条记录；各设备下次同步时删除本机副本")
    return 0


def cmd_office_erasures(args) -> int:
    from zsapp.office import security as office_security

    rows = office_security.erasure_log(_office(args))
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['at']}  {r['tbl']}  {r['row_id']}  {r['by']}")
    return 0
