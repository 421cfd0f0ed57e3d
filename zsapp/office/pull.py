"""Pull: pages of changes after a device's per-space cursors."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from zsapp.office import schema as s
from zsapp.office.common import OfficeCore
from zsapp.sync import protocol as p


class PullMixin(OfficeCore):
    """Pull (part of ``Office``)."""

    def pull(
        self, device: dict[str, Any], cursors: dict[str, int], limit: int | None = None
    ) -> dict[str, Any]:
        return json.loads(self.pull_json(device, cursors, limit))

    def pull_json(
        self, device: dict[str, Any], cursors: dict[str, int], limit: int | None = None
    ) -> str:
        """One page of changes after the device's per-space cursors, as JSON text. Stored
        values are already JSON, so they are spliced in without decoding (fast pages)."""
        limit = max(1, min(int(limit or p.PULL_PAGE_ROWS), 50000))
        out_rows: dict[tuple[str, str], list] = {}
        new_cursors: dict[str, int] = {}
        resnapshot: list[str] = []
        more = False
        remaining = limit
        dumps = json.dumps
        with self.engine.connect() as conn:
            visible = self.visible_spaces(conn, device)
            heads = {
                r.name: r
                for r in conn.execute(sa.select(s.spaces).where(s.spaces.c.name.in_(visible)))
            }
            for space in visible:
                head = heads.get(space)
                if head is None:
                    continue
                cursor = int(cursors.get(space, 0) or 0)
                if 0 < cursor < head.forgotten_before:
                    resnapshot.append(space)
                    cursor = 0
                new_cursors[space] = cursor
                if remaining <= 0:
                    more = more or cursor < head.seq
                    continue
                # shared:<unit> spaces hold copies (their own seqs) of records owned elsewhere.
                shared = space.startswith(p.SHARED_PREFIX)
                f = s.shared_fields if shared else s.fields
                on = sa.and_(s.records.c.tbl == f.c.tbl, s.records.c.row_id == f.c.row_id)
                q = (
                    sa.select(
                        f.c.tbl,
                        f.c.row_id,
                        f.c.field,
                        f.c.value,
                        f.c.hlc,
                        f.c.seq,
                        sa.func.coalesce(s.records.c.created_at, f.c.hlc)
                        if shared
                        else s.records.c.created_at,
                    )
                    .select_from(f.outerjoin(s.records, on) if shared else f.join(s.records, on))
                    .where(f.c.space == space, f.c.seq > cursor)
                    .order_by(f.c.seq)
                    .limit(remaining + 1)
                )
                result: list[Any] = list(conn.execute(q).all())
                if len(result) > remaining:
                    result = result[:remaining]
                    more = True
                space_json = dumps(space, ensure_ascii=False)
                for tbl, row_id, field, value, hlc, seq, created_at in result:
                    row = out_rows.get((tbl, row_id))
                    if row is None:
                        row = out_rows[(tbl, row_id)] = [
                            '{"t":'
                            + dumps(tbl)
                            + ',"id":'
                            + dumps(row_id)
                            + ',"s":'
                            + space_json
                            + ',"c":'
                            + dumps(created_at)
                            + ',"f":{',
                            [],
                        ]
                    row[1].append(
                        dumps(field)
                        + ":["
                        + (value if value is not None else "null")
                        + ',"'
                        + hlc
                        + '"]'
                    )
                    new_cursors[space] = seq
                remaining -= len(result)
        rows_json = ",".join(head + ",".join(parts) + "}}" for head, parts in out_rows.values())
        return (
            '{"rows":['
            + rows_json
            + '],"cursors":'
            + dumps(new_cursors, ensure_ascii=False)
            + ',"more":'
            + ("true" if more else "false")
            + ',"resnapshot":'
            + dumps(resnapshot, ensure_ascii=False)
            + ',"changes":'
            + str(limit - remaining)
            + "}"
        )
