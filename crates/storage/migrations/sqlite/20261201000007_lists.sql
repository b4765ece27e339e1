-- Lists, subtasks, recurrence rules and per-user settings.
--
-- Every task belongs to one list; each user has an Inbox (`inbox` set), created here for every user and
-- task owner already known, and on demand for the rest (external issuers' users have no user row).
CREATE TABLE lists (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    -- Lower-cased by the application: names are unique per user ignoring case.
    name_key   TEXT NOT NULL,
    colour     TEXT NOT NULL DEFAULT 'grey',
    position   BIGINT NOT NULL DEFAULT 0,
    archived   BOOLEAN NOT NULL DEFAULT 0,
    inbox      BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX lists_user_name ON lists (user_id, name_key);
CREATE UNIQUE INDEX lists_user_inbox ON lists (user_id) WHERE inbox;
CREATE INDEX lists_user_position ON lists (user_id, position, id);

INSERT INTO lists (user_id, name, name_key, position, inbox, created_at, updated_at)
SELECT owner, 'Inbox', 'inbox', 0, 1, CAST(strftime('%s', 'now') AS BIGINT) * 1000, CAST(strftime('%s', 'now') AS BIGINT) * 1000
FROM (SELECT id AS owner FROM users UNION SELECT user_id FROM tasks) AS owners;

-- Kept by the application on every write (SQLite cannot add a NOT NULL column without a default).
ALTER TABLE tasks ADD COLUMN list_id BIGINT REFERENCES lists (id);
UPDATE tasks SET list_id = (SELECT l.id FROM lists l WHERE l.user_id = tasks.user_id AND l.inbox);

-- A subtask's parent, in the same list and of the same user; a tree is at most four levels deep.
ALTER TABLE tasks ADD COLUMN parent_id BIGINT REFERENCES tasks (id);
CREATE INDEX tasks_parent ON tasks (parent_id, completed);

-- A list's page is a range scan of one of these, as the user's whole list is of tasks_user_*.
CREATE INDEX tasks_list_created ON tasks (list_id, created_at, id);
CREATE INDEX tasks_list_updated ON tasks (list_id, updated_at, id);
CREATE INDEX tasks_list_due ON tasks (list_id, COALESCE(due_at, 9223372036854775807), id);
CREATE INDEX tasks_list_priority ON tasks (list_id, priority, id);
CREATE INDEX tasks_list_title ON tasks (list_id, title_key, id);
-- Each list's open and total counts.
CREATE INDEX tasks_list_status ON tasks (list_id, completed);

-- Recurrence is an RFC 5545 RRULE now; the three fixed rules become their equivalents.
UPDATE tasks SET recurrence = 'FREQ=' || upper(recurrence) WHERE recurrence IN ('daily', 'weekly', 'monthly');
-- Whether the next occurrence counts from the completion instead of the due date ("every!" in Todoist).
ALTER TABLE tasks ADD COLUMN repeat_from_completion BOOLEAN NOT NULL DEFAULT 0;
-- Which occurrence of its series a task is (1 for the first), so COUNT also ends series repeating from completion.
ALTER TABLE tasks ADD COLUMN occurrence INTEGER NOT NULL DEFAULT 1;

-- Per-user settings, keyed by the token's subject like tasks (no foreign key to users).
CREATE TABLE user_settings (
    user_id   TEXT PRIMARY KEY,
    time_zone TEXT NOT NULL DEFAULT 'UTC'
);
