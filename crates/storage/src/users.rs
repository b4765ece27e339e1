use chrono::{DateTime, Utc};
use todo_domain::{Credentials, User};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.email_verified, u.image, u.created_at, u.updated_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    email_verified: bool,
    image: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            email_verified: r.email_verified,
            image: r.image,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    session_id: String,
    expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct UserWithSecret {
    #[sqlx(flatten)]
    user: UserRow,
    secret: Option<String>,
}

/// The user a session token belongs to, which session it is, and when that session ends.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Creates a user with an already-hashed password, and their Inbox; `Conflict` when the email is taken.
    pub async fn create_user(
        &self,
        id: &str,
        c: &Credentials,
        password_hash: &str,
    ) -> Result<User, StorageError> {
        let now = millis(Utc::now());
        let sql = "INSERT INTO users (id, email, name, password_hash, email_verified, image, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(sql)
                .bind(id)
                .bind(&c.email)
                .bind(&c.name)
                .bind(password_hash)
                .bind(false)
                .bind(c.image.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            crate::tree::inbox(&mut tx, id, from_millis(now)).await?;
            tx.commit().await?;
        });
        Ok(User {
            id: id.to_owned(),
            email: c.email.clone(),
            name: c.name.clone(),
            email_verified: false,
            image: c.image.clone(),
            created_at: from_millis(now),
            updated_at: from_millis(now),
        })
    }

    /// The user with this (normalised) email and their password hash.
    pub async fn user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, StorageError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash AS secret FROM users u WHERE u.email = $1"
        );
        let row: Option<UserWithSecret> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(email)
            .fetch_optional(p)
            .await?);
        Ok(row.map(|r| (r.user.into(), r.secret)))
    }

    pub async fn create_session(
        &self,
        id: &str,
        user_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        ip_address: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(), StorageError> {
        let sql = "INSERT INTO sessions (id, user_id, token_hash, expires_at, ip_address, user_agent, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            sqlx::query(sql)
                .bind(id)
                .bind(user_id)
                .bind(token_hash)
                .bind(millis(expires_at))
                .bind(ip_address)
                .bind(user_agent)
                .bind(millis(Utc::now()))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The user behind an unexpired session, looked up by the hash of its token.
    pub async fn session_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionUser>, StorageError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.id AS session_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        let row: Option<SessionRow> = with_pool!(&self.pool, |p| {
            sqlx::query_as(&sql)
                .bind(token_hash)
                .bind(millis(Utc::now()))
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|r| SessionUser {
            session_id: r.session_id,
            expires_at: from_millis(r.expires_at),
            user: r.user.into(),
        }))
    }

    /// Whether session `id` of `user_id` exists and has not expired (its user deleted takes it along).
    pub async fn session_is_live(&self, id: &str, user_id: &str) -> Result<bool, StorageError> {
        let sql =
            "SELECT COUNT(*) FROM sessions WHERE id = $1 AND user_id = $2 AND expires_at > $3";
        let n: i64 = with_pool!(&self.pool, |p| sqlx::query_scalar(sql)
            .bind(id)
            .bind(user_id)
            .bind(millis(Utc::now()))
            .fetch_one(p)
            .await?);
        Ok(n > 0)
    }

    /// Ends a session; returns its id if one existed.
    pub async fn delete_session(&self, token_hash: &str) -> Result<Option<String>, StorageError> {
        let sql = "DELETE FROM sessions WHERE token_hash = $1 RETURNING id";
        let _turn = self.write_turn().await;
        let id = with_pool!(&self.pool, |p| sqlx::query_scalar(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await?);
        Ok(id)
    }
}
