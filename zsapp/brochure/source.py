"""Build brochure specs from the database: projects, catalogue, officer profile, investor.

Reads the 招商项目 tables (``db/migrations/0003_projects.sql``) with plain SQL so the
brochure depends only on the committed schema, plus ``project_promo`` (0005) for the
brochure-only texts (English name/summary, highlights, advantages).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from zsapp import __version__, catalogue, profile, regions
from zsapp.contacts.validation import display_phone
from zsapp.store import Store

from . import english
from .model import BrochureError, BrochureSpec, CatalogueContext, OfficerContact, ProjectSheet
from .qr import project_qr_text

PROJECT_URL_SETTING = "brochure.project_url"
LANGUAGES = ("zh", "zh-en")
PATH_SEPARATOR = " › "

# Investor-facing wording of the internal pipeline stages.
STAGE_LABELS = {
    "": "招商中",
    "线索": "招商中",
    "在谈": "洽谈中",
    "停滞": "招商中",
    "签约": "已签约",
    "开工": "建设中",
    "投产": "已投产",
    "终止": "已终止",
}
# Stages whose projects are still looking for an investor (automatic selection).
OPEN_STAGES = ("", "线索", "在谈", "停滞")
MAX_AUTO_PROJECTS = 30

DEFAULT_INTRO = (
    "云南地处中国西南，是我国面向南亚东南亚的辐射中心，区位独特、资源富集、绿色能源优势突出。"
    "本册所列项目均依据《云南省招商引资指导目录》筛选，涵盖重点产业和鼓励类条目，"
    "诚邀海内外客商考察洽谈、投资兴业。项目信息以最新对接情况为准。"
)

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


class BrochureSourceError(BrochureError):
    """Bad input when assembling a brochure from the database (message in Chinese)."""


# -- settings ------------------------------------------------------------------------------
def project_url(store: Store) -> str:
    return (store.get_setting(PROJECT_URL_SETTING, "") or "").strip()


def set_project_url(store: Store, url: str) -> str:
    """The office's project page URL base; the project QR becomes ``<url>/<code>``. '' clears it."""
    url = (url or "").strip()
    if url and not _URL.match(url):
        raise BrochureSourceError(f"项目网址“{url}”格式不正确，应以 http:// 或 https:// 开头")
    store.set_setting(PROJECT_URL_SETTING, url)
    return url


# -- officer -------------------------------------------------------------------------------
def officer_contact(store: Store, *, required: bool = True) -> OfficerContact:
    prof = profile.get_profile(store)
    if required and not prof.name.strip():
        raise BrochureSourceError(
            "请先在“设置 › 个人资料”中填写招商专员姓名和电话，推介册的联系页需要它们"
        )
    return OfficerContact(
        name=prof.name.strip(),
        title=prof.title.strip(),
        unit="",
        org=prof.unit.strip(),
        phone=display_phone(prof.phone.strip(), international=True),
        email=prof.email.strip(),
        name_en=english.person_name_en(prof.name),
        org_en=prof.unit_en.strip(),
    )


# -- projects ------------------------------------------------------------------------------
def _prefecture(code: str) -> dict[str, Any] | None:
    for p in regions.prefectures():
        if p["code"] == code:
            return p
    return None


def _county_name(prefecture_code: str, code: str) -> str:
    for c in regions.counties(prefecture_code or (code[:4] + "00" if code else "")):
        if c["code"] == code:
            return c["name"]
    return ""


def _park_name(store: Store, park_id: str) -> str:
    if not park_id:
        return ""
    return store.scalar("SELECT name FROM parks WHERE id = ? AND deleted = 0", (park_id,)) or ""


def location_text(store: Store, row: dict[str, Any]) -> str:
    """'云南省昆明市安宁市 昆明安宁工业园区' ('' when neither 州市 nor 园区 is set)."""
    pref = _prefecture(row.get("prefecture_code") or "")
    county = _county_name(row.get("prefecture_code") or "", row.get("county_code") or "")
    park = _park_name(store, row.get("park_id") or "")
    if not pref and not park:
        return ""
    place = "云南省" + (pref["name"] if pref else "") + county
    return f"{place} {park}" if park else place


