"""Sync client: enrollment, push of the outbox, pull/apply of server pages, snapshots.

Rules (docs/sync.md):
- Outbox rows are deleted only after the server acknowledged them (same local tx).
- Each pulled page is applied in one local transaction that also stores the new cursors.
- A pulled field never overwrites a field with unsent local edits; the server decides
  when those arrive (and records a conflict if both sides changed it).
- Remote applies run the store's change hooks (search indexes) and create no outbox rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zsapp import __version__
from zsapp.clock import ClockDriftError, wall_clock_ms
from zsapp.security import blobs, erasure, perms, wipe
from zsapp.security.errors import DeviceWiped
from zsapp.store import DATABASE_ERRORS, Store, StoreError
from zsapp.sync import protocol as p
from zsapp.sync import rules

log = logging.getLogger("zsapp.sync")

if TYPE_CHECKING:
    import httpx

SYNC_COLUMNS = ("id", "created_at", "updated_at", "updated_by", "deleted")
CONFIG_KEY = "sync.config"
CURSORS_KEY = "sync.cursors"
PUBLISHED_KEY = "sync.published"
ERASURE_CURSOR_KEY = "sync.erasure_cursor"
SKEW_WARN_MS = 24 * 3600 * 1000
RETRIES = 2

Progress = Callable[[int, int], None]


class SyncError(StoreError):
    """Sync failed; the message is for the officer. Local data is never touched by it."""

    state = "error"


class OfflineError(SyncError):
    state = "offline"


class AuthRequired(SyncError):
    state = "auth"


class UpgradeRequired(SyncError):
    state = "upgrade"


class ServerError(SyncError):
    state = "error"


class NotEnrolled(SyncError):
    state = "not_enrolled"


class Refused(SyncError):
    """HTTP 422: the server refused the request's content; ``seq`` names the one op of a
    push batch it refused, when it is about a single op."""

    state = "error"

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class WipeOrdered(SyncError):
    """The office marked this device lost (HTTP 410)."""

    state = "wiped"


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    skipped: int = 0
    clock_skew_ms: int = 0
    warnings: list[str] = field(default_factory=list)
    resnapshot: list[str] = field(default_factory=list)
    seconds: float = 0.0
    quarantined: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_BOOKKEEPING = ("id", "created_at", "updated_at", "updated_by")


@dataclass
class _ApplyBatch:
    """What one pulled page writes, collected for executemany."""

    max_hlc: str = ""
    new_conflicts: int = 0
    base_rows: list[tuple] = field(default_factory=list)
    version_rows: list[tuple] = field(default_factory=list)
    extra_rows: list[tuple] = field(default_factory=list)
    inserts: dict[tuple[str, tuple[str, ...]], list[tuple]] = field(default_factory=dict)
    touched: list[tuple[str, str]] = field(default_factory=list)


def _row_problem(row: Any, columns: dict[str, rules.Columns]) -> str | None:
    """Why a pulled row cannot be applied here (Chinese), or None. Checked before any
    SQL is built from it: names are used as identifiers, values must fit the column."""
    if not isinstance(row, dict):
        return "记录格式不正确"
    table, row_id, space, fields = row.get("t"), row.get("id"), row.get("s"), row.get("f")
    if not rules.is_name(table) or not rules.is_row_id(row_id):
        return "表名或记录编号不正确"
    if not isinstance(space, str) or not isinstance(fields, dict):
        return "记录格式不正确"
    cols = columns.get(table)
    for name, version in fields.items():
        if not rules.is_name(name):
            return f"字段名不正确：{str(name)[:40]!r}"
        if not isinstance(version, list) or len(version) != 2 or not rules.is_hlc(version[1]):
            return f"字段 {name} 的版本格式不正确"
        if name in _BOOKKEEPING:
            continue
        problem = rules.field_problem(table, name, version[0], cols if cols is not None else None)
        if problem:
            return problem
    return None


def _within_budget(rows: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The leading rows whose values fit in ``budget`` bytes (at least one): a batch
    stays under the server's body cap even with long texts."""
    total = 0
    for i, r in enumerate(rows):
        total += len(r["value"] or "") * 3 + 200
        if total > budget and i:
            return rows[:i]
    return rows


_SYNC_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(store: Store) -> threading.Lock:
    with _LOCKS_GUARD:
        return _SYNC_LOCKS.setdefault(str(store.path.resolve()), threading.Lock())


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def get_config(store: Store) -> dict[str, Any] | None:
    return store.get_setting(CONFIG_KEY)


_TABLES_CACHE: dict[tuple[str, int], dict[str, set[str]]] = {}


def synced_tables(store: Store) -> dict[str, set[str]]:
    """Every local table carrying the sync columns → its columns (discovered, not listed;
    cached until the schema changes)."""
    key = (str(store.path), store.scalar("PRAGMA schema_version"))
    cached = _TABLES_CACHE.get(key)
    if cached is not None:
        return cached
    out: dict[str, set[str]] = {}
    names = [
        r[0]
        for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    ]
    for name in names:
        if name.startswith("sqlite_") or name in p.LOCAL_ONLY_TABLES:
            continue
        cols = {r[1] for r in store.execute(f"PRAGMA table_info([{name}])").fetchall()}
        if all(c in cols for c in SYNC_COLUMNS):
            out[name] = cols
    _TABLES_CACHE[key] = out
    return out


_COLUMNS_CACHE: dict[tuple[str, int], dict[str, rules.Columns]] = {}


def column_rules(store: Store) -> dict[str, rules.Columns]:
    """{table: {column: (affinity, not_null)}} of the synced tables (for value checks)."""
    key = (str(store.path), store.scalar("PRAGMA schema_version"))
    cached = _COLUMNS_CACHE.get(key)
    if cached is None:
        cached = _COLUMNS_CACHE[key] = {
            table: {
                r[1]: (rules.affinity(r[2]), bool(r[3]))
                for r in store.execute(f"PRAGMA table_info([{table}])").fetchall()
            }
            for table in synced_tables(store)
        }
    return cached


