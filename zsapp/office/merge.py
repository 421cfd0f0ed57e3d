"""The merge rule of one field, as pure functions (no database): per-field last-writer-wins
on hybrid logical clock timestamps, with the losing side of a concurrent edit kept as a
conflict record.

An edit is *concurrent* with the current value when its author had not seen that value
(the edit's ``base`` version is not the current one), the current value is not the
author's own, and the values differ. Then the greater HLC wins and the other side is the
conflict's loser. A non-concurrent edit always wins (if its HLC is not greater — a clock
behind — it is re-stamped just after the current version). Equal values never conflict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from zsapp.clock import Timestamp
from zsapp.sync import protocol as p


@dataclass(frozen=True, slots=True)
class FieldState:
    """One version of one field: its JSON-encoded value, HLC and writing device."""

    value: str
    hlc: str
    device: str


@dataclass(frozen=True, slots=True)
class Edit:
    """A pushed edit of one field; ``base`` is the version its author had seen."""

    value: str
    hlc: str
    device: str
    base: str | None = None

    @property
    def state(self) -> FieldState:
        return FieldState(self.value, self.hlc, self.device)


@dataclass(frozen=True, slots=True)
class Merge:
    """What applying an edit does: the field's new state (``None``: unchanged) and, for a
    concurrent edit, the conflict's winner and loser."""

    new: FieldState | None
    winner: FieldState | None = None
    loser: FieldState | None = None

    @property
    def conflict(self) -> bool:
        return self.winner is not None


def restamp_after(hlc: str, device: str) -> str:
    """The smallest version after ``hlc`` for ``device``."""
    ts = Timestamp.parse(hlc)
    return Timestamp(ts.wall_ms, ts.counter + 1, device).pack()


def merge_field(current: FieldState | None, edit: Edit) -> Merge:
    if current is None:
        return Merge(edit.state)
    same = current.value == edit.value
    concurrent = not same and current.hlc != edit.base and current.device != edit.device
    if same and edit.hlc <= current.hlc:
        return Merge(None)  # already the current value, with a newer version
    if not concurrent:
        if edit.hlc <= current.hlc:
            return Merge(
                FieldState(edit.value, restamp_after(current.hlc, edit.device), edit.device)
            )
        return Merge(edit.state)
    if edit.hlc > current.hlc:
        return Merge(edit.state, winner=edit.state, loser=current)
    return Merge(None, winner=current, loser=edit.state)


def _truthy(value: str | None) -> bool:
    return bool(value is not None and json.loads(value))


def delete_edit_conflicts(
    row: Mapping[str, FieldState],
    field: str,
    edit: FieldState,
    before: FieldState | None,
    *,
    row_bases: Mapping[str, str] | None = None,
    delete_base: str | None = None,
) -> list[tuple[str, FieldState, FieldState]]:
    """Conflicts ``(field, winner, loser)`` between a deletion and edits its author had
    not seen, or between an edit and a deletion its author had not seen.

    ``row`` is the record's state after ``edit`` (to ``field``, previously ``before``) was
    applied; ``row_bases`` the versions the deleting device had seen of the other fields
    (op ``rb``), ``delete_base`` the version of ``deleted`` an editing device had seen
    (op ``db``)."""
    if field == "deleted":
        if not _truthy(edit.value) or (before is not None and _truthy(before.value)):
            return []
        bases = row_bases or {}
        return [
            (other, edit, version)
            for other, version in row.items()
            if other not in ("deleted", p.MERGE_FIELD)
            and version.device != edit.device
            and version.hlc != bases.get(other)
        ]
    deleted = row.get("deleted")
    if (
        deleted is not None
        and _truthy(deleted.value)
        and deleted.device != edit.device
        and deleted.hlc != delete_base
        and (before is None or before.value != edit.value)
    ):
        return [(field, deleted, edit)]
    return []
