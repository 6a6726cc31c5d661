//! Adjacent-pair boosts for the best candidates, read together.
//!
//! Each adjacent pair of the query's words is a boost clause per short field: a two-term
//! phrase with some slop (`build.rs`). Probed one clause at a time, every clause sought both of
//! its terms and read both of their positions for every candidate, so the middle words of
//! "print spooler stops responding" were read twice per field and candidate. Here the pairs of
//! a run of clauses share their terms: each term is sought and its positions read at most once
//! per candidate, and the rarer term of a pair first, the other only if it is there. On the
//! load mix at 100k articles that reads a quarter fewer positions (79,000 → 60,000) but saves
//! only 1.3% of a search's instructions: most of a probe is moving each term's postings to a
//! new block for each candidate, which sharing does not change.
//!
//! A pair scores exactly as tantivy's `BoostQuery` over a `PhraseQuery` of its two terms: the
//! same BM25 weight (both terms' statistics, times the boost), the same phrase count (the two
//! position lists shifted by their offsets, the rarer term's on the left, intersected with
//! the slop as tantivy does), the same length norm. Tests hold the two to the same scores.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Query, Scorer};

use super::first_pass::{Kept, KeptScorer};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, Term};

/// Two words near each other in one field: `terms[1]` is `gap` positions after `terms[0]`,
/// give or take `slop`; an article gains its phrase score times `boost`.
#[derive(Debug, Clone)]
pub struct Pair {
    pub terms: [Term; 2],
    pub gap: u32,
    pub slop: u32,
    pub boost: Score,
}

impl Pair {
    fn field(&self) -> Field {
        self.terms[0].field()
    }
}

/// The cache of scored words, and each pair's phrase query and its key there.
pub type KeptPairs<'a> = (Kept<'a>, &'a [&'a dyn Query], &'a [Arc<str>]);

/// For each hit of `order` (index order, see `execute::index_order`) and each pair `k` that
/// `wanted(hit, k)` allows, calls `add(hit, k, score)` when the pair matches the hit, hits in
/// `order`'s order and pairs in theirs for each hit. With `kept` (the cache of scored words,
/// and each pair's phrase query and key there), a pair the cache has in full (see
/// `Kept::clause`) is looked up there instead of probed.
pub fn for_each_match(
    searcher: &Searcher,
    hits: &[(Score, DocAddress)],
    order: &[usize],
    pairs: &[Pair],
    kept: Option<KeptPairs<'_>>,
    wanted: impl Fn(usize, usize) -> bool,
    mut add: impl FnMut(usize, usize, Score),
) -> tantivy::Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let weights: Vec<Bm25Weight> = pairs
        .iter()
        .map(|p| Ok(Bm25Weight::for_terms(searcher, &p.terms)?.boost_by(p.boost)))
        .collect::<tantivy::Result<_>>()?;
    // The distinct terms, and each pair's two among them.
    let mut terms: Vec<&Term> = Vec::new();
    let mut ends: Vec<[usize; 2]> = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let mut end = [0; 2];
        for (e, term) in end.iter_mut().zip(&pair.terms) {
            *e = terms.iter().position(|u| *u == term).unwrap_or_else(|| {
                terms.push(term);
                terms.len() - 1
            });
        }
        ends.push(end);
    }
    let mut segment: Option<(u32, Segment)> = None;
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for &i in order {
        let DocAddress { segment_ord, doc_id } = hits[i].1;
        if segment.as_ref().is_none_or(|s| s.0 != segment_ord) {
            let reader = searcher.segment_reader(segment_ord);
            let probes = order
                .iter()
                .filter(|&&j| hits[j].1.segment_ord == segment_ord)
                .count();
            let seg = Segment::open(searcher, reader, &terms, pairs, kept, probes)?;
            segment = Some((segment_ord, seg));
        }
        let Some((_, seg)) = segment.as_mut() else {
            continue;
        };
        for (k, (pair, &[a, b])) in pairs.iter().zip(&ends).enumerate() {
            if !wanted(i, k) {
                continue;
            }
            if let Some(full) = seg.kept[k].as_mut() {
                if full.doc() < doc_id {
                    full.seek(doc_id);
                }
                if full.doc() == doc_id {
                    add(i, k, full.score());
                }
                continue;
            }
            // The term in fewer documents first: the other is not sought when it is missing.
            let (len_a, len_b) = (seg.len(a), seg.len(b));
            let (rare, other) = if len_b < len_a { (b, a) } else { (a, b) };
            if !seg.at(rare, doc_id) || !seg.at(other, doc_id) {
                continue;
            }
            // As tantivy's phrase scorer: each term's positions shifted so that the pair lines
            // up, the term in fewer documents on the left (the first on a tie).
            seg.positions(a, doc_id, pair.gap, &mut left);
            seg.positions(b, doc_id, 0, &mut right);
            if len_b < len_a {
                std::mem::swap(&mut left, &mut right);
            }
            let count = match pair.slop {
                0 => intersection_count(&left, &right),
                slop => intersection_count_with_slop(&left, &right, slop),
            };
            if count > 0 {
                let norm = seg.norms[k].fieldnorm_id(doc_id);
                add(i, k, weights[k].score(norm, count as u32));
            }
        }
    }
    Ok(())
}

