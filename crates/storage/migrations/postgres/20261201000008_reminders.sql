-- Reminders, in-app notifications and the outbox the other channels (Web Push, webhooks) deliver from.
-- Times are milliseconds since the epoch, like every other column.

-- A task's reminders: at an absolute time, or `before_ms` before its due time (optionally on that day
-- at `at_local`, a local "HH:MM" in the user's time zone, for "1 day before at 9:00"). `fire_at` is
-- when it goes off, kept by the application whenever the task's due time or the rule changes.
CREATE TABLE reminders (
    id          BIGSERIAL PRIMARY KEY,
    task_id     BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    at          BIGINT,
    before_ms   BIGINT,
    at_local    TEXT,
    fire_at     BIGINT,
    -- pending, sent, cancelled (task completed) or skipped (found too late).
    status      TEXT NOT NULL DEFAULT 'pending',
    -- A scheduler holds a claimed reminder until then; after it, another may claim it.
    lease_until BIGINT,
    sent_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX reminders_task ON reminders (task_id);
-- The scheduler's one scan: pending reminders by time.
CREATE INDEX reminders_pending ON reminders (fire_at) WHERE status = 'pending';

-- What a user was told in the app. A reminder's occurrence is told once (`reminder_id`, `fire_at`).
CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    user_id     TEXT NOT NULL,
    task_id     BIGINT REFERENCES tasks (id) ON DELETE SET NULL,
    reminder_id BIGINT,
    fire_at     BIGINT,
    title       TEXT NOT NULL,
    due_at      BIGINT,
    late        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE UNIQUE INDEX notifications_occurrence ON notifications (reminder_id, fire_at);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Per-user webhook endpoints; `secret` signs deliveries (Standard Webhooks), so it is kept, not hashed.
CREATE TABLE webhooks (
    id         BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    url        TEXT NOT NULL,
    -- Space-separated event names.
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_user ON webhooks (user_id);

-- Browsers' Web Push subscriptions (RFC 8030 endpoint, RFC 8291 keys).
CREATE TABLE push_subscriptions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- The outbox: one row per message to one target, written in the transaction that caused it and sent
-- (with retries) by whichever process claims it. `message_id` is the idempotency key receivers see.
CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    user_id         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    target_id       BIGINT NOT NULL,
    event           TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    -- pending, delivered or failed (gave up).
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_target ON deliveries (channel, target_id, id);

-- Each attempt's outcome, for the delivery log.
CREATE TABLE delivery_attempts (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempted_at BIGINT NOT NULL,
    status_code  INTEGER,
    error        TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);

-- Channel switches and the default reminder (an ISO 8601 duration before the due time).
ALTER TABLE user_settings ADD COLUMN notify_in_app BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE user_settings ADD COLUMN notify_push BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE user_settings ADD COLUMN notify_webhooks BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE user_settings ADD COLUMN default_reminder TEXT;
