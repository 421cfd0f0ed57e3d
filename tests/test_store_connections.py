"""Store connections: the UI thread reads committed snapshots, never waits for the writer,
never sees uncommitted rows; committed transactions announce the tables they wrote."""

from __future__ import annotations

import threading
import time

import pytest

from zsapp.contacts import companies
from zsapp.store import StoreError, written_tables


def _hold_write_open(store, name: str, release: threading.Event, written: threading.Event):
    def work() -> None:
        try:
            with store.transaction():
                companies.create_company(store, {"name": name}, allow_similar=True)
                written.set()
                release.wait(10)
        except Exception:  # the test reads ``written`` and the row count
            written.set()
            raise

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_ui_read_during_open_write_is_fast_and_sees_only_committed_rows(store):
    companies.create_company(store, {"name": "已提交铝业有限公司"})
    release, written = threading.Event(), threading.Event()
    writer = _hold_write_open(store, "未提交锗业有限公司", release, written)
    try:
        assert written.wait(10)
        timings = []
        for _ in range(20):
            start = time.perf_counter()
            names = [r["name"] for r in store.query("SELECT name FROM companies")]
            hits = [h.display for h in store.search("companies", "锗业")]
            count = companies.count_companies(store, companies.CompanyFilter(query="业"))
            timings.append(time.perf_counter() - start)
        assert names == ["已提交铝业有限公司"]
        assert hits == []
        assert count == 1
        # The writer holds its transaction open the whole time; before, these reads
        # waited for it (2 s). Generous margin for a loaded machine.
        assert sorted(timings)[len(timings) // 2] < 0.02, timings
    finally:
        release.set()
        writer.join(10)
    assert {r["name"] for r in store.query("SELECT name FROM companies")} == {
        "已提交铝业有限公司",
        "未提交锗业有限公司",
    }
    assert [h.display for h in store.search("companies", "锗业")] == ["未提交锗业有限公司"]


def test_writer_thread_reads_its_own_uncommitted_rows(store):
    with store.transaction():
        cid = companies.create_company(store, {"name": "自己看得见有限公司"})
        assert store.get("companies", cid)["name"] == "自己看得见有限公司"
        assert [h.entity_id for h in store.search("companies", "看得见")] == [cid]


def test_snapshot_keeps_one_view_for_several_reads(store):
    with store.snapshot():
        before = store.count("companies")
        done = threading.Event()

        def write() -> None:
            companies.create_company(store, {"name": "快照之后有限公司"})
            done.set()

        threading.Thread(target=write).start()
        assert done.wait(10)
        assert store.count("companies") == before
    assert store.count("companies") == before + 1


def test_listeners_get_touched_tables_after_commit_and_nothing_after_rollback(store):
    seen: list[frozenset[str]] = []
    in_transaction: list[bool] = []

    def listener(tables):
        seen.append(tables)
        # called after COMMIT: another connection already sees the row
        in_transaction.append(store.count("companies") == 0)

    unsubscribe = store.subscribe(listener)
    with store.transaction():
        companies.create_company(store, {"name": "通知测试有限公司"})
        assert seen == []  # nothing before the outer commit
    assert len(seen) == 1
    assert {"companies", "outbox", "search_companies"} <= seen[0]
    assert "people" not in seen[0] and "settings" not in seen[0]
    assert in_transaction == [False]

    with pytest.raises(RuntimeError), store.transaction():
        companies.create_company(store, {"name": "回滚测试有限公司"})
        raise RuntimeError("undo")
    assert len(seen) == 1
    assert store.count("companies") == 1

    store.set_setting("ui.x", 1)
    assert seen[-1] == frozenset({"settings"})
    unsubscribe()
    companies.create_company(store, {"name": "退订之后有限公司"})
    assert len(seen) == 2


def test_a_failing_listener_does_not_undo_the_commit(store):
    store.subscribe(lambda tables: 1 / 0)
    cid = companies.create_company(store, {"name": "监听出错有限公司"})
    assert store.get("companies", cid) is not None


def test_reads_cannot_write_and_transactions_are_not_hand_made(store):
    with pytest.raises(Exception, match="readonly"):
        store.rows("DELETE FROM companies")
    with pytest.raises(StoreError):
        store.execute("BEGIN")


def test_written_tables_parses_write_targets():
    assert written_tables(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    ) == frozenset({"settings"})
    assert written_tables("UPDATE [companies] SET name = ?") == frozenset({"companies"})
    assert written_tables("DELETE FROM search_people WHERE rowid = ?") == {"search_people"}
    assert written_tables("INSERT OR REPLACE INTO drafts VALUES (?)") == {"drafts"}
    assert written_tables("SELECT * FROM companies") == frozenset()
