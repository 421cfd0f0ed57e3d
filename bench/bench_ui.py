"""UI responsiveness at field scale (issue 10): 100k companies, 200k people, 1M visits.

    .venv/bin/python bench/bench_ui.py
    ZSAPP_BENCH_SCALE=0.1 …          # quick run
    ZSAPP_BENCH_DB=/tmp/ui.sqlite3 …  # reuse (or keep) the generated database (~4 GB)

Measured on real widgets (offscreen), medians / p95, each against a bare-library baseline:

1. 客商 keystroke end to end: text → query → first page → exact count → paint, for every
   prefix of typical queries (the first pinyin letter reported on its own);
   baseline: the same FTS5 query with bare sqlite3 and a bare QTableView repaint.
2. Switching to 首页 and refreshing it after a change; baseline: a bare QStackedWidget switch.
3. Start to first paint vs a bare PySide6 window (same machine, same run); `zsapp --version`.
4. Scrolling the 1M-row 拜访 list to the end: memory growth.
5. Longest UI-thread stall (gap between 5 ms timer ticks) during a background 10k-row
   import and a background 50k-record initial sync.
6. Initial sync time for 10k and 50k records (linear: 50k ≤ 5.5 × 10k).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TMP = Path(tempfile.mkdtemp(prefix="zsapp-benchui-"))
os.environ["ZSAPP_DATA_DIR"] = str(TMP / "data")

SCALE = float(os.environ.get("ZSAPP_BENCH_SCALE", "1"))
RESULTS: dict[str, str] = {}


def stats(label: str, times_ms: list[float]) -> tuple[float, float]:
    times = sorted(times_ms)
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"  {label:<52} median {median:7.2f} ms   p95 {p95:7.2f} ms   (n={len(times)})", flush=True
    )
    return median, p95


def fmt(median: float, p95: float) -> str:
    return f"{median:.1f} / {p95:.1f} ms"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


# -- database --------------------------------------------------------------------------
def prepare_db() -> Path:
    import bench_contacts

    from zsapp import search
    from zsapp.bootstrap import open_store

    wanted = os.environ.get("ZSAPP_BENCH_DB")
    db = Path(wanted) if wanted else TMP / "bench.sqlite3"
    if db.exists():
        print(f"Reusing {db}", flush=True)
    else:
        store = open_store(db)
        device = store.device_id
        store.close()
        print(f"Generating {db} (scale {SCALE})", flush=True)
        bench_contacts.generate(db, device)
        store = open_store(db)
        with store.transaction():  # the generator writes the index rows directly
            search.rebuild_entity_index(store, "companies")
        store.close()
    return db


# -- 1. 客商 keystroke -------------------------------------------------------------------
QUERIES = ["华鑫", "hxxny", "深圳", "shenzhen", "zgyd", "新能源", "上海数据", "bjhx", "cd", "瑞达"]
QUERIES += ["guangfu", "锂电有限", "syyy", "茶业", "华", "s", "z", "hx", "yaoye", "苏州"]


def bench_keystroke(window, store) -> None:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QTableView

    from zsapp import search

    page = window.show_page("companies")
    QApplication.processEvents()
    all_times, first_letter = [], []
    for _ in range(2):
        for word in QUERIES:
            for n in range(1, len(word) + 1):
                text = word[:n]
                start = time.perf_counter()
                page.search_box.setText(text)
                page.apply_filter()
                page.table.viewport().repaint()
                page.status.repaint()
                ms = (time.perf_counter() - start) * 1000
                all_times.append(ms)
                if n == 1 and text.isascii():
                    first_letter.append(ms)
            page.search_box.clear()
            page.apply_filter()
    print("客商 keystroke end to end (query, first page, exact count, paint)")
    RESULTS["keystroke"] = fmt(*stats("all prefixes", all_times))
    RESULTS["first letter"] = fmt(*stats("first pinyin letter (h, z, s, …)", first_letter))

    page.search_box.setText("华")
    page.apply_filter()
    truth = store.scalar(
        "SELECT count(DISTINCT entity_id) FROM search_companies WHERE search_companies MATCH ?",
        (search.match_expression("华"),),
    )
    print(f"  status for 华: {page.status.text()!r}; distinct matching companies: {truth:,}")
    RESULTS["count 华"] = f"{page.status.text()} (truth {truth:,})"
    page.search_box.clear()
    page.apply_filter()

    conn = sqlite3.connect(store.path)
    model = QStandardItemModel(50, 8)
    for r in range(50):
        for c in range(8):
            model.setItem(r, c, QStandardItem(f"企业{r}"))
    view = QTableView()
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    QApplication.processEvents()
    base = []
    for word in QUERIES * 2:
        for n in range(1, len(word) + 1):
            expr = search.match_expression(word[:n])
            start = time.perf_counter()
            conn.execute(
                "SELECT rowid, display FROM search_companies WHERE search_companies MATCH ? LIMIT 50",
                (expr,),
            ).fetchall()
            view.viewport().repaint()
            base.append((time.perf_counter() - start) * 1000)
    RESULTS["keystroke baseline"] = fmt(
        *stats("baseline: bare sqlite3 FTS5 LIMIT 50 + bare view repaint", base)
    )
    view.close()
    conn.close()


# What saving a visit writes (so what a save makes the pages showing it refresh).
VISIT_SAVE_TABLES = frozenset(
    {
        "visits",
        "visit_companies",
        "visit_people",
        "followups",
        "search_visits",
        "outbox",
        "field_versions",
    }
)


# -- 2. 首页 -------------------------------------------------------------------------------
def bench_home(window, ctx) -> None:
    from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget

    switch, refresh = [], []
    for _ in range(30):
        window.show_page("companies")
        QApplication.processEvents()
        start = time.perf_counter()
        window.show_page("home")
        window.repaint()
        switch.append((time.perf_counter() - start) * 1000)
    for _ in range(30):
        start = time.perf_counter()
        ctx.data_changed.emit(VISIT_SAVE_TABLES)
        window.repaint()
        refresh.append((time.perf_counter() - start) * 1000)
    print("首页")
    RESULTS["home switch"] = fmt(*stats("switch to 首页 (and paint)", switch))
    RESULTS["home refresh"] = fmt(*stats("refresh after a visit save (and paint)", refresh))
    stack = QStackedWidget()
    for k in range(8):
        stack.addWidget(QLabel(f"页面{k}"))
    stack.resize(1200, 760)
    stack.show()
    QApplication.processEvents()
    base = []
    for k in range(30):
        start = time.perf_counter()
        stack.setCurrentIndex(k % 8)
        stack.repaint()
        base.append((time.perf_counter() - start) * 1000)
    RESULTS["home baseline"] = fmt(*stats("baseline: bare QStackedWidget switch", base))
    stack.close()


# -- 3. start-up -------------------------------------------------------------------------
APP_FIRST_PAINT = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from ui.app import build_window, create_app
app = create_app(["bench"])
w = build_window(ask_profile=False)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            print("painted", flush=True); sys.stdout.flush(); import os; os._exit(0)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""
BARE_FIRST_PAINT = """
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(["bench"])
w = QWidget(); w.resize(1200, 760)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            print("painted", flush=True); import os; os._exit(0)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""


