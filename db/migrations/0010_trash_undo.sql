-- 回收站 (recycle bin). Deleted records are tombstones (deleted = 1) in their own tables and
-- stay there for sync; this local, NOT synced table only remembers which tombstones the
-- officer emptied out of the recycle bin so they are no longer listed there.
CREATE TABLE trash_purged (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    purged_at  TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;

-- Fast listing of tombstones per table for the recycle bin.
CREATE INDEX IF NOT EXISTS visits_tombstones ON visits (deleted, updated_at);
CREATE INDEX IF NOT EXISTS projects_tombstones ON projects (deleted, updated_at);

-- Local, NOT synced: what a merge made on this device changed (before- and after-images of
-- every row it wrote, JSON), so it can be taken back with an unmerge later.
CREATE TABLE merge_undo (
    merged_id  TEXT PRIMARY KEY,   -- the record merged away
    table_name TEXT NOT NULL,      -- companies | people
    kept_id    TEXT NOT NULL,
    images     TEXT NOT NULL,      -- JSON [[table, row_id, before|null, after|null], ...]
    merged_at  TEXT NOT NULL
);

-- Merged-away names stay findable: the survivor's search rows include them (aliases).
CREATE INDEX companies_merged_into ON companies (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX people_merged_into ON people (merged_into) WHERE merged_into IS NOT NULL;
