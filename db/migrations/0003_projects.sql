-- 招商项目: projects drawn from the catalogue, their stage history, 到位资金, transfers (流转),
-- admission pre-check overrides and thresholds, and the editable list of parks.
-- Every user-data table carries the sync columns (id UUID, created_at, updated_at HLC,
-- updated_by device id, deleted tombstone) and is written only through Store.insert/update/delete.
-- Money is integer 万元; land and per-亩 figures are decimal strings (never floats).

-- 园区: editable list, seeded from resources/regions/yunnan.json (seed_id = 'P01'…).
CREATE TABLE parks (
    id                 TEXT PRIMARY KEY,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL,
    deleted            INTEGER NOT NULL DEFAULT 0,
    name               TEXT NOT NULL DEFAULT '',
    prefecture_code    TEXT NOT NULL DEFAULT '',
    county_code        TEXT NOT NULL DEFAULT '',
    leading_industries TEXT NOT NULL DEFAULT '[]',  -- JSON array of catalogue industry ids
    seed_id            TEXT NOT NULL DEFAULT '',
    notes              TEXT NOT NULL DEFAULT ''
);
CREATE INDEX parks_prefecture ON parks (prefecture_code, deleted);

CREATE TABLE projects (
    id                   TEXT PRIMARY KEY,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL,
    deleted              INTEGER NOT NULL DEFAULT 0,
    code                 TEXT NOT NULL DEFAULT '',     -- e.g. KM-2026-0012 (not UNIQUE: see zsapp/projects/codes.py)
    former_codes         TEXT NOT NULL DEFAULT '[]',   -- codes replaced after a cross-device collision
    name                 TEXT NOT NULL DEFAULT '',
    summary              TEXT NOT NULL DEFAULT '',
    construction_content TEXT NOT NULL DEFAULT '',
    prefecture_code      TEXT NOT NULL DEFAULT '',     -- GB/T 2260 州市
    county_code          TEXT NOT NULL DEFAULT '',     -- GB/T 2260 县级
    park_id              TEXT NOT NULL DEFAULT '',     -- parks.id or ''
    total_investment_wan INTEGER,                      -- 总投资, 万元 (1 亿元 = 10000 万元)
    land_mu              TEXT NOT NULL DEFAULT '',     -- 用地, 亩 (decimal string)
    tax_per_mu_wan       TEXT NOT NULL DEFAULT '',     -- 预期亩均税收, 万元/亩 (decimal string)
    expected_jobs        INTEGER,
    category             TEXT NOT NULL DEFAULT '产业类', -- 产业类/房地产/基础设施/金融类
    directions           TEXT NOT NULL DEFAULT '[]',   -- 重点招商方向 ids (D1…D6)
    ways                 TEXT NOT NULL DEFAULT '[]',   -- 招商方式 ids (W1…W4)
    source_id            TEXT NOT NULL DEFAULT '',     -- 项目来源 / 生成机制 (S1…S6)
    owner_officer        TEXT NOT NULL DEFAULT '',
    leader               TEXT NOT NULL DEFAULT '',     -- 挂钩领导
    is_provincial_major  INTEGER NOT NULL DEFAULT 0,   -- 省级重大项目库
    answers              TEXT NOT NULL DEFAULT '{}',   -- 预审问答 {rule id: '是'/'否'}
    tags                 TEXT NOT NULL DEFAULT '[]',
    notes                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX projects_code ON projects (code);
CREATE INDEX projects_live ON projects (deleted, prefecture_code, park_id);
CREATE INDEX projects_investment ON projects (deleted, total_investment_wan);
CREATE INDEX projects_owner ON projects (owner_officer, deleted);

CREATE TABLE project_items (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    project_id TEXT NOT NULL DEFAULT '',
    item_id    TEXT NOT NULL DEFAULT ''       -- catalogue item id, e.g. I02-04
);
CREATE INDEX project_items_project ON project_items (project_id, item_id);
CREATE INDEX project_items_item ON project_items (item_id, project_id);

CREATE TABLE project_investors (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    project_id TEXT NOT NULL DEFAULT '',
    company_id TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL DEFAULT '意向'    -- 意向/签约主体
);
CREATE INDEX project_investors_project ON project_investors (project_id);
CREATE INDEX project_investors_company ON project_investors (company_id);

-- Stage history; the current stage is the latest row (changed_on, then created_at).
CREATE TABLE project_stages (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    project_id TEXT NOT NULL DEFAULT '',
    stage      TEXT NOT NULL DEFAULT '线索',   -- 线索/在谈/签约/开工/投产/停滞/终止
    changed_on TEXT NOT NULL DEFAULT '',       -- 'YYYY-MM-DD'
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX project_stages_project ON project_stages (project_id, deleted, changed_on, created_at);

CREATE VIEW project_current_stage AS
SELECT p.id AS project_id,
       (SELECT s.stage FROM project_stages s
         WHERE s.project_id = p.id AND s.deleted = 0
         ORDER BY s.changed_on DESC, s.created_at DESC LIMIT 1) AS stage,
       (SELECT s.changed_on FROM project_stages s
         WHERE s.project_id = p.id AND s.deleted = 0
         ORDER BY s.changed_on DESC, s.created_at DESC LIMIT 1) AS changed_on
FROM projects p;

-- 到位资金: one row per recorded arrival, amounts in integer 万元.
CREATE TABLE project_funds (
    id               TEXT PRIMARY KEY,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    deleted          INTEGER NOT NULL DEFAULT 0,
    project_id       TEXT NOT NULL DEFAULT '',
    month            TEXT NOT NULL DEFAULT '',  -- 'YYYY-MM'
    amount_wan       INTEGER NOT NULL DEFAULT 0,
    outside_province INTEGER NOT NULL DEFAULT 1, -- 省外 1 / 省内 0
    industrial       INTEGER NOT NULL DEFAULT 1, -- 产业类 (不含房地产、基础设施、金融类)
    note             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX project_funds_project ON project_funds (project_id, deleted, month);
CREATE INDEX project_funds_month ON project_funds (deleted, month, project_id, amount_wan, outside_province, industrial);

-- 流转: a move to another 州市/县/园区, with the reason; the project keeps its history.
CREATE TABLE project_transfers (
    id                   TEXT PRIMARY KEY,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL,
    deleted              INTEGER NOT NULL DEFAULT 0,
    project_id           TEXT NOT NULL DEFAULT '',
    transferred_on       TEXT NOT NULL DEFAULT '',
    from_prefecture_code TEXT NOT NULL DEFAULT '',
    from_county_code     TEXT NOT NULL DEFAULT '',
    from_park_id         TEXT NOT NULL DEFAULT '',
    to_prefecture_code   TEXT NOT NULL DEFAULT '',
    to_county_code       TEXT NOT NULL DEFAULT '',
    to_park_id           TEXT NOT NULL DEFAULT '',
    reason               TEXT NOT NULL DEFAULT '',
    decided_by           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX project_transfers_project ON project_transfers (project_id, transferred_on);

-- A recorded decision to proceed despite a rule's 不通过 / 需人工确认 (e.g. 集体决策).
CREATE TABLE admission_overrides (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    project_id TEXT NOT NULL DEFAULT '',
    rule_id    TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '',
    decided_on TEXT NOT NULL DEFAULT ''
);
CREATE INDEX admission_overrides_project ON admission_overrides (project_id, rule_id);

-- 投资强度 / 亩均税收 thresholds per scope (州市, 园区, industry; '' = any). Edited in 设置,
-- later published by the office through sync. No row for a scope → 需人工确认.
CREATE TABLE admission_thresholds (
    id                 TEXT PRIMARY KEY,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL,
    deleted            INTEGER NOT NULL DEFAULT 0,
    prefecture_code    TEXT NOT NULL DEFAULT '',
    park_id            TEXT NOT NULL DEFAULT '',
    industry_id        TEXT NOT NULL DEFAULT '',
    min_intensity_wan  TEXT NOT NULL DEFAULT '',  -- 投资强度下限, 万元/亩 ('' = unknown)
    min_tax_wan        TEXT NOT NULL DEFAULT '',  -- 亩均税收下限, 万元/亩 ('' = unknown)
    source             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX admission_thresholds_scope ON admission_thresholds (deleted, prefecture_code, park_id, industry_id);

-- Local, NOT synced: a derived index kept up to date by change hooks, like search_*;
-- it has rows for live projects only:
-- the current stage as derived from project_stages (cached so lists and the dashboard
-- need no per-row subquery; never written by the user), last activity for 疑似停滞, and
-- the admission summary for filtering. Rebuildable at any time from the synced tables.
CREATE TABLE project_status (
    project_id       TEXT PRIMARY KEY,
    owner_officer    TEXT NOT NULL DEFAULT '',   -- copy of projects.owner_officer (for "my" aggregates)
    stage            TEXT NOT NULL DEFAULT '',
    stage_on         TEXT NOT NULL DEFAULT '',
    last_activity_on TEXT NOT NULL DEFAULT '',
    admission        TEXT NOT NULL DEFAULT '',   -- 通过/不通过/需人工确认 (after overrides)
    blocking         INTEGER NOT NULL DEFAULT 0  -- 1 if an un-overridden 不通过 exists
) WITHOUT ROWID;
CREATE INDEX project_status_owner ON project_status (owner_officer, stage, last_activity_on);
CREATE INDEX project_status_activity ON project_status (last_activity_on);
CREATE INDEX project_status_admission ON project_status (admission);

CREATE VIRTUAL TABLE search_projects USING fts5 (
    entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED, display UNINDEXED, norm UNINDEXED,
    keys UNINDEXED,
    grams, py, ini,
    tokenize = 'unicode61 remove_diacritics 0'
);
