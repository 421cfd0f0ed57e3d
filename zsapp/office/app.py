"""HTTP front of the office server (Starlette). JSON bodies, gzip both ways."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from zsapp import __version__
from zsapp.office import security as office_security
from zsapp.office.service import AuthError, ForbiddenError, NotFoundError, Office, OfficeError
from zsapp.sync import protocol as p

log = logging.getLogger("zsapp.office")


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        p.dumps(data),
        status_code=status,
        media_type="application/json",
        headers={
            "Content-Encoding": "gzip",
            p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION),
            p.HEADER_APP: __version__,
        },
    )


def _error(status: int, message: str, code: str = "error") -> Response:
    return JSONResponse(
        {"error": code, "message": message},
        status_code=status,
        headers={p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION), p.HEADER_APP: __version__},
    )


def create_app(office: Office) -> Starlette:
    def check_protocol(request: Request) -> Response | None:
        raw = request.headers.get(p.HEADER_PROTOCOL)
        try:
            version = int(raw) if raw is not None else 0
        except ValueError:
            version = 0
        if version < p.MIN_CLIENT_PROTOCOL:
            return _error(
                426,
                f"招商助手版本过旧，无法与服务器同步，请升级到 {p.MIN_CLIENT_APP_VERSION} 或更新版本",
                "upgrade_client",
            )
        return None

    async def body(request: Request) -> Any:
        raw = await request.body()
        try:
            return p.loads(raw, request.headers.get("content-encoding"))
        except Exception:
            raise OfficeError("请求内容无法解析") from None

    def device_of(request: Request) -> dict[str, Any]:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else None
        return office.authenticate(token)

    def endpoint(handler, authenticated: bool = True):
        async def run(request: Request) -> Response:

            bad = check_protocol(request)
            if bad is not None:
                return bad
            device = None
            try:
                data = (
                    await body(request)
                    if request.method in ("POST", "PUT") and handler.__name__ != "put_blob"
                    else None
                )
                if authenticated:
                    device = await run_in_threadpool(device_of, request)
                return await handler(request, device, data)
            except AuthError as exc:
                return _error(401, str(exc), "auth")
            except ForbiddenError as exc:
                if device:
                    await run_in_threadpool(office.add_log, device["id"], "refused", error=str(exc))
                return _error(403, str(exc), "forbidden")
            except NotFoundError as exc:
                return _error(404, str(exc), "not_found")
            except OfficeError as exc:
                return _error(getattr(exc, "status", 400), str(exc), type(exc).__name__)

        return run

    async def enroll(request, device, data):
        result = await run_in_threadpool(
            office.enroll,
            str(data.get("code", "")),
            str(data.get("device_id", "")),
            str(data.get("device_name", "")),
            int(data.get("next_seq", 1) or 1),
            str(data.get("app_version", "")),
        )
        return _json(result)

    async def hello(request, device, data):
        answer = await run_in_threadpool(office.hello, device)
        extra = await run_in_threadpool(office_security.on_hello, office, device, data or {})
        return _json(answer | extra)

    async def push(request, device, data):
        return _json(await run_in_threadpool(office.push, device, data or {}))

    async def pull(request, device, data):
        data = data or {}
        text = await run_in_threadpool(
            office.pull_json,
            device,
            data.get("cursors") or {},
            int(data.get("limit") or p.PULL_PAGE_ROWS),
        )
        body = await run_in_threadpool(gzip.compress, text.encode("utf-8"), 1)
        return Response(
            body,
            media_type="application/json",
            headers={
                "Content-Encoding": "gzip",
                p.HEADER_PROTOCOL: str(p.PROTOCOL_VERSION),
                p.HEADER_APP: __version__,
            },
        )

    async def done(request, device, data):
        data = data or {}
        await run_in_threadpool(
            office.add_log,
            device["id"],
            "sync",
            int(data.get("pushed", 0)),
            int(data.get("pulled", 0)),
            int(data.get("conflicts", 0)),
            str(data.get("error", "")),
        )
        return _json({"ok": True})

    async def published(request, device, data):
        return _json(
            await run_in_threadpool(office.published_document, request.path_params["kind"])
        )

    async def blobs_missing(request, device, data):
        wanted = [h for h in (data or {}).get("hashes", []) if isinstance(h, str)]
        missing = []
        for sha in wanted:
            path = office.blob_path(sha)
            if not path.exists():
                part = path.with_suffix(".part")
                missing.append(
                    {"sha256": sha, "offset": part.stat().st_size if part.exists() else 0}
                )
        return _json({"missing": missing})

    async def put_blob(request, device, data):
        sha = request.path_params["sha"]
        path = office.blob_path(sha)
        offset = int(request.query_params.get("offset", "0"))
        total = int(request.query_params.get("total", "-1"))
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        if path.exists():
            return _json({"complete": True, "size": path.stat().st_size})
        have = part.stat().st_size if part.exists() else 0
        if offset != have:
            return _json({"complete": False, "size": have}, status=409)
        chunk = await request.body()
        # File I/O and hashing block: run them on the thread pool, not the event loop.
        size = await run_in_threadpool(_append_blob_chunk, part, path, chunk, sha, total)
        if path.exists():
            return _json({"complete": True, "size": size})
        return _json({"complete": False, "size": size})

    async def get_blob(request, device, data):
        sha = request.path_params["sha"]
        path = office.blob_path(sha)
        if not path.exists():
            raise NotFoundError("服务器上没有这个附件")
        if not await run_in_threadpool(office.blob_visible, device, sha):
            raise ForbiddenError("无权下载这个附件")
        return FileResponse(path, media_type="application/octet-stream")

    async def root(request):
        return JSONResponse(
            {"service": "zsapp-office", "protocol": p.PROTOCOL_VERSION, "version": __version__}
        )

    routes = [
        Route("/", root),
        Route("/v1/enroll", endpoint(enroll, authenticated=False), methods=["POST"]),
        Route("/v1/hello", endpoint(hello), methods=["POST"]),
        Route("/v1/push", endpoint(push), methods=["POST"]),
        Route("/v1/pull", endpoint(pull), methods=["POST"]),
        Route("/v1/done", endpoint(done), methods=["POST"]),
        Route("/v1/published/{kind}", endpoint(published), methods=["GET"]),
        Route("/v1/blobs/missing", endpoint(blobs_missing), methods=["POST"]),
        Route("/v1/blobs/{sha}", endpoint(put_blob), methods=["PUT"]),
        Route("/v1/blobs/{sha}", endpoint(get_blob), methods=["GET"]),
    ]
    return Starlette(routes=routes)


def _append_blob_chunk(part: Path, path: Path, chunk: bytes, sha: str, total: int) -> int:
    """Append one uploaded chunk; once the declared total is reached, verify and publish."""
    with open(part, "ab") as fh:
        fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    size = part.stat().st_size
    if total >= 0 and size >= total:
        digest = hashlib.sha256()
        with open(part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha:
            part.unlink()
            raise OfficeError("文件内容与哈希不符，已丢弃，请重新上传")
        part.replace(path)
    return size
