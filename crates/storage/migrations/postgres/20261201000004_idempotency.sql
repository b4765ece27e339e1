-- The first answer to each `Idempotency-Key` a user sent, kept for a day so a retried request gets that
-- answer again instead of acting twice. `status` is NULL while the first request is still running.
CREATE TABLE idempotency_keys (
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER,
    response    TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
