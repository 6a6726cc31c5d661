//! The home page and the per-product and per-tag listings.

use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::content::{Article, Facet, Library};
use crate::state::AppState;

use super::extract::Path;
use super::views::{Layout, Pager, product_url, tag_url};
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
    /// How many articles are filed under it.
    pub total: usize,
    /// This page's articles, by title.
    pub articles: Vec<Arc<Article>>,
    /// Position of the first article shown (1-based).
    pub first: usize,
    /// Links to the other pages.
    pub pager: Pager,
}

/// Articles on one page of a listing.
pub const LISTING_PAGE: usize = 50;

/// `GET /`: rendered once per content revision (see `http/pages.rs`).
pub async fn show_home(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let library = state.library();
    let page = state.pages.get_or_render(&library.revision, "/", today(), || {
        let layout = Layout::new(&state, "Knowledge base").canonical("/");
        render(HomePage {
            layout,
            products: library.products(),
            tags: library.tags(),
            recent: library.recently_reviewed(8).into_iter().cloned().collect(),
            article_count: library.articles.len(),
            fix_count: library.fixes.len(),
        })
    })?;
    Ok(page.respond(&headers))
}

/// `GET /products/{product}?page=`.
pub async fn list_product(
    State(state): State<AppState>,
    Path(product): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    let library = state.library();
    filed_under(&library.products(), "product", &product)?;
    let number = page_number(query.as_deref());
    let address = numbered(&product_url(&product), number);
    let page = state
        .pages
        .get_or_render(&library.revision, &address, today(), || {
            render(listing(&state, &library, "Product", product, number, |a, p| {
                a.products.iter().any(|x| x.eq_ignore_ascii_case(p))
            })?)
        })?;
    Ok(page.respond(&headers))
}

/// `GET /tags/{tag}?page=`.
pub async fn list_tag(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    let library = state.library();
    filed_under(&library.tags(), "tag", &tag)?;
    let number = page_number(query.as_deref());
    let address = numbered(&tag_url(&tag), number);
    let page = state
        .pages
        .get_or_render(&library.revision, &address, today(), || {
            render(listing(&state, &library, "Tag", tag, number, |a, t| {
                a.tags.iter().any(|x| x.eq_ignore_ascii_case(t))
            })?)
        })?;
    Ok(page.respond(&headers))
}

/// The `page` of a query string; anything else, or a malformed one, is page 1.
fn page_number(query: Option<&str>) -> usize {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .rev()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(1usize)
        .max(1)
}

/// `path` on page `number` (page 1 is the bare path).
fn numbered(path: &str, number: usize) -> String {
    if number > 1 {
        format!("{path}?page={number}")
    } else {
        path.to_owned()
    }
}

/// A 404 unless some article is filed under `name` (one of `known`, which the library counts
/// once per revision): an unknown name costs a look-up, not a pass over every article.
fn filed_under(known: &[Facet], kind: &str, name: &str) -> AppResult<()> {
    if known.iter().any(|f| f.value.eq_ignore_ascii_case(name)) {
        Ok(())
    } else {
        Err(AppError::not_found(format!(
            "No article is filed under the {kind} “{name}”."
        )))
    }
}

/// The day pages are kept for (none of these depends on it; the cache's key has it).
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The template's HTML, or the error a handler returns.
fn render(page: impl Template) -> AppResult<String> {
    page.render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("page failed to render: {e}")))
}

/// Page `number` of the listing of `library`'s articles `matches` accepts for `name`.
fn listing(
    state: &AppState,
    library: &Library,
    kind: &'static str,
    name: String,
    number: usize,
    matches: impl Fn(&Article, &str) -> bool,
) -> AppResult<ListingPage> {
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
    let total = articles.len();
    let pages = total.div_ceil(LISTING_PAGE);
    if number > pages {
        return Err(AppError::not_found(format!(
            "This list has {pages} page{}; there is no page {number}.",
            if pages == 1 { "" } else { "s" }
        )));
    }
    articles.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.slug.cmp(&b.slug)));
    let first = (number - 1) * LISTING_PAGE;
    let articles = articles.drain(first..total.min(first + LISTING_PAGE)).collect();
    let path = if kind == "Product" {
        product_url(&name)
    } else {
        tag_url(&name)
    };
    let title = match number {
        1 => format!("{kind}: {name}"),
        n => format!("{kind}: {name} (page {n})"),
    };
    let layout = Layout::new(state, &title).canonical(&numbered(&path, number));
    Ok(ListingPage {
        layout,
        kind,
        name,
        total,
        articles,
        first: first + 1,
        pager: Pager::new(number, pages, |n| numbered(&path, n)),
    })
}
