"""Chinese-aware search over FTS5 indexes: substring (also 1–2 characters), full pinyin,
pinyin initials, Latin tokens, case- and width-folded.

Each searchable kind has its own FTS5 table ``search_<kind>`` (created by a migration,
same columns as ``search_catalogue``, plus an index on ``search_<kind>_content (c0)``,
see db/migrations/0006). A record contributes one document per field, e.g.
a company's name and its short name, with a weight for ranking. Text is normalised
(NFKC, lower case, letters and digits only) and stored as overlapping character bigrams
plus the last character, so a query of any length becomes an FTS5 phrase (or a prefix
query for one character) answered from the index, never a scan of the rows.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

# pypinyin (its dictionaries take ~0.1 s to load) is imported on the first reading.

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_MAX_VARIANTS = 4
# Alternative readings only for short texts (names); long texts use the phrase reading.
_MAX_VARIANT_CHARS = 8

# pypinyin reads these characters by their common word reading; as surnames they differ.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "仇": "qiu",
    "翟": "zhai",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "尉": "yu",
    "缪": "miao",
    "覃": "qin",
    "召": "shao",
    "种": "chong",
    "冼": "xian",
    "繁": "po",
    "员": "yun",
}


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    if folded.isascii() or ord(folded[0]) >= 0x2E80:
        return "".join(c for c in folded if c.isalnum())
    # Latin with diacritics (pinyin tone marks, é): keep the base letter.
    base = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in base if c.isalnum() and not unicodedata.combining(c))


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, no diacritics, letters and digits only."""
    return "".join(_fold_char(ch) for ch in text or "")


