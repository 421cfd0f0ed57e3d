-- 共享: a record (a 招商项目, a contact, a visit…) of this unit shown to another unit (州市).
-- Synced like every user table; the office server copies the shared record into that
-- unit's "shared:<unit>" space while the share is live (see docs/sync.md, 共享).
-- Written only through zsapp.sync.shares (Store.insert/update/delete).
CREATE TABLE record_shares (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    tbl         TEXT NOT NULL DEFAULT '',   -- table of the shared record, e.g. projects
    row_id      TEXT NOT NULL DEFAULT '',   -- its id
    unit        TEXT NOT NULL DEFAULT ''    -- the unit (州市) it is shared with, e.g. 大理州
);
CREATE INDEX record_shares_record ON record_shares (tbl, row_id, deleted);