def location_en(row: dict[str, Any]) -> str:
    """'Anning, Kunming, Yunnan Province' ('' when the 州市 is not set)."""
    code = row.get("prefecture_code") or ""
    county = _county_name(code, row.get("county_code") or "")
    return english.place_en(code, county)


def find_project(store: Store, key: str) -> dict[str, Any] | None:
    """A live project by id, code or former code (codes case-insensitive)."""
    key = (key or "").strip()
    if not key:
        return None
    row = store.query_one("SELECT * FROM projects WHERE id = ? AND deleted = 0", (key,))
    row = row or store.query_one(
        "SELECT * FROM projects WHERE deleted = 0 AND upper(code) = upper(?) ORDER BY created_at LIMIT 1",
        (key,),
    )
    row = row or store.query_one(
        "SELECT p.* FROM projects p, json_each(p.former_codes) f "
        "WHERE p.deleted = 0 AND json_valid(p.former_codes) AND upper(f.value) = upper(?) LIMIT 1",
        (key,),
    )
    return row


def parse_codes(text: str | Iterable[str]) -> list[str]:
    """'A,B，C 、D' → ['A', 'B', 'C', 'D'] (any of , ， 、 ; ； whitespace separates)."""
    if isinstance(text, str):
        parts = re.split(r"[,，、;；\s]+", text)
    else:
        parts = [str(p) for p in text]
    return [p.strip() for p in parts if p and p.strip()]


