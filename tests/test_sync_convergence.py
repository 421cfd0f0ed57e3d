"""Property-based convergence (hypothesis stateful): three devices in two units and one
office server on loopback; random creates, edits, deletes, company merges and syncs in
random order. Checked:

- oracle: after every sync the server holds, for every field, the value of the pushed
  edit with the greatest HLC (a plain in-memory model of the merge rule);
- at the end, after everyone synced until quiet, every device holds exactly the server's
  data for the spaces it may see, and nothing of other units;
- no silent loss: every saved edit is the current value, or is recorded in a conflict,
  or was overwritten by an edit whose author had seen it.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from test_sync_support import PROBE_TABLE_SQL, Device, canon, make_office

from zsapp.bootstrap import open_store
from zsapp.office.server import ServerThread
from zsapp.security.dbcrypt import connect_with_envelope
from zsapp.security.keys import envelope_path

UNITS = ["昆明市", "昆明市", "大理州"]
TEXT = st.text(alphabet="云南咖啡茶花abc1", min_size=0, max_size=4)


class Env:
    """One server and a template store, shared by all examples of a test (fast setup)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        template = root / "template.sqlite3"
        store = open_store(template)
        store.execute(PROBE_TABLE_SQL)
        store.close()
        self.template = template
        self.n = 0

    def new_device(self) -> Device:
        self.n += 1
        path = self.root / f"dev{self.n}.sqlite3"
        shutil.copy(self.template, path)
        shutil.copy(envelope_path(self.template), envelope_path(path))
        conn = connect_with_envelope(path)
        conn.execute("UPDATE devices SET id = ? WHERE is_self = 1", (uuid.uuid4().hex,))
        conn.commit()
        conn.close()
        return Device(path)


def field_hlc(dev: Device, table: str, row_id: str, field: str) -> str | None:
    return dev.store.scalar(
        "SELECT hlc FROM field_versions WHERE table_name = ? AND row_id = ? AND field = ?",
        (table, row_id, field),
    )


