"""PDF brochure (推介册): the rendering engine (model, render, linebreak, qr, fonts: pure, no
database, no Qt) and, on top of it, ``source`` (specs built from the database), ``history``
(generate + remember what was given to whom) and ``templates`` (推介模板)."""

from .fonts import missing_glyphs
from .linebreak import break_lines
from .model import BrochureSpec, CatalogueContext, OfficerContact, ProjectSheet, RenderResult
from .qr import officer_vcard, project_qr_text, qr_image
from .render import BrochureError, render_brochure, render_project_page

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
