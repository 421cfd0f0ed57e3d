"""Benchmark importing the files officers really have (issue 11):

* a 10k-row XLSX written like a streaming exporter (<dimension ref="A1"/>, inline strings,
  phones as numbers), read through python-calamine;
* the same 10k rows as an Excel zh-CN "CSV (逗号分隔)" file (GBK, CRLF, detected);
* a 500-contact Android vCard 2.1 (QP soft breaks every 23 bytes inside characters);
* re-importing the 10k CSV into the filled database (mode fill: every row matched, no change).

Each is timed end to end (read, detect header, map, plan, write one batch) into a fresh
database, ``ZSAPP_BENCH_RUNS`` times (default 5); medians and p95 in ms are printed.

    .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import import_samples as samples  # noqa: E402

from zsapp.bootstrap import open_store  # noqa: E402
from zsapp.contacts import importer  # noqa: E402
from zsapp.contacts.validation import uscc_check_char  # noqa: E402

RUNS = int(os.environ.get("ZSAPP_BENCH_RUNS", "5"))
ROWS = int(os.environ.get("ZSAPP_BENCH_ROWS", "10000"))
RNG = random.Random(11)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国"
INDUSTRIES = ["数字经济", "咖啡", "I02-04", "光伏制造业", "制造业", "茶叶", ""]
PROVINCES = ["广东省", "浙江省", "上海市", "北京市", "四川省", "云南省"]
HEADERS = ["企业名称", "统一社会信用代码", "所属行业", "来源省份", "营收（万元）", "联系人", "职务", "手机", "座机", "邮箱"]  # fmt: skip


def uscc(n: int) -> str:
    body = f"91530100{n:09d}"
    return body + uscc_check_char(body)


def rows(n: int) -> list[list]:
    out = []
    for i in range(n):
        name = RNG.choice(SURNAMES) + RNG.choice(GIVEN) + RNG.choice(GIVEN)
        out.append(
            [
                f"云南测试{i:05d}科技有限公司",
                uscc(i),
                RNG.choice(INDUSTRIES),
                RNG.choice(PROVINCES),
                RNG.randint(100, 900000),
                name,
                RNG.choice(["总经理", "董事长", "投资总监", ""]),
                13900000000 + i,
                f"0871-6{i:07d}-80{i % 100:02d}" if i % 3 == 0 else "",
                f"u{i}@example.com" if i % 2 else "",
            ]
        )
    return out


def gbk_csv(path: Path, data: list[list]) -> Path:
    lines = [",".join(HEADERS)] + [",".join(str(c) for c in row) for row in data]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def android_vcf(path: Path, n: int) -> Path:
    cards = []
    for i in range(n):
        family, given = RNG.choice(SURNAMES), RNG.choice(GIVEN) + RNG.choice(GIVEN)
        cards.append(
            samples.android_card(
                family + given,
                family,
                given,
                f"云南测试{i:04d}股份有限公司",
                "副总经理，分管投资",
                [("CELL", f"139-{i:04d}-2222"), ("WORK", f"0871-6312{i:04d}-8001")],
                f"v{i}@example.com",
                "重点客户，关注铝箔与光伏项目",
            )
        )
    path.write_bytes("".join(cards).encode("ascii"))
    return path


def stats(label: str, samples_: list[tuple[float, float]]) -> dict[str, float]:
    """Wall-clock and CPU time (the machine may be shared: CPU time is what the import
    itself costs, wall time what the user waited)."""
    walls = sorted(w for w, _ in samples_)
    cpus = sorted(c for _, c in samples_)
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    median, cpu = statistics.median(walls), statistics.median(cpus)
    cpu_p95 = cpus[min(len(cpus) - 1, int(len(cpus) * 0.95))]
    print(
        f"  {label:<44} wall median {median:8.0f} ms  p95 {p95:8.0f} ms | "
        f"CPU median {cpu:8.0f} ms  p95 {cpu_p95:8.0f} ms  (n={len(walls)})"
    )
    return {"median": median, "p95": p95, "cpu": cpu}


def timed_import(
    tmp: Path, path: Path, expect: int, fill_first: bool = False
) -> tuple[float, float]:
    db = tmp / f"bench-{time.monotonic_ns()}.sqlite3"
    store = open_store(db)
    try:
        if fill_first:
            importer.import_file(store, path)
        start, cpu = time.perf_counter(), time.process_time()
        report = importer.import_file(store, path)
        elapsed = (time.perf_counter() - start) * 1000
        cpu = (time.process_time() - cpu) * 1000
        if report.errors or report.total != expect or (fill_first and report.unchanged != expect):
            raise SystemExit(f"unexpected report for {path.name}: {report.summary()}")
        return elapsed, cpu
    finally:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = rows(ROWS)
        xlsx = samples.streaming_xlsx(tmp / "crm-10k.xlsx", [HEADERS, *data])
        csv_path = gbk_csv(tmp / "客商-10k.csv", data)
        vcf = android_vcf(tmp / "Samsung-500.vcf", 500)
        print(
            f"files: xlsx {xlsx.stat().st_size // 1024} KB, csv {csv_path.stat().st_size // 1024} KB, "
            f"vcf {vcf.stat().st_size // 1024} KB; {RUNS} runs each"
        )
        results = {
            "xlsx": stats(
                f"import {ROWS} rows XLSX (dimension A1)",
                [timed_import(tmp, xlsx, ROWS) for _ in range(RUNS)],
            ),
            "csv": stats(
                f"import {ROWS} rows CSV (GBK)",
                [timed_import(tmp, csv_path, ROWS) for _ in range(RUNS)],
            ),
            "vcf": stats(
                "import 500 contacts vCard 2.1 (Android QP)",
                [timed_import(tmp, vcf, 500) for _ in range(RUNS)],
            ),
            "again": stats(
                f"re-import {ROWS} rows CSV (fill, unchanged)",
                [
                    timed_import(tmp, csv_path, ROWS, fill_first=True)
                    for _ in range(max(2, RUNS // 2))
                ],
            ),
        }
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(
            "\nSummary: "
            + "; ".join(
                f"{k} median {v['median'] / 1000:.2f} s (CPU {v['cpu'] / 1000:.2f} s)"
                for k, v in results.items()
            )
            + f"; peak RSS {peak} MB"
        )


if __name__ == "__main__":
    main()
