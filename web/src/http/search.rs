//! Search: the results page (works without JavaScript), `/api/search` (DESIGN §5) and the
//! as-you-type `/api/suggest`.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::encoding::Encoded;
use crate::search::{Answer, DEFAULT_LIMIT, SearchRequest, SearchResponse, Suggestion};
use crate::state::AppState;

use super::views::{Layout, Link, Pager, encode, filters, render};
use super::{AppError, AppResult};

/// The deepest hit a request can start at: paging further is not searching.
const MAX_OFFSET: usize = 10_000;
/// Suggestions returned by `/api/suggest`.
const SUGGESTIONS: usize = 8;

/// `/search`.
#[derive(Template)]
#[template(path = "search/show.html")]
pub struct SearchPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The query as typed.
    pub query: String,
    /// The results.
    pub response: SearchResponse,
    /// The "did you mean" link.
    pub suggestion_url: Option<String>,
    /// Active filters, each with the link that removes it.
    pub filters: Vec<Link>,
    /// Product facet links.
    pub products: Vec<FacetLink>,
    /// Tag facet links.
    pub tags: Vec<FacetLink>,
    /// Links to the other result pages.
    pub pager: Pager,
    /// Position of the first hit shown (1-based).
    pub first: usize,
    /// Position of the last hit shown.
    pub last: usize,
}

/// A facet value with its count and the link that toggles it as a filter.
#[derive(Debug, Clone)]
pub struct FacetLink {
    /// Product or tag.
    pub value: String,
    /// Matching articles.
    pub count: usize,
    /// Adds (or, when active, removes) the filter.
    pub url: String,
    /// True when already filtering by it.
    pub active: bool,
}

/// The request as the URL carries it.
#[derive(Debug, Default, Clone)]
struct Params {
    q: String,
    products: Vec<String>,
    tags: Vec<String>,
    page: usize,
    limit: Option<usize>,
    offset: Option<usize>,
}

impl Params {
    /// Reads `q`, `product`, `tag` (repeatable), `page`, `limit`, `offset`. Unknown or
    /// malformed values are ignored: any address is a search.
    fn parse(raw: Option<&str>) -> Self {
        let mut p = Params::default();
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        for (key, value) in pairs {
            match key.as_str() {
                "q" => p.q = value,
                "product" if !value.trim().is_empty() => p.products.push(value),
                "tag" if !value.trim().is_empty() => p.tags.push(value),
                "page" => p.page = value.trim().parse().unwrap_or(1),
                "limit" => p.limit = value.trim().parse().ok(),
                "offset" => p.offset = value.trim().parse().ok(),
                _ => {}
            }
        }
        p.page = p.page.max(1);
        p
    }

    fn request(&self) -> SearchRequest {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        SearchRequest {
            q: self.q.clone(),
            products: self.products.clone(),
            tags: self.tags.clone(),
            limit: Some(limit),
            offset: self
                .offset
                .unwrap_or((self.page - 1).saturating_mul(limit))
                .min(MAX_OFFSET),
        }
    }

    /// `/search?…` for these parameters on page `page`.
    fn url(&self, page: usize) -> String {
        let mut url = format!("/search?q={}", encode(&self.q));
        for p in &self.products {
            url.push_str("&product=");
            url.push_str(&encode(p));
        }
        for t in &self.tags {
            url.push_str("&tag=");
            url.push_str(&encode(t));
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }

    fn toggled(&self, products: bool, value: &str) -> Self {
        let mut next = self.clone();
        let list = if products {
            &mut next.products
        } else {
            &mut next.tags
        };
        if let Some(i) = list.iter().position(|v| v == value) {
            list.remove(i);
        } else {
            list.push(value.to_owned());
        }
        next.page = 1;
        next
    }
}

/// Answers from the cache of recent answers when it can; otherwise runs the search off the
/// async threads, on the search threads (it is CPU work, a few milliseconds), at most
/// [`App::search_queue`] running or waiting for a thread at once.
///
/// [`App::search_queue`]: crate::state::App::search_queue
async fn run(state: &AppState, request: SearchRequest) -> AppResult<Arc<Answer>> {
    let library = state.library();
    if let Some(answer) = state.search.cached_answer(&library, &request) {
        return Ok(answer);
    }
    drop(library);
    let _slot = state
        .searches
        .acquire()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("search slots closed: {e}")))?;
    let task = state.clone();
    let span = tracing::Span::current();
    let (answer, answered) = tokio::sync::oneshot::channel();
    state.searchers.spawn(move || {
        // While it waited for a thread, its request may have been dropped.
        if answer.is_closed() {
            return;
        }
        let found = span.in_scope(|| task.search.answer(&task.library(), &request));
        // The client may have gone: then nobody waits for the answer.
        let _ = answer.send(found);
    });
    answered
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("search task failed (see the log)")))
}

