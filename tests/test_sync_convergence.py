"""Property-based convergence (hypothesis stateful): three devices in two units and one
office server on loopback; random creates, edits, deletes, company merges and syncs in
random order. Checked:

- oracle: after every sync the server holds, for every field, the value of the pushed
  edit with the greatest HLC (a plain in-memory model of the merge rule);
- at the end, after everyone synced until quiet, every device holds exactly the server's
  data for the spaces it may see, and nothing of other units;
- no silent loss: every saved edit is the current value, or is recorded in a conflict,
  or was overwritten by an edit whose author had seen it — where equal values entered
  independently count as one value (the server keeps one version of them).
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from test_sync_support import PROBE_TABLE_SQL, Device, canon, make_office, tick

from zsapp.bootstrap import open_store
from zsapp.office.server import ServerThread
from zsapp.security.dbcrypt import connect_with_envelope
from zsapp.security.keys import envelope_path
from zsapp.sync import client as sync_client

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
        self.same: dict[tuple, tuple] = {}  # version -> a version of the same value it joined
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
        held = self.server_fields()
        dev.sync()
        after = {r["seq"] for r in dev.store.query("SELECT seq FROM outbox")}
        import json

        diverged: set[tuple[str, str, str]] = set()
        for seq, r in sorted(before.items()):
            if seq not in after:
                key = (r["table_name"], r["row_id"], r["field"])
                value = json.loads(r["value"])
                self.pushed.setdefault(key, []).append((r["hlc"], value))
                # Only this device pushes now: its first op of a field meets the version
                # held before the sync, and so do later ones while each op had that value.
                if key not in diverged and key in held and held[key][0] == canon(value):
                    self.join((*key, held[key][1]), (*key, r["hlc"]))
                else:
                    diverged.add(key)
        self.check_oracle()

    def server_fields(self) -> dict[tuple[str, str, str], tuple[str, str]]:
        """(table, id, field) -> (canonical value, version) as the server holds them."""
        values = self.office.dump()
        return {
            (t, rid, f): (canon(values[(t, rid)][f]), h)
            for (t, rid, f), h in self.office_versions().items()
        }

    # Equal values entered independently are one value: the server keeps one version of
    # them and records no conflict between them. An op pushed while the server holds its
    # value joins that version's class; a class is kept when any of its versions is.
    def root(self, version: tuple) -> tuple:
        while version in self.same:
            version = self.same[version]
        return version

    def join(self, held: tuple, pushed: tuple) -> None:
        a, b = self.root(held), self.root(pushed)
        if a != b:
            self.same[b] = a

    def same_value(self, version: tuple) -> set[tuple]:
        r = self.root(version)
        return {v for v in {version, *self.same, *self.same.values()} if self.root(v) == r}

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
        current = {(t, rid, f): h for (t, rid, f), h in self.office_versions().items()}
        for e in self.edits:
            key = (e["t"], e["id"], e["f"])
            # Overwriting a value after seeing one of its versions overwrites it knowingly;
            # a conflict side keeps it restorable (see ``join``).
            versions = self.same_value((*key, e["h"]))
            ok = (
                (*key, current.get(key)) in versions
                or dump.get((e["t"], e["id"]), {}).get(e["f"]) == e["v"]
                or bool(versions & conflict_hlcs)
                or bool(versions & seen)
                or (*key, canon(e["v"])) in self.seen_values_extra
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


def test_equal_value_dropped_then_its_version_loses_a_conflict(tmp_path):
    """Found by hypothesis: d1 saves "花" (synced) then "茶"; d0, unaware, also saves "茶"
    and syncs first (its "茶" beats "花": conflict). d1's older "茶" then arrives as the
    value the server already holds and is dropped; d2's concurrent "a" beats d0's "茶",
    which is kept as the conflict's loser — so d1's "茶" is restorable, not lost."""
    SyncMachine.env = Env(tmp_path)
    m = SyncMachine()
    m.setup()
    try:
        steps = [(1, "花"), 1, (1, "茶"), (0, "茶"), 0, 1, (2, "a"), 2]
        for step in steps:
            tick()
            if isinstance(step, tuple):
                m.edit_company(step[0], 0, step[1])
            else:
                m.sync(step)
        rid = m.companies[0]
        d1_tea = next(e for e in m.edits if e["v"] == "茶")  # saved before d0's
        conflicts = [c for c in dump_conflicts(m.office.dump()) if c["row_id"] == rid]
        assert [(c["winner_value"], c["loser_value"]) for c in conflicts] == [
            ('"茶"', '"花"'),
            ('"a"', '"茶"'),
        ]
        assert d1_tea["h"] not in {c[k] for c in conflicts for k in ("winner_hlc", "loser_hlc")}
    finally:
        m.teardown()  # the no-silent-loss check


# -- five devices, shares, attachments, injected transport faults ------------------------


class ScriptedFaults(httpx.BaseTransport):
    """Real HTTP to the server with faults fired on request: drop the request, drop the
    response after the server committed, send twice, or replay an older push batch
    before the current one (reorder). Counts every fault that actually fired."""

    KINDS = ("drop_request", "drop_response", "duplicate", "reorder")

    def __init__(self, fired: dict[str, int]) -> None:
        self.inner = httpx.HTTPTransport()
        self.pending: list[tuple[str, str]] = []  # (path suffix, kind)
        self.old_pushes: list[httpx.Request] = []
        self.fired = fired

    def close(self) -> None:
        pass

    def shut(self) -> None:
        self.inner.close()

    def arm(self, path: str, kind: str) -> None:
        self.pending.append((path, kind))

    @staticmethod
    def _copy(request: httpx.Request) -> httpx.Request:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        return httpx.Request(request.method, request.url, headers=headers, content=request.content)

    def _send(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(self._copy(request))
        response.read()
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        kind = None
        for i, (path, k) in enumerate(self.pending):
            if request.url.path.endswith(path):
                kind = k
                del self.pending[i]
                break
        if request.url.path.endswith("/push"):
            self.old_pushes = [*self.old_pushes[-5:], self._copy(request)]
        if kind == "drop_request":
            self.fired[kind] += 1
            raise httpx.ConnectError("connection refused", request=request)
        if kind == "reorder" and len(self.old_pushes) > 1:
            self.fired[kind] += 1
            self._send(self.old_pushes[0])  # an old batch arrives after newer ones
        response = self._send(request)
        if kind == "duplicate":
            self.fired[kind] += 1
            response = self._send(request)
        if kind == "drop_response":
            self.fired[kind] += 1
            raise httpx.ReadError("connection lost after the server committed", request=request)
        return httpx.Response(
            response.status_code,
            headers=[
                (k, v)
                for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
            ],
            content=response.content,
            request=request,
        )


FAULT_UNITS = ["昆明市", "昆明市", "大理州", "大理州", "曲靖市"]


class FaultyWorld:
    """Five devices in three units on one office server; random edits with values from
    a 48-bit domain (a lost edit cannot pass by coincidence), shares, attachments, and
    scripted transport faults and server kills."""

    def __init__(self, root: Path, rng, office_factory=None) -> None:
        import random as _random

        self.root, self.rng = root, rng or _random.Random(0)
        self.office = (office_factory or make_office)(root)
        self.server = ServerThread(self.office).start()
        self.port = self.server.port
        self.fired = dict.fromkeys((*ScriptedFaults.KINDS, "server_kill"), 0)
        for i, unit in enumerate(FAULT_UNITS):
            self.office.add_officer(f"干部{i}", unit)
        self.devices = []
        self.transports = []
        for i in range(len(FAULT_UNITS)):
            dev = Device(root / f"f{i}.sqlite3")
            dev.enroll(self.office, self.server.url, f"干部{i}")
            self.devices.append(dev)
            self.transports.append(ScriptedFaults(self.fired))
        self.notes: list[tuple[int, str]] = []
        self.companies: list[str] = []
        self.shares: dict[str, set[str]] = {}  # note id -> units it is shared with
        self.attachments: dict[str, tuple[str, str]] = {}  # row id -> (sha, unit)
        self.edits: list[dict] = []
        self.server_down = False

    def value(self) -> str:
        return f"v{self.rng.getrandbits(48):012x}"

    def visible_notes(self, d: int) -> list[str]:
        unit = FAULT_UNITS[d]
        store = self.devices[d].store
        return [
            rid
            for c, rid in self.notes
            if (FAULT_UNITS[c] == unit or unit in self.shares.get(rid, ()))
            and store.get("probe_notes", rid)
        ]

    def edit(self, d: int, table: str, rid: str, changes: dict) -> None:
        dev = self.devices[d]
        seen = {f: field_hlc(dev, table, rid, f) for f in changes}
        dev.store.update(table, rid, changes)
        for f, v in changes.items():
            hlc = field_hlc(dev, table, rid, f)
            if hlc != seen[f]:
                self.edits.append(
                    {"t": table, "id": rid, "f": f, "v": v, "h": hlc, "seen": seen[f]}
                )

    def step(self) -> None:
        rng, d = self.rng, self.rng.randrange(len(self.devices))
        dev = self.devices[d]
        action = rng.choices(
            [
                "note",
                "edit",
                "company",
                "company_edit",
                "delete",
                "share",
                "attach",
                "sync",
                "kill",
            ],
            weights=[3, 8, 1, 3, 1, 1, 1, 8, 0.3],
        )[0]
        if action == "note":
            self.notes.append(
                (d, dev.store.insert("probe_notes", {"title": self.value(), "amount_wan": 1}))
            )
        elif action == "edit" and self.visible_notes(d):
            rid = rng.choice(self.visible_notes(d))
            field = rng.choice(["title", "body", "amount_wan"])
            v = rng.getrandbits(40) if field == "amount_wan" else self.value()
            self.edit(d, "probe_notes", rid, {field: v})
        elif action == "company":
            self.companies.append(dev.store.insert("companies", {"name": f"企业{self.value()}"}))
        elif action == "company_edit" and self.companies:
            rid = rng.choice(self.companies)
            if dev.store.get("companies", rid):
                self.edit(d, "companies", rid, {"notes": self.value()})
        elif action == "delete" and self.visible_notes(d) and rng.random() < 0.3:
            self.edit(d, "probe_notes", rng.choice(self.visible_notes(d)), {"deleted": 1})
        elif action == "share":
            own = [rid for c, rid in self.notes if c == d and dev.store.get("probe_notes", rid)]
            others = sorted({u for u in FAULT_UNITS if u != FAULT_UNITS[d]})
            if own:
                from zsapp.sync import shares

                rid, unit = rng.choice(own), rng.choice(others)
                shares.share_record(dev.store, "probe_notes", rid, unit)
                self.shares.setdefault(rid, set()).add(unit)
        elif action == "attach":
            self.attach(d)
        elif action == "kill":
            self.kill_server()
        else:
            self.sync(d, faulty=True)

    def attach(self, d: int) -> None:
        import hashlib

        content = self.value().encode() * 50
        sha = hashlib.sha256(content).hexdigest()
        path = sync_client.blob_path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        rid = self.devices[d].store.insert(
            "attachments",
            {
                "owner_table": "visits",
                "owner_id": self.value(),
                "sha256": sha,
                "size": len(content),
            },
        )
        self.attachments[rid] = (sha, FAULT_UNITS[d])

    def kill_server(self) -> None:
        """The server goes away between requests; one device tries (offline), then it is
        back on the same address."""
        self.server.stop()
        self.fired["server_kill"] += 1
        with pytest.raises(sync_client.SyncError):
            self.devices[self.rng.randrange(len(self.devices))].sync()
        self.server = ServerThread(self.office, port=self.port).start()

    def sync(self, d: int, faulty: bool) -> None:
        transport = self.transports[d]
        if faulty and self.rng.random() < 0.5:
            kind = self.rng.choice(ScriptedFaults.KINDS)
            transport.arm(
                self.rng.choice(["/push", "/pull"]) if kind != "reorder" else "/push", kind
            )
        with contextlib.suppress(sync_client.SyncError):  # dropped: the next sync carries on
            self.devices[d].sync(transport=transport)
        transport.pending.clear()

    def quiesce(self) -> None:
        for _ in range(6):
            for d in range(len(self.devices)):
                self.sync(d, faulty=False)
            if not any(dev.store.pending_changes() for dev in self.devices):
                break
        for d in range(len(self.devices)):
            self.sync(d, faulty=False)

    def check(self) -> None:
        for dev in self.devices:
            assert dev.store.pending_changes() == 0
        dump = self.office.dump()
        for d, dev in enumerate(self.devices):
            unit = FAULT_UNITS[d]
            server = self.office.dump({"province", f"unit:{unit}"})
            for table in ("probe_notes", "companies", "sync_conflicts", "attachments"):
                local = dev.rows(table)
                remote = {rid: f for (t, rid), f in server.items() if t == table}
                extra = set(local) - set(remote)
                shared_in = {rid for rid, units in self.shares.items() if unit in units}
                assert set(remote) <= set(local), (d, table)
                assert extra <= shared_in | {
                    rid
                    for rid in extra
                    if table == "sync_conflicts" and local[rid]["row_id"] in shared_in
                }, (d, table, extra - shared_in)
                for rid, fields in remote.items():
                    for f, v in fields.items():
                        assert local[rid][f] == v, (d, table, rid, f)
            for rid in self.shares:
                if unit in self.shares[rid]:
                    for f, v in dump[("probe_notes", rid)].items():
                        assert dev.rows("probe_notes")[rid][f] == v, (d, rid, f)
            assert dev.integrity_ok()
        conflicts = dump_conflicts(dump)
        keys = [
            (c["table_name"], c["row_id"], c["field"], c["winner_hlc"], c["loser_hlc"])
            for c in conflicts
        ]
        assert len(keys) == len(set(keys)), "a conflict was recorded twice"
        sides = {
            (c["table_name"], c["row_id"], c["field"], h)
            for c in conflicts
            for h in (c["winner_hlc"], c["loser_hlc"])
        }
        seen = {(e["t"], e["id"], e["f"], e["seen"]) for e in self.edits}
        versions = SyncMachine.office_versions(self)
        for e in self.edits:
            key = (e["t"], e["id"], e["f"])
            assert (
                versions.get(key) == e["h"]
                or dump.get((e["t"], e["id"]), {}).get(e["f"]) == e["v"]
                or (*key, e["h"]) in sides
                or (*key, e["h"]) in seen
            ), f"edit silently lost: {e}"
        # Attachments: the blob is on the server, downloadable in its unit, not elsewhere.
        with httpx.Client(base_url=self.server.url, timeout=30) as http:
            for rid, (sha, unit) in self.attachments.items():
                assert self.office.blob_path(sha).exists(), rid
                for d, dev in enumerate(self.devices):
                    token = sync_client.get_config(dev.store)["token"]
                    r = http.get(
                        f"/v1/blobs/{sha}",
                        headers={"X-Zsapp-Protocol": "1", "Authorization": f"Bearer {token}"},
                    )
                    assert (r.status_code == 200) == (FAULT_UNITS[d] == unit), (
                        d,
                        rid,
                        r.status_code,
                    )

    def close(self) -> None:
        for dev in self.devices:
            dev.close()
        for t in self.transports:
            t.shut()
        self.server.stop()
        self.office.close()


def run_faulty(root: Path, seed: int, steps: int, office_factory=None) -> dict[str, int]:
    import random

    world = FaultyWorld(root, random.Random(seed), office_factory)
    try:
        for _ in range(steps):
            world.step()
        # Every fault kind fires at least once, whatever the seed picked.
        for kind in ScriptedFaults.KINDS:
            while world.fired[kind] == 0:
                d = world.rng.randrange(len(world.devices))
                note = world.devices[d].store.insert("probe_notes", {"title": world.value()})
                world.notes.append((d, note))
                world.transports[d].arm("/push", kind)
                with contextlib.suppress(sync_client.SyncError):
                    world.devices[d].sync(transport=world.transports[d])
                world.transports[d].pending.clear()
        if world.fired["server_kill"] == 0:
            world.kill_server()
        world.quiesce()
        world.check()
        return dict(world.fired)
    finally:
        world.close()


def test_convergence_five_devices_with_faults_shares_and_attachments(tmp_path):
    fired = run_faulty(tmp_path, seed=12, steps=150)
    assert all(n > 0 for n in fired.values()), fired


@pytest.mark.slow
def test_convergence_five_devices_with_faults_long(tmp_path):
    for seed in range(8):
        root = tmp_path / f"s{seed}"
        root.mkdir()
        fired = run_faulty(root, seed=seed, steps=600)
        assert all(n > 0 for n in fired.values()), (seed, fired)