/// The pairs' terms in one segment.
struct Segment {
    /// Each term's postings (`None`: not in this segment) and how many documents it is in.
    postings: Vec<Option<(SegmentPostings, u32)>>,
    /// Each term's positions in the document it is on, once read, without their shift.
    read: Vec<Option<(DocId, Vec<u32>)>>,
    /// Each pair's field's lengths.
    norms: Vec<FieldNormReader>,
    /// Each pair in full, where the cache of scored words has it.
    kept: Vec<Option<KeptScorer>>,
}

impl Segment {
    fn open(
        searcher: &Searcher,
        reader: &SegmentReader,
        terms: &[&Term],
        pairs: &[Pair],
        kept: Option<KeptPairs<'_>>,
        probes: usize,
    ) -> tantivy::Result<Self> {
        let mut postings = Vec::with_capacity(terms.len());
        for term in terms {
            let p = reader
                .inverted_index(term.field())?
                .read_postings(term, IndexRecordOption::WithFreqsAndPositions)?;
            postings.push(p.map(|p| {
                let len = p.size_hint();
                (p, len)
            }));
        }
        let mut full = Vec::with_capacity(pairs.len());
        for k in 0..pairs.len() {
            let scored = match kept {
                Some((kept, queries, keys)) if k < queries.len() && k < keys.len() => {
                    let scorer = || {
                        let scoring = EnableScoring::enabled_from_searcher(searcher);
                        queries[k].weight(scoring)?.scorer(reader, 1.0)
                    };
                    // Reading the pair reads its rarer term's documents.
                    let len = |t: &Term| {
                        let i = terms.iter().position(|u| *u == t);
                        i.and_then(|i| postings[i].as_ref()).map_or(0, |p| u64::from(p.1))
                    };
                    let [a, b] = &pairs[k].terms;
                    let rarer = || Ok(len(a).min(len(b)));
                    kept.clause(scorer, &keys[k], reader, probes, rarer)?
                }
                _ => None,
            };
            full.push(scored.map(KeptScorer::new));
        }
        let norms = pairs
            .iter()
            .map(|p| {
                Ok(reader
                    .fieldnorms_readers()
                    .get_field(p.field())?
                    .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1)))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Self {
            postings,
            read: vec![None; terms.len()],
            norms,
            kept: full,
        })
    }

    /// How many documents of the segment contain term `t` (0 when none).
    fn len(&self, t: usize) -> u32 {
        self.postings[t].as_ref().map_or(0, |p| p.1)
    }

    /// Whether term `t` is in `doc`; its postings move forward to it.
    fn at(&mut self, t: usize, doc: DocId) -> bool {
        let Some((postings, _)) = self.postings[t].as_mut() else {
            return false;
        };
        if postings.doc() < doc {
            postings.seek(doc);
        }
        postings.doc() == doc
    }

    /// Term `t`'s positions in `doc`, where [`Segment::at`] found it, each plus `shift`, into
    /// `out`. Read from the index once per document, however many pairs share the term.
    fn positions(&mut self, t: usize, doc: DocId, shift: u32, out: &mut Vec<u32>) {
        out.clear();
        let Some((postings, _)) = self.postings[t].as_mut() else {
            return;
        };
        let read = &mut self.read[t];
        if read.as_ref().is_none_or(|r| r.0 != doc) {
            let mut positions = read.take().map(|r| r.1).unwrap_or_default();
            positions.clear();
            postings.positions(&mut positions);
            *read = Some((doc, positions));
        }
        if let Some((_, positions)) = read {
            out.extend(positions.iter().map(|p| p + shift));
        }
    }
}

