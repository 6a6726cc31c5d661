//! Recent answers. Helpdesk searches repeat (the same symptom reported by several users, a
//! results page reloaded, the pager, the JSON client polling), so an answer is kept while
//! neither the content nor the index changes: a repeat costs a look-up instead of a search.
//!
//! The key holds the content revision and the index generation, so any reload or re-index
//! makes every older answer unreachable; the size bound evicts them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use super::{SearchRequest, SearchResponse};
use crate::encoding::Encoded;

/// A kept answer and, once a client has asked for them, its JSON and its results page (and
/// their compressed forms), so a repeat is sent without serializing, rendering or compressing
/// again.
#[derive(Debug)]
pub struct Answer {
    /// The answer; its `took_ms` is the time of the search that made it.
    pub response: SearchResponse,
    json: OnceLock<Encoded>,
    /// The results page and the address it was rendered for: several addresses can share an
    /// answer (`page=2` and `offset=10`) while their pages differ (the pager), so only the
    /// first address asked for is kept.
    page: OnceLock<(String, Encoded)>,
}

impl Answer {
    /// `response`, not yet serialized.
    pub fn new(response: SearchResponse) -> Self {
        Self {
            response,
            json: OnceLock::new(),
            page: OnceLock::new(),
        }
    }

    /// The results page kept for `address`, if there is one.
    pub fn page(&self, address: &str) -> Option<&Encoded> {
        self.page
            .get()
            .filter(|(a, _)| a == address)
            .map(|(_, page)| page)
    }

    /// Keeps `html` as the results page for `address` and returns it, or gives `html` back
    /// when a page for another address is kept already.
    pub fn keep_page(&self, address: &str, html: String) -> Result<&Encoded, String> {
        let mut html = Some(html);
        let (kept, page) = self.page.get_or_init(|| {
            let html = html.take().unwrap_or_default();
            (address.to_owned(), Encoded::answer(html))
        });
        match html {
            // Another address's page was there first.
            Some(html) if kept != address => Err(html),
            _ => Ok(page),
        }
    }

    /// The answer as `/api/search` sends it (DESIGN §5), serialized on first use.
    pub fn json(&self) -> &Encoded {
        self.json.get_or_init(|| {
            // Plain strings, numbers and vectors: serializing cannot fail.
            Encoded::answer(serde_json::to_vec(&self.response).unwrap_or_default())
        })
    }
}

/// Bytes of answers kept by default (estimated from their strings).
pub const DEFAULT_BYTES: u64 = 32 * 1024 * 1024;
/// Bytes of a results page that are not the answer's (the layout, forms, links), compressed.
const PAGE_CHROME: usize = 4 * 1024;
/// Estimated size of one answer, for the table's initial size.
const ANSWER_BYTES: u64 = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    revision: String,
    generation: u64,
    q: String,
    products: Vec<String>,
    tags: Vec<String>,
    limit: usize,
    offset: usize,
}

impl Key {
    fn new(revision: &str, generation: u64, req: &SearchRequest) -> Self {
        Self {
            revision: revision.to_owned(),
            generation,
            q: req.q.clone(),
            products: req.products.clone(),
            tags: req.tags.clone(),
            limit: req.limit(),
            offset: req.offset,
        }
    }
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Key, Arc<Answer>> for Weigh {
    fn weight(&self, key: &Key, answer: &Arc<Answer>) -> u64 {
        // Its JSON and the compressed JSON, made later, are about as big as the answer; its
        // results page, if a browser asks, about as big again plus the page's chrome.
        (key.q.len() + key.revision.len() + 3 * answer.response.approximate_size() + PAGE_CHROME) as u64
    }
}

/// Answers by request, content revision and index generation.
pub struct ResultCache {
    /// `None` when the cache is off.
    answers: Option<quick_cache::sync::Cache<Key, Arc<Answer>, Weigh>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ResultCache {
    /// An empty cache holding about `bytes` of answers (0: a cache that keeps nothing).
    pub fn new(bytes: u64) -> Self {
        let items = usize::try_from(bytes / ANSWER_BYTES)
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            answers: (bytes > 0).then(|| quick_cache::sync::Cache::with_weighter(items, bytes, Weigh)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The kept answer to `req`, if there is one (counted as a hit).
    pub fn get(&self, revision: &str, generation: u64, req: &SearchRequest) -> Option<Arc<Answer>> {
        let answer = self.answers.as_ref()?.get(&Key::new(revision, generation, req))?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(answer)
    }

    /// The kept answer to `req`, or the one `search` gives (then kept).
    pub fn get_or_search(
        &self,
        revision: &str,
        generation: u64,
        req: &SearchRequest,
        search: impl FnOnce() -> SearchResponse,
    ) -> Arc<Answer> {
        if let Some(answer) = self.get(revision, generation, req) {
            return answer;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let answer = Arc::new(Answer::new(search()));
        if let Some(answers) = &self.answers {
            answers.insert(Key::new(revision, generation, req), answer.clone());
        }
        answer
    }

    /// (answers served from the cache, answers searched) since start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

impl Default for ResultCache {
    fn default() -> Self {
        Self::new(DEFAULT_BYTES)
    }
}

impl SearchResponse {
    /// Rough heap size, for the cache's bound.
    fn approximate_size(&self) -> usize {
        let hits: usize = self
            .hits
            .iter()
            .map(|h| {
                h.slug.len()
                    + h.title.len()
                    + h.url.len()
                    + h.path.len()
                    + h.summary.len()
                    + h.snippet_html.len()
                    + h.products.iter().chain(&h.tags).map(String::len).sum::<usize>()
                    + 256
            })
            .sum();
        let facets: usize = self
            .facets
            .products
            .iter()
            .chain(&self.facets.tags)
            .map(|f| f.value.len() + 48)
            .sum();
        self.query.len() + hits + facets + 256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_answer_is_serialized_once_and_says_what_the_search_found() {
        let answer = Answer::new(SearchResponse {
            query: "spooler".to_owned(),
            total: 3,
            took_ms: 1.5,
            ..SearchResponse::default()
        });
        let json = answer.json().identity().clone();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            (value["query"].as_str(), value["total"].as_u64()),
            (Some("spooler"), Some(3))
        );
        assert_eq!(value["took_ms"], 1.5);
        assert_eq!(
            answer.json().identity().as_ptr(),
            json.as_ptr(),
            "serialized again"
        );
    }

    #[test]
    fn a_kept_answer_keeps_the_results_page_of_the_first_address_only() {
        let answer = Answer::new(SearchResponse::default());
        assert!(answer.page("/search?q=a").is_none());
        let kept = answer
            .keep_page("/search?q=a", "<p>first</p>".to_owned())
            .unwrap();
        assert_eq!(kept.identity().as_ref(), b"<p>first</p>");
        assert_eq!(
            answer.page("/search?q=a").map(|p| p.identity().clone()),
            Some("<p>first</p>".into())
        );
        // The same answer reached through another address: its page is not replaced, and the
        // other address gets its own HTML back to send.
        assert!(answer.page("/search?q=a&page=1").is_none());
        assert_eq!(
            answer
                .keep_page("/search?q=a&page=1", "<p>other</p>".to_owned())
                .err(),
            Some("<p>other</p>".to_owned())
        );
        assert_eq!(
            answer.page("/search?q=a").map(|p| p.identity().clone()),
            Some("<p>first</p>".into())
        );
    }
}
