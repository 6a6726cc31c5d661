//! Rendered pages, kept while the content and the date stay the same.
//!
//! An article page depends only on the content snapshot (the article, its fixes, related
//! articles), the configuration and today's date (the "needs review" notice); the home page
//! and the product and tag listings only on the snapshot. So each is rendered once per content
//! revision, address and day and then served as stored bytes (compressed once per coding, see
//! `encoding`), with an ETag so a browser's reload is answered `304 Not Modified`. The cache is
//! bounded in bytes; pages nobody asks for again are evicted.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use crate::encoding::Encoded;

/// Bytes of rendered pages kept.
const CAPACITY_BYTES: u64 = 16 * 1024 * 1024;
/// Estimated size of a page, for the table's initial size.
const PAGE_BYTES: u64 = 24 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    revision: String,
    /// The page's address (`/kb/…`, `/`, `/products/…`), as the handler names it.
    address: String,
    day: NaiveDate,
}

/// A rendered page, its compressed forms once asked for, and its entity tag.
#[derive(Clone)]
pub struct Page {
    body: Arc<Encoded>,
    /// The tag without quotes; each coding's is derived from it.
    etag: Arc<str>,
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Key, Page> for Weigh {
    fn weight(&self, key: &Key, page: &Page) -> u64 {
        // The compressed forms made later are not counted: they are a fraction of the page.
        (key.revision.len() + key.address.len() + page.body.identity().len() + 64) as u64
    }
}

/// Rendered pages by content revision, address and day.
pub struct PageCache {
    pages: quick_cache::sync::Cache<Key, Page, Weigh>,
}

impl PageCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            pages: quick_cache::sync::Cache::with_weighter(
                (CAPACITY_BYTES / PAGE_BYTES) as usize,
                CAPACITY_BYTES,
                Weigh,
            ),
        }
    }

    /// The page at `address` in content `revision` on `day`, rendered by `render` when not
    /// kept. `render` must depend on nothing else (an error is returned, not kept).
    pub fn get_or_render<E>(
        &self,
        revision: &str,
        address: &str,
        day: NaiveDate,
        render: impl FnOnce() -> Result<String, E>,
    ) -> Result<Page, E> {
        let key = Key {
            revision: revision.to_owned(),
            address: address.to_owned(),
            day,
        };
        if let Some(page) = self.pages.get(&key) {
            return Ok(page);
        }
        let html = render()?;
        let tag = crate::util::short_hash(html.as_bytes());
        let page = Page {
            etag: Arc::from(tag),
            body: Arc::new(Encoded::new(html)),
        };
        self.pages.insert(key, page.clone());
        Ok(page)
    }
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new()
    }
}

impl Page {
    /// The page as a response, compressed as the request accepts (see `encoding`): `304` when
    /// the request already holds this version.
    pub fn respond(self, request: &HeaderMap) -> Response {
        // Revalidate every time: content can change at any moment, and the check is cheap.
        let no_cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let (mut headers, body) = self.body.respond(request, Some(&self.etag));
        if let Some(etag) = headers.get(header::ETAG)
            && holds(request, etag)
        {
            // No body, so nothing is encoded; the tag and `Vary` still say which version it is.
            headers.remove(header::CONTENT_ENCODING);
            return (StatusCode::NOT_MODIFIED, headers, [no_cache]).into_response();
        }
        (
            headers,
            [
                no_cache,
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// Whether the request's `If-None-Match` names `etag` (or `*`): the client already holds this
/// version, so a `304 Not Modified` will do. Lists and weak tags (`W/"…"`) are understood.
pub fn holds(request: &HeaderMap, etag: &HeaderValue) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/").as_bytes() == etag.as_bytes()
        })
}
