//! Static assets compiled into the binary and served under content-hashed names
//! (`/static/app.3f2a9c1b0d.css`), so browsers may cache them for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub struct Asset {
    /// The name in the source tree, e.g. `app.css`.
    pub name: &'static str,
    /// The URL it is served at, with a content hash.
    pub url: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

fn asset(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let hash = Sha256::digest(bytes);
    let hex: String = hash[..5].iter().map(|b| format!("{b:02x}")).collect();
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    Asset {
        name,
        url: format!("/static/{stem}.{hex}.{ext}"),
        content_type,
        bytes,
    }
}

pub static ASSETS: LazyLock<[Asset; 7]> = LazyLock::new(|| {
    [
        asset(
            "app.css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/app.css"),
        ),
        asset(
            "app.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/app.js"),
        ),
        asset(
            "htmx.min.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/vendor/htmx.min.js"),
        ),
        asset(
            "icon.svg",
            "image/svg+xml",
            include_bytes!("../assets/icon.svg"),
        ),
        asset(
            "push.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/push.js"),
        ),
        // The home-screen icons (icon.svg drawn at 192 and 512 pixels), for the manifest.
        asset(
            "icon-192.png",
            "image/png",
            include_bytes!("../assets/icon-192.png"),
        ),
        asset(
            "icon-512.png",
            "image/png",
            include_bytes!("../assets/icon-512.png"),
        ),
    ]
});

/// The hashed URL of the asset named `name`.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.url.as_str())
        .expect("known asset")
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    match ASSETS.iter().find(|a| a.url == wanted) {
        Some(a) => (
            [
                (CONTENT_TYPE, a.content_type),
                (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(CACHE_CONTROL, "no-store")],
            "not found",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Must equal `SHA256` in scripts/vendor-htmx.sh, which fetched the file from npm and checked it.
    const HTMX_SHA256: &str = "22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313";

    #[test]
    fn vendored_htmx_matches_the_pinned_hash() {
        let bytes = include_bytes!("../assets/vendor/htmx.min.js");
        let hex: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, HTMX_SHA256, "run scripts/vendor-htmx.sh");
        let script = include_str!("../../../scripts/vendor-htmx.sh");
        assert!(
            script.contains(&format!("SHA256={HTMX_SHA256}")),
            "pins disagree"
        );
    }

    #[test]
    fn urls_carry_a_content_hash() {
        let css = url("app.css");
        assert!(css.starts_with("/static/app.") && css.ends_with(".css"));
        assert_eq!(css.len(), "/static/app.0123456789.css".len());
    }
}
