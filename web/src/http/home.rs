//! The home page and the per-product and per-tag listings.

use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::content::{Article, Facet, Library};
use crate::state::AppState;

use super::extract::Path;
use super::views::{Layout, Pager, filters, product_url, render, tag_url};
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
        render(&HomePage {
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
    list(&state, Kind::Product, product, query.as_deref(), &headers)
}

/// `GET /tags/{tag}?page=`.
pub async fn list_tag(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    list(&state, Kind::Tag, tag, query.as_deref(), &headers)
}

/// What a listing lists by.
#[derive(Clone, Copy)]
enum Kind {
    Product,
    Tag,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Product => "Product",
            Kind::Tag => "Tag",
        }
    }

    fn url(self, name: &str) -> String {
        match self {
            Kind::Product => product_url(name),
            Kind::Tag => tag_url(name),
        }
    }

    /// The values with their article counts, counted once per content revision.
    fn facets(self, library: &Library) -> Vec<Facet> {
        match self {
            Kind::Product => library.products(),
            Kind::Tag => library.tags(),
        }
    }

    fn values(self, article: &Article) -> &[String] {
        match self {
            Kind::Product => &article.products,
            Kind::Tag => &article.tags,
        }
    }
}

/// Page `?page=` of the articles filed under `name`, kept per content revision (see
/// `http/pages.rs`). An unknown name or a page past the end is a 404 found from the library's
/// counts, without a pass over every article.
fn list(
    state: &AppState,
    kind: Kind,
    name: String,
    query: Option<&str>,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let library = state.library();
    // Values differing only in case are one listing.
    let filed: usize = kind
        .facets(&library)
        .iter()
        .filter(|f| f.value.eq_ignore_ascii_case(&name))
        .map(|f| f.count)
        .sum();
    if filed == 0 {
        return Err(AppError::not_found(format!(
            "No article is filed under the {} “{name}”.",
            kind.label().to_lowercase()
        )));
    }
    let number = page_number(query);
    // The exact count can be lower (an article naming a value twice, in two cases), never higher.
    beyond_the_end(filed, number)?;
    let address = numbered(&kind.url(&name), number);
    let page = state
        .pages
        .get_or_render(&library.revision, &address, today(), || {
            render(&listing(state, &library, kind, name, number)?)
        })?;
    Ok(page.respond(headers))
}

/// Pages a list of `total` takes.
fn pages_of(total: usize) -> usize {
    total.div_ceil(LISTING_PAGE).max(1)
}

/// A 404 when page `number` of a list of `total` is past its end.
fn beyond_the_end(total: usize, number: usize) -> AppResult<()> {
    let pages = pages_of(total);
    if number > pages {
        return Err(AppError::not_found(format!(
            "This list has {pages} page{}; there is no page {number}.",
            if pages == 1 { "" } else { "s" }
        )));
    }
    Ok(())
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

/// The day pages are kept for (none of these depends on it; the cache's key has it).
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Page `number` of the listing of `library`'s articles filed under `name`.
fn listing(
    state: &AppState,
    library: &Library,
    kind: Kind,
    name: String,
    number: usize,
) -> AppResult<ListingPage> {
    let mut articles: Vec<Arc<Article>> = library
        .articles
        .iter()
        .filter(|a| kind.values(a).iter().any(|v| v.eq_ignore_ascii_case(&name)))
        .cloned()
        .collect();
    let total = articles.len();
    beyond_the_end(total, number)?;
    articles.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.slug.cmp(&b.slug)));
    let first = (number - 1) * LISTING_PAGE;
    let articles = articles.drain(first..total.min(first + LISTING_PAGE)).collect();
    let path = kind.url(&name);
    let title = match number {
        1 => format!("{}: {name}", kind.label()),
        n => format!("{}: {name} (page {n})", kind.label()),
    };
    let layout = Layout::new(state, &title).canonical(&numbered(&path, number));
    Ok(ListingPage {
        layout,
        kind: kind.label(),
        name,
        total,
        articles,
        first: first + 1,
        pager: Pager::new(number, pages_of(total), |n| numbered(&path, n)),
    })
}