/// tantivy's count of exactly aligned positions (`phrase_scorer::intersection_count`).
fn intersection_count(left: &[u32], right: &[u32]) -> usize {
    let (mut l, mut r, mut count) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        match left[l].cmp(&right[r]) {
            std::cmp::Ordering::Less => l += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                l += 1;
                r += 1;
            }
            std::cmp::Ordering::Greater => r += 1,
        }
    }
    count
}

/// tantivy's count of positions within `slop` of each other, for two terms
/// (`phrase_scorer::intersection_count_with_slop`, without updating `left`): on a match, the
/// last left position not past the right one is taken, and both move on.
fn intersection_count_with_slop(left: &[u32], right: &[u32], slop: u32) -> usize {
    let (mut l, mut r, mut count) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        let (lv, rv) = (left[l], right[r]);
        if lv.abs_diff(rv) <= slop {
            while l + 1 < left.len() && left[l + 1] <= rv {
                l += 1;
            }
            count += 1;
            l += 1;
            r += 1;
        } else if lv < rv {
            l += 1;
        } else {
            r += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tantivy::query::EnableScoring;
    use tantivy::{TERMINATED, query::Query};

    use super::*;
    use crate::search::build::Builder;
    use crate::search::first_pass::{ScoredWords, key_of};
    use crate::search::tests::indexed;
    use crate::search::{Weights, query};

    /// The first document whose score differs between `a` and `b`, with both scores.
    fn difference(
        a: &BTreeMap<DocId, u32>,
        b: &BTreeMap<DocId, u32>,
    ) -> Option<(DocId, Option<f32>, Option<f32>)> {
        let score = |m: &BTreeMap<DocId, u32>, d: &DocId| m.get(d).map(|&s| f32::from_bits(s));
        a.keys()
            .chain(b.keys())
            .filter(|d| a.get(d) != b.get(d))
            .min()
            .map(|d| (*d, score(a, d), score(b, d)))
    }

    /// Each document `query` matches, with its score, walked by tantivy.
    fn tantivy_scores(searcher: &Searcher, query: &dyn Query) -> BTreeMap<DocId, u32> {
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(searcher))
            .unwrap();
        let mut out = BTreeMap::new();
        let mut scorer = weight.scorer(searcher.segment_reader(0), 1.0).unwrap();
        while scorer.doc() != TERMINATED {
            out.insert(scorer.doc(), scorer.score().to_bits());
            scorer.advance();
        }
        out
    }

    #[test]
    fn pairs_read_together_score_as_tantivys_phrases() {
        // Titles and symptoms of a few words in every order, repeated, with stop words between
        // them (a gap of two) and the same word twice, so that the slop, the shifts, which term
        // is on the left and the phrase counts all vary.
        let words = ["alpha", "beta", "gamma", "delta", "to", "the"];
        let files: Vec<(String, String)> = (0..700usize)
            .map(|i| {
                let text = |seed: usize, len: usize| {
                    (0..len)
                        .map(|j| words[(seed * 7 + j * j * 3 + j * seed / 5) % words.len()])
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let md = format!(
                    "---\ntitle: Report {i} {}\nsymptoms:\n  - \"{}\"\n  - \"{}\"\n---\nfiller {}\n",
                    text(i, 2 + i % 9),
                    text(i / 3 + 11, 3 + i % 5),
                    text(i / 7 + 5, 1 + i % 13),
                    text(i + 3, 1 + i % 4),
                );
                (format!("a{i}.md"), md)
            })
            .collect();
        let (_dir, lib, index) = indexed(&files);
        let searcher = index.reader.searcher();
        let synonyms = index.synonyms.get(&lib.synonyms);
        let max_doc = searcher.segment_reader(0).max_doc();
        let hits: Vec<(Score, DocAddress)> = (0..max_doc).map(|d| (0.0, DocAddress::new(0, d))).collect();
        let order: Vec<usize> = (0..hits.len()).collect();
        let queries = [
            "alpha beta",
            "beta alpha gamma",
            "alpha to beta",
            "delta the gamma alpha beta",
            "gamma to gamma",
            "beta beta",
        ];
        let mut checked = 0;
        // Rounds where some of a query's pairs were kept and others probed.
        let mut mixed = 0;
        for slop in [0, 1, 2] {
            let weights = Weights {
                slop,
                ..Weights::default()
            };
            for q in queries {
                let built = Builder::new(&index.fields, &searcher, &weights, &synonyms).build(
                    q,
                    &query::parse(q),
                    &[],
                    &[],
                );
                let clauses: Vec<_> = built.boost.iter().filter(|b| b.pair.is_some()).collect();
                assert!(!clauses.is_empty(), "{q}: no pairs");
                let pairs: Vec<Pair> = clauses.iter().filter_map(|c| c.pair.clone()).collect();
                // All the pairs at once, as rescoring reads them.
                let mut together = vec![BTreeMap::new(); pairs.len()];
                for_each_match(
                    &searcher,
                    &hits,
                    &order,
                    &pairs,
                    None,
                    |_, _| true,
                    |i, k, s| {
                        together[k].insert(i as DocId, s.to_bits());
                    },
                )
                .unwrap();
                // And with a cache of scored words, on a third of the documents: each pair
                // probed until its probes pay for reading it in full (here once probed as many
                // times as it has postings, longer than served, so that rare and common pairs
                // take different turns), then taken from the cache.
                let words = ScoredWords::new(1 << 20).renting_longer(1);
                let thirds: Vec<usize> = order.iter().copied().filter(|i| i % 3 == 0).collect();
                let expected: Vec<BTreeMap<DocId, u32>> = together
                    .iter()
                    .map(|m| {
                        m.iter()
                            .filter(|(d, _)| *d % 3 == 0)
                            .map(|(d, s)| (*d, *s))
                            .collect()
                    })
                    .collect();
                let kept = Kept {
                    words: &words,
                    generation: searcher.generation().generation_id(),
                };
                let queries: Vec<&dyn Query> = clauses.iter().map(|c| c.query.as_ref()).collect();
                let keys: Vec<Arc<str>> = queries.iter().map(|q| key_of(*q)).collect();
                for round in 0..8 {
                    let mut cached = vec![BTreeMap::new(); pairs.len()];
                    for_each_match(
                        &searcher,
                        &hits,
                        &thirds,
                        &pairs,
                        Some((kept, &queries, &keys)),
                        |_, _| true,
                        |i, k, s| {
                            cached[k].insert(i as DocId, s.to_bits());
                        },
                    )
                    .unwrap();
                    assert_eq!(cached, expected, "{q}, slop {slop}, round {round}");
                    let kept = words.usage().0;
                    mixed += usize::from(kept > 0 && kept < pairs.len());
                }
                assert_eq!(
                    words.usage().0,
                    pairs.len(),
                    "{q}, slop {slop}: all kept in the end"
                );
                for (k, clause) in clauses.iter().enumerate() {
                    let expected = tantivy_scores(&searcher, clause.query.as_ref());
                    let differs = difference(&together[k], &expected);
                    assert_eq!(
                        differs, None,
                        "{q}, slop {slop}, pair {k}: (doc, together, tantivy)"
                    );
                    checked += expected.len();
                    // Only the hits asked for, one pair alone.
                    let mut alone = BTreeMap::new();
                    let pair = std::slice::from_ref(&pairs[k]);
                    for_each_match(
                        &searcher,
                        &hits,
                        &order,
                        pair,
                        None,
                        |i, _| i % 3 == 0,
                        |i, _, s| {
                            alone.insert(i as DocId, s.to_bits());
                        },
                    )
                    .unwrap();
                    let thirds: BTreeMap<DocId, u32> =
                        expected.into_iter().filter(|(d, _)| d % 3 == 0).collect();
                    let differs = difference(&alone, &thirds);
                    assert_eq!(
                        differs, None,
                        "{q}, slop {slop}, pair {k} alone: (doc, alone, tantivy)"
                    );
                }
            }
        }
        assert!(
            checked > 5_000,
            "the pairs matched too little to say much: {checked}"
        );
        assert!(mixed > 0, "no round had pairs both kept and probed");
    }
}
