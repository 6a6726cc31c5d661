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

/// The template's HTML for a page that is kept (see `http/pages.rs`), or the error its
/// handler returns (a 500 that names the template).
pub fn render<T: Template>(page: &T) -> super::AppResult<String> {
    page.render().map_err(|e| {
        let name = std::any::type_name::<T>();
        super::AppError::Internal(anyhow::anyhow!("{name} failed to render: {e}"))
    })
}

/// Filters the templates use; a template's module brings them in with `use super::views::filters`.
pub(crate) mod filters {
    use std::borrow::Borrow;

    /// `{{ n|grouped }}`: a count with its thousands grouped (see [`super::grouped`]).
    #[askama::filter_fn]
    pub fn grouped(n: impl Borrow<usize>, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::grouped(*n.borrow()))
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

/// A labelled link; `current` marks the page being shown.
#[derive(Debug, Clone)]
pub struct Link {
    /// Visible text.
    pub label: String,
    /// Target.
    pub url: String,
    /// True for the current page.
    pub current: bool,
}

/// Pages linked from a pager on either side of the current one.
const PAGER_SPAN: usize = 3;

/// Links to the pages around the current one of a numbered list (`macros::pager`).
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// Numbered page links; empty when everything fits on one page.
    pub pages: Vec<Link>,
    /// Previous page.
    pub prev: Option<String>,
    /// Next page.
    pub next: Option<String>,
}

impl Pager {
    /// Page `current` (1-based) of `total` pages, page `n` being at `url(n)`: the pages within
    /// [`PAGER_SPAN`] of the current one, and the first and the last, with a gap (a link with no
    /// URL) where pages are left out.
    pub fn new(current: usize, total: usize, url: impl Fn(usize) -> String) -> Self {
        let total = total.max(1);
        let link = |n: usize| Link {
            label: n.to_string(),
            url: url(n),
            current: n == current,
        };
        let gap = || Link {
            label: "…".to_owned(),
            url: String::new(),
            current: false,
        };
        let mut pages = Vec::new();
        if total > 1 {
            let span = current.saturating_sub(PAGER_SPAN).max(1)..=(current + PAGER_SPAN).min(total);
            if *span.start() > 1 {
                pages.push(link(1));
                if *span.start() > 2 {
                    pages.push(gap());
                }
            }
            let end = *span.end();
            pages.extend(span.map(link));
            if end < total {
                if end < total - 1 {
                    pages.push(gap());
                }
                pages.push(link(total));
            }
        }
        Self {
            pages,
            prev: (current > 1).then(|| url(current - 1)),
            next: (current < total).then(|| url(current + 1)),
        }
    }
}

/// `n` with its thousands grouped: `25,082`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_their_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (25_082, "25,082"),
            (1_234_567, "1,234,567"),
        ];
        for (n, text) in cases {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn the_pager_links_the_pages_around_the_current_one() {
        let url = |n: usize| format!("/x?page={n}");
        let one = Pager::new(1, 1, url);
        assert!(one.pages.is_empty() && one.prev.is_none() && one.next.is_none());
        let labels = |p: &Pager| -> Vec<String> { p.pages.iter().map(|l| l.label.clone()).collect() };
        let middle = Pager::new(6, 20, url);
        // The first and the last page stay in reach, with a gap where pages are left out.
        assert_eq!(
            labels(&middle),
            ["1", "…", "3", "4", "5", "6", "7", "8", "9", "…", "20"]
        );
        assert!(middle.pages[5].current && middle.pages.iter().filter(|l| l.current).count() == 1);
        assert_eq!(middle.pages[0].url, "/x?page=1");
        assert_eq!(middle.pages[10].url, "/x?page=20");
        assert!(middle.pages[1].url.is_empty() && middle.pages[9].url.is_empty());
        assert_eq!(middle.prev.as_deref(), Some("/x?page=5"));
        assert_eq!(middle.next.as_deref(), Some("/x?page=7"));
        // No gap for a single page left out, and none at an end already shown.
        assert_eq!(
            labels(&Pager::new(5, 9, url)),
            ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        );
        assert_eq!(labels(&Pager::new(1, 20, url)), ["1", "2", "3", "4", "…", "20"]);
        assert_eq!(
            labels(&Pager::new(20, 20, url)),
            ["1", "…", "17", "18", "19", "20"]
        );
        let last = Pager::new(3, 3, url);
        assert_eq!(labels(&last), ["1", "2", "3"]);
        assert_eq!(last.next, None);
        assert_eq!(last.prev.as_deref(), Some("/x?page=2"));
    }
}
