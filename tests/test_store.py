"""Store: migrations, newer-database refusal, sync-ready writes, transactions."""

import shutil
import sqlite3

import pytest

from zsapp.store import (
    DatabaseTooNewError,
    Store,
    StoreError,
    latest_schema_version,
    list_migrations,
)

USER_TABLE = """
CREATE TABLE notes_for_test (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT ''
)
"""


def test_fresh_database_gets_all_migrations_wal_and_foreign_keys(db_path):
    with Store(db_path) as store:
        assert store.schema_version == latest_schema_version() >= 1
        assert store.journal_mode == "wal"
        assert store.scalar("PRAGMA foreign_keys") == 1
        assert len(store.device_id) == 32


def test_migrates_from_every_earlier_version(tmp_path):
    migrations = list_migrations()
    for stop in range(1, len(migrations)):
        path = tmp_path / f"v{stop}.sqlite3"
        conn = sqlite3.connect(path)
        for number, script in migrations[:stop]:
            conn.executescript(script.read_text(encoding="utf-8"))
            conn.execute(f"PRAGMA user_version = {number}")
        conn.close()
        with Store(path) as store:
            assert store.schema_version == len(migrations)
        # the pre-migration backup exists and is at the old version
        backup = path.with_name(f"{path.name}.before-v{stop + 1}.bak")
        assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == stop


def test_refuses_database_newer_than_the_app_without_touching_it(db_path):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {latest_schema_version() + 1}")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="请升级"):
        Store(db_path)
    assert db_path.read_bytes() == before


def test_broken_migration_rolls_back_and_keeps_data(tmp_path, monkeypatch, db_path):
    with Store(db_path) as store:
        store.set_setting("keep.me", "值")
        version = store.schema_version
    bad_dir = tmp_path / "migrations"
    shutil.copytree(list_migrations()[0][1].parent, bad_dir)
    (bad_dir / f"{version + 1:04d}_broken.sql").write_text(
        "CREATE TABLE half_done (x);\nTHIS IS NOT SQL;", encoding="utf-8"
    )
    monkeypatch.setattr("zsapp.paths.migrations_dir", lambda: bad_dir)
    with pytest.raises(StoreError, match="升级"):
        Store(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0]
        == 0
    )
    assert conn.execute("SELECT value FROM settings WHERE key = 'keep.me'").fetchone()[0] == '"值"'


@pytest.fixture
def notes(store):
    store.execute(USER_TABLE)
    return store


def test_insert_sets_uuid_hlc_device_and_records_outbox(notes):
    row_id = notes.insert("notes_for_test", {"title": "拜访昆明", "body": "x"})
    row = notes.get("notes_for_test", row_id)
    assert len(row_id) == 36 and row_id.count("-") == 4
    assert row["updated_by"] == notes.device_id and row["deleted"] == 0
    assert row["updated_at"].endswith(notes.device_id)
    fields = {
        r["field"] for r in notes.query("SELECT field FROM outbox WHERE row_id = ?", (row_id,))
    }
    assert {"title", "body", "deleted"} <= fields


def test_update_writes_only_changed_fields_with_later_hlc(notes):
    row_id = notes.insert("notes_for_test", {"title": "a", "body": "b"})
    before = notes.get("notes_for_test", row_id)
    pending = notes.pending_changes()
    after = notes.update("notes_for_test", row_id, {"title": "新标题", "body": "b"})
    assert after["title"] == "新标题" and after["updated_at"] > before["updated_at"]
    assert notes.pending_changes() == pending + 1
    assert (
        notes.update("notes_for_test", row_id, {"title": "新标题"})["updated_at"]
        == after["updated_at"]
    )


def test_delete_is_a_tombstone(notes):
    row_id = notes.insert("notes_for_test", {"title": "要删除"})
    notes.delete("notes_for_test", row_id)
    assert notes.get("notes_for_test", row_id) is None
    assert notes.get("notes_for_test", row_id, include_deleted=True)["deleted"] == 1
    assert (
        notes.count("notes_for_test") == 0
        and notes.count("notes_for_test", include_deleted=True) == 1
    )


def test_failed_transaction_leaves_nothing_behind(notes):
    kept = notes.insert("notes_for_test", {"title": "已保存"})
    outbox_before = notes.pending_changes()
    with pytest.raises(RuntimeError):
        with notes.transaction():
            notes.insert("notes_for_test", {"title": "半途"})
            notes.update("notes_for_test", kept, {"title": "改了一半"})
            raise RuntimeError("crash mid-write")
    assert notes.count("notes_for_test") == 1
    assert notes.get("notes_for_test", kept)["title"] == "已保存"
    assert notes.pending_changes() == outbox_before


def test_device_id_and_clock_persist_across_reopen(db_path):
    with Store(db_path) as first:
        device = first.device_id
        first.set_setting("x", 1)
        last = first.clock.peek()
    with Store(db_path) as second:
        assert second.device_id == device
        assert second.clock.now().pack() > last


def test_unopenable_file_gives_clear_message(tmp_path):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(StoreError, match="无法打开数据库"):
        Store(bad)
