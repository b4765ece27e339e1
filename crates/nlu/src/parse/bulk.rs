//! Many tasks at once: "mark them all done", "tick everything off", "complete all my tasks",
//! "bring back all completed ones", "reopen them all". Answered with a count and a question first.
//! (Deleting many is `act::delete`'s "clear completed tasks"; "check everything" is a question.)

use super::{BulkAction, Intent, Scope};
use crate::text::{prefix, Word};

/// Words that may fill a bulk request besides its verb and scope.
const FILLER: &str = "as done complete completed finished off the my of on in list tasks task \
    ones items things todos to-do todo pending open ticked checked now please";

pub(super) fn bulk(ws: &[Word]) -> Option<Intent> {
    let (action, k) = if let Some(k) = prefix(
        ws,
        "mark|tick off|tick|check off|complete|finish|close|cross off|i finished|i did|\
            ive done|i have done|ive finished|i have finished|im done with|i am done with|done with",
    ) {
        (BulkAction::Complete, k)
    } else {
        let k = prefix(
            ws,
            "bring back|reopen|restore|uncheck|untick|unmark|undo|re-open|put back",
        )?;
        (BulkAction::Reopen, k)
    };
    let rest = &ws[k..];
    let listed = rest.iter().any(|w| w.is_in("them those these"));
    let all = rest
        .iter()
        .any(|w| w.is_in("all everything every lot both"));
    if !(listed || all)
        || !rest
            .iter()
            .all(|w| w.is_in(FILLER) || w.is_in("them those these all everything every lot both"))
    {
        return None;
    }
    // "mark them all as pending" is not a completion.
    if rest.iter().any(|w| w.is_in("pending open")) && ws[0].is("mark") {
        return None;
    }
    Some(Intent::Bulk(
        action,
        if listed { Scope::Listed } else { Scope::All },
    ))
}
