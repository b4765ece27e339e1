-- A webhook whose endpoint answered 410 Gone is disabled (nothing more is sent to it), not deleted,
-- so its owner still sees it and its delivery log.
ALTER TABLE webhooks ADD COLUMN disabled_at BIGINT;
