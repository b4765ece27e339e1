//! Which sessions the tokens this server issued still belong to. A token names its session (`sid`);
//! it is honoured only while that session exists, so signing out, or deleting the user, ends it.
//! A session seen alive is trusted for a moment without asking the database again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a session seen alive is believed to be: a sign-out on this replica ends it at once, on
/// another replica within this time.
const TRUSTED_FOR: Duration = Duration::from_secs(2);
/// More entries than this and the expired ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub(crate) struct LiveSessions(Mutex<HashMap<(String, String), Instant>>);

impl LiveSessions {
    /// Whether session `sid` of `user_id` was seen alive within [`TRUSTED_FOR`].
    pub(crate) fn recently_live(&self, sid: &str, user_id: &str) -> bool {
        let seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(&(sid.to_owned(), user_id.to_owned()))
            .is_some_and(|at| at.elapsed() < TRUSTED_FOR)
    }

    pub(crate) fn seen_live(&self, sid: &str, user_id: &str) {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > SWEEP_ABOVE {
            seen.retain(|_, at| at.elapsed() < TRUSTED_FOR);
        }
        seen.insert((sid.to_owned(), user_id.to_owned()), Instant::now());
    }

    /// Session `sid` ended here: its tokens stop now, not when the entry would have expired.
    pub(crate) fn ended(&self, sid: &str) {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|(s, _), _| s != sid);
    }
}
