-- Times are Unix epoch milliseconds (BIGINT) on both databases so comparisons, cursors and sorting
-- behave identically on SQLite and PostgreSQL.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT 0,
    image          TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    ip_address TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- user_id is the token's subject and deliberately not a foreign key: tokens from an external
-- Better Auth server own tasks without a local user row.
CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT,
    completed   BOOLEAN NOT NULL DEFAULT 0,
    priority    SMALLINT NOT NULL DEFAULT 2,
    tags        TEXT NOT NULL DEFAULT '[]',
    due_at      BIGINT,
    recurrence  TEXT,
    -- First due date of the recurring series, so monthly tasks keep their day of the month.
    series_start BIGINT,
    -- Set once a completed recurring task has produced its next occurrence, so re-completing it
    -- after an undo does not produce another.
    spawned_next BOOLEAN NOT NULL DEFAULT 0,
    -- Lower-cased by the application (Unicode-aware, identical on both databases) for sorting by
    -- title and for search; compared byte-wise so both databases order titles alike.
    title_key   TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- One index per sort order, each led by user_id, so a page of a 100,000-task list is an index range scan.
CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id);
CREATE INDEX tasks_user_updated ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_due ON tasks (user_id, COALESCE(due_at, 9223372036854775807), id);
CREATE INDEX tasks_user_priority ON tasks (user_id, priority, id);
CREATE INDEX tasks_user_title ON tasks (user_id, title_key, id);

CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
