"""Console benchmarks (medians and p95 printed). Run: .venv/bin/python bench/bench_console.py

Office on SQLite with 20k projects, 200k 到位资金 entries and 100 enrolled devices
(field store written in bulk, then ``rebuild-reports``):

1. server time (Server-Timing header) of every console page, real uvicorn on loopback
   (target ≤ 300 ms each);
2. push time of a realistic batch (a project with its stages, items, investors and 12
   months of funds) with and without the read-model hook (target ≤ +20 %).

``--projects N`` scales the data set (funds = 10 × N).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("ZSAPP_DATA_DIR", tempfile.mkdtemp(prefix="zsapp-consolebench-data-"))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from console_fixtures import FieldDevice  # noqa: E402

from zsapp.office import reports, service  # noqa: E402
from zsapp.office import schema as s  # noqa: E402
from zsapp.office.console.auth import Staff  # noqa: E402
from zsapp.office.server import ServerThread  # noqa: E402
from zsapp.office.service import Office  # noqa: E402

PREFS = {
    "530100": "昆明市", "530300": "曲靖市", "530400": "玉溪市", "530500": "保山市",
    "530600": "昭通市", "530700": "丽江市", "530800": "普洱市", "530900": "临沧市",
    "532300": "楚雄州", "532500": "红河州", "532600": "文山州", "532800": "西双版纳州",
    "532900": "大理州", "533100": "德宏州", "533300": "怒江州", "533400": "迪庆州",
}  # fmt: skip
STAGES = ("线索", "在谈", "签约", "开工", "投产", "停滞")
ITEMS = (
    "I01-01",
    "I01-03",
    "I02-01",
    "I03-01",
    "I04-01",
    "I06-02",
    "I07-01",
    "I08-01",
    "I09-01",
    "I10-01",
)
WORDS = (
    "绿色铝",
    "光伏",
    "新能源电池",
    "咖啡",
    "生物医药",
    "数字经济",
    "冷链物流",
    "文旅康养",
    "稀土",
    "茶叶",
)
PASSWORD = "Yunnan-招商-2026!"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def build(office: Office, n_projects: int, n_devices: int) -> list[FieldDevice]:
    rng = random.Random(2026)
    codes = list(PREFS)
    devices = [FieldDevice(office, PREFS[codes[i % len(codes)]]) for i in range(n_devices)]
    hlc = [10**15]

    def stamp() -> str:
        hlc[0] += 1
        return f"{hlc[0]:016d}-0000-bench"

    records, fields = [], []
    seq = [0]

    def put(tbl: str, space: str, values: dict) -> str:
        row_id = str(uuid.uuid4())
        h = stamp()
        records.append(
            {
                "tbl": tbl,
                "row_id": row_id,
                "space": space,
                "owner_unit": space[5:],
                "created_at": h,
                "created_device": "bench",
            }
        )
        for field, value in {**values, "deleted": 0}.items():
            seq[0] += 1
            fields.append({"tbl": tbl, "row_id": row_id, "field": field, "value": json.dumps(value, ensure_ascii=False),
                           "hlc": h, "device": "bench", "space": space, "seq": seq[0]})  # fmt: skip
        return row_id

    companies = []
    for i in range(n_projects // 4):
        companies.append(
            put("companies", "province", {
                "name": f"投资企业{i}", "uscc": f"91{i:016d}", "is_fortune500": int(rng.random() < 0.03),
                "ownership": rng.choice(["央企", "国企", "民营", "外资"]), "region_tag": rng.choice(["长三角", "京津冀", "粤港澳大湾区", "成渝", ""]),
                "origin_province": rng.choice(["上海市", "北京市", "广东省", "四川省", "浙江省"]),
                "is_specialized_giant": int(rng.random() < 0.05), "is_dishonest": int(rng.random() < 0.01),
            })
        )  # fmt: skip
    for i in range(n_projects):
        pref = codes[i % len(codes)]
        space = f"unit:{PREFS[pref]}"
        year = rng.choice([2022, 2023, 2024, 2025, 2026])
        pid = put("projects", space, {
            "code": f"B{pref[2:4]}-{year}-{i:05d}", "name": f"{PREFS[pref][:2]}{rng.choice(WORDS)}项目{i}",
            "prefecture_code": pref, "total_investment_wan": rng.choice([5_000, 30_000, 80_000, 120_000, 500_000]),
            "category": rng.choice(["产业类"] * 8 + ["房地产", "基础设施"]), "is_provincial_major": int(rng.random() < 0.05),
            "answers": "{}",
        })  # fmt: skip
        put("project_items", space, {"project_id": pid, "item_id": rng.choice(ITEMS)})
        put(
            "project_investors",
            space,
            {"project_id": pid, "company_id": rng.choice(companies), "role": "签约主体"},
        )
        for k in range(rng.randrange(1, 4)):
            put(
                "project_stages",
                space,
                {
                    "project_id": pid,
                    "stage": STAGES[k * 2 if k < 3 else 2],
                    "changed_on": f"{year}-{3 * k + 1:02d}-10",
                    "note": "",
                },
            )
        for m in range(10):
            month = f"{year if m < 8 else min(year + 1, 2026)}-{(m % 12) + 1:02d}"
            put("project_funds", space, {"project_id": pid, "month": month, "amount_wan": rng.randrange(100, 20_000),
                                          "outside_province": int(rng.random() < 0.9), "industrial": 1})  # fmt: skip
        if i % 40 == 0:
            to = codes[(i + 3) % len(codes)]
            put("project_transfers", space, {"project_id": pid, "transferred_on": f"{year}-06-01", "from_prefecture_code": pref,
                                              "to_prefecture_code": to, "reason": "产业布局调整"})  # fmt: skip
        if i % 20 == 0:
            put("admission_overrides", space, {"project_id": pid, "rule_id": "R3", "reason": "集体决策", "decided_by": "州市会议", "decided_on": f"{year}-02-01"})  # fmt: skip
    with office.engine.begin() as conn:
        for i in range(0, len(records), 5000):
            conn.execute(sa.insert(s.records), records[i : i + 5000])
        for i in range(0, len(fields), 5000):
            conn.execute(sa.insert(s.fields), fields[i : i + 5000])
    print(f"field store: {len(records):,} records, {len(fields):,} field rows")
    return devices


def push_batch(dev: FieldDevice, rng: random.Random) -> None:
    pid = dev.put("projects", code=f"P-{uuid.uuid4().hex[:6]}", name=f"新项目{rng.random():.6f}", prefecture_code="530100",
                  total_investment_wan=120_000, category="产业类")  # fmt: skip
    dev.put("project_items", project_id=pid, item_id="I04-01")
    dev.put("project_stages", project_id=pid, stage="签约", changed_on="2026-03-01", note="")
    dev.put("project_investors", project_id=pid, company_id="", role="签约主体")
    for m in range(1, 13):
        dev.put(
            "project_funds",
            project_id=pid,
            month=f"2026-{m:02d}",
            amount_wan=1000,
            outside_province=1,
            industrial=1,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=20_000)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument(
        "--db", type=Path, help="keep the generated office database here (reused when present)"
    )
    args = ap.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="zsapp-consolebench-")) / "office.sqlite3"
    reuse = path.exists()
    office = Office(path)
    office.init()
    if reuse:
        devices = [FieldDevice(office, PREFS[code]) for code in list(PREFS)[:4]]
        print(f"reusing {path}")
    else:
        t0 = time.perf_counter()
        devices = build(office, args.projects, args.devices)
        print(f"bulk load: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        with office.engine.begin() as conn:
            counts = reports.rebuild(conn)
        print(f"rebuild-reports: {time.perf_counter() - t0:.1f} s  {counts}")
    with office.engine.connect() as conn:
        pid = conn.execute(sa.select(reports.rm_projects.c.id).limit(1)).scalar()
        print(
            f"dup pairs: {conn.execute(sa.select(sa.func.count()).select_from(reports.rm_dup_pairs)).scalar()}"
        )
    if not reuse:
        Staff(office.engine).add("bench", PASSWORD, "province")
        Staff(office.engine).add("kmbench", PASSWORD, "prefecture", "530100")
    pages = [
        "/console/overview?quarter=2026Q4",
        "/console/projects",
        "/console/projects?industry=I04&big=1&stalled=1",
        f"/console/projects/{pid}",
        "/console/stalled",
        "/console/transfers",
        "/console/duplicates",
        "/console/investors",
    ]
    with ServerThread(office) as server:
        for user in ("bench", "kmbench"):
            c = httpx.Client(base_url=server.url, timeout=60)
            page = c.get("/console/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            c.post("/console/login", data={"csrf": csrf, "username": user, "password": PASSWORD})
            print(
                f"\npage server time, {user} ({'省级' if user == 'bench' else '昆明市'}), {args.repeat} requests each:"
            )
            for path in pages:
                times = []
                for _ in range(args.repeat):
                    r = c.get(path)
                    assert r.status_code in (200, 404), (path, r.status_code)
                    times.append(float(r.headers["server-timing"].split("dur=")[1]))
                med, p95 = statistics.median(times), pct(times, 0.95)
                flag = "" if med <= 300 else "  OVER 300 ms"
                print(f"  {path:<48} median {med:6.1f} ms  p95 {p95:6.1f} ms{flag}")
            c.close()
    # Push overhead of the read-model hook, alternating with and without it.
    rng = random.Random(7)
    with_hook, without = [], []
    hooks = list(service.PUSH_HOOKS)
    for i in range(2 * args.repeat):
        dev = devices[i % len(devices)]
        push_batch(dev, rng)
        on = i % 2 == 0
        service.PUSH_HOOKS[:] = hooks if on else []
        t0 = time.perf_counter()
        dev.push()
        (with_hook if on else without).append((time.perf_counter() - t0) * 1000)
    service.PUSH_HOOKS[:] = hooks
    a, b = statistics.median(with_hook), statistics.median(without)
    print(f"\npush of a 52-op batch: with read model median {a:.1f} ms (p95 {pct(with_hook, 0.95):.1f}), "
          f"without {b:.1f} ms (p95 {pct(without, 0.95):.1f}) → +{100 * (a - b) / b:.0f} %")  # fmt: skip
    office.close()


if __name__ == "__main__":
    main()
