"""Open the store the way both fronts (UI and CLI) need it: migrated, catalogue loaded."""

from __future__ import annotations

from pathlib import Path

from zsapp import catalogue
from zsapp.store import Store


def open_store(path: Path | str | None = None) -> Store:
    store = Store(path)
    try:
        catalogue.ensure_loaded(store)
    except Exception:
        store.close()
        raise
    return store
