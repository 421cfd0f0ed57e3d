"""The office read model: typed, indexed tables projected from the field store.

The sync server stores every record as per-field rows (``fields``); reports need columns.
``apply_ops`` re-projects the records a push touched, inside the push's own transaction
(registered as a push hook), so the read model is never behind what devices see.
``rebuild`` recreates all of it from the field store (``zsapp office rebuild-reports``).

Derived per-project columns (current stage, the dates it first reached 签约/开工/投产,
last activity, 工业) and candidate double counts (``rm_dup_pairs``) are recomputed for
every project a push touches. Office-recorded decisions (整治 status, 重复统计 rulings,
流转 benefit splits) live in ``console_*`` tables and are never touched by a rebuild.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.office import schema as s

md = s.metadata


def _id(name: str = "id") -> sa.Column:
    return sa.Column(name, sa.String(64), primary_key=True)


def _txt(name: str, n: int = 200) -> sa.Column:
    return sa.Column(name, sa.String(n), nullable=False, server_default="")


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


rm_projects = sa.Table(
    "rm_projects",
    md,
    _id(),
    _txt("code", 40),
    _txt("name", 400),
    _txt("prefecture_code", 12),
    _txt("county_code", 12),
    _txt("park_id", 64),
    _txt("category", 20),
    sa.Column("total_investment_wan", sa.BigInteger),
    _int("is_provincial_major"),
    _int("is_gongye"),  # 工业: an item in a manufacturing industry (GONGYE_INDUSTRIES)
    _txt("item_ids", 400),  # JSON list of catalogue item ids
    _txt("owner_officer", 100),
    _txt("owner_unit", 100),
    _txt("answers", 2000),
    _txt("stage", 10),
    _txt("stage_on", 10),
    _txt("signed_on", 10),  # first reached 签约 (or a later pipeline stage)
    _txt("started_on", 10),
    _txt("produced_on", 10),
    _txt("last_activity_on", 10),
    _txt("created_at", 80),  # HLC of creation: the first-claim order
    sa.Index("rm_projects_pref", "prefecture_code", "stage"),
    sa.Index("rm_projects_activity", "last_activity_on"),
    sa.Index("rm_projects_signed", "signed_on", "total_investment_wan"),
    sa.Index("rm_projects_code", "code"),
    # covering: the 总览 milestone counts scan this instead of the wide rows
    sa.Index(
        "rm_projects_milestones",
        "prefecture_code",
        "signed_on",
        "started_on",
        "produced_on",
        "category",
        "total_investment_wan",
    ),
)

rm_project_items = sa.Table(
    "rm_project_items",
    md,
    _id(),
    _txt("project_id", 64),
    _txt("item_id", 20),
    sa.Index("rm_project_items_project", "project_id"),
    sa.Index("rm_project_items_item", "item_id", "project_id"),
)

rm_stages = sa.Table(
    "rm_stages",
    md,
    _id(),
    _txt("project_id", 64),
    _txt("stage", 10),
    _txt("changed_on", 10),
    _txt("note", 1000),
    _txt("created_at", 80),
    sa.Index("rm_stages_project", "project_id", "changed_on"),
)

rm_funds = sa.Table(
    "rm_funds",
    md,
    _id(),
    _txt("project_id", 64),
    _txt("month", 7),
    _int("amount_wan"),
    _int("outside_province"),
    _int("industrial"),
    _txt("note", 400),
    # Copies from the project (set by ``derive``) so the 总览 sums are one index scan:
    # counted = 省外 and 产业类 money of an 产业类 project (the policy's scope).
    _int("counted"),
    _txt("prefecture_code", 12),
    _int("is_gongye"),
    sa.Index("rm_funds_sum", "counted", "month", "prefecture_code", "is_gongye", "amount_wan"),
    # covering: a transferred or double-counted project's money without table lookups
    sa.Index(
        "rm_funds_project",
        "project_id",
        "month",
        "counted",
        "prefecture_code",
        "is_gongye",
        "amount_wan",
    ),
)

rm_investors = sa.Table(
    "rm_investors",
    md,
    _id(),
    _txt("project_id", 64),
    _txt("company_id", 64),
    _txt("role", 10),
    sa.Index("rm_investors_project", "project_id"),
    sa.Index("rm_investors_company", "company_id"),
)

rm_companies = sa.Table(
    "rm_companies",
    md,
    _id(),
    _txt("name", 400),
    _txt("uscc", 20),
    _txt("origin_province", 40),
    _txt("region_tag", 20),
    _txt("ownership", 20),
    _int("is_fortune500"),
    _int("is_specialized_giant"),
    _int("is_dishonest"),
    _txt("merged_into", 64),
    sa.Index("rm_companies_uscc", "uscc"),
    sa.Index("rm_companies_f500", "is_fortune500"),
    sa.Index("rm_companies_region", "region_tag", "origin_province"),
)

rm_transfers = sa.Table(
    "rm_transfers",
    md,
    _id(),
    _txt("project_id", 64),
    _txt("transferred_on", 10),
    _txt("from_prefecture_code", 12),
    _txt("from_park_id", 64),
    _txt("to_prefecture_code", 12),
    _txt("to_park_id", 64),
    _txt("reason", 2000),
    _txt("decided_by", 200),
    sa.Index("rm_transfers_project", "project_id", "transferred_on"),
    sa.Index("rm_transfers_on", "transferred_on"),
)

rm_overrides = sa.Table(
    "rm_overrides",
    md,
    _id(),
    _txt("project_id", 64),
    _txt("rule_id", 20),
    _txt("reason", 2000),
    _txt("decided_by", 200),
    _txt("decided_on", 10),
    sa.Index("rm_overrides_project", "project_id"),
)

rm_visits = sa.Table("rm_visits", md, _id(), _txt("visited_on", 10))

rm_visit_projects = sa.Table(
    "rm_visit_projects",
    md,
    _id(),
    _txt("visit_id", 64),
    _txt("project_id", 64),
    sa.Index("rm_visit_projects_project", "project_id"),
    sa.Index("rm_visit_projects_visit", "visit_id"),
)

# Candidate double counts: (a, b) with a < b; ``first`` is the earlier claim.
rm_dup_pairs = sa.Table(
    "rm_dup_pairs",
    md,
    sa.Column("a", sa.String(64), primary_key=True),
    sa.Column("b", sa.String(64), primary_key=True),
    _txt("uscc", 20),
    _txt("first", 64),
    sa.Column("name_similarity", sa.Float, nullable=False, server_default="0"),
    sa.Index("rm_dup_pairs_b", "b"),
)

# -- office-recorded decisions (never rebuilt) -------------------------------------------
RECTIFY_STATUSES = ("继续推进", "限期整改", "淘汰退出")
rectifications = sa.Table(
    "console_rectifications",
    md,
    sa.Column("project_id", sa.String(64), primary_key=True),
    _txt("status", 10),
    _txt("deadline", 10),
    _txt("note", 2000),
    _txt("recorded_by", 100),
    _txt("recorded_at", 40),
)

DUP_RESOLUTIONS = {
    "first": "重复：保留先报",
    "second": "重复：保留后报",
    "distinct": "不是重复",
}
dup_resolutions = sa.Table(
    "console_dup_resolutions",
    md,
    sa.Column("a", sa.String(64), primary_key=True),
    sa.Column("b", sa.String(64), primary_key=True),
    _txt("resolution", 10),
    _txt("note", 2000),
    _txt("recorded_by", 100),
    _txt("recorded_at", 40),
)

# Benefit sharing agreed at transfer: the transferring side's share (percent) of the
# 到位资金 arriving from the transfer month on, and of the project's credit (counts).
transfer_splits = sa.Table(
    "console_transfer_splits",
    md,
    sa.Column("transfer_id", sa.String(64), primary_key=True),
    sa.Column("from_funds_pct", sa.Integer, nullable=False, server_default="0"),
    sa.Column("from_credit_pct", sa.Integer, nullable=False, server_default="0"),
    _txt("note", 2000),
    _txt("recorded_by", 100),
    _txt("recorded_at", 40),
)

READ_TABLES = (
    rm_projects,
    rm_project_items,
    rm_stages,
    rm_funds,
    rm_investors,
    rm_companies,
    rm_transfers,
    rm_overrides,
    rm_visits,
    rm_visit_projects,
    rm_dup_pairs,
)
OFFICE_TABLES = (rectifications, dup_resolutions, transfer_splits)

# 工业 (the policy's 工业引资 sub-target): projects with an item in a manufacturing
# industry of the catalogue: 绿色铝, 光伏制造业, 先进制造业, 新材料产业, 生物医药产业.
GONGYE_INDUSTRIES = ("I02", "I03", "I04", "I06", "I07")
PIPELINE_AFTER = {"签约": ("签约", "开工", "投产"), "开工": ("开工", "投产"), "投产": ("投产",)}

# Device table → (read table, {column: default}) for the plain projections.
_PROJECTIONS: dict[str, sa.Table] = {
    "projects": rm_projects,
    "project_items": rm_project_items,
    "project_stages": rm_stages,
    "project_funds": rm_funds,
    "project_investors": rm_investors,
    "companies": rm_companies,
    "project_transfers": rm_transfers,
    "admission_overrides": rm_overrides,
    "visits": rm_visits,
    "visit_projects": rm_visit_projects,
}
_DERIVED = {
    "stage",
    "stage_on",
    "signed_on",
    "started_on",
    "produced_on",
    "last_activity_on",
    "is_gongye",
    "item_ids",
    "created_at",
    "owner_unit",
}


def create(conn: Connection) -> None:
    """Create the read model and console tables (migration ``_v5_console``)."""
    from zsapp.office.console import auth

    for table in READ_TABLES + OFFICE_TABLES + auth.TABLES:
        table.create(conn, checkfirst=True)


# -- projection ------------------------------------------------------------------------
def _chunks(items: list, size: int = 400) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _as_int(value: Any, default: int | None = 0) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def _as_text(value: Any, n: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value)[:n]


def _row(table: sa.Table, row_id: str, f: dict[str, Any], created_at: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row_id}
    for col in table.columns:
        name = col.name
        if name == "id" or (table is rm_projects and name in _DERIVED) or name == "created_at":
            continue
        if table is rm_funds and name in ("counted", "prefecture_code", "is_gongye"):
            out[name] = 0 if name != "prefecture_code" else ""
            continue
        if table is rm_visits and name == "visited_on":
            out[name] = _as_text(f.get("visited_at"), 10)
            continue
        value = f.get(name)
        if isinstance(col.type, sa.BigInteger | sa.Integer):
            out[name] = _as_int(value, None if col.nullable else 0)
        else:
            out[name] = _as_text(value, getattr(col.type, "length", None) or 4000)
    if table is rm_projects:
        out["created_at"] = created_at
        out.update({k: "" for k in _DERIVED if k not in ("is_gongye", "created_at")})
        out["is_gongye"] = 0
    if table is rm_stages:
        out["created_at"] = created_at
    return out


def _by_table(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tbl, row_id in keys:
        out.setdefault(tbl, []).append(row_id)
    return out


def _load_fields(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    # ``tbl = ? AND row_id IN (…)`` per table: a primary-key range on SQLite (a row-value
    # IN list is not).
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for tbl, ids in _by_table(keys).items():
        for chunk in _chunks(ids):
            q = sa.select(s.fields.c.row_id, s.fields.c.field, s.fields.c.value).where(
                s.fields.c.tbl == tbl, s.fields.c.row_id.in_(chunk)
            )
            for r in conn.execute(q):
                state.setdefault((tbl, r.row_id), {})[r.field] = (
                    json.loads(r.value) if r.value is not None else None
                )
    return state


def _records(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    out = {}
    for tbl, ids in _by_table(keys).items():
        for chunk in _chunks(ids):
            q = sa.select(
                s.records.c.tbl, s.records.c.row_id, s.records.c.created_at, s.records.c.owner_unit
            ).where(s.records.c.tbl == tbl, s.records.c.row_id.in_(chunk))
            for r in conn.execute(q):
                out[(r.tbl, r.row_id)] = r
    return out


def _upsert(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    if not rows:
        return
    for chunk in _chunks([r["id"] for r in rows], 500):
        conn.execute(sa.delete(table).where(table.c.id.in_(chunk)))
    for chunk in _chunks(rows, 500):
        conn.execute(sa.insert(table), chunk)


def _project_refs(conn: Connection, table: sa.Table, ids: list[str]) -> set[str]:
    """Projects the current read rows ``ids`` of ``table`` point at."""
    out: set[str] = set()
    if table is rm_projects or not ids:
        return set(ids)
    if table is rm_companies:
        for chunk in _chunks(ids):
            out |= {
                r.project_id
                for r in conn.execute(
                    sa.select(rm_investors.c.project_id).where(rm_investors.c.company_id.in_(chunk))
                )
            }
        return out
    if table is rm_visits:
        for chunk in _chunks(ids):
            out |= {
                r.project_id
                for r in conn.execute(
                    sa.select(rm_visit_projects.c.project_id).where(
                        rm_visit_projects.c.visit_id.in_(chunk)
                    )
                )
            }
        return out
    for chunk in _chunks(ids):
        out |= {
            r.project_id
            for r in conn.execute(sa.select(table.c.project_id).where(table.c.id.in_(chunk)))
        }
    return out


def push_hook(conn: Connection, device: dict[str, Any], written: list[dict[str, Any]]) -> None:
    """``zsapp.office.push.PUSH_HOOKS`` entry: re-project what the batch wrote."""
    apply_ops(conn, written)


def apply_ops(conn: Connection, ops: Iterable[dict[str, Any]]) -> int:
    """Re-project every record the applied ``ops`` touched (push hook; same transaction)."""
    keys = sorted({(o["t"], o["id"]) for o in ops if o.get("t") in _PROJECTIONS})
    if not keys:
        return 0
    return _project(conn, keys)


def _project(conn: Connection, keys: list[tuple[str, str]]) -> int:
    state = _load_fields(conn, keys)
    recs = _records(conn, [k for k in keys if k[0] in ("projects", "project_stages")])
    by_table = _by_table(keys)
    touched: set[str] = set()
    for tbl, ids in by_table.items():
        table = _PROJECTIONS[tbl]
        touched |= _project_refs(conn, table, ids)  # before: old links
        live, dead = [], []
        for row_id in ids:
            f = state.get((tbl, row_id)) or {}
            rec = recs.get((tbl, row_id))
            if not f or _as_int(f.get("deleted"), 0):
                dead.append(row_id)
                continue
            row = _row(table, row_id, f, rec.created_at if rec else "")
            if table is rm_projects:
                row["owner_unit"] = rec.owner_unit if rec else ""
            live.append(row)
        for chunk in _chunks(dead, 500):
            conn.execute(sa.delete(table).where(table.c.id.in_(chunk)))
        _upsert(conn, table, live)
        # after: new links (known from the rows, except for companies and visits)
        if table is rm_projects:
            touched |= {r["id"] for r in live}
        elif "project_id" in table.c:
            touched |= {r["project_id"] for r in live}
        else:
            touched |= _project_refs(conn, table, [r["id"] for r in live])
    touched.discard("")
    derive(conn, sorted(touched))
    return len(keys)


# -- derived columns ---------------------------------------------------------------------
def derive(conn: Connection, project_ids: list[str] | None = None, dup: bool = True) -> None:
    """Recompute stage, milestone dates, last activity, 工业 and the double-count pairs of
    ``project_ids`` (all projects when None)."""
    if project_ids is None:
        project_ids = [r.id for r in conn.execute(sa.select(rm_projects.c.id))]
    for chunk in _chunks(project_ids, 500):
        _derive_chunk(conn, chunk)
    if dup:
        refresh_dup_pairs(conn, project_ids)


def _derive_chunk(conn: Connection, ids: list[str]) -> None:
    projects = {
        r.id: r
        for r in conn.execute(
            sa.select(
                rm_projects.c.id,
                rm_projects.c.created_at,
                rm_projects.c.category,
                rm_projects.c.prefecture_code,
            ).where(rm_projects.c.id.in_(ids))
        )
    }
    gone = [pid for pid in ids if pid not in projects]
    if gone:  # money of a deleted (or not yet arrived) project counts nowhere
        conn.execute(
            sa.update(rm_funds)
            .where(rm_funds.c.project_id.in_(gone))
            .values(counted=0, prefecture_code="", is_gongye=0)
        )
    if not projects:
        return
    stages: dict[str, list] = {}
    for r in conn.execute(
        sa.select(rm_stages.c.project_id, rm_stages.c.stage, rm_stages.c.changed_on)
        .where(rm_stages.c.project_id.in_(ids))
        .order_by(rm_stages.c.project_id, rm_stages.c.changed_on, rm_stages.c.created_at)
    ):
        stages.setdefault(r.project_id, []).append((r.stage, r.changed_on))
    last_fund: dict[str, str] = dict(
        conn.execute(
            sa.select(rm_funds.c.project_id, sa.func.max(rm_funds.c.month))
            .where(rm_funds.c.project_id.in_(ids))
            .group_by(rm_funds.c.project_id)
        ).all()
    )
    last_visit: dict[str, str] = dict(
        conn.execute(
            sa.select(rm_visit_projects.c.project_id, sa.func.max(rm_visits.c.visited_on))
            .select_from(
                rm_visit_projects.join(rm_visits, rm_visits.c.id == rm_visit_projects.c.visit_id)
            )
            .where(rm_visit_projects.c.project_id.in_(ids))
            .group_by(rm_visit_projects.c.project_id)
        ).all()
    )
    items: dict[str, list[str]] = {}
    for r in conn.execute(
        sa.select(rm_project_items.c.project_id, rm_project_items.c.item_id)
        .where(rm_project_items.c.project_id.in_(ids))
        .order_by(rm_project_items.c.project_id, rm_project_items.c.item_id)
    ):
        items.setdefault(r.project_id, []).append(r.item_id)
    for pid, p in projects.items():
        hist = stages.get(pid, [])
        stage, stage_on = hist[-1] if hist else ("", "")
        reached = {}
        for key, names in PIPELINE_AFTER.items():
            dates = [d for st, d in hist if st in names and d]
            reached[key] = min(dates) if dates else ""
        activity = [d for _st, d in hist if d]
        if last_fund.get(pid):
            activity.append(last_fund[pid] + "-01")
        if last_visit.get(pid):
            activity.append(last_visit[pid])
        last = max(activity) if activity else _hlc_date(p.created_at)
        its = items.get(pid, [])
        gongye = int(any(i[:3] in GONGYE_INDUSTRIES for i in its))
        f = rm_funds.c
        conn.execute(
            sa.update(rm_funds)
            .where(f.project_id == pid)
            .values(
                prefecture_code=p.prefecture_code,
                is_gongye=gongye,
                counted=sa.case(
                    (
                        sa.and_(f.outside_province == 1, f.industrial == 1),
                        int(p.category == "产业类"),
                    ),
                    else_=0,
                ),
            )
        )
        conn.execute(
            sa.update(rm_projects)
            .where(rm_projects.c.id == pid)
            .values(
                stage=stage,
                stage_on=stage_on,
                signed_on=reached["签约"],
                started_on=reached["开工"],
                produced_on=reached["投产"],
                last_activity_on=last,
                item_ids=json.dumps(its)[:400],
                is_gongye=gongye,
            )
        )


def _hlc_date(hlc: str) -> str:
    try:
        ms = int(str(hlc).split("-", 1)[0])
    except ValueError:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()


# -- double counts -------------------------------------------------------------------------
NAME_SIMILARITY = 0.6
AMOUNT_TOLERANCE = 0.10  # 总投资 within 10 %
_NAME_NOISE = re.compile(r"[\s（）()【】\[\]·,，、\-—]|项目|建设|工程|有限公司|一期|二期")


def _norm_name(name: str) -> str:
    return _NAME_NOISE.sub("", name or "")


def name_similarity(a: str, b: str) -> float:
    a, b = _norm_name(a), _norm_name(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _months(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Per project the span of months it claims: funds arrivals, else its 签约 month."""
    out: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for r in conn.execute(
            sa.select(
                rm_funds.c.project_id, sa.func.min(rm_funds.c.month), sa.func.max(rm_funds.c.month)
            )
            .where(rm_funds.c.project_id.in_(chunk))
            .group_by(rm_funds.c.project_id)
        ):
            out[r[0]] = (r[1], r[2])
    return out


