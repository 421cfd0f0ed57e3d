"""Open the store the way both fronts (UI and CLI) need it: migrated, catalogue loaded."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from zsapp import catalogue, search
from zsapp.store import Store

# Domain modules that register change hooks (search indexes…) with the store.
DOMAIN_MODULES: list[str] = [
    "zsapp.contacts",
    "zsapp.projects",
    "zsapp.brochure.history",
    "zsapp.trips",
]


def load_domains() -> None:
    for name in DOMAIN_MODULES:
        importlib.import_module(name)


def open_store(path: Path | str | None = None, key_source: Any = None) -> Store:
    """``key_source``: where the data keys come from (zsapp.security.keys; default the OS
    key store, else a passphrase from the terminal / ``ZSAPP_PASSPHRASE``)."""
    load_domains()
    store = Store(path, key_source=key_source)
    try:
        search.ensure_counts(store)
        catalogue.ensure_loaded(store)
        _secure_data_dir(store)
    except Exception:
        store.close()
        raise
    return store


def _secure_data_dir(store: Store) -> None:
    """Files from older versions: plain attachments encrypted, 0644/0755 tightened."""
    from zsapp import paths
    from zsapp.security import blobs, perms

    blobs.encrypt_legacy_blobs(store)
    perms.tighten(paths.data_dir())
    if store.path.parent != paths.data_dir():
        perms.private_file(store.path)
