-- Issue 14: personal-information duties and device security state.

-- 导出记录: who exported what, when, how many rows (个人信息保护法, 网络安全法 ≥ 6 months).
-- A synced user table, so the office sees every device's exports.
CREATE TABLE export_log (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    at         TEXT NOT NULL DEFAULT '',   -- ISO time of the export
    officer    TEXT NOT NULL DEFAULT '',   -- profile name on this device
    what       TEXT NOT NULL DEFAULT '',   -- e.g. 客商（联系人）, 项目, 推介册
    format     TEXT NOT NULL DEFAULT '',   -- csv | xlsx | vcf | pdf …
    rows       INTEGER NOT NULL DEFAULT 0,
    target     TEXT NOT NULL DEFAULT ''    -- file name only (no directory)
);
CREATE INDEX export_log_at ON export_log (deleted, at);

-- Erasures requested on this device, sent to the office with the next sync (local only:
-- no sync columns). Only table and id: the record's data is already gone.
CREATE TABLE erasure_requests (
    table_name   TEXT NOT NULL,
    row_id       TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;
