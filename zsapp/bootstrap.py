"""Open the store the way both fronts (UI and CLI) need it: migrated, catalogue loaded."""

from __future__ import annotations

import importlib
from pathlib import Path

from zsapp import catalogue, search
from zsapp.store import Store

# Domain modules that register change hooks (search indexes…) with the store.
DOMAIN_MODULES: list[str] = ["zsapp.contacts", "zsapp.projects", "zsapp.brochure.history"]


def load_domains() -> None:
    for name in DOMAIN_MODULES:
        importlib.import_module(name)


def open_store(path: Path | str | None = None) -> Store:
    load_domains()
    store = Store(path)
    try:
        search.ensure_counts(store)
        catalogue.ensure_loaded(store)
    except Exception:
        store.close()
        raise
    return store
