//! Symptom search over the library, built on tantivy.
//!
//! | module | owns |
//! |---|---|
//! | [`schema`] | field names and analyzers (the only place they live) |
//! | [`tokenize`] | the code-aware tokenizer for error codes, cmdlets and registry paths |
//! | [`index`] | the index lifecycle: open, incremental update, rebuild |
//! | [`query`] | reading what the user typed (lenient parsing) |
//! | [`build`] | the tantivy query: field weights, synonyms, typos, prefixes |
//! | [`synonyms`] | synonym groups as token sequences |
//! | `execute` | running a search: hits, facets, pagination |
//! | `snippet` | the highlighted best passage of a hit |
//! | [`suggest`] | as-you-type titles, "did you mean", typo and prefix expansion |
//! | [`cli`] | `fixkb index` |
//! | `union` | a union that is cheap to seek, for optional and per-word clauses |
//! | `term` | one term in one field, BM25-scored, with a scorer the unions read directly |
//! | [`corpus`] | a deterministic generator of realistic articles for tests and benchmarks |
//!
//! The index stores no article text: hits are looked up in the [`Library`] snapshot the caller
//! passes in, which also supplies synonyms.

pub mod build;
mod cache;
pub mod cli;
pub mod corpus;
mod execute;
mod facets;
mod filter;
mod first_pass;
pub mod index;
mod pairs;
pub mod query;
pub mod schema;
mod slugs;
mod snippet;
pub mod suggest;
pub mod synonyms;
mod term;
pub mod tokenize;
mod union;

#[cfg(test)]
mod relevance;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::content::Facet;
#[cfg(doc)]
use crate::content::Library;

pub use build::Weights;
pub use cache::Answer;
pub use index::{SearchIndex, UpdateStats};
pub use suggest::Suggestion;

/// Results per page when the request does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// The most results one request may ask for.
pub const MAX_LIMIT: usize = 100;

/// What to search for: the query string as typed plus the filters from the form or URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SearchRequest {
    /// The query as typed: words, `"phrases"`, `-exclusions`, `product:` and `tag:` filters.
    pub q: String,
    /// Only articles with all of these products (`product=` in the URL).
    #[serde(default)]
    pub products: Vec<String>,
    /// Only articles with all of these tags (`tag=` in the URL).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Hits per page (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Hits to skip.
    #[serde(default)]
    pub offset: usize,
}

impl SearchRequest {
    /// A request for `q` with no filters.
    pub fn new(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            ..Self::default()
        }
    }

    /// The page size, clamped to `1..=MAX_LIMIT`.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }
}

/// The `/api/search` answer (DESIGN §5).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResponse {
    /// The query as typed.
    pub query: String,
    /// How many articles match.
    pub total: usize,
    /// Time spent searching, in milliseconds.
    pub took_ms: f64,
    /// A corrected query when some words are unknown to the index.
    pub suggestion: Option<String>,
    /// This page of results, best first.
    pub hits: Vec<Hit>,
    /// Product and tag counts over all matches.
    pub facets: Facets,
    /// Set when the query is a KB number of an existing article (`1001`, `KB1001`): the
    /// article's URL, which pages redirect to.
    #[serde(skip)]
    pub redirect: Option<String>,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Article slug.
    pub slug: String,
    /// KB number.
    pub id: Option<u32>,
    /// Title.
    pub title: String,
    /// Canonical URL (`/kb/{slug}`).
    pub url: String,
    /// The article file, relative to the content root.
    pub path: String,
    /// Summary.
    pub summary: String,
    /// The best-matching passage, HTML-escaped, with matches in `<mark>`.
    pub snippet_html: String,
    /// Products.
    pub products: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Relevance score (only comparable within one response).
    pub score: f32,
}

/// Facet counts over every match.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facets {
    /// Products, most common first.
    pub products: Vec<Facet>,
    /// Tags, most common first.
    pub tags: Vec<Facet>,
}

/// The canonical URL of an article.
pub fn article_url(slug: &str) -> String {
    format!("/kb/{slug}")
}
