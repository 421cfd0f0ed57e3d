"""Benchmark 客商与拜访 at field scale: 100k companies, 200k people, 1M visits.

The data is generated straight into SQLite with executemany (bench only: no outbox or
field versions, which a real device accumulates over years), including the search index
rows, then the app's own code is timed on it:

    .venv/bin/python bench/bench_contacts.py            # full scale
    ZSAPP_BENCH_SCALE=0.1 .venv/bin/python bench/bench_contacts.py   # quick run
    ZSAPP_BENCH_KEEP=1 …    # keep the generated database (~5 GB at full scale) afterwards

Targets (issue 4): search p95 < 20 ms, open a company page < 50 ms, save a visit < 10 ms,
import a 10k-row CSV < 5 s.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zsapp import search
from zsapp.bootstrap import open_store
from zsapp.security.dbcrypt import connect_with_envelope

SCALE = float(os.environ.get("ZSAPP_BENCH_SCALE", "1"))
N_COMPANIES = int(100_000 * SCALE)
N_PEOPLE = int(200_000 * SCALE)
N_VISITS = int(1_000_000 * SCALE)
RNG = random.Random(4)

CITIES = [
    "北京",
    "上海",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "重庆",
    "天津",
    "武汉",
    "西安",
    "厦门",
    "宁波",
    "无锡",
    "合肥",
    "长沙",
    "郑州",
    "青岛",
    "济南",
    "香港",
    "新加坡",
    "曼谷",
    "万象",
]
PROVINCES = {
    "北京": "北京市",
    "上海": "上海市",
    "深圳": "广东省",
    "广州": "广东省",
    "杭州": "浙江省",
    "南京": "江苏省",
    "苏州": "江苏省",
    "成都": "四川省",
    "重庆": "重庆市",
    "天津": "天津市",
}
REGION = {
    "北京市": "京津冀",
    "天津市": "京津冀",
    "上海市": "长三角",
    "江苏省": "长三角",
    "浙江省": "长三角",
    "广东省": "粤港澳大湾区",
    "四川省": "成渝",
    "重庆市": "成渝",
}
CORES = list("华鑫瑞达恒信泰安融创宏远东方金辉盛天合利博通新锐睿智云海星辰鼎立嘉禾中科海纳百川")
TRADES = [
    "新能源",
    "锂电",
    "光伏",
    "生物医药",
    "数据",
    "智能制造",
    "咖啡",
    "茶业",
    "物流",
    "半导体",
    "农业科技",
    "文旅",
    "电子",
    "新材料",
    "汽车零部件",
    "医疗器械",
    "食品",
    "有色金属",
    "化工",
    "软件",
]
SUFFIX = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司"]
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞斌波宁辉建国志")
NOTES = [
    f"讨论{t}项目落地{c}，对方关注{k}"
    for t in TRADES
    for c in ("滇中新区", "昆明经开区", "玉溪", "曲靖")
    for k in ("电价", "土地", "物流成本", "人才")
]
KINDS = ["外出拜访", "来访接待", "推介会", "签约仪式", "线上洽谈", "电话"]
OUTCOMES = ["无", "初步接触", "有意向", "意向较强", "已签约"]

_ROW_CACHE: dict[tuple[str, bool], tuple] = {}


_NEXT_ROWID = itertools.count(1_000_000)


def _rowid(entity_id: str) -> int:
    """Ascending rowids, as FTS5 gives zsapp.search.index_documents' rows."""
    return next(_NEXT_ROWID)


def index_row(entity_id: str, field: str, text: str, weight: int, person: bool = False) -> tuple:
    key = (text, person)
    cached = _ROW_CACHE.get(key)
    if cached is None:
        norm = search.normalise(text)
        py, ini, keys = search.pinyin_keys(norm, person)
        cached = (text, norm, keys, search.grams(norm), py, ini)
        if len(_ROW_CACHE) < 400_000:
            _ROW_CACHE[key] = cached
    display, norm, keys, grams, py, ini = cached
    return (_rowid(entity_id), entity_id, field, weight, display, norm, keys, grams, py, ini)


