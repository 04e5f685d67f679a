//! How a request fails: a status and one line saying what was wrong, as JSON for the API and
//! the machine endpoints, or as a page for a browser.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, message)
    }

    pub fn internal(e: anyhow::Error) -> Failure {
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

/// An error of the client's making inside a store call (an unknown id, a bad filter), carried
/// through `anyhow` to its status.
#[derive(Debug)]
pub struct Refused(pub StatusCode, pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Refused {}

pub fn refused(status: StatusCode, message: impl Into<String>) -> anyhow::Error {
    Refused(status, message.into()).into()
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        if let Some(Refused(status, message)) = e.downcast_ref::<Refused>() {
            return Failure::new(*status, message.clone());
        }
        // The store's own one-line messages ("no job with id …") are the client's mistakes;
        // one that cannot be reached is the service's.
        if crate::store::is_unavailable(&e) {
            return Failure::new(StatusCode::SERVICE_UNAVAILABLE, format!("{e:#}"));
        }
        Failure::internal(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let message = super::redact::url_passwords(&self.message);
        (
            self.status,
            axum::Json(serde_json::json!({ "error": message })),
        )
            .into_response()
    }
}

/// A failure shown to a browser as a page.
#[derive(Debug)]
pub struct PageFailure(pub Failure);

impl From<Failure> for PageFailure {
    fn from(f: Failure) -> Self {
        PageFailure(f)
    }
}

impl From<anyhow::Error> for PageFailure {
    fn from(e: anyhow::Error) -> Self {
        PageFailure(e.into())
    }
}

impl IntoResponse for PageFailure {
    fn into_response(self) -> Response {
        let message = super::redact::url_passwords(&self.0.message);
        (
            self.0.status,
            super::pages::layout::error_page(self.0.status, &message),
        )
            .into_response()
    }
}
