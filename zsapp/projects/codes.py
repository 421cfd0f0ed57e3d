"""Project codes: ``<州市 prefix>-<year>-<sequence>``, e.g. ``KM-2026-0012``.

Devices create projects offline, so two devices can allocate the same next number. Codes
are allocated locally (highest known sequence for the prefix and year, + 1), and a change
hook resolves collisions deterministically when sync brings in a project with a code this
device already uses: the project created later (HLC ``created_at``, then id) is renumbered
to the next free sequence and its old code is kept in ``former_codes`` (still searchable).
Every device applies the same rule, so they converge.
"""

from __future__ import annotations

import json
import re

from zsapp.projects.common import CODE_PREFIXES, PROVINCE_PREFIX, json_list
from zsapp.store import Store, on_record_change

CODE_RE = re.compile(r"^([A-Z]{2})-(\d{4})-(\d{4,})$")


def prefix_for(prefecture_code: str) -> str:
    return CODE_PREFIXES.get(prefecture_code or "", PROVINCE_PREFIX)


def next_code(store: Store, prefecture_code: str, year: int) -> str:
    prefix = prefix_for(prefecture_code)
    stem = f"{prefix}-{year}-"
    highest = 0
    rows = store.query(
        "SELECT code, former_codes FROM projects WHERE code LIKE ? OR former_codes LIKE ?",
        (stem + "%", f'%"{stem}%'),
    )
    for row in rows:
        for code in [row["code"], *json_list(row["former_codes"])]:
            match = CODE_RE.match(code or "")
            if match and code.startswith(stem):
                highest = max(highest, int(match.group(3)))
    return f"{stem}{highest + 1:04d}"


@on_record_change("projects")
def resolve_code_collision(store: Store, row_id: str) -> None:
    row = store.query_one(
        "SELECT id, code, created_at, deleted, former_codes FROM projects WHERE id = ?", (row_id,)
    )
    if not row or row["deleted"] or not row["code"]:
        return
    others = store.query(
        "SELECT id, created_at FROM projects WHERE code = ? AND deleted = 0 AND id <> ?",
        (row["code"], row_id),
    )
    if not others:
        return
    everyone = sorted([row, *others], key=lambda r: (r["created_at"], r["id"]))
    keeper = everyone[0]
    for loser in everyone[1:]:
        match = CODE_RE.match(row["code"])
        prefix, year = (match.group(1), int(match.group(2))) if match else (PROVINCE_PREFIX, 0)
        code_of_prefix = next((c for c, p in CODE_PREFIXES.items() if p == prefix), "")
        new_code = (
            next_code(store, code_of_prefix, year) if match else f"{row['code']}-{loser['id'][:4]}"
        )
        current = store.query_one("SELECT former_codes FROM projects WHERE id = ?", (loser["id"],))
        former = json_list(current["former_codes"] if current else "[]")
        if row["code"] not in former:
            former.append(row["code"])
        store.update(
            "projects",
            loser["id"],
            {"code": new_code, "former_codes": json.dumps(former, ensure_ascii=False)},
        )
    del keeper
