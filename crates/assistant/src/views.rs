//! The user's tasks as a person plans with them: due today and overdue (in the user's time zone),
//! a list's tasks, one task, and the week in review. MCP serves them as resources and prompts.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use todo_domain::{ListQuery, RawListQuery, Task, MAX_LIMIT};
use todo_storage::Store;

use crate::tools::ToolError;

/// The user's calendar day, and where it starts and ends.
#[derive(Debug, Clone, Copy)]
pub struct Day {
    pub date: NaiveDate,
    pub tz: Tz,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Day {
    /// The day `now` falls on in `tz`.
    pub fn containing(now: DateTime<Utc>, tz: Tz) -> Day {
        let date = now.with_timezone(&tz).date_naive();
        Day {
            date,
            tz,
            start: midnight(date, tz),
            end: midnight(date + Days::new(1), tz),
        }
    }
}

/// The first instant of `date` in `tz` (a day starting in a DST gap starts when the gap ends).
fn midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..24 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.with_timezone(&Utc);
        }
        t += chrono::Duration::hours(1);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// Today in the user's time zone (their settings; UTC until they choose one).
pub async fn today(store: &Store, user_id: &str) -> Result<Day, ToolError> {
    let settings = store.settings(user_id).await.map_err(unavailable)?;
    Ok(Day::containing(Utc::now(), settings.zone()))
}

/// Up to [`MAX_LIMIT`] of the user's tasks (subtasks included) that `raw` selects.
async fn query(store: &Store, user_id: &str, raw: RawListQuery) -> Result<Vec<Task>, ToolError> {
    let raw = RawListQuery {
        include: Some("subtasks".to_owned()),
        limit: Some(MAX_LIMIT.to_string()),
        ..raw
    };
    let q = ListQuery::parse(&raw).map_err(|e| ToolError::Invalid(e.to_string()))?;
    Ok(store
        .list_tasks(user_id, &q)
        .await
        .map_err(unavailable)?
        .tasks)
}

/// Open tasks due before `end`, soonest first.
async fn open_due_before(
    store: &Store,
    user_id: &str,
    end: DateTime<Utc>,
) -> Result<Vec<Task>, ToolError> {
    let raw = RawListQuery {
        status: Some("pending".into()),
        due_before: Some(end.to_rfc3339()),
        sort: Some("due".into()),
        order: Some("asc".into()),
        ..Default::default()
    };
    query(store, user_id, raw).await
}

/// Open tasks due on `day`.
pub async fn due_on(store: &Store, user_id: &str, day: &Day) -> Result<Vec<Task>, ToolError> {
    let mut tasks = open_due_before(store, user_id, day.end).await?;
    tasks.retain(|t| t.due_at.is_some_and(|d| d >= day.start));
    Ok(tasks)
}

/// Open tasks that were due before `day`.
pub async fn overdue(store: &Store, user_id: &str, day: &Day) -> Result<Vec<Task>, ToolError> {
    open_due_before(store, user_id, day.start).await
}

/// The tasks of list `list_id`, or `None` when the user has no such list.
pub async fn in_list(
    store: &Store,
    user_id: &str,
    list_id: i64,
) -> Result<Option<Vec<Task>>, ToolError> {
    if store
        .get_list(user_id, list_id)
        .await
        .map_err(unavailable)?
        .is_none()
    {
        return Ok(None);
    }
    let raw = RawListQuery {
        list: Some(list_id.to_string()),
        ..Default::default()
    };
    query(store, user_id, raw).await.map(Some)
}

pub async fn task(store: &Store, user_id: &str, id: i64) -> Result<Option<Task>, ToolError> {
    store.get_task(user_id, id).await.map_err(unavailable)
}

/// The week in review: done since Monday, what slipped (open and due before today) and what is due
/// in the next seven days.
pub struct Week {
    pub monday: NaiveDate,
    pub done: Vec<Task>,
    pub slipped: Vec<Task>,
    pub next: Vec<Task>,
}

pub async fn week(store: &Store, user_id: &str, day: &Day) -> Result<Week, ToolError> {
    let monday = day.date - Days::new(u64::from(day.date.weekday().num_days_from_monday()));
    let since = midnight(monday, day.tz);
    let raw = RawListQuery {
        status: Some("completed".into()),
        sort: Some("updated".into()),
        ..Default::default()
    };
    let mut done = query(store, user_id, raw).await?;
    // A completed task's last change is its completion, unless edited after.
    done.retain(|t| t.updated_at >= since);
    let week_end = midnight(day.date + Days::new(7), day.tz);
    let mut next = open_due_before(store, user_id, week_end).await?;
    next.retain(|t| t.due_at.is_some_and(|d| d >= day.start));
    Ok(Week {
        monday,
        done,
        slipped: overdue(store, user_id, day).await?,
        next,
    })
}

fn unavailable(e: todo_storage::StorageError) -> ToolError {
    tracing::error!(error = %e, "reading tasks for a view failed");
    ToolError::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_the_users_local_day() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 02:00 UTC on 2 March is still 1 March in New York (UTC-5).
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
        let day = Day::containing(now, tz);
        assert_eq!(day.date, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(
            day.start,
            Utc.with_ymd_and_hms(2026, 3, 1, 5, 0, 0).unwrap()
        );
        assert_eq!(day.end, Utc.with_ymd_and_hms(2026, 3, 2, 5, 0, 0).unwrap());
        // The day clocks go forward has 23 hours.
        let dst = Day::containing(Utc.with_ymd_and_hms(2026, 3, 8, 12, 0, 0).unwrap(), tz);
        assert_eq!((dst.end - dst.start).num_hours(), 23);
    }
}
