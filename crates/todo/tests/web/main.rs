//! The web UI in a real headless Chromium, against the real binary: `todo serve`, and `todo frontend`
//! in front of `todo backend` as two processes. Screenshots land in `target/screenshots/`.
//!
//! WebDriver through fantoccini: a maintained Rust client, so the tests are ordinary `cargo test`s
//! with no Node toolchain; chromedriver comes from the same Debian package set as Chromium, so the
//! two always match.

mod harness;
mod push;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use harness::{App, Browser};

/// Browsers are heavy on a small machine: one at a time.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn key(k: Key) -> String {
    char::from(k).to_string()
}

fn email(tag: &str) -> String {
    format!("{tag}-{}@example.com", std::process::id())
}

/// The id of the task row whose title is `title`, if shown.
async fn row(b: &Browser, title: &str) -> Option<String> {
    let script = format!(
        "const li = [...document.querySelectorAll('.task')].find(li => li.querySelector('.task-title').textContent === {title:?}); return li ? li.id : null;"
    );
    b.js(&script).await.as_str().map(str::to_owned)
}

async fn titles(b: &Browser) -> Vec<String> {
    let v = b
        .js("return [...document.querySelectorAll('.task-title')].map(e => e.textContent)")
        .await;
    serde_json::from_value(v).unwrap()
}

fn shown(title: &str) -> String {
    format!("[...document.querySelectorAll('.task-title')].some(e => e.textContent === {title:?})")
}

async fn sign_up(b: &Browser, app: &App, who: &str) {
    b.goto(&app.url("/sign-up")).await;
    b.fill("#name", "Ada").await;
    b.fill("#email", who).await;
    b.fill("#password", "correct horse battery").await;
    b.click("button[type=submit]").await;
    b.until("the task list shows", "document.getElementById('tasks')")
        .await;
}

/// Adds a task through the add form, opening "More options" when details are given.
async fn add_task(b: &Browser, title: &str, priority: &str, tags: &str, due: Option<&str>) {
    b.fill("#new-title", title).await;
    if priority != "medium" || !tags.is_empty() || due.is_some() {
        b.js("document.querySelector('.add-more').open = true")
            .await;
        b.find("#new-priority")
            .await
            .select_by_value(priority)
            .await
            .unwrap();
        b.fill("#new-tags", tags).await;
        if let Some(d) = due {
            // Typing into a date control depends on the browser's locale; set the value as the picker would.
            b.js(&format!("document.getElementById('new-due').value = {d:?}"))
                .await;
        }
    }
    b.click(".add button[type=submit]").await;
    b.until(&format!("“{title}” is listed"), &shown(title))
        .await;
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// Everything a user does, through the pages as they are (with or without JavaScript).
async fn journey(b: &Browser, app: &App, javascript: bool, shots: &str) {
    // Signed out, the list sends you to sign in.
    b.goto(&app.url("/")).await;
    b.until("the sign-in page", "document.title === 'Sign in · Todo'")
        .await;
    if !shots.is_empty() {
        b.shot(&format!("{shots}-sign-in")).await;
    }
    b.click(".switch a").await;
    b.until("the sign-up page", "document.title === 'Sign up · Todo'")
        .await;

    // Bad input: each error next to its field, the typed email kept.
    b.fill("#email", "not-an-email").await;
    b.fill("#password", "short").await;
    b.click("button[type=submit]").await;
    b.until("field errors", "document.getElementById('password-error')")
        .await;
    let email_error = b.find("#email-error").await.text().await.unwrap();
    assert!(
        email_error.starts_with("Email must be an email address"),
        "{email_error}"
    );
    assert_eq!(
        b.find("#email")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("not-an-email")
    );
    assert_eq!(
        b.find("#password")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );

    let who = email(&format!("journey-{shots}-{javascript}"));
    b.fill("#name", "Ada").await;
    b.fill("#email", &who).await;
    b.fill("#password", "correct horse battery").await;
    b.click("button[type=submit]").await;
    b.until("the empty list", "document.querySelector('.empty')")
        .await;
    assert!(b.text().await.contains("Nothing to do yet"));
    assert_eq!(b.client.title().await.unwrap(), "Tasks · Todo");

    if javascript {
        // From here on the page must update in place: this marker would not survive a reload.
        b.js("window.__noReload = true").await;
    }

    // Add: an empty title is refused beside the field.
    b.fill("#new-title", " ").await;
    b.click(".add button[type=submit]").await;
    b.until(
        "the title error",
        "document.getElementById('new-title-error')",
    )
    .await;
    assert_eq!(
        b.find("#new-title-error").await.text().await.unwrap(),
        "Title must not be empty."
    );

    add_task(b, "Buy milk", "high", "home, errands", Some(&day(-2))).await;
    add_task(b, "Write report", "low", "work", Some(&day(5))).await;
    add_task(b, "Call mom", "medium", "", None).await;
    let milk = row(b, "Buy milk").await.unwrap();
    let milk_row = b.find(&format!("#{milk}")).await;
    assert_eq!(
        milk_row.attr("class").await.unwrap().as_deref(),
        Some("task overdue")
    );
    let milk_text = milk_row.text().await.unwrap();
    for part in ["HIGH", "Overdue", "#home", "#errands"] {
        assert!(milk_text.contains(part), "{part} missing in {milk_text:?}");
    }
    if !shots.is_empty() {
        b.shot(&format!("{shots}-list")).await;
    }

    // Inline edit: title and priority, and a bad tag refused next to the field.
    let report = row(b, "Write report").await.unwrap();
    b.click(&format!("#{report} .edit summary")).await;
    b.fill(&format!("#edit-{}-tags", &report[5..]), "work, not ok!")
        .await;
    b.click(&format!("#{report} .edit-form button[type=submit]"))
        .await;
    let tags_error = format!("edit-{}-tags-error", &report[5..]);
    b.until(
        "the tag error",
        &format!("document.getElementById('{tags_error}')"),
    )
    .await;
    b.fill(
        &format!("#edit-{}-title", &report[5..]),
        "Write quarterly report",
    )
    .await;
    b.fill(&format!("#edit-{}-tags", &report[5..]), "work")
        .await;
    b.find(&format!("#edit-{}-priority", &report[5..]))
        .await
        .select_by_value("high")
        .await
        .unwrap();
    b.click(&format!("#{report} .edit-form button[type=submit]"))
        .await;
    b.until("the new title", &shown("Write quarterly report"))
        .await;
    assert!(row(b, "Write report").await.is_none());

    // Complete: the check is pressed, the row done and no longer overdue.
    b.click(&format!("#{milk} .check")).await;
    b.until(
        "Buy milk done",
        &format!("document.querySelector('#{milk}.done .check[aria-pressed=true]')"),
    )
    .await;
    assert!(!b
        .find(&format!("#{milk}"))
        .await
        .attr("class")
        .await
        .unwrap()
        .unwrap()
        .contains("overdue"));

    // Filter by status, search, filter by tag, sort.
    b.find("#f-status")
        .await
        .select_by_value("pending")
        .await
        .unwrap();
    b.click(".filters button[type=submit]").await;
    b.until("pending only", &format!("!{}", shown("Buy milk")))
        .await;
    assert_eq!(titles(b).await, ["Call mom", "Write quarterly report"]);
    b.find("#f-status")
        .await
        .select_by_value("all")
        .await
        .unwrap();
    b.fill("#q", "QUARTERLY").await;
    b.click(".filters button[type=submit]").await;
    b.until("search results", &format!("!{}", shown("Call mom")))
        .await;
    assert_eq!(titles(b).await, ["Write quarterly report"]);
    b.click(".filters a.btn").await; // Clear
    b.until("all tasks again", &shown("Call mom")).await;
    b.click(&format!("#{milk} a.tag")).await; // #home
    b.until("the home tag only", &format!("!{}", shown("Call mom")))
        .await;
    assert_eq!(titles(b).await, ["Buy milk"]);
    assert_eq!(
        b.find("#f-tag")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("home")
    );
    b.click(".filters a.btn").await;
    b.until("all tasks again", &shown("Call mom")).await;
    b.find("#f-sort")
        .await
        .select_by_value("title")
        .await
        .unwrap();
    b.click(".filters button[type=submit]").await;
    b.until(
        "sorted by title",
        "document.querySelector('.task-title').textContent === 'Buy milk'",
    )
    .await;
    assert_eq!(
        titles(b).await,
        ["Buy milk", "Call mom", "Write quarterly report"]
    );

    // Delete, undo, delete for good.
    let call = row(b, "Call mom").await.unwrap();
    b.click(&format!("#{call} .delete button")).await;
    b.until("deleted", &format!("!{}", shown("Call mom"))).await;
    assert!(b.text().await.contains("Deleted “Call mom”."));
    b.click(".toast button").await;
    b.until("restored", &shown("Call mom")).await;
    assert!(b.text().await.contains("Restored “Call mom”."));
    let call = row(b, "Call mom").await.unwrap();
    b.click(&format!("#{call} .delete button")).await;
    b.until("deleted again", &format!("!{}", shown("Call mom")))
        .await;

    if javascript {
        assert_eq!(
            b.js("return window.__noReload === true").await,
            serde_json::Value::Bool(true),
            "an action reloaded the whole page"
        );
    }

    // Every page so far ran without a console error: no CSP violation, no script failure (answers
    // like a 422 to a bad form are the network's business, not errors of the page).
    let errors: Vec<String> = b
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.contains("Failed to load resource"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());

    // Sign out, a wrong password, then back in to the same list.
    b.click(".who form button").await;
    b.until("signed out", "document.title === 'Sign in · Todo'")
        .await;
    b.fill("#email", &who).await;
    b.fill("#password", "wrong password").await;
    b.click("button[type=submit]").await;
    b.until("the sign-in error", "document.getElementById('form-error')")
        .await;
    assert_eq!(
        b.find("#form-error").await.text().await.unwrap(),
        "Wrong email or password."
    );
    b.fill("#password", "correct horse battery").await;
    b.click("button[type=submit]").await;
    b.until("the list again", &shown("Write quarterly report"))
        .await;
    assert_eq!(titles(b).await.len(), 2);
}

#[tokio::test]
async fn journey_on_serve_with_javascript() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    journey(&b, &app, true, "desktop").await;
    b.client.close().await.unwrap();
}

#[tokio::test]
async fn journey_on_frontend_and_backend_with_javascript() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::split().await;
    journey(&b, &app, true, "").await;
    b.client.close().await.unwrap();
}

#[tokio::test]
async fn journey_without_javascript() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, false).await else {
        return;
    };
    let app = App::split().await;
    journey(&b, &app, false, "").await;
    // Without JavaScript the assistant says so instead of showing dead controls.
    assert!(b.text().await.contains("The assistant needs JavaScript"));
    b.client.close().await.unwrap();
}