def _timed_run(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert out.returncode == 0, out.stderr[-2000:]
    return elapsed


def bench_startup() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZSAPP_DATA_DIR": str(TMP / "startup")}
    py = sys.executable
    _timed_run([py, "-c", APP_FIRST_PAINT], env)  # first run creates the database
    app, bare, version = [], [], []
    for _ in range(5):
        app.append(_timed_run([py, "-c", APP_FIRST_PAINT], env) * 1000)
        bare.append(_timed_run([py, "-c", BARE_FIRST_PAINT], env) * 1000)
        version.append(_timed_run([py, "-m", "zsapp", "--version"], env) * 1000)
    print("Start-up (process start to first paint)")
    a, _ = stats("招商助手 main window", app)
    b, _ = stats("baseline: bare PySide6 window", bare)
    print(f"  ratio {a / b:.2f}× (target ≤ 3×)")
    RESULTS["first paint"] = f"{a:.0f} ms = {a / b:.2f}× bare ({b:.0f} ms)"
    v, vp = stats("zsapp --version", version)
    RESULTS["--version"] = f"{v:.0f} / {vp:.0f} ms"


# -- 4. scrolling ------------------------------------------------------------------------
def bench_scroll(window) -> None:
    from PySide6.QtWidgets import QApplication

    page = window.show_page("visits")
    QApplication.processEvents()
    bar = page.table.verticalScrollBar()
    before = rss_mb()
    start = time.perf_counter()
    steps = 400
    for k in range(steps + 1):
        bar.setValue(bar.maximum() * k // steps)
        page.table.viewport().repaint()
    page.table.scrollToBottom()
    page.table.viewport().repaint()
    seconds = time.perf_counter() - start
    last = page.model.index(page.model.rowCount() - 1, 0).data()
    grown = rss_mb() - before
    print("Scroll the 拜访 list to the end")
    print(
        f"  {page.model.rowCount():,} rows, {steps} jumps in {seconds:.1f} s, last row {last!r}, "
        f"rows held {page.model.loaded_rows()}, memory +{grown:.1f} MB (target ≤ 50 MB)"
    )
    RESULTS["scroll 1M"] = f"+{grown:.1f} MB ({page.model.rowCount():,} rows)"


# -- 5. stalls ---------------------------------------------------------------------------
class Ticks:
    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.last = time.perf_counter()
        self.gaps: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last = now


def _background(ctx, work, db=True) -> tuple[object, float, float]:
    from PySide6.QtWidgets import QApplication

    done: list = []
    ticks = Ticks()
    start = time.perf_counter()
    ctx.tasks.run(work, done.append, done.append, db=db)
    while not done:
        QApplication.processEvents()
        time.sleep(0.001)
    QApplication.processEvents()
    ticks.timer.stop()
    return done[0], max(ticks.gaps), time.perf_counter() - start


def bench_import_stall(window, ctx) -> None:
    from zsapp.contacts import importer

    window.show_page("companies")
    csv_path = TMP / "import.csv"
    lines = ["企业名称,统一社会信用代码,省份,城市,联系人,职务,手机,邮箱"]
    lines += [
        f"导入测试{n:05d}号新材料有限公司,,江苏省,苏州市,王{n},经理,139{n:08d},u{n}@example.com"
        for n in range(10_000)
    ]
    csv_path.write_bytes("\n".join(lines).encode("gbk"))
    report, gap, seconds = _background(ctx, lambda: importer.import_file(ctx.store, csv_path))
    assert not isinstance(report, BaseException), report
    print("UI-thread stalls (longest gap between 5 ms timer ticks)")
    print(f"  10k-row import in the background ({seconds:.1f} s): longest gap {gap:.1f} ms")
    RESULTS["stall import 10k"] = f"{gap:.1f} ms"


def bench_initial_sync() -> None:
    """Initial sync of 10k and 50k records to a new device, and the UI stall during 50k."""
    from test_sync_support import Device, make_office

    from ui.context import AppContext
    from zsapp.bootstrap import open_store
    from zsapp.office.server import ServerThread
    from zsapp.sync import client as sync_client

    seconds = {}
    gap_50k = None
    for n in (10_000, 50_000):
        root = TMP / f"sync{n}"
        root.mkdir()
        office = make_office(root)
        office.add_officer("甲", "昆明市")
        office.add_officer("乙", "昆明市")
        with ServerThread(office) as server:
            source = Device(root / "source.sqlite3")
            source.enroll(office, server.url, "甲")
            with source.store.transaction():
                for k in range(n):
                    source.store.insert(
                        "companies",
                        {
                            "name": f"同步测试{k:05d}有限公司",
                            "origin_province": "广东省",
                            "revenue_wan": k,
                        },
                    )
            sync_client.sync_now(source.store)
            source.close()
            fresh = open_store(root / "fresh.sqlite3")
            sync_client.enroll(fresh, server.url, office.create_enrollment("乙")["code"])
            if n == 50_000:
                from ui.main_window import MainWindow

                ctx = AppContext(fresh, root / "ui.ini")
                window = MainWindow(ctx)
                window.show()
                window.show_page("companies")
                result, gap_50k, took = _background(
                    ctx, lambda store=fresh: sync_client.sync_now(store), db=False
                )
                window.close()
            else:
                start = time.perf_counter()
                result = sync_client.sync_now(fresh)
                took = time.perf_counter() - start
            assert not isinstance(result, BaseException), result
            assert fresh.count("companies") == n
            seconds[n] = took
            fresh.close()
        office.close()
    ratio = seconds[50_000] / seconds[10_000]
    print("Initial sync to a new device")
    print(
        f"  10k records {seconds[10_000]:.2f} s, 50k records {seconds[50_000]:.2f} s: ×{ratio:.2f} (target ≤ 5.5)"
    )
    print(f"  50k-record initial sync in the background: longest UI gap {gap_50k:.1f} ms")
    RESULTS["initial sync"] = (
        f"10k {seconds[10_000]:.2f} s, 50k {seconds[50_000]:.2f} s (×{ratio:.2f})"
    )
    RESULTS["stall sync 50k"] = f"{gap_50k:.1f} ms"


def main() -> None:
    from ui.app import create_app
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from zsapp.bootstrap import open_store

    db = prepare_db()
    app = create_app(["bench"])
    store = open_store(db)
    print(
        f"Database: {store.count('companies'):,} companies, {store.count('people'):,} people, "
        f"{store.count('visits'):,} visits",
        flush=True,
    )
    ctx = AppContext(store, TMP / "ui.ini")
    window = MainWindow(ctx)
    window.resize(1200, 760)
    window.show()
    app.processEvents()
    bench_keystroke(window, store)
    bench_home(window, ctx)
    bench_scroll(window)
    bench_import_stall(window, ctx)
    window.close()
    ctx.tasks.wait()
    store.close()
    bench_startup()
    bench_initial_sync()
    print("\nSummary (median / p95)")
    for key, value in RESULTS.items():
        print(f"  {key:<20} {value}")
    if not os.environ.get("ZSAPP_BENCH_DB"):
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
