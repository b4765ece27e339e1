-- Searches and filters that do not scan a long list.
--
-- Status filters: one index per sort order and status, so `status=` with any sort is an index range scan
-- like the unfiltered list (tasks_user_* in the init migration).
CREATE INDEX tasks_user_status_created ON tasks (user_id, completed, created_at, id);
CREATE INDEX tasks_user_status_updated ON tasks (user_id, completed, updated_at, id);
CREATE INDEX tasks_user_status_due ON tasks (user_id, completed, COALESCE(due_at, 9223372036854775807), id);
CREATE INDEX tasks_user_status_priority ON tasks (user_id, completed, priority, id);
CREATE INDEX tasks_user_status_title ON tasks (user_id, completed, title_key, id);

-- Substring search (`q`) and the tag filter: a trigram index of search_text and tags. It only narrows the
-- candidates; the list query still applies its LIKE tests, so results are those of a scan. Case-sensitive
-- because search_text is lower-cased by the application (tags are lower case too), as the query is.
-- External content: the index holds no copy of the text, and the triggers keep it in step with tasks.
CREATE VIRTUAL TABLE tasks_fts USING fts5 (
    search_text,
    tags,
    content = 'tasks',
    content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1'
);
-- Indexes the tasks already there.
INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');

CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, search_text, tags) VALUES (new.id, new.search_text, new.tags);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, search_text, tags)
    VALUES ('delete', old.id, old.search_text, old.tags);
END;
-- Every edit rewrites both columns; only a changed text is re-indexed.
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF search_text, tags ON tasks
WHEN old.search_text IS NOT new.search_text OR old.tags IS NOT new.tags BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, search_text, tags)
    VALUES ('delete', old.id, old.search_text, old.tags);
    INSERT INTO tasks_fts (rowid, search_text, tags) VALUES (new.id, new.search_text, new.tags);
END;