/// `GET /search?q=&product=&tag=&page=`: the results page, or a redirect for a KB number.
///
/// A page addressed as the site's own links address it (no `limit` or `offset`) is kept with
/// its answer, so a repeat is sent from the kept bytes (see `search::cache`).
pub async fn show_search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    let params = Params::parse(raw.as_deref());
    let answer = run(&state, params.request()).await?;
    if let Some(url) = &answer.response.redirect {
        return Ok((StatusCode::FOUND, [(header::LOCATION, url.clone())]).into_response());
    }
    if !params.q.trim().is_empty() {
        state
            .store
            .log_search(params.q.trim(), answer.response.total as u64);
    }
    let address = (params.limit.is_none() && params.offset.is_none()).then(|| params.url(params.page));
    if let Some(kept) = address.as_deref().and_then(|a| answer.page(a)) {
        return Ok(html(kept, &headers));
    }
    let rendered = render(&page(&state, &params, answer.response.clone()))?;
    match address {
        Some(address) => match answer.keep_page(&address, rendered) {
            Ok(kept) => Ok(html(kept, &headers)),
            Err(rendered) => Ok(Html(rendered).into_response()),
        },
        None => Ok(Html(rendered).into_response()),
    }
}

/// A kept page, compressed as `request` accepts.
fn html(page: &Encoded, request: &HeaderMap) -> Response {
    let (coded, body) = page.respond(request, None);
    (
        coded,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

fn page(state: &AppState, params: &Params, response: SearchResponse) -> SearchPage {
    let title = if params.q.trim().is_empty() {
        "Search".to_owned()
    } else {
        format!("{} – search", params.q.trim())
    };
    let mut layout = Layout::new(state, &title);
    layout.query.clone_from(&params.q);
    let limit = params.request().limit();
    let offset = params.request().offset;
    let pages_total = reachable_pages(response.total, limit);
    let current = offset / limit + 1;
    let pager = Pager::new(current, pages_total, |n| params.url(n));
    let facet_links = |products: bool, facets: &[crate::content::Facet]| -> Vec<FacetLink> {
        let active = if products { &params.products } else { &params.tags };
        facets
            .iter()
            .map(|f| FacetLink {
                value: f.value.clone(),
                count: f.count,
                url: params.toggled(products, &f.value).url(1),
                active: active.iter().any(|a| a.eq_ignore_ascii_case(&f.value)),
            })
            .collect()
    };
    let filters = params
        .products
        .iter()
        .map(|p| Link {
            label: format!("product: {p}"),
            url: params.toggled(true, p).url(1),
            current: true,
        })
        .chain(params.tags.iter().map(|t| Link {
            label: format!("tag: {t}"),
            url: params.toggled(false, t).url(1),
            current: true,
        }))
        .collect();
    let suggestion_url = response.suggestion.as_ref().map(|s| {
        Params {
            q: s.clone(),
            page: 1,
            ..params.clone()
        }
        .url(1)
    });
    SearchPage {
        layout,
        query: params.q.clone(),
        suggestion_url,
        filters,
        products: facet_links(true, &response.facets.products),
        tags: facet_links(false, &response.facets.tags),
        pager,
        first: if response.hits.is_empty() { 0 } else { offset + 1 },
        last: offset + response.hits.len(),
        response,
    }
}

/// Pages of `limit` hits the pager offers for `total` hits: only those a request can reach
/// (a page starting past [`MAX_OFFSET`] would show the one at it under another number).
fn reachable_pages(total: usize, limit: usize) -> usize {
    let limit = limit.max(1);
    total.div_ceil(limit).clamp(1, MAX_OFFSET / limit + 1)
}

/// `GET /api/search?q=&limit=&offset=&product=&tag=`: results as JSON (DESIGN §5).
pub async fn search_json(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    let params = Params::parse(raw.as_deref());
    let mut request = params.request();
    request.offset = params.offset.unwrap_or(0).min(MAX_OFFSET);
    let answer = run(&state, request).await?;
    if !params.q.trim().is_empty() {
        state
            .store
            .log_search(params.q.trim(), answer.response.total as u64);
    }
    // Serialized and compressed once per kept answer (see `encoding`).
    let (coded, body) = answer.json().respond(&headers, None);
    Ok((
        coded,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response())
}

/// `GET /api/suggest?q=`: article titles for what has been typed so far.
pub async fn suggest_json(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Json<Vec<Suggestion>> {
    let params = Params::parse(raw.as_deref());
    let library = state.library();
    // Cheap (title vocabulary only), so it runs inline.
    Json(state.search.suggest(&library, &params.q, SUGGESTIONS))
}

#[cfg(test)]
mod tests;
