//! The pages without a browser: plain form posts as a no-JavaScript client sends them, the security
//! headers, CSRF refusals, asset caching, and the frontend's own health and `/api/*` proxy.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};

use crate::harness::App;

const FORM: &str = "application/x-www-form-urlencoded";

fn encode(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

/// A browser without JavaScript: keeps cookies, does not follow redirects by itself.
struct FormClient {
    http: Client,
    cookies: Vec<(String, String)>,
}

impl FormClient {
    fn new() -> Self {
        FormClient {
            http: todo_testkit::http_client()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    fn keep(&mut self, r: &Response) {
        for c in r.headers().get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !v.is_empty() {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn csrf(&self) -> String {
        self.cookies
            .iter()
            .find(|(k, _)| k == "todo.csrf")
            .map(|(_, v)| v.clone())
            .expect("a CSRF cookie")
    }

    /// The CSRF token a signed-in page carries: bound to the session, not the anonymous cookie.
    async fn page_csrf(&mut self, url: &str) -> String {
        let (_, page) = self.get(url).await;
        page.split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a CSRF field on the page")
            .to_owned()
    }

    async fn get(&mut self, url: &str) -> (u16, String) {
        let r = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts a form; returns the status and the redirect target or the page.
    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(url)
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, FORM)
            .body(encode(form))
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let status = r.status().as_u16();
        match r.headers().get(LOCATION) {
            Some(l) => (status, l.to_str().unwrap().to_owned()),
            None => (status, r.text().await.unwrap()),
        }
    }
}

async fn plain_forms(app: App) {
    let mut c = FormClient::new();
    let (status, _) = c.get(&app.url("/sign-up")).await;
    assert_eq!(status, 200);
    let csrf = c.csrf();

    // No token, a wrong token, or a foreign Origin: refused before anything happens.
    let (status, page) = c
        .post(
            &app.url("/sign-up"),
            &[("email", "x@example.com"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(page.contains("This form expired or did not come from this site"));
    let (status, _) = c
        .post(
            &app.url("/sign-up"),
            &[("_csrf", "forged"), ("email", "x@example.com")],
        )
        .await;
    assert_eq!(status, 403);
    let r = c
        .http
        .post(app.url("/sign-up"))
        .header(COOKIE, c.cookie_header())
        .header("origin", "https://evil.example")
        .header(CONTENT_TYPE, FORM)
        .body(encode(&[
            ("_csrf", csrf.as_str()),
            ("email", "x@example.com"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Sign up, add, toggle, delete: each a POST answered with a redirect back to the list.
    let who = format!("plain-{}@example.com", std::process::id());
    let (status, to) = c
        .post(
            &app.url("/sign-up"),
            &[
                ("_csrf", &csrf),
                ("name", "Plain"),
                ("email", &who),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/"));
    // Signed in, forms carry the token bound to the session.
    let anonymous = csrf;
    let csrf = c.page_csrf(&app.url("/")).await;
    assert_ne!(csrf, anonymous);
    let (status, to) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Plain task"),
                ("priority", "high"),
                ("tags", "a, b"),
                ("due", "2030-01-02"),
                ("back", "/?status=pending"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/?status=pending"));
    let (_, page) = c.get(&app.url("/?status=pending")).await;
    assert!(page.contains("Added “Plain task”."), "flash shown once");
    assert!(
        page.contains("Plain task")
            && page.contains("#a")
            && page.contains("datetime=\"2030-01-02\"")
    );
    let (_, page) = c.get(&app.url("/")).await;
    assert!(
        !page.contains("Added “Plain task”."),
        "flash shown only once"
    );
    let id = page
        .split("<li class=\"task")
        .nth(1)
        .and_then(|s| s.split("id=\"task-").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    // Junk input never makes a 500: the page comes back with the error beside the field.
    let long = "x".repeat(300);
    for (field, value, error) in [
        ("title", long.as_str(), "Title must be"),
        ("due", "next tuesday", "Due date"),
        ("priority", "urgent", "Priority"),
    ] {
        let mut form = vec![
            ("_csrf", csrf.as_str()),
            ("title", "ok"),
            ("back", "//evil.example"),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let (status, page) = c.post(&app.url(&format!("/tasks/{id}")), &form).await;
        assert_eq!(status, 422, "{field}");
        assert!(
            page.contains(error),
            "{field}: no {error:?} on the page: {page}"
        );
        assert!(page.contains("class=\"field-error\""), "{field}");
    }
    let (status, to) = c
        .post(
            &app.url(&format!("/tasks/{id}/toggle")),
            &[("_csrf", &csrf), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/"),
        "redirects stay on this site"
    );
    let (_, page) = c.get(&app.url("/")).await;
    assert!(page.contains("Completed “Plain task”."));
    assert!(page.contains("aria-pressed=\"true\""));
    let (status, page) = c
        .post(&app.url("/tasks/nope/toggle"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, 404);
    assert!(page.contains("Page not found"));
    let (status, _) = c
        .post(&app.url("/tasks/999999/toggle"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url("/")).await;
    assert!(page.contains("That task no longer exists."));
    let (status, _) = c
        .post(
            &app.url(&format!("/tasks/{id}/delete")),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url("/")).await;
    assert!(page.contains("Deleted “Plain task”.") && page.contains(">Undo<"));
    assert!(page.contains("Nothing to do yet"));
    // Pages: 20 tasks a page, then a link to the next (the API's keyset cursor) and back to the first.
    for n in 0..21 {
        let title = format!("Paged {n:02}");
        let (status, _) = c
            .post(&app.url("/tasks"), &[("_csrf", &csrf), ("title", &title)])
            .await;
        assert_eq!(status, 303);
    }
    c.get(&app.url("/")).await; // shows (and clears) the last "Added" message
    let (status, _) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Urgent one"),
                ("priority", "high"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url("/?priority=high")).await;
    assert_eq!(
        page.matches("<li class=\"task").count(),
        1,
        "priority filter"
    );
    assert!(page.contains("Urgent one"));
    let (_, page) = c.get(&app.url("/?status=completed")).await;
    assert!(page.contains("No matching tasks"), "filtered empty state");
    let (_, page) = c.get(&app.url("/?sort=title")).await;
    assert_eq!(page.matches("<li class=\"task").count(), 20);
    assert!(page.contains("Paged 00") && !page.contains("Paged 20"));
    let next = page
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("cursor="))
        .expect("a next-page link")
        .replace("&#38;", "&");
    assert!(next.starts_with("/?sort=title&cursor="), "{next}");
    let (_, page) = c.get(&app.url(&next)).await;
    assert_eq!(page.matches("<li class=\"task").count(), 2);
    assert!(
        page.contains("Paged 20") && page.contains("Urgent one") && page.contains(">First page<")
    );
    assert!(!page.contains(">Next page<"));
    let (_, page) = c.get(&app.url("/?cursor=forged")).await;
    assert!(
        page.contains("id=\"filter-error\""),
        "a forged cursor is explained"
    );

    // A filter the API refuses is explained, not a failure.
    let (status, page) = c.get(&app.url("/?tag=not%20ok!")).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"filter-error\""), "{page}");

    // Signed out, the list is out of reach again.
    let (status, to) = c.post(&app.url("/sign-out"), &[("_csrf", &csrf)]).await;
    assert_eq!((status, to.as_str()), (303, "/sign-in"));
    let (status, to) = c
        .post(&app.url("/tasks"), &[("_csrf", &anonymous), ("title", "x")])
        .await;
    assert_eq!((status, to.as_str()), (303, "/sign-in"));
}

#[tokio::test]
async fn plain_forms_on_serve() {
    plain_forms(App::serve().await).await;
}

#[tokio::test]
async fn plain_forms_on_frontend_and_backend() {
    plain_forms(App::split().await).await;
}

/// Issue 14 on the pages: a CSRF pair planted beside the victim's session is refused, a `back`
/// that cannot be a `Location` is dropped before the action, and no page is kept by a cache.
async fn session_bound_forms(app: App) {
    let mut c = FormClient::new();
    c.get(&app.url("/sign-up")).await;
    let anonymous = c.csrf();
    let who = format!("bound-{}@example.com", std::process::id());
    let form = [
        ("_csrf", anonymous.as_str()),
        ("email", who.as_str()),
        ("password", "correct horse battery"),
    ];
    assert_eq!(c.post(&app.url("/sign-up"), &form).await.0, 303);
    let r = c
        .http
        .get(app.url("/"))
        .header(COOKIE, c.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[CACHE_CONTROL], "no-store", "the task page");

    // An attacker who can set cookies for this site pairs their own CSRF cookie and field.
    let session = c
        .cookies
        .iter()
        .find(|(k, _)| k == "better-auth.session_token")
        .map(|(k, v)| format!("{k}={v}"))
        .expect("signed in");
    let planted = format!("{session}; todo.csrf=planted");
    let r = c
        .http
        .post(app.url("/tasks"))
        .header(COOKIE, planted)
        .header(CONTENT_TYPE, FORM)
        .body(encode(&[("_csrf", "planted"), ("title", "Planted")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The old double-submit token does not pass for a signed-in browser either.
    let (status, _) = c
        .post(
            &app.url("/tasks"),
            &[("_csrf", &anonymous), ("title", "Planted")],
        )
        .await;
    assert_eq!(status, 403);

    let csrf = c.page_csrf(&app.url("/")).await;
    let (status, to) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Once"),
                ("back", "/?q=x\r\nSet-Cookie: a=b"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/"));
    let (status, to) = c
        .post(
            &app.url("/tasks"),
            &[("_csrf", &csrf), ("title", "Café"), ("back", "/?q=café")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/?q=caf%C3%A9"));
    let (_, page) = c.get(&app.url("/")).await;
    assert!(!page.contains("Planted"));
    assert_eq!(page.matches(">Once<").count(), 1, "{page}");
}

#[tokio::test]
async fn session_bound_forms_on_serve() {
    session_bound_forms(App::serve().await).await;
}

/// Posts JSON as the app's scripts do: the session cookie, and the CSRF token and Origin when given.
async fn post_json(
    c: &FormClient,
    url: &str,
    token: Option<&str>,
    origin: Option<&str>,
    body: serde_json::Value,
) -> (u16, String) {
    let mut r = c
        .http
        .post(url)
        .header(COOKIE, c.cookie_header())
        .json(&body);
    if let Some(t) = token {
        r = r.header("x-csrf-token", t);
    }
    if let Some(o) = origin {
        r = r.header("origin", o);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A subscription as a browser writes it, at an https endpoint (stored, never sent to in this test).
fn subscription(endpoint: &str) -> serde_json::Value {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let mut point = [7u8; 65];
    point[0] = 4;
    serde_json::json!({"endpoint": endpoint, "keys": {"p256dh": b64(&point), "auth": b64(&[1u8; 16])}})
}

/// The service worker's swap of a replaced subscription (`/settings/push/renew`) passes the checks the
/// settings page's posts do: the session cookie, the session's CSRF token (which the worker reads
/// from a same-origin GET, as a page embeds it) and the Origin check; refused, it changes nothing.
async fn subscription_renewal(app: App) {
    let mut c = FormClient::new();
    c.get(&app.url("/sign-up")).await;
    let anonymous = c.csrf();
    let who = format!("renew-{}@example.com", std::process::id());
    let form = [
        ("_csrf", anonymous.as_str()),
        ("email", who.as_str()),
        ("password", "correct horse battery"),
    ];
    assert_eq!(c.post(&app.url("/sign-up"), &form).await.0, 303);

    let url = app.url("/settings/push/renew");
    let (status, body) = c.get(&url).await;
    assert_eq!(status, 200, "{body}");
    let given: serde_json::Value = serde_json::from_str(&body).unwrap();
    let csrf = given["csrf"].as_str().unwrap().to_owned();
    assert_eq!(
        csrf,
        c.page_csrf(&app.url("/")).await,
        "the session's token"
    );
    let (_, page) = c.get(&app.url("/settings/push")).await;
    let key = given["key"].as_str().unwrap();
    assert!(
        key.len() > 80 && page.contains(&format!("data-key=\"{key}\"")),
        "the key the page subscribes with: {key}"
    );

    let old = subscription("https://push.example/old");
    let new = subscription("https://push.example/new");
    let subscribe = app.url("/settings/push/subscription");
    let (status, body) = post_json(&c, &subscribe, Some(&csrf), None, old).await;
    assert_eq!(status, 204, "{body}");
    let swap = serde_json::json!({"old_endpoint": "https://push.example/old", "subscription": new});
    for (token, origin) in [
        (None, None),
        (Some("forged"), None),
        (Some(anonymous.as_str()), None),
        (Some(csrf.as_str()), Some("https://evil.example")),
    ] {
        let (status, _) = post_json(&c, &url, token, origin, swap.clone()).await;
        assert_eq!(status, 403, "token {token:?}, origin {origin:?}");
    }
    let (status, body) = post_json(
        &c,
        &url,
        Some(&csrf),
        None,
        serde_json::json!({"old_endpoint": "", "subscription": {"endpoint": "http://push.example/x"}}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: serde_json::Value = serde_json::from_str(&body).unwrap();
    for f in [
        "old_endpoint",
        "subscription.endpoint",
        "subscription.keys.p256dh",
    ] {
        assert!(fields["error"]["fields"][f].is_string(), "{f}: {body}");
    }
    let (_, page) = c.get(&app.url("/settings/push")).await;
    assert!(
        page.contains("1 device receives your reminders."),
        "unchanged"
    );

    let (status, body) = post_json(&c, &url, Some(&csrf), None, swap).await;
    assert_eq!(status, 204, "{body}");
    // Swapped, not added: still one device.
    let (_, page) = c.get(&app.url("/settings/push")).await;
    assert!(
        page.contains("1 device receives your reminders."),
        "swapped"
    );

    // Signed out, the worker is sent to the sign-in page (which it treats as a failure).
    let r = FormClient::new().http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/sign-in");
}

#[tokio::test]
async fn subscription_renewal_on_frontend_and_backend() {
    subscription_renewal(App::split().await).await;
}

/// Guessing through the sign-in form meets the same limits as the API, explained on the form.
#[tokio::test]
async fn the_sign_in_form_explains_a_limit() {
    let app = App::serve().await;
    let mut c = FormClient::new();
    c.get(&app.url("/sign-in")).await;
    let csrf = c.csrf();
    let guess = |n: usize| format!("guess number {n}");
    let mut answers = Vec::new();
    for n in 0..11 {
        let password = guess(n);
        let form = [
            ("_csrf", csrf.as_str()),
            ("email", "guessed@example.com"),
            ("password", password.as_str()),
        ];
        answers.push(c.post(&app.url("/sign-in"), &form).await);
    }
    let (status, page) = answers.pop().unwrap();
    assert!(answers.iter().all(|(s, _)| *s == 401 || *s == 429));
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many attempts. Please wait"), "{page}");
}

/// A raw request line, as a client that does not normalise paths sends it; the status answered.
async fn raw_get(base: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://").to_owned();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();
    answer.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_frontend_proxy_refuses_dot_segments() {
    let app = App::split().await;
    for path in [
        "/api/../openapi.json",
        "/api/%2e%2e/ready",
        "/api/.%2E/openapi.json",
    ] {
        assert_eq!(raw_get(&app.base, path).await, 400, "{path}");
    }
    assert_eq!(raw_get(&app.base, "/api/health").await, 200);
}

#[tokio::test]
async fn headers_assets_and_the_frontend_proxy() {
    let app = App::split().await;
    let http = todo_testkit::http_client()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = http.get(app.url("/sign-in")).send().await.unwrap();
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let csrf_cookie = h[SET_COOKIE].to_str().unwrap();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));
    let page = r.text().await.unwrap();
    assert!(!page.contains("style=\""), "inline styles break the CSP");
    assert!(!page.contains("<script>"), "inline scripts break the CSP");

    // Assets: content-hashed URLs, cached for a year; a stale hash is a 404.
    let css = page
        .split("href=\"/static/app.")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let r = http
        .get(app.url(&format!("/static/app.{css}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(r.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let r = http
        .get(app.url("/static/app.0000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The frontend's own health, and the API through the proxy (cookie and JSON errors intact).
    let r = http.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"status":"healthy"}"#);
    let r = http
        .post(app.url("/api/auth/sign-up/email"))
        .json(&serde_json::json!({"email": format!("proxy-{}@example.com", std::process::id()), "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("better-auth.session_token="));
    let body: serde_json::Value = r.json().await.unwrap();
    let r = http
        .get(app.url("/api/auth/token"))
        .bearer_auth(body["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let jwt: serde_json::Value = r.json().await.unwrap();
    let me = body["user"]["id"].as_str().unwrap();
    let r = http
        .post(app.url(&format!("/api/{me}/tasks")))
        .bearer_auth(jwt["token"].as_str().unwrap())
        .json(&serde_json::json!({"title": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(err["error"]["fields"]["title"].is_string(), "{err}");
    let r = http.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Page not found"));
}

/// A `multipart/form-data` body with `fields` in order; a field with a file name is a file.
fn multipart(fields: &[(&str, Option<&str>, &str)]) -> (String, String) {
    let boundary = "----todo-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, file_name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
        ));
        if let Some(f) = file_name {
            body.push_str(&format!("; filename=\"{f}\"\r\nContent-Type: text/csv"));
        }
        body.push_str(&format!("\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl FormClient {
    /// Posts a multipart form; returns the status and the redirect target or the page.
    async fn upload(&mut self, url: &str, fields: &[(&str, Option<&str>, &str)]) -> (u16, String) {
        let (content_type, body) = multipart(fields);
        let r = self
            .http
            .post(url)
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let status = r.status().as_u16();
        match r.headers().get(LOCATION) {
            Some(l) => (status, l.to_str().unwrap().to_owned()),
            None => (status, r.text().await.unwrap()),
        }
    }
}

/// The value of the hidden field `name` on `page`.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no field {name} on {page}"))
        .to_owned()
}

/// Import and export without JavaScript: a file upload previews, confirming imports, the export
/// downloads; refusals change nothing.
async fn import_and_export_forms(app: App) {
    let mut c = FormClient::new();
    let (status, to) = c.get(&app.url("/settings/data")).await;
    assert_eq!(status, 303, "{to}");
    c.get(&app.url("/sign-up")).await;
    let anonymous = c.csrf();
    let who = format!("transfer-{}@example.com", std::process::id());
    let form = [
        ("_csrf", anonymous.as_str()),
        ("email", who.as_str()),
        ("password", "correct horse battery"),
    ];
    assert_eq!(c.post(&app.url("/sign-up"), &form).await.0, 303);
    let (status, page) = c.get(&app.url("/settings/data")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Import and export</h1>")
            && page.contains("enctype=\"multipart/form-data\"")
    );
    let csrf = c.page_csrf(&app.url("/settings/data")).await;
    let import = app.url("/settings/data/import");
    let csv = "title,due,list\nBuy milk,2027-01-05,Groceries\nStretch,every weekday at 7am,\n";

    // Without the token: refused before anything is read.
    let (status, _) = c.upload(&import, &[("file", Some("tasks.csv"), csv)]).await;
    assert_eq!(status, 403);
    // A bad row: the page names it, and nothing is imported.
    let bad = "title,due\nA,2027-01-05\nB,when pigs fly\n";
    let (status, page) = c
        .upload(
            &import,
            &[("_csrf", None, &csrf), ("file", Some("bad.csv"), bad)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Row 3, due"), "{page}");
    let (status, page) = c
        .upload(&import, &[("_csrf", None, &csrf), ("list", None, "")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Choose a file to import."), "{page}");

    // A good file: a preview first, and nothing imported until it is confirmed.
    let (status, page) = c
        .upload(
            &import,
            &[
                ("_csrf", None, &csrf),
                ("file", Some("tasks.csv"), csv),
                ("list", None, ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("This file has 2 tasks"), "{page}");
    assert!(page.contains("Groceries: 1 task (new list)"), "{page}");
    assert!(page.contains("repeats Every weekday"), "{page}");
    // An export document's preview counts its reminders.
    let reminded = r#"{"format": "todo-export", "version": 1, "tasks": [{"title": "Call",
        "due_at": "2027-01-05T10:00:00Z", "reminders": [{"before": "PT10M"}, {"before": "P1D", "time": "09:00"}]}]}"#;
    let (status, preview) = c
        .upload(
            &import,
            &[
                ("_csrf", None, &csrf),
                ("file", Some("todo-export.json"), reminded),
                ("list", None, ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert!(
        preview.contains("This file has 1 task with 2 reminders."),
        "{preview}"
    );
    let (status, doc) = c.get(&app.url("/settings/data/export")).await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["tasks"], serde_json::json!([]));

    let content = hidden(&page, "content");
    let (status, to) = c
        .upload(
            &import,
            &[
                ("_csrf", None, &csrf),
                ("content", None, &content),
                ("file_name", None, "tasks.csv"),
                ("list", None, ""),
                ("confirm", None, "1"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/"));
    let (_, page) = c.get(&app.url("/")).await;
    assert!(
        page.contains("Imported 2 tasks into Inbox, Groceries."),
        "{page}"
    );
    assert!(
        page.contains("Buy milk") && page.contains("Stretch"),
        "{page}"
    );

    // The export is a download of everything.
    let r = c
        .http
        .get(app.url("/settings/data/export"))
        .header(COOKIE, c.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"todo-export-"),
        "{disposition}"
    );
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc["format"], "todo-export");
    assert_eq!(doc["tasks"].as_array().unwrap().len(), 2, "{doc}");
}

#[tokio::test]
async fn import_and_export_forms_on_serve() {
    import_and_export_forms(App::serve().await).await;
}

#[tokio::test]
async fn import_and_export_forms_on_frontend_and_backend() {
    import_and_export_forms(App::split().await).await;
}

/// An attribute value as the page escaped it, back as the browser would post it.
fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the first `name="{name}"` field on `page`.
fn field_value(page: &str, name: &str) -> String {
    let value = page
        .split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field on the page"));
    unescape(value)
}

/// The id after the last `prefix` before `marker` on `page` (a row's id, found by its text).
fn id_before(page: &str, prefix: &str, marker: &str) -> String {
    let before = &page[..page.find(marker).unwrap_or_else(|| panic!("no {marker}"))];
    before
        .rsplit(prefix)
        .next()
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned()
}

/// Issue 10's forms without JavaScript: lists (with the delete-list choice), subtasks with group
/// Undo, the recurrence editor's errors and rules, and the time zone setting.
async fn organising_forms(app: App) {
    let mut c = FormClient::new();
    c.get(&app.url("/sign-up")).await;
    let csrf = c.csrf();
    let who = format!("organise-{}@example.com", std::process::id());
    let (status, _) = c
        .post(
            &app.url("/sign-up"),
            &[
                ("_csrf", &csrf),
                ("name", "Org"),
                ("email", &who),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let csrf = c.page_csrf(&app.url("/lists")).await;

    // Lists: bad names and colours are refused beside their fields.
    let (status, page) = c.get(&app.url("/lists")).await;
    assert_eq!(status, 200);
    assert!(page.contains(">Inbox</a>"));
    assert!(
        !page.contains("Delete<span class=\"visually-hidden\"> “Inbox”"),
        "the Inbox cannot be deleted"
    );
    assert!(
        !page.contains("Archive<span class=\"visually-hidden\"> “Inbox”"),
        "nor archived"
    );
    for (name, colour, error) in [("  ", "blue", "Name"), ("Work", "plaid", "Colour")] {
        let (status, page) = c
            .post(
                &app.url("/lists"),
                &[("_csrf", &csrf), ("name", name), ("colour", colour)],
            )
            .await;
        assert_eq!(status, 422, "{name} {colour}");
        assert!(
            page.contains(&format!(
                "<p class=\"field-error\" id=\"new-list-{}-error\">{error}",
                error.to_lowercase()
            )),
            "{page}"
        );
    }
    let (status, to) = c
        .post(
            &app.url("/lists"),
            &[("_csrf", &csrf), ("name", "Work"), ("colour", "blue")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/lists"));
    let (_, page) = c.get(&app.url("/lists")).await;
    assert!(page.contains("Added the list “Work”."));
    let (status, page) = c
        .post(
            &app.url("/lists"),
            &[("_csrf", &csrf), ("name", "work"), ("colour", "red")],
        )
        .await;
    assert_eq!(status, 422, "names are unique ignoring case");
    assert!(page.contains("id=\"new-list-name-error\""));
    let work = id_before(&page, "id=\"list-", ">Work</a>");
    let (status, page) = c
        .post(
            &app.url(&format!("/lists/{work}")),
            &[("_csrf", &csrf), ("name", "Inbox")],
        )
        .await;
    assert_eq!(status, 422, "a rename to a taken name");
    assert!(page.contains(&format!("id=\"list-{work}-name-error\"")));

    // A task in Work, with a subtask; a bad subtask is refused in its own form.
    let back = format!("/?list={work}");
    let (status, to) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Report"),
                ("list", &work),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, back.as_str()));
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(
        page.contains("aria-current=\"page\"><span class=\"dot colour-blue\""),
        "Work is the current list"
    );
    assert!(
        page.contains(&format!(
            "<input type=\"hidden\" name=\"list\" value=\"{work}\">"
        )),
        "filters keep the list"
    );
    let report = id_before(&page, "id=\"task-", "Report</p>");
    let (status, page) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", " "),
                ("parent", &report),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"sub-{report}-title-error\"")),
        "{page}"
    );
    for title in ["Outline", "Draft"] {
        let (status, _) = c
            .post(
                &app.url("/tasks"),
                &[
                    ("_csrf", &csrf),
                    ("title", title),
                    ("parent", &report),
                    ("back", &back),
                ],
            )
            .await;
        assert_eq!(status, 303);
    }
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(page.contains("0/2<span class=\"visually-hidden\"> subtasks done"));
    // Four levels at most: the form is not offered below the third, and a post there is refused.
    let mut parent = id_before(&page, "id=\"task-", "Outline</p>");
    for level in ["Level 3", "Level 4"] {
        c.post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", level),
                ("parent", &parent),
                ("back", &back),
            ],
        )
        .await;
        let (_, page) = c.get(&app.url(&back)).await;
        parent = id_before(&page, "id=\"task-", &format!("{level}</p>"));
    }
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(!page.contains(&format!("id=\"sub-{parent}-title\"")));
    let (status, page) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Level 5"),
                ("parent", &parent),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<p class=\"field-error\">Parent task "),
        "{page}"
    );
    let level3 = id_before(&page, "id=\"task-", "Level 3</p>");
    c.post(
        &app.url(&format!("/tasks/{level3}/delete")),
        &[("_csrf", &csrf)],
    )
    .await;
    assert!(page.contains("class=\"task subtask depth-1"));
    let (status, _) = c
        .post(
            &app.url(&format!("/tasks/{report}/toggle")),
            &[("_csrf", &csrf), ("subtasks", "true"), ("back", &back)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(page.contains("Completed “Report” and its subtasks."));
    assert!(page.contains("2/2<span class=\"visually-hidden\"> subtasks done"));

    // Deleting the parent says what went with it; Undo recreates the group.
    let (status, _) = c
        .post(
            &app.url(&format!("/tasks/{report}/delete")),
            &[("_csrf", &csrf), ("back", &back)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(page.contains("Deleted “Report” and its 2 subtasks."));
    let group = field_value(&page, "group");
    let (status, to) = c
        .post(
            &app.url("/tasks/restore"),
            &[("_csrf", &csrf), ("group", &group), ("back", &back)],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, back.as_str()));
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(
        page.contains("Restored “Report” and its 2 subtasks."),
        "{page}"
    );
    assert!(page.contains("Outline</p>") && page.contains("2/2<span"));
    // A group that is not one is refused politely.
    let (status, to) = c
        .post(
            &app.url("/tasks/restore"),
            &[("_csrf", &csrf), ("group", "[{]"), ("back", &back)],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, back.as_str()));

    // The recurrence editor: each bad field named, a good one made into a rule.
    for (fields, error) in [
        (
            vec![("every", "0")],
            "Repeat every must be a whole number from 1 to 999.",
        ),
        (vec![("ends", "count")], "Number of times is required."),
        (
            vec![("ends", "until"), ("until", "soon")],
            "End date must be a date.",
        ),
        (
            vec![("monthly", "weekday"), ("weekday", "XX"), ("nth", "1")],
            "Weekday is not one of the choices.",
        ),
        (
            vec![("month_day", "40")],
            "Day of the month must be a whole number from 1 to 31.",
        ),
    ] {
        let mut form = vec![
            ("_csrf", csrf.as_str()),
            ("title", "Water"),
            ("recurrence", "monthly"),
            ("back", &back),
        ];
        form.extend(fields);
        let (status, page) = c.post(&app.url("/tasks"), &form).await;
        assert_eq!(status, 422, "{error}");
        assert!(page.contains(error), "no {error:?} on the page");
        assert!(
            page.contains("<details class=\"repeat-more\" open>"),
            "the editor is shown open"
        );
    }
    let (status, page) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Water"),
                ("recurrence", "FREQ=SOMETIMES"),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"new-recurrence-error\">Repeats "));
    let (status, _) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Water"),
                ("list", &work),
                ("due", "2030-01-07"),
                ("recurrence", "weekly"),
                ("every", "2"),
                ("on_mo", "on"),
                ("on_th", "on"),
                ("ends", "count"),
                ("count", "5"),
                ("repeat_from", "completion"),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(
        page.contains("Every other week on Mon and Thu, 5 times, from completion"),
        "{page}"
    );

    // A rule beyond the editor (as the API or the assistant may set) survives editing the task.
    let rule = "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU";
    let (status, _) = c
        .post(
            &app.url("/tasks"),
            &[
                ("_csrf", &csrf),
                ("title", "Clocks"),
                ("due", "2030-03-31"),
                ("recurrence", rule),
                ("list", &work),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url(&back)).await;
    let clocks = id_before(&page, "id=\"task-", "Clocks</p>");
    let edit = page
        .split(&format!("action=\"/tasks/{clocks}\""))
        .nth(1)
        .unwrap();
    let kept = edit
        .split("selected>")
        .find_map(|s| {
            s.rsplit("<option value=\"")
                .next()
                .filter(|o| o.starts_with("FREQ="))
        })
        .and_then(|o| o.split('"').next())
        .expect("the rule is the selected choice")
        .to_owned();
    let (status, _) = c
        .post(
            &app.url(&format!("/tasks/{clocks}")),
            &[
                ("_csrf", &csrf),
                ("title", "Change the clocks"),
                ("due", "2030-03-31"),
                ("recurrence", &unescape(&kept)),
                ("list", &work),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url(&back)).await;
    let row = page.split("Change the clocks</p>").nth(1).unwrap();
    let meta = row.split("</p>").next().unwrap();
    assert!(meta.contains("Every year"), "{meta}");
    c.post(
        &app.url(&format!("/tasks/{clocks}/delete")),
        &[("_csrf", &csrf)],
    )
    .await;

    // Deleting a list with tasks asks first, and nothing changes until the choice is made.
    let (status, page) = c
        .post(
            &app.url(&format!("/lists/{work}/delete")),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("This list still has 4 tasks."));
    assert!(page.contains("value=\"move\"") && page.contains("value=\"delete\""));
    let (_, page) = c.get(&app.url(&back)).await;
    assert!(page.contains("Outline</p>"));
    let (status, to) = c
        .post(
            &app.url(&format!("/lists/{work}/delete")),
            &[("_csrf", &csrf), ("tasks", "move")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/lists"));
    let (_, page) = c.get(&app.url("/lists")).await;
    assert!(page.contains("Deleted the list “Work”; 4 tasks moved to the Inbox."));
    assert!(page.contains("1 open of 4"), "the Inbox has them: {page}");
    // An empty list goes without asking; one with tasks can take them along.
    let (_, _) = c
        .post(
            &app.url("/lists"),
            &[("_csrf", &csrf), ("name", "Temp"), ("colour", "pink")],
        )
        .await;
    let (_, page) = c.get(&app.url("/lists")).await;
    let temp = id_before(&page, "id=\"list-", ">Temp</a>");
    c.post(
        &app.url("/tasks"),
        &[("_csrf", &csrf), ("title", "Scratch"), ("list", &temp)],
    )
    .await;
    let (status, _) = c
        .post(
            &app.url(&format!("/lists/{temp}/delete")),
            &[("_csrf", &csrf), ("tasks", "delete")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url("/lists")).await;
    assert!(page.contains("Deleted the list “Temp” and 1 task."));
    let (_, page) = c.get(&app.url("/")).await;
    assert!(!page.contains("Scratch"));
    let inbox = id_before(
        &c.get(&app.url("/lists")).await.1,
        "id=\"list-",
        ">Inbox</a>",
    );
    let (status, _) = c
        .post(
            &app.url(&format!("/lists/{inbox}/delete")),
            &[("_csrf", &csrf), ("tasks", "delete")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url("/lists")).await;
    assert!(page.contains("The Inbox cannot be deleted."));
    assert!(page.contains(">Inbox</a>"));
    // Archived lists: out of the sidebar's main group, into its collapsed one.
    c.post(
        &app.url("/lists"),
        &[("_csrf", &csrf), ("name", "Old"), ("colour", "grey")],
    )
    .await;
    let (_, page) = c.get(&app.url("/lists")).await;
    let old = id_before(&page, "id=\"list-", ">Old</a>");
    let (status, _) = c
        .post(
            &app.url(&format!("/lists/{old}/archive")),
            &[("_csrf", &csrf), ("archived", "true")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get(&app.url("/")).await;
    let archived = page
        .split("<details class=\"archived-lists\"")
        .nth(1)
        .expect("an archived group");
    assert!(archived.contains(">Old</span>"));

    // Settings: the time zone, refused when unknown.
    let (status, page) = c.get(&app.url("/settings")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<option value=\"UTC\" selected>"));
    assert!(page.contains("href=\"/settings/data\""));
    let (status, page) = c
        .post(
            &app.url("/settings"),
            &[("_csrf", &csrf), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"time-zone-error\">Time zone "), "{page}");
    let (status, to) = c
        .post(
            &app.url("/settings"),
            &[("_csrf", &csrf), ("time_zone", "Europe/Berlin")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/settings"));
    let (_, page) = c.get(&app.url("/settings")).await;
    assert!(page.contains("<option value=\"Europe/Berlin\" selected>"));
    assert!(page.contains("Saved: your time zone is Europe/Berlin."));
}

#[tokio::test]
async fn organising_forms_on_serve() {
    organising_forms(App::serve().await).await;
}

#[tokio::test]
async fn organising_forms_on_frontend_and_backend() {
    organising_forms(App::split().await).await;
}

/// The calendar settings page without JavaScript: make a link (shown once, on the address the browser
/// used), fetch the feed through it, make a new one (the old answers 404), turn it off.
async fn calendar_feed_page(app: App) {
    let mut c = FormClient::new();
    c.get(&app.url("/sign-up")).await;
    let csrf = c.csrf();
    let who = format!("calendar-{}@example.com", std::process::id());
    let form = [
        ("_csrf", csrf.as_str()),
        ("name", "Cal"),
        ("email", who.as_str()),
        ("password", "correct horse battery"),
    ];
    let (status, _) = c.post(&app.url("/sign-up"), &form).await;
    assert_eq!(status, 303);
    let csrf = c.page_csrf(&app.url("/")).await;
    let task = [
        ("_csrf", csrf.as_str()),
        ("title", "Dentist, 2nd floor"),
        ("due", "2030-01-02"),
    ];
    let (status, _) = c.post(&app.url("/tasks"), &task).await;
    assert_eq!(status, 303);

    let (status, settings) = c.get(&app.url("/settings")).await;
    assert_eq!(status, 200);
    assert!(
        settings.contains("href=\"/settings/calendar\""),
        "linked from settings"
    );
    let (status, page) = c.get(&app.url("/settings/calendar")).await;
    assert_eq!(status, 200);
    assert!(page.contains("You have no feed link."), "{page}");
    assert!(
        page.contains("VTODO") && page.contains("VEVENT"),
        "the note on the two forms"
    );

    let link_of = |page: &str| -> String {
        let start = format!("value=\"{}/calendar/", app.base);
        let rest = page
            .split(&start)
            .nth(1)
            .unwrap_or_else(|| panic!("no link on {}: {page}", app.base));
        format!("{}/calendar/{}", app.base, rest.split('"').next().unwrap())
    };
    let (status, page) = c
        .post(&app.url("/settings/calendar/new"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, 200);
    let first = link_of(&page);
    assert!(first.ends_with(".ics"), "{first}");
    assert!(page.contains(&format!("{first}?as=events")));

    let feed = c.http.get(&first).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(feed.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    assert!(feed
        .text()
        .await
        .unwrap()
        .contains(r"SUMMARY:Dentist\, 2nd floor"));
    let (_, page) = c.get(&app.url("/settings/calendar")).await;
    assert!(
        page.contains("A feed link is active") && !page.contains(&first),
        "shown once: {page}"
    );

    let (_, page) = c
        .post(&app.url("/settings/calendar/new"), &[("_csrf", &csrf)])
        .await;
    let second = link_of(&page);
    assert_ne!(first, second);
    assert_eq!(c.http.get(&first).send().await.unwrap().status(), 404);
    assert_eq!(c.http.get(&second).send().await.unwrap().status(), 200);

    // A form without the session's token changes nothing.
    let (status, _) = c
        .post(
            &app.url("/settings/calendar/revoke"),
            &[("_csrf", "forged")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(c.http.get(&second).send().await.unwrap().status(), 200);
    let (status, to) = c
        .post(&app.url("/settings/calendar/revoke"), &[("_csrf", &csrf)])
        .await;
    assert_eq!((status, to.as_str()), (303, "/settings/calendar"));
    assert_eq!(c.http.get(&second).send().await.unwrap().status(), 404);
    let (_, page) = c.get(&app.url("/settings/calendar")).await;
    assert!(
        page.contains("The feed link is turned off") && page.contains("You have no feed link.")
    );
}

#[tokio::test]
async fn calendar_feed_page_on_serve() {
    calendar_feed_page(App::serve().await).await;
}

#[tokio::test]
async fn calendar_feed_page_on_frontend_and_backend() {
    calendar_feed_page(App::split().await).await;
}

/// The webhooks page without JavaScript: adding one shows its secret once, an internal address is
/// refused beside the field, a test event's refused delivery shows in the log with its error, and
/// deleting removes it.
async fn webhook_forms(app: App) {
    let mut c = FormClient::new();
    c.get(&app.url("/sign-up")).await;
    let anonymous = c.csrf();
    let who = format!("hooks-{}@example.com", std::process::id());
    let form = [
        ("_csrf", anonymous.as_str()),
        ("email", who.as_str()),
        ("password", "correct horse battery"),
    ];
    assert_eq!(c.post(&app.url("/sign-up"), &form).await.0, 303);
    let (_, settings) = c.get(&app.url("/settings")).await;
    assert!(settings.contains("href=\"/settings/webhooks\""));
    let page = app.url("/settings/webhooks");
    let csrf = c.page_csrf(&page).await;

    let refused = [
        ("_csrf", csrf.as_str()),
        ("url", "http://127.0.0.1:9/hook"),
        ("events", "task.created"),
    ];
    let (status, body) = c.post(&page, &refused).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("webhook-url-error") && body.contains("No webhooks yet"));

    // A name that resolves to loopback: accepted here, refused when sending.
    let add = [
        ("_csrf", csrf.as_str()),
        ("url", "http://localhost:9/hook"),
        ("events", "task.created"),
        ("events", "reminder.due"),
    ];
    let (status, body) = c.post(&page, &add).await;
    assert_eq!(status, 200, "{body}");
    let secret = body
        .split("id=\"webhook-secret\" type=\"text\" readonly value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the secret on the page");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(body.contains("task.created, reminder.due"));
    let (_, later) = c.get(&page).await;
    assert!(!later.contains(secret), "the secret is shown once");
    let id = later
        .split("action=\"/settings/webhooks/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();

    let (status, to) = c
        .post(
            &app.url(&format!("/settings/webhooks/{id}/test")),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/settings/webhooks"));
    let mut log = String::new();
    for _ in 0..50 {
        log = c.get(&page).await.1;
        if log.contains("refused") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        log.contains("webhook.test") && log.contains("failed"),
        "{log}"
    );
    assert!(log.contains("refused: localhost"), "{log}");

    let (status, _) = c
        .post(
            &app.url(&format!("/settings/webhooks/{id}/delete")),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    assert!(c.get(&page).await.1.contains("No webhooks yet"));
}

#[tokio::test]
async fn webhook_forms_on_serve() {
    webhook_forms(App::serve().await).await;
}

#[tokio::test]
async fn webhook_forms_on_frontend_and_backend() {
    webhook_forms(App::split().await).await;
}
