//! Per-user settings, keyed by the token's subject like tasks.

use todo_domain::{Settings, SettingsPatch};

use crate::store::with_pool;
use crate::{StorageError, Store};

impl Store {
    pub async fn settings(&self, user_id: &str) -> Result<Settings, StorageError> {
        let row: Option<(String,)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT time_zone FROM user_settings WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(p)
        .await?);
        Ok(row.map_or_else(Settings::default, |(time_zone,)| Settings { time_zone }))
    }

    pub async fn update_settings(
        &self,
        user_id: &str,
        patch: SettingsPatch,
    ) -> Result<Settings, StorageError> {
        let sql = "INSERT INTO user_settings (user_id, time_zone) VALUES ($1, COALESCE($2, 'UTC')) \
                   ON CONFLICT (user_id) DO UPDATE SET time_zone = COALESCE($2, user_settings.time_zone) \
                   RETURNING time_zone";
        let _turn = self.write_turn().await;
        let (time_zone,): (String,) = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(user_id)
            .bind(patch.time_zone.map(|tz| tz.name()))
            .fetch_one(p)
            .await?);
        Ok(Settings { time_zone })
    }
}
