"""Load the scripts under packaging/ as modules (the folder is not a package: a regular
``packaging`` package there would shadow the PyPI ``packaging`` that pip and pytest use)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(relpath: str):
    path = ROOT / "packaging" / relpath
    name = "zsapp_packaging_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
