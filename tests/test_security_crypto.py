"""Encryption at rest (issue 14): the database through SQLCipher, attachments and backups
AES-GCM, keys from a passphrase (Argon2id) or the OS key store, plain files converted."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import stat

import pytest
from conftest import TEST_PASSPHRASE, fast_key_source

from zsapp.bootstrap import open_store
from zsapp.contacts import attachments, companies, people
from zsapp.security import blobs, dbcrypt, files, keys
from zsapp.security.errors import SecurityError, WrongKeyError
from zsapp.store import Store, list_migrations

SECRET_COMPANY = "滇池秘密咖啡集团有限公司"
SECRET_MOBILE = "13987654321"


def strings_in(directory) -> bytes:
    """Everything readable in every file under ``directory`` (like ``strings``), also as
    UTF-16 in case a driver wrote it so."""
    out = b""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            out += path.read_bytes()
    return out


def assert_absent(blob: bytes, *texts: str) -> None:
    for text in texts:
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert text.encode(encoding) not in blob, (text, encoding)


def add_secret_records(store, tmp_path):
    cid = companies.create_company(store, {"name": SECRET_COMPANY})
    people.create_person(store, {"name": "王秘密", "company_id": cid, "mobile": SECRET_MOBILE})
    src = tmp_path / "纪要.txt"
    src.write_text(f"拜访纪要：{SECRET_COMPANY} 投资意向 12 亿", encoding="utf-8")
    attachments.add_attachment(store, "companies", cid, src)
    src.unlink()
    return cid


def test_fresh_install_files_hold_no_plaintext_of_a_record(store, data_dir, tmp_path):
    add_secret_records(store, tmp_path)
    assert companies.search_companies(store, "滇池秘密")[0]["name"] == SECRET_COMPANY
    # WAL and all: look at the files while open and after close.
    assert_absent(strings_in(data_dir), SECRET_COMPANY, SECRET_MOBILE, "王秘密", "投资意向")
    store.close()
    blob = strings_in(data_dir)
    assert_absent(blob, SECRET_COMPANY, SECRET_MOBILE, "王秘密", "投资意向")
    assert not (data_dir / "zsapp.sqlite3").read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(data_dir / "zsapp.sqlite3").execute("SELECT * FROM companies")


def test_files_and_folders_are_user_only(store, data_dir, tmp_path):
    add_secret_records(store, tmp_path)
    store.close()
    seen = 0
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
        seen += 1
    assert seen >= 6  # db, -wal/-shm or not, keys, attachments dir, blob


def test_wrong_passphrase_gives_a_clear_message_and_changes_nothing(data_dir, tmp_path):
    path = data_dir / "zsapp.sqlite3"
    with open_store(path) as s:
        companies.create_company(s, {"name": SECRET_COMPANY})
    before = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    wrong = keys.PassphraseSource("not the passphrase")
    with pytest.raises(WrongKeyError, match=r"口令不正确.*未作任何改动"):
        Store(path, key_source=wrong)
    after = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    assert after == before
    # The right one still opens it with everything there.
    with Store(path, key_source=keys.PassphraseSource(TEST_PASSPHRASE)) as s:
        assert s.scalar("SELECT name FROM companies") == SECRET_COMPANY


def test_a_replaced_key_file_is_refused_without_touching_the_database(data_dir):
    path = data_dir / "zsapp.sqlite3"
    Store(path).close()
    other = tmp = data_dir / "other.sqlite3"
    Store(tmp).close()
    keys.envelope_path(path).write_bytes(keys.envelope_path(other).read_bytes())
    before = path.read_bytes()
    with pytest.raises(WrongKeyError, match="不匹配"):
        Store(path)
    assert path.read_bytes() == before


def test_plain_database_is_converted_on_first_start_every_record_kept(tmp_path, data_dir):
    path = data_dir / "legacy.sqlite3"
    conn = sqlite3.connect(path)
    migrations = list_migrations()
    for number, script in migrations[:7]:  # a database from before this round
        conn.executescript(script.read_text(encoding="utf-8"))
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute(
        "INSERT INTO devices (id, name, created_at, is_self) VALUES ('d' || hex(randomblob(15)), '', '', 1)"
    )
    names = [f"{SECRET_COMPANY}{i:03d}" for i in range(120)]
    conn.executemany(
        "INSERT INTO companies (id, created_at, updated_at, updated_by, name) VALUES (?, 'x', 'x', 'd', ?)",
        [(hashlib.md5(n.encode()).hexdigest(), n) for n in names],
    )
    conn.commit()
    plain_rows = conn.execute("SELECT * FROM companies ORDER BY id").fetchall()
    conn.close()
    assert SECRET_COMPANY.encode() in path.read_bytes()

    with Store(path) as s:
        assert s.scalar("SELECT count(*) FROM companies") == 120
        got = s.rows(
            f"SELECT {', '.join(c for c in ('id', 'created_at', 'updated_at', 'updated_by', 'deleted', 'name'))} "
            "FROM companies ORDER BY id"
        )
        keys_now = s.keys
    assert [tuple(r) for r in got] == [
        tuple(r[i] for i in range(6)) for r in plain_rows
    ]  # same ids, stamps and names
    # like `strings`: no company name anywhere in the data directory any more
    assert_absent(strings_in(data_dir), SECRET_COMPANY)
    # the backup of the original is kept, encrypted, and decrypts to the original rows
    backup = dbcrypt.plain_backup_path(path)
    restored = tmp_path / "restored.sqlite3"
    files.decrypt_file(keys_now.files, backup, restored)
    assert (
        sqlite3.connect(restored).execute("SELECT * FROM companies ORDER BY id").fetchall()
        == plain_rows
    )


def test_file_encryption_round_trips_and_detects_truncation_and_tampering():
    master = os.urandom(32)
    for size in (0, 1, 1000, 4096, 4097, 3 * 4096):
        data = os.urandom(size)
        out = io.BytesIO()
        files.encrypt_stream(master, io.BytesIO(data), out, chunk=4096)
        sealed = out.getvalue()
        back = io.BytesIO()
        files.decrypt_stream(master, io.BytesIO(sealed), back)
        assert back.getvalue() == data
        if size > 4096:  # drop the last chunk: refused, not a shorter file
            cut = sealed[: files.HEADER_LEN + 4096 + files.TAG]
            with pytest.raises(SecurityError, match="损坏"):
                files.decrypt_stream(master, io.BytesIO(cut), io.BytesIO())
        if size:
            bad = bytearray(sealed)
            bad[-1] ^= 1
            with pytest.raises(SecurityError, match="损坏"):
                files.decrypt_stream(master, io.BytesIO(bytes(bad)), io.BytesIO())
    with pytest.raises(SecurityError):
        files.decrypt_bytes(os.urandom(32), files.encrypt_bytes(master, b"x"))


def test_encrypted_reader_seeks_like_a_file(tmp_path):
    master = os.urandom(32)
    data = os.urandom(3 * (1 << 20) + 123)
    src = tmp_path / "a.bin"
    src.write_bytes(data)
    files.encrypt_file(master, src, tmp_path / "a.enc")
    with files.EncryptedReader(master, tmp_path / "a.enc") as fh:
        assert fh.size == len(data)
        fh.seek(len(data) // 2)
        assert fh.read(2 << 20) == data[len(data) // 2 : len(data) // 2 + (2 << 20)]
        fh.seek(0)
        assert fh.read() == data


class MemoryKeyring:
    """An OS key store stand-in (there is no Secret Service on CI): keyring's backend
    interface over a dict."""

    priority = 1

    def __init__(self):
        self.items = {}

    def set_password(self, service, user, secret):
        self.items[service, user] = secret

    def get_password(self, service, user):
        return self.items.get((service, user))

    def delete_password(self, service, user):
        self.items.pop((service, user), None)


def test_keyring_source_keeps_the_key_in_the_key_store(data_dir, tmp_path):
    ring = MemoryKeyring()
    path = tmp_path / "k.sqlite3"
    with Store(path, key_source=keys.KeyringSource(ring)) as s:
        companies.create_company(s, {"name": SECRET_COMPANY})
    envelope = keys.read_envelope(path)
    assert envelope["source"] == "keyring" and "wrapped" not in envelope
    assert len(ring.items) == 1
    with Store(path, key_source=keys.KeyringSource(ring)) as s:
        assert s.scalar("SELECT name FROM companies") == SECRET_COMPANY
    ring.items.clear()  # e.g. another OS user
    with pytest.raises(WrongKeyError, match="系统密钥库"):
        Store(path, key_source=keys.KeyringSource(ring))


def test_keyring_fail_backend_is_not_used():
    from keyring.backends import fail

    assert not keys.KeyringSource.usable(fail.Keyring())
    assert keys.KeyringSource.usable(MemoryKeyring())


def test_headless_start_without_passphrase_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.ENV_PASSPHRASE)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SecurityError, match="ZSAPP_PASSPHRASE"):
        keys.terminal_prompt(creating=False)


def test_new_passphrase_must_be_long_enough(tmp_path):
    with pytest.raises(SecurityError, match="太短"):
        Store(tmp_path / "s.sqlite3", key_source=keys.PassphraseSource("short"))
    assert not (tmp_path / "s.sqlite3").exists()
    assert not keys.envelope_path(tmp_path / "s.sqlite3").exists()


def test_legacy_plain_attachments_are_encrypted_at_start(store, data_dir):
    content = f"旧版本附件 {SECRET_COMPANY}".encode()
    sha = hashlib.sha256(content).hexdigest()
    path = blobs.blob_path(sha)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert blobs.encrypt_legacy_blobs(store) == 1
    assert content not in path.read_bytes() and blobs.read_blob(store, sha) == content
    assert fast_key_source().kind == "passphrase"


def test_sealed_backup_zip_is_unreadable_at_rest_and_opens_with_the_key(tmp_path):
    import zipfile

    from zsapp.security import backups

    master = os.urandom(32)
    plain = tmp_path / "b.zip"
    with zipfile.ZipFile(plain, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", '{"note": "' + SECRET_COMPANY + '"}')
        zf.writestr("big.bin", os.urandom(3 << 20))
    sealed = backups.seal(master, plain, tmp_path / "b.zsbackup")
    assert not plain.exists() and b"manifest.json" not in sealed.read_bytes()
    with backups.open_zip(master, sealed) as zf:
        assert SECRET_COMPANY in zf.read("manifest.json").decode()
        assert len(zf.read("big.bin")) == 3 << 20
    with pytest.raises(SecurityError):
        backups.open_zip(os.urandom(32), sealed)


def test_erase_person_removes_every_local_trace(store, tmp_path, data_dir):
    from zsapp.contacts import merge, visits
    from zsapp.security import erasure

    cid = companies.create_company(store, {"name": "普洱测试茶业有限公司"})
    pid = people.create_person(
        store, {"name": "吴隐私", "company_id": cid, "mobile": "13566667777"}
    )
    dup = people.create_person(store, {"name": "吴隐私", "mobile": "13566667777"})
    merge.merge_people(store, pid, dup)
    vid = visits.create_visit(
        store, {"visited_at": "2026-11-01", "notes": "会谈"}, companies=[cid], people=[pid]
    )
    card = tmp_path / "card.txt"
    card.write_text("吴隐私的名片", encoding="utf-8")
    attachments.add_attachment(store, "people", pid, card)
    [sha] = [r["sha256"] for r in store.query("SELECT sha256 FROM attachments")]
    assert people.search_people(store, "吴隐私")

    erasure.erase_person(store, pid)
    for table, column in (
        ("people", "id"),
        ("person_employment", "person_id"),
        ("visit_people", "person_id"),
        ("field_versions", "row_id"),
        ("outbox", "row_id"),
    ):
        for rid in (pid, dup):
            assert not store.scalar(f"SELECT count(*) FROM {table} WHERE {column} = ?", (rid,))
    assert store.query("SELECT * FROM attachments") == [] and not blobs.blob_path(sha).exists()
    assert (
        people.search_people(store, "吴隐私") == []
        and people.search_people(store, "13566667777") == []
    )
    assert store.get("visits", vid) is not None and store.get("companies", cid) is not None
    assert {r["id"] for r in erasure.pending_requests(store)} >= {pid, dup}
    store.close()
    assert_absent(strings_in(data_dir), "吴隐私", "13566667777")


def test_after_a_wipe_leftover_ciphertext_is_removed_and_a_new_device_starts(data_dir):
    from zsapp.security import wipe

    path = data_dir / "zsapp.sqlite3"
    with open_store(path) as s:
        companies.create_company(s, {"name": SECRET_COMPANY})
        old_device = s.device_id
        leftover = path.read_bytes()
        wipe.wipe_device(s, "测试", close=True)
    assert not keys.envelope_path(path).exists() and not path.exists()
    path.write_bytes(leftover)  # as if Windows could not delete the open file
    with open_store(path) as s:
        assert s.device_id != old_device and s.count("companies") == 0
    assert wipe.wiped_notice(path)["reason"] == "测试"
