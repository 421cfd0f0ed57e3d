"""Benchmark: 首页 dashboard aggregates over 20k projects and 1M visits (< 100 ms target).

Data is generated with executemany straight into a scratch database (bench only; the app
always writes through Store.insert). Prints median timings in milliseconds.

    .venv/bin/python bench/bench_projects.py [--projects 20000] [--visits 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zsapp.bootstrap import open_store
from zsapp.projects import dashboard, status
from zsapp.projects import projects as P
from zsapp.projects.common import CODE_PREFIXES

SYNC = "created_at, updated_at, updated_by, deleted"
STAGES = ["线索", "在谈", "签约", "开工", "投产", "停滞", "终止"]


def generate(store, n_projects: int, n_visits: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    hlc = "0001790000000000-0000-bench"
    dev = store.device_id
    prefs = list(CODE_PREFIXES.items())
    items = [r["id"] for r in store.query("SELECT id FROM catalogue_items")]
    conn = store
    owners = ["张伟", "李娜", "王芳", "刘洋"]
    companies = [(str(uuid.uuid4()), f"企业{i}", int(rnd.random() < 0.05)) for i in range(5000)]
    project_ids = [str(uuid.uuid4()) for _ in range(n_projects)]
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        f"INSERT INTO companies (id, name, is_fortune500, {SYNC}) VALUES (?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        companies,
    )
    rows, stage_rows, item_rows, inv_rows, fund_rows = [], [], [], [], []
    for i, pid in enumerate(project_ids):
        code, prefix = prefs[i % len(prefs)]
        rows.append(
            (
                pid,
                f"{prefix}-2026-{i:05d}",
                f"项目{i}",
                code,
                rnd.choice([None, rnd.randrange(1000, 500000)]),
                rnd.choice(owners),
            )
        )
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randrange(0, 690))
        stage_rows.append((str(uuid.uuid4()), pid, "线索", day.isoformat()))
        for _k in range(rnd.randrange(0, 4)):
            day = day + dt.timedelta(days=rnd.randrange(1, 60))
            stage_rows.append((str(uuid.uuid4()), pid, rnd.choice(STAGES[1:]), day.isoformat()))
        item_rows.append((str(uuid.uuid4()), pid, rnd.choice(items)))
        inv_rows.append((str(uuid.uuid4()), pid, rnd.choice(companies)[0]))
        for _k in range(rnd.randrange(0, 6)):
            fund_rows.append(
                (
                    str(uuid.uuid4()),
                    pid,
                    f"{rnd.choice([2025, 2026])}-{rnd.randrange(1, 13):02d}",
                    rnd.randrange(1, 50000),
                    int(rnd.random() < 0.8),
                    int(rnd.random() < 0.85),
                )
            )
    conn.executemany(
        f"INSERT INTO projects (id, code, name, prefecture_code, total_investment_wan, owner_officer, {SYNC}) "
        f"VALUES (?, ?, ?, ?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        rows,
    )
    conn.executemany(
        f"INSERT INTO project_stages (id, project_id, stage, changed_on, {SYNC}) VALUES (?, ?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        stage_rows,
    )
    conn.executemany(
        f"INSERT INTO project_items (id, project_id, item_id, {SYNC}) VALUES (?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        item_rows,
    )
    conn.executemany(
        f"INSERT INTO project_investors (id, project_id, company_id, {SYNC}) VALUES (?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        inv_rows,
    )
    conn.executemany(
        f"INSERT INTO project_funds (id, project_id, month, amount_wan, outside_province, industrial, {SYNC}) "
        f"VALUES (?, ?, ?, ?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        fund_rows,
    )
    batch_v, batch_vp, batch_f = [], [], []
    start = dt.datetime(2024, 1, 1)
    for i in range(n_visits):
        vid = str(uuid.uuid4())
        when = start + dt.timedelta(minutes=rnd.randrange(0, 1_400_000))
        batch_v.append((vid, when.strftime("%Y-%m-%dT%H:%M")))
        batch_vp.append((str(uuid.uuid4()), vid, project_ids[rnd.randrange(n_projects)]))
        if i % 5 == 0:
            due = (when + dt.timedelta(days=14)).date().isoformat()
            batch_f.append((str(uuid.uuid4()), vid, "跟进", due, int(rnd.random() < 0.7)))
        if len(batch_v) >= 50000:
            _flush(conn, hlc, dev, batch_v, batch_vp, batch_f)
    _flush(conn, hlc, dev, batch_v, batch_vp, batch_f)
    conn.execute("COMMIT")
    t1 = time.perf_counter()
    status.rebuild_activity(store)
    store.execute("ANALYZE")
    t2 = time.perf_counter()
    status.ensure(store)  # the full 准入预审 of every project (as after an office threshold update)
    t3 = time.perf_counter()
    print(
        f"generated {n_projects} projects, {len(stage_rows)} stage rows, {len(fund_rows)} funds rows, "
        f"{n_visits} visits in {t1 - t0:.1f} s; bulk activity rebuild {1000 * (t2 - t1):.0f} ms; "
        f"预审 of all projects {t3 - t2:.1f} s ({1000 * (t3 - t2) / max(1, n_projects):.2f} ms each)"
    )


def _flush(conn, hlc, dev, visits, links, followups) -> None:
    conn.executemany(
        f"INSERT INTO visits (id, visited_at, {SYNC}) VALUES (?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        visits,
    )
    conn.executemany(
        f"INSERT INTO visit_projects (id, visit_id, project_id, {SYNC}) VALUES (?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        links,
    )
    conn.executemany(
        f"INSERT INTO followups (id, visit_id, text, due_date, done, {SYNC}) VALUES (?, ?, ?, ?, ?, '{hlc}', '{hlc}', '{dev}', 0)",
        followups,
    )
    visits.clear(), links.clear(), followups.clear()


def timed(label: str, fn, repeat: int = 15) -> float:
    fn()  # warm the page cache
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    median = statistics.median(samples)
    print(f"{label:<52} median {median:8.1f} ms   (min {min(samples):.1f}, max {max(samples):.1f})")
    return median


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ZSAPP_DATA_DIR"] = tmp
        store = open_store(Path(tmp) / "bench.sqlite3")
        generate(store, args.projects, args.visits)
        today = dt.date(2026, 11, 20)
        results = {
            "dashboard (everyone)": timed(
                "dashboard, all projects (all aggregates)",
                lambda: dashboard.dashboard(store, owner="", year=2026, now=today),
            ),
            "dashboard (one officer)": timed(
                "dashboard, one officer's projects",
                lambda: dashboard.dashboard(store, owner="张伟", year=2026, now=today),
            ),
        }
        timed(
            "project list, first page sorted by investment",
            lambda: P.list_projects(store, sort="investment", limit=100, now=today),
        )
        timed(
            "project list, stalled filter, first page",
            lambda: P.list_projects(
                store, P.ProjectFilter(stalled_only=True), limit=100, now=today
            ),
        )
        timed(
            "project count, ≥10亿 + 500强 filter",
            lambda: P.count_projects(
                store, P.ProjectFilter(big_only=True, fortune500_only=True), now=today
            ),
        )
        pid = store.scalar("SELECT project_id FROM visit_projects LIMIT 1")
        timed("one project's status refresh (after a visit)", lambda: status.refresh(store, pid))
        store.close()
        worst = max(results.values())
        print(
            f"dashboard target < 100 ms: {'OK' if worst < 100 else 'MISSED'} (worst median {worst:.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
