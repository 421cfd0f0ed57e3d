"""Benchmark: a 20-project brochure generated from a real database, as the app does it
(build the spec from SQLite + render + record the history row), 7 runs.

Targets: median < 2 s, file < 2 MB (no cover image).  Run: python bench/bench_brochure_db.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = 7
TEXT = (
    "项目依托云南丰富的绿色水电资源和现有产业基础，拟引进行业领先企业建设生产基地。项目建成后，预计年产值可达30亿元，"
    "年均税收约1.8亿元，带动就业1200人以上；产品面向新能源汽车、储能电站及消费电子等领域，采用TOPCon、HJT等先进技术路线。"
)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ZSAPP_DATA_DIR"] = tmp
        from zsapp import profile
        from zsapp.bootstrap import open_store
        from zsapp.brochure import history, source
        from zsapp.projects import projects

        store = open_store(Path(tmp) / "bench.sqlite3")
        profile.save_profile(
            store,
            profile.OfficerProfile(
                name="欧阳明华",
                title="招商专员",
                phone="13800138000",
                email="oy@example.cn",
                unit="昆明市投资促进局",
                prefecture="昆明市",
            ),
        )
        items = ["I02-04", "I02-02", "I03-02", "I01-01", "I06-01"]
        codes = []
        for i in range(20):
            pid = projects.create_project(
                store,
                name=f"第{i + 1}号重点招商项目",
                item_ids=[items[i % 5]],
                prefecture_key="昆明市",
                total_investment_yi=str(5 + i),
                land_mu="300",
                summary=TEXT,
                construction_content=TEXT,
            )
            source.set_promo(store, pid, highlights=TEXT[:80], advantages=TEXT[80:])
            codes.append(store.get("projects", pid)["code"])
        t0 = time.perf_counter()
        for _ in range(RUNS):
            source.build_spec(store, codes)
        spec_ms = (time.perf_counter() - t0) / RUNS * 1000
        times, size, pages = [], 0, 0
        for k in range(RUNS):
            out = Path(tmp) / f"b{k}.pdf"
            t = time.perf_counter()
            gen = history.generate(store, out, codes=codes)
            times.append(time.perf_counter() - t)
            size, pages = gen.result.size_bytes, gen.result.pages
        store.close()
    med = statistics.median(times)
    print(f"runs: {RUNS}  projects: 20  pages: {pages}")
    print(f"build spec from database: {spec_ms:.1f} ms (mean)")
    print("generate (spec + render + history) times (s): " + " ".join(f"{t:.3f}" for t in times))
    print(f"median: {med:.3f} s  (target < 2 s)")
    print(f"size: {size / 1024:.1f} KiB  (target < 2048 KiB)")
    ok = med < 2 and size < 2 * 1024 * 1024
    print("OK" if ok else "SLOWER/LARGER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
