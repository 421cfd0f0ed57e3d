"""推介模板: reusable brochure settings (name, title, introduction, cover image, language)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zsapp.store import Store

from .model import BrochureError

TABLE = "brochure_templates"
LANGUAGES = ("zh", "zh-en")
COVER_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class TemplateError(BrochureError):
    pass


@dataclass
class Template:
    id: str = ""
    name: str = ""
    title: str = ""
    intro: str = ""
    cover_image: str = ""
    language: str = "zh"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _from_row(row: dict[str, Any]) -> Template:
    return Template(
        row["id"],
        row["name"],
        row["title"],
        row["intro"],
        row["cover_image"],
        row["language"] or "zh",
    )


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("name", "title", "intro", "cover_image", "language"):
        if key in values and values[key] is not None:
            out[key] = str(values[key]).strip() if key != "intro" else str(values[key]).strip("\n ")
    if "name" in out:
        if not out["name"]:
            raise TemplateError("模板名称不能为空")
        if len(out["name"]) > 60:
            raise TemplateError("模板名称过长（最多 60 字）")
    if "title" in out and len(out["title"]) > 80:
        raise TemplateError("推介册标题过长（最多 80 字）")
    if "language" in out and out["language"] not in LANGUAGES:
        raise TemplateError(f"不支持的语言“{out['language']}”（可选 zh 中文 或 zh-en 中英双语）")
    if out.get("cover_image"):
        p = Path(out["cover_image"]).expanduser()
        if p.suffix.lower() not in COVER_SUFFIXES:
            raise TemplateError(f"封面图片应为 PNG/JPEG 等图片文件：{p.name}")
        if not p.is_file():
            raise TemplateError(f"封面图片不存在：{p}")
        out["cover_image"] = str(p.resolve())
    return out


def list_templates(store: Store) -> list[Template]:
    return [
        _from_row(r)
        for r in store.query(f"SELECT * FROM {TABLE} WHERE deleted = 0 ORDER BY name, created_at")
    ]


def get_template(store: Store, ref: str) -> Template:
    """A live template by id or (exact, then case-insensitive) name."""
    ref = (ref or "").strip()
    if not ref:
        raise TemplateError("请指定推介模板")
    row = store.query_one(f"SELECT * FROM {TABLE} WHERE id = ? AND deleted = 0", (ref,))
    row = row or store.query_one(
        f"SELECT * FROM {TABLE} WHERE deleted = 0 AND name = ? ORDER BY created_at LIMIT 1", (ref,)
    )
    row = row or store.query_one(
        f"SELECT * FROM {TABLE} WHERE deleted = 0 AND lower(name) = lower(?) ORDER BY created_at LIMIT 1",
        (ref,),
    )
    if row is None:
        names = "、".join(t.name for t in list_templates(store)) or "（暂无模板）"
        raise TemplateError(f"找不到推介模板“{ref}”；现有模板：{names}")
    return _from_row(row)


def _name_taken(store: Store, name: str, exclude_id: str = "") -> bool:
    return bool(
        store.scalar(
            f"SELECT 1 FROM {TABLE} WHERE deleted = 0 AND lower(name) = lower(?) AND id != ?",
            (name, exclude_id),
        )
    )


def save_template(store: Store, template: Template) -> Template:
    """Create (no id) or update a template; names are unique (case-insensitive)."""
    values = _clean(asdict(template) | {"name": template.name})
    with store.transaction():
        if _name_taken(store, values["name"], template.id):
            raise TemplateError(f"已有同名推介模板“{values['name']}”")
        if template.id:
            if store.get(TABLE, template.id) is None:
                raise TemplateError("该推介模板已被删除")
            store.update(TABLE, template.id, values)
            return get_template(store, template.id)
        new_id = store.insert(TABLE, values)
    return get_template(store, new_id)


def delete_template(store: Store, ref: str) -> None:
    t = get_template(store, ref)
    store.delete(TABLE, t.id)