def refresh_dup_pairs(conn: Connection, project_ids: list[str]) -> None:
    """Recompute the candidate double counts involving ``project_ids``: another project
    with an investor of the same 统一社会信用代码, a similar name, a 总投资 within 10 % and
    overlapping months."""
    if not project_ids:
        return
    for chunk in _chunks(project_ids, 400):
        conn.execute(
            sa.delete(rm_dup_pairs).where(
                sa.or_(rm_dup_pairs.c.a.in_(chunk), rm_dup_pairs.c.b.in_(chunk))
            )
        )
    i1, i2 = rm_investors.alias("i1"), rm_investors.alias("i2")
    c1, c2 = rm_companies.alias("c1"), rm_companies.alias("c2")
    candidates: dict[tuple[str, str], str] = {}
    for chunk in _chunks(project_ids, 400):
        q = (
            sa.select(i1.c.project_id, i2.c.project_id, c1.c.uscc)
            .select_from(
                i1.join(c1, c1.c.id == i1.c.company_id)
                .join(c2, sa.and_(c2.c.uscc == c1.c.uscc, c2.c.uscc != ""))
                .join(i2, i2.c.company_id == c2.c.id)
            )
            .where(i1.c.project_id.in_(chunk), i2.c.project_id != i1.c.project_id)
        )
        for a, b, uscc in cast("Iterable[tuple[str, str, str]]", conn.execute(q)):
            candidates[(min(a, b), max(a, b))] = uscc
    if not candidates:
        return
    ids = sorted({x for pair in candidates for x in pair})
    info = {}
    for chunk in _chunks(ids):
        for r in conn.execute(
            sa.select(
                rm_projects.c.id,
                rm_projects.c.name,
                rm_projects.c.total_investment_wan,
                rm_projects.c.created_at,
                rm_projects.c.signed_on,
            ).where(rm_projects.c.id.in_(chunk))
        ):
            info[r.id] = r
    months = _months(conn, ids)
    rows = []
    for (a, b), uscc in sorted(candidates.items()):
        pa, pb = info.get(a), info.get(b)
        if pa is None or pb is None:
            continue
        ta, tb = pa.total_investment_wan, pb.total_investment_wan
        if not ta or not tb or abs(ta - tb) > AMOUNT_TOLERANCE * max(ta, tb):
            continue
        ma = months.get(a) or ((pa.signed_on[:7],) * 2 if pa.signed_on else None)
        mb = months.get(b) or ((pb.signed_on[:7],) * 2 if pb.signed_on else None)
        if not ma or not mb or ma[0] > mb[1] or mb[0] > ma[1]:
            continue
        sim = name_similarity(pa.name, pb.name)
        if sim < NAME_SIMILARITY:
            continue
        first = a if (pa.created_at, a) <= (pb.created_at, b) else b
        rows.append({"a": a, "b": b, "uscc": uscc, "first": first, "name_similarity": sim})
    for chunk in _chunks(rows, 500):
        conn.execute(sa.insert(rm_dup_pairs), chunk)