def resolve_projects(store: Store, codes: Iterable[str]) -> list[dict[str, Any]]:
    """Projects for the given codes (or ids), in order, without duplicates; unknown codes → error."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    unknown: list[str] = []
    for code in codes:
        row = find_project(store, code)
        if row is None:
            unknown.append(code)
        elif row["id"] not in seen:
            seen.add(row["id"])
            rows.append(row)
    if unknown:
        raise BrochureSourceError(
            "找不到以下项目编号："
            + "、".join(unknown)
            + "（请检查编号，或在“项目”中确认项目未被删除）"
        )
    return rows


def _items(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT ci.id, ci.name, ci.name_en, ci.no, ind.id AS industry_id, ind.no AS industry_no, "
        "ind.name AS industry, ind.name_en AS industry_en "
        "FROM project_items pi JOIN catalogue_items ci ON ci.id = pi.item_id "
        "JOIN catalogue_industries ind ON ind.id = ci.industry_id "
        "WHERE pi.project_id = ? AND pi.deleted = 0 GROUP BY ci.id ORDER BY ind.no, ci.no",
        (project_id,),
    )


def _stage(store: Store, project_id: str) -> str:
    return (
        store.scalar(
            "SELECT stage FROM project_stages WHERE project_id = ? AND deleted = 0 "
            "ORDER BY changed_on DESC, created_at DESC LIMIT 1",
            (project_id,),
        )
        or ""
    )


def promo(store: Store, project_id: str) -> dict[str, str]:
    """Brochure-only texts of a project ('' when not set)."""
    row = (
        store.query_one(
            "SELECT * FROM project_promo WHERE project_id = ? AND deleted = 0 ORDER BY created_at LIMIT 1",
            (project_id,),
        )
        or {}
    )
    return {k: row.get(k, "") or "" for k in ("name_en", "summary_en", "highlights", "advantages")}


def set_promo(store: Store, project_id: str, **texts: str) -> str:
    """Set English name/summary, highlights, advantages of a project; returns the row id."""
    allowed = {"name_en", "summary_en", "highlights", "advantages"}
    bad = set(texts) - allowed
    if bad:
        raise BrochureSourceError(f"未知的推介字段：{'、'.join(sorted(bad))}")
    if not store.scalar("SELECT 1 FROM projects WHERE id = ? AND deleted = 0", (project_id,)):
        raise BrochureSourceError(f"找不到项目 {project_id}")
    values = {k: (v or "").strip() for k, v in texts.items()}
    with store.transaction():
        row = store.query_one(
            "SELECT id FROM project_promo WHERE project_id = ? AND deleted = 0 ORDER BY created_at LIMIT 1",
            (project_id,),
        )
        if row:
            store.update("project_promo", row["id"], values)
            return row["id"]
        return store.insert("project_promo", {"project_id": project_id, **values})


def _decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def investment_yi(wan: int | None) -> Decimal | None:
    if wan is None:
        return None
    d = Decimal(int(wan)) / Decimal(10000)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def project_sheet(
    store: Store,
    row: dict[str, Any],
    officer: OfficerContact | None = None,
    base_url: str | None = None,
) -> ProjectSheet:
    items = _items(store, row["id"])
    path: list[str] = []
    path_en: list[str] = []
    if items:
        first = items[0]["industry_id"]
        same = [i for i in items if i["industry_id"] == first]
        path = [items[0]["industry"], "、".join(i["name"] for i in same)]
        if items[0]["industry_en"]:
            path_en = [
                items[0]["industry_en"],
                ", ".join(i["name_en"] for i in same if i["name_en"]),
            ]
            path_en = [p for p in path_en if p]
    texts = promo(store, row["id"])
    land = _decimal(row.get("land_mu"))
    total = row.get("total_investment_wan")
    intensity = (
        (Decimal(int(total)) / land).quantize(Decimal("0.01")).normalize()
        if total is not None and land
        else None
    )
    cols = row.keys()
    for k in ("name_en", "summary_en", "highlights", "advantages"):  # if 0003 grows these columns
        if k in cols and row[k] and not texts[k]:
            texts[k] = row[k]
    sheet = ProjectSheet(
        code=row["code"],
        name=row["name"],
        industry_path=path,
        location=location_text(store, row),
        investment_yi=investment_yi(row.get("total_investment_wan")),
        land_mu=_decimal(row.get("land_mu")),
        summary=row.get("summary") or "",
        construction=row.get("construction_content") or "",
        highlights=texts["highlights"],
        advantages=texts["advantages"],
        stage=STAGE_LABELS.get(_stage(store, row["id"]), ""),
        name_en=texts["name_en"],
        summary_en=texts["summary_en"],
        industry_path_en=path_en,
        location_en=location_en(row),
        intensity_wan_per_mu=intensity,
        tax_per_mu_wan=_decimal(row.get("tax_per_mu_wan")),
        expected_jobs=row.get("expected_jobs"),
        catalogue_items=[(i["industry"], i["name"]) for i in items],
    )
    if base_url:
        sheet.qr_text = project_qr_text(sheet, "", base_url)
    elif officer is not None:
        sheet.qr_text = project_qr_text(sheet, officer.phone)
    return sheet


def catalogue_context(store: Store, project_ids: list[str]) -> list[CatalogueContext]:
    """Industries and items the projects belong to, in catalogue order."""
    if not project_ids:
        return []
    marks = ",".join("?" * len(project_ids))
    rows = store.query(
        "SELECT DISTINCT ind.no AS ind_no, ind.name AS industry, ind.name_en AS industry_en, "
        "ci.no AS item_no, ci.name, ci.name_en FROM project_items pi "
        "JOIN catalogue_items ci ON ci.id = pi.item_id JOIN catalogue_industries ind ON ind.id = ci.industry_id "
        f"WHERE pi.deleted = 0 AND pi.project_id IN ({marks}) ORDER BY ind.no, ci.no",
        project_ids,
    )
    groups: dict[str, CatalogueContext] = {}
    for r in rows:
        g = groups.setdefault(
            r["industry"], CatalogueContext(r["industry"], r["industry_en"] or "", [])
        )
        g.items.append((r["name"], r["name_en"] or ""))
    return list(groups.values())


# -- investors -----------------------------------------------------------------------------
def company(store: Store, ref: str) -> dict[str, Any]:
    """A live company by id, unique id prefix or exact name; a merged one is followed to its survivor."""
    ref = (ref or "").strip()
    if not ref:
        raise BrochureSourceError("请指定企业")
    row = store.query_one("SELECT * FROM companies WHERE id = ?", (ref,))
    hops = 0
    while row and row["deleted"] and row.get("merged_into") and hops < 10:
        row = store.query_one("SELECT * FROM companies WHERE id = ?", (row["merged_into"],))
        hops += 1
    if row and not row["deleted"]:
        return row
    rows = store.query(
        "SELECT * FROM companies WHERE deleted = 0 AND (name = ? OR short_name = ?) LIMIT 2",
        (ref, ref),
    )
    if not rows and len(ref) >= 6 and re.fullmatch(r"[0-9a-fA-F-]+", ref):
        rows = store.query(
            "SELECT * FROM companies WHERE deleted = 0 AND id LIKE ? LIMIT 2", (ref.lower() + "%",)
        )
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise BrochureSourceError(f"“{ref}”对应多家企业，请使用企业 id")
    raise BrochureSourceError(f"找不到企业“{ref}”")


def company_item_ids(store: Store, company_id: str) -> list[str]:
    return [
        r["item_id"]
        for r in store.query(
            "SELECT DISTINCT item_id FROM company_items WHERE company_id = ? AND deleted = 0 ORDER BY item_id",
            (company_id,),
        )
    ]


def select_for_company(
    store: Store, company_id: str, limit: int = MAX_AUTO_PROJECTS
) -> list[dict[str, Any]]:
    """Projects still open for investment whose catalogue items are among the company's industries.

    Ordered by the number of matching items, then total investment (largest first), then code.
    """
    items = company_item_ids(store, company_id)
    if not items:
        return []
    marks = ",".join("?" * len(items))
    stage_marks = ",".join("?" * len(OPEN_STAGES))
    return store.query(
        "SELECT p.*, count(DISTINCT pi.item_id) AS matched_items FROM projects p "
        "JOIN project_items pi ON pi.project_id = p.id AND pi.deleted = 0 "
        f"WHERE p.deleted = 0 AND pi.item_id IN ({marks}) "
        "AND coalesce((SELECT s.stage FROM project_stages s WHERE s.project_id = p.id AND s.deleted = 0 "
        f"  ORDER BY s.changed_on DESC, s.created_at DESC LIMIT 1), '') IN ({stage_marks}) "
        "GROUP BY p.id ORDER BY matched_items DESC, coalesce(p.total_investment_wan, -1) DESC, p.code LIMIT ?",
        [*items, *OPEN_STAGES, limit],
    )


# -- the whole brochure --------------------------------------------------------------------
@dataclass
class BuiltSpec:
    """A spec plus what the history needs to remember about it."""

    spec: BrochureSpec
    project_ids: list[str]
    project_codes: list[str]
    company_id: str = ""
    company_name: str = ""
    template_id: str = ""
    template_name: str = ""
    notes: list[str] = field(default_factory=list)


def _place(rows: list[dict[str, Any]]) -> tuple[str, str]:
    """The projects' 州市 for the cover (Chinese, English): one 州市 → its name,
    several or unknown → 云南省."""
    codes = {r.get("prefecture_code") or "" for r in rows}
    if len(codes) == 1:
        code = codes.pop()
        pref = _prefecture(code)
        if pref:
            return pref["name"], english.PREFECTURES_EN.get(code, "")
    return "云南省", english.PREFECTURES_EN["530000"]


def missing_english(store: Store, codes: Iterable[str] | str) -> list[dict[str, str]]:
    """What a 中英双语 brochure of these projects would still show in Chinese only:
    [{"code", "field", "label"}] ('' code for the officer's own details)."""
    rows = resolve_projects(store, parse_codes(codes))
    out: list[dict[str, str]] = []
    prof = profile.get_profile(store)
    if prof.unit.strip() and not prof.unit_en.strip():
        out.append({"code": "", "field": "unit_en", "label": "个人资料：单位英文名称"})
    for r in rows:
        texts = promo(store, r["id"])
        if not texts["name_en"]:
            out.append({"code": r["code"], "field": "name_en", "label": "项目英文名称"})
        if (r.get("summary") or "").strip() and not texts["summary_en"]:
            out.append({"code": r["code"], "field": "summary_en", "label": "项目英文简介"})
        for item in _items(store, r["id"]):
            if not item["name_en"]:
                out.append(
                    {
                        "code": r["code"],
                        "field": "item",
                        "label": f"目录条目“{item['name']}”英文名称",
                    }
                )
        if r.get("prefecture_code") and not location_en(r):
            out.append({"code": r["code"], "field": "location", "label": "建设地点英文"})
    return out


def build_spec(
    store: Store,
    codes: Iterable[str] | str | None = None,
    *,
    company_ref: str | None = None,
    language: str | None = None,
    template: Any = None,
    title: str | None = None,
    intro: str | None = None,
    cover_image: str | Path | None = None,
    date: dt.date | None = None,
) -> BuiltSpec:
    """Assemble a :class:`BrochureSpec` from the database.

    ``codes``: project codes (or ids) in order. ``company_ref``: personalise for that company
    ("致 …" on the cover); without codes its projects are selected automatically.
    ``template``: a :class:`zsapp.brochure.templates.Template` (title, intro, cover, language).
    """
    code_list = parse_codes(codes) if codes else []
    comp = company(store, company_ref) if company_ref else None
    notes: list[str] = []
    if code_list:
        rows = resolve_projects(store, code_list)
    elif comp is not None:
        if not company_item_ids(store, comp["id"]):
            raise BrochureSourceError(
                f"企业“{comp['name']}”尚未关联所属产业（指导目录条目），无法自动挑选项目；"
                "请先在客商资料中补充产业，或直接指定项目编号"
            )
        rows = select_for_company(store, comp["id"])
        if not rows:
            raise BrochureSourceError(
                f"没有与企业“{comp['name']}”所属产业相符、仍在招商的项目；请直接指定项目编号"
            )
        notes.append(f"按企业产业自动选取 {len(rows)} 个项目")
    else:
        raise BrochureSourceError("请至少选择一个项目，或选择一家企业自动挑选项目")

    lang = language or (template.language if template is not None else "") or "zh"
    if lang not in LANGUAGES:
        raise BrochureSourceError(f"不支持的语言“{lang}”（可选 zh 中文 或 zh-en 中英双语）")
    officer = officer_contact(store)
    prof = profile.get_profile(store)
    base_url = project_url(store) or None
    sheets = [project_sheet(store, r, officer, base_url) for r in rows]
    place, place_en = _place(rows)
    # the officer's 园区 only when every project is in the officer's own 州市
    park = prof.park.strip() if place == prof.prefecture.strip() else ""
    t_title = template.title.strip() if template is not None and template.title else ""
    t_intro = template.intro if template is not None and template.intro.strip() else ""
    t_cover = template.cover_image if template is not None and template.cover_image else ""
    final_title = (title or "").strip() or t_title or f"{place}招商引资项目推介册"
    cover = cover_image if cover_image not in (None, "") else None
    if cover is None and t_cover:
        if Path(t_cover).is_file():
            cover = t_cover
        else:  # e.g. a template synced from another device: its image path is not here
            notes.append(f"模板封面图片在本机不存在，已不用封面图片：{t_cover}")
    industries = list(dict.fromkeys(s.industry_path[0] for s in sheets if s.industry_path))
    spec = BrochureSpec(
        title=final_title,
        place=place,
        date=date or dt.date.today(),
        officer=officer,
        projects=sheets,
        intro=intro if intro is not None else (t_intro or DEFAULT_INTRO),
        recipient=(comp["name"] if comp else ""),
        cover_image=Path(cover) if cover else None,
        catalogue_context=catalogue_context(store, [r["id"] for r in rows]),
        catalogue_version=catalogue.current_version(store) or "",
        language=lang,
        park_name=park,
        app_version=__version__,
        keywords=["招商引资", "项目推介", *industries],
        title_en=(
            ""
            if (title or "").strip() or t_title
            else f"{place_en} Investment Projects"
            if place_en
            else "Investment Projects"
        ),
        place_en=place_en,
    )
    return BuiltSpec(
        spec=spec,
        project_ids=[r["id"] for r in rows],
        project_codes=[r["code"] for r in rows],
        company_id=comp["id"] if comp else "",
        company_name=comp["name"] if comp else "",
        template_id=getattr(template, "id", "") or "",
        template_name=getattr(template, "name", "") or "",
        notes=notes,
    )


def json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []
