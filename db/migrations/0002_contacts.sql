-- 客商与拜访: investor companies, people, visit logs, follow-ups and attachments.
-- Every user-data table carries the sync columns (id UUID, created_at, updated_at HLC,
-- updated_by device id, deleted tombstone) and is written only through Store.insert/update/delete.
-- Text columns default to '' so partial patches from sync never meet NULL-vs-'' ambiguity.

CREATE TABLE companies (
    id                   TEXT PRIMARY KEY,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL,
    deleted              INTEGER NOT NULL DEFAULT 0,
    name                 TEXT NOT NULL DEFAULT '',
    short_name           TEXT NOT NULL DEFAULT '',
    uscc                 TEXT NOT NULL DEFAULT '',   -- 统一社会信用代码 (GB 32100-2015), '' if unknown
    registered_location  TEXT NOT NULL DEFAULT '',
    origin_province      TEXT NOT NULL DEFAULT '',
    origin_city          TEXT NOT NULL DEFAULT '',
    region_tag           TEXT NOT NULL DEFAULT '',   -- 京津冀/长三角/粤港澳大湾区/成渝/境外/''
    country              TEXT NOT NULL DEFAULT '',
    ownership            TEXT NOT NULL DEFAULT '',   -- 央企/国企/民营/外资/港澳台/''
    is_fortune500        INTEGER NOT NULL DEFAULT 0,
    is_china500          INTEGER NOT NULL DEFAULT 0,
    is_specialized_giant INTEGER NOT NULL DEFAULT 0, -- 专精特新"小巨人"
    is_single_champion   INTEGER NOT NULL DEFAULT 0, -- 制造业单项冠军
    is_listed            INTEGER NOT NULL DEFAULT 0,
    listing_board        TEXT NOT NULL DEFAULT '',
    listing_code         TEXT NOT NULL DEFAULT '',
    revenue_wan          INTEGER,                    -- 营收, 万元 (integer)
    employees            INTEGER,
    website              TEXT NOT NULL DEFAULT '',
    notes                TEXT NOT NULL DEFAULT '',
    tags                 TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    is_dishonest         INTEGER NOT NULL DEFAULT 0, -- 列入全国失信惩戒措施基础清单
    dishonest_date       TEXT NOT NULL DEFAULT '',
    dishonest_source     TEXT NOT NULL DEFAULT '',
    merged_into          TEXT                        -- survivor's id after a merge
);
CREATE INDEX companies_uscc ON companies (uscc) WHERE uscc <> '' AND deleted = 0;
CREATE INDEX companies_live_name ON companies (deleted, name);
CREATE INDEX companies_live_updated ON companies (deleted, updated_at);
CREATE INDEX companies_region ON companies (region_tag, origin_province);

CREATE TABLE company_items (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    company_id TEXT NOT NULL DEFAULT '',
    item_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX company_items_company ON company_items (company_id, item_id);
CREATE INDEX company_items_item ON company_items (item_id, company_id);

CREATE TABLE people (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL DEFAULT '',
    company_id  TEXT,
    title       TEXT NOT NULL DEFAULT '',
    mobile      TEXT NOT NULL DEFAULT '',   -- E.164
    landline    TEXT NOT NULL DEFAULT '',   -- E.164
    email       TEXT NOT NULL DEFAULT '',
    wechat      TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]',
    merged_into TEXT
);
CREATE INDEX people_company ON people (company_id, deleted);
CREATE INDEX people_mobile ON people (mobile) WHERE mobile <> '';
CREATE INDEX people_live_name ON people (deleted, name);

CREATE TABLE person_employment (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    person_id  TEXT NOT NULL DEFAULT '',
    company_id TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL DEFAULT '',
    end_date   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX person_employment_person ON person_employment (person_id);
CREATE INDEX person_employment_company ON person_employment (company_id);

CREATE TABLE visits (
    id               TEXT PRIMARY KEY,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    deleted          INTEGER NOT NULL DEFAULT 0,
    visited_at       TEXT NOT NULL DEFAULT '',   -- 'YYYY-MM-DDTHH:MM' local time
    city             TEXT NOT NULL DEFAULT '',
    place            TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL DEFAULT '外出拜访', -- 外出拜访/来访接待/推介会/签约仪式/线上洽谈/电话
    our_participants TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',
    outcome          TEXT NOT NULL DEFAULT '无'   -- 无/初步接触/有意向/意向较强/已签约
);
CREATE INDEX visits_live_time ON visits (deleted, visited_at);

CREATE TABLE visit_people (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    visit_id   TEXT NOT NULL DEFAULT '',
    person_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visit_people_visit ON visit_people (visit_id);
CREATE INDEX visit_people_person ON visit_people (person_id);

CREATE TABLE visit_companies (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    visit_id   TEXT NOT NULL DEFAULT '',
    company_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visit_companies_visit ON visit_companies (visit_id);
CREATE INDEX visit_companies_company ON visit_companies (company_id);

CREATE TABLE visit_items (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    visit_id   TEXT NOT NULL DEFAULT '',
    item_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visit_items_visit ON visit_items (visit_id);
CREATE INDEX visit_items_item ON visit_items (item_id);

-- project_id refers to projects (migration 0003); no FK constraint on purpose.
CREATE TABLE visit_projects (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    visit_id   TEXT NOT NULL DEFAULT '',
    project_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visit_projects_visit ON visit_projects (visit_id);
CREATE INDEX visit_projects_project ON visit_projects (project_id);

CREATE TABLE followups (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    visit_id   TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    due_date   TEXT NOT NULL DEFAULT '',   -- 'YYYY-MM-DD'
    done       INTEGER NOT NULL DEFAULT 0,
    done_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX followups_open ON followups (deleted, done, due_date);
CREATE INDEX followups_visit ON followups (visit_id);

-- Files attached to a company or a visit; the blob lives in
-- data_dir()/attachments/<sha256[:2]>/<sha256> (content-addressed, shared between owners).
CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    owner_table TEXT NOT NULL DEFAULT '',
    owner_id    TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL DEFAULT '',
    filename    TEXT NOT NULL DEFAULT '',
    mime        TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachments_owner ON attachments (owner_table, owner_id);

-- Local, NOT synced: autosaved drafts of unsaved forms (e.g. the visit quick entry),
-- offered back on next start. Written directly (not via store.insert) on purpose.
CREATE TABLE drafts (
    key        TEXT PRIMARY KEY,      -- e.g. 'visit'
    payload    TEXT NOT NULL,         -- JSON of the form fields
    saved_at   TEXT NOT NULL
);

-- Search indexes (same columns as search_catalogue; see zsapp/search.py).
CREATE VIRTUAL TABLE search_companies USING fts5 (
    entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED, display UNINDEXED, norm UNINDEXED,
    keys UNINDEXED,
    grams, py, ini,
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE search_people USING fts5 (
    entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED, display UNINDEXED, norm UNINDEXED,
    keys UNINDEXED,
    grams, py, ini,
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE search_visits USING fts5 (
    entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED, display UNINDEXED, norm UNINDEXED,
    keys UNINDEXED,
    grams, py, ini,
    tokenize = 'unicode61 remove_diacritics 0'
);
