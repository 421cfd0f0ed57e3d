"""Derived, local (not synced) per-project status kept current by change hooks:
the last activity date (stage change, linked visit, 到位资金 — dated the 1st of its month —,
creation when nothing else happened) for 疑似停滞, and
the 准入预审 summary for filtering. Also keeps the ``search_projects`` index current.
Everything here can be rebuilt from the synced tables with :func:`rebuild`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zsapp import search
from zsapp.projects import stages
from zsapp.projects.common import hlc_date, today
from zsapp.store import Store, on_record_change

_ACTIVITY_SQL = """
SELECT max(d) FROM (
    SELECT max(changed_on) AS d FROM project_stages WHERE project_id = :id AND deleted = 0
    UNION ALL SELECT max(substr(v.visited_at, 1, 10)) FROM visit_projects vp
              JOIN visits v ON v.id = vp.visit_id AND v.deleted = 0
              WHERE vp.project_id = :id AND vp.deleted = 0
    UNION ALL SELECT max(month || '-01') FROM project_funds
              WHERE project_id = :id AND deleted = 0
)
"""


def refresh(store: Store, project_id: str) -> None:
    from zsapp.projects import admission
    from zsapp.projects.projects import INDEX

    project = store.get("projects", project_id, include_deleted=True)
    if not project or project["deleted"]:
        store.execute("DELETE FROM project_status WHERE project_id = ?", (project_id,))
        search.remove_entity(store, INDEX, project_id)
        return
    # Creation counts only when nothing else happened yet (its 线索 row normally carries the date).
    last = store.scalar(_ACTIVITY_SQL, {"id": project_id}) or hlc_date(project["created_at"])
    precheck = admission.evaluate(store, project_id)
    current = stages.current(store, project_id) or {"stage": "", "changed_on": ""}
    store.execute(
        "INSERT INTO project_status (project_id, owner_officer, stage, stage_on, last_activity_on, admission, blocking) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET owner_officer = excluded.owner_officer, "
        "stage = excluded.stage, "
        "stage_on = excluded.stage_on, last_activity_on = excluded.last_activity_on, "
        "admission = excluded.admission, blocking = excluded.blocking",
        (
            project_id,
            project["owner_officer"],
            current["stage"],
            current["changed_on"],
            last,
            precheck.summary,
            int(bool(precheck.blocking)),
        ),
    )


def reindex(store: Store, project_id: str) -> None:
    from zsapp.projects.projects import INDEX, documents

    project = store.get("projects", project_id, include_deleted=True)
    if not project or project["deleted"]:
        search.remove_entity(store, INDEX, project_id)
    else:
        search.reindex_entity(store, INDEX, project_id, documents(store, project))


def rebuild(store: Store) -> int:
    """Recompute status and search rows of every project (after bulk loads or repairs)."""
    ids = [r["id"] for r in store.query("SELECT id FROM projects")]
    with store.transaction():
        store.execute("DELETE FROM project_status")
        store.execute("DELETE FROM search_projects")
        for pid in ids:
            refresh(store, pid)
            reindex(store, pid)
    return len(ids)


STALE = ""  # admission value of a status row that must be recomputed


def refresh_all(store: Store) -> None:
    """Mark every project's 预审 summary stale (e.g. after thresholds or the keyword list
    changed). One cheap UPDATE, however many rows sync brings in; :func:`ensure` recomputes
    them once, before the next list or dashboard. The stage gate never uses this cache."""
    store.execute("UPDATE project_status SET admission = ? WHERE admission <> ?", (STALE, STALE))


def ensure(store: Store) -> int:
    """Compute status rows missing for live projects (e.g. a database from before the hooks)."""
    live = store.scalar("SELECT count(*) FROM projects WHERE deleted = 0")
    stale = [
        r["project_id"]
        for r in store.query("SELECT project_id FROM project_status WHERE admission = ?", (STALE,))
    ]
    if live == store.scalar("SELECT count(*) FROM project_status") and not stale:
        return 0  # rows exist for live projects only, so equal counts mean nothing is missing
    missing = stale + [
        r["id"]
        for r in store.query(
            "SELECT p.id FROM projects p LEFT JOIN project_status s ON s.project_id = p.id "
            "WHERE p.deleted = 0 AND s.project_id IS NULL"
        )
    ]
    if missing:
        with store.transaction():
            for pid in missing:
                refresh(store, pid)
    return len(missing)


def stalled_info(store: Store, project_id: str, *, now: dt.date | None = None) -> dict[str, Any]:
    from zsapp.projects.projects import stalled_days

    row = store.query_one(
        "SELECT last_activity_on FROM project_status WHERE project_id = ?", (project_id,)
    )
    last = row["last_activity_on"] if row else ""
    days = stalled_days(store)
    stage = stages.current_stage(store, project_id)
    idle = max(0, ((now or today()) - dt.date.fromisoformat(last)).days) if last else None
    stalled = stage == "停滞" or (
        stage not in ("投产", "终止") and idle is not None and idle > days
    )
    return {"last_activity_on": last, "idle_days": idle, "stalled": stalled, "stalled_days": days}


# -- hooks -------------------------------------------------------------------------------
@on_record_change("projects")
def _on_project(store: Store, row_id: str) -> None:
    refresh(store, row_id)
    reindex(store, row_id)


def _by_project_column(table: str, reindex_too: bool = False):
    def hook(store: Store, row_id: str) -> None:
        row = store.query_one(f"SELECT project_id FROM [{table}] WHERE id = ?", (row_id,))
        if row and row["project_id"]:
            refresh(store, row["project_id"])
            if reindex_too:
                reindex(store, row["project_id"])

    hook.__name__ = f"_on_{table}"
    return hook


for _table in (
    "project_items",
    "project_stages",
    "project_funds",
    "admission_overrides",
    "visit_projects",
):
    on_record_change(_table)(_by_project_column(_table))
on_record_change("project_investors")(_by_project_column("project_investors", reindex_too=True))


@on_record_change("visits")
def _on_visit(store: Store, row_id: str) -> None:
    for row in store.query(
        "SELECT DISTINCT project_id FROM visit_projects WHERE visit_id = ? AND project_id <> ''",
        (row_id,),
    ):
        refresh(store, row["project_id"])


@on_record_change("companies")
def _on_company(store: Store, row_id: str) -> None:
    # 失信 flag and name feed the pre-check (rule 4) and the project search (investor names).
    for row in store.query(
        "SELECT DISTINCT project_id FROM project_investors WHERE company_id = ? AND deleted = 0",
        (row_id,),
    ):
        refresh(store, row["project_id"])
        reindex(store, row["project_id"])


@on_record_change("admission_thresholds")
def _on_threshold(store: Store, row_id: str) -> None:
    refresh_all(store)


_BULK_ACTIVITY_SQL = """
WITH acts AS (
    SELECT project_id, max(changed_on) AS d FROM project_stages WHERE deleted = 0 GROUP BY project_id
    UNION ALL
    SELECT vp.project_id, max(substr(v.visited_at, 1, 10)) FROM visit_projects vp
      JOIN visits v ON v.id = vp.visit_id AND v.deleted = 0 WHERE vp.deleted = 0 GROUP BY vp.project_id
    UNION ALL
    SELECT project_id, max(month || '-01') FROM project_funds WHERE deleted = 0
      GROUP BY project_id
)
INSERT INTO project_status (project_id, owner_officer, stage, stage_on, last_activity_on, admission, blocking)
SELECT p.id, p.owner_officer, coalesce(cur.stage, ''), coalesce(cur.changed_on, ''),
       coalesce((SELECT max(d) FROM acts WHERE acts.project_id = p.id), ''), '', 0
FROM projects p LEFT JOIN (
    SELECT project_id, stage, changed_on FROM (
        SELECT project_id, stage, changed_on, row_number() OVER (
            PARTITION BY project_id ORDER BY changed_on DESC, created_at DESC) AS rn
        FROM project_stages WHERE deleted = 0) WHERE rn = 1
) cur ON cur.project_id = p.id
WHERE p.deleted = 0
ON CONFLICT (project_id) DO UPDATE SET owner_officer = excluded.owner_officer, stage = excluded.stage,
    stage_on = excluded.stage_on,
    last_activity_on = excluded.last_activity_on
"""


def rebuild_activity(store: Store) -> None:
    """Recompute every project's last activity in one pass (after a bulk load)."""
    with store.transaction():
        store.execute(_BULK_ACTIVITY_SQL)
