"""Cost of encryption at rest (issue 14): search, list and save on the same data with the
SQLCipher database (the app as shipped) and with a plain database (same SQLite build,
sqlcipher3 without a key), in one process, alternating runs.

Target: encrypted ≤ 15 % slower than plain (medians).
Run: ZSAPP_PASSPHRASE=… .venv/bin/python bench/bench_crypto.py   (ZSAPP_BENCH_SCALE=0.2 quick)
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlcipher3

from zsapp import store as store_mod
from zsapp.bootstrap import open_store
from zsapp.security import keys

SCALE = float(os.environ.get("ZSAPP_BENCH_SCALE", "1"))
N_COMPANIES = int(10_000 * SCALE)
N_PEOPLE = int(20_000 * SCALE)
ROUNDS = int(os.environ.get("ZSAPP_BENCH_ROUNDS", "9"))
RNG = random.Random(14)
CITIES = ["昆明", "曲靖", "玉溪", "大理", "红河", "楚雄", "上海", "深圳", "北京", "杭州"]
CORES = "华鑫宏达盛泰嘉瑞祥云滇恒远兴隆博创中科新能源"
TRADES = ["铝业", "咖啡", "光伏", "物流", "医药", "茶业", "电子", "化工", "科技", "矿业"]
QUERIES = ["华鑫", "kf", "昆明", "光伏", "xny", "滇", "科技", "zgly", "物流", "红河"]


def plain_open(path: Path, *, keys, readonly: bool = False):
    """Bench baseline: the same driver and SQLite build, no key (a plain file)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute(f"PRAGMA cache_size = {store_mod.PAGE_CACHE_KIB}")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


def build(path: Path, plain: bool):
    real_open, real_unlock = store_mod._open_connection, store_mod._unlock
    if plain:
        store_mod._open_connection = plain_open
        store_mod._unlock = lambda p, s=None: (keys.DataKeys.generate(), None)
    try:
        store = open_store(path)
    finally:
        store_mod._open_connection, store_mod._unlock = real_open, real_unlock
    return store


def fill(store) -> None:
    from zsapp.contacts import companies, people

    rng = random.Random(14)
    with store.transaction():
        ids = []
        for i in range(N_COMPANIES):
            name = (
                rng.choice(CITIES)
                + "".join(rng.sample(CORES, 2))
                + rng.choice(TRADES)
                + f"有限公司{i}"
            )
            ids.append(companies.create_company(store, {"name": name}, allow_similar=True))
        for i in range(N_PEOPLE):
            people.create_person(
                store,
                {
                    "name": "王李张刘陈杨"[i % 6] + "建国明华伟"[i % 5] + str(i),
                    "company_id": ids[i % len(ids)],
                    "mobile": f"139{i:08d}",
                },
            )
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def measure(store) -> dict[str, float]:
    from zsapp.contacts import companies, people

    def search():
        for q in QUERIES:
            companies.search_companies(store, q)
            people.search_people(store, q)

    def listing():
        for offset in (0, 500, 2000):
            companies.list_companies(store, sort="name", limit=100, offset=offset)
            people.list_people(store, sort="name", limit=100, offset=offset)

    cid = store.scalar("SELECT id FROM companies LIMIT 1")
    counter = [0]

    def save():
        for _ in range(20):
            counter[0] += 1
            companies.update_company(store, cid, {"notes": f"第{counter[0]}次拜访后更新"})

    out = {}
    for name, fn in (("search", search), ("list", listing), ("save", save)):
        fn()  # warm
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        out[name] = (time.perf_counter() - start) * 1000
        out[name + " cpu"] = (time.process_time() - cpu) * 1000
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="zsapp-bench-crypto-"))
    os.environ["ZSAPP_DATA_DIR"] = str(tmp)
    os.environ.setdefault(keys.ENV_PASSPHRASE, "zsapp-bench-passphrase")
    stores = {}
    for label, plain in (("plain", True), ("encrypted", False)):
        start = time.perf_counter()
        s = build(tmp / f"{label}.sqlite3", plain)
        fill(s)
        stores[label] = s
        print(
            f"{label}: {N_COMPANIES} companies, {N_PEOPLE} people in {time.perf_counter() - start:.1f} s"
        )
    enc_head = (tmp / "encrypted.sqlite3").read_bytes()[:16]
    assert enc_head != b"SQLite format 3\x00", "encrypted store is not encrypted"
    assert (tmp / "plain.sqlite3").read_bytes()[:16] == b"SQLite format 3\x00"
    times: dict[str, dict[str, list[float]]] = {k: {} for k in stores}
    for _ in range(ROUNDS):
        for label, s in stores.items():  # alternate, so load on the machine hits both
            for op, ms in measure(s).items():
                times[label].setdefault(op, []).append(ms)
    print(
        f"{'op':11} {'plain ms':>10} {'encrypted ms':>13} {'overhead':>9}   (medians of {ROUNDS})"
    )
    worst = 0.0
    for op in ("search", "list", "save", "search cpu", "list cpu", "save cpu"):
        p = statistics.median(times["plain"][op])
        e = statistics.median(times["encrypted"][op])
        if not op.endswith("cpu"):
            worst = max(worst, e / p - 1)
        print(f"{op:11} {p:10.1f} {e:13.1f} {100 * (e / p - 1):8.1f}%")
    print(
        f"worst wall-clock overhead {100 * worst:.1f}% (target ≤ 15%): "
        f"{'ok' if worst <= 0.15 else 'MISSED'} (cpu rows: CPU time, less sensitive to load)"
    )
    for s in stores.values():
        s.close()


if __name__ == "__main__":
    main()
