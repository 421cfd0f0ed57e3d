"""The office audit log: append-only hash chain, readable and verifiable, on SQLite and
PostgreSQL; tampering with any entry (edit, delete, cut the tail) is detected."""

from __future__ import annotations

import itertools
import threading

import office_backends
import sqlalchemy as sa

from zsapp.office import audit

cluster = office_backends.cluster
office = office_backends.office


def _add(office, n: int, actor: str = "admin") -> None:
    for i in range(n):
        with office.engine.begin() as conn:
            audit.record(
                conn, actor=actor, action="officer.add", target=f"干部{i}", detail={"i": i}
            )


def test_record_read_and_verify(office):
    _add(office, 3)
    with office.engine.begin() as conn:
        audit.record(conn, actor="dev1", action="enroll", result="refused", detail={"ip": "1.2"})
    with office.engine.connect() as conn:
        entries = audit.read(conn)
        assert audit.verify_chain(conn) is True
    mine = [e for e in entries if e["actor"] in ("admin", "dev1")]
    assert [e["target"] for e in mine[:3]] == ["干部0", "干部1", "干部2"]
    assert mine[-1]["result"] == "refused" and mine[-1]["detail"] == {"ip": "1.2"}
    ids = [e["id"] for e in entries]
    assert ids == list(range(1, len(ids) + 1))
    for a, b in itertools.pairwise(entries):
        assert b["prev_hash"] == a["hash"]


def test_rolled_back_entry_leaves_no_trace(office):
    _add(office, 1)
    try:
        with office.engine.begin() as conn:
            audit.record(conn, actor="admin", action="officer.add", target="失败")
            raise RuntimeError("work failed")
    except RuntimeError:
        pass
    _add(office, 1)
    with office.engine.connect() as conn:
        assert "失败" not in [e["target"] for e in audit.read(conn)]
        assert audit.verify_chain(conn) is True


def test_tampering_is_detected(office):
    _add(office, 5)
    with office.engine.connect() as conn:
        base = audit.read(conn)[-5]["id"]
    with office.engine.begin() as conn:
        conn.execute(
            sa.update(audit.audit_log)
            .where(audit.audit_log.c.id == base + 2)
            .values(result="refused")
        )
    with office.engine.connect() as conn:
        assert audit.verify_chain(conn) == base + 2


def test_deleted_entry_and_cut_tail_are_detected(office):
    _add(office, 4)
    with office.engine.connect() as conn:
        last = audit.read(conn)[-1]["id"]
    with office.engine.begin() as conn:
        conn.execute(sa.delete(audit.audit_log).where(audit.audit_log.c.id == last))
    with office.engine.connect() as conn:
        assert audit.verify_chain(conn) == last
    with office.engine.begin() as conn:
        conn.execute(sa.delete(audit.audit_log).where(audit.audit_log.c.id == last - 2))
    with office.engine.connect() as conn:
        assert audit.verify_chain(conn) == last - 2


def test_since_filter_and_hostile_text(office):
    with office.engine.begin() as conn:
        audit.record(conn, actor="a\x00b\ud800", action="x" * 500, target="t", detail={"k": "v"})
    with office.engine.connect() as conn:
        assert audit.verify_chain(conn) is True
        entry = audit.read(conn)[-1]
        assert "\x00" not in entry["actor"] and len(entry["action"]) == audit.MAX_ACTION
        assert audit.read(conn, since="2999-01-01") == []
        assert audit.read(conn, since="2000-01-01")[-1]["id"] == entry["id"]


def test_concurrent_writers_keep_one_chain(office):
    _add(office, 1)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            _add(office, 10, actor=f"w{k}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with office.engine.connect() as conn:
        entries = audit.read(conn)
        assert audit.verify_chain(conn) is True
    assert sum(e["actor"].startswith("w") for e in entries) == 40


def test_existing_database_gets_the_tables_by_migration(tmp_path):
    from zsapp.office import schema as s
    from zsapp.office.service import Office

    old = Office(tmp_path / "old.sqlite3")
    old.init()
    with old.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit_log"))
        conn.execute(sa.text("DROP TABLE audit_head"))
        conn.execute(sa.update(s.meta).where(s.meta.c.key == "schema_version").values(value="2"))
    old.check_schema()
    with old.engine.begin() as conn:
        audit.record(conn, actor="admin", action="x")
        assert audit.verify_chain(conn) is True
    old.close()


def test_admin_actions_are_audited_and_cli_exports_them(tmp_path, capsys):
    import json

    from zsapp.cli import main

    db = str(tmp_path / "o.sqlite3")
    assert main(["office", "--db", db, "init"]) == 0
    assert main(["office", "--db", db, "officer", "add", "张三", "--unit", "昆明市"]) == 0
    assert main(["office", "--db", db, "enroll", "张三"]) == 0
    capsys.readouterr()
    assert main(["office", "--db", db, "audit", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intact"] is True
    assert [e["action"] for e in out["entries"]] == ["officer.add", "enrollment.create"]
    assert out["entries"][0]["actor"].startswith("admin")
    assert main(["office", "--db", db, "audit", "--since", "2999-01-01"]) == 0
    assert "没有符合条件的审计记录" in capsys.readouterr().out
    assert main(["office", "--db", db, "audit", "--since", "昨天"]) == 2
    assert "无法识别的时间" in capsys.readouterr().err
