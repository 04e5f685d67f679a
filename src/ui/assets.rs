//! The stylesheet and the script, compiled into the binary (no CDN, no network), served with
//! a long cache lifetime under a name that changes with their content.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub const CSS: &str = include_str!("assets/ui.css");
pub const JS: &str = include_str!("assets/ui.js");

/// A short fingerprint of both files, so that a new binary's assets are never read from an
/// old cache.
pub fn version() -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in CSS.bytes().chain(JS.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    format!("{h:08x}")
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.split_once('.').map(|(_, ext)| ext) {
        Some(ext) if file.starts_with("ui.") && ext.ends_with("css") => {
            (CSS, "text/css; charset=utf-8")
        }
        Some(ext) if file.starts_with("ui.") && ext.ends_with("js") => {
            (JS, "text/javascript; charset=utf-8")
        }
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}
