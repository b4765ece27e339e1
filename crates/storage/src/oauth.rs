//! OAuth clients, grants and codes, and the opaque bearer tokens (OAuth access and refresh tokens,
//! personal access tokens), looked up by the SHA-256 of the token. Scopes are kept as the
//! space-separated string OAuth uses; what they mean is the API's business.

use chrono::{DateTime, Utc};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

/// A registered (public) OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
}

/// A user's consent to a client: the family of every token issued under it.
#[derive(Debug, Clone)]
pub struct NewGrant<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a str,
    pub resource: &'a str,
}

/// A redeemed authorization code: what it was issued for.
#[derive(Debug, Clone)]
pub struct RedeemedCode {
    pub grant_id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub resource: String,
    pub redirect_uri: String,
    pub code_challenge: String,
}

/// What presenting an authorization code or a refresh token came to.
#[derive(Debug, Clone)]
pub enum Redemption<T> {
    Granted(T),
    /// Already used: the grant and every token of it are now revoked.
    Replayed,
    /// Unknown, expired, revoked or another client's.
    Invalid,
}

/// A token to store: its public id, the hash of its value, when it expires.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub hash: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a refresh token was for, once exchanged.
#[derive(Debug, Clone)]
pub struct RefreshedGrant {
    pub grant_id: String,
    pub user_id: String,
    pub scopes: String,
    pub resource: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
    Personal,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::Personal => "personal",
        }
    }

    fn parse(s: &str) -> Option<TokenKind> {
        [TokenKind::Access, TokenKind::Refresh, TokenKind::Personal]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A stored bearer token, as a request presenting it is judged.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub id: String,
    pub kind: TokenKind,
    pub user_id: String,
    pub scopes: String,
    pub resource: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The token, or its grant, was revoked.
    pub revoked: bool,
}

