"""A throwaway PostgreSQL cluster for tests and benchmarks (initdb/pg_ctl in a temp dir).

``PgCluster.start()`` returns a running cluster or raises ``PgUnavailable`` with the
reason (no server binaries, initdb failed…); tests skip with that reason printed.
As root the cluster runs as the ``postgres`` system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PgUnavailable(RuntimeError):
    pass


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.tmp: Path | None = None
        self.port = _free_port()
        self.user = None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> PgCluster:
        if self.bindir is None:
            raise PgUnavailable(
                "PostgreSQL server programs (initdb/pg_ctl) not found; install the 'postgresql' package"
            )
        self.tmp = Path(tempfile.mkdtemp(prefix="zsapp-pg-"))
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable(
                    "running as root but there is no 'postgres' system user"
                ) from None
            if not shutil.which("runuser"):
                raise PgUnavailable("running as root but 'runuser' is missing")
            self.user = "postgres"
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            os.chmod(self.tmp, 0o700)
        data = self.tmp / "data"
        try:
            self._run(
                "initdb",
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
            )
        except subprocess.CalledProcessError as exc:
            raise PgUnavailable(f"initdb failed: {exc.stderr.strip()[:300]}") from exc
        opts = (
            f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        try:
            self._run(
                "pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.tmp / "log"), "-w", "start"
            )
        except subprocess.CalledProcessError as exc:
            raise PgUnavailable(f"pg_ctl start failed: {exc.stderr.strip()[:300]}") from exc
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.tmp is None:
            return
        self._run(
            "pg_ctl", "-D", str(self.tmp / "data"), "-m", "immediate", "-w", "stop", check=False
        )
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None


_counter = 0


def unique_db_name() -> str:
    global _counter
    _counter += 1
    return f"zs_{os.getpid()}_{_counter}_{int(time.time() * 1000) % 100000}"
