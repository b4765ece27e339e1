-- OAuth 2.1 clients, grants and codes, and every opaque bearer token (OAuth access and refresh tokens,
-- personal access tokens). Tokens are kept only as SHA-256 hashes: a leaked table cannot be replayed.
-- user_id is not a foreign key, as in tasks: tokens may belong to users of an external auth server.

-- Clients registered dynamically (RFC 7591); all public (no secret), identified by a random id.
CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    -- JSON array of the exact redirect URIs registered.
    redirect_uris TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX oauth_clients_created ON oauth_clients (created_at);

-- One user's consent to one client: every token issued under it is one family, ended together.
CREATE TABLE oauth_grants (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    -- The resource (RFC 8707) the grant's tokens are bound to.
    resource   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, created_at);

CREATE TABLE oauth_codes (
    code_hash      TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    -- The PKCE S256 challenge.
    code_challenge TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    -- Set on first redemption; a second one revokes the grant.
    used_at        BIGINT
);
CREATE INDEX oauth_codes_grant ON oauth_codes (grant_id);

CREATE TABLE api_tokens (
    -- Public id, to list and revoke a token without knowing it.
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    -- 'access', 'refresh' or 'personal'.
    kind         TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    -- The OAuth grant (family) an access or refresh token belongs to; none for personal tokens.
    grant_id     TEXT REFERENCES oauth_grants (id) ON DELETE CASCADE,
    name         TEXT,
    scopes       TEXT NOT NULL,
    resource     TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    -- A refresh token: when it was exchanged (rotated); presenting it again revokes its family.
    used_at      BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, kind, created_at);
CREATE INDEX api_tokens_grant ON api_tokens (grant_id);
