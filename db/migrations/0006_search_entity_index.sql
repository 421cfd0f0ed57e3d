-- Find one record's rows in a search index without scanning the index: an ordinary index
-- on the entity_id column (c0) of each FTS5 content table. Rows then get plain ascending
-- rowids, which lets FTS5 buffer a bulk insert instead of flushing a segment per row.
-- A new search_<kind> table needs the same index (see zsapp/search.py).
CREATE INDEX search_catalogue_entity ON search_catalogue_content (c0);
CREATE INDEX search_companies_entity ON search_companies_content (c0);
CREATE INDEX search_people_entity ON search_people_content (c0);
CREATE INDEX search_visits_entity ON search_visits_content (c0);
CREATE INDEX search_projects_entity ON search_projects_content (c0);
