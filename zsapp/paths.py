"""Where things live: bundled resources and the user's data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "zsapp"


def resources_dir() -> Path:
    """Bundled data and assets (also inside a PyInstaller one-folder build)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def migrations_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "db" / "migrations"
    return Path(__file__).resolve().parent.parent / "db" / "migrations"


def data_dir() -> Path:
    """The user's data directory; ``ZSAPP_DATA_DIR`` overrides it (tests, portable use)."""
    override = os.environ.get("ZSAPP_DATA_DIR")
    path = (
        Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / "zsapp.sqlite3"


def font_path() -> Path:
    return resources_dir() / "fonts" / "wqy-microhei.ttc"
