"""Plain data model for the brochure engine (no database, no Qt)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path


class BrochureError(Exception):
    """Bad input for a brochure render; the message is Chinese and meant for the user."""


@dataclass
class OfficerContact:
    name: str
    title: str = ""
    unit: str = ""
    org: str = ""
    phone: str = ""
    email: str = ""
    name_en: str = ""  # bilingual brochures: romanised name
    org_en: str = ""  # bilingual brochures: the unit's English name


@dataclass
class ProjectSheet:
    code: str
    name: str
    industry_path: list[str]  # ["绿色铝", "交通运输领域"]
    location: str = ""
    investment_yi: Decimal | None = None
    land_mu: Decimal | None = None
    summary: str = ""
    construction: str = ""
    highlights: str = ""
    advantages: str = ""
    stage: str = ""
    name_en: str = ""
    summary_en: str = ""
    industry_path_en: list[str] = field(default_factory=list)
    contact: OfficerContact | None = None
    qr_text: str = ""  # QR payload; if empty it is built from code/name/officer phone
    location_en: str = ""
    intensity_wan_per_mu: Decimal | None = None  # 投资强度 = 总投资 / 用地
    tax_per_mu_wan: Decimal | None = None  # 预期亩均税收
    expected_jobs: int | None = None  # 预计就业
    # every catalogue item of the project: (industry name, item name)
    catalogue_items: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CatalogueContext:
    industry: str
    industry_en: str
    items: list[tuple[str, str]]  # (name, name_en)


@dataclass
class BrochureSpec:
    title: str
    place: str
    date: datetime.date
    officer: OfficerContact
    projects: list[ProjectSheet]
    intro: str = ""
    recipient: str = ""  # "致 XX 集团" on the cover when set
    cover_image: Path | None = None
    catalogue_context: list[CatalogueContext] = field(default_factory=list)
    catalogue_version: str = ""
    language: str = "zh"  # "zh" or "zh-en"
    title_en: str = ""
    place_en: str = ""
    park_name: str = ""
    app_version: str = ""
    keywords: list[str] = field(default_factory=list)


@dataclass
class RenderResult:
    path: Path
    pages: int
    size_bytes: int
    missing_glyphs: list[dict]
    warnings: list[str]
