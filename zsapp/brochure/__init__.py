"""PDF brochure (推介册): the rendering engine (model, render, linebreak, qr, fonts: pure, no
database, no Qt) and, on top of it, ``source`` (specs built from the database), ``history``
(generate + remember what was given to whom) and ``templates`` (推介模板)."""

import importlib
from typing import Any

from .model import (
    BrochureError,
    BrochureSpec,
    CatalogueContext,
    OfficerContact,
    ProjectSheet,
    RenderResult,
)

# The rendering engine (reportlab, fonts, QR images) is imported when first used, not
# when the app starts (PEP 562 module __getattr__).
_LAZY = {
    "missing_glyphs": "fonts",
    "break_lines": "linebreak",
    "officer_vcard": "qr",
    "project_qr_text": "qr",
    "qr_image": "qr",
    "render_brochure": "render",
    "render_project_page": "render",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)


__all__ = [
    "BrochureError",
    "BrochureSpec",
    "CatalogueContext",
    "OfficerContact",
    "ProjectSheet",
    "RenderResult",
    "break_lines",
    "missing_glyphs",
    "officer_vcard",
    "project_qr_text",
    "qr_image",
    "render_brochure",
    "render_project_page",
]