def _normalised_with_positions(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the index in the original."""
    out: list[str] = []
    positions: list[int] = []
    for index, ch in enumerate(text):
        for folded in _fold_char(ch):
            out.append(folded)
            positions.append(index)
    return "".join(out), positions


def grams(norm: str) -> str:
    """Space-separated character bigrams plus the final character."""
    if not norm:
        return ""
    pairs = [norm[i : i + 2] for i in range(len(norm) - 1)]
    pairs.append(norm[-1])
    return " ".join(pairs)


@functools.lru_cache(maxsize=32768)
def _char_readings(ch: str) -> tuple[str, ...]:
    """All toneless readings of one Chinese character, the most common first."""
    from pypinyin import Style, pinyin

    return tuple(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def _syllables(norm: str) -> list[str]:
    """One syllable per Chinese character; runs of other characters stay together ("topcon").
    Phrase-aware segmentation (lazy_pinyin, ~0.2 ms) is only needed when a character has
    several readings; otherwise the per-character readings are the answer."""
    syllables: list[str] = []
    run = ""
    for ch in norm:
        if not _HAN.match(ch):
            run += ch
            continue
        readings = _char_readings(ch)
        if len(readings) != 1:
            return _phrase_syllables(norm)
        if run:
            syllables.append(run)
            run = ""
        syllables.append(readings[0])
    if run:
        syllables.append(run)
    return syllables


# pypinyin reads each run of the characters it has readings for (RE_HANS) on its own and
# keeps everything between runs as one item, so lazy_pinyin(text) is the concatenation of
# its runs' readings. Cached per run, texts that differ only in digits or Latin letters
# ("导入测试00001号铝业有限公司", "…00002号…") cost a dictionary lookup instead of ~0.1 ms.
@functools.cache
def _pypinyin_run() -> re.Pattern[str]:
    from pypinyin.constants import RE_HANS

    return re.compile(RE_HANS.pattern.removeprefix("^").removesuffix("$"))


@functools.lru_cache(maxsize=32768)
def _run_syllables(run: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(run, style=Style.NORMAL, errors="default"))


def _phrase_syllables(norm: str) -> list[str]:
    """``lazy_pinyin(norm, style=Style.NORMAL, errors="default")``, cached per run."""
    syllables: list[str] = []
    end = 0
    for match in _pypinyin_run().finditer(norm):
        if match.start() > end:
            syllables.append(norm[end : match.start()])
        syllables += _run_syllables(match.group())
        end = match.end()
    if end < len(norm):
        syllables.append(norm[end:])
    return syllables


@functools.lru_cache(maxsize=65536)
def pinyin_variants(norm: str, person_name: bool = False) -> tuple[tuple[str, ...], ...]:
    """Readings of ``norm`` as syllable lists: the phrase-aware one first, then a few
    alternatives for polyphonic characters (capped, so an index row stays small)."""
    if not _HAN.search(norm):
        return ()
    main = _syllables(norm)
    variants = [tuple(main)]
    if person_name and norm[0] in SURNAME_READINGS:
        variants.insert(0, (SURNAME_READINGS[norm[0]], *main[1:]))
    if len(main) == len(norm) <= _MAX_VARIANT_CHARS:  # aligned syllables: add heteronyms
        options = []
        for ch, first in zip(norm, main, strict=False):
            readings = [first]
            if _HAN.match(ch):
                for r in _char_readings(ch):
                    if r not in readings:
                        readings.append(r)
            options.append(readings[:2])
        for combo in itertools.islice(itertools.product(*options), 1, _MAX_VARIANTS * 2):
            if combo not in variants:
                variants.append(combo)
            if len(variants) >= _MAX_VARIANTS:
                break
    return tuple(variants[:_MAX_VARIANTS])


def pinyin_keys(norm: str, person_name: bool = False) -> tuple[str, str, str]:
    """Bigram strings for full pinyin and for initials (all variants concatenated), and
    the space-delimited whole keys used to rank exact and prefix matches."""
    full, initials = [], []
    for syllables in pinyin_variants(norm, person_name):
        full.append("".join(syllables))
        initials.append("".join(s[0] if _is_pinyin(s) else s for s in syllables))
    full, initials = list(dict.fromkeys(full)), list(dict.fromkeys(initials))
    # Only the preferred reading (and a surname reading) ranks as exact/prefix; other
    # heteronyms still find the record but rank below it.
    preferred = 2 if person_name and norm[:1] in SURNAME_READINGS else 1
    keys = " " + " ".join([norm, *full[:preferred], *initials[:preferred]]) + " "
    return " ".join(map(grams, full)), " ".join(map(grams, initials)), keys


def _is_pinyin(syllable: str) -> bool:
    return syllable.isascii() and syllable.isalpha()


@dataclass(frozen=True)
class Document:
    """One searchable text of one record."""

    entity_id: str
    field: str
    text: str
    weight: int = 10
    person_name: bool = False


class Database(Protocol):
    """What search needs from :class:`zsapp.store.Store` (reads on the right connection,
    writes inside the caller's transaction)."""

    def rows(self, sql: str, params: Any = ()) -> list[tuple]: ...

    def executemany(self, sql: str, rows: Any) -> Any: ...


def _doc_rows(documents: Iterable[Document]) -> list[tuple]:
    rows = []
    for doc in documents:
        norm = normalise(doc.text)
        if not norm:
            continue
        py, ini, keys = pinyin_keys(norm, doc.person_name)
        rows.append(
            (doc.entity_id, doc.field, doc.weight, doc.text, norm, keys, grams(norm), py, ini)
        )
    return rows


def _insert_rows(db: Database, kind: str, rows: list[tuple]) -> None:
    if rows:
        db.executemany(
            f"INSERT INTO search_{kind} (entity_id, field, weight, display, norm, keys, grams, py, ini) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def index_documents(db: Database, kind: str, documents: Iterable[Document]) -> int:
    """Add documents to ``search_<kind>`` (call inside the caller's transaction)."""
    rows = _doc_rows(documents)
    _insert_rows(db, kind, rows)
    return len(rows)


def remove_entity(db: Database, kind: str, entity_id: str) -> None:
    # entity_id is column c0 of FTS5's content table, which a migration indexes: a lookup,
    # not a scan of the whole index (~100 ms with a million indexed visits).
    rowids = db.rows(f"SELECT id FROM search_{kind}_content WHERE c0 = ?", (entity_id,))
    if rowids:
        db.executemany(f"DELETE FROM search_{kind} WHERE rowid = ?", rowids)
    if kind in ENTITY_TABLES:
        _reindex_whole(db, kind, entity_id, [])


def reindex_entity(db: Database, kind: str, entity_id: str, documents: Iterable[Document]) -> None:
    rows = _doc_rows(documents)
    rowids = db.rows(f"SELECT id FROM search_{kind}_content WHERE c0 = ?", (entity_id,))
    if rowids:
        db.executemany(f"DELETE FROM search_{kind} WHERE rowid = ?", rowids)
    _insert_rows(db, kind, rows)
    if kind in ENTITY_TABLES:
        _reindex_whole(db, kind, entity_id, rows)


# -- whole-entity index and exact counts ----------------------------------------------------
# Kinds (→ their record table) that also keep one row per entity in search_<kind>_entities
# (rowid = the record's rowid) and entities per single character in search_char_counts
# (db/migrations/0008), so a list can show exactly how many records match a query.
ENTITY_TABLES = {"companies": "companies"}
_UPSERT_COUNT = (
    "INSERT INTO search_char_counts (kind, key, n) VALUES (?, ?, ?) "
    "ON CONFLICT (kind, key) DO UPDATE SET n = n + excluded.n"
)


def _char_keys(grams_text: str, py: str, ini: str) -> set[str]:
    """Count keys an entity contributes: 'g' + each 汉字 of its texts (汉字 queries search
    the text only), 'a' + each other character of its texts and readings, and '*'."""
    keys = {"*"}
    for ch in grams_text:
        if ch != " ":
            keys.add(("g" if _HAN.match(ch) else "a") + ch)
    for ch in py + ini:
        if ch != " " and not _HAN.match(ch):
            keys.add("a" + ch)
    return keys


def _counts_built(db: Database, kind: str) -> bool:
    return bool(db.rows("SELECT 1 FROM search_char_counts WHERE kind = ? AND key = '*'", (kind,)))


def _reindex_whole(db: Database, kind: str, entity_id: str, rows: list[tuple]) -> None:
    found = db.rows(f"SELECT rowid FROM [{ENTITY_TABLES[kind]}] WHERE id = ?", (entity_id,))
    if not found:
        return
    rid = found[0][0]
    old = db.rows(f"SELECT grams, py, ini FROM search_{kind}_entities WHERE rowid = ?", (rid,))
    new = (
        (" ".join(r[6] for r in rows), " ".join(r[7] for r in rows), " ".join(r[8] for r in rows))
        if rows
        else None
    )
    if old and new and tuple(old[0]) == new:
        return
    if old:
        db.executemany(f"DELETE FROM search_{kind}_entities WHERE rowid = ?", [(rid,)])
    if new:
        db.executemany(
            f"INSERT INTO search_{kind}_entities (rowid, grams, py, ini) VALUES (?, ?, ?, ?)",
            [(rid, *new)],
        )
    if _counts_built(db, kind):
        before = _char_keys(*old[0]) if old else set()
        after = _char_keys(*new) if new else set()
        deltas = [(kind, k, 1) for k in after - before] + [(kind, k, -1) for k in before - after]
        if deltas:
            db.executemany(_UPSERT_COUNT, deltas)


def build_counts(db: Database, kind: str) -> None:
    """(Re)compute search_char_counts for ``kind`` from its whole-entity index."""
    counter: collections.Counter[str] = collections.Counter({"*": 0})
    for grams_text, py, ini in db.rows(f"SELECT grams, py, ini FROM search_{kind}_entities"):
        counter.update(_char_keys(grams_text, py, ini))
    db.executemany("DELETE FROM search_char_counts WHERE kind = ?", [(kind,)])
    db.executemany(_UPSERT_COUNT, [(kind, k, n) for k, n in counter.items()])


def rebuild_entity_index(db: Database, kind: str) -> None:
    """Rebuild search_<kind>_entities and the counts from search_<kind> (data written
    straight into the index, e.g. by a benchmark generator)."""
    table = ENTITY_TABLES[kind]
    db.executemany(f"DELETE FROM search_{kind}_entities", [()])
    db.executemany(
        f"INSERT INTO search_{kind}_entities (rowid, grams, py, ini) "
        "SELECT t.rowid, group_concat(s.grams, ' '), group_concat(s.py, ' '), group_concat(s.ini, ' ') "
        f"FROM search_{kind} s JOIN [{table}] t ON t.id = s.entity_id WHERE ? GROUP BY t.rowid",
        [(1,)],
    )
    build_counts(db, kind)


def ensure_counts(store) -> None:
    """Fill search_char_counts on first open after the migration that created it."""
    for kind in ENTITY_TABLES:
        if not _counts_built(store, kind):
            with store.transaction():
                build_counts(store, kind)


def match_expression(query: str) -> str | None:
    """The FTS5 expression for "records matching ``query``" (what :func:`search` ranks)."""
    found = fts_expression(query)
    return found[0] if found else None


def count_matches(db: Database, kind: str, query: str) -> int:
    """Exactly how many entities of ``kind`` (in ENTITY_TABLES) match ``query``; one
    character is a lookup in search_char_counts, longer queries count whole-entity rows."""
    found = fts_expression(query)
    if found is None:
        return 0
    expression, q = found
    if len(q) == 1:
        key = ("g" if _HAN.match(q) else "a") + q
        counts = dict(
            db.rows(
                "SELECT key, n FROM search_char_counts WHERE kind = ? AND key IN (?, '*')",
                (kind, key),
            )
        )
        if "*" in counts:
            return counts.get(key, 0)
    return db.rows(
        f"SELECT count(*) FROM search_{kind}_entities WHERE search_{kind}_entities MATCH ?",
        (expression,),
    )[0][0]


def count_all(db: Database, kind: str) -> int | None:
    """How many entities of ``kind`` are indexed (None if the counts are not built)."""
    rows = db.rows("SELECT n FROM search_char_counts WHERE kind = ? AND key = '*'", (kind,))
    return rows[0][0] if rows else None


@dataclass
class Hit:
    entity_id: str
    field: str
    display: str
    score: int
    matched: str = ""  # the part of ``display`` that matched
    span: tuple[int, int] = (0, 0)
    via: str = "text"  # text | pinyin | initials
    extra: dict = dataclasses.field(default_factory=dict)  # `field` is shadowed above


# Rows scored per phase. A very broad query ("中", "有限公司") can match most of a 100k
# index; scoring every match would cost ~2 µs a row, so each phase scores at most this
# many candidates (in index order) and the prefix phase runs first, so the best-ranked
# rows (exact and prefix matches) are found among a small set.
CANDIDATES_PER_PHASE = 400


def fts_expression(query: str, anchored: bool = False) -> tuple[str, str] | None:
    """The FTS5 MATCH expression for a query, and its normalised form. ``anchored``
    matches only at the start of a column (prefix matches)."""
    q = normalise(query)
    if not q:
        return None
    if len(q) == 1:
        phrase = f'"{q}"*'
    else:
        phrase = '"' + " ".join(q[i : i + 2] for i in range(len(q) - 1)) + '"'
    columns = "grams" if _HAN.search(q) else "grams py ini"
    return f"{{{columns}}} : {'^' if anchored else ''}{phrase}", q


def search(
    db: Database, kind: str, query: str, limit: int = 50, *, spans: bool = True
) -> list[Hit]:
    """Best-ranked hits, one per entity: exact > prefix > substring (text before pinyin),
    then how much of the text the query covers, then the field's weight. ``spans=False``
    skips finding the matched part of each text (lists that do not highlight it)."""
    anchored = fts_expression(query, anchored=True)
    if anchored is None:
        return []
    anywhere = fts_expression(query)
    assert anywhere is not None  # the unanchored form exists whenever the anchored one does
    q = anchored[1]
    # Score in SQL so only the best rows leave SQLite.
    sql = f"""
        SELECT entity_id, field, display, norm,
               CASE WHEN norm = :q THEN 6000
                    WHEN instr(keys, ' ' || :q || ' ') > 0 THEN 5000
                    WHEN substr(norm, 1, length(:q)) = :q THEN 4000
                    WHEN instr(keys, ' ' || :q) > 0 THEN 3000
                    WHEN instr(norm, :q) > 0 THEN 2000 ELSE 1000 END
               + min(100, 100 * length(:q) / length(norm))
               + weight AS score
        FROM (SELECT rowid, * FROM search_{kind} WHERE search_{kind} MATCH :expr LIMIT :cap)
        ORDER BY score DESC, rowid LIMIT :n
    """
    rows = []
    for expression, _q in (anchored, anywhere):
        rows += db.rows(
            sql, {"q": q, "expr": expression, "n": limit * 4, "cap": CANDIDATES_PER_PHASE}
        )
        if len({r[0] for r in rows}) >= limit:
            break
    rows.sort(key=lambda r: -r[4])
    hits: list[Hit] = []
    seen: set[str] = set()
    for entity_id, field_name, display, norm, score in rows:
        if entity_id in seen:
            continue
        seen.add(entity_id)
        hit = Hit(entity_id, field_name, display, score)
        hits.append(_with_span(hit, q, norm) if spans else hit)
        if len(hits) >= limit:
            break
    return hits


def _with_span(hit: Hit, q: str, norm: str) -> Hit:
    text_norm, positions = _normalised_with_positions(hit.display)
    start = text_norm.find(q)
    if start >= 0:
        first, last = positions[start], positions[start + len(q) - 1]
        hit.span = (first, last + 1)
        hit.matched = hit.display[first : last + 1]
        return hit
    # Matched through pinyin: find the characters whose syllables cover the query.
    chars = list(text_norm)
    for variant in pinyin_variants(text_norm):
        if len(variant) != len(chars):
            continue
        for via, keys in (
            ("initials", [s[0] if _is_pinyin(s) else s for s in variant]),
            ("pinyin", list(variant)),
        ):
            joined = "".join(keys)
            found = joined.find(q)
            if found < 0:
                continue
            offsets = list(itertools.accumulate(len(k) for k in keys))
            begin = next(i for i, end in enumerate(offsets) if end > found)
            end = next(i for i, end in enumerate(offsets) if end >= found + len(q))
            first, last = positions[begin], positions[end]
            hit.span, hit.matched, hit.via = (first, last + 1), hit.display[first : last + 1], via
            return hit
    hit.via = "pinyin"
    return hit
