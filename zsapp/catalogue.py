"""The 招商引资指导目录: load the bundled (or synced) snapshot, browse and search it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zsapp import paths, search
from zsapp.store import Store, StoreError

INDEX = "catalogue"
# Ranking weights: exact term > item name > industry > detail text.
WEIGHT_TERM, WEIGHT_ITEM, WEIGHT_INDUSTRY, WEIGHT_EN, WEIGHT_TEXT = 40, 30, 20, 8, 5
PATH_SEPARATOR = " › "


class CatalogueError(StoreError):
    pass


def bundled_path() -> Path:
    return paths.resources_dir() / "catalogue" / "catalogue.json"


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


def read_document(path: Path | None = None) -> tuple[dict[str, Any], str]:
    path = path or bundled_path()
    try:
        raw = path.read_bytes()
        document = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"无法读取指导目录文件 {path}：{exc}") from exc
    validate_document(document)
    return document, hashlib.sha256(raw).hexdigest()


def validate_document(document: dict[str, Any]) -> None:
    try:
        assert isinstance(document["version"], str) and document["version"]
        assert document["industries"], "没有产业"
        for industry in document["industries"]:
            assert industry["id"] and industry["name"]
            for item in industry["items"]:
                assert item["id"] and item["name"] and isinstance(item["terms"], list)
    except (KeyError, TypeError, AssertionError) as exc:
        raise CatalogueError(f"指导目录数据格式不正确：{exc!r}") from exc


def current_version(store: Store) -> str | None:
    return store.scalar("SELECT version FROM catalogue_versions WHERE is_current = 1")


def ensure_loaded(store: Store) -> bool:
    """Install the bundled catalogue on first run or when the bundled one is newer or
    different for the same version. A newer version received by sync is kept."""
    document, digest = read_document()
    row = store.query_one("SELECT version, sha256 FROM catalogue_versions WHERE is_current = 1")
    if row and (
        _version_key(row["version"]) > _version_key(document["version"])
        or (row["version"] == document["version"] and row["sha256"] == digest)
    ):
        return False
    install(store, document, digest)
    return True


def install(store: Store, document: dict[str, Any], digest: str | None = None) -> None:
    """Replace the current catalogue with ``document`` atomically (rows and index)."""
    validate_document(document)
    digest = (
        digest
        or hashlib.sha256(
            json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
    )
    version = document["version"]
    conn = store
    with store.transaction():
        conn.execute("DELETE FROM catalogue_terms")
        conn.execute("DELETE FROM catalogue_items")
        conn.execute("DELETE FROM catalogue_industries")
        conn.execute("DELETE FROM search_catalogue")
        conn.execute("UPDATE catalogue_versions SET is_current = 0")
        conn.execute(
            "INSERT INTO catalogue_versions (version, source_title, sha256, document, loaded_at, is_current) "
            "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (version) DO UPDATE SET source_title = excluded.source_title, "
            "sha256 = excluded.sha256, document = excluded.document, loaded_at = excluded.loaded_at, is_current = 1",
            (
                version,
                document.get("source_title", ""),
                digest,
                json.dumps(document, ensure_ascii=False),
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )
        docs: list[search.Document] = []
        for industry in document["industries"]:
            conn.execute(
                "INSERT INTO catalogue_industries (id, version, no, name, name_en) VALUES (?, ?, ?, ?, ?)",
                (
                    industry["id"],
                    version,
                    industry["no"],
                    industry["name"],
                    industry.get("name_en", ""),
                ),
            )
            docs.append(
                search.Document(industry["id"], "industry", industry["name"], WEIGHT_INDUSTRY)
            )
            if industry.get("name_en"):
                docs.append(
                    search.Document(industry["id"], "industry_en", industry["name_en"], WEIGHT_EN)
                )
            for item in industry["items"]:
                conn.execute(
                    "INSERT INTO catalogue_items (id, version, industry_id, no, name, name_en, text, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item["id"],
                        version,
                        industry["id"],
                        item["no"],
                        item["name"],
                        item.get("name_en", ""),
                        item.get("text", item["name"]),
                        item.get("note", ""),
                    ),
                )
                docs.append(search.Document(item["id"], "item", item["name"], WEIGHT_ITEM))
                docs.append(search.Document(item["id"], "text", item.get("text", ""), WEIGHT_TEXT))
                if item.get("name_en"):
                    docs.append(search.Document(item["id"], "item_en", item["name_en"], WEIGHT_EN))
                for no, term in enumerate(item["terms"], start=1):
                    conn.execute(
                        "INSERT INTO catalogue_terms (item_id, no, term) VALUES (?, ?, ?)",
                        (item["id"], no, term),
                    )
                    docs.append(search.Document(f"{item['id']}#{no}", "term", term, WEIGHT_TERM))
        search.index_documents(conn, INDEX, docs)


def document(store: Store) -> dict[str, Any]:
    """The whole current catalogue document (rules, directions, targets…)."""
    raw = store.scalar("SELECT document FROM catalogue_versions WHERE is_current = 1")
    if raw is None:
        raise CatalogueError("尚未载入招商引资指导目录")
    return json.loads(raw)


@dataclass
class Item:
    id: str
    industry_id: str
    industry: str
    no: int
    name: str
    text: str
    terms: list[str]
    note: str = ""
    name_en: str = ""
    industry_en: str = ""

    @property
    def path(self) -> list[str]:
        return [self.industry, self.name]


@dataclass
class Industry:
    id: str
    no: int
    name: str
    name_en: str
    items: list[Item] = field(default_factory=list)


def industries(store: Store) -> list[Industry]:
    result: dict[str, Industry] = {}
    for row in store.query("SELECT * FROM catalogue_industries ORDER BY no"):
        result[row["id"]] = Industry(row["id"], row["no"], row["name"], row["name_en"])
    terms = _terms_by_item(store)
    for row in store.query("SELECT * FROM catalogue_items ORDER BY industry_id, no"):
        industry = result[row["industry_id"]]
        industry.items.append(_item(row, industry, terms.get(row["id"], [])))
    return list(result.values())


def _terms_by_item(store: Store, item_id: str | None = None) -> dict[str, list[str]]:
    sql = "SELECT item_id, term FROM catalogue_terms"
    params: tuple = ()
    if item_id:
        sql, params = sql + " WHERE item_id = ?", (item_id,)
    terms: dict[str, list[str]] = {}
    for row in store.query(sql + " ORDER BY item_id, no", params):
        terms.setdefault(row["item_id"], []).append(row["term"])
    return terms


def _item(row: dict, industry: Industry, terms: list[str]) -> Item:
    return Item(
        row["id"],
        industry.id,
        industry.name,
        row["no"],
        row["name"],
        row["text"],
        terms,
        row["note"],
        row["name_en"],
        industry.name_en,
    )


def get_item(store: Store, item_id: str) -> Item:
    row = store.query_one("SELECT * FROM catalogue_items WHERE id = ?", (item_id,))
    if row is None:
        raise CatalogueError(f"指导目录中没有条目 {item_id}")
    ind = store.query_one("SELECT * FROM catalogue_industries WHERE id = ?", (row["industry_id"],))
    if ind is None:
        raise CatalogueError(f"指导目录条目 {item_id} 的行业不存在")
    industry = Industry(ind["id"], ind["no"], ind["name"], ind["name_en"])
    return _item(row, industry, _terms_by_item(store, item_id).get(item_id, []))


def get_industry(store: Store, industry_id: str) -> Industry:
    for industry in industries(store):
        if industry.id == industry_id:
            return industry
    raise CatalogueError(f"指导目录中没有产业 {industry_id}")


@dataclass
class CatalogueHit:
    id: str  # industry id, item id, or "<item id>#<term no>"
    kind: str  # industry | item | term
    industry_id: str
    industry: str
    item_id: str | None
    item: str | None
    term: str | None
    path: list[str]
    matched: str
    matched_field: str
    score: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def search_catalogue(store: Store, query: str, limit: int = 50) -> list[CatalogueHit]:
    hits = store.search(INDEX, query, limit)
    if not hits:
        return []
    item_rows = {
        r["id"]: r
        for r in store.query(
            "SELECT i.id, i.name, i.industry_id, d.name AS industry FROM catalogue_items i "
            "JOIN catalogue_industries d ON d.id = i.industry_id"
        )
    }
    industry_names = {
        r["id"]: r["name"] for r in store.query("SELECT id, name FROM catalogue_industries")
    }
    results = []
    for hit in hits:
        item_id, _, term_no = hit.entity_id.partition("#")
        if item_id in industry_names:
            results.append(
                CatalogueHit(
                    item_id,
                    "industry",
                    item_id,
                    industry_names[item_id],
                    None,
                    None,
                    None,
                    [industry_names[item_id]],
                    hit.matched,
                    hit.field,
                    hit.score,
                )
            )
            continue
        row = item_rows[item_id]
        path = [row["industry"], row["name"]]
        term = hit.display if term_no else None
        if term:
            path.append(term)
        results.append(
            CatalogueHit(
                hit.entity_id,
                "term" if term_no else "item",
                row["industry_id"],
                row["industry"],
                item_id,
                row["name"],
                term,
                path,
                hit.matched,
                hit.field,
                hit.score,
            )
        )
    return results


def admission_rules(store: Store) -> list[dict[str, Any]]:
    return document(store).get("admission_rules", [])


def general_conditions(store: Store) -> list[dict[str, Any]]:
    return document(store).get("general_conditions", [])


def item_labels(store: Store, query: str, limit: int = 10) -> list[str]:
    """Type-ahead labels ``"<item id> <产业> › <条目>"`` for fields that link catalogue items."""
    labels: list[str] = []
    for hit in search_catalogue(store, query, limit * 3):
        if hit.item_id:
            label = f"{hit.item_id} {hit.industry}{PATH_SEPARATOR}{hit.item}"
            if label not in labels:
                labels.append(label)
        if len(labels) >= limit:
            break
    return labels


def item_labels_for(store: Store, item_ids: list[str]) -> str:
    """The field text (labels joined by 、) for already linked items (when editing)."""
    labels = []
    for item_id in item_ids:
        row = store.query_one(
            "SELECT i.id, i.name, ind.name AS industry FROM catalogue_items i "
            "JOIN catalogue_industries ind ON ind.id = i.industry_id WHERE i.id = ?",
            (item_id,),
        )
        if row:
            labels.append(f"{row['id']} {row['industry']}{PATH_SEPARATOR}{row['name']}")
    return "、".join(labels)


def resolve_item_tokens(store: Store, tokens: list[str]) -> list[str]:
    """Item ids for typed tokens: a label from :func:`item_labels`, a bare id, or an
    exact item name."""
    ids: list[str] = []
    for token in (t.strip() for t in tokens):
        if not token:
            continue
        head = token.split()[0]
        row = store.query_one(
            "SELECT id FROM catalogue_items WHERE id = ?", (head,)
        ) or store.query_one(
            "SELECT id FROM catalogue_items WHERE name = ? ORDER BY id LIMIT 1", (token,)
        )
        if row is None:
            raise CatalogueError(
                f"指导目录中没有“{token}”，请从提示列表中选择（输入名称、拼音或编号）"
            )
        if row["id"] not in ids:
            ids.append(row["id"])
    return ids
