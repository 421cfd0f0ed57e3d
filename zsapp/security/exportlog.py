"""导出记录: every export of personal or project data is logged — who (this device's
officer), what, when, how many rows, which file name — in the synced ``export_log`` table,
so the office sees it too (网络安全法: logs kept ≥ 6 months; never purged by the app)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from zsapp.store import Store


def record(store: Store, what: str, fmt: str, rows: int, target: Path | str = "") -> str:
    from zsapp import profile

    officer = profile.get_profile(store).name
    return store.insert(
        "export_log",
        {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "officer": officer or store.device_id[:8],
            "what": what,
            "format": fmt,
            "rows": int(rows),
            "target": Path(target).name if target else "",
        },
    )


def entries(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    return store.query(
        "SELECT e.id, e.at, e.officer, e.what, e.format, e.rows, e.target, e.updated_by AS device "
        "FROM export_log e WHERE e.deleted = 0 ORDER BY e.at DESC LIMIT ?",
        (limit,),
    )
