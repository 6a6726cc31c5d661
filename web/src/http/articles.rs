//! Article pages: `/kb/{slug}` (ids and aliases redirect there) and `/api/articles/{slug}`.

use std::sync::Arc;

use anyhow::Context;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use crate::content::{Article, Library, Lookup};
use crate::fixes::Fix;
use crate::markdown::TocEntry;
use crate::state::AppState;

use super::extract::Path;
use super::views::{Layout, product_url, render, tag_url};
use super::{AppError, AppResult};

/// `/kb/{slug}` rendered.
#[derive(Template)]
#[template(path = "articles/show.html")]
pub struct ArticlePage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The article.
    pub article: Arc<Article>,
    /// Its body HTML, read from wherever the body is kept.
    pub html: String,
    /// Its table of contents.
    pub toc: Vec<TocEntry>,
    /// Its fixes, in the order the article lists them.
    pub fixes: Vec<Arc<Fix>>,
    /// Related articles (shared tags and products).
    pub related: Vec<Arc<Article>>,
    /// Set when the last review is older than the review interval.
    pub stale_since: Option<NaiveDate>,
}

impl ArticlePage {
    fn product_url(&self, p: &str) -> String {
        product_url(p)
    }

    fn tag_url(&self, t: &str) -> String {
        tag_url(t)
    }
}

/// Finds an article or the redirect to it.
fn find<'a>(library: &'a Library, slug: &str) -> AppResult<Result<&'a Arc<Article>, Response>> {
    match library.lookup(slug) {
        Lookup::Found(article) => Ok(Ok(article)),
        Lookup::Redirect(article) => Ok(Err(moved_permanently(&format!("/kb/{}", article.slug)))),
        Lookup::Missing => Err(AppError::not_found(
            "No article has this address. It may have been renamed: try searching for it.",
        )),
    }
}

/// `GET /kb/{slug}`: rendered once per content revision and day (see `http/pages.rs`).
pub async fn show_article(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let library = state.library();
    let article = match find(&library, &slug)? {
        Ok(article) => article.clone(),
        Err(redirect) => return Ok(redirect),
    };
    state.store.record_view(&article.slug);
    let today = chrono::Utc::now().date_naive();
    let page =
        state
            .pages
            .get_or_render(&library.revision, &format!("/kb/{}", article.slug), today, || {
                let page = article_page(&state, &library, article.clone(), today)?;
                render(&page)
            })?;
    Ok(page.respond(&headers))
}

/// The page of `article` as of `today`.
fn article_page(
    state: &AppState,
    library: &Library,
    article: Arc<Article>,
    today: NaiveDate,
) -> AppResult<ArticlePage> {
    let stale_since = article
        .reviewed
        .or(article.published)
        .filter(|d| (today - *d).num_days() > i64::from(state.config.review_every));
    let fixes = article
        .fixes
        .iter()
        .filter_map(|id| library.fixes.get(id).cloned())
        .collect();
    let related = library.related(&article, 5).into_iter().cloned().collect();
    let (html, toc) = (body_html(&article)?, body_toc(&article)?);
    let layout = Layout::new(state, &article.title)
        .canonical(&format!("/kb/{}", article.slug))
        .describe(&article.summary);
    let layout = Layout {
        og_type: "article",
        ..layout
    };
    Ok(ArticlePage {
        layout,
        article,
        html,
        toc,
        fixes,
        related,
        stale_since,
    })
}

/// `GET /api/articles/{slug}`: the article's metadata and HTML as JSON.
pub async fn article_json(State(state): State<AppState>, Path(slug): Path<String>) -> AppResult<Response> {
    let library = state.library();
    let article = match find(&library, &slug)? {
        Ok(article) => article,
        Err(redirect) => return Ok(redirect),
    };
    let base = state.config.base_url();
    Ok(Json(serde_json::json!({
        "slug": article.slug,
        "id": article.id,
        "title": article.title,
        "url": format!("{base}/kb/{}", article.slug),
        "path": article.path,
        "summary": article.summary,
        "products": article.products,
        "tags": article.tags,
        "symptoms": article.symptoms,
        "published": article.published,
        "reviewed": article.reviewed,
        "aliases": article.aliases,
        "fixes": article.fixes,
        "toc": body_toc(article)?,
        "html": body_html(article)?,
    }))
    .into_response())
}

/// The article's body HTML. A spill file that cannot be read is a logged 500, not a panic.
fn body_html(article: &Article) -> AppResult<String> {
    let html = article
        .body
        .html()
        .with_context(|| format!("cannot read the body of {}", article.path))?;
    Ok(html.into_owned())
}

/// The article's table of contents, like [`body_html`].
fn body_toc(article: &Article) -> AppResult<Vec<TocEntry>> {
    let toc = article
        .body
        .toc()
        .with_context(|| format!("cannot read the body of {}", article.path))?;
    Ok(toc.into_owned())
}

/// A 301 to `location`: old links (ids, aliases) are permanent and search engines should
/// move their ranking to the canonical URL.
pub fn moved_permanently(location: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use crate::config::Config;
    use crate::content::Library;
    use crate::state::{App, AppState};

    async fn get(state: &AppState, uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = crate::app(state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn an_unreadable_body_is_a_500_not_a_panic() {
        let (content, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::write(
            content.path().join("a.md"),
            "---\nsummary: The summary.\n---\n# Spooler\n\nThe spooler stops.\n",
        )
        .unwrap();
        let library = Library::load_spilled(content.path(), None, data.path());
        let state = AppState(Arc::new(App::new(
            Config::new(content.path(), data.path()),
            library,
        )));
        // Not `/kb/a`: its rendered page would be cached and served without reading the body.
        assert_eq!(get(&state, "/api/articles/a").await.0, StatusCode::OK);
        state.library().article("a").unwrap().body.break_storage();
        let (status, page) = get(&state, "/kb/a").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(page.contains("Something went wrong"), "{page}");
        assert_eq!(
            get(&state, "/api/articles/a").await.0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let (status, hits) = get(&state, "/api/search?q=spooler").await;
        assert_eq!(status, StatusCode::OK, "search still answers: {hits}");
        assert!(
            hits.contains("The summary."),
            "the summary stands in for the snippet: {hits}"
        );
    }
}