/// A personal access token as its owner sees it listed.
#[derive(Debug, Clone)]
pub struct PersonalToken {
    pub id: String,
    pub name: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An app the user let in, as listed on the Connected apps page.
#[derive(Debug, Clone)]
pub struct ConnectedApp {
    pub grant_id: String,
    pub client_name: String,
    pub scopes: String,
    pub resource: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: String,
    name: String,
    redirect_uris: String,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    grant_id: String,
    user_id: String,
    client_id: String,
    scopes: String,
    resource: String,
    redirect_uri: String,
    code_challenge: String,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    kind: String,
    user_id: String,
    grant_id: Option<String>,
    scopes: String,
    resource: Option<String>,
    expires_at: Option<i64>,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    grant_revoked_at: Option<i64>,
    client_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PersonalRow {
    id: String,
    name: Option<String>,
    scopes: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: String,
    name: String,
    scopes: String,
    resource: String,
    created_at: i64,
}

const TOKEN_SELECT: &str =
    "SELECT t.id, t.kind, t.user_id, t.grant_id, t.scopes, t.resource, t.expires_at, \
     t.used_at, t.revoked_at, g.revoked_at AS grant_revoked_at, g.client_id \
     FROM api_tokens t LEFT JOIN oauth_grants g ON g.id = t.grant_id WHERE t.token_hash = $1";

const REVOKE_GRANT: &str =
    "UPDATE oauth_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";

impl Store {
    /// Registers a client unless `max_clients` are registered already; `false` when full.
    pub async fn register_client(
        &self,
        client: &OAuthClient,
        max_clients: i64,
    ) -> Result<bool, StorageError> {
        let uris = serde_json::to_string(&client.redirect_uris).unwrap_or_default();
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        let inserted = with_pool!(&self.pool, |p| {
            // The count and the insert in one statement, so concurrent registrations cannot overshoot.
            sqlx::query(
                "INSERT INTO oauth_clients (id, name, redirect_uris, created_at) \
                 SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM oauth_clients) < $5",
            )
            .bind(&client.id)
            .bind(&client.name)
            .bind(&uris)
            .bind(now)
            .bind(max_clients)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    pub async fn oauth_client(&self, id: &str) -> Result<Option<OAuthClient>, StorageError> {
        let sql = "SELECT id, name, redirect_uris FROM oauth_clients WHERE id = $1";
        let row: Option<ClientRow> = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await?);
        Ok(row.map(|r| OAuthClient {
            id: r.id,
            name: r.name,
            redirect_uris: serde_json::from_str(&r.redirect_uris).unwrap_or_default(),
        }))
    }

    /// Records a consent and the authorization code that carries it to the client.
    pub async fn create_code(
        &self,
        grant: &NewGrant<'_>,
        code_hash: &str,
        redirect_uri: &str,
        code_challenge: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO oauth_grants (id, user_id, client_id, scopes, resource, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(grant.id)
            .bind(grant.user_id)
            .bind(grant.client_id)
            .bind(grant.scopes)
            .bind(grant.resource)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, code_challenge, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(code_hash)
            .bind(grant.id)
            .bind(redirect_uri)
            .bind(code_challenge)
            .bind(millis(expires_at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Uses up an authorization code. A code presented twice revokes its grant and every token
    /// issued from it (RFC 9700 §4.2.4: the first use may have been an attacker's).
    pub async fn redeem_code(
        &self,
        code_hash: &str,
    ) -> Result<Redemption<RedeemedCode>, StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        let outcome = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let row: Option<CodeRow> = sqlx::query_as(
                "SELECT c.grant_id, g.user_id, g.client_id, g.scopes, g.resource, c.redirect_uri, \
                 c.code_challenge, c.expires_at, c.used_at, g.revoked_at \
                 FROM oauth_codes c JOIN oauth_grants g ON g.id = c.grant_id WHERE c.code_hash = $1",
            )
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match row {
                None => Redemption::Invalid,
                Some(r) if r.used_at.is_some() => {
                    sqlx::query(REVOKE_GRANT)
                        .bind(&r.grant_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Redemption::Replayed
                }
                Some(r) if r.expires_at <= now || r.revoked_at.is_some() => Redemption::Invalid,
                Some(r) => {
                    let used = sqlx::query(
                        "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL",
                    )
                    .bind(code_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if used == 1 {
                        Redemption::Granted(RedeemedCode {
                            grant_id: r.grant_id,
                            user_id: r.user_id,
                            client_id: r.client_id,
                            scopes: r.scopes,
                            resource: r.resource,
                            redirect_uri: r.redirect_uri,
                            code_challenge: r.code_challenge,
                        })
                    } else {
                        Redemption::Invalid
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(outcome)
    }

    /// Stores an access token and a refresh token of `grant`.
    pub async fn issue_grant_tokens(
        &self,
        grant: &RefreshedGrant,
        access: &NewToken<'_>,
        refresh: &NewToken<'_>,
    ) -> Result<(), StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            for (kind, t) in [(TokenKind::Access, access), (TokenKind::Refresh, refresh)] {
                sqlx::query(
                    "INSERT INTO api_tokens (id, token_hash, kind, user_id, grant_id, scopes, resource, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(t.id)
                .bind(t.hash)
                .bind(kind.as_str())
                .bind(&grant.user_id)
                .bind(&grant.grant_id)
                .bind(&grant.scopes)
                .bind(&grant.resource)
                .bind(now)
                .bind(t.expires_at.map(millis))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Exchanges a refresh token of `client_id` (it can be used once: rotation). A rotated one
    /// presented again revokes the whole family.
    pub async fn use_refresh_token(
        &self,
        hash: &str,
        client_id: &str,
    ) -> Result<Redemption<RefreshedGrant>, StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        let outcome = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let row: Option<TokenRow> = sqlx::query_as(TOKEN_SELECT)
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?;
            let row = row.filter(|r| {
                r.kind == TokenKind::Refresh.as_str() && r.client_id.as_deref() == Some(client_id)
            });
            let outcome = match row {
                None => Redemption::Invalid,
                Some(r) if r.used_at.is_some() => {
                    sqlx::query(REVOKE_GRANT)
                        .bind(&r.grant_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Redemption::Replayed
                }
                Some(r)
                    if r.revoked_at.is_some()
                        || r.grant_revoked_at.is_some()
                        || r.expires_at.is_some_and(|e| e <= now) =>
                {
                    Redemption::Invalid
                }
                Some(r) => {
                    let used = sqlx::query(
                        "UPDATE api_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
                    )
                    .bind(&r.id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    match (used, r.grant_id, r.resource) {
                        (1, Some(grant_id), Some(resource)) => {
                            Redemption::Granted(RefreshedGrant {
                                grant_id,
                                user_id: r.user_id,
                                scopes: r.scopes,
                                resource,
                            })
                        }
                        _ => Redemption::Invalid,
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(outcome)
    }

    /// The token with this hash, whatever its state.
    pub async fn bearer_token(&self, hash: &str) -> Result<Option<StoredToken>, StorageError> {
        let row: Option<TokenRow> = with_pool!(&self.pool, |p| sqlx::query_as(TOKEN_SELECT)
            .bind(hash)
            .fetch_optional(p)
            .await?);
        Ok(row.and_then(|r| {
            Some(StoredToken {
                kind: TokenKind::parse(&r.kind)?,
                revoked: r.revoked_at.is_some() || r.grant_revoked_at.is_some(),
                id: r.id,
                user_id: r.user_id,
                scopes: r.scopes,
                resource: r.resource,
                expires_at: r.expires_at.map(from_millis),
            })
        }))
    }

    /// Records that a token was used, at most once a minute, so the list can show it without a
    /// write on every request.
    pub async fn touch_token(&self, id: &str) -> Result<(), StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at < $3)"
        )
        .bind(id)
        .bind(now)
        .bind(now - 60_000)
        .execute(p)
        .await?
        .rows_affected());
        Ok(())
    }

    /// RFC 7009 revocation by the token itself, for `client_id`: a refresh token ends its family,
    /// an access token itself. Unknown tokens and other clients' are ignored, as the RFC says.
    pub async fn revoke_client_token(
        &self,
        hash: &str,
        client_id: &str,
    ) -> Result<(), StorageError> {
        let Some(token) = self.bearer_token(hash).await? else {
            return Ok(());
        };
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let (sql, bind) = match token.kind {
                TokenKind::Refresh => (
                    "UPDATE oauth_grants SET revoked_at = $2 WHERE revoked_at IS NULL AND client_id = $3 \
                     AND id = (SELECT grant_id FROM api_tokens WHERE id = $1)",
                    &token.id,
                ),
                TokenKind::Access => (
                    "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL \
                     AND grant_id IN (SELECT id FROM oauth_grants WHERE client_id = $3)",
                    &token.id,
                ),
                TokenKind::Personal => return Ok(()),
            };
            sqlx::query(sql)
                .bind(bind)
                .bind(now)
                .bind(client_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn create_personal_token(
        &self,
        user_id: &str,
        name: &str,
        scopes: &str,
        token: &NewToken<'_>,
    ) -> Result<PersonalToken, StorageError> {
        let now = Utc::now();
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, kind, user_id, name, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(token.id)
        .bind(token.hash)
        .bind(TokenKind::Personal.as_str())
        .bind(user_id)
        .bind(name)
        .bind(scopes)
        .bind(millis(now))
        .bind(token.expires_at.map(millis))
        .execute(p)
        .await?
        .rows_affected()
        });
        Ok(PersonalToken {
            id: token.id.to_owned(),
            name: name.to_owned(),
            scopes: scopes.to_owned(),
            created_at: from_millis(millis(now)),
            expires_at: token.expires_at.map(|t| from_millis(millis(t))),
            last_used_at: None,
        })
    }

    /// The user's personal tokens not revoked, newest first (expired ones included, marked by date).
    pub async fn personal_tokens(&self, user_id: &str) -> Result<Vec<PersonalToken>, StorageError> {
        let sql = "SELECT id, name, scopes, created_at, expires_at, last_used_at FROM api_tokens \
                   WHERE user_id = $1 AND kind = 'personal' AND revoked_at IS NULL ORDER BY created_at DESC, id";
        let rows: Vec<PersonalRow> = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| PersonalToken {
                id: r.id,
                name: r.name.unwrap_or_default(),
                scopes: r.scopes,
                created_at: from_millis(r.created_at),
                expires_at: r.expires_at.map(from_millis),
                last_used_at: r.last_used_at.map(from_millis),
            })
            .collect())
    }

    /// Revokes one of the user's personal tokens; `false` when they have no such live token.
    pub async fn revoke_personal_token(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<bool, StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        let n = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 \
             AND kind = 'personal' AND revoked_at IS NULL"
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(p)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// The apps the user let in whose grants are still live (a code redeemed, not revoked), newest first.
    pub async fn connected_apps(&self, user_id: &str) -> Result<Vec<ConnectedApp>, StorageError> {
        let sql = "SELECT g.id, c.name, g.scopes, g.resource, g.created_at FROM oauth_grants g \
                   JOIN oauth_clients c ON c.id = g.client_id \
                   WHERE g.user_id = $1 AND g.revoked_at IS NULL \
                   AND EXISTS (SELECT 1 FROM api_tokens t WHERE t.grant_id = g.id) \
                   ORDER BY g.created_at DESC, g.id";
        let rows: Vec<AppRow> = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| ConnectedApp {
                grant_id: r.id,
                client_name: r.name,
                scopes: r.scopes,
                resource: r.resource,
                created_at: from_millis(r.created_at),
            })
            .collect())
    }

    /// Revokes one of the user's grants with every token of it; `false` when there is no such live grant.
    pub async fn revoke_grant(&self, user_id: &str, id: &str) -> Result<bool, StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        let n = with_pool!(&self.pool, |p| {
            sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(p)
        .await?
        .rows_affected()
        });
        Ok(n == 1)
    }
}
