//! The frame of every page (header, navigation, live indicator) and the formatting helpers.

use super::super::assets;
use super::super::auth::Caller;
use super::super::state::App;
use axum::http::StatusCode;
use axum::response::Html;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// What a page is, for its frame.
pub struct Frame<'a> {
    pub here: &'a str,
    pub title: &'a str,
    /// Whether the page's counts update live (it listens to `/api/events`).
    pub live: bool,
}

pub fn page(app: &App, frame: Frame<'_>, body: Markup) -> Html<String> {
    let v = assets::version();
    let nav = [
        ("overview", "/", "Overview"),
        ("jobs", "/jobs", "Jobs"),
        ("failed", "/failed", "Failed"),
        ("batches", "/batches", "Batches"),
        ("queues", "/queues", "Queues"),
        ("workers", "/workers", "Workers"),
    ];
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · queue" }
                link rel="stylesheet" href=(app.at(&format!("/assets/ui.{v}.css")));
            }
            body data-base=(app.opts.base) data-live[frame.live] {
                header.top {
                    span.brand { "queue" small { (app.opts.connection) " · " (app.opts.place) } }
                    nav {
                        @for (key, path, label) in nav {
                            a.here[key == frame.here] href=(app.at(path)) { (label) }
                        }
                    }
                    div.right {
                        @if app.opts.read_only { span.ro { "read-only" } }
                        @if frame.live { span #live .live { "connecting" } }
                    }
                }
                main { (body) }
                script src=(app.at(&format!("/assets/ui.{v}.js"))) {}
            }
        }
    };
    Html(markup.into_string())
}

/// A failure as a page of its own (it needs no store and no session).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (status.as_u16()) " · queue" } }
            body style="font: 15px system-ui, sans-serif; margin: 48px; color: #111827" {
                h1 style="font-size: 20px" { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
                p { (message) }
                p { a href="javascript:history.back()" { "Back" } }
            }
        }
    };
    Html(markup.into_string())
}

/// The hidden CSRF field every form carries.
pub fn csrf(caller: &Caller) -> Markup {
    html! { input type="hidden" name="csrf" value=(caller.csrf); }
}

/// A note at the top of a page after a change (`?done=…`).
pub fn flash(done: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = done.filter(|t| !t.is_empty()) { div.flash role="status" { (text) } }
    }
}

/// Milliseconds for a person: 850 ms, 2.3 s, 4.0 min, 1.2 h.
pub fn ms(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v < 1_000.0 => format!("{v:.0} ms"),
        Some(v) if v < 60_000.0 => format!("{:.1} s", v / 1_000.0),
        Some(v) if v < 3_600_000.0 => format!("{:.1} min", v / 60_000.0),
        Some(v) => format!("{:.1} h", v / 3_600_000.0),
    }
}

/// An age in seconds for a person (as the script writes it).
pub fn age_s(v: Option<i64>) -> String {
    match v {
        None => "–".into(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 86400 => format!("{:.1} h", s as f64 / 3600.0),
        Some(s) => format!("{:.1} d", s as f64 / 86400.0),
    }
}

pub fn percent(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v > 0.0 && v < 0.001 => "<0.1%".into(),
        Some(v) => format!("{:.1}%", v * 100.0),
    }
}

pub fn rate(per_min: f64) -> String {
    match per_min {
        0.0 => "0".into(),
        v if v < 1.0 => format!("{v:.2}"),
        v if v < 100.0 => format!("{v:.1}"),
        v => format!("{v:.0}"),
    }
}

/// An RFC 3339 instant shortened to the second, for tables.
pub fn when(text: &str) -> String {
    text.get(..19).unwrap_or(text).replace('T', " ")
}

/// A raw piece of markup (an SVG chart built as text).
pub fn raw(text: String) -> Markup {
    PreEscaped(text)
}

/// A value percent-encoded for a query string or a path segment.
pub fn enc(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)])
        .map(|s| s[2..].to_string())
        .unwrap_or_default()
}