/// Types `keys` into whatever has focus, as a keyboard would (WebDriver key actions).
async fn press(b: &Browser, keys: &str) {
    let mut actions = KeyActions::new("keyboard".into());
    for c in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    b.client.perform_actions(actions).await.unwrap();
}

/// Tabs forward until the focused element matches `css`, checking that every stop shows a focus ring.
async fn tab_to(b: &Browser, css: &str) {
    for _ in 0..60 {
        press(b, &key(Key::Tab)).await;
        let here = b
            .js(&format!("return document.activeElement.matches({css:?})"))
            .await;
        let ring = b
            .js("const e = document.activeElement; if (e === document.body) return true; const s = getComputedStyle(e); return s.outlineStyle !== 'none' && s.outlineWidth !== '0px'")
            .await;
        let what = b
            .js("return document.activeElement.outerHTML.slice(0, 80)")
            .await;
        assert_eq!(
            ring,
            serde_json::Value::Bool(true),
            "no visible focus on {what}"
        );
        if here == serde_json::Value::Bool(true) {
            return;
        }
    }
    panic!("never reached {css} with Tab");
}

#[tokio::test]
async fn keyboard_only() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    b.goto(&app.url("/sign-up")).await;
    // The first stop is the skip link. A Tab pressed while the headless window is still taking
    // focus moves nothing (seen once in CI), so press until something has focus, then check what.
    let mut first = serde_json::Value::Null;
    for _ in 0..5 {
        press(&b, &key(Key::Tab)).await;
        first = b
            .js("const e = document.activeElement; return e === document.body ? null : e.textContent")
            .await;
        if !first.is_null() {
            break;
        }
    }
    assert_eq!(first, "Skip to content");
    tab_to(&b, "#name").await;
    press(&b, "Kay").await;
    tab_to(&b, "#email").await;
    press(&b, &email("keyboard")).await;
    tab_to(&b, "#password").await;
    press(&b, &("correct horse battery".to_owned() + &key(Key::Enter))).await;
    b.until("the list", "document.getElementById('new-title')")
        .await;

    tab_to(&b, "#new-title").await;
    press(&b, &("Typed task".to_owned() + &key(Key::Enter))).await;
    b.until("the task", &shown("Typed task")).await;
    // Focus stays in the add field, ready for the next task.
    b.until("focus kept", "document.activeElement.id === 'new-title'")
        .await;
    press(&b, &("Second task".to_owned() + &key(Key::Enter))).await;
    b.until("the second task", &shown("Second task")).await;

    // Complete with the keyboard: Tab to the first task's check and press Space.
    tab_to(&b, ".task .check").await;
    press(&b, &key(Key::Space)).await;
    b.until("completed", "document.querySelector('.task.done')")
        .await;

    // Edit with the keyboard: open the disclosure with Enter, change the title, save with Enter.
    tab_to(&b, ".task .edit summary").await;
    press(&b, &key(Key::Enter)).await;
    tab_to(&b, ".task .edit input[name=title]").await;
    // Tabbing into a field selects its text; End keeps it and appends.
    press(&b, &(key(Key::End) + " edited" + &key(Key::Enter))).await;
    b.until("edited", "[...document.querySelectorAll('.task-title')].some(e => e.textContent.endsWith(' edited'))")
        .await;
    b.shot("keyboard").await;
    b.client.close().await.unwrap();
}

#[tokio::test]
async fn phone_width() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(360, 740, true).await else {
        return;
    };
    let app = App::serve().await;
    b.goto(&app.url("/sign-in")).await;
    let fits = "document.documentElement.scrollWidth <= window.innerWidth";
    b.until("the sign-in page fits", fits).await;
    b.shot("phone-sign-in").await;
    sign_up(&b, &app, &email("phone")).await;
    add_task(
        &b,
        "A task with a rather long title that has to wrap on a small phone screen",
        "high",
        "home, errands",
        Some(&day(-1)),
    )
    .await;
    add_task(&b, "Buy milk", "medium", "", Some(&day(1))).await;
    assert_eq!(
        b.js("return document.documentElement.clientWidth").await,
        360
    );
    assert_eq!(
        b.js(&format!("return {fits}")).await,
        true,
        "horizontal scrolling at 360 px"
    );
    // The assistant is a button that opens it full screen.
    assert_eq!(
        b.js("return getComputedStyle(document.getElementById('chat')).display")
            .await,
        "none"
    );
    b.shot("phone-list").await;
    b.click("#chat-open").await;
    b.until(
        "the assistant open",
        "getComputedStyle(document.getElementById('chat')).display === 'flex'",
    )
    .await;
    let rect = b
        .js("const r = document.getElementById('chat').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]")
        .await;
    let viewport = b
        .js("return [0, 0, document.documentElement.clientWidth, window.innerHeight]")
        .await;
    assert_eq!(rect, viewport, "the assistant fills the screen");
    b.shot("phone-assistant").await;
    press(&b, &key(Key::Escape)).await;
    b.until(
        "the assistant closed",
        "getComputedStyle(document.getElementById('chat')).display === 'none'",
    )
    .await;
    b.until(
        "focus back on the button",
        "document.activeElement.id === 'chat-open'",
    )
    .await;
    b.client.close().await.unwrap();
}

mod http;

