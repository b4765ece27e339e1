//! Words as the parser sees them: each keeps the text the user typed (for titles) and a normalised
//! form (for matching phrases), so recognising "Tomorow?" never changes a title the user wrote.

/// One word of a message, or one quoted span ('Call mom tonight') kept whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// As typed (for a quoted span: its inside, verbatim).
    pub text: String,
    /// Lower case, apostrophes dropped ("what's" -> "whats"), surrounding punctuation trimmed, and
    /// common misspellings of command words corrected. Empty for a quoted span.
    pub norm: String,
    pub quoted: bool,
}

impl Word {
    pub fn is(&self, w: &str) -> bool {
        self.norm == w
    }

    /// Whether the word is one of `list`, a space-separated word list ("done complete finished").
    pub fn is_in(&self, list: &str) -> bool {
        !self.quoted && in_list(list, &self.norm)
    }

    /// True when the typed word ends a sentence or clause ("milk," / "done.").
    pub fn ends_clause(&self) -> bool {
        !self.quoted && self.text.ends_with([',', ';', '.', '!', '?', ':'])
    }
}

/// Whether `w` is one of the words of `list`, a space-separated word list.
pub fn in_list(list: &str, w: &str) -> bool {
    list.split_whitespace().any(|x| x == w)
}

/// The normalised forms of `ws`.
pub fn norms(ws: &[Word]) -> Vec<&str> {
    ws.iter().map(|w| w.norm.as_str()).collect()
}

/// Whether `ws` starts with `phrase` ("remind me"), word by word, none of them quoted.
pub fn starts(ws: &[Word], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    ws.len() >= p.len() && ws.iter().zip(&p).all(|(w, p)| !w.quoted && w.norm == *p)
}

/// Length of the first of `phrases` ("remind me to|remember to") that `ws` starts with.
pub fn prefix(ws: &[Word], phrases: &str) -> Option<usize> {
    phrases
        .split('|')
        .find(|p| starts(ws, p))
        .map(|p| p.split(' ').count())
}

const OPEN_QUOTES: &[char] = &['"', '\'', '“', '‘', '«', '`'];

fn closing(open: char) -> &'static [char] {
    match open {
        '“' => &['”', '"'],
        '‘' => &['’', '\''],
        '«' => &['»'],
        '"' => &['"', '”'],
        '\'' => &['\'', '’'],
        _ => &['`'],
    }
}

/// Splits `s` into words, keeping quoted spans whole. A quote only opens at the start of a word and
/// only closes before a space or punctuation, so apostrophes ("don't", "mom's") are not quotes.
pub fn words(s: &str) -> Vec<Word> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if OPEN_QUOTES.contains(&chars[i]) {
            let close = closing(chars[i]);
            let end = (i + 2..chars.len()).find(|&j| {
                close.contains(&chars[j])
                    && chars
                        .get(j + 1)
                        .is_none_or(|c| c.is_whitespace() || ",.;:!?)".contains(*c))
                    && !chars[j - 1].is_whitespace()
            });
            if let Some(end) = end {
                let inner: String = chars[i + 1..end].iter().collect();
                if !inner.trim().is_empty() {
                    out.push(Word {
                        text: inner.trim().to_owned(),
                        norm: String::new(),
                        quoted: true,
                    });
                    i = end + 1;
                    continue;
                }
            }
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        let text: String = chars[start..i].iter().collect();
        let norm = normalise(&text);
        // A word of only punctuation or emoji carries no meaning for matching but stays in titles.
        out.push(Word {
            text,
            norm,
            quoted: false,
        });
    }
    out
}