def blob_path(sha: str) -> Path:
    """Where an attachment's content lives on this device. The hash comes from synced
    data: it must be 64 lowercase hex digits before any path is built from it."""
    if not rules.is_sha256(sha):
        raise SyncError("附件哈希无效，已跳过")
    return blobs.blob_path(sha)


_SSL_CONTEXTS: dict[str | None, ssl.SSLContext] = {}


def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificates are always verified: system roots, plus an office's own CA if given."""
    ctx = _SSL_CONTEXTS.get(ca_file)
    if ctx is None:
        ctx = ssl.create_default_context()
        if ca_file:
            ctx.load_verify_locations(cafile=ca_file)
        _SSL_CONTEXTS[ca_file] = ctx
    return ctx


def _make_http(
    url: str, ca_file: str | None, transport: httpx.BaseTransport | None, timeout: float
) -> httpx.Client:
    import httpx  # on first use: not needed to start the app

    kwargs: dict[str, Any] = {"timeout": timeout}
    if transport is not None:
        kwargs["transport"] = transport
    elif url.startswith("https"):
        kwargs["verify"] = _ssl_context(ca_file)
    else:
        kwargs["verify"] = False  # plain http: no TLS, skip loading the CA bundle
    return httpx.Client(base_url=url.rstrip("/"), **kwargs)


def _request(
    http: httpx.Client,
    method: str,
    path: str,
    data: Any = None,
    token: str | None = None,
    raw: bytes | None = None,
    params: dict | None = None,
    headers: dict | None = None,
) -> Any:
    import httpx

    hdrs = {p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION), p.HEADER_APP: __version__}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    content = raw
    if data is not None:
        content = p.dumps(data)
        hdrs["Content-Encoding"] = "gzip"
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    try:
        response = http.request(method, path, content=content, headers=hdrs, params=params)
    except httpx.TimeoutException as exc:
        raise OfflineError("连接服务器超时（离线），本机数据不受影响，稍后自动重试") from exc
    except httpx.RequestError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
            raise SyncError(
                "服务器证书验证失败：请核对服务器地址；单位自建 CA 时请指定 CA 证书文件（--ca）"
            ) from exc
        raise OfflineError(
            "无法连接服务器或连接中断（离线），本机数据不受影响，稍后自动重试"
        ) from exc
    status = response.status_code
    message = ""
    refused_seq = None
    if status >= 400:
        try:
            answer = response.json()
            message = str(answer.get("message", ""))
            refused_seq = answer.get("seq") if isinstance(answer.get("seq"), int) else None
        except (ValueError, AttributeError):
            message = ""
    if status == 401:
        raise AuthRequired(message or "本设备未登记或已被撤销，请重新登记（本机数据不受影响）")
    if status == 410:
        raise WipeOrdered(message or "本设备已被省招商办标记为丢失")
    if status == 426:
        raise UpgradeRequired(message or f"请升级到 {p.MIN_CLIENT_APP_VERSION}")
    if status >= 500:
        raise ServerError(f"服务器暂时出错（HTTP {status}），本机数据不受影响，稍后自动重试")
    if status == 422:
        raise Refused(message or "服务器拒绝了请求内容（HTTP 422）", refused_seq)
    if status >= 400:
        raise SyncError(message or f"服务器拒绝了请求（HTTP {status}）")
    server_protocol = response.headers.get(p.HEADER_PROTOCOL)
    if server_protocol is not None and int(server_protocol) < p.MIN_SERVER_PROTOCOL:
        raise UpgradeRequired(
            f"省招商办服务器版本过旧（协议 {server_protocol}），请联系管理员升级服务器到 {__version__} 或更新版本"
        )
    if raw is not None and method == "GET":
        return response
    try:
        return json.loads(response.content) if response.content else None
    except ValueError as exc:
        raise ServerError("服务器响应不完整（连接中断），稍后自动重试") from exc


