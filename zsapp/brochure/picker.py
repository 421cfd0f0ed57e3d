"""The 推介册 project picker list: live projects with their first industry and current
stage (from project_status, the derived per-project index), searchable by the project
index, code or name, sortable, paged."""

from __future__ import annotations

from typing import Any

from zsapp.store import Store

SORTS = {
    "code": "p.code",
    "name": "p.name",
    "industry": "industry",
    "investment": "p.total_investment_wan",
    "stage": "stage",
}
MAX_MATCHES = 500


def _where(store: Store, query: str) -> tuple[str, list[Any]]:
    q = query.strip()
    if not q:
        return "p.deleted = 0", []
    ids = list(dict.fromkeys(h.entity_id for h in store.search("projects", q, MAX_MATCHES)))
    like = store.query(
        "SELECT id FROM projects WHERE deleted = 0 AND (code LIKE ? OR name LIKE ?) LIMIT ?",
        (f"%{q}%", f"%{q}%", MAX_MATCHES),
    )
    ids += [r["id"] for r in like if r["id"] not in ids]
    if not ids:
        return "0", []
    return f"p.deleted = 0 AND p.id IN ({','.join('?' * len(ids))})", ids


def list_projects(
    store: Store,
    query: str = "",
    *,
    sort: str = "code",
    descending: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    where, params = _where(store, query)
    direction = "DESC" if descending else "ASC"
    order = f"{SORTS[sort]} {direction}, p.code {direction}"
    return store.query(
        "SELECT p.id, p.code, p.name, p.total_investment_wan, "
        " (SELECT ind.name FROM project_items pi JOIN catalogue_items ci ON ci.id = pi.item_id "
        "   JOIN catalogue_industries ind ON ind.id = ci.industry_id "
        "   WHERE pi.project_id = p.id AND pi.deleted = 0 ORDER BY ind.no, ci.no LIMIT 1) AS industry, "
        " coalesce(ps.stage, '') AS stage "
        "FROM projects p LEFT JOIN project_status ps ON ps.project_id = p.id "
        f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )


def count_projects(store: Store, query: str = "") -> int:
    where, params = _where(store, query)
    return store.scalar(f"SELECT count(*) FROM projects p WHERE {where}", params) or 0


def codes(store: Store, ids: list[str]) -> list[str]:
    """Codes of the live projects among ``ids``, in that order."""
    if not ids:
        return []
    rows = {
        r["id"]: r["code"]
        for r in store.query(
            f"SELECT id, code FROM projects WHERE deleted = 0 AND id IN ({','.join('?' * len(ids))})",
            ids,
        )
    }
    return [rows[i] for i in ids if i in rows]
