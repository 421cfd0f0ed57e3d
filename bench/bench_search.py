"""Search latency: the catalogue, and the same index design holding 100k companies.

Targets (issue 3): p95 < 5 ms per catalogue query; stays < 5 ms at 100k companies.
Run: .venv/bin/python bench/bench_search.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zsapp import search
from zsapp.bootstrap import open_store
from zsapp.catalogue import search_catalogue

CATALOGUE_QUERIES = [
    "锗",
    "铝箔",
    "kafei",
    "kf",
    "lb",
    "TOPCon",
    "HJT",
    "电池",
    "茶",
    "生物医药",
    "xinnengyuan",
    "xny",
    "BGA",
    "磷酸铁锂",
    "物流",
    "ITO",
    "zhongyaocai",
    "稀土",
]
COMPANY_QUERIES = [
    "中",
    "中国",
    "zgyd",
    "云南",
    "yunnan",
    "新能源",
    "铝业",
    "xny",
    "科技",
    "集团",
    "华为",
    "比亚迪",
    "hw",
    "股份有限公司",
    "昆明",
    "ningde",
    "宁德时代",
]

PREFIXES = [
    "中国",
    "云南",
    "上海",
    "深圳",
    "北京",
    "浙江",
    "江苏",
    "广东",
    "四川",
    "重庆",
    "宁德",
    "华",
    "国",
    "新",
]
CORES = [
    "移动",
    "铝业",
    "能源",
    "新材料",
    "医药",
    "时代",
    "电子",
    "光伏",
    "锂电",
    "物流",
    "茶业",
    "咖啡",
    "硅业",
    "稀土",
    "数码",
    "科技",
    "建设",
    "交通",
    "航空",
    "化工",
    "农业",
    "生物",
    "智能",
    "控股",
]
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司", "（中国）有限公司", "集团"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(fn, queries: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for q in queries:
            start = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    print(
        f"{label:<42} n={len(times):>5}  median {statistics.median(times):6.2f} ms  "
        f"p95 {percentile(times, 95):6.2f} ms  max {max(times):6.2f} ms"
    )


def main() -> None:
    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.sqlite3")
        measure(lambda q: search_catalogue(store, q, 50), CATALOGUE_QUERIES, 3)  # warm up
        report(
            "catalogue search (limit 50)",
            measure(lambda q: search_catalogue(store, q, 50), CATALOGUE_QUERIES, 30),
        )

        store.execute(
            "CREATE VIRTUAL TABLE search_benchco USING fts5(entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED,"
            " display UNINDEXED, norm UNINDEXED, keys UNINDEXED, grams, py, ini, tokenize='unicode61 remove_diacritics 0')"
        )
        start = time.perf_counter()
        names = [
            random.choice(PREFIXES)
            + random.choice(CORES)
            + random.choice(CORES)
            + random.choice(SUFFIXES)
            for _ in range(100_000)
        ]
        with store.transaction():
            search.index_documents(
                store,
                "benchco",
                (search.Document(str(i), "name", n, 30) for i, n in enumerate(names)),
            )
        print(f"indexed 100k company names in {time.perf_counter() - start:.1f} s")
        report(
            "100k companies search (limit 50)",
            measure(lambda q: store.search("benchco", q, 50), COMPANY_QUERIES, 10),
        )
        multi = [q for q in COMPANY_QUERIES if len(search.normalise(q)) >= 2]
        report(
            "100k companies, queries of 2+ chars",
            measure(lambda q: store.search("benchco", q, 50), multi, 10),
        )
        report(
            "catalogue search with 100k rows in db",
            measure(lambda q: search_catalogue(store, q, 50), CATALOGUE_QUERIES, 10),
        )
        store.close()


if __name__ == "__main__":
    main()
