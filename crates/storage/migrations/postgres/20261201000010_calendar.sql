-- Calendar feed links (`GET /calendar/{token}.ics`): at most one per user, keyed by the token's subject
-- like tasks. The link is its own credential, so only its SHA-256 is kept; a new one replaces the old.
CREATE TABLE calendar_tokens (
    user_id    TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
