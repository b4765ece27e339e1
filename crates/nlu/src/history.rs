//! What the conversation talked about, read back from its history. The chat is stateless between
//! requests (any replica may answer the next message), so the tasks the assistant listed, the one it
//! just named and a question it asked are recovered from the fixed wording of its own answers; what
//! words cannot carry is in [`crate::memory`].

use todo_domain::{PastMessage, Role};

/// Ends a delete confirmation: "Delete 'Team meeting' (task 7)? Say yes to confirm."
pub const CONFIRM_DELETE: &str = "Say yes to confirm.";
/// Ends a disambiguation question, after one "- #id title" line per candidate.
pub const WHICH_ONE: &str = "Which one do you mean?";

/// Starts the question of when to remind: "When should I remind you about 'Report' (task 3)?".
pub const REMIND_WHEN: &str = "When should I remind you about";

/// What the last answer asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Delete these tasks on "yes".
    Delete(Vec<i64>),
    /// Apply `request` (the user's ambiguous message) to whichever of `ids` the user picks.
    Choose {
        request: String,
        ids: Vec<i64>,
    },
    /// Set a reminder on this task at the time the user says.
    RemindWhen(i64),
    Nothing,
}

fn last_assistant(history: &[PastMessage]) -> Option<(usize, &PastMessage)> {
    history
        .iter()
        .enumerate()
        .rev()
        .find(|(_, t)| t.role == Role::Assistant)
}

/// The question the last answer asked, if it was one of ours and nothing was said since.
pub fn pending(history: &[PastMessage]) -> Pending {
    let Some((i, last)) = last_assistant(history) else {
        return Pending::Nothing;
    };
    // A user message after our question (one we did not answer) means the question is stale.
    if history[i + 1..].iter().any(|t| t.role == Role::User) {
        return Pending::Nothing;
    }
    let text = last.content.trim_end();
    if text.ends_with(CONFIRM_DELETE) {
        return Pending::Delete(task_ids(text));
    }
    if let Some(asked) = text.find(REMIND_WHEN) {
        if let Some(id) = task_ids(&text[asked..]).first() {
            return Pending::RemindWhen(*id);
        }
    }
    if text.contains(WHICH_ONE) {
        // The request is the user message before the first of a run of our questions: after a
        // choice that was not one of the options we asked again, and the request stays the same.
        let mut request = None;
        let mut end = i;
        while let Some(u) = history[..end].iter().rposition(|t| t.role == Role::User) {
            request = Some(history[u].content.clone());
            let asked_before = history[..u]
                .iter()
                .rposition(|t| t.role == Role::Assistant)
                .filter(|&a| history[a].content.contains(WHICH_ONE));
            match asked_before {
                Some(a) => end = a,
                None => break,
            }
        }
        if let Some(request) = request {
            return Pending::Choose {
                request,
                ids: task_ids(text),
            };
        }
    }
    Pending::Nothing
}

/// The task ids the last answer named, in order: what "it" and "the second one" point at.
pub fn mentioned(history: &[PastMessage]) -> Vec<i64> {
    last_assistant(history).map_or_else(Vec::new, |(_, t)| task_ids(&t.content))
}

/// The tasks of the last list an answer showed ("- #3 …" lines), in order, however many turns
/// ago (within the history window): what "the first one" and "the last one" count in. Without a
/// list, the tasks the last answer named.
pub fn listed(history: &[PastMessage]) -> Vec<i64> {
    history
        .iter()
        .rev()
        .filter(|t| t.role == Role::Assistant)
        .find(|t| t.content.lines().any(|l| l.trim_start().starts_with("- #")))
        .map_or_else(|| mentioned(history), |t| task_ids(&t.content))
}

/// Task ids in our own wording: "(task 7)", "(tasks 4, 5 and 6)" and list lines "- #12 …".
pub fn task_ids(text: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut push = |id: i64| {
        if !ids.contains(&id) {
            ids.push(id);
        }
    };
    for line in text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("- #") {
            if let Some(id) = leading_number(rest) {
                push(id);
            }
            continue;
        }
        let mut rest = line;
        while let Some(p) = rest.find("(task") {
            rest = &rest[p + 5..];
            let inside = rest.trim_start_matches('s');
            let end = inside.find(')').unwrap_or(inside.len());
            for part in inside[..end].split([',', ' ']) {
                if let Ok(id) = part.trim().parse::<i64>() {
                    push(id);
                }
            }
        }
    }
    ids
}

fn leading_number(s: &str) -> Option<i64> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: Role, content: &str) -> PastMessage {
        PastMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn reads_our_questions_back() {
        let h = vec![
            turn(Role::User, "delete the meeting task"),
            turn(
                Role::Assistant,
                "Delete 'Team meeting' (task 7)? Say yes to confirm.",
            ),
        ];
        assert_eq!(pending(&h), Pending::Delete(vec![7]));
        let h = vec![
            turn(Role::User, "complete milk"),
            turn(
                Role::Assistant,
                "I found 2 tasks matching “milk”:\n- #3 Buy milk\n- #5 Buy oat milk\nWhich one do you mean? Reply with its number.",
            ),
        ];
        assert_eq!(
            pending(&h),
            Pending::Choose {
                request: "complete milk".into(),
                ids: vec![3, 5]
            }
        );
        assert_eq!(mentioned(&h), vec![3, 5]);
        // A choice that was not an option is asked again; the request is still the first one.
        let mut again = h.clone();
        again.push(turn(Role::User, "7"));
        again.push(turn(
            Role::Assistant,
            "That isn't one of the choices. Which one do you mean?\n- #3\n- #5",
        ));
        assert_eq!(
            pending(&again),
            Pending::Choose {
                request: "complete milk".into(),
                ids: vec![3, 5]
            }
        );
        assert_eq!(pending(&h[..1]), Pending::Nothing);
    }

    #[test]
    fn ids_in_sentences() {
        assert_eq!(
            task_ids("Delete all 3 completed tasks (tasks 4, 5 and 6)? Say yes to confirm."),
            vec![4, 5, 6]
        );
        assert_eq!(
            task_ids("Added 'Buy milk (2L)' (task 12), due tomorrow."),
            vec![12]
        );
    }
}
