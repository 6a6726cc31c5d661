//! A clause that only filters (`product:`, `tag:`): the articles its query matches, each
//! scoring nothing, so a match's score is its words' alone. The first pass reads it as a set of
//! documents (`first_pass/by_word.rs`), so a filtered search reads its words word by word, and
//! shares them with every other search, like an unfiltered one.

use tantivy::BitSet;
use tantivy::query::{ConstScoreQuery, EnableScoring, Query, Weight};
use tantivy::{DocSet, SegmentReader, TERMINATED, Term};

/// The articles `query` matches, scored 0 (tantivy's [`ConstScoreQuery`] with score 0, which a
/// sum of scores ignores to the bit).
#[derive(Debug, Clone)]
pub struct Filter(ConstScoreQuery);

impl Filter {
    pub fn new(query: Box<dyn Query>) -> Self {
        Self(ConstScoreQuery::new(query, 0.0))
    }

    /// Which documents it keeps, for [`documents`]: its query without scores.
    pub fn matching(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let disabled = match scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => EnableScoring::disabled_from_schema(scoring.schema()),
        };
        // A `ConstScoreQuery` without scoring is its query's weight.
        self.0.weight(disabled)
    }
}

impl Query for Filter {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        self.0.weight(scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

/// The live documents of `reader` that every one of `filters` ([`Filter::matching`]) keeps;
/// `None` without filters.
pub fn documents(filters: &[Box<dyn Weight>], reader: &SegmentReader) -> tantivy::Result<Option<BitSet>> {
    let mut kept: Option<BitSet> = None;
    for filter in filters {
        let mut these = BitSet::with_max_value(reader.max_doc());
        let mut scorer = filter.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            // The first filter leaves out deleted documents; the others keep what it kept.
            let keep = match &kept {
                Some(kept) => kept.contains(doc),
                None => reader.alive_bitset().is_none_or(|a| a.is_alive(doc)),
            };
            if keep {
                these.insert(doc);
            }
            doc = scorer.advance();
        }
        kept = Some(these);
    }
    Ok(kept)
}
