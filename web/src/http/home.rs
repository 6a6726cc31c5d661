//! The home page and the per-product and per-tag listings.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;

use crate::content::{Article, Facet};
use crate::state::AppState;

use super::extract::Path;
use super::views::{HtmlTemplate, Layout, product_url, tag_url};
use super::{AppError, AppResult};

/// `/`.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    /// Shared page chrome.
    pub layout: Layout,
    /// Products with article counts.
    pub products: Vec<Facet>,
    /// Tags with article counts.
    pub tags: Vec<Facet>,
    /// Most recently reviewed articles.
    pub recent: Vec<Arc<Article>>,
    /// Total number of articles.
    pub article_count: usize,
    /// Total number of fixes.
    pub fix_count: usize,
}

impl HomePage {
    fn product_url(&self, p: &str) -> String {
        product_url(p)
    }

    fn tag_url(&self, t: &str) -> String {
        tag_url(t)
    }
}

/// `/products/{product}` and `/tags/{tag}`.
#[derive(Template)]
#[template(path = "listings/show.html")]
pub struct ListingPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// "Product" or "Tag".
    pub kind: &'static str,
    /// The product or tag.
    pub name: String,
    /// Matching articles, by title.
    pub articles: Vec<Arc<Article>>,
}

/// `GET /`.
pub async fn show_home(State(state): State<AppState>) -> HtmlTemplate<HomePage> {
    let library = state.library();
    let layout = Layout::new(&state, "Knowledge base").canonical("/");
    HtmlTemplate(HomePage {
        layout,
        products: library.products(),
        tags: library.tags(),
        recent: library.recently_reviewed(8).into_iter().cloned().collect(),
        article_count: library.articles.len(),
        fix_count: library.fixes.len(),
    })
}

/// `GET /products/{product}`.
pub async fn list_product(
    State(state): State<AppState>,
    Path(product): Path<String>,
) -> AppResult<HtmlTemplate<ListingPage>> {
    listing(&state, "Product", product, |a, p| {
        a.products.iter().any(|x| x.eq_ignore_ascii_case(p))
    })
}

/// `GET /tags/{tag}`.
pub async fn list_tag(
    State(state): State<AppState>,
    Path(tag): Path<String>,
) -> AppResult<HtmlTemplate<ListingPage>> {
    listing(&state, "Tag", tag, |a, t| {
        a.tags.iter().any(|x| x.eq_ignore_ascii_case(t))
    })
}

fn listing(
    state: &AppState,
    kind: &'static str,
    name: String,
    matches: impl Fn(&Article, &str) -> bool,
) -> AppResult<HtmlTemplate<ListingPage>> {
    let library = state.library();
    let mut articles: Vec<Arc<Article>> = library
        .articles
        .iter()
        .filter(|a| matches(a, &name))
        .cloned()
        .collect();
    if articles.is_empty() {
        return Err(AppError::not_found(format!(
            "No article is filed under the {} “{name}”.",
            kind.to_lowercase()
        )));
    }
    articles.sort_by(|a, b| a.title.cmp(&b.title));
    let path = if kind == "Product" {
        product_url(&name)
    } else {
        tag_url(&name)
    };
    let layout = Layout::new(state, &format!("{kind}: {name}")).canonical(&path);
    Ok(HtmlTemplate(ListingPage {
        layout,
        kind,
        name,
        articles,
    }))
}
