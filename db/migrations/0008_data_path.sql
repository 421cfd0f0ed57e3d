-- Reserved for this round's work; intentionally empty until filled.
SELECT 1;

-- issue 12: sync quarantine -------------------------------------------------------------
-- Records pulled from the server that this device cannot store (malformed, a value of
-- the wrong type, a constraint), and unsent local edits the server refused: set aside
-- here verbatim instead of stopping the sync; reported after the sync and by
-- `zsapp sync quarantine`. One row per record (pull) or per field (push).
CREATE TABLE sync_quarantine (
    direction   TEXT NOT NULL,      -- pull | push
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    field       TEXT NOT NULL DEFAULT '',
    space       TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL,      -- the pulled row / the outbox row, JSON
    reason      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (direction, table_name, row_id, field)
) WITHOUT ROWID;
-- end issue 12 ---------------------------------------------------------------------------