fn normalise(text: &str) -> String {
    // "task 2's title" is about task 2 (only numbers: "what's" and "it's" stay words).
    let text = text
        .strip_suffix("'s")
        .or_else(|| text.strip_suffix("’s"))
        .filter(|t| {
            !t.is_empty()
                && t.trim_start_matches('#')
                    .chars()
                    .all(|c| c.is_ascii_digit())
        })
        .unwrap_or(text);
    let lower: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '‘'))
        .collect();
    let trimmed = lower
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '!' && c != '-')
        .trim_end_matches(|c: char| !c.is_alphanumeric());
    // A minus sign stays on a number ("task -1" is no task 1); other leading dashes are bullets.
    let trimmed =
        if trimmed.starts_with('-') && !trimmed[1..].starts_with(|c: char| c.is_ascii_digit()) {
            trimmed.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '!')
        } else {
            trimmed
        };
    // "milk & eggs": an ampersand joins like "and" (and stays "&" in a title).
    if text == "&" {
        return "and".into();
    }
    // A word of exclamation marks alone ("!!") is how some people write "urgent".
    if trimmed.is_empty() && text.len() >= 2 && text.chars().all(|c| c == '!') {
        return "!high".into();
    }
    correct(trimmed).unwrap_or(trimmed).to_owned()
}

/// Command words whose misspellings are corrected: one edit away (two for words of eight letters
/// or more), four-letter words only for two swapped letters ("shwo"), so everyday words are never
/// rewritten. Words that are also everyday nouns one edit from a keyword ("dairy"/"daily",
/// "sundae"/"sunday") are left out on purpose: a title must never gain a due date from a typo fix.
const VOCABULARY: &str =
    "delete remove complete completed finished pending tasks task show list done mark \
    tomorrow today tonight priority rename change update search reschedule remind reminding \
    create remaining urgent tuesday wednesday thursday saturday january february \
    september october november december monthly description important remember \
    postpone";

/// Short command words typed with a letter dropped, too short for the edit-distance rule above
/// to correct safely: each fixed only as a whole word.
const DROPPED_LETTERS: &[(&str, &str)] = &[
    ("shw", "show"),
    ("sho", "show"),
    ("lst", "list"),
    ("tsk", "task"),
    ("tsks", "tasks"),
    ("tasl", "task"),
    ("dne", "done"),
    ("mrk", "mark"),
    ("del", "delete"),
    ("delt", "delete"),
    ("dlete", "delete"),
    ("cmplete", "complete"),
    ("undoe", "undo"),
];