FTS_SQL = (
    "INSERT INTO search_{} (rowid, entity_id, field, weight, display, norm, keys, grams, py, ini) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def timed(label: str, fn) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return seconds


def generate(db: Path, device: str) -> tuple[list[str], list[str]]:
    conn = connect_with_envelope(db)  # the device database is SQLCipher (issue 14)
    conn.execute("PRAGMA synchronous = OFF")
    hlc = "0001700000000000-0000-" + device
    sync = (hlc, hlc, device)
    company_ids = [str(uuid.UUID(int=RNG.getrandbits(128))) for _ in range(N_COMPANIES)]
    names = set()
    company_rows, company_docs = [], []
    for cid in company_ids:
        while True:
            city = RNG.choice(CITIES)
            name = city + "".join(RNG.sample(CORES, 2)) + RNG.choice(TRADES) + RNG.choice(SUFFIX)
            if name not in names:
                names.add(name)
                break
        province = PROVINCES.get(city, "")
        company_rows.append(
            (
                cid,
                *sync,
                name,
                province,
                city,
                REGION.get(province, "境外" if city in ("新加坡", "曼谷", "万象") else ""),
                RNG.random() < 0.01,
                RNG.random() < 0.03,
                RNG.random() < 0.05,
                RNG.random() < 0.1,
                RNG.random() < 0.002,
                RNG.randrange(100, 5_000_000),
            )
        )
        company_docs.append(index_row(cid, "name", name, 30))

    def companies():
        conn.executemany(
            "INSERT INTO companies (id, created_at, updated_at, updated_by, name, origin_province, origin_city, "
            "region_tag, is_fortune500, is_china500, is_specialized_giant, is_listed, is_dishonest, revenue_wan) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            company_rows,
        )
        conn.executemany(FTS_SQL.format("companies"), company_docs)

    timed(f"{N_COMPANIES:,} companies + index", lambda: (companies(), conn.commit()))

    person_ids = [str(uuid.UUID(int=RNG.getrandbits(128))) for _ in range(N_PEOPLE)]
    person_company = {}

    def people():
        rows, docs = [], []
        for n, pid in enumerate(person_ids):
            name = RNG.choice(SURNAMES) + "".join(RNG.choices(GIVEN, k=RNG.choice((1, 2))))
            cid = company_ids[n % N_COMPANIES]
            person_company[pid] = cid
            mobile = f"+861{RNG.choice('3589')}{RNG.randrange(10**9):09d}"
            rows.append((pid, *sync, name, cid, mobile))
            docs.append(index_row(pid, "name", name, 30, True))
            docs.append(
                (
                    _rowid(pid),
                    pid,
                    "mobile",
                    12,
                    mobile[3:],
                    mobile[3:],
                    f" {mobile[3:]} ",
                    search.grams(mobile[3:]),
                    "",
                    "",
                )
            )
        conn.executemany(
            "INSERT INTO people (id, created_at, updated_at, updated_by, name, company_id, mobile) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(FTS_SQL.format("people"), docs)

    timed(f"{N_PEOPLE:,} people + index", lambda: (people(), conn.commit()))

    def visits():
        batch = 100_000
        name_of = {row[0]: row[4] for row in company_rows}
        for start in range(0, N_VISITS, batch):
            rows, vc, vp, fu, docs = [], [], [], [], []
            for n in range(start, min(N_VISITS, start + batch)):
                vid = str(uuid.UUID(int=RNG.getrandbits(128)))
                day = f"20{RNG.randrange(19, 27)}-{RNG.randrange(1, 13):02d}-{RNG.randrange(1, 29):02d}T{RNG.randrange(8, 19):02d}:00"
                pid = person_ids[RNG.randrange(N_PEOPLE)]
                cid = person_company[pid]
                city = RNG.choice(CITIES)
                note = RNG.choice(NOTES)
                rows.append((vid, *sync, day, city, RNG.choice(KINDS), note, RNG.choice(OUTCOMES)))
                vc.append((str(uuid.uuid4()), *sync, vid, cid))
                vp.append((str(uuid.uuid4()), *sync, vid, pid))
                if n % 5 == 0:
                    fu.append(
                        (
                            str(uuid.uuid4()),
                            *sync,
                            vid,
                            "寄送园区资料",
                            day[:10],
                            int(day[:4] < "2026"),
                        )
                    )
                docs.append(index_row(vid, "company", name_of[cid], 20))
                docs.append(index_row(vid, "city", city, 10))
                docs.append(index_row(vid, "notes", note, 4))
            conn.executemany(
                "INSERT INTO visits (id, created_at, updated_at, updated_by, visited_at, city, kind, notes, outcome) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            link = "INSERT INTO {} (id, created_at, updated_at, updated_by, visit_id, {}) VALUES (?, ?, ?, ?, ?, ?)"
            conn.executemany(link.format("visit_companies", "company_id"), vc)
            conn.executemany(link.format("visit_people", "person_id"), vp)
            conn.executemany(
                "INSERT INTO followups (id, created_at, updated_at, updated_by, visit_id, text, due_date, done) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                fu,
            )
            conn.executemany(FTS_SQL.format("visits"), docs)
            conn.commit()

    timed(f"{N_VISITS:,} visits + links + follow-ups + index", visits)
    timed("ANALYZE", lambda: (conn.execute("ANALYZE"), conn.commit()))
    conn.close()
    return company_ids, person_ids


def measure(label: str, fn, runs) -> dict:
    times = []
    for arg in runs:
        start = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"  {label:<46} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms   (n={len(times)})",
        flush=True,
    )
    return {"median": statistics.median(times), "p95": p95}


def main() -> None:
    from zsapp.contacts import companies, importer, people, visits

    tmp = Path(tempfile.mkdtemp(prefix="zsapp-bench-"))
    os.environ["ZSAPP_DATA_DIR"] = str(tmp)
    db = tmp / "bench.sqlite3"
    store = open_store(db)
    device = store.device_id
    store.close()
    print(f"Generating data in {db} (scale {SCALE})", flush=True)
    company_ids, person_ids = generate(db, device)
    store = open_store(db)
    print(f"Database: {db.stat().st_size / 1e6:,.0f} MB", flush=True)

    print("Search (what the 客商/拜访 search boxes run)", flush=True)
    queries = [
        "华鑫",
        "新能源",
        "sz",
        "zgyd",
        "shenzhen",
        "锂电有限",
        "昆明",
        "bjhx",
        "guangfu",
        "生物医药股份",
        "瑞达",
        "hxxny",
        "上海",
        "数据科技",
        "cd",
        "yaoye",
        "茶业",
        "bdt",
        "西安",
        "万象",
    ]
    q = [RNG.choice(queries) for _ in range(200)]
    s1 = measure(
        "companies.search_companies (top 20)", lambda x: companies.search_companies(store, x, 20), q
    )
    s2 = measure(
        "company list first page with query (UI model)",
        lambda x: companies.list_companies(store, companies.CompanyFilter(query=x), limit=50),
        q,
    )
    pq = [
        RNG.choice(["王伟", "wangwei", "lf", "张", "13", "陈静", "cj", "李娜", "ln", "zhaomin"])
        for _ in range(200)
    ]
    s3 = measure("people.search_people (top 20)", lambda x: people.search_people(store, x, 20), pq)
    vq = [
        RNG.choice(["电价", "土地", "新能源", "深圳", "玉溪", "dj", "华鑫", "锂电"])
        for _ in range(100)
    ]
    s4 = measure(
        "visit list first page with query (UI model)",
        lambda x: visits.list_visits(store, x, limit=50),
        vq,
    )

    print("Lists (first page and deep scroll, sorted/filtered in SQL)", flush=True)
    measure(
        "companies page 1 sorted by name",
        lambda _: companies.list_companies(store, limit=200),
        range(20),
    )
    measure(
        "companies page at offset 50,000",
        lambda _: companies.list_companies(store, limit=200, offset=int(50_000 * SCALE)),
        range(10),
    )
    deep = companies.list_companies(store, limit=1, offset=int(50_000 * SCALE) - 1)[0]
    measure(
        "next page after row 50,000 (keyset, UI scroll)",
        lambda _: companies.list_companies(store, limit=200, offset=1, after=deep),
        range(10),
    )
    measure(
        "companies sorted by revenue desc",
        lambda _: companies.list_companies(store, sort="revenue_wan", descending=True, limit=200),
        range(10),
    )
    measure(
        "filter 长三角 + 专精特新",
        lambda _: companies.list_companies(
            store,
            companies.CompanyFilter(region_tag="长三角", flags=["is_specialized_giant"]),
            limit=200,
        ),
        range(10),
    )
    measure(
        "count with filter (status line)",
        lambda _: companies.count_companies(store, companies.CompanyFilter(region_tag="长三角")),
        range(10),
    )
    measure(
        "visits page 1 (newest first)", lambda _: visits.list_visits(store, limit=200), range(20)
    )
    measure(
        "follow-ups due within 7 days (首页)",
        lambda _: visits.list_followups(store, due_within=7),
        range(10),
    )

    print("Company page", flush=True)
    sample = RNG.sample(company_ids, 100)
    page = measure(
        "open company (detail: people, visits, attachments)",
        lambda cid: companies.as_json(store, companies.get_company(store, cid), detail=True),
        sample,
    )

    print("Save a visit (1 company, 1 person, 1 follow-up, search index)", flush=True)
    pairs = [
        (person_ids[n], company_ids[n % len(company_ids)])
        for n in RNG.sample(range(len(person_ids)), 100)
    ]
    save = measure(
        "visits.create_visit",
        lambda pc: visits.create_visit(
            store,
            {
                "notes": "讨论在滇中新区建设电池厂，对方关注电价",
                "city": "上海",
                "outcome": "有意向",
            },
            companies=[pc[1]],
            people=[pc[0]],
            followups=["寄送资料@2026-12-01"],
        ),
        pairs,
    )

    print("Import a 10k-row CSV (GBK, companies + contacts)", flush=True)
    csv_path = tmp / "import.csv"
    lines = ["企业名称,统一社会信用代码,省份,城市,联系人,职务,手机,邮箱"]
    for n in range(10_000):
        lines.append(
            f"导入测试{n:05d}号{RNG.choice(TRADES)}有限公司,,江苏省,苏州市,{RNG.choice(SURNAMES)}{RNG.choice(GIVEN)},"
            f"经理,139{n:08d},u{n}@example.com"
        )
    csv_path.write_bytes("\n".join(lines).encode("gbk"))
    imports = []
    for label in ("first import", "re-import (no duplicates)"):
        start = time.perf_counter()
        report = importer.import_file(store, csv_path)
        imports.append(time.perf_counter() - start)
        print(f"  {label:<46} {imports[-1]:7.2f} s   ({report.summary()})", flush=True)

    print(
        "\nSummary (targets: search p95 < 20 ms, company page < 50 ms, save visit < 10 ms, import 10k < 5 s)"
    )
    print(
        f"  search p95: companies {s1['p95']:.1f} ms, company list {s2['p95']:.1f} ms, people {s3['p95']:.1f} ms, "
        f"visits {s4['p95']:.1f} ms"
    )
    print(f"  open company page median {page['median']:.1f} ms (p95 {page['p95']:.1f})")
    print(f"  save visit median {save['median']:.1f} ms (p95 {save['p95']:.1f})")
    print(f"  import 10k rows {imports[0]:.2f} s, re-import {imports[1]:.2f} s")
    store.close()
    if not os.environ.get("ZSAPP_BENCH_KEEP"):  # the database is ~5 GB at full scale
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
