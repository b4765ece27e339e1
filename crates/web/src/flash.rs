//! Flash messages: one line shown on the page a redirect leads to, carried there in a short-lived
//! cookie, with the tasks to recreate if a deletion is undone.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::layout::see_other;
use crate::security::{own_cookie, set_cookie};
use crate::tasks::Group;
use crate::WebSettings;

const FLASH_COOKIE: &str = "todo.flash";
/// Cookies stay well under browsers' 4 KiB limit; a deletion too big to carry loses only its Undo.
const FLASH_MAX: usize = 3000;

#[derive(Serialize, Deserialize, Default)]
pub struct Flash {
    pub message: String,
    pub undo: Option<Group>,
}

fn flash_cookie(settings: &WebSettings, flash: &Flash) -> HeaderValue {
    let mut encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(flash).unwrap_or_default());
    if encoded.len() > FLASH_MAX {
        let plain = Flash {
            message: flash.message.clone(),
            undo: None,
        };
        encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&plain).unwrap_or_default());
    }
    set_cookie(settings, FLASH_COOKIE, &encoded, Some(60), "Lax")
}

/// The message the browser brought along, if any.
pub fn read(settings: &WebSettings, headers: &HeaderMap) -> Option<Flash> {
    let raw = own_cookie(settings, headers, FLASH_COOKIE)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()
}

/// Once the page that shows the message is answered, the message is gone.
pub fn clear_shown(settings: &WebSettings, headers: &HeaderMap, response: &mut Response) {
    if own_cookie(settings, headers, FLASH_COOKIE).is_some() {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(settings, FLASH_COOKIE, "", Some(0), "Lax"),
        );
    }
}

/// `page` as the answer, the message it shows cleared.
pub fn shown(settings: &WebSettings, headers: &HeaderMap, page: impl IntoResponse) -> Response {
    let mut response = page.into_response();
    clear_shown(settings, headers, &mut response);
    response
}

pub fn redirect_with_flash(
    settings: &WebSettings,
    to: &str,
    message: String,
    undo: Option<Group>,
) -> Response {
    let mut r = see_other(to);
    r.headers_mut()
        .append(SET_COOKIE, flash_cookie(settings, &Flash { message, undo }));
    r
}
