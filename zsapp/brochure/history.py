"""Generate brochures from the database and remember them (what was given to which investor).

``generate`` = :func:`zsapp.brochure.source.build_spec` + render + a ``brochures`` history
row (sync-ready), used by both the CLI and the 推介册 page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zsapp.store import Store

from . import source, templates
from .model import BrochureError, RenderResult

TABLE = "brochures"
KIND_BOOKLET = "推介册"
KIND_PAGE = "单项目推介页"

Progress = Callable[[int, int], None]


def _register_merge_reference() -> None:
    """A company merge moves the investor of past brochures to the surviving company."""
    try:
        from zsapp.contacts.merge import register_reference
    except ImportError:  # contacts not present in this build
        return
    register_reference(TABLE, "company_id", "companies")


_register_merge_reference()


@dataclass
class Generated:
    result: RenderResult
    history_id: str
    built: source.BuiltSpec
    kind: str

    @property
    def path(self) -> Path:
        return self.result.path

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.history_id,
            "kind": self.kind,
            "file_path": str(self.result.path),
            "pages": self.result.pages,
            "size_bytes": self.result.size_bytes,
            "projects": self.built.project_codes,
            "company_id": self.built.company_id,
            "company_name": self.built.company_name,
            "language": self.built.spec.language,
            "template": self.built.template_name,
            "warnings": self.result.warnings,
            "missing_glyphs": self.result.missing_glyphs,
            "notes": self.built.notes,
        }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def record(
    store: Store,
    built: source.BuiltSpec,
    result: RenderResult,
    kind: str = KIND_BOOKLET,
    when: dt.datetime | None = None,
) -> str:
    spec = built.spec
    when = when or dt.datetime.now()
    return store.insert(
        TABLE,
        {
            "generated_at": when.strftime("%Y-%m-%dT%H:%M:%S"),
            "kind": kind,
            "title": spec.title
            if kind == KIND_BOOKLET
            else (spec.projects[0].name if spec.projects else ""),
            "company_id": built.company_id,
            "company_name": built.company_name,
            "project_ids": json.dumps(built.project_ids, ensure_ascii=False),
            "project_codes": json.dumps(built.project_codes, ensure_ascii=False),
            "language": spec.language,
            "template_id": built.template_id,
            "template_name": built.template_name,
            "file_path": str(Path(result.path).resolve()),
            "pages": result.pages,
            "size_bytes": result.size_bytes,
            "sha256": sha256_file(result.path),
            "officer": spec.officer.name,
            "catalogue_version": spec.catalogue_version,
        },
    )


def generate(
    store: Store,
    out_path: str | os.PathLike,
    *,
    codes: Any = None,
    company_ref: str | None = None,
    language: str | None = None,
    template_ref: str | None = None,
    title: str | None = None,
    intro: str | None = None,
    cover_image: str | Path | None = None,
    single_page: bool = False,
    progress: Progress | None = None,
    date: dt.date | None = None,
) -> Generated:
    """Build from the database, render to ``out_path`` (atomically) and record the history."""
    from .render import render_brochure, render_project_page  # reportlab: on first use

    out = Path(out_path).expanduser()
    if out.suffix.lower() != ".pdf":
        raise BrochureError(f"输出文件应以 .pdf 结尾：{out.name}")
    if out.exists() and out.is_dir():
        raise BrochureError(f"输出路径是一个文件夹：{out}")
    template = templates.get_template(store, template_ref) if template_ref else None
    built = source.build_spec(
        store,
        codes,
        company_ref=company_ref,
        language=language,
        template=template,
        title=title,
        intro=intro,
        cover_image=cover_image,
        date=date,
    )
    spec = built.spec
    if single_page:
        if len(spec.projects) != 1:
            raise BrochureError(f"单项目推介页只能包含一个项目（当前 {len(spec.projects)} 个）")
        result = render_project_page(
            spec.projects[0],
            spec.officer,
            out,
            spec.language,
            place=spec.place,
            park_name=spec.park_name,
            date=spec.date,
            app_version=spec.app_version,
            keywords=spec.keywords,
            progress=progress,
        )
        kind = KIND_PAGE
    else:
        result = render_brochure(spec, out, progress)
        kind = KIND_BOOKLET
    history_id = record(store, built, result, kind)
    return Generated(result, history_id, built, kind)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "generated_at": r["generated_at"],
        "kind": r["kind"],
        "title": r["title"],
        "company_id": r["company_id"],
        "company_name": r["company_name"],
        "projects": source.json_list(r["project_codes"]),
        "project_ids": source.json_list(r["project_ids"]),
        "language": r["language"],
        "template": r["template_name"],
        "file_path": r["file_path"],
        "file_exists": bool(r["file_path"]) and Path(r["file_path"]).is_file(),
        "pages": r["pages"],
        "size_bytes": r["size_bytes"],
        "sha256": r["sha256"],
        "officer": r["officer"],
        "catalogue_version": r["catalogue_version"],
    }


def _where(store: Store, company_ref: str | None, text: str | None) -> tuple[str, list[Any]]:
    where, params = "deleted = 0", []
    if company_ref:
        comp = source.company(store, company_ref)
        where += " AND company_id = ?"
        params.append(comp["id"])
    text = (text or "").strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += (
            " AND (company_name LIKE ? ESCAPE '\\' OR project_codes LIKE ? ESCAPE '\\' "
            "OR title LIKE ? ESCAPE '\\' OR file_path LIKE ? ESCAPE '\\')"
        )
        params += [like] * 4
    return where, params


def list_history(
    store: Store,
    *,
    company_ref: str | None = None,
    text: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first. With ``company_ref`` only brochures given to that company; ``text``
    matches the company name, a project code, the title or the file path."""
    where, params = _where(store, company_ref, text)
    rows = store.query(
        f"SELECT * FROM {TABLE} WHERE {where} ORDER BY generated_at DESC, created_at DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_row(r) for r in rows]


def count_history(store: Store, *, company_ref: str | None = None, text: str | None = None) -> int:
    where, params = _where(store, company_ref, text)
    return store.scalar(f"SELECT count(*) FROM {TABLE} WHERE {where}", params) or 0


def get_entry(store: Store, history_id: str) -> dict[str, Any]:
    row = store.get(TABLE, history_id)
    if row is None:
        raise BrochureError("找不到这条推介册记录")
    return _row(row)


def forget(store: Store, history_id: str) -> None:
    """Remove a history entry (the PDF file itself is left where it is)."""
    if store.get(TABLE, history_id) is None:
        raise BrochureError("找不到这条推介册记录")
    store.delete(TABLE, history_id)