class SyncMachine(RuleBasedStateMachine):
    env: Env

    @initialize()
    def setup(self):
        self.n_example = getattr(SyncMachine, "_examples", 0) + 1
        SyncMachine._examples = self.n_example
        root = self.env.root / f"ex{self.n_example}"
        root.mkdir()
        self.office = make_office(root)
        self.server = ServerThread(self.office).start()
        for i, unit in enumerate(UNITS):
            self.office.add_officer(f"干部{i}", unit) if unit not in UNITS[:i] or True else None
        self.devices = [self.env.new_device() for _ in UNITS]
        for i, dev in enumerate(self.devices):
            dev.enroll(self.office, self.server.url, f"干部{i}")
        self.notes: list[tuple[int, str]] = []  # (creator index, id)
        self.companies: list[str] = []
        self.pushed: dict[
            tuple[str, str, str], list[tuple[str, object]]
        ] = {}  # field -> [(hlc, value)]
        self.edits: list[dict] = []  # every edit a user saved
        self.seen_extra: set[tuple] = set()  # versions read by merges
        self.seen_values_extra: set[tuple] = set()  # values read by merges
        # A shared starting point so edits (and concurrent edits) happen from step one.
        for d in (0, 2):
            for i in range(2):
                self.create_note(d, f"起点{i}")
        self.create_company(0, "云南白药")
        self.create_company(2, "大理啤酒")
        for d in (0, 2, 0, 1, 2):
            self.sync(d)

    def teardown(self):
        try:
            if hasattr(self, "devices"):
                self.final_check()
        finally:
            for dev in getattr(self, "devices", []):
                dev.close()
            if hasattr(self, "server"):
                self.server.stop()
                self.office.close()

    # -- helpers -----------------------------------------------------------------------
    def _visible_notes(self, d: int) -> list[str]:
        unit = UNITS[d]
        return [rid for (c, rid) in self.notes if UNITS[c] == unit]

    def _record_edit(self, d: int, table: str, rid: str, changes: dict) -> None:
        dev = self.devices[d]
        seen = {f: field_hlc(dev, table, rid, f) for f in changes}
        dev.store.update(table, rid, changes)
        for f, v in changes.items():
            hlc = field_hlc(dev, table, rid, f)
            if hlc != seen[f]:
                self.edits.append(
                    {"t": table, "id": rid, "f": f, "v": v, "h": hlc, "seen": seen[f]}
                )

    # -- rules ---------------------------------------------------------------------------
    @rule(d=st.integers(0, 2), title=TEXT)
    def create_note(self, d, title):
        rid = self.devices[d].store.insert("probe_notes", {"title": title, "amount_wan": 1})
        self.notes.append((d, rid))

    @rule(
        d=st.integers(0, 2), name=st.sampled_from(["云南白药", "昆明钢铁", "大理啤酒", "普洱茶业"])
    )
    def create_company(self, d, name):
        self.companies.append(
            self.devices[d].store.insert("companies", {"name": f"{name}{len(self.companies)}"})
        )

    @precondition(lambda self: self.notes)
    @rule(
        d=st.integers(0, 2),
        pick=st.integers(0, 10_000),
        field=st.sampled_from(["title", "body", "amount_wan"]),
        text=TEXT,
        amount=st.integers(0, 5),
    )
    def edit_note(self, d, pick, field, text, amount):
        visible = [r for r in self._visible_notes(d) if self.devices[d].store.get("probe_notes", r)]
        if not visible:
            return
        rid = visible[pick % len(visible)]
        self._record_edit(d, "probe_notes", rid, {field: amount if field == "amount_wan" else text})

    edit_note_again = edit_note
    edit_note_third = edit_note

    @precondition(lambda self: self.companies)
    @rule(d=st.integers(0, 2), pick=st.integers(0, 10_000), text=TEXT)
    def edit_company(self, d, pick, text):
        rid = self.companies[pick % len(self.companies)]
        if self.devices[d].store.get("companies", rid):
            self._record_edit(d, "companies", rid, {"notes": text})

    @precondition(lambda self: self.notes)
    @rule(d=st.integers(0, 2), pick=st.integers(0, 10_000))
    def delete_note(self, d, pick):
        visible = [r for r in self._visible_notes(d) if self.devices[d].store.get("probe_notes", r)]
        if visible:
            self._record_edit(d, "probe_notes", visible[pick % len(visible)], {"deleted": 1})

    @precondition(lambda self: len(self.companies) >= 2)
    @rule(d=st.integers(0, 2), a=st.integers(0, 10_000), b=st.integers(0, 10_000))
    def merge_companies(self, d, a, b):
        from zsapp.contacts import merge

        store = self.devices[d].store
        live = [c for c in self.companies if store.get("companies", c)]
        if len(live) < 2:
            return
        keep, dup = live[a % len(live)], live[b % len(live)]
        if keep == dup:
            return

        def versions(rid):
            return {
                r["field"]: r["hlc"]
                for r in store.query(
                    "SELECT field, hlc FROM field_versions WHERE table_name = 'companies' AND row_id = ?",
                    (rid,),
                )
            }

        before = {keep: versions(keep), dup: versions(dup)}
        merge.merge_companies(store, keep, dup)
        # The merge read both records: every version it saw is knowingly superseded.
        for rid, fields in before.items():
            self.seen_extra.update(("companies", rid, f, h) for f, h in fields.items())
            row = store.get("companies", rid, include_deleted=True)
            self.seen_values_extra.update(("companies", rid, f, canon(row.get(f))) for f in fields)

    @rule(d=st.integers(0, 2))
    def sync_rule(self, d):
        self.sync(d)

    sync_rule_again = sync_rule

    def sync(self, d):
        dev = self.devices[d]
        before = {r["seq"]: r for r in dev.store.query("SELECT * FROM outbox")}
        dev.sync()
        after = {r["seq"] for r in dev.store.query("SELECT seq FROM outbox")}
        import json

        for seq, r in before.items():
            if seq not in after:
                key = (r["table_name"], r["row_id"], r["field"])
                self.pushed.setdefault(key, []).append((r["hlc"], json.loads(r["value"])))
        self.check_oracle()

    # -- checks -------------------------------------------------------------------------
    def check_oracle(self):
        dump = self.office.dump()
        for (t, rid, f), ops in self.pushed.items():
            expected = max(ops, key=lambda o: o[0])[1]
            assert dump[(t, rid)][f] == expected, (t, rid, f)
        for (t, rid), fields in dump.items():
            if t == "sync_conflicts":
                continue
            for f in fields:
                assert (t, rid, f) in self.pushed, (t, rid, f)

    @invariant()
    def local_reads_work(self):
        for dev in self.devices:
            assert dev.store.scalar("SELECT count(*) FROM probe_notes") >= 0

    def final_check(self):
        # Merges re-point references on every device (new local edits), so sync until quiet.
        for _ in range(8):
            for d in range(3):
                self.sync(d)
            if not any(dev.store.pending_changes() for dev in self.devices):
                break
        for d in range(3):
            self.sync(d)
        for dev in self.devices:
            assert dev.store.pending_changes() == 0
        spaces = {unit: {"province", f"unit:{unit}"} for unit in UNITS}
        for d, dev in enumerate(self.devices):
            server = self.office.dump(spaces[UNITS[d]])
            for table in ("probe_notes", "companies", "people", "sync_conflicts"):
                local = dev.rows(table)
                remote = {rid: f for (t, rid), f in server.items() if t == table}
                assert set(local) == set(remote), (d, table)
                for rid, fields in remote.items():
                    for f, v in fields.items():
                        assert local[rid][f] == v, (d, table, rid, f)
            assert dev.integrity_ok()
        # No silent loss.
        dump = self.office.dump()
        conflict_hlcs = {
            (c["table_name"], c["row_id"], c["field"], h)
            for c in dump_conflicts(dump)
            for h in (c["winner_hlc"], c["loser_hlc"])
        }
        seen = {(e["t"], e["id"], e["f"], e["seen"]) for e in self.edits} | self.seen_extra
        # Equal values entered independently are one value: overwriting one after seeing
        # the other overwrites both knowingly (no conflict is recorded for equal values).
        value_at = {(e["t"], e["id"], e["f"], e["h"]): canon(e["v"]) for e in self.edits}
        seen_values = {
            (e["t"], e["id"], e["f"], value_at.get((e["t"], e["id"], e["f"], e["seen"])))
            for e in self.edits
        }
        seen_values |= self.seen_values_extra
        current = {(t, rid, f): h for (t, rid, f), h in self.office_versions().items()}
        for e in self.edits:
            key = (e["t"], e["id"], e["f"])
            ok = (
                current.get(key) == e["h"]
                or dump.get((e["t"], e["id"]), {}).get(e["f"]) == e["v"]
                or (*key, e["h"]) in conflict_hlcs
                or (*key, e["h"]) in seen
                or (*key, canon(e["v"])) in seen_values
            )
            assert ok, (
                f"edit silently lost: {e}; server now {dump.get((e['t'], e['id']))} "
                f"version {current.get(key)}; conflicts {[c for c in dump_conflicts(dump) if c['row_id'] == e['id']]}"
            )

    def office_versions(self):
        import sqlalchemy as sa

        from zsapp.office import schema

        with self.office.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    schema.fields.c.tbl,
                    schema.fields.c.row_id,
                    schema.fields.c.field,
                    schema.fields.c.hlc,
                )
            ).all()
        return {(r.tbl, r.row_id, r.field): r.hlc for r in rows}


def dump_conflicts(dump):
    return [f for (t, _rid), f in dump.items() if t == "sync_conflicts"]


def _run(tmp_path_factory, examples: int, steps: int) -> None:
    SyncMachine.env = Env(tmp_path_factory.mktemp("conv"))
    SyncMachine._examples = 0
    test = SyncMachine.TestCase
    test.settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    test("runTest").runTest()


def test_convergence_three_devices(tmp_path_factory):
    _run(tmp_path_factory, examples=15, steps=30)


@pytest.mark.slow
def test_convergence_three_devices_long(tmp_path_factory):
    _run(tmp_path_factory, examples=150, steps=60)
