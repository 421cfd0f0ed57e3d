"""督查 figures over the read model, exactly as the policy defines them.

- 到位资金: 产业类 projects only (not 房地产/基础设施/金融类), money flagged 省外 and 产业类,
  counted in the month it arrived; cumulative from January 2022 (the policy period
  2022–2024) to the end of the chosen quarter. 工业: of which projects with an item in a
  manufacturing industry (reports.GONGYE_INDUSTRIES).
- ≥10亿 projects: 产业类, 总投资 ≥ 10 亿元, first reaching 签约 (or later) in the period.
- 世界500强: distinct firms (by 统一社会信用代码, else record) that invest in a project that
  has reached 签约, counted in the quarter their first such project signed.
- Double counts: every project judged a duplicate (first-claim rule unless the office
  ruled otherwise) is left out of every figure.
- Transfers: for each 州市, money arriving before a transfer counts for the side it was
  with; from the transfer month on it is split by the agreed share (integer 万元, the
  remainder to the receiving side); project counts follow the latest transfer's credit
  share (fractional counts). Province totals are unaffected by splits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp import regions
from zsapp.office import reports as r
from zsapp.office.service import OfficeError

PERIOD_START = "2022-01"
BIG_WAN = 100_000  # 10 亿元 in 万元
TARGETS = {
    "funds_wan": 83_000_000,  # 8300 亿元
    "gongye_wan": 36_000_000,  # 3600 亿元
    "big_projects": 300,
    "fortune500": 150,
}
TARGET_LABELS = {
    "funds_wan": "产业类省外到位资金（亿元）",
    "gongye_wan": "其中工业引资（亿元）",
    "big_projects": "10亿元以上产业类项目（个）",
    "fortune500": "入滇世界500强企业（家）",
}
STAGES = ("线索", "在谈", "签约", "开工", "投产", "停滞", "终止")
_QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")


@dataclasses.dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def first_month(self) -> str:
        return f"{self.year}-{3 * self.q - 2:02d}"

    @property
    def last_month(self) -> str:
        return f"{self.year}-{3 * self.q:02d}"

    @property
    def last_day(self) -> str:
        nxt = dt.date(self.year + (self.q == 4), 1 if self.q == 4 else 3 * self.q + 1, 1)
        return (nxt - dt.timedelta(days=1)).isoformat()

    def title(self) -> str:
        return f"{self.year}年第{'一二三四'[self.q - 1]}季度"


def parse_quarter(text: str) -> Quarter:
    m = _QUARTER.match((text or "").strip())
    if not m:
        raise OfficeError(f"季度“{text}”格式不正确，应为 2026Q4 这样的写法")
    quarter = Quarter(int(m.group(1)), int(m.group(2)))
    if quarter.year < 2000 or quarter.year > 2100:
        raise OfficeError(f"季度“{text}”超出范围")
    return quarter


def current_quarter(today: dt.date | None = None) -> Quarter:
    today = today or dt.date.today()
    return Quarter(today.year, (today.month - 1) // 3 + 1)


def quarter_of_month(month: str) -> str:
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def quarters_between(start_month: str, end: Quarter) -> list[str]:
    y, q = int(start_month[:4]), (int(start_month[5:7]) - 1) // 3 + 1
    out = []
    while (y, q) <= (end.year, end.q):
        out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def prefectures() -> list[dict[str, str]]:
    return [{"code": p["code"], "name": p["name"]} for p in regions.prefectures()]


def prefecture_name(code: str) -> str:
    for p in regions.prefectures():
        if p["code"] == code:
            return p["name"]
    return code or "（未填州市）"


# -- scope ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Scope:
    """Who is looking: ``prefecture`` None = the whole province, else one 州市 code."""

    prefecture: str | None = None

    def allows(self, code: str) -> bool:
        return self.prefecture is None or code == self.prefecture


# -- double counts ---------------------------------------------------------------------
def excluded_projects(conn: Connection) -> set[str]:
    """Projects left out of the figures as double counts (first claim kept unless ruled)."""
    rulings = {
        (x.a, x.b): x.resolution
        for x in conn.execute(
            sa.select(r.dup_resolutions.c.a, r.dup_resolutions.c.b, r.dup_resolutions.c.resolution)
        )
    }
    out: set[str] = set()
    for pair in conn.execute(sa.select(r.rm_dup_pairs)):
        ruling = rulings.get((pair.a, pair.b), "first")
        if ruling == "distinct":
            continue
        later = pair.b if pair.first == pair.a else pair.a
        out.add(later if ruling == "first" else pair.first)
    return out


def _not_excluded(col, excluded: set[str]):
    if not excluded:
        return sa.true()
    return col.not_in(sa.bindparam("excluded", sorted(excluded), expanding=True))


# -- transfers and splits ----------------------------------------------------------------
def _transfers_by_project(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    t, sp = r.rm_transfers, r.transfer_splits
    q = (
        sa.select(
            t.c.id,
            t.c.project_id,
            t.c.transferred_on,
            t.c.from_prefecture_code,
            t.c.to_prefecture_code,
            sa.func.coalesce(sp.c.from_funds_pct, 0).label("from_funds_pct"),
            sa.func.coalesce(sp.c.from_credit_pct, 0).label("from_credit_pct"),
        )
        .select_from(t.outerjoin(sp, sp.c.transfer_id == t.c.id))
        .where(t.c.from_prefecture_code != t.c.to_prefecture_code)
        .order_by(t.c.project_id, t.c.transferred_on, t.c.id)
    )
    out: dict[str, list] = defaultdict(list)
    for row in conn.execute(q):
        out[row.project_id].append(dict(row._mapping))
    return out


def _split_amount(
    transfers: list[dict], month: str, amount: int, current: str
) -> list[tuple[str, int]]:
    """[(州市, 万元)] for money of ``month`` on a transferred project."""
    if not transfers:
        return [(current, amount)]
    before = [t for t in transfers if t["transferred_on"][:7] <= month]
    if not before:
        return [(transfers[0]["from_prefecture_code"], amount)]
    t = before[-1]
    share = amount * int(t["from_funds_pct"]) // 100
    return [(t["from_prefecture_code"], share), (t["to_prefecture_code"], amount - share)]


def _split_credit(transfers: list[dict], current: str) -> list[tuple[str, float]]:
    if not transfers:
        return [(current, 1.0)]
    t = transfers[-1]
    share = int(t["from_credit_pct"]) / 100
    out = [(t["to_prefecture_code"], 1.0 - share)]
    if share:
        out.append((t["from_prefecture_code"], share))
    return out


# -- overview --------------------------------------------------------------------------
def _rows(conn: Connection, q: Any) -> Any:
    """The rows of an aggregate select, loosely typed: mypy sees its mixed SQL expressions
    (sums, cases) as ``object`` columns, so each caller unpacks plain values."""
    return conn.execute(q)


def _funds_by_pref_month(
    conn: Connection, end: Quarter, excluded: set[str], transfers: dict[str, list]
) -> tuple[dict, dict]:
    """{(州市, month): 万元} for all 产业类 省外 money and for 工业 money.

    One covering-index scan sums everything by the project's current 州市; the few
    double counts and transferred projects are then taken out again and (transferred
    ones) re-added with their benefit split."""
    f = r.rm_funds
    in_period = sa.and_(f.c.counted == 1, f.c.month >= PERIOD_START, f.c.month <= end.last_month)
    funds: dict[tuple[str, str], int] = defaultdict(int)
    gongye: dict[tuple[str, str], int] = defaultdict(int)
    q = (
        sa.select(f.c.prefecture_code, f.c.month, f.c.is_gongye, sa.func.sum(f.c.amount_wan))
        .where(in_period)
        .group_by(f.c.month, f.c.prefecture_code, f.c.is_gongye)  # the index order
    )
    for pref, month, is_gongye, total in _rows(conn, q):
        funds[(pref, month)] += int(total or 0)
        if is_gongye:
            gongye[(pref, month)] += int(total or 0)
    special = sorted(excluded | set(transfers))
    for chunk in [special[i : i + 500] for i in range(0, len(special), 500)]:
        # By project only (its index); the period and scope are checked here.
        q = sa.select(
            f.c.project_id,
            f.c.prefecture_code,
            f.c.month,
            f.c.is_gongye,
            f.c.amount_wan,
            f.c.counted,
        ).where(f.c.project_id.in_(chunk))
        for pid, pref, month, is_gongye, amount, counted in _rows(conn, q):
            if not counted or not PERIOD_START <= month <= end.last_month:
                continue
            amount = int(amount)
            parts = [] if pid in excluded else _split_amount(transfers[pid], month, amount, pref)
            for side, part in [(pref, -amount), *parts]:
                funds[(side, month)] += part
                if is_gongye:
                    gongye[(side, month)] += part
    return funds, gongye


_MILESTONES = (("signed", "signed_on"), ("started", "started_on"), ("produced", "produced_on"))


def _milestones(conn: Connection, end: Quarter, excluded: set[str], transfers: dict) -> dict:
    """{kind: {(州市, quarter): credit}} for signed/started/produced/big projects, counted
    by GROUP BY; double counts and transferred projects adjusted afterwards."""
    p = r.rm_projects
    out: dict[str, dict] = {k: defaultdict(float) for k in ("signed", "started", "produced", "big")}
    lo, hi = PERIOD_START + "-01", end.last_day
    big = sa.and_(p.c.category == "产业类", p.c.total_investment_wan >= BIG_WAN)
    # One scan: projects grouped by 州市 and the months they reached each milestone.
    is_big = sa.case((big, 1), else_=0)
    months = [sa.func.substr(p.c[column], 1, 7) for _kind, column in _MILESTONES]
    q = (
        sa.select(p.c.prefecture_code, *months, is_big, sa.func.count())
        .where(sa.or_(*(p.c[column] != "" for _kind, column in _MILESTONES)))
        .group_by(p.c.prefecture_code, *months, is_big)
    )
    lo_m, hi_m = PERIOD_START, end.last_month
    for pref, signed, started, produced, big_flag, n in _rows(conn, q):
        for kind, m in (("signed", signed), ("started", started), ("produced", produced)):
            if m and lo_m <= m <= hi_m:
                out[kind][(pref, quarter_of_month(m))] += n
        if big_flag and signed and lo_m <= signed <= hi_m:
            out["big"][(pref, quarter_of_month(signed))] += n
    special = sorted(excluded | set(transfers))
    for chunk in [special[i : i + 500] for i in range(0, len(special), 500)]:
        q = sa.select(
            p.c.id, p.c.prefecture_code, p.c.signed_on, p.c.started_on, p.c.produced_on,
            p.c.total_investment_wan, p.c.category,
        ).where(p.c.id.in_(chunk))  # fmt: skip
        for row in conn.execute(q):
            credit = (
                [] if row.id in excluded else _split_credit(transfers[row.id], row.prefecture_code)
            )
            big_row = row.category == "产业类" and (row.total_investment_wan or 0) >= BIG_WAN
            for kind, column in (*_MILESTONES, ("big", "signed_on")):
                date = getattr(row, column)
                if not date or not lo <= date <= hi or (kind == "big" and not big_row):
                    continue
                qtr = quarter_of_month(date[:7])
                for side, share in [(row.prefecture_code, -1.0), *credit]:
                    out[kind][(side, qtr)] += share
    return out


def _fortune500(conn: Connection, end: Quarter, excluded: set[str]) -> tuple[dict, dict]:
    """({firm: first quarter}, {州市: {firms}}) for 世界500强 investors of signed projects.
    From the (few) 500强 companies to their projects: three small indexed lookups."""
    p, i, c = r.rm_projects, r.rm_investors, r.rm_companies
    firms = {
        row.id: row.uscc or row.merged_into or row.id
        for row in conn.execute(
            sa.select(c.c.id, c.c.uscc, c.c.merged_into).where(c.c.is_fortune500 == 1)
        )
    }
    links: dict[str, set[str]] = defaultdict(set)  # project → firms
    ids = sorted(firms)
    for chunk in [ids[k : k + 500] for k in range(0, len(ids), 500)]:
        for row in conn.execute(
            sa.select(i.c.project_id, i.c.company_id).where(i.c.company_id.in_(chunk))
        ):
            links[row.project_id].add(firms[row.company_id])
    first: dict[str, str] = {}
    by_pref: dict[str, set] = defaultdict(set)
    pids = sorted(set(links) - excluded)
    for chunk in [pids[k : k + 500] for k in range(0, len(pids), 500)]:
        for row in conn.execute(
            sa.select(p.c.id, p.c.prefecture_code, p.c.signed_on).where(p.c.id.in_(chunk))
        ):
            if not row.signed_on or row.signed_on > end.last_day:
                continue
            quarter = quarter_of_month(row.signed_on[:7])
            for firm in links[row.id]:
                if firm not in first or quarter < first[firm]:
                    first[firm] = quarter
                by_pref[row.prefecture_code].add(firm)
    return first, by_pref


def overview(conn: Connection, quarter: Quarter, scope: Scope) -> dict[str, Any]:
    excluded = excluded_projects(conn)
    transfers = _transfers_by_project(conn)
    funds, gongye = _funds_by_pref_month(conn, quarter, excluded, transfers)
    miles = _milestones(conn, quarter, excluded, transfers)
    f500_first, f500_pref = _fortune500(conn, quarter, excluded)
    quarters = quarters_between(PERIOD_START, quarter)

    def in_scope(pref: str) -> bool:
        return scope.allows(pref)

    series = {
        k: dict.fromkeys(quarters, 0)
        for k in ("funds_wan", "gongye_wan", "big_projects", "fortune500")
    }
    for (pref, month), v in funds.items():
        if in_scope(pref):
            series["funds_wan"][quarter_of_month(month)] += v
    for (pref, month), v in gongye.items():
        if in_scope(pref):
            series["gongye_wan"][quarter_of_month(month)] += v
    for (pref, qtr), v in miles["big"].items():
        if in_scope(pref) and qtr in series["big_projects"]:
            series["big_projects"][qtr] += v
    if scope.prefecture is None:
        for _firm, qtr in f500_first.items():
            if qtr in series["fortune500"]:
                series["fortune500"][qtr] += 1
    else:
        # Firms landed in this 州市: counted in the quarter of their first project anywhere.
        for firm in f500_pref.get(scope.prefecture, ()):
            qtr = f500_first[firm]
            if qtr in series["fortune500"]:
                series["fortune500"][qtr] += 1

    targets = []
    for key, label in TARGET_LABELS.items():
        values = series[key]
        cumulative, running = [], 0
        for qtr in quarters:
            running += values[qtr]
            cumulative.append(running)
        target = TARGETS[key]
        targets.append(
            {
                "key": key,
                "label": label,
                "target": target,
                "quarter_value": _whole(values[quarter.label]),
                "cumulative": _whole(running),
                "percent": round(100 * running / target, 1) if target else 0.0,
                "by_quarter": [_whole(values[qtr]) for qtr in quarters],
                "cumulative_by_quarter": [_whole(v) for v in cumulative],
                "money": key.endswith("_wan"),
            }
        )

    table = []
    codes = [p["code"] for p in prefectures()]
    for code in codes + sorted({k[0] for k in funds} - set(codes) - {""}):
        if not in_scope(code):
            continue
        row = {
            "code": code,
            "name": prefecture_name(code),
            "funds_wan": sum(v for (pref, _m), v in funds.items() if pref == code),
            "quarter_funds_wan": sum(
                v
                for (pref, m), v in funds.items()
                if pref == code and quarter_of_month(m) == quarter.label
            ),
            "gongye_wan": sum(v for (pref, _m), v in gongye.items() if pref == code),
            "big_projects": _total(miles["big"], code),
            "fortune500": len(f500_pref.get(code, ())),
            "signed": _total(miles["signed"], code),
            "started": _total(miles["started"], code),
            "produced": _total(miles["produced"], code),
        }
        table.append(row)
    table.sort(key=lambda x: (-x["funds_wan"], -x["big_projects"], -x["fortune500"], x["code"]))
    for rank, row in enumerate(table, 1):
        row["rank"] = rank
    return {
        "quarter": quarter.label,
        "quarter_title": quarter.title(),
        "quarters": quarters,
        "targets": targets,
        "prefectures": table,
        "excluded_count": len(excluded),
        "scope": scope.prefecture,
    }


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _total(values: dict, code: str) -> float:
    total = sum(v for (pref, _q), v in values.items() if pref == code)
    return int(total) if float(total).is_integer() else round(total, 2)


# -- project library ---------------------------------------------------------------------
@dataclasses.dataclass
class ProjectQuery:
    prefecture: str = ""
    industry: str = ""  # I02 or an item id I02-04
    stage: str = ""
    big: bool = False
    major: bool = False
    stalled: bool = False
    text: str = ""
    stalled_days: int = 90
    today: dt.date | None = None
    limit: int = 50
    offset: int = 0


def _stalled_clause(days: int, today: dt.date | None):
    p = r.rm_projects
    cutoff = ((today or dt.date.today()) - dt.timedelta(days=days)).isoformat()
    return sa.and_(
        p.c.stage.not_in(["投产", "终止"]),
        sa.or_(p.c.stage == "停滞", p.c.last_activity_on < cutoff),
    )


def project_list(conn: Connection, scope: Scope, f: ProjectQuery) -> dict[str, Any]:
    p = r.rm_projects
    conds = []
    if scope.prefecture is not None:
        conds.append(p.c.prefecture_code == scope.prefecture)
    if f.prefecture:
        conds.append(p.c.prefecture_code == f.prefecture)
    if f.industry:
        it = r.rm_project_items
        match = (
            it.c.item_id == f.industry
            if "-" in f.industry
            else it.c.item_id.startswith(f.industry + "-")
        )
        conds.append(sa.exists().where(it.c.project_id == p.c.id, match))
    if f.stage:
        conds.append(p.c.stage == f.stage)
    if f.big:
        conds.append(p.c.total_investment_wan >= BIG_WAN)
    if f.major:
        conds.append(p.c.is_provincial_major == 1)
    if f.stalled:
        conds.append(_stalled_clause(f.stalled_days, f.today))
    if f.text.strip():
        like = "%" + f.text.strip().replace("%", "").replace("_", "") + "%"
        conds.append(sa.or_(p.c.name.like(like), p.c.code.like(like)))
    where = sa.and_(sa.true(), *conds)
    total = conn.execute(sa.select(sa.func.count()).select_from(p).where(where)).scalar() or 0
    rows = conn.execute(
        sa.select(
            p.c.id,
            p.c.code,
            p.c.name,
            p.c.prefecture_code,
            p.c.category,
            p.c.total_investment_wan,
            p.c.stage,
            p.c.stage_on,
            p.c.last_activity_on,
            p.c.is_provincial_major,
            p.c.item_ids,
        )
        .where(where)
        .order_by(p.c.code, p.c.id)
        .limit(max(1, min(int(f.limit), 500)))
        .offset(max(0, int(f.offset)))
    ).all()
    return {"total": total, "rows": [_project_row(x) for x in rows]}


def _project_row(x) -> dict[str, Any]:
    d = dict(x._mapping)
    d["prefecture"] = prefecture_name(d.get("prefecture_code", ""))
    d["items"] = json.loads(d.pop("item_ids", "") or "[]") if "item_ids" in d else []
    return d


def project_detail(conn: Connection, scope: Scope, project_id: str) -> dict[str, Any] | None:
    """A project with history; None when it does not exist or is outside the scope."""
    p = r.rm_projects
    row = conn.execute(sa.select(p).where(p.c.id == project_id)).first()
    if row is None or not scope.allows(row.prefecture_code):
        return None
    out = _project_row(row)
    out["stages"] = [
        dict(x._mapping)
        for x in conn.execute(
            sa.select(r.rm_stages.c.stage, r.rm_stages.c.changed_on, r.rm_stages.c.note)
            .where(r.rm_stages.c.project_id == project_id)
            .order_by(r.rm_stages.c.changed_on, r.rm_stages.c.created_at)
        )
    ]
    f = r.rm_funds
    out["funds"] = [
        dict(x._mapping)
        for x in conn.execute(
            sa.select(
                f.c.month,
                sa.func.sum(f.c.amount_wan).label("total_wan"),
                sa.func.sum(
                    sa.case(
                        (sa.and_(f.c.outside_province == 1, f.c.industrial == 1), f.c.amount_wan),
                        else_=0,
                    )
                ).label("counted_wan"),
            )
            .where(f.c.project_id == project_id)
            .group_by(f.c.month)
            .order_by(f.c.month)
        )
    ]
    out["overrides"] = [
        dict(x._mapping)
        for x in conn.execute(
            sa.select(
                r.rm_overrides.c.rule_id,
                r.rm_overrides.c.reason,
                r.rm_overrides.c.decided_by,
                r.rm_overrides.c.decided_on,
            )
            .where(r.rm_overrides.c.project_id == project_id)
            .order_by(r.rm_overrides.c.decided_on)
        )
    ]
    try:
        answers = json.loads(row.answers or "{}")
    except ValueError:
        answers = {}
    out["answers"] = answers if isinstance(answers, dict) else {}
    i, c = r.rm_investors, r.rm_companies
    out["investors"] = [
        dict(x._mapping)
        for x in conn.execute(
            sa.select(c.c.name, c.c.uscc, c.c.is_fortune500, c.c.ownership, i.c.role)
            .select_from(i.join(c, c.c.id == i.c.company_id))
            .where(i.c.project_id == project_id)
        )
    ]
    out["transfers"] = transfers(conn, Scope(None), project_id=project_id)
    rect = conn.execute(
        sa.select(r.rectifications).where(r.rectifications.c.project_id == project_id)
    ).first()
    out["rectification"] = dict(rect._mapping) if rect else None
    return out


# -- stalled ---------------------------------------------------------------------------
def stalled(
    conn: Connection, scope: Scope, days: int = 90, today: dt.date | None = None, limit: int = 500
) -> dict[str, Any]:
    p, rc = r.rm_projects, r.rectifications
    conds = [_stalled_clause(days, today)]
    if scope.prefecture is not None:
        conds.append(p.c.prefecture_code == scope.prefecture)
    where = sa.and_(*conds)
    by_pref: dict[str, int] = dict(
        conn.execute(
            sa.select(p.c.prefecture_code, sa.func.count())
            .where(where)
            .group_by(p.c.prefecture_code)
        ).all()
    )
    rows = conn.execute(
        sa.select(
            p.c.id,
            p.c.code,
            p.c.name,
            p.c.prefecture_code,
            p.c.stage,
            p.c.last_activity_on,
            p.c.total_investment_wan,
            rc.c.status,
            rc.c.deadline,
            rc.c.note,
        )
        .select_from(p.outerjoin(rc, rc.c.project_id == p.c.id))
        .where(where)
        .order_by(p.c.last_activity_on, p.c.id)
        .limit(limit)
    ).all()
    return {
        "days": days,
        "total": sum(by_pref.values()),
        "by_prefecture": sorted(
            ({"code": k, "name": prefecture_name(k), "count": v} for k, v in by_pref.items()),
            key=lambda x: (-x["count"], x["code"]),
        ),
        "rows": [_project_row(x) for x in rows],
    }


def set_rectification(
    conn: Connection, project_id: str, status: str, *, note: str = "", deadline: str = "", by: str
) -> None:
    if status not in r.RECTIFY_STATUSES:
        raise OfficeError(f"整治状态应为 {' / '.join(r.RECTIFY_STATUSES)} 之一")
    if deadline:
        try:
            dt.date.fromisoformat(deadline)
        except ValueError:
            raise OfficeError("整改期限格式应为 YYYY-MM-DD") from None
    if status == "限期整改" and not deadline:
        raise OfficeError("限期整改需要填写整改期限")
    if (
        conn.execute(sa.select(r.rm_projects.c.id).where(r.rm_projects.c.id == project_id)).first()
        is None
    ):
        raise OfficeError("找不到该项目")
    conn.execute(sa.delete(r.rectifications).where(r.rectifications.c.project_id == project_id))
    conn.execute(
        sa.insert(r.rectifications).values(
            project_id=project_id,
            status=status,
            deadline=deadline,
            note=note[:2000],
            recorded_by=by,
            recorded_at=_now(),
        )
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# -- transfers -------------------------------------------------------------------------
def transfers(
    conn: Connection, scope: Scope, project_id: str | None = None
) -> list[dict[str, Any]]:
    t, p, sp = r.rm_transfers, r.rm_projects, r.transfer_splits
    q = (
        sa.select(
            t.c.id,
            t.c.project_id,
            t.c.transferred_on,
            t.c.from_prefecture_code,
            t.c.to_prefecture_code,
            t.c.from_park_id,
            t.c.to_park_id,
            t.c.reason,
            t.c.decided_by,
            p.c.code,
            p.c.name,
            sp.c.from_funds_pct,
            sp.c.from_credit_pct,
            sp.c.note.label("split_note"),
        )
        .select_from(t.join(p, p.c.id == t.c.project_id).outerjoin(sp, sp.c.transfer_id == t.c.id))
        .order_by(t.c.transferred_on.desc(), t.c.id)
    )
    if project_id:
        q = q.where(t.c.project_id == project_id)
    if scope.prefecture is not None:
        q = q.where(
            sa.or_(
                t.c.from_prefecture_code == scope.prefecture,
                t.c.to_prefecture_code == scope.prefecture,
            )
        )
    out = []
    for x in conn.execute(q):
        d = dict(x._mapping)
        d["from_name"] = prefecture_name(d["from_prefecture_code"])
        d["to_name"] = prefecture_name(d["to_prefecture_code"])
        d["split_recorded"] = d["from_funds_pct"] is not None
        out.append(d)
    return out


def set_split(
    conn: Connection,
    transfer_id: str,
    from_funds_pct: int,
    from_credit_pct: int,
    *,
    note: str = "",
    by: str,
) -> None:
    for v in (from_funds_pct, from_credit_pct):
        if not isinstance(v, int) or not 0 <= v <= 100:
            raise OfficeError("分成比例应为 0 到 100 之间的整数（百分比）")
    if (
        conn.execute(
            sa.select(r.rm_transfers.c.id).where(r.rm_transfers.c.id == transfer_id)
        ).first()
        is None
    ):
        raise OfficeError("找不到该流转记录")
    conn.execute(sa.delete(r.transfer_splits).where(r.transfer_splits.c.transfer_id == transfer_id))
    conn.execute(
        sa.insert(r.transfer_splits).values(
            transfer_id=transfer_id,
            from_funds_pct=from_funds_pct,
            from_credit_pct=from_credit_pct,
            note=note[:2000],
            recorded_by=by,
            recorded_at=_now(),
        )
    )


# -- double counts -----------------------------------------------------------------------
def duplicates(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    d, res, p = r.rm_dup_pairs, r.dup_resolutions, r.rm_projects
    pa, pb = p.alias("pa"), p.alias("pb")
    q = (
        sa.select(
            d.c.a,
            d.c.b,
            d.c.uscc,
            d.c.first,
            d.c.name_similarity,
            pa.c.code.label("a_code"),
            pa.c.name.label("a_name"),
            pa.c.prefecture_code.label("a_pref"),
            pa.c.total_investment_wan.label("a_wan"),
            pa.c.created_at.label("a_created"),
            pb.c.code.label("b_code"),
            pb.c.name.label("b_name"),
            pb.c.prefecture_code.label("b_pref"),
            pb.c.total_investment_wan.label("b_wan"),
            pb.c.created_at.label("b_created"),
            res.c.resolution,
            res.c.note,
            res.c.recorded_by,
            res.c.recorded_at,
        )
        .select_from(
            d.join(pa, pa.c.id == d.c.a)
            .join(pb, pb.c.id == d.c.b)
            .outerjoin(res, sa.and_(res.c.a == d.c.a, res.c.b == d.c.b))
        )
        .order_by(d.c.uscc, d.c.a, d.c.b)
    )
    if scope.prefecture is not None:
        q = q.where(
            sa.or_(
                pa.c.prefecture_code == scope.prefecture, pb.c.prefecture_code == scope.prefecture
            )
        )
    out = []
    for x in conn.execute(q):
        row = dict(x._mapping)
        row["a_pref_name"] = prefecture_name(row["a_pref"])
        row["b_pref_name"] = prefecture_name(row["b_pref"])
        if scope.prefecture is not None:
            # The other 州市's claim is named by its 州市 only, never by project.
            for side in ("a", "b"):
                if row[f"{side}_pref"] != scope.prefecture:
                    row[f"{side}_code"], row[f"{side}_name"] = "", "（其他州市申报的项目）"
        ruling = row["resolution"] or "first"
        later = row["b"] if row["first"] == row["a"] else row["a"]
        row["excluded"] = (
            None if ruling == "distinct" else (later if ruling == "first" else row["first"])
        )
        row["status"] = (
            r.DUP_RESOLUTIONS[row["resolution"]] if row["resolution"] else "待裁定（暂按先报认定）"
        )
        out.append(row)
    return out


def resolve_duplicate(
    conn: Connection, a: str, b: str, resolution: str, *, note: str = "", by: str
) -> None:
    if resolution not in r.DUP_RESOLUTIONS:
        raise OfficeError("裁定结果应为 " + " / ".join(r.DUP_RESOLUTIONS.values()) + " 之一")
    a, b = min(a, b), max(a, b)
    if (
        conn.execute(
            sa.select(r.rm_dup_pairs.c.a).where(r.rm_dup_pairs.c.a == a, r.rm_dup_pairs.c.b == b)
        ).first()
        is None
    ):
        raise OfficeError("找不到这对疑似重复的项目")
    conn.execute(
        sa.delete(r.dup_resolutions).where(r.dup_resolutions.c.a == a, r.dup_resolutions.c.b == b)
    )
    conn.execute(
        sa.insert(r.dup_resolutions).values(
            a=a, b=b, resolution=resolution, note=note[:2000], recorded_by=by, recorded_at=_now()
        )
    )


# -- investors directory -----------------------------------------------------------------
def investors(conn: Connection) -> dict[str, Any]:
    c = r.rm_companies
    live = sa.or_(c.c.merged_into == "", c.c.merged_into.is_(None))
    region = sa.func.coalesce(sa.func.nullif(c.c.region_tag, ""), "其他")
    q = (
        sa.select(
            region.label("region"),
            c.c.origin_province,
            sa.func.count().label("total"),
            sa.func.sum(c.c.is_fortune500).label("fortune500"),
            sa.func.sum(sa.case((c.c.ownership == "央企", 1), else_=0)).label("central"),
            sa.func.sum(c.c.is_specialized_giant).label("specialized"),
            sa.func.sum(c.c.is_dishonest).label("dishonest"),
        )
        .where(live)
        .group_by(region, c.c.origin_province)
        .order_by(sa.func.count().desc(), region, c.c.origin_province)
    )
    rows: list[dict[str, Any]] = []
    for x in conn.execute(q):
        d = {k: (int(v) if isinstance(v, int | float) else v) for k, v in x._mapping.items()}
        d["origin_province"] = d["origin_province"] or "（未填）"
        rows.append(d)
    totals = {
        k: sum(int(row[k] or 0) for row in rows)
        for k in ("total", "fortune500", "central", "specialized", "dishonest")
    }
    regions_sum: dict[str, dict] = {}
    for row in rows:
        g = regions_sum.setdefault(
            row["region"],
            {
                "region": row["region"],
                "total": 0,
                "fortune500": 0,
                "central": 0,
                "specialized": 0,
                "dishonest": 0,
            },
        )
        for k in ("total", "fortune500", "central", "specialized", "dishonest"):
            g[k] += int(row[k] or 0)
    return {
        "rows": rows,
        "totals": totals,
        "regions": sorted(regions_sum.values(), key=lambda g: -g["total"]),
    }


def industries() -> list[dict[str, Any]]:
    """The catalogue's industries and items (filter choices): the office's published
    catalogue when there is one is the same document; the bundled one otherwise."""
    from zsapp import catalogue

    doc, _digest = catalogue.read_document()
    return [
        {
            "id": i["id"],
            "name": i["name"],
            "items": [{"id": it["id"], "name": it["name"]} for it in i["items"]],
        }
        for i in doc["industries"]
    ]
