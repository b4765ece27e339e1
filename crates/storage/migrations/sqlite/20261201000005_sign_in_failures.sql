-- Failed sign-ins per account (the normalised email, whether or not such a user exists, so the table
-- does not reveal which accounts exist). Shared by every replica: an attacker spreading guesses over
-- replicas and addresses still meets the same growing delay.
CREATE TABLE sign_in_failures (
    account      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    -- Until when (epoch milliseconds) this account's sign-ins are refused before any password work.
    locked_until BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_updated ON sign_in_failures (updated_at);
