//! Who may do what (PRODUCT.md §10). With a token, every request needs `Authorization: Bearer
//! TOKEN` or a session started with the token at `/login` (a cookie); without one (loopback
//! only), a browser gets a session at its first visit. Every POST is refused in `--read-only`
//! mode, and otherwise needs the session's CSRF token (the `X-CSRF-Token` header, or a `csrf`
//! form field) unless it carries the bearer token, which a browser never sends on its own to
//! another site's request. Without a token, requests must name a loopback host (a page of some
//! other site that rebinds its DNS name to 127.0.0.1 cannot read the dashboard). `/health` and
//! the assets are open: they tell nothing of the store.

use super::error::Failure;
use super::state::{App, Session};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

pub const COOKIE: &str = "queue_session";
/// The largest form a page posts (a selection of uuids).
const FORM_LIMIT: usize = 1 << 20;

/// What a request was allowed as, for its handler.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The CSRF token the page's forms carry (empty for a bearer-token client).
    pub csrf: String,
}

/// Constant-time comparison, so that a wrong token's answer time says nothing of the right one.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie_session(app: &App, headers: &HeaderMap) -> Option<Session> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .filter(|(k, _)| *k == COOKIE)
        .find_map(|(_, id)| app.session(id))
}

fn bearer_ok(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = &app.opts.token else {
        return false;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim(), token))
}

/// The host a request names, without its port.
fn host_of(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?.to_string(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h).to_string(),
    };
    Some(name.to_ascii_lowercase())
}

fn loopback_host(headers: &HeaderMap) -> bool {
    match host_of(headers) {
        Some(h) => {
            h == "localhost"
                || h.ends_with(".localhost")
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// A POST from a page of another origin (the browser says where it came from).
fn cross_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !origin_host.eq_ignore_ascii_case(host)
}

/// Paths a client that is not a browser asks for: refused with 401, not sent to the login.
fn machine(path: &str) -> bool {
    path.starts_with("/api/") || path == "/metrics"
}

fn open(path: &str) -> bool {
    path == "/health" || path.starts_with("/assets/") || path == "/login"
}

pub fn session_cookie(app: &App, id: &str) -> HeaderValue {
    let path = if app.opts.base.is_empty() {
        "/"
    } else {
        &app.opts.base
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path={path}; HttpOnly; SameSite=Strict"
    ))
    .expect("a cookie of hex digits")
}

fn refuse(status: StatusCode, message: &str) -> Response {
    Failure::new(status, message).into_response()
}

/// The middleware every route passes through.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let full = req.uri().path().to_string();
    let path = full
        .strip_prefix(app.opts.base.as_str())
        .unwrap_or(&full)
        .to_string();
    let headers = req.headers().clone();
    if app.opts.token.is_none() && !loopback_host(&headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "this dashboard has no token and answers only requests for localhost or 127.0.0.1",
        );
    }
    if open(&path) {
        return next.run(req).await;
    }
    let bearer = bearer_ok(&app, &headers);
    let mut started = None;
    let session = match cookie_session(&app, &headers) {
        Some(s) => Some(s),
        None if app.opts.token.is_none() => {
            let (id, s) = app.start_session();
            started = Some(id);
            Some(s)
        }
        None => None,
    };
    if !bearer && session.is_none() {
        if machine(&path) {
            let mut r = refuse(
                StatusCode::UNAUTHORIZED,
                "this dashboard needs its token: send Authorization: Bearer TOKEN",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
        return Redirect::to(&app.at("/login")).into_response();
    }
    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        if app.opts.read_only {
            return refuse(
                StatusCode::FORBIDDEN,
                "this dashboard is read-only (--read-only): nothing can be changed from it",
            );
        }
        if !bearer {
            if cross_origin(&headers) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "a change from another site is refused",
                );
            }
            let expected = session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default();
            let (rebuilt, given) = match csrf_given(req).await {
                Ok(found) => found,
                Err(r) => return r,
            };
            req = rebuilt;
            if !given.is_some_and(|g| same(&g, &expected)) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "missing or wrong CSRF token: reload the page and try again (a script: GET /api/csrf first)",
                );
            }
        }
    }
    req.extensions_mut().insert(Caller {
        csrf: session.map(|s| s.csrf).unwrap_or_default(),
    });
    let mut response = next.run(req).await;
    if let Some(id) = started {
        response
            .headers_mut()
            .append(header::SET_COOKIE, session_cookie(&app, &id));
    }
    response
}

/// The CSRF token of a request: its header, or the `csrf` field of a form body (read, then
/// given back to the request for its handler).
async fn csrf_given(req: Request) -> Result<(Request, Option<String>), Response> {
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let v = v.to_string();
        return Ok((req, Some(v)));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large"))?;
    let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| {
            fields
                .into_iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v)
        });
    Ok((Request::from_parts(parts, Body::from(bytes)), given))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(loopback_host(&h));
        h.insert(header::HOST, HeaderValue::from_static("[::1]:8080"));
        assert!(loopback_host(&h));
        h.insert(header::HOST, HeaderValue::from_static("localhost"));
        assert!(loopback_host(&h));
        h.insert(header::HOST, HeaderValue::from_static("evil.example:8080"));
        assert!(!loopback_host(&h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(!cross_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(cross_origin(&h));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
