-- 出差 (trips), their planned meetings and trip reports (出差报告), and leads (线索) with
-- their response clocks (线索承诺). Every table carries the sync columns (id UUID, created_at,
-- updated_at HLC, updated_by device id, deleted tombstone) and is written only through
-- Store.insert/update/delete; they sync in the creator's unit space like visits.

CREATE TABLE trips (
    id           TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    title        TEXT NOT NULL DEFAULT '',
    destinations TEXT NOT NULL DEFAULT '[]',  -- JSON array of GB/T 2260 city codes (resources/regions/cities.json)
    start_date   TEXT NOT NULL DEFAULT '',    -- 'YYYY-MM-DD'
    end_date     TEXT NOT NULL DEFAULT '',
    companions   TEXT NOT NULL DEFAULT '',    -- 同行人员, '、'-separated
    purpose      TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX trips_live_start ON trips (deleted, start_date);

-- 拟拜访 (planned meetings) of a trip; visit_id is set once the meeting became a visit log.
CREATE TABLE trip_meetings (
    id           TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    trip_id      TEXT NOT NULL DEFAULT '',
    starts_at    TEXT NOT NULL DEFAULT '',    -- 'YYYY-MM-DDTHH:MM' local time
    duration_min INTEGER NOT NULL DEFAULT 60,
    city         TEXT NOT NULL DEFAULT '',    -- city code (one of the trip's destinations, or '')
    place        TEXT NOT NULL DEFAULT '',
    company_id   TEXT NOT NULL DEFAULT '',
    person_ids   TEXT NOT NULL DEFAULT '[]',  -- JSON array of people.id
    project_ids  TEXT NOT NULL DEFAULT '[]',  -- JSON array of projects.id (to pitch)
    agenda       TEXT NOT NULL DEFAULT '',
    visit_id     TEXT NOT NULL DEFAULT '',
    brochure_id  TEXT NOT NULL DEFAULT ''     -- brochures.id of the personalised brochure
);
CREATE INDEX trip_meetings_trip ON trip_meetings (trip_id, deleted, starts_at);
CREATE INDEX trip_meetings_company ON trip_meetings (company_id);

-- 出差报告: one live row per trip; each *_text section is assembled from the trip's visits
-- and stays as the officer edited it (``edited`` lists the sections edited by hand).
CREATE TABLE trip_reports (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    trip_id        TEXT NOT NULL DEFAULT '',
    generated_at   TEXT NOT NULL DEFAULT '',
    summary        TEXT NOT NULL DEFAULT '',
    met_text       TEXT NOT NULL DEFAULT '',
    outcomes_text  TEXT NOT NULL DEFAULT '',
    leads_text     TEXT NOT NULL DEFAULT '',
    followups_text TEXT NOT NULL DEFAULT '',
    projects_text  TEXT NOT NULL DEFAULT '',
    brochures_text TEXT NOT NULL DEFAULT '',
    next_steps     TEXT NOT NULL DEFAULT '',
    figures        TEXT NOT NULL DEFAULT '{}', -- JSON counts (visits, companies, people, leads …)
    edited         TEXT NOT NULL DEFAULT '[]'  -- JSON array of section names edited by hand
);
CREATE INDEX trip_reports_trip ON trip_reports (trip_id, deleted);

-- 线索: where it came from, and the response clocks it runs (lead_steps).
CREATE TABLE leads (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    title         TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL DEFAULT '',   -- 出差拜访/推介会/来电来访/来函/上级交办/商协会/网络/其他
    source_detail TEXT NOT NULL DEFAULT '',
    received_at   TEXT NOT NULL DEFAULT '',   -- 'YYYY-MM-DDTHH:MM' local time; the clocks start here
    company_id    TEXT NOT NULL DEFAULT '',
    trip_id       TEXT NOT NULL DEFAULT '',
    visit_id      TEXT NOT NULL DEFAULT '',
    project_id    TEXT NOT NULL DEFAULT '',
    prefecture    TEXT NOT NULL DEFAULT '',   -- 州市 responsible (GB/T 2260 code or '')
    owner_officer TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '跟进中', -- 跟进中/已办结/已放弃
    notes         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX leads_live ON leads (deleted, status, received_at);
CREATE INDEX leads_trip ON leads (trip_id);
CREATE INDEX leads_company ON leads (company_id);

-- One row per clock of a lead (答复/评估/反馈/报告 by default): due time fixed when the lead
-- was recorded, done when the step was completed.
CREATE TABLE lead_steps (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    lead_id    TEXT NOT NULL DEFAULT '',
    seq        INTEGER NOT NULL DEFAULT 0,
    step       TEXT NOT NULL DEFAULT '',     -- key, e.g. reply
    label      TEXT NOT NULL DEFAULT '',     -- e.g. 答复
    due_at     TEXT NOT NULL DEFAULT '',     -- 'YYYY-MM-DDTHH:MM'
    done_at    TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lead_steps_lead ON lead_steps (lead_id, seq);
CREATE INDEX lead_steps_open ON lead_steps (deleted, done_at, due_at);
