-- 推介册: reusable templates (推介模板), the history of generated brochures (what was given
-- to which investor), and the brochure-only texts of a project (English name/summary,
-- highlights, advantages/incentives). Every table carries the sync columns and is written
-- only through Store.insert/update/delete.

-- 推介模板: title, introduction text, cover image and language reused between brochures.
CREATE TABLE brochure_templates (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    intro       TEXT NOT NULL DEFAULT '',
    cover_image TEXT NOT NULL DEFAULT '',   -- image file path on the device that set it ('' = none)
    language    TEXT NOT NULL DEFAULT 'zh'  -- zh | zh-en
);
CREATE INDEX brochure_templates_name ON brochure_templates (deleted, name);

-- One row per generated PDF (推介册 or 单项目推介页).
CREATE TABLE brochures (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    generated_at  TEXT NOT NULL DEFAULT '',    -- local time 'YYYY-MM-DDTHH:MM:SS'
    kind          TEXT NOT NULL DEFAULT '推介册', -- 推介册 | 单项目推介页
    title         TEXT NOT NULL DEFAULT '',
    company_id    TEXT NOT NULL DEFAULT '',    -- companies.id of the investor ('' = not personalised)
    company_name  TEXT NOT NULL DEFAULT '',    -- name as printed on the cover (kept if the company changes)
    project_ids   TEXT NOT NULL DEFAULT '[]',  -- JSON array of projects.id, in brochure order
    project_codes TEXT NOT NULL DEFAULT '[]',  -- JSON array of project codes as printed
    language      TEXT NOT NULL DEFAULT 'zh',
    template_id   TEXT NOT NULL DEFAULT '',
    template_name TEXT NOT NULL DEFAULT '',
    file_path     TEXT NOT NULL DEFAULT '',
    pages         INTEGER NOT NULL DEFAULT 0,
    size_bytes    INTEGER NOT NULL DEFAULT 0,
    sha256        TEXT NOT NULL DEFAULT '',
    officer       TEXT NOT NULL DEFAULT '',    -- officer name on the contact page
    catalogue_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX brochures_generated ON brochures (deleted, generated_at);
CREATE INDEX brochures_company ON brochures (company_id, deleted);

-- Brochure texts of a project that the projects table does not carry (one live row per project).
CREATE TABLE project_promo (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    project_id  TEXT NOT NULL DEFAULT '',
    name_en     TEXT NOT NULL DEFAULT '',
    summary_en  TEXT NOT NULL DEFAULT '',
    highlights  TEXT NOT NULL DEFAULT '',
    advantages  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX project_promo_project ON project_promo (project_id, deleted);
