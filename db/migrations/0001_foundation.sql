-- Foundation: device identity, settings, sync bookkeeping, the catalogue and its search index.
-- Every table that holds user data (added by later migrations) carries the sync columns:
--   id TEXT PRIMARY KEY (UUID), created_at TEXT, updated_at TEXT (HLC), updated_by TEXT (device id),
--   deleted INTEGER NOT NULL DEFAULT 0 (tombstone; rows are never hard-deleted by the user).

-- Local key/value settings of this install (device id, officer profile, UI-independent options).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Devices known to this store; exactly one row has is_self = 1 (this install).
CREATE TABLE devices (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    is_self    INTEGER NOT NULL DEFAULT 0
);

-- Per-field HLC of the last write to each field of each synced record (per-field LWW merge).
CREATE TABLE field_versions (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id, field)
) WITHOUT ROWID;

-- Local changes not yet acknowledged by the office server: one per-field patch per row.
-- op id = (this device id, seq); rows are removed only after the server acknowledged them.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT,            -- JSON-encoded new value
    hlc        TEXT NOT NULL
);
CREATE INDEX outbox_row ON outbox (table_name, row_id);

-- The 招商引资指导目录: office-owned, read-only on devices, replaced as a versioned snapshot.
CREATE TABLE catalogue_versions (
    version      TEXT PRIMARY KEY,
    source_title TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    document     TEXT NOT NULL,   -- the whole JSON document (rules, directions, targets…)
    loaded_at    TEXT NOT NULL,
    is_current   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE catalogue_industries (
    id      TEXT PRIMARY KEY,
    version TEXT NOT NULL REFERENCES catalogue_versions (version) ON DELETE CASCADE,
    no      INTEGER NOT NULL,
    name    TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT ''
);

CREATE TABLE catalogue_items (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL REFERENCES catalogue_versions (version) ON DELETE CASCADE,
    industry_id TEXT NOT NULL REFERENCES catalogue_industries (id) ON DELETE CASCADE,
    no          INTEGER NOT NULL,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalogue_items_industry ON catalogue_items (industry_id, no);

CREATE TABLE catalogue_terms (
    item_id TEXT NOT NULL REFERENCES catalogue_items (id) ON DELETE CASCADE,
    no      INTEGER NOT NULL,
    term    TEXT NOT NULL,
    PRIMARY KEY (item_id, no)
) WITHOUT ROWID;

-- Search index (see zsapp/search.py): one FTS5 table per searchable kind, same columns.
-- grams/py/ini hold space-separated character bigrams of the normalised text, its full
-- pinyin and its pinyin initials, so 1- and 2-character queries and pinyin work via the index.
CREATE VIRTUAL TABLE search_catalogue USING fts5 (
    entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED, display UNINDEXED, norm UNINDEXED,
    keys UNINDEXED,   -- ' norm pinyin… initials… ' for exact/prefix ranking of pinyin queries
    grams, py, ini,
    tokenize = 'unicode61 remove_diacritics 0'
);
