//! Hits' slugs: read from the index's slug column, kept by segment and document, and used to
//! order equal scores.

use std::sync::Arc;

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::schema::names;

/// Hits' slugs as read before, by segment and document: a segment never changes, so neither
/// does the slug of one of its documents. Reading one from the slug column decodes a block of
/// its dictionary (3% of an uncached search at 100k articles, for its ten hits); the same
/// articles come up as hits again and again.
pub struct SlugCache(quick_cache::sync::Cache<(SegmentId, DocId), Arc<str>>);

/// Slugs kept: about 100 bytes each.
const SLUGS_KEPT: usize = 16_384;

impl Default for SlugCache {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(SLUGS_KEPT))
    }
}

/// Reads hits' slugs, from the cache or opening each segment's slug column once per search.
pub struct Slugs<'a> {
    searcher: &'a Searcher,
    kept: &'a SlugCache,
    /// By segment ordinal; `None` until that segment's first hit not kept.
    columns: Vec<Option<Option<StrColumn>>>,
}

impl<'a> Slugs<'a> {
    pub fn new(searcher: &'a Searcher, kept: &'a SlugCache) -> Self {
        Self {
            searcher,
            kept,
            columns: vec![None; searcher.segment_readers().len()],
        }
    }

    /// The slug of an indexed document.
    pub fn get(&mut self, address: DocAddress) -> Option<Arc<str>> {
        let segment = self
            .searcher
            .segment_readers()
            .get(address.segment_ord as usize)?;
        let key = (segment.segment_id(), address.doc_id);
        if let Some(slug) = self.kept.0.get(&key) {
            return Some(slug);
        }
        let column = self
            .columns
            .get_mut(address.segment_ord as usize)?
            .get_or_insert_with(|| segment.fast_fields().str(names::SLUG).ok().flatten());
        let column = column.as_ref()?;
        let ord = column.term_ords(address.doc_id).next()?;
        let mut slug = String::new();
        column.ord_to_str(ord, &mut slug).ok()?;
        let slug: Arc<str> = slug.into();
        self.kept.0.insert(key, slug.clone());
        Some(slug)
    }
}

/// The first `upto` of `hits` (sorted best first) with their slugs, equal scores ordered by
/// slug. Without this, ties (near-duplicate articles) would keep index order, which depends on
/// which indexing thread took which article, and could swap from one build to the next.
pub fn break_ties(
    hits: &[(Score, DocAddress)],
    upto: usize,
    slugs: &mut Slugs<'_>,
) -> Vec<(Score, Option<Arc<str>>)> {
    let mut out: Vec<(Score, Option<Arc<str>>)> = Vec::with_capacity(upto.min(hits.len()));
    let mut start = 0;
    while start < hits.len() && out.len() < upto {
        let score = hits[start].0;
        let end = start + hits[start..].iter().take_while(|h| h.0 == score).count();
        let from = out.len();
        out.extend(
            hits[start..end]
                .iter()
                .map(|&(score, address)| (score, slugs.get(address))),
        );
        out[from..].sort_by(|a, b| a.1.cmp(&b.1));
        start = end;
    }
    out.truncate(upto);
    out
}
