//! Rendering askama templates as responses, and the page chrome every page shares.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::state::App;

use super::assets;

/// Wraps an askama template so a handler can return it.
pub struct HtmlTemplate<T>(pub T);

impl<T: Template> IntoResponse for HtmlTemplate<T> {
    fn into_response(self) -> Response {
        match self.0.render() {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!("template failed to render: {e}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "Something went wrong on our side. The problem was logged.",
                )
                    .into_response()
            }
        }
    }
}

/// What `base.html` needs: titles, link-preview metadata, asset URLs, the search box.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `<title>` (the site name is appended).
    pub title: String,
    /// Meta description and link-preview text.
    pub description: String,
    /// Absolute canonical URL of the page, when it has one.
    pub canonical: Option<String>,
    /// Open Graph type (`website` or `article`).
    pub og_type: &'static str,
    /// Public base URL without trailing slash.
    pub base_url: String,
    /// The search box's current text.
    pub query: String,
    /// Versioned stylesheet URL.
    pub css: String,
    /// Versioned script URL.
    pub js: String,
}

impl Layout {
    /// Chrome for a page of `app`, titled `title`.
    pub fn new(app: &App, title: &str) -> Self {
        Self {
            title: title.to_owned(),
            description: "Troubleshooting articles and generated fix scripts.".to_owned(),
            canonical: None,
            og_type: "website",
            base_url: app.config.base_url(),
            query: String::new(),
            css: assets::url("app.css"),
            js: assets::url("app.js"),
        }
    }

    /// The same chrome with another title.
    pub fn with_title(mut self, title: &str) -> Self {
        title.clone_into(&mut self.title);
        self
    }

    /// Sets the canonical URL from a site-relative path.
    pub fn canonical(mut self, path: &str) -> Self {
        self.canonical = Some(format!("{}{}", self.base_url, path));
        self
    }

    /// Sets the description.
    pub fn describe(mut self, description: &str) -> Self {
        description.clone_into(&mut self.description);
        self
    }
}

/// Percent-encodes one URL path segment or query value.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// URL of the listing page for a product.
pub fn product_url(product: &str) -> String {
    format!("/products/{}", encode(product))
}

/// URL of the listing page for a tag.
pub fn tag_url(tag: &str) -> String {
    format!("/tags/{}", encode(tag))
}