/// Signing out ends access in the browser too: Back brings neither the tasks nor a working
/// assistant, and no page logged a console error (a CSP violation among them) on the way.
#[tokio::test]
async fn sign_out_then_back() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    sign_up(&b, &app, &email("back")).await;
    add_task(&b, "Private plans", "high", "", None).await;
    b.until(
        "the assistant ready",
        "!document.getElementById('chat-input').disabled",
    )
    .await;
    assert_eq!(
        b.console_errors().await,
        Vec::<String>::new(),
        "the task page"
    );
    b.click(".who form button").await;
    b.until("signed out", "document.title === 'Sign in · Todo'")
        .await;
    b.client.back().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    b.until("the sign-in page", "document.title === 'Sign in · Todo'")
        .await;
    assert!(!b.text().await.contains("Private plans"));
    assert_eq!(
        b.js("return document.getElementById('chat-input') === null")
            .await,
        true,
        "no assistant panel"
    );
    assert_eq!(
        b.console_errors().await,
        Vec::<String>::new(),
        "sign-out and Back"
    );
    // Nothing this browser still holds trades for a token.
    let status = b
        .js("return fetch('/api/auth/token').then(r => r.status)")
        .await;
    assert_eq!(status, 401);
    // The console is really read: that refused request is in it.
    let errors = b.console_errors().await;
    assert!(errors.iter().any(|e| e.contains("401")), "{errors:?}");
    b.client.close().await.unwrap();
}

/// The assistant panel: a message streams an answer, the tool call shows as it happens, the list
/// follows without a reload, and past conversations can be reopened and deleted.
async fn assistant(b: &Browser, app: &App, shots: &str) {
    sign_up(b, app, &email(&format!("assistant-{shots}"))).await;
    b.until(
        "the assistant ready",
        "!document.getElementById('chat-input').disabled",
    )
    .await;
    b.js("window.__noReload = true").await;
    b.fill(
        "#chat-input",
        &("Add a task to buy milk".to_owned() + &key(Key::Enter)),
    )
    .await;
    b.until(
        "the tool call shown",
        "[...document.querySelectorAll('.msg-tool')].some(e => e.textContent === '✓ Added “Buy milk”')",
    )
    .await;
    b.until("the task listed", &shown("Buy milk")).await;
    b.until(
        "the answer in",
        "document.querySelector('.msg-assistant:not(.msg-pending)') && document.querySelector('.msg-assistant').textContent.length > 0",
    )
    .await;
    assert_eq!(b.js("return window.__noReload === true").await, true);
    let user = b
        .js("return document.querySelector('.msg-user').textContent")
        .await;
    assert_eq!(user, "Add a task to buy milk");
    // The conversation is now in the picker, selected.
    b.until("the conversation listed", "document.getElementById('chat-conversation').options.length === 2 && document.getElementById('chat-conversation').value !== ''")
        .await;
    if !shots.is_empty() {
        add_task(b, "Write quarterly report", "high", "work", Some(&day(3))).await;
        add_task(b, "Call mom", "medium", "family", Some(&day(-1))).await;
        b.js("document.querySelectorAll('.toast').forEach(t => t.remove())")
            .await;
        b.shot(&format!("{shots}-assistant")).await;
    }
    // A new conversation starts empty; the old one comes back with its history.
    b.click("#chat-new").await;
    b.until(
        "an empty conversation",
        "!document.querySelector('.msg-user')",
    )
    .await;
    let id = b
        .js("return document.getElementById('chat-conversation').options[1].value")
        .await;
    b.find("#chat-conversation")
        .await
        .select_by_value(id.as_str().unwrap())
        .await
        .unwrap();
    b.until(
        "the history",
        "document.querySelector('.msg-user') && document.querySelector('.msg-tool')",
    )
    .await;
    assert_eq!(
        b.js("return document.querySelector('.msg-tool').textContent")
            .await,
        "✓ Added “Buy milk”"
    );
    // Continuing it: the assistant deletes by name, and the list follows.
    b.fill(
        "#chat-input",
        &("Delete the milk task".to_owned() + &key(Key::Enter)),
    )
    .await;
    b.until(
        "the assistant asks first",
        "[...document.querySelectorAll('.msg-assistant')].some(e => e.textContent.includes('Say yes to confirm'))",
    )
    .await;
    assert!(titles(b).await.contains(&"Buy milk".to_owned()));
    b.until(
        "ready to send",
        "!document.querySelector('#chat-form button').disabled",
    )
    .await;
    b.fill("#chat-input", &("yes".to_owned() + &key(Key::Enter)))
        .await;
    b.until("the task gone", &format!("!{}", shown("Buy milk")))
        .await;
    b.until(
        "the deletion shown",
        "[...document.querySelectorAll('.msg-tool')].some(e => e.textContent === '✓ Deleted “Buy milk”')",
    )
    .await;
    // Delete the conversation (after confirming).
    b.click("#chat-delete").await;
    b.client.accept_alert().await.unwrap();
    b.until(
        "the conversation gone",
        "document.getElementById('chat-conversation').options.length === 1",
    )
    .await;
}

#[tokio::test]
async fn assistant_on_serve() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    assistant(&b, &app, "desktop").await;
    b.client.close().await.unwrap();
}

/// The same through the frontend's proxy, which must pass the event stream through as it comes.
#[tokio::test]
async fn assistant_on_frontend_and_backend() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::split().await;
    assistant(&b, &app, "").await;
    b.client.close().await.unwrap();
}

/// The id of the list row on the lists page whose name is `name`.
async fn list_row(b: &Browser, name: &str) -> String {
    let script = format!(
        "const li = [...document.querySelectorAll('.list-row')].find(li => li.querySelector('.list-row-name').textContent === {name:?}); return li ? li.id : null;"
    );
    b.js(&script).await.as_str().unwrap().to_owned()
}

