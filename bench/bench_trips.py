"""Benchmark the 出差简报: a 3-city trip (上海、苏州、杭州) over 20k companies.

The directory is generated straight into SQLite with executemany (bench only: no outbox),
20k companies in 24 cities (by 来源城市 or only by 注册地), 40k people, 100k visits with
follow-ups, catalogue links and 300 projects; then the app's own code is timed on it:

    .venv/bin/python bench/bench_trips.py
    ZSAPP_BENCH_SCALE=0.5 .venv/bin/python bench/bench_trips.py

Target (issue 16): briefing ≤ 2 s (median and p95). The PDF (first 200 companies) and the
before-departure check are timed once for information.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zsapp.bootstrap import open_store
from zsapp.trips import briefing, check, pdf
from zsapp.trips import trips as T

SCALE = float(os.environ.get("ZSAPP_BENCH_SCALE", "1"))
N_COMPANIES = int(20_000 * SCALE)
N_PEOPLE = 2 * N_COMPANIES
N_VISITS = 5 * N_COMPANIES
N_PROJECTS = 300
RUNS = 7
RNG = random.Random(16)
CITIES = [
    ("上海", "上海市"),
    ("苏州", "江苏省苏州市"),
    ("杭州", "浙江省杭州市"),
    ("北京", "北京市"),
    ("深圳", "广东省深圳市"),
    ("广州", "广东省广州市"),
    ("南京", "江苏省南京市"),
    ("成都", "四川省成都市"),
    ("重庆", "重庆市"),
    ("天津", "天津市"),
    ("武汉", "湖北省武汉市"),
    ("西安", "陕西省西安市"),
    ("厦门", "福建省厦门市"),
    ("宁波", "浙江省宁波市"),
    ("无锡", "江苏省无锡市"),
    ("合肥", "安徽省合肥市"),
    ("长沙", "湖南省长沙市"),
    ("郑州", "河南省郑州市"),
    ("青岛", "山东省青岛市"),
    ("济南", "山东省济南市"),
    ("福州", "福建省福州市"),
    ("南昌", "江西省南昌市"),
    ("贵阳", "贵州省贵阳市"),
    ("南宁", "广西壮族自治区南宁市"),
]
SYNC = "created_at, updated_at, updated_by, deleted"


def sync_values() -> tuple:
    return ("0001700000000000-0000-bench", "0001700000000000-0000-bench", "bench", 0)


def seed(store) -> None:
    items = [r["id"] for r in store.query("SELECT id FROM catalogue_items ORDER BY id")]
    companies, links, people, visits, vlinks, followups = [], [], [], [], [], []
    company_ids = []
    for i in range(N_COMPANIES):
        cid = str(uuid.uuid4())
        company_ids.append(cid)
        short, location = CITIES[i % len(CITIES)]
        by_origin = RNG.random() < 0.6
        companies.append(
            (
                cid,
                *sync_values(),
                f"{short}测试企业{i:05d}有限公司",
                short if by_origin else "",
                f"{location}某区某路{i}号",
                int(RNG.random() < 0.03),
                int(RNG.random() < 0.01),
                "[]",
            )
        )
        for item in RNG.sample(items, RNG.randint(0, 3)):
            links.append((str(uuid.uuid4()), *sync_values(), cid, item))
    for i in range(N_PEOPLE):
        people.append(
            (
                str(uuid.uuid4()),
                *sync_values(),
                f"联系人{i:06d}",
                company_ids[i % N_COMPANIES],
                "总经理",
                "+86139" + f"{i:08d}",
            )
        )
    for _ in range(N_VISITS):
        vid = str(uuid.uuid4())
        day = f"20{RNG.randint(22, 26)}-{RNG.randint(1, 12):02d}-{RNG.randint(1, 28):02d}T10:00"
        visits.append((vid, *sync_values(), day, "外出拜访", "初步接触", "洽谈了电池铝箔项目"))
        vlinks.append(
            (str(uuid.uuid4()), *sync_values(), vid, company_ids[RNG.randrange(N_COMPANIES)])
        )
        if RNG.random() < 0.2:
            followups.append((str(uuid.uuid4()), *sync_values(), vid, "寄送资料", day[:10], 0))
    with store.transaction():
        store.executemany(
            f"INSERT INTO companies (id, {SYNC}, name, origin_city, registered_location, "
            "is_fortune500, is_dishonest, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            companies,
        )
        store.executemany(
            f"INSERT INTO company_items (id, {SYNC}, company_id, item_id) VALUES (?,?,?,?,?,?,?)",
            links,
        )
        store.executemany(
            f"INSERT INTO people (id, {SYNC}, name, company_id, title, mobile) VALUES (?,?,?,?,?,?,?,?,?)",
            people,
        )
        store.executemany(
            f"INSERT INTO visits (id, {SYNC}, visited_at, kind, outcome, notes) VALUES (?,?,?,?,?,?,?,?,?)",
            visits,
        )
        store.executemany(
            f"INSERT INTO visit_companies (id, {SYNC}, visit_id, company_id) VALUES (?,?,?,?,?,?,?)",
            vlinks,
        )
        store.executemany(
            f"INSERT INTO followups (id, {SYNC}, visit_id, text, due_date, done) VALUES (?,?,?,?,?,?,?,?,?)",
            followups,
        )
        for i in range(N_PROJECTS):
            pid = str(uuid.uuid4())
            store.execute(
                f"INSERT INTO projects (id, {SYNC}, code, name, total_investment_wan) VALUES (?,?,?,?,?,?,?,?)",
                (
                    pid,
                    *sync_values(),
                    f"KM-2026-{i:04d}",
                    f"测试项目{i}",
                    RNG.randint(1000, 500000),
                ),
            )
            for item in RNG.sample(items, 2):
                store.execute(
                    f"INSERT INTO project_items (id, {SYNC}, project_id, item_id) VALUES (?,?,?,?,?,?,?)",
                    (str(uuid.uuid4()), *sync_values(), pid, item),
                )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("ZSAPP_DATA_DIR", tmp)
        store = open_store(Path(tmp) / "bench.sqlite3")
        t0 = time.perf_counter()
        seed(store)
        print(
            f"seeded {N_COMPANIES} companies, {N_PEOPLE} people, {N_VISITS} visits "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        trip = T.create_trip(
            store,
            {
                "destinations": "上海、苏州、杭州",
                "start_date": "2026-12-08",
                "end_date": "2026-12-10",
            },
        )
        for k, cid in enumerate(
            r["id"]
            for r in store.query(
                "SELECT id FROM companies WHERE origin_city = '苏州' ORDER BY id LIMIT 10"
            )
        ):
            T.add_meeting(
                store, trip, {"starts_at": f"2026-12-{8 + k % 3:02d} {9 + k}:00", "company_id": cid}
            )
        now = datetime(2026, 12, 1, 9, 0)
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            data = briefing.briefing(store, trip, now=now)
            times.append(time.perf_counter() - t)
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"briefing, 3 cities → {data['counts']['companies']} companies, "
            f"{data['counts']['people']} people, {data['counts']['open_followups']} open follow-ups: "
            f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target ≤ 2000 ms)"
        )
        t = time.perf_counter()
        result = pdf.render_briefing(store, data, Path(tmp) / "brief.pdf")
        print(
            f"briefing PDF ({pdf.MAX_PDF_COMPANIES} companies): {result.pages} pages in {time.perf_counter() - t:.1f} s"
        )
        t = time.perf_counter()
        check.check(store, trip)
        print(f"before-departure check: {(time.perf_counter() - t) * 1000:.0f} ms")
        store.close()
        ok = median <= 2.0 and p95 <= 2.0
        print("OK" if ok else "TARGET MISSED")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
