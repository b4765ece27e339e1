//! Per-user settings, keyed by the token's subject like tasks.

use todo_domain::{Settings, SettingsPatch};

use crate::store::with_pool;
use crate::{StorageError, Store};

const COLUMNS: &str = "time_zone, notify_in_app, notify_push, notify_webhooks, default_reminder";

pub(crate) type SettingsRow = (String, bool, bool, bool, Option<String>);

fn settings_of(row: SettingsRow) -> Settings {
    let (time_zone, notify_in_app, notify_push, notify_webhooks, default_reminder) = row;
    Settings {
        time_zone,
        notify_in_app,
        notify_push,
        notify_webhooks,
        default_reminder,
    }
}

/// A user's settings inside a transaction (the defaults when they never chose any).
pub(crate) async fn settings_in<'e, DB, E>(exec: E, user_id: &str) -> Result<Settings, sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    SettingsRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let sql = format!("SELECT {COLUMNS} FROM user_settings WHERE user_id = $1");
    let row: Option<SettingsRow> = sqlx::query_as(&sql)
        .bind(user_id)
        .fetch_optional(exec)
        .await?;
    Ok(row.map_or_else(Settings::default, settings_of))
}

impl Store {
    pub async fn settings(&self, user_id: &str) -> Result<Settings, StorageError> {
        Ok(with_pool!(&self.pool, |p| settings_in(p, user_id).await?))
    }

    pub async fn update_settings(
        &self,
        user_id: &str,
        patch: SettingsPatch,
    ) -> Result<Settings, StorageError> {
        let sql = format!(
            "INSERT INTO user_settings (user_id, time_zone, notify_in_app, notify_push, notify_webhooks, default_reminder) \
             VALUES ($1, COALESCE($2, 'UTC'), COALESCE($3, TRUE), COALESCE($4, TRUE), COALESCE($5, TRUE), $7) \
             ON CONFLICT (user_id) DO UPDATE SET \
               time_zone = COALESCE($2, user_settings.time_zone), \
               notify_in_app = COALESCE($3, user_settings.notify_in_app), \
               notify_push = COALESCE($4, user_settings.notify_push), \
               notify_webhooks = COALESCE($5, user_settings.notify_webhooks), \
               default_reminder = CASE WHEN $6 THEN $7 ELSE user_settings.default_reminder END \
             RETURNING {COLUMNS}"
        );
        let _turn = self.write_turn().await;
        let row: SettingsRow = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(user_id)
            .bind(patch.time_zone.map(|tz| tz.name()))
            .bind(patch.notify_in_app)
            .bind(patch.notify_push)
            .bind(patch.notify_webhooks)
            .bind(patch.default_reminder.is_some())
            .bind(patch.default_reminder.flatten())
            .fetch_one(p)
            .await?);
        Ok(settings_of(row))
    }
}
