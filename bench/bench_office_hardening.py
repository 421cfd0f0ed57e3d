"""Office hardening figures (medians / p95 printed). Run: .venv/bin/python bench/bench_office_hardening.py

1. a 1 MB gzip bomb (≈1 GB of zeros) posted by an enrolled device: answer time, server
   process memory growth, and a real device's hello latency while bombs keep coming
2. the longest a batch can hold the SQLite write lock: one full 5,000-op push
3. a rejected batch (one wrong-typed value among 1,000 ops): time to the 422
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("ZSAPP_DATA_DIR", tempfile.mkdtemp(prefix="zsapp-hardbench-data-"))

import httpx  # noqa: E402
from test_sync_support import Device  # noqa: E402

from zsapp.office.server import ServerThread  # noqa: E402
from zsapp.office.service import Office  # noqa: E402
from zsapp.sync import client  # noqa: E402
from zsapp.sync import protocol as p  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def make_bomb(mb: int) -> bytes:
    """gzip of ``mb`` MB of zeros, built in 1 MB steps (this process stays small)."""
    import zlib

    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\x00" * (1 << 20)
    return b"".join([*(z.compress(zeros) for _ in range(mb)), z.flush()])


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="zsapp-hardbench-"))
    office = Office(tmp / "office.sqlite3")
    office.init()
    office.add_officer("张三", "昆明市")
    office.add_officer("李四", "昆明市")
    with ServerThread(office) as server:
        bad, good = Device(tmp / "bad.sqlite3"), Device(tmp / "good.sqlite3")
        bad.enroll(office, server.url, "张三")
        good.enroll(office, server.url, "李四")
        token = client.get_config(bad.store)["token"]
        headers = {
            p.HEADER_PROTOCOL: "1",
            "Authorization": f"Bearer {token}",
            "Content-Encoding": "gzip",
        }
        bomb = make_bomb(1024)
        http = httpx.Client(base_url=server.url, timeout=60)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        answers = []
        stop = threading.Event()

        def bomber():
            while not stop.is_set():
                t0 = time.perf_counter()
                r = http.post("/v1/push", content=bomb, headers=headers)
                answers.append((time.perf_counter() - t0, r.status_code))

        thread = threading.Thread(target=bomber)
        thread.start()
        hellos = []
        for _ in range(40):
            t0 = time.perf_counter()
            with client.SyncClient(good.store) as c:
                c.call("POST", "/v1/hello", {"now_ms": 0})
            hellos.append(time.perf_counter() - t0)
        stop.set()
        thread.join()
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        times = [a for a, _ in answers]
        print(
            f"gzip bomb ({len(bomb) / 1e6:.1f} MB → 1 GB): {len(answers)} posts, status "
            f"{sorted({s for _, s in answers})}, answer median {statistics.median(times) * 1000:.0f} ms "
            f"p95 {pct(times, 0.95) * 1000:.0f} ms; server memory growth {grown:.0f} MB"
        )
        print(
            f"hello of a real device during bombs: median {statistics.median(hellos) * 1000:.1f} ms "
            f"p95 {pct(hellos, 0.95) * 1000:.1f} ms"
        )
        me = bad.store.device_id
        seq = int(bad.store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") or 0)
        push_times = []
        for round_ in range(3):
            ops = [
                {
                    "seq": seq + 1 + i,
                    "device": me,
                    "t": "companies",
                    "id": f"c-{round_}-{i}",
                    "f": "name",
                    "v": f"企业{i}",
                    "h": bad.store.clock.now().pack(),
                }
                for i in range(5000)
            ]
            body = {"batch_id": f"{me}:b{round_}", "ops": ops}
            t0 = time.perf_counter()
            r = http.post(
                "/v1/push",
                content=gzip.compress(json.dumps(body, ensure_ascii=False).encode()),
                headers=headers,
            )
            push_times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
            seq += 5000
        print(
            f"one full 5,000-op batch (the longest a device can hold the write lock): "
            f"median {statistics.median(push_times) * 1000:.0f} ms, max {max(push_times) * 1000:.0f} ms"
        )
        rejects = []
        for _ in range(5):
            ops = [
                {
                    "seq": seq + 1 + i,
                    "device": me,
                    "t": "companies",
                    "id": f"r-{i}",
                    "f": "name",
                    "v": {"x": 1} if i == 999 else "企业",
                    "h": bad.store.clock.now().pack(),
                }
                for i in range(1000)
            ]
            t0 = time.perf_counter()
            r = http.post(
                "/v1/push",
                content=gzip.compress(json.dumps({"batch_id": "x", "ops": ops}).encode()),
                headers=headers,
            )
            rejects.append(time.perf_counter() - t0)
            assert r.status_code == 422
        print(
            f"1,000-op batch with one wrong-typed value → 422 in median "
            f"{statistics.median(rejects) * 1000:.0f} ms"
        )
        http.close()
        bad.close()
        good.close()
    office.close()


if __name__ == "__main__":
    main()
