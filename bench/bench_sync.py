"""Sync benchmarks (medians printed). Run: .venv/bin/python bench/bench_sync.py

1. initial sync of 10k records to a new device (SQLite office server on loopback)
2. a no-op sync (nothing to push or pull)
3. 50 devices x 200 changes concurrently against one office server on PostgreSQL
   (throwaway cluster via tests/pg.py; skipped with a reason if PostgreSQL is absent)
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("ZSAPP_DATA_DIR", tempfile.mkdtemp(prefix="zsapp-syncbench-data-"))

from zsapp.bootstrap import open_store  # noqa: E402
from zsapp.office.server import ServerThread  # noqa: E402
from zsapp.office.service import Office  # noqa: E402
from zsapp.security.dbcrypt import connect_with_envelope  # noqa: E402
from zsapp.security.keys import envelope_path  # noqa: E402
from zsapp.sync import client  # noqa: E402

PROBE = """CREATE TABLE IF NOT EXISTS probe_notes (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '', amount_wan INTEGER NOT NULL DEFAULT 0)"""


class Templates:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.sqlite3"
        store = open_store(self.template)
        store.execute(PROBE)
        store.close()
        self.n = 0

    def device(self):
        self.n += 1
        path = self.root / f"dev{self.n}.sqlite3"
        shutil.copy(self.template, path)
        shutil.copy(envelope_path(self.template), envelope_path(path))
        conn = connect_with_envelope(path)
        conn.execute("UPDATE devices SET id = ? WHERE is_self = 1", (uuid.uuid4().hex,))
        conn.commit()
        conn.close()
        return open_store(path)


def enroll(store, office, url, officer):
    client.enroll(store, url, office.create_enrollment(officer)["code"])


def bench_initial_and_noop(
    root: Path, table: str, n: int = 10_000, runs: int = 3
) -> tuple[float, float, int]:
    office = Office(root / f"office-{table}.sqlite3", blob_dir=root / "blobs")
    office.init()
    office.add_officer("甲", "昆明市")
    office.add_officer("乙", "昆明市")
    (root / table).mkdir()
    tpl = Templates(root / table)
    with ServerThread(office) as server:
        source = tpl.device()
        enroll(source, office, server.url, "甲")
        with source.transaction():
            for i in range(n):
                if table == "companies":
                    source.insert(
                        "companies",
                        {
                            "name": f"测试企业{i:05d}有限公司",
                            "origin_province": "广东省",
                            "ownership": "民营",
                            "revenue_wan": i * 10,
                            "notes": "基准测试数据",
                        },
                    )
                else:
                    source.insert(
                        "probe_notes",
                        {"title": f"记录{i}", "body": "基准测试数据", "amount_wan": i},
                    )
        client.sync_now(source)
        fields = source.scalar("SELECT count(*) FROM sync_base")
        initial, noop = [], []
        for _ in range(runs):
            fresh = tpl.device()
            enroll(fresh, office, server.url, "乙")
            t = time.perf_counter()
            result = client.sync_now(fresh)
            initial.append(time.perf_counter() - t)
            assert fresh.scalar(f"SELECT count(*) FROM [{table}]") >= n, "initial sync incomplete"
            assert result.pulled >= fields
            for _ in range(10):
                t = time.perf_counter()
                client.sync_now(fresh)
                noop.append(time.perf_counter() - t)
            fresh.close()
        source.close()
    office.close()
    return statistics.median(initial), statistics.median(noop), fields


class OfficeProcess:
    """`zsapp office serve` in its own process(es), as deployed."""

    def __init__(self, url: str, blobs: Path, workers: int) -> None:
        from zsapp.office.server import free_port

        self.port = free_port()
        self.cmd = [
            sys.executable,
            "-m",
            "zsapp",
            "office",
            "--db",
            url,
            "--blobs",
            str(blobs),
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]

    def __enter__(self) -> str:
        import httpx

        self.proc = subprocess.Popen(
            self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        url = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                httpx.get(url + "/", timeout=0.5)
                return url
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("office server did not start")

    def __exit__(self, *exc) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


def bench_postgres(
    root: Path, devices: int = 50, changes: int = 200, runs: int = 3, workers: int = 2
) -> list[float] | str:
    try:
        from pg import PgCluster, PgUnavailable, unique_db_name
    except ImportError as exc:
        return f"tests/pg.py not importable: {exc}"
    try:
        cluster = PgCluster().start()
    except PgUnavailable as exc:
        return str(exc)
    rates = []
    units = [
        "昆明市",
        "曲靖市",
        "玉溪市",
        "保山市",
        "昭通市",
        "丽江市",
        "普洱市",
        "临沧市",
        "楚雄州",
        "红河州",
        "文山州",
        "西双版纳州",
        "大理州",
        "德宏州",
        "怒江州",
        "迪庆州",
    ]
    try:
        (root / "pg").mkdir(parents=True)
        tpl = Templates(root / "pg")
        for run in range(runs):
            url = cluster.create_database(unique_db_name())
            office = Office(url, blob_dir=root / "pgblobs")
            office.init()
            stores = []
            with OfficeProcess(url, root / "pgblobs", workers) as server_url:
                for i in range(devices):
                    office.add_officer(f"干部{run}-{i}", units[i % len(units)])
                    store = tpl.device()
                    enroll(store, office, server_url, f"干部{run}-{i}")
                    with store.transaction():
                        for r in range(
                            changes // 4
                        ):  # 4 field patches per new record (title, body, amount, deleted)
                            store.insert(
                                "probe_notes",
                                {"title": f"{i}-{r}", "body": "并发", "amount_wan": r},
                            )
                    assert store.pending_changes() == changes
                    stores.append(store)
                errors: list[BaseException] = []
                barrier = threading.Barrier(devices + 1)

                def run_one(store, barrier=barrier, errors=errors):
                    barrier.wait()
                    try:
                        client.sync_now(store)
                    except BaseException as exc:  # reported below
                        errors.append(exc)

                threads = [threading.Thread(target=run_one, args=(s,)) for s in stores]
                for t in threads:
                    t.start()
                barrier.wait()
                t0 = time.perf_counter()
                for t in threads:
                    t.join()
                elapsed = time.perf_counter() - t0
                if errors:
                    raise errors[0]
                total = sum(len(f) for (tbl, _), f in office.dump().items() if tbl == "probe_notes")
                assert total == devices * changes, f"lost changes: {total} != {devices * changes}"
                assert all(s.pending_changes() == 0 for s in stores)
                rates.append(devices * changes / elapsed)
            for s in stores:
                s.close()
            office.close()
    finally:
        cluster.stop()
    return rates


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="zsapp-syncbench-run-"))
    for table in ("probe_notes", "companies"):
        initial, noop, fields = bench_initial_and_noop(root, table)
        label = "companies (with search indexing)" if table == "companies" else "plain records"
        print(
            f"initial sync, 10k {label} ({fields} field versions): median {initial:.2f} s  (target < 2 s)"
        )
        print(f"no-op sync ({label} device): median {noop * 1000:.1f} ms  (target < 50 ms)")
    rates = bench_postgres(root)
    if isinstance(rates, str):
        print(f"PostgreSQL 50 devices x 200 changes: skipped ({rates})")
    else:
        print(
            f"PostgreSQL 50 devices x 200 changes, concurrent push+pull, office server in 2 worker processes: median {statistics.median(rates):.0f} changes/s "
            f"(runs: {', '.join(f'{r:.0f}' for r in rates)}; target >= 5000; zero loss checked)"
        )
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
