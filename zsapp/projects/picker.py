"""Project references typed in other forms (e.g. the visit form's 关联项目 field):
labels ``"<code> <name>"`` for type-ahead, and tokens resolved back to project ids."""

from __future__ import annotations

from zsapp.projects import projects as P
from zsapp.projects.common import ProjectNotFound
from zsapp.store import Store


def labels(store: Store, query: str, limit: int = 10) -> list[str]:
    return [f"{h['code']} {h['name']}" for h in P.search_projects(store, query, limit)]


def resolve(store: Store, tokens: list[str]) -> list[str]:
    """Project ids for tokens like ``"KM-2026-0001 绿色铝…"``, a bare code or an exact name."""
    ids: list[str] = []
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        code = token.split()[0]
        try:
            project = P.find_project(store, code)
        except ProjectNotFound:
            row = store.query_one(
                "SELECT id FROM projects WHERE deleted = 0 AND name = ? LIMIT 1", (token,)
            )
            if row is None:
                raise ProjectNotFound(
                    f"找不到项目“{token}”，请从提示列表中选择（输入编号、名称或拼音）"
                ) from None
            project = {"id": row["id"]}
        if project["id"] not in ids:
            ids.append(project["id"])
    return ids


def tokens_for(store: Store, project_ids: list[str]) -> str:
    """The field text for already linked projects (when editing)."""
    rows = [store.get("projects", pid) for pid in project_ids]
    return "、".join(f"{r['code']} {r['name']}" for r in rows if r)