fn correct(w: &str) -> Option<&'static str> {
    if let Some((_, fixed)) = DROPPED_LETTERS.iter().find(|(typo, _)| *typo == w) {
        return Some(fixed);
    }
    let n = w.chars().count();
    if n < 4 || !w.chars().all(|c| c.is_ascii_alphabetic()) || in_list(VOCABULARY, w) {
        return None;
    }
    // Four-letter words are only un-swapped ("shwo"), as one changed letter makes another word.
    let max = if n >= 8 { 2 } else { 1 };
    VOCABULARY
        .split_whitespace()
        .filter(|v| n > 4 || (v.len() == 4 && is_swap(w, v)))
        // A keyword with an ending ("reminder", "listed") is another word, not a typo; and people
        // rarely mistype a first letter, while "lease"/"please" or "masks"/"tasks" are real words.
        .filter(|v| !w.starts_with(v) && w.chars().next() == v.chars().next())
        .map(|v| (edit_distance(w, v), v))
        .filter(|(d, v)| *d <= 1 || (*d <= max && v.len().abs_diff(n) <= 1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn is_swap(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let diff: Vec<usize> = (0..a.len().min(b.len()))
        .filter(|&i| a[i] != b[i])
        .collect();
    a.len() == b.len()
        && diff.len() == 2
        && diff[1] == diff[0] + 1
        && a[diff[0]] == b[diff[1]]
        && a[diff[1]] == b[diff[0]]
}

/// Damerau–Levenshtein (optimal string alignment) distance: a swapped pair of letters is one typo.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Words of only symbols: an emoji or sign ("🎂", "☕", "→") stays in a title, carried by the word
/// after it (or before it, at the end), so "add 🎂 cake for mum" keeps it, while one before a
/// courtesy word ("buy milk 🥛 pls") goes with that word. Bare punctuation ("!!", "--") is dropped.
pub fn glue_symbols(ws: &[Word]) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut carried: Option<String> = None;
    for w in ws {
        if w.quoted || !w.norm.is_empty() {
            let mut w = w.clone();
            if let Some(sym) = carried.take() {
                w.text = format!("{sym} {}", w.text);
            }
            out.push(w);
        } else if w
            .text
            .chars()
            .any(|c| !c.is_ascii() && !"“”‘’«»–—…".contains(c))
        {
            carried = Some(match carried.take() {
                Some(s) => format!("{s} {}", w.text),
                None => w.text.clone(),
            });
        }
    }
    if let (Some(sym), Some(last)) = (carried, out.last_mut()) {
        last.text = format!("{} {sym}", last.text);
    }
    out
}

/// The words as typed, joined by single spaces, without punctuation left dangling at either end.
pub fn join(ws: &[Word]) -> String {
    let s = ws
        .iter()
        .map(|w| {
            if w.quoted {
                format!("'{}'", w.text)
            } else {
                w.text.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    s.trim_matches(|c: char| c.is_whitespace() || ",;:.!?-–—".contains(c))
        .to_owned()
}

/// Upper-cases the first letter, as a task list shows titles.
pub fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// A crude English stem ("buying" -> "buy", "meetings" -> "meet") so "I finished buying milk" finds
/// "Buy milk". Both sides of a comparison are stemmed the same way, so crudeness is harmless.
pub fn stem(w: &str) -> String {
    let once = stem_once(w);
    stem_once(&once)
}

fn stem_once(w: &str) -> String {
    let n = w.chars().count();
    for (suffix, min) in [("ing", 6), ("ies", 5), ("es", 5), ("ed", 5), ("s", 4)] {
        if n >= min && w.ends_with(suffix) && !w.ends_with("ss") {
            let base = &w[..w.len() - suffix.len()];
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_owned()
            };
        }
    }
    w.to_owned()
}

/// Words that say nothing about which task is meant ("the milk one" -> "milk").
const FILLER: &[&str] = &[
    "the", "a", "an", "my", "task", "tasks", "one", "item", "todo", "to-do", "thing", "that",
    "this", "about", "for", "of", "on", "entry", "called", "named", "titled", "i", "me", "list",
    "from", "off", "it", "with", "please", "pls", "in", "is", "as", "and", "one's", "ones",
];

/// The meaningful, stemmed, lower-case words of a task reference or title.
pub fn content_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !FILLER.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_apostrophes() {
        let ws = words("Change task 1 to 'Call mom tonight' and don't panic");
        assert_eq!(ws[4].text, "Call mom tonight");
        assert!(ws[4].quoted);
        assert_eq!(ws[6].norm, "dont");
        let ws = words("buy mom's gift");
        assert_eq!(ws.len(), 3);
        let ws = words("create a task called “Plan trip”.");
        assert_eq!(ws[4].text, "Plan trip");
    }

    #[test]
    fn norm_trims_and_corrects() {
        let ws = words("Shwo my TASKS?? tommorow #Work !high");
        let norms: Vec<&str> = ws.iter().map(|w| w.norm.as_str()).collect();
        assert_eq!(norms, ["show", "my", "tasks", "tomorrow", "#work", "!high"]);
        assert_eq!(words("delet")[0].norm, "delete");
        assert_eq!(words("milk")[0].norm, "milk");
        let typed: Vec<String> = words("shw my taks cmplete delet")
            .into_iter()
            .map(|w| w.norm)
            .collect();
        assert_eq!(typed, ["show", "my", "task", "complete", "delete"]);
    }

    #[test]
    fn stems_and_content() {
        assert_eq!(stem("buying"), "buy");
        assert_eq!(stem("meetings"), stem("meeting"));
        assert_eq!(content_words("the milk one"), ["milk"]);
        assert_eq!(content_words("Buying Milk!"), ["buy", "milk"]);
    }

    #[test]
    fn join_trims_punctuation() {
        assert_eq!(join(&words("buy milk, ")), "buy milk");
        assert_eq!(capitalise("éclairs"), "Éclairs");
    }
}