# -- rebuild -------------------------------------------------------------------------------
def rebuild(conn: Connection) -> dict[str, int]:
    """Recreate every read table from the field store (office decisions are kept)."""
    counts: dict[str, int] = {}
    for table in READ_TABLES:
        conn.execute(sa.delete(table))
    for tbl, table in _PROJECTIONS.items():
        recs = {
            r.row_id: r
            for r in conn.execute(
                sa.select(s.records.c.row_id, s.records.c.created_at, s.records.c.owner_unit).where(
                    s.records.c.tbl == tbl
                )
            )
        }
        rows: list[dict] = []
        for row_id, f in _stored_rows(conn, tbl):
            if not f or _as_int(f.get("deleted"), 0):
                continue
            rec = recs.get(row_id)
            row = _row(table, row_id, f, rec.created_at if rec else "")
            if table is rm_projects:
                row["owner_unit"] = rec.owner_unit if rec else ""
            rows.append(row)
        for chunk in _chunks(rows, 1000):
            conn.execute(sa.insert(table), chunk)
        counts[tbl] = len(rows)
    derive(conn, None, dup=False)
    ids = [r.project_id for r in conn.execute(sa.select(rm_investors.c.project_id).distinct())]
    refresh_dup_pairs(conn, ids)
    return counts


def _stored_rows(conn: Connection, tbl: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """(row id, {field: value}) of every stored record of ``tbl``, streamed in id order."""
    q = (
        sa.select(s.fields.c.row_id, s.fields.c.field, s.fields.c.value)
        .where(s.fields.c.tbl == tbl)
        .order_by(s.fields.c.row_id)
    )
    cur_id: str | None = None
    cur: dict[str, Any] = {}
    for r in conn.execute(q.execution_options(yield_per=5000)):
        if r.row_id != cur_id:
            if cur_id is not None:
                yield cur_id, cur
            cur_id, cur = r.row_id, {}
        cur[r.field] = json.loads(r.value) if r.value is not None else None
    if cur_id is not None:
        yield cur_id, cur


def read_model_counts(conn: Connection) -> dict[str, int]:
    return {
        t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0
        for t in READ_TABLES
    }


def _register() -> None:
    from zsapp.office.push import PUSH_HOOKS

    if push_hook not in PUSH_HOOKS:
        PUSH_HOOKS.append(push_hook)


_register()
