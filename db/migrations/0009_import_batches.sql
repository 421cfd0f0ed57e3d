-- Import batches (issue 11): every written import is one batch, so it can be undone in one
-- step. Local bookkeeping of this device only (not synced): the undo itself writes through
-- Store.update/delete, so what it restores or removes syncs like any edit.
CREATE TABLE import_batches (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,               -- UTC, ISO 8601
    file_name  TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT '',    -- generic / qichacha / outlook_en / vcard / zsapp …
    mode       TEXT NOT NULL DEFAULT 'fill', -- skip / fill / overwrite
    summary    TEXT NOT NULL DEFAULT '',
    counts     TEXT NOT NULL DEFAULT '{}',  -- JSON: companies_created, people_updated …
    undone_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX import_batches_created ON import_batches (created_at);

-- One row per record write of a batch, in order: an insert (undo: tombstone it) or an
-- update with the previous and the written values of the fields it changed.
CREATE TABLE import_batch_changes (
    batch_id   TEXT NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    action     TEXT NOT NULL,               -- insert / update
    before     TEXT NOT NULL DEFAULT '{}',
    after      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (batch_id, seq)
) WITHOUT ROWID;
