//! fixkb: a self-hosted knowledge base with executable fixes.
//!
//! Data flows one way: the content folder is loaded into an immutable [`content::Library`]
//! snapshot, which feeds the search index, the article pages and the fix renderer; HTTP sits on
//! top, and events (feedback, receipts, searches) go down into the SQLite store.
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | CLI flags and `FIXKB_*` environment variables |
//! | [`content`] | loading and validating the content folder; hot reload |
//! | [`markdown`] | pulldown-cmark options, HTML, headings, table of contents, links |
//! | [`highlight`] | server-side syntax highlighting |
//! | [`search`] | tantivy schema, indexing, queries, snippets, facets |
//! | [`fixes`] | fix definitions, typed parameters, per-language quoting, rendering |
//! | [`store`] | SQLite: migrations, feedback, receipts, search log |
//! | [`encoding`] | bodies served many times, compressed once per content coding |
//! | [`http`] | router (every URL), handlers, views, errors |

pub mod config;
pub mod content;
pub mod encoding;
pub mod fixes;
#[cfg(test)]
pub(crate) mod fuzz;
pub mod highlight;
pub mod http;
pub mod markdown;
pub mod search;
pub mod state;
pub mod store;
pub mod util;

pub use http::{app, serve};
