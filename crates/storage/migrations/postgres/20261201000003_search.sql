-- Searches and filters that do not scan a long list.
--
-- Status filters: one index per sort order and status, so `status=` with any sort is an index range scan
-- like the unfiltered list (tasks_user_* in the init migration).
CREATE INDEX tasks_user_status_created ON tasks (user_id, completed, created_at, id);
CREATE INDEX tasks_user_status_updated ON tasks (user_id, completed, updated_at, id);
CREATE INDEX tasks_user_status_due ON tasks (user_id, completed, COALESCE(due_at, 9223372036854775807), id);
CREATE INDEX tasks_user_status_priority ON tasks (user_id, completed, priority, id);
CREATE INDEX tasks_user_status_title ON tasks (user_id, completed, title_key, id);

-- Substring search (`q`, a LIKE on search_text) and the tag filter (a LIKE on tags): trigram indexes the
-- planner uses for those LIKEs when its statistics say few tasks match, rechecking each candidate, so
-- results are those of a scan. pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may
-- create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tasks_search_trgm ON tasks USING gin (search_text gin_trgm_ops);
CREATE INDEX tasks_tags_trgm ON tasks USING gin (tags gin_trgm_ops);
