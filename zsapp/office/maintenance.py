"""Maintenance and inspection: tombstone compaction, record dumps."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from zsapp.clock import wall_clock_ms
from zsapp.office import audit
from zsapp.office import schema as s
from zsapp.office.common import (
    OfficeCore,
    chunks,
)
from zsapp.sync import protocol as p


class MaintenanceMixin(OfficeCore):
    """Maintenance (part of ``Office``)."""

    def compact(self, older_than_days: int = 400, actor: str = "admin") -> int:
        """Forget tombstoned records deleted longer ago than any offline period; devices
        whose cursor is older re-snapshot that space."""
        cutoff_ms = wall_clock_ms() - older_than_days * 86400_000
        cutoff = f"{cutoff_ms:016d}"
        purged = 0
        with self.engine.begin() as conn:
            dead = conn.execute(
                sa.select(s.fields.c.tbl, s.fields.c.row_id, s.fields.c.space).where(
                    s.fields.c.field == "deleted", s.fields.c.value == "1", s.fields.c.hlc < cutoff
                )
            ).all()
            by_space: dict[str, list] = {}
            for d in dead:
                by_space.setdefault(d.space, []).append((d.tbl, d.row_id))
            for space in sorted(by_space):
                head = conn.execute(
                    sa.select(s.spaces).where(s.spaces.c.name == space).with_for_update()
                ).one()
                count, checksum = head._mapping["count"], head.checksum
                forgotten = head.forgotten_before
                for chunk in chunks(by_space[space]):
                    cond = sa.tuple_(s.fields.c.tbl, s.fields.c.row_id).in_(chunk)
                    for f in conn.execute(
                        sa.select(
                            s.fields.c.tbl,
                            s.fields.c.row_id,
                            s.fields.c.field,
                            s.fields.c.hlc,
                            s.fields.c.seq,
                        ).where(cond)
                    ):
                        count -= 1
                        checksum = (
                            checksum - p.field_hash(f.tbl, f.row_id, f.field, f.hlc)
                        ) % p.CHECKSUM_MOD
                        forgotten = max(forgotten, f.seq)
                    conn.execute(sa.delete(s.fields).where(cond))
                    conn.execute(
                        sa.delete(s.records).where(
                            sa.tuple_(s.records.c.tbl, s.records.c.row_id).in_(chunk)
                        )
                    )
                    purged += len(chunk)
                conn.execute(
                    sa.update(s.spaces)
                    .where(s.spaces.c.name == space)
                    .values(count=count, checksum=checksum, forgotten_before=forgotten)
                )
            audit.record(
                conn,
                actor=actor,
                action="compact",
                detail={"older_than_days": older_than_days, "purged": purged},
            )
        return purged

    def record(self, table: str, row_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.fields.c.field, s.fields.c.value).where(
                    s.fields.c.tbl == table, s.fields.c.row_id == row_id
                )
            ).all()
        if not rows:
            return None
        return {r.field: json.loads(r.value) if r.value is not None else None for r in rows}

    def dump(self, spaces: Iterable[str] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """{(table, row_id): {field: value}} of everything (or of some spaces)."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        with self.engine.connect() as conn:
            q = sa.select(s.fields.c.tbl, s.fields.c.row_id, s.fields.c.field, s.fields.c.value)
            if spaces is not None:
                q = q.where(s.fields.c.space.in_(list(spaces)))
            for r in conn.execute(q):
                out.setdefault((r.tbl, r.row_id), {})[r.field] = (
                    json.loads(r.value) if r.value is not None else None
                )
        return out
