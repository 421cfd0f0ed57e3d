"""Run the office server on uvicorn (foreground for `zsapp office serve`, or in a thread)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from zsapp.office.app import create_app
from zsapp.office.service import Office


def _config(
    office: Office,
    host: str,
    port: int,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    log_level: str = "warning",
) -> uvicorn.Config:
    kwargs: dict[str, Any] = {}
    if tls_cert and tls_key:
        kwargs = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
    # access_log off: request lines carry no secrets, but keep logs quiet and small.
    return uvicorn.Config(
        create_app(office),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        **kwargs,
    )


def serve(
    office: Office,
    host: str = "127.0.0.1",
    port: int = 8765,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    workers: int = 1,
) -> None:
    if workers <= 1:
        uvicorn.Server(_config(office, host, port, tls_cert, tls_key, log_level="info")).run()
        return
    # Several worker processes (the server is stateless; the database coordinates them).
    os.environ["ZSAPP_OFFICE_DB"] = office.url
    os.environ["ZSAPP_OFFICE_BLOBS"] = str(office.blob_dir)
    office.close()
    kwargs: dict[str, Any] = (
        {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls_cert and tls_key else {}
    )
    uvicorn.run(
        "zsapp.office.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        lifespan="off",
        **kwargs,
    )


def app_from_env():
    """ASGI app factory for worker processes (``serve --workers N``)."""
    office = Office(os.environ["ZSAPP_OFFICE_DB"], blob_dir=Path(os.environ["ZSAPP_OFFICE_BLOBS"]))
    return create_app(office)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ServerThread:
    """A real uvicorn server on loopback in a background thread (tests, benchmarks)."""

    def __init__(
        self,
        office: Office,
        host: str = "127.0.0.1",
        port: int | None = None,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
    ) -> None:
        self.office = office
        self.host, self.port = host, port or free_port(host)
        self.server = uvicorn.Server(_config(office, self.host, self.port, tls_cert, tls_key))
        self.server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]  # older uvicorn only
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.scheme = "https" if tls_cert else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("office server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
