"""推荐客商 (延链补链 精准招商): companies linked to the project's catalogue items or to the
same industries, ranked by flags (世界500强, 龙头, 专精特新, 单项冠军) and recent contact,
excluding 失信 companies (listed separately so the officer sees why they are missing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zsapp.projects.common import ProjectNotFound, json_list, today
from zsapp.store import Store

SCORES = {
    "same_item": 100,
    "same_industry": 50,
    "fortune500": 40,
    "leader": 25,
    "specialized_giant": 20,
    "single_champion": 20,
    "contact_90": 15,
    "contact_365": 5,
}
LEADER_TAGS = ("龙头", "链主", "龙头企业")


def recommend(
    store: Store, project_id: str, limit: int = 30, *, now: dt.date | None = None
) -> dict[str, Any]:
    if not store.get("projects", project_id):
        raise ProjectNotFound("找不到该项目")
    now = now or today()
    rows = store.query(
        """
        WITH mine AS (SELECT pi.item_id, ci.industry_id FROM project_items pi
                      JOIN catalogue_items ci ON ci.id = pi.item_id
                      WHERE pi.project_id = :pid AND pi.deleted = 0),
             linked AS (
                SELECT k.company_id,
                       max(k.item_id IN (SELECT item_id FROM mine)) AS same_item,
                       group_concat(DISTINCT ci.name) AS via
                FROM company_items k JOIN catalogue_items ci ON ci.id = k.item_id
                WHERE k.deleted = 0 AND ci.industry_id IN (SELECT industry_id FROM mine)
                GROUP BY k.company_id)
        SELECT c.id, c.name, c.is_fortune500, c.is_china500, c.is_specialized_giant, c.is_single_champion,
               c.is_dishonest, c.dishonest_date, c.dishonest_source, c.tags, c.origin_province,
               l.same_item, l.via,
               (SELECT max(substr(v.visited_at, 1, 10)) FROM visit_companies vc
                  JOIN visits v ON v.id = vc.visit_id AND v.deleted = 0
                 WHERE vc.company_id = c.id AND vc.deleted = 0) AS last_contact
        FROM linked l JOIN companies c ON c.id = l.company_id
        WHERE c.deleted = 0 AND c.merged_into IS NULL
          AND c.id NOT IN (SELECT company_id FROM project_investors WHERE project_id = :pid AND deleted = 0)
        """,
        {"pid": project_id},
    )
    ranked, excluded = [], []
    for row in rows:
        if row["is_dishonest"]:
            excluded.append(
                {
                    "company_id": row["id"],
                    "name": row["name"],
                    "reason": "已列入失信惩戒清单"
                    + (f"（{row['dishonest_date']}）" if row["dishonest_date"] else ""),
                }
            )
            continue
        reasons, score = [], 0
        if row["same_item"]:
            score += SCORES["same_item"]
            reasons.append("同一目录条目")
        else:
            score += SCORES["same_industry"]
            reasons.append("同一产业")
        tags = json_list(row["tags"])
        flags = (
            ("fortune500", row["is_fortune500"], "世界500强"),
            ("leader", row["is_china500"] or any(t in LEADER_TAGS for t in tags), "龙头企业"),
            ("specialized_giant", row["is_specialized_giant"], "专精特新“小巨人”"),
            ("single_champion", row["is_single_champion"], "制造业单项冠军"),
        )
        for key, on, label in flags:
            if on:
                score += SCORES[key]
                reasons.append(label)
        if row["last_contact"]:
            idle = (now - dt.date.fromisoformat(row["last_contact"])).days
            if idle <= 90:
                score += SCORES["contact_90"]
                reasons.append(f"近期联系（{row['last_contact']}）")
            elif idle <= 365:
                score += SCORES["contact_365"]
                reasons.append(f"一年内联系（{row['last_contact']}）")
        ranked.append(
            {
                "company_id": row["id"],
                "name": row["name"],
                "score": score,
                "reasons": reasons,
                "via": row["via"] or "",
                "last_contact": row["last_contact"] or "",
            }
        )
    ranked.sort(
        key=lambda r: (
            -r["score"],
            -(dt.date.fromisoformat(r["last_contact"]).toordinal() if r["last_contact"] else 0),
            r["name"],
        )
    )
    return {"project_id": project_id, "companies": ranked[:limit], "excluded_dishonest": excluded}
