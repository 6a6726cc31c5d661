//! Probing the candidates of a search for one clause: which of them it matches, with what score.

use std::sync::Arc;

use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::{DocAddress, Score, Searcher, SeekDangerResult, SegmentReader};

use crate::search::first_pass::{Kept, before};

/// Calls `f(i, score)` for each hit `i` that `query` matches (`score` is 0 unless `scoring`),
/// visiting hits in `order` (their `index_order`) so each segment's scorer only moves forward.
/// Hits are probed (tantivy's `seek_danger`): a phrase that misses one does not go on to search
/// for its next match. A clause kept in full (see [`Kept::clause`]) is looked up in its kept
/// documents directly.
pub(super) fn for_each_match(
    searcher: &Searcher,
    hits: &[(Score, DocAddress)],
    order: &[usize],
    query: &dyn Query,
    scoring: bool,
    kept: Option<(Kept<'_>, &Arc<str>)>,
    mut f: impl FnMut(usize, Score),
) -> tantivy::Result<()> {
    let enable = if scoring {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    let weight = query.weight(enable)?;
    let segment_of = |i: usize| hits[i].1.segment_ord;
    for segment in order.chunk_by(|&a, &b| segment_of(a) == segment_of(b)) {
        let reader = searcher.segment_reader(segment_of(segment[0]));
        let full = match kept.filter(|_| scoring) {
            Some((kept, key)) => {
                let postings = || postings_of(query, reader);
                kept.clause(
                    || weight.scorer(reader, 1.0),
                    key,
                    reader,
                    segment.len(),
                    postings,
                )?
            }
            None => None,
        };
        match full {
            Some(scored) => {
                let mut at = 0;
                for &i in segment {
                    let doc = hits[i].1.doc_id;
                    let docs = scored.docs.get(at..).unwrap_or_default();
                    at += before(docs, doc);
                    if scored.docs.get(at) == Some(&doc) {
                        f(i, scored.scores.get(at).copied().unwrap_or(0.0));
                        at += 1;
                    }
                }
            }
            None => probe(&*weight, reader, hits, segment, scoring, &mut f)?,
        }
    }
    Ok(())
}

/// [`for_each_match`] in one segment, through the clause's scorer.
fn probe(
    weight: &dyn Weight,
    reader: &SegmentReader,
    hits: &[(Score, DocAddress)],
    segment: &[usize],
    scoring: bool,
    f: &mut impl FnMut(usize, Score),
) -> tantivy::Result<()> {
    let Some(&first) = segment.first() else {
        return Ok(());
    };
    let (mut result, mut scorer) = weight.scorer_danger(reader, hits[first].1.doc_id, 1.0)?;
    // The first document the scorer may still match.
    let mut bound = 0;
    for (k, &i) in segment.iter().enumerate() {
        let doc = hits[i].1.doc_id;
        if doc < bound {
            continue;
        }
        if k > 0 {
            result = scorer.seek_danger(doc);
        }
        match result {
            SeekDangerResult::Found => {
                bound = doc + 1;
                f(i, if scoring { scorer.score() } else { 0.0 });
            }
            SeekDangerResult::SeekLowerBound(next) => bound = next,
        }
    }
    Ok(())
}

/// The postings of `query`'s terms in `reader`: what reading it in full reads, about.
fn postings_of(query: &dyn Query, reader: &SegmentReader) -> tantivy::Result<u64> {
    let mut terms = Vec::new();
    query.query_terms(&mut |term, _| terms.push(term.clone()));
    let mut sum = 0;
    for term in &terms {
        sum += u64::from(reader.inverted_index(term.field())?.doc_freq(term)?);
    }
    Ok(sum)
}
