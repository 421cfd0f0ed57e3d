"""HTTP front of the office server (Starlette). JSON bodies, gzip both ways.

Order of work for every request, cheapest refusal first: protocol version → rate limit
for the client address → authentication (header only) → body read as a stream and
gunzipped within caps (413) → JSON → schema (422) → the use case. Every refused request
(400/401/403/413/422/429) is written to the audit log; no input answers 500.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from zsapp import __version__
from zsapp.office import security as office_security
from zsapp.office import validate as v
from zsapp.office.blobs import BlobConflict
from zsapp.office.limits import MAX_BLOB_CHUNK, RateLimiter, read_body
from zsapp.office.service import AuthError, Office, OfficeError
from zsapp.sync import protocol as p

log = logging.getLogger("zsapp.office")

# Per client address: enrollment attempts, and failed authentications.
ENROLL_RATE = (10, 60.0)  # 10 a minute (bursts of 10)
AUTH_FAILURE_RATE = (30, 60.0)
AUDITED = {400, 401, 403, 413, 422, 429}
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$", re.ASCII)


class RateLimited(OfficeError):
    status = 429

    def __init__(self, seconds: float) -> None:
        super().__init__(f"尝试过于频繁，请 {max(1, round(seconds))} 秒后再试")
        self.retry_after = max(1, round(seconds))


def _headers() -> dict[str, str]:
    return {p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION), p.HEADER_APP: __version__}


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        p.dumps(data),
        status_code=status,
        media_type="application/json",
        headers={"Content-Encoding": "gzip", **_headers()},
    )


def _error(status: int, message: str, code: str = "error", extra: dict | None = None) -> Response:
    headers = _headers()
    if status == 429 and extra and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(
        {"error": code, "message": message, **(extra or {})}, status_code=status, headers=headers
    )


def create_app(
    office: Office,
    enroll_limiter: RateLimiter | None = None,
    auth_limiter: RateLimiter | None = None,
) -> Starlette:
    enroll_limiter = enroll_limiter or RateLimiter(*ENROLL_RATE)
    auth_limiter = auth_limiter or RateLimiter(*AUTH_FAILURE_RATE)
    # At most one audit entry a minute per address for rate-limited requests (a flood
    # must not turn into a flood of log entries).
    audit_429 = RateLimiter(1, 60.0)

    def check_protocol(request: Request) -> Response | None:
        raw = request.headers.get(p.HEADER_PROTOCOL)
        try:
            version = int(raw) if raw is not None and raw.isascii() else 0
        except ValueError:
            version = 0
        if version < p.MIN_CLIENT_PROTOCOL:
            return _error(
                426,
                f"招商助手版本过旧，无法与服务器同步，请升级到 {p.MIN_CLIENT_APP_VERSION} 或更新版本",
                "upgrade_client",
            )
        return None

    def device_of(request: Request) -> dict[str, Any]:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else None
        if token is not None and (len(token) > 200 or not token.isascii()):
            token = "\x00invalid"
        return office.authenticate(token)

    async def json_body(request: Request) -> Any:
        gzipped = "gzip" in request.headers.get("content-encoding", "").lower()
        raw = await read_body(request.stream(), gzipped, request.headers.get("content-length"))
        if not raw:
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise OfficeError("请求内容无法解析（应为 UTF-8 编码的 JSON）") from None
        v.check_text(data)
        return data

    def audit_refusal(request: Request, device: dict | None, client: str, status: int, msg: str):
        if status not in AUDITED:
            return
        if status == 429:
            if audit_429.blocked_for(client):
                return
            audit_429.hit(client)
        try:
            if device and status == 403:  # also in the sync log admins read
                office.add_log(device["id"], "refused", error=msg)
            office.audit(
                actor=f"device:{device['id']}" if device else f"client:{client}",
                action=f"request {request.method} {request.url.path}"[:80],
                target=f"client:{client}",
                result=f"refused:{status}",
                detail={"message": msg[:300]},
            )
        except Exception:  # the refusal itself must still be answered
            log.exception("audit entry for a refused request failed")

    def endpoint(handler, model: type | None = None, authenticated: bool = True, limiter=None):
        async def run(request: Request) -> Response:
            bad = check_protocol(request)
            if bad is not None:
                return bad
            client = request.client.host if request.client else "unknown"
            device = None
            try:
                if limiter is not None:
                    wait = limiter.blocked_for(client)
                    if wait:
                        raise RateLimited(wait)
                    limiter.hit(client)
                if authenticated:
                    wait = auth_limiter.blocked_for(client)
                    if wait:
                        raise RateLimited(wait)
                    try:
                        device = await run_in_threadpool(device_of, request)
                    except AuthError:
                        auth_limiter.hit(client)
                        raise
                data = None
                if model is not None:
                    data = v.parse(model, await json_body(request))
                return await handler(request, device, data, client)
            except OfficeError as exc:
                status = getattr(exc, "status", 400)
                extra = {"retry_after": exc.retry_after} if isinstance(exc, RateLimited) else None
                if isinstance(exc, v.ValidationFailed) and exc.seq is not None:
                    extra = {"seq": exc.seq}
                if isinstance(exc, BlobConflict):
                    return _json({"complete": False, "size": exc.size}, status=409)
                await run_in_threadpool(audit_refusal, request, device, client, status, str(exc))
                return _error(status, str(exc), type(exc).__name__, extra)
            except ClientDisconnect:
                return _error(400, "连接中断，请求未完成", "disconnect")
            except sa.exc.OperationalError:
                log.warning("database busy or unavailable", exc_info=True)
                return _error(503, "服务器繁忙，请稍后自动重试（本机数据不受影响）", "busy")
            except Exception:
                log.exception("unexpected error in %s %s", request.method, request.url.path)
                return _error(500, "服务器内部错误，已记录，请联系管理员", "internal")

        return run

    async def enroll(request, device, data: v.EnrollRequest, client):
        result = await run_in_threadpool(
            office.enroll,
            data.code,
            data.device_id,
            data.device_name,
            data.next_seq,
            data.app_version,
            client,
        )
        return _json(result)

    async def hello(request, device, data, client):
        answer = await run_in_threadpool(office.hello, device)
        # issue 14: token rotation, erasure requests and feed
        extra = await run_in_threadpool(office_security.on_hello, office, device, data)
        return _json(answer | extra)

    async def push(request, device, data: v.PushRequest, client):
        return _json(await run_in_threadpool(office.push, device, data))

    async def pull(request, device, data: v.PullRequest, client):
        text = await run_in_threadpool(
            office.pull_json, device, dict(data.cursors), data.limit or p.PULL_PAGE_ROWS
        )
        body = await run_in_threadpool(gzip.compress, text.encode("utf-8"), 1)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Encoding": "gzip", **_headers()},
        )

    async def done(request, device, data: v.DoneRequest, client):
        await run_in_threadpool(
            office.add_log,
            device["id"],
            "sync",
            data.pushed,
            data.pulled,
            data.conflicts,
            data.error,
        )
        return _json({"ok": True})

    async def published(request, device, data, client):
        kind = request.path_params["kind"]
        if not _KIND_RE.match(kind):
            raise v.ValidationFailed("发布内容名称不正确")
        return _json(await run_in_threadpool(office.published_document, kind))

    async def blobs_missing(request, device, data: v.BlobsMissingRequest, client):
        missing = await run_in_threadpool(office.blobs_missing, device, list(data.hashes))
        return _json({"missing": missing})

    def _int_param(request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
            raise v.ValidationFailed(f"参数 {name} 应为非负整数")
        return int(raw)

    async def put_blob(request, device, data, client):
        sha = request.path_params["sha"]
        office.blob_path(sha)  # validates the hash before anything else
        offset = _int_param(request, "offset", 0)
        total = _int_param(request, "total", -1)
        if total < 0:
            raise v.ValidationFailed("缺少参数 total（附件总大小）")
        chunk = await read_body(
            request.stream(),
            False,
            request.headers.get("content-length"),
            max_compressed=MAX_BLOB_CHUNK,
            max_body=MAX_BLOB_CHUNK,
        )
        result = await run_in_threadpool(office.blob_upload, device, sha, offset, total, chunk)
        return _json(result)

    async def get_blob(request, device, data, client):
        path = await run_in_threadpool(office.blob_for_download, device, request.path_params["sha"])
        return FileResponse(path, media_type="application/octet-stream")

    async def root(request):
        return JSONResponse(
            {"service": "zsapp-office", "protocol": p.PROTOCOL_VERSION, "version": __version__}
        )

    routes = [
        Route("/", root),
        Route(
            "/v1/enroll",
            endpoint(enroll, v.EnrollRequest, authenticated=False, limiter=enroll_limiter),
            methods=["POST"],
        ),
        Route("/v1/hello", endpoint(hello, v.HelloRequest), methods=["POST"]),
        Route("/v1/push", endpoint(push, v.PushRequest), methods=["POST"]),
        Route("/v1/pull", endpoint(pull, v.PullRequest), methods=["POST"]),
        Route("/v1/done", endpoint(done, v.DoneRequest), methods=["POST"]),
        Route("/v1/published/{kind}", endpoint(published), methods=["GET"]),
        Route(
            "/v1/blobs/missing", endpoint(blobs_missing, v.BlobsMissingRequest), methods=["POST"]
        ),
        Route("/v1/blobs/{sha}", endpoint(put_blob), methods=["PUT"]),
        Route("/v1/blobs/{sha}", endpoint(get_blob), methods=["GET"]),
    ]
    from zsapp.office.console.views import routes as console_routes

    routes += console_routes(office)  # the staff web console under /console (issue 15)
    return Starlette(routes=routes)
