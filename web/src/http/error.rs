//! Errors at the HTTP boundary.
//!
//! Two tiers: below HTTP, code returns `anyhow::Error` with context naming the file or
//! operation. Handlers return [`AppResult`]; [`AppError`] decides the status, logs server
//! errors (and only those), never shows internals to the client, and renders either the HTML
//! error page or, under `/api`, a JSON body. Which one is decided by [`ErrorFormat`], a
//! request extension set by the router's middleware.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::views::{HtmlTemplate, Layout};

/// The result type of every handler.
pub type AppResult<T> = Result<T, AppError>;

/// What can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page, article or fix.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Anything else: logged, shown as a generic 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 404 with a message for the reader.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// The status code this error answers with.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "Something went wrong on our side. The problem was logged.".into(),
            other => other.to_string(),
        }
    }
}

/// Whether errors for this request are rendered as HTML or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// The HTML error page.
    Html,
    /// `{"error": "..."}`.
    Json,
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// HTTP status code.
    pub status: u16,
    /// Heading.
    pub heading: String,
    /// Explanation for the reader.
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if let Self::Internal(e) = &self {
            tracing::error!("internal error: {e:#}");
        }
        let mut response = status.into_response();
        // The middleware in the router turns this marker into the right body.
        response
            .extensions_mut()
            .insert(ErrorMarker(self.public_message()));
        response
    }
}

/// Carries an error's public message from a handler to the rendering middleware.
#[derive(Debug, Clone)]
pub struct ErrorMarker(pub String);

/// Renders the body of an error response in the format the request expects.
pub fn render_error(status: StatusCode, message: &str, format: ErrorFormat, layout: Layout) -> Response {
    match format {
        ErrorFormat::Json => (status, Json(serde_json::json!({ "error": message }))).into_response(),
        ErrorFormat::Html => {
            let heading = match status {
                StatusCode::NOT_FOUND => "Page not found".to_owned(),
                StatusCode::INTERNAL_SERVER_ERROR => "Server error".to_owned(),
                s => s.canonical_reason().unwrap_or("Error").to_owned(),
            };
            let page = ErrorPage {
                layout: layout.with_title(&heading),
                status: status.as_u16(),
                heading,
                message: message.to_owned(),
            };
            (status, HtmlTemplate(page)).into_response()
        }
    }
}
