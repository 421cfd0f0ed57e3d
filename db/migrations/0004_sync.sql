-- 同步: device-side bookkeeping for delta sync with the office server (see docs/sync.md).
-- The outbox and field_versions tables come from 0001; sync configuration (server URL,
-- token, cursors) lives in settings under "sync.*".

-- The version (HLC) of every field as last agreed with the server, and the server space
-- the row belongs to. A local edit is sent with this as its base: the server records a
-- conflict when the field changed there since. Not touched while a field has unsent edits.
CREATE TABLE sync_base (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    space      TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id, field)
) WITHOUT ROWID;
CREATE INDEX sync_base_space ON sync_base (space);

-- Fields (or whole rows of tables) received from the server that this app version has
-- no column for: kept verbatim, applied when a later migration adds the column.
CREATE TABLE sync_extra (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT,            -- JSON
    hlc        TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id, field)
) WITHOUT ROWID;

-- Local history of sync runs (shown on the 同步 page).
CREATE TABLE sync_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    ok        INTEGER NOT NULL DEFAULT 0,
    pushed    INTEGER NOT NULL DEFAULT 0,
    pulled    INTEGER NOT NULL DEFAULT 0,
    conflicts INTEGER NOT NULL DEFAULT 0,
    error     TEXT NOT NULL DEFAULT ''
);

-- Conflicts recorded by the server when the same field (or a record and its deletion)
-- changed on two devices: the losing value is kept here and can be restored. A synced
-- user table: created by the server, resolved on any device, visible with its record.
CREATE TABLE sync_conflicts (
    id           TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    kind         TEXT NOT NULL DEFAULT 'field',   -- field | delete_edit
    table_name   TEXT NOT NULL DEFAULT '',
    row_id       TEXT NOT NULL DEFAULT '',
    field        TEXT NOT NULL DEFAULT '',
    winner_value TEXT,           -- JSON
    winner_hlc   TEXT NOT NULL DEFAULT '',
    winner_device TEXT NOT NULL DEFAULT '',
    winner_officer TEXT NOT NULL DEFAULT '',
    loser_value  TEXT,           -- JSON
    loser_hlc    TEXT NOT NULL DEFAULT '',
    loser_device TEXT NOT NULL DEFAULT '',
    loser_officer TEXT NOT NULL DEFAULT '',
    resolved     INTEGER NOT NULL DEFAULT 0,
    resolved_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_conflicts_open ON sync_conflicts (resolved, deleted);
CREATE INDEX sync_conflicts_record ON sync_conflicts (table_name, row_id);
