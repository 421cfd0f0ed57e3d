"""Benchmark: render a 20-project brochure (no cover image) 7 times.

Targets: median < 2 s, file size < 2 MB.  Run: python bench/bench_brochure.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_brochure_render import make_spec  # noqa: E402  (realistic sample data)

from zsapp.brochure import render_brochure  # noqa: E402

RUNS = 7


def main() -> int:
    spec = make_spec(20, cover_image=None)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.pdf"
        for _ in range(RUNS):
            t0 = time.perf_counter()
            res = render_brochure(spec, out)
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"runs: {RUNS}  pages: {res.pages}")
    print(f"times (s): {' '.join(f'{t:.3f}' for t in times)}")
    print(f"median: {med:.3f} s  (target < 2 s)")
    print(f"size: {res.size_bytes / 1024:.1f} KiB  (target < 2048 KiB)")
    ok = med < 2.0 and res.size_bytes < 2 * 1024 * 1024
    print("OK" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
