//! The frame every page shares, how pages are rendered and redirected, and the pages that only say
//! something: the backend failed, there is no such page, the form expired.

use askama::Template;
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::api::Me;
use crate::assets;

/// What `base.html` shows around every page.
pub struct Layout {
    pub title: String,
    pub csrf: String,
    pub user: Option<Me>,
    pub css: &'static str,
    pub js: &'static str,
    pub htmx: &'static str,
    pub icon: &'static str,
    /// The service worker's registration and the push switch.
    pub push_js: &'static str,
    pub touch_icon: &'static str,
}

impl Layout {
    pub fn new(title: &str, csrf: String, user: Option<Me>) -> Self {
        Layout {
            title: title.to_owned(),
            csrf,
            user,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            htmx: assets::url("htmx.min.js"),
            icon: assets::url("icon.svg"),
            push_js: assets::url("push.js"),
            touch_icon: assets::url("icon-192.png"),
        }
    }
}

pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Redirect-after-post; htmx follows it and swaps in the result. A header carries only visible
/// ASCII, so anything else in `to` (a filter in another script) is percent-encoded.
pub fn see_other(to: &str) -> Response {
    let location: String = to
        .bytes()
        .map(|b| match b {
            b'!'..=b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

/// Where to go without a session: htmx is told to load the page whole.
pub fn to_sign_in(htmx: bool) -> Response {
    if htmx {
        ([("hx-redirect", "/sign-in")], StatusCode::NO_CONTENT).into_response()
    } else {
        see_other("/sign-in")
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    message: &'static str,
    link: &'static str,
    link_text: &'static str,
}

fn message_page(
    status: StatusCode,
    title: &str,
    message: &'static str,
    link_text: &'static str,
) -> Response {
    let page = MessagePage {
        layout: Layout::new(title, String::new(), None),
        message,
        link: "/",
        link_text,
    };
    (status, render(&page)).into_response()
}

/// The page could not be produced: the backend is unreachable or answered something unexpected.
pub struct PageError {
    status: StatusCode,
    message: &'static str,
}

impl PageError {
    pub fn unavailable() -> Self {
        PageError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "The service is not reachable right now. Please try again in a moment.",
        }
    }

    /// A backend answer no page expects (`body` is what it said, for the log).
    pub fn unexpected(status: StatusCode, body: &Value) -> Self {
        tracing::warn!(%status, %body, "unexpected backend answer");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return Self::unavailable();
        }
        PageError {
            status: StatusCode::BAD_GATEWAY,
            message: "Something went wrong on our side. Please try again.",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        message_page(
            self.status,
            "Something went wrong",
            self.message,
            "Try again",
        )
    }
}

/// The answer to a form whose CSRF token is missing or stale.
pub fn forbidden_form() -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        "Please try again",
        "This form expired or did not come from this site. Reload the page and try again.",
        "Reload",
    )
}

pub async fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
        "Go to your tasks",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_always_carry_a_location() {
        let r = see_other("/?q=café au lait");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/?q=caf%C3%A9%20au%20lait");
        let r = see_other("/?q=a\r\nSet-Cookie: x=1");
        assert_eq!(r.headers()[LOCATION], "/?q=a%0D%0ASet-Cookie:%20x=1");
    }
}