def enroll(
    store: Store,
    url: str,
    code: str,
    ca_file: str | None = None,
    device_name: str = "",
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SyncError("服务器地址应以 http:// 或 https:// 开头")
    if ca_file and not Path(ca_file).is_file():
        raise SyncError(f"找不到证书文件 {ca_file}")
    next_seq = (
        store.scalar("SELECT min(seq) FROM outbox")
        or (store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") or 0) + 1
    )
    with _make_http(url, ca_file, transport, 30) as http:
        result = _request(
            http,
            "POST",
            "/v1/enroll",
            {
                "code": code,
                "device_id": store.device_id,
                "device_name": device_name,
                "next_seq": next_seq,
                "app_version": __version__,
            },
        )
    officer = result["officer"]
    config = {
        "server": url,
        "token": result["token"],
        "ca_file": ca_file,
        "officer": officer["name"],
        "unit": officer["unit"],
        "role": officer["role"],
        "enrolled_at": now_iso(),
    }
    store.set_setting(CONFIG_KEY, config)
    return {k: v for k, v in config.items() if k != "token"} | {"device_id": store.device_id}


def device_now_ms(store: Store) -> int:
    """This device's wall clock as its store's HLC sees it."""
    return store.require_clock().wall_ms()


def _observe(store: Store, hlc: str) -> None:
    """Merge a server timestamp into the local clock so later local edits sort after it."""
    clock = store.require_clock()
    try:
        clock.receive(hlc)
    except ClockDriftError:
        # Our wall clock is far behind the server: still never issue timestamps below
        # what we have seen (the server bounds timestamps to its own clock).
        clock.observe_trusted(hlc)


class SyncClient:
    def __init__(
        self,
        store: Store,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.store = store
        config = get_config(store)
        if not config:
            raise NotEnrolled(
                "本设备尚未登记到省招商办服务器，请先登记（zsapp sync enroll URL CODE）"
            )
        self.config: dict[str, Any] = config
        self._own_http = http is None
        self.http = http or _make_http(
            self.config["server"], self.config.get("ca_file"), transport, timeout
        )
        self.tables = synced_tables(store)
        self.columns = column_rules(store)
        self.quarantined = 0
        self.next_from: int | None = None  # first op number the server has not acknowledged
        # A larger page cache for this connection: initial snapshots upsert ~100k keys.
        store.execute("PRAGMA cache_size = -65536")

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, method: str, path: str, data: Any = None, retry: bool = True, **kwargs) -> Any:
        attempts = RETRIES + 1 if retry else 1
        for attempt in range(attempts):
            try:
                return _request(self.http, method, path, data, token=self.config["token"], **kwargs)
            except (OfflineError, ServerError):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.05 * 2**attempt)

    # -- the whole sync ------------------------------------------------------------------
    def sync(self, progress: Progress | None = None, verify: bool = False) -> SyncResult:
        lock = _lock_for(self.store)
        if not lock.acquire(timeout=120):
            raise SyncError("另一个同步正在进行，请稍后")
        started = time.perf_counter()
        log_id = self.store.execute(
            "INSERT INTO sync_log (started_at) VALUES (?)", (now_iso(),)
        ).lastrowid
        result = SyncResult()
        try:
            erase = erasure.pending_requests(self.store)
            try:
                hello = self.call(
                    "POST",
                    "/v1/hello",
                    {
                        "now_ms": wall_clock_ms(),
                        "device_id": self.store.device_id,
                        "erase": erase,
                        "erasure_cursor": self.store.get_setting(ERASURE_CURSOR_KEY, 0),
                    },
                )
            except WipeOrdered as exc:
                # Nothing is pushed: erase local data and keys, then say why.
                wipe.wipe_device(self.store, str(exc))
                raise DeviceWiped(
                    f"{exc} 本机数据库、附件和密钥已清除。如设备已找回，请向管理员重新登记。"
                ) from None
            self._after_hello(hello, erase)
            if hello.get("erase_refused"):
                result.warnings.append(
                    f"{len(hello['erase_refused'])} 条彻底删除涉及其他单位的记录，"
                    "已从本机删除，服务器未删除：请联系省招商办处理"
                )
            self._check_clock(hello, result)
            self._check_sequence(hello)
            self._restamp_old(int(hello.get("hlc_floor_ms") or 0))
            self._apply_pending_extras()
            self.upload_blobs()
            self.push(result, progress)
            self.pull(result, progress, hello)
            self.update_published(hello)
            self.download_blobs()
            result.seconds = time.perf_counter() - started
            self.store.execute(
                "UPDATE sync_log SET finished_at = ?, ok = 1, pushed = ?, pulled = ?, conflicts = ? WHERE id = ?",
                (now_iso(), result.pushed, result.pulled, result.conflicts, log_id),
            )
            self.store.set_setting("sync.last", {"at": now_iso(), **result.as_json()})
            with contextlib.suppress(SyncError):
                self.call(
                    "POST",
                    "/v1/done",
                    {
                        "pushed": result.pushed,
                        "pulled": result.pulled,
                        "conflicts": result.conflicts,
                    },
                    retry=False,
                )
            return result
        except BaseException as exc:
            if isinstance(exc, DeviceWiped):
                raise  # the database is gone: nothing to log into
            state = getattr(exc, "state", "error")
            self.store.execute(
                "UPDATE sync_log SET finished_at = ?, ok = 0, pushed = ?, pulled = ?, conflicts = ?, "
                "error = ? WHERE id = ?",
                (
                    now_iso(),
                    result.pushed,
                    result.pulled,
                    result.conflicts,
                    f"[{state}] {exc}",
                    log_id,
                ),
            )
            raise
        finally:
            lock.release()

    def _after_hello(self, hello: dict[str, Any], sent_erasures: list[dict[str, str]]) -> None:
        """Token rotation and erasures (issue 14)."""
        if hello.get("token"):
            # The server rotated our token: keep the new one before anything else.
            self.config = {**self.config, "token": hello["token"]}
            self.store.set_setting(CONFIG_KEY, self.config)
        if sent_erasures:
            erasure.clear_requests(self.store, sent_erasures)
        feed = hello.get("erasures") or []
        if feed:
            erasure.apply_remote(self.store, feed)
            self.store.set_setting(ERASURE_CURSOR_KEY, max(int(i["n"]) for i in feed))

    def _check_clock(self, hello: dict[str, Any], result: SyncResult) -> None:
        skew = device_now_ms(self.store) - int(hello["server_time_ms"])
        result.clock_skew_ms = skew
        self.store.set_setting("sync.clock_skew_ms", skew)
        if abs(skew) > SKEW_WARN_MS:
            hours = abs(skew) / 3600_000
            direction = "快" if skew > 0 else "慢"
            result.warnings.append(
                f"本机时钟比服务器{direction} {hours:.0f} 小时，请校准系统时间；同步仍可进行，服务器按其时间为准"
            )
        officer = hello.get("officer") or {}
        if officer and officer != {k: self.config.get(k) for k in ("name", "unit", "role")}:
            self.config.update(
                {
                    "officer": officer.get("name"),
                    "unit": officer.get("unit"),
                    "role": officer.get("role"),
                }
            )
            self.store.set_setting(CONFIG_KEY, self.config)

    def _check_sequence(self, hello: dict[str, Any]) -> None:
        """Line the outbox numbering up with the server's mark for this device.

        Behind (an old local backup was restored): new edits could reuse op numbers the
        server has already seen (and would skip), so unsent ops are renumbered above it.
        Ahead (the office database was restored from a backup): the server lost ops it
        had acknowledged; every field this device wrote last is queued again (the server
        ignores what it still has) and numbered on from the server's mark, and cursors
        past a space's head are moved back to it — no 409 loop, nothing lost."""
        server_last = int(hello.get("last_seq") or 0)
        local_last = self.store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") or 0
        first_unsent = self.store.scalar("SELECT min(seq) FROM outbox")
        acked = (first_unsent - 1) if first_unsent is not None else local_last
        if acked > server_last:
            log.warning(
                "sync: the office has this device's ops up to %s, %s were acknowledged: "
                "the office database was restored; sending again what it lost",
                server_last,
                acked,
            )
            with self.store.transaction():
                self._requeue_own_fields()
                self._rewind_cursors(hello)
            self._renumber_outbox(server_last)
        elif local_last < server_last:
            self._renumber_outbox(server_last)
        self.next_from = server_last + 1

    def _renumber_outbox(self, server_last: int) -> None:
        with self.store.transaction():
            rows = self.store.execute("SELECT seq FROM outbox ORDER BY seq").fetchall()
            self.store.execute("UPDATE outbox SET seq = -seq")
            for i, (seq,) in enumerate(rows, start=1):
                self.store.execute(
                    "UPDATE outbox SET seq = ? WHERE seq = ?", (server_last + i, -seq)
                )
            self.store.execute(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'",
                (server_last + len(rows),),
            )

    def _requeue_own_fields(self) -> None:
        """Queue again every field whose current version this device wrote and that has
        no unsent edit (inside the caller's transaction)."""
        me = self.store.device_id
        conn = self.store
        for table, columns in self.tables.items():
            names = [c for c in columns if c not in _BOOKKEEPING]
            own = conn.execute(
                "SELECT fv.row_id, fv.field, fv.hlc FROM field_versions fv "
                "WHERE fv.table_name = ? AND substr(fv.hlc, 23) = ? AND NOT EXISTS ("
                "SELECT 1 FROM outbox o WHERE o.table_name = fv.table_name "
                "AND o.row_id = fv.row_id AND o.field = fv.field)",
                (table, me),
            ).fetchall()
            by_row: dict[str, list[tuple[str, str]]] = {}
            for row_id, name, hlc in own:
                if name in names:
                    by_row.setdefault(row_id, []).append((name, hlc))
            for row_id, items in by_row.items():
                values = self.store.query_one(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,))
                if values is None:
                    continue
                conn.executemany(
                    "INSERT INTO outbox (table_name, row_id, field, value, hlc) VALUES (?, ?, ?, ?, ?)",
                    [
                        (table, row_id, name, json.dumps(values[name], ensure_ascii=False), hlc)
                        for name, hlc in items
                    ],
                )

    def _rewind_cursors(self, hello: dict[str, Any]) -> None:
        cursors = self.store.get_setting(CURSORS_KEY, {}) or {}
        heads = hello.get("spaces") or {}
        changed = False
        for space, head in heads.items():
            seq = int(head.get("seq") or 0)
            if int(cursors.get(space, 0) or 0) > seq:
                cursors[space] = seq
                changed = True
        if changed:
            self._set(CURSORS_KEY, cursors)

    def _restamp_old(self, floor_ms: int) -> None:
        """Unsent edits stamped before the oldest time the server accepts for this
        device (a clock that was far behind): stamp them now instead of being refused."""
        floor = f"{max(0, floor_ms):016d}"
        old = self.store.query(
            "SELECT seq, table_name, row_id, field, hlc FROM outbox WHERE hlc < ?", (floor,)
        )
        if not old:
            return
        with self.store.transaction():
            for r in old:
                hlc = self.store.require_clock().now().pack()
                self.store.execute("UPDATE outbox SET hlc = ? WHERE seq = ?", (hlc, r["seq"]))
                self.store.execute(
                    "UPDATE field_versions SET hlc = ? WHERE table_name = ? AND row_id = ? "
                    "AND field = ? AND hlc = ?",
                    (hlc, r["table_name"], r["row_id"], r["field"], r["hlc"]),
                )

    # -- push ----------------------------------------------------------------------------
    def push(self, result: SyncResult, progress: Progress | None = None) -> None:
        store = self.store
        total = store.scalar("SELECT count(*) FROM outbox") or 0
        done = 0
        stop_at = store.scalar("SELECT max(seq) FROM outbox")  # edits made during sync go next time
        while stop_at is not None:
            rows = store.query(
                "SELECT seq, table_name, row_id, field, value, hlc FROM outbox WHERE seq <= ? "
                "ORDER BY seq LIMIT ?",
                (stop_at, p.PUSH_BATCH_OPS),
            )
            if not rows:
                break
            rows = _within_budget(rows, p.PUSH_BATCH_BYTES)
            ops = []
            for r in rows:
                if r["table_name"] in p.LOCAL_ONLY_TABLES:
                    continue
                op = {
                    "seq": r["seq"],
                    "device": store.device_id,
                    "t": r["table_name"],
                    "id": r["row_id"],
                    "f": r["field"],
                    "v": json.loads(r["value"]) if r["value"] is not None else None,
                    "h": r["hlc"],
                    "b": self._base(r["table_name"], r["row_id"], r["field"]),
                }
                if r["field"] == "deleted":
                    if op["v"]:
                        op["rb"] = {
                            row["field"]: row["hlc"]
                            for row in store.query(
                                "SELECT field, hlc FROM sync_base WHERE table_name = ? AND row_id = ?",
                                (r["table_name"], r["row_id"]),
                            )
                        }
                else:
                    op["db"] = self._base(r["table_name"], r["row_id"], "deleted")
                ops.append(op)
            # from_seq: everything after the last ack is covered, so an op set aside here
            # (refused by the server) leaves no gap.
            batch = {
                "batch_id": f"{store.device_id}:{rows[0]['seq']}-{rows[-1]['seq']}",
                "from_seq": min(rows[0]["seq"], self.next_from or rows[0]["seq"]),
                "to_seq": rows[-1]["seq"],
                "ops": ops,
            }
            try:
                ack = self.call("POST", "/v1/push", batch)
            except Refused as exc:
                if exc.seq is None or exc.seq not in {r["seq"] for r in rows}:
                    raise
                self._set_aside_op(exc.seq, str(exc), result)
                continue
            acked = int(ack["acked_seq"])
            self.next_from = acked + 1
            with store.transaction():
                store.execute("DELETE FROM outbox WHERE seq <= ?", (acked,))
            result.pushed += int(ack.get("applied", 0))
            result.skipped += int(ack.get("skipped", 0))
            done += len(rows)
            if progress:
                progress(done, total)
            if acked < rows[-1]["seq"]:
                raise ServerError("服务器未确认全部修改，稍后重试")

    def _set_aside_op(self, seq: int, reason: str, result: SyncResult) -> None:
        """An unsent edit the server refuses (e.g. a value this device stored without the
        app's checks): keep it in sync_quarantine, take it out of the outbox, send the
        rest. The local record keeps the value; nothing is lost."""
        store = self.store
        row = store.query_one("SELECT * FROM outbox WHERE seq = ?", (seq,))
        if row is None:
            return
        log.warning("sync: the server refused edit %s (%s): %s", seq, row["table_name"], reason)
        with store.transaction():
            store.execute(
                "INSERT INTO sync_quarantine (direction, table_name, row_id, field, space, "
                "payload, reason, received_at) VALUES ('push', ?, ?, ?, '', ?, ?, ?) "
                "ON CONFLICT (direction, table_name, row_id, field) DO UPDATE SET "
                "payload = excluded.payload, reason = excluded.reason, "
                "received_at = excluded.received_at",
                (
                    row["table_name"],
                    row["row_id"],
                    row["field"],
                    json.dumps(dict(row), ensure_ascii=False),
                    reason[:500],
                    now_iso(),
                ),
            )
            store.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
        result.quarantined += 1
        result.warnings.append(f"服务器拒绝了本机的一条修改（{reason}），已暂存，其余修改照常上传")

    def _base(self, table: str, row_id: str, field_name: str) -> str | None:
        return self.store.scalar(
            "SELECT hlc FROM sync_base WHERE table_name = ? AND row_id = ? AND field = ?",
            (table, row_id, field_name),
        )

    # -- pull ----------------------------------------------------------------------------
    def pull(
        self,
        result: SyncResult,
        progress: Progress | None = None,
        hello: dict | None = None,
        limit: int | None = None,
    ) -> None:
        store = self.store
        limit = limit or p.PULL_PAGE_ROWS
        cursors: dict[str, int] = store.get_setting(CURSORS_KEY, {}) or {}
        heads = (hello or {}).get("spaces", {})
        total = sum(max(0, int(h["seq"]) - int(cursors.get(s, 0))) for s, h in heads.items()) or 1
        merges: list[tuple[str, str, str]] = []
        resnap: set[str] = set(store.get_setting("sync.resnap", []) or [])
        done = 0
        while True:
            page = self.call("POST", "/v1/pull", {"cursors": cursors, "limit": limit})
            with store.transaction():
                conn = store
                conn.execute("PRAGMA defer_foreign_keys = ON")
                for space in page.get("resnapshot", []):
                    conn.execute(
                        "UPDATE sync_base SET space = 'resnap:' || space WHERE space = ?", (space,)
                    )
                    resnap.add(space)
                    result.resnapshot.append(space)
                    cursors[space] = 0
                pending = {
                    (r[0], r[1], r[2])
                    for r in conn.execute("SELECT table_name, row_id, field FROM outbox")
                }
                new_conflicts = self.apply_rows(page["rows"], pending, merges)
                result.conflicts += new_conflicts
                cursors = {**cursors, **page["cursors"]}
                self._set(CURSORS_KEY, cursors)
                self._set("sync.resnap", sorted(resnap))
            result.pulled += int(page.get("changes", 0))
            done += int(page.get("changes", 0))
            if progress:
                progress(min(done, total), max(total, done))
            if not page.get("more"):
                break
        if self.quarantined:
            result.quarantined += self.quarantined
            result.warnings.append(
                f"有 {self.quarantined} 条从服务器收到的记录内容无效，已暂存未应用（其余已正常同步）"
            )
            self.quarantined = 0
        if resnap:
            self._finish_resnapshot(resnap)
        if merges:
            self._repoint(merges)

    def _set(self, key: str, value: Any) -> None:
        self.store.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )

    def apply_rows(
        self,
        rows: list[dict[str, Any]],
        pending: set[tuple[str, str, str]],
        merges: list[tuple[str, str, str]],
    ) -> int:
        """Apply pulled rows inside the caller's transaction; returns new open conflicts.
        Batched: one lookup of existing ids per table, executemany for inserts/versions.
        A row that this device cannot store (malformed, wrong type, a constraint) is set
        aside in ``sync_quarantine`` and everything else is applied."""
        batch = _ApplyBatch()
        good = [row for row in rows if self._admit(row)]
        existing = self._existing_ids(good)
        for row in good:
            plan = self._plan_row(row, pending, batch)
            if plan is None:
                continue
            table, row_id, known, top = plan
            if row_id not in existing[table]:
                self._queue_insert(batch, row, known, top)
                existing[table][row_id] = top
            elif not self._update_row(table, row_id, known, top, existing[table][row_id], row):
                continue
            batch.touched.append((table, row_id))
            if table in p.MERGE_TABLES and known.get(p.MERGE_FIELD):
                merges.append((table, row_id, known[p.MERGE_FIELD]))
        self._flush(batch)
        for table, row_id in batch.touched:
            self.store.run_change_hooks(table, row_id)
        if batch.max_hlc:
            _observe(self.store, batch.max_hlc)
        return batch.new_conflicts

    def _admit(self, row: Any) -> bool:
        """True when ``row`` is well formed and every value fits this device's columns;
        otherwise it is quarantined (and the sync goes on)."""
        problem = _row_problem(row, self.columns)
        if problem is None:
            return True
        self._quarantine(row, problem)
        return False

    def _quarantine(self, row: Any, reason: str) -> None:
        table = row.get("t") if isinstance(row, dict) else None
        row_id = row.get("id") if isinstance(row, dict) else None
        payload = json.dumps(row, ensure_ascii=False, default=str)[: 64 * 1024]
        log.warning("sync: set aside a pulled record (%s %s): %s", table, row_id, reason)
        self.store.execute(
            "INSERT INTO sync_quarantine (direction, table_name, row_id, field, space, payload, "
            "reason, received_at) VALUES ('pull', ?, ?, '', ?, ?, ?, ?) "
            "ON CONFLICT (direction, table_name, row_id, field) DO UPDATE SET "
            "payload = excluded.payload, reason = excluded.reason, received_at = excluded.received_at",
            (
                str(table)[:100],
                str(row_id)[:100],
                str(row.get("s", "") if isinstance(row, dict) else "")[:120],
                payload.encode("utf-8", "replace").decode("utf-8"),
                reason.encode("utf-8", "replace").decode("utf-8")[:500],
                now_iso(),
            ),
        )
        self.quarantined += 1

    def _existing_ids(self, rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        """{table: {row id: updated_at}} of the pulled rows that exist locally."""
        ids_by_table: dict[str, list[str]] = {}
        for row in rows:
            ids_by_table.setdefault(row["t"], []).append(row["id"])
        existing: dict[str, dict[str, str]] = {}
        for table, ids in ids_by_table.items():
            found: dict[str, str] = {}
            if table in self.tables:
                for i in range(0, len(ids), 500):
                    chunk = ids[i : i + 500]
                    found.update(
                        self.store.execute(
                            f"SELECT id, updated_at FROM [{table}] WHERE id IN "
                            f"({','.join('?' * len(chunk))})",
                            chunk,
                        ).fetchall()
                    )
            existing[table] = found
        return existing

    def _plan_row(
        self, row: dict[str, Any], pending: set, batch: _ApplyBatch
    ) -> tuple[str, str, dict[str, Any], str] | None:
        """Sort a row's fields: known columns to apply, unknown ones kept verbatim in
        sync_extra, fields with unsent local edits left alone. None: nothing to apply."""
        table, row_id, space = row["t"], row["id"], row["s"]
        columns = self.tables.get(table)
        known: dict[str, Any] = {}
        top = ""
        for name, (value, hlc) in row["f"].items():
            batch.max_hlc = max(batch.max_hlc, hlc)
            if name in _BOOKKEEPING or (table, row_id, name) in pending:
                continue
            batch.base_rows.append((table, row_id, name, hlc, space))
            if columns is not None and name in columns:
                known[name] = value
                batch.version_rows.append((table, row_id, name, hlc))
                top = max(top, hlc)
            else:
                batch.extra_rows.append(
                    (table, row_id, name, json.dumps(value, ensure_ascii=False), hlc)
                )
        return (table, row_id, known, top) if known else None

    def _queue_insert(
        self, batch: _ApplyBatch, row: dict[str, Any], known: dict[str, Any], top: str
    ) -> None:
        table = row["t"]
        full = {
            "id": row["id"],
            "created_at": row.get("c") if isinstance(row.get("c"), str) and row.get("c") else top,
            "updated_at": top,
            "updated_by": p.hlc_node(top),
            **known,
        }
        if table == p.CONFLICTS_TABLE and not known.get("resolved") and not known.get("deleted"):
            batch.new_conflicts += 1
        batch.inserts.setdefault((table, tuple(full)), []).append(tuple(full.values()))

    def _update_row(
        self, table: str, row_id: str, known: dict, top: str, current: str | None, row: dict
    ) -> bool:
        updated_at = max(current or "", top)
        try:
            self.store.execute(
                f"UPDATE [{table}] SET {', '.join(f'[{k}] = ?' for k in known)}, updated_at = ?, "
                "updated_by = ? WHERE id = ?",
                (*known.values(), updated_at, p.hlc_node(updated_at), row_id),
            )
        except DATABASE_ERRORS as exc:  # a constraint this version enforces: set aside
            self._quarantine(row, f"本机无法保存：{exc}")
            return False
        return True

    def _flush(self, batch: _ApplyBatch) -> None:
        conn = self.store
        for (table, names), values in batch.inserts.items():
            sql = (
                f"INSERT INTO [{table}] ({', '.join(f'[{k}]' for k in names)}) "
                f"VALUES ({', '.join('?' for _ in names)})"
            )
            try:
                conn.executemany(sql, values)
            except DATABASE_ERRORS:
                # A row this version cannot store (e.g. a constraint it does not know):
                # insert one by one and keep what fails verbatim, never lose or block.
                for value in values:
                    try:
                        conn.execute(sql, value)
                    except DATABASE_ERRORS:
                        rid = value[0]
                        for name, v in zip(names, value, strict=False):
                            if name not in _BOOKKEEPING:
                                batch.extra_rows.append(
                                    (table, rid, name, json.dumps(v, ensure_ascii=False), value[2])
                                )
                        batch.touched.remove((table, rid))
        conn.executemany(
            "INSERT INTO field_versions (table_name, row_id, field, hlc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (table_name, row_id, field) DO UPDATE SET hlc = excluded.hlc",
            batch.version_rows,
        )
        conn.executemany(
            "INSERT INTO sync_extra (table_name, row_id, field, value, hlc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET value = excluded.value, hlc = excluded.hlc",
            batch.extra_rows,
        )
        conn.executemany(
            "INSERT INTO sync_base (table_name, row_id, field, hlc, space) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (table_name, row_id, field) DO UPDATE SET hlc = excluded.hlc, space = excluded.space",
            batch.base_rows,
        )

    def _finish_resnapshot(self, spaces: set[str]) -> None:
        """Rows the server no longer has in a re-snapshotted space were purged there as old
        tombstones: tombstone them here too (unless they carry unsent edits)."""
        store = self.store
        with store.transaction():
            for space in spaces:
                gone = store.query(
                    "SELECT DISTINCT table_name, row_id FROM sync_base WHERE space = ?",
                    (f"resnap:{space}",),
                )
                for g in gone:
                    table, row_id = g["table_name"], g["row_id"]
                    if store.scalar(
                        "SELECT 1 FROM outbox WHERE table_name = ? AND row_id = ?", (table, row_id)
                    ):
                        continue
                    if table in self.tables:
                        store.execute(f"UPDATE [{table}] SET deleted = 1 WHERE id = ?", (row_id,))
                        store.run_change_hooks(table, row_id)
                store.execute("DELETE FROM sync_base WHERE space = ?", (f"resnap:{space}",))
            self._set("sync.resnap", [])

    def _repoint(self, merges: list[tuple[str, str, str]]) -> None:
        """Company/person merges from other devices: re-point references to the final
        survivor (following merge chains). Opposite concurrent merges (X→Y and Y→X) form
        a cycle: every device revives the same member (smallest id), so all converge."""
        from zsapp.contacts.merge import repoint_references as repoint

        store = self.store
        for table, old_id, target in merges:
            with store.transaction():
                chain = [old_id]
                current = target
                while current and current not in chain:
                    chain.append(current)
                    row = store.get(table, current, include_deleted=True)
                    if row is None or not row.get("deleted") or not row.get(p.MERGE_FIELD):
                        break
                    current = row[p.MERGE_FIELD]
                if current in chain and current != chain[-1]:
                    cycle = chain[chain.index(current) :]
                    survivor = min(cycle)
                    store.update(table, survivor, {"deleted": 0, p.MERGE_FIELD: None})
                    final = survivor
                else:
                    final = chain[-1]
                if final != old_id and store.get(table, final) is not None:
                    repoint(store, table, old_id, final)

    def _apply_pending_extras(self) -> None:
        """Fields kept from a newer schema whose columns now exist locally (after an upgrade)."""
        extras = self.store.query("SELECT DISTINCT table_name FROM sync_extra")
        for row in extras:
            table = row["table_name"]
            columns = self.tables.get(table)
            if not columns:
                continue
            items = self.store.query(
                "SELECT row_id, field, value, hlc FROM sync_extra WHERE table_name = ?", (table,)
            )
            by_row: dict[str, dict[str, list]] = {}
            for it in items:
                if it["field"] in columns:
                    by_row.setdefault(it["row_id"], {})[it["field"]] = [
                        json.loads(it["value"]),
                        it["hlc"],
                    ]
            if not by_row:
                continue
            with self.store.transaction():
                for row_id, fields in by_row.items():
                    space = (
                        self.store.scalar(
                            "SELECT space FROM sync_base WHERE table_name = ? AND row_id = ? LIMIT 1",
                            (table, row_id),
                        )
                        or p.PROVINCE_SPACE
                    )
                    self.store.execute(
                        "DELETE FROM sync_extra WHERE table_name = ? AND row_id = ? AND field IN ({})".format(
                            ",".join("?" * len(fields))
                        ),
                        (table, row_id, *fields),
                    )
                    self.apply_rows(
                        [{"t": table, "id": row_id, "s": space, "f": fields}], set(), []
                    )

    # -- published snapshots -------------------------------------------------------------
    def update_published(self, hello: dict[str, Any]) -> list[str]:
        local = self.store.get_setting(PUBLISHED_KEY, {}) or {}
        updated = []
        for kind, info in (hello.get("published") or {}).items():
            if local.get(kind, {}).get("sha256") == info["sha256"]:
                continue
            doc = self.call("GET", f"/v1/published/{kind}")
            text = json.dumps(doc["document"], ensure_ascii=False, sort_keys=True)
            if hashlib.sha256(text.encode()).hexdigest() != doc["sha256"]:
                raise ServerError(f"服务器发布的“{kind}”校验失败，未应用")
            with self.store.transaction():
                if kind == "catalogue":
                    from zsapp import catalogue

                    catalogue.install(self.store, doc["document"], doc["sha256"])
                else:
                    self._set(f"office.{kind}", doc["document"])
                local[kind] = {"version": doc["version"], "sha256": doc["sha256"]}
                self._set(PUBLISHED_KEY, local)
            updated.append(kind)
        return updated

    # -- attachments -------------------------------------------------------------------------
    def upload_blobs(self, chunk_size: int = 1 << 20) -> int:
        if "attachments" not in self.tables or "sha256" not in self.tables["attachments"]:
            return 0
        hashes = [
            r["sha256"]
            for r in self.store.query(
                "SELECT DISTINCT a.sha256 FROM attachments a JOIN outbox o ON o.table_name = 'attachments' "
                "AND o.row_id = a.id WHERE a.sha256 != ''"
            )
        ]
        hashes = [h for h in hashes if rules.is_sha256(h) and blob_path(h).exists()]
        if not hashes:
            return 0
        missing = self.call("POST", "/v1/blobs/missing", {"hashes": hashes})["missing"]
        for item in missing:
            offset = int(item["offset"])
            with blobs.open_blob(self.store, item["sha256"]) as fh:
                size: int = fh.size  # type: ignore[attr-defined]  # open_blob sets .size
                while True:
                    fh.seek(offset)
                    chunk = fh.read(chunk_size)
                    answer = self.call(
                        "PUT",
                        f"/v1/blobs/{item['sha256']}",
                        raw=chunk,
                        params={"offset": offset, "total": size},
                    )
                    if answer.get("complete"):
                        break
                    offset = int(answer["size"])
        return len(missing)

    def download_blobs(self) -> int:
        if "attachments" not in self.tables or "sha256" not in self.tables["attachments"]:
            return 0
        count = 0
        for r in self.store.query(
            "SELECT DISTINCT sha256 FROM attachments WHERE deleted = 0 AND sha256 != ''"
        ):
            sha = r["sha256"]
            if not rules.is_sha256(sha):
                continue  # a malformed hash names no file (and builds no path)
            path = blob_path(sha)
            if path.exists():
                continue
            perms.private_dir(path.parent)
            part = path.with_suffix(".part")  # plaintext while incomplete, 0600
            offset = part.stat().st_size if part.exists() else 0
            try:
                response = _request(
                    self.http,
                    "GET",
                    f"/v1/blobs/{sha}",
                    token=self.config["token"],
                    raw=b"",
                    headers={"Range": f"bytes={offset}-"} if offset else None,
                )
            except SyncError:
                continue  # not uploaded yet: next sync
            with open(part, "ab" if response.status_code == 206 else "wb") as fh:
                fh.write(response.content)
            digest = hashlib.sha256(part.read_bytes()).hexdigest()
            if digest == sha:
                blobs.store_blob(self.store, sha, part)
                part.unlink()
                count += 1
            else:
                part.unlink()
        return count

    # -- drift check ---------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Compare per-space counts and checksums with the server; re-snapshot spaces that
        drifted. Only meaningful with an empty outbox right after a sync."""
        if self.store.pending_changes():
            return []
        hello = self.call("POST", "/v1/hello", {"now_ms": wall_clock_ms()})
        cursors = self.store.get_setting(CURSORS_KEY, {}) or {}
        drifted = []
        for space, head in hello["spaces"].items():
            if int(cursors.get(space, 0)) != int(head["seq"]):
                continue
            rows = self.store.query(
                "SELECT table_name, row_id, field, hlc FROM sync_base WHERE space = ?", (space,)
            )
            checksum = (
                sum(p.field_hash(r["table_name"], r["row_id"], r["field"], r["hlc"]) for r in rows)
                % p.CHECKSUM_MOD
            )
            if len(rows) != int(head["count"]) or checksum != int(head["checksum"]):
                drifted.append(space)
        if drifted:
            with self.store.transaction():
                for space in drifted:
                    self.store.execute(
                        "UPDATE sync_base SET space = 'resnap:' || space WHERE space = ?", (space,)
                    )
                    cursors[space] = 0
                self._set(CURSORS_KEY, cursors)
                self._set(
                    "sync.resnap",
                    sorted(set(self.store.get_setting("sync.resnap", []) or []) | set(drifted)),
                )
        return drifted


def sync_now(
    store: Store,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    http: httpx.Client | None = None,
    verify: bool = False,
) -> SyncResult:
    with SyncClient(store, transport=transport, http=http) as client:
        result = client.sync(progress)
        if verify:
            drifted = client.verify()
            if drifted:
                client.pull(result)
                result.resnapshot.extend(drifted)
        return result


def status(store: Store) -> dict[str, Any]:
    config = get_config(store) or {}
    last_ok = store.query_one("SELECT * FROM sync_log WHERE ok = 1 ORDER BY id DESC LIMIT 1")
    last = store.query_one(
        "SELECT * FROM sync_log WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
    )
    # Records with unsent edits (the outbox holds one patch per field).
    pending = store.scalar("SELECT count(*) FROM (SELECT DISTINCT table_name, row_id FROM outbox)")
    if not config:
        state = "not_enrolled"
    elif last and not last["ok"]:
        state = "offline" if last["error"].startswith("[offline]") else "error"
    elif pending:
        state = "pending"
    elif last_ok:
        state = "synced"
    else:
        state = "never"
    open_conflicts = store.scalar(
        f"SELECT count(*) FROM {p.CONFLICTS_TABLE} WHERE resolved = 0 AND deleted = 0"
    )
    return {
        "enrolled": bool(config),
        "server": config.get("server"),
        "officer": config.get("officer"),
        "unit": config.get("unit"),
        "role": config.get("role"),
        "device_id": store.device_id,
        "last_sync": last_ok["finished_at"] if last_ok else None,
        "last_result": (
            {
                "pushed": last_ok["pushed"],
                "pulled": last_ok["pulled"],
                "conflicts": last_ok["conflicts"],
            }
            if last_ok
            else None
        ),
        "last_error": (last["error"].split("] ", 1)[-1] if last and not last["ok"] else ""),
        "pending": pending,
        "open_conflicts": open_conflicts,
        "clock_skew_ms": store.get_setting("sync.clock_skew_ms", 0),
        "quarantined": store.scalar("SELECT count(*) FROM sync_quarantine"),
        "state": state,
    }


def sync_log(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM sync_log ORDER BY id DESC LIMIT ?", (limit,))


def quarantined(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    """Records pulled from the server that could not be stored here (set aside)."""
    return store.query(
        "SELECT direction, table_name, row_id, field, space, reason, received_at, payload "
        "FROM sync_quarantine "
        "ORDER BY received_at DESC LIMIT ?",
        (limit,),
    )