async fn add_list(b: &Browser, name: &str, colour: &str) {
    b.fill("#new-list-name", name).await;
    b.find("#new-list-colour")
        .await
        .select_by_value(colour)
        .await
        .unwrap();
    // Enter in the name submits (implicit submission), as a keyboard user would.
    b.find("#new-list-name")
        .await
        .send_keys(&key(Key::Enter))
        .await
        .unwrap();
    b.until(
        &format!("the list {name}"),
        &format!("[...document.querySelectorAll('.list-row-name')].some(e => e.textContent === {name:?})"),
    )
    .await;
}

/// Adds a subtask to the task shown as `parent` with its inline form.
async fn add_subtask(b: &Browser, parent: &str, title: &str) {
    let row = row(b, parent).await.unwrap();
    b.js(&format!(
        "document.querySelector('#{row} .add-sub').open = true"
    ))
    .await;
    b.fill(&format!("#{row} .add-sub-form input[name=title]"), title)
        .await;
    b.click(&format!("#{row} .add-sub-form button")).await;
    b.until(&format!("the subtask {title}"), &shown(title))
        .await;
}

/// The text of the task row `id`'s own line of details (not its subtasks').
async fn meta(b: &Browser, id: &str) -> String {
    b.js(&format!(
        "return document.querySelector('#{id} .meta').textContent.replace(/\\s+/g, ' ')"
    ))
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

/// Issue 10 in the browser: lists, nested subtasks, a custom recurrence completed into its next
/// occurrence, the delete-list choice, the time zone setting.
async fn organising(b: &Browser, app: &App, javascript: bool) {
    sign_up(b, app, &email(&format!("organise-{javascript}"))).await;
    // The sidebar: all tasks (current) and the Inbox.
    assert_eq!(
        b.js("return document.querySelector('.lists a[aria-current=page] .list-name').textContent")
            .await,
        "All tasks"
    );
    assert!(b.text().await.contains("Inbox"));
    b.click(".lists .manage a").await;
    b.until("the lists page", "document.title === 'Lists · Todo'")
        .await;
    add_list(b, "Work", "blue").await;
    add_list(b, "Home", "green").await;
    // Home moves above Work.
    let home = list_row(b, "Home").await;
    b.click(&format!("#{home} form[action$='/move'] button"))
        .await;
    b.until(
        "Home first",
        "[...document.querySelectorAll('.list-row-name')].map(e => e.textContent).join() === 'Inbox,Home,Work'",
    )
    .await;

    let work = list_row(b, "Work").await;
    b.click(&format!("#{work} .list-row-name")).await;
    b.until(
        "the Work list",
        "document.getElementById('tasks-heading').textContent === 'Work'",
    )
    .await;
    assert_eq!(
        b.js("return document.querySelector('.lists a[aria-current=page] .list-name').textContent")
            .await,
        "Work"
    );
    if javascript {
        b.js("window.__noReload = true").await;
    }

    // A task in Work with nested subtasks.
    add_task(b, "Quarterly report", "medium", "", None).await;
    add_subtask(b, "Quarterly report", "Outline").await;
    add_subtask(b, "Quarterly report", "Draft").await;
    add_subtask(b, "Outline", "Find the figures").await;
    let report = row(b, "Quarterly report").await.unwrap();
    assert!(meta(b, &report).await.contains("0/2"));
    let figures = row(b, "Find the figures").await.unwrap();
    assert_eq!(
        b.js(&format!(
            "return document.getElementById('{figures}').classList.contains('depth-2')"
        ))
        .await,
        true
    );
    let draft = row(b, "Draft").await.unwrap();
    b.click(&format!("#{draft} .check")).await;
    b.until(
        "the draft done",
        &format!("document.querySelector('#{draft}.done')"),
    )
    .await;
    assert!(meta(b, &report).await.contains("1/2"));
    b.click(&format!("#{report} .complete-all button")).await;
    b.until(
        "all done",
        "document.querySelectorAll('.task.done').length === 4",
    )
    .await;
    assert!(meta(b, &row(b, "Quarterly report").await.unwrap())
        .await
        .contains("2/2"));
    assert!(b
        .text()
        .await
        .contains("Completed “Quarterly report” and its subtasks."));

    // Deleting the parent takes its subtasks; Undo brings the whole group back.
    let report = row(b, "Quarterly report").await.unwrap();
    b.click(&format!("#{report} .delete button")).await;
    b.until("deleted", &format!("!{}", shown("Find the figures")))
        .await;
    assert!(b
        .text()
        .await
        .contains("Deleted “Quarterly report” and its 3 subtasks."));
    b.click(".toast button").await;
    b.until("restored", &shown("Find the figures")).await;
    assert!(b
        .text()
        .await
        .contains("Restored “Quarterly report” and its 3 subtasks."));
    let figures = row(b, "Find the figures").await.unwrap();
    assert_eq!(
        b.js(&format!(
            "return document.getElementById('{figures}').classList.contains('depth-2')"
        ))
        .await,
        true
    );

    // A custom recurrence from the editor: every other week on Mon and Thu, 5 times.
    b.fill("#new-title", "Water the plants").await;
    b.js("document.querySelector('.add-more').open = true; document.querySelector('.add .repeat-more').open = true")
        .await;
    b.js(&format!(
        "document.getElementById('new-due').value = {:?}",
        day(0)
    ))
    .await;
    let shown_parts = "['.add .repeat-more', '.add .days', '.add .monthly'].map(c => document.querySelector(c).offsetParent !== null)";
    let before = b.js(&format!("return {shown_parts}")).await;
    b.find("#new-recurrence")
        .await
        .select_by_value("weekly")
        .await
        .unwrap();
    let after = b.js(&format!("return {shown_parts}")).await;
    if javascript {
        // The editor shows only what the preset uses.
        assert_eq!(before, serde_json::json!([false, false, false]));
        assert_eq!(after, serde_json::json!([true, true, false]));
    } else {
        assert_eq!(
            (&before, &after),
            (&serde_json::json!([true, true, true]), &before)
        );
    }
    b.fill("#new-every", "2").await;
    b.click(".add input[name=on_mo]").await;
    b.click(".add input[name=on_th]").await;
    b.click(".add input[name=ends][value=count]").await;
    // Enter submits from the last field (the Add button has scrolled under the sticky header).
    b.fill("#new-count", &format!("5{}", key(Key::Enter))).await;
    b.until("the plants", &shown("Water the plants")).await;
    let plants = row(b, "Water the plants").await.unwrap();
    assert!(
        meta(b, &plants)
            .await
            .contains("Every other week on Mon and Thu, 5 times"),
        "{}",
        meta(b, &plants).await
    );
    // Its edit form shows the rule in the editor's own fields.
    assert_eq!(
        b.js(&format!("const f = document.querySelector('#{plants} .edit-form'); return [f.recurrence.value, f.every.value, f.on_mo.checked, f.on_th.checked, f.on_tu.checked, f.ends.value, f.count.value]"))
            .await,
        serde_json::json!(["weekly", "2", true, true, false, "count", "5"])
    );
    // The swap kept the page scrolled down to the editor; WebDriver would scroll the check only as
    // far as under the sticky header.
    b.js("window.scrollTo(0, 0)").await;
    b.click(&format!("#{plants} .check")).await;
    b.until(
        "the next occurrence",
        "[...document.querySelectorAll('.task:not(.done) .task-title')].some(e => e.textContent === 'Water the plants')
         && [...document.querySelectorAll('.task.done .task-title')].some(e => e.textContent === 'Water the plants')",
    )
    .await;
    assert!(b.text().await.contains("the next one is on the list"));
    if javascript {
        b.shot("organise-tasks").await;
    }
    let next_due = b
        .js("return [...document.querySelectorAll('.task:not(.done)')].find(li => li.querySelector('.task-title').textContent === 'Water the plants').querySelector('time').getAttribute('datetime')")
        .await;
    let next_due =
        chrono::NaiveDate::parse_from_str(next_due.as_str().unwrap(), "%Y-%m-%d").unwrap();
    let today = chrono::Utc::now().date_naive();
    assert!(next_due > today, "{next_due}");
    use chrono::Datelike;
    assert!(
        matches!(
            next_due.weekday(),
            chrono::Weekday::Mon | chrono::Weekday::Thu
        ),
        "{next_due}"
    );
    // The sidebar counts Work's open tasks: the next plants.
    assert!(b
        .js("return document.querySelector('.lists a[aria-current=page] .list-count').textContent")
        .await
        .as_str()
        .unwrap()
        .starts_with('1'));
    if javascript {
        assert_eq!(
            b.js("return window.__noReload === true").await,
            true,
            "an action reloaded the whole page"
        );
    }

    // Deleting Work asks what becomes of its tasks; they move to the Inbox.
    b.click(".lists .manage a").await;
    b.until("the lists page", "document.title === 'Lists · Todo'")
        .await;
    let work = list_row(b, "Work").await;
    b.click(&format!("#{work} form[action$='/delete'] button"))
        .await;
    b.until("the question", "document.title === 'Delete list · Todo'")
        .await;
    assert!(b.text().await.contains("This list still has 6 tasks."));
    if javascript {
        b.shot("organise-delete-list").await;
    }
    b.click("button[value=move]").await;
    b.until("the lists page again", "document.title === 'Lists · Todo'")
        .await;
    assert!(b
        .text()
        .await
        .contains("Deleted the list “Work”; 6 tasks moved to the Inbox."));
    b.click(".page > p a").await;
    b.until("all tasks", &shown("Water the plants")).await;

    // The time zone, saved through the API.
    b.click(".who a[href='/settings']").await;
    b.until("settings", "document.title === 'Settings · Todo'")
        .await;
    b.find("#time-zone")
        .await
        .select_by_value("Europe/Berlin")
        .await
        .unwrap();
    b.click(".settings-form button").await;
    b.until("saved", "document.querySelector('.toast')").await;
    assert!(b
        .text()
        .await
        .contains("Saved: your time zone is Europe/Berlin."));
    assert!(b
        .find("a[href='/settings/data']")
        .await
        .text()
        .await
        .unwrap()
        .contains("Import and export"));

    // Export, then import the file back through the upload form: preview first, then the import.
    b.click("a[href='/settings/data']").await;
    b.until(
        "import and export",
        "document.title === 'Import and export · Todo'",
    )
    .await;
    let cookies: Vec<String> = b
        .client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    let export = reqwest::Client::new()
        .get(app.url("/settings/data/export"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let doc: serde_json::Value = export.json().await.unwrap();
    let exported = doc["tasks"].as_array().unwrap().len();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("todo-export.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    b.find("#import-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.click("form[action='/settings/data/import'] button[type=submit]")
        .await;
    b.until("the preview", "document.getElementById('import-preview')")
        .await;
    assert!(b
        .text()
        .await
        .contains(&format!("This file has {exported} tasks")));
    b.click("#import-preview button[type=submit]").await;
    b.until("imported", "document.querySelector('.toast')")
        .await;
    assert!(b
        .text()
        .await
        .contains(&format!("Imported {exported} tasks into")));
    b.until(
        "both copies",
        "[...document.querySelectorAll('.task:not(.done) .task-title')].filter(e => e.textContent === 'Water the plants').length === 2",
    )
    .await;

    let errors: Vec<String> = b
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.contains("Failed to load resource"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
}

#[tokio::test]
async fn organising_with_javascript() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    organising(&b, &app, true).await;
    b.client.close().await.unwrap();
}

#[tokio::test]
async fn organising_without_javascript() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, false).await else {
        return;
    };
    let app = App::split().await;
    organising(&b, &app, false).await;
    b.client.close().await.unwrap();
}

/// An MCP client's sign-in as a person sees it: the consent page names the app, where it sends the
/// browser and what it may do; Allow sends the browser back to the app with a code that trades for
/// a working token; Connected apps lists the app, and Disconnect ends its token. A personal token
/// is created there, shown once, and revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_and_connected_apps() {
    use base64::Engine;
    use sha2::Digest;
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    sign_up(&b, &app, &email("oauth")).await;
    let http = reqwest::Client::new();
    let callback = "http://127.0.0.1:9/callback";
    let client: serde_json::Value = http
        .post(app.url("/api/oauth/register"))
        .json(&serde_json::json!({"client_name": "Browser Test App", "redirect_uris": [callback]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let verifier = "a-verifier-long-enough-to-be-valid-0123456789-abcdefghijkl";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&state=s1\
         &code_challenge={challenge}&code_challenge_method=S256&scope=tasks%3Aread&resource={}",
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(app.url("/mcp").as_bytes()).collect::<String>(),
    );
    b.goto(&app.url(&authorize)).await;
    b.until("the consent page", "document.getElementById('consent')")
        .await;
    let text = b.text().await;
    assert!(text.contains("Browser Test App"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(text.contains("See your lists and tasks"), "{text}");
    assert!(
        !text.contains("Add, change"),
        "only the scope asked for: {text}"
    );
    b.click("#consent-allow").await;
    let mut landed = String::new();
    for _ in 0..100 {
        landed = b.client.current_url().await.unwrap().to_string();
        if landed.starts_with(callback) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let landed = url::Url::parse(&landed).unwrap();
    assert!(landed.as_str().starts_with(callback), "{landed}");
    let q: std::collections::HashMap<_, _> = landed.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "s1");
    let tokens: serde_json::Value = http
        .post(app.url("/api/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("grant_type", "authorization_code"),
                    ("code", q["code"].as_str()),
                    ("client_id", client_id),
                    ("redirect_uri", callback),
                    ("code_verifier", verifier),
                ])
                .finish(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().expect("tokens").to_owned();
    let mcp_status = |token: String| {
        let http = http.clone();
        let url = app.url("/mcp");
        async move {
            http.post(url)
                .bearer_auth(token)
                .header("accept", "application/json, text/event-stream")
                .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(mcp_status(access.clone()).await, 200);

    // Connected apps: the app is listed; Disconnect ends its token.
    b.goto(&app.url("/settings")).await;
    b.click("a[href='/settings/apps']").await;
    b.until("the apps page", "document.getElementById('apps')")
        .await;
    assert!(b.text().await.contains("Browser Test App"));
    b.click("#apps button").await;
    b.until(
        "the app gone",
        "!document.getElementById('apps').textContent.includes('Browser Test App')",
    )
    .await;
    assert_eq!(mcp_status(access).await, 401);

    // A personal token: created, shown once, revoked.
    b.fill("#token-name", "Script").await;
    b.click("#token-form button[type=submit]").await;
    b.until(
        "the new token",
        "document.getElementById('new-token-value')",
    )
    .await;
    let pat = b
        .js("return document.getElementById('new-token-value').textContent")
        .await;
    let pat = pat.as_str().unwrap().to_owned();
    assert!(pat.starts_with("todo_pat_"), "{pat}");
    assert_eq!(mcp_status(pat.clone()).await, 200);
    b.goto(&app.url("/settings/apps")).await;
    assert!(!b.text().await.contains(&pat), "shown only once");
    b.click("#tokens button").await;
    b.until(
        "revoked",
        "document.querySelectorAll('#tokens li').length === 0",
    )
    .await;
    assert_eq!(mcp_status(pat).await, 401);
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.client.close().await.unwrap();
}

/// Issue 11 in the browser: reminders picked beside the due date and shown on the task, one going
/// off a few seconds later counted in the header without a reload (EventSource on the
/// notifications stream, through the frontend's proxy in the split topology), the notifications
/// page, marking all read, and the notification settings.
async fn reminders(b: &Browser, app: &App) {
    sign_up(b, app, &email("reminders")).await;
    // Due the day after tomorrow at 17:00 (UTC, the user's zone until chosen): 10 minutes before,
    // and 1 day before at 09:00 (tomorrow), both still to come.
    b.fill("#new-title", "Write the report").await;
    b.js("document.querySelector('.add-more').open = true; document.querySelector('.add .remind-more').open = true")
        .await;
    b.js(&format!(
        "document.getElementById('new-due').value = {:?}; document.getElementById('new-due-time').value = '17:00';",
        day(2)
    ))
    .await;
    b.click(".add input[name=remind_10m]").await;
    b.click(".add input[name=remind_day]").await;
    assert_eq!(
        b.find("#new-remind-day-time")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("09:00")
    );
    b.click(".add button[type=submit]").await;
    b.until("the report is listed", &shown("Write the report"))
        .await;
    let id = row(b, "Write the report").await.unwrap();
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let expected = format!("{} 09:00 (+1)", tomorrow.format("%a %-d %b"));
    let m = meta(b, &id).await;
    assert!(m.contains(&expected), "{m}");
    assert!(m.contains("17:00"), "{m}");
    let bell = b
        .js(&format!(
            "return document.querySelector('#{id} .reminder').title"
        ))
        .await;
    assert_eq!(
        bell.as_str(),
        Some("Reminders: 10 minutes before, 1 day before at 09:00")
    );
    // The edit form shows them chosen.
    let ticked = b
        .js(&format!(
            "return ['remind_10m', 'remind_day', 'remind_5m'].map(n => document.querySelector('#{id} .edit-form input[name=' + n + ']').checked)"
        ))
        .await;
    assert_eq!(ticked, serde_json::json!([true, true, false]));

    // A relative reminder without a due date is refused, named beside the picker.
    b.fill("#new-title", "Someday").await;
    b.js("document.querySelector('.add-more').open = true; document.querySelector('.add .remind-more').open = true")
        .await;
    b.click(".add input[name=remind_5m]").await;
    b.click(".add button[type=submit]").await;
    b.until(
        "the reminder error",
        "[...document.querySelectorAll('.add .field-error')].some(e => e.textContent.startsWith('Reminders: the task has no due time'))",
    )
    .await;
    assert!(!titles(b).await.contains(&"Someday".to_owned()));
    b.goto(&app.url("/")).await;

    // An exact reminder three seconds ahead: the header counts it without a reload.
    b.fill("#new-title", "Stretch").await;
    b.js("document.querySelector('.add-more').open = true; document.querySelector('.add .remind-more').open = true")
        .await;
    assert_eq!(
        b.js("return document.getElementById('unread-count').hidden")
            .await,
        true
    );
    b.js("window.notReloaded = true").await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3)).format("%Y-%m-%dT%H:%M:%S");
    b.js(&format!(
        "document.getElementById('new-remind-at').value = '{at}'"
    ))
    .await;
    b.click(".add button[type=submit]").await;
    b.until("Stretch is listed", &shown("Stretch")).await;
    b.until(
        "the header counts the reminder",
        "document.getElementById('unread-n').textContent === '1' && !document.getElementById('unread-count').hidden",
    )
    .await;
    assert_eq!(b.js("return window.notReloaded === true").await, true);

    // On the notifications page after a reload: unread, linking to its task.
    b.click("#notif-link").await;
    b.until(
        "the notifications page",
        "document.title === 'Notifications · Todo'",
    )
    .await;
    assert_eq!(b.find("#unread-n").await.text().await.unwrap(), "1");
    let item = b
        .js("return [...document.querySelectorAll('.notification.unread a')].map(a => [a.textContent, a.getAttribute('href')])")
        .await;
    let stretch = row_id_number(&row_on_list(b, app, "Stretch").await);
    assert_eq!(
        item,
        serde_json::json!([["Stretch", format!("/?q=Stretch&status=all#task-{stretch}")]])
    );
    b.goto(&app.url("/notifications")).await;
    b.click("#notifications ~ form button, form[action='/notifications/read'] button")
        .await;
    b.until(
        "all read",
        "document.querySelectorAll('.notification').length === 1 && !document.querySelector('.notification.unread')",
    )
    .await;
    assert_eq!(
        b.js("return document.getElementById('unread-count').hidden")
            .await,
        true
    );

    // Notification settings persist.
    b.goto(&app.url("/settings")).await;
    b.click("a[href='/settings/notifications']").await;
    b.until(
        "the notification settings",
        "document.getElementById('notify-push')",
    )
    .await;
    for id in ["notify-in-app", "notify-push", "notify-webhooks"] {
        assert_eq!(
            b.find(&format!("#{id}"))
                .await
                .prop("checked")
                .await
                .unwrap()
                .as_deref(),
            Some("true"),
            "{id}"
        );
    }
    b.click("#notify-push").await;
    b.find("#default-reminder")
        .await
        .select_by_value("PT30M")
        .await
        .unwrap();
    b.click(".settings-form button[type=submit]").await;
    b.until(
        "saved",
        "document.body.innerText.includes('Saved your notification settings.')",
    )
    .await;
    b.goto(&app.url("/settings/notifications")).await;
    let state = b
        .js("return ['notify-in-app', 'notify-push', 'notify-webhooks'].map(i => document.getElementById(i).checked).concat([document.getElementById('default-reminder').value])")
        .await;
    assert_eq!(state, serde_json::json!([true, false, true, "PT30M"]));
    let errors: Vec<String> = b
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.contains("Failed to load resource"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
}

/// The row id (`task-7`) of the task titled `title` on the list page.
async fn row_on_list(b: &Browser, app: &App, title: &str) -> String {
    let back = b.js("return window.location.href").await;
    b.goto(&app.url("/?status=all")).await;
    let id = row(b, title).await.unwrap();
    b.goto(back.as_str().unwrap()).await;
    id
}

fn row_id_number(id: &str) -> i64 {
    id.trim_start_matches("task-").parse().unwrap()
}

#[tokio::test]
async fn reminders_on_serve() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::serve().await;
    reminders(&b, &app).await;
    b.client.close().await.unwrap();
}

#[tokio::test]
async fn reminders_on_frontend_and_backend() {
    let _one = ONE_BROWSER.lock().await;
    let Some(b) = Browser::start(1280, 860, true).await else {
        return;
    };
    let app = App::split().await;
    reminders(&b, &app).await;
    b.client.close().await.unwrap();
}
