-- Reserved for this round's work; intentionally empty until filled.
SELECT 1;

-- issue 12: sync quarantine -------------------------------------------------------------
-- Records pulled from the server that this device cannot store (malformed, a value of
-- the wrong type, a constraint): set aside here verbatim instead of stopping the sync;
-- shown on the 同步 page. One row per record (a later bad version replaces it).
CREATE TABLE sync_quarantine (
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    space       TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL,      -- the pulled row, JSON
    reason      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;
-- end issue 12 ---------------------------------------------------------------------------
