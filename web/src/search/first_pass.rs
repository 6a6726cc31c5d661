//! The first pass of a search: every article the query matches, counted and tallied by product
//! and tag, and the best of them by score, which the second pass rescores (see `execute`).
//!
//! An article's score is its score for the query plus its score for each common word (words
//! most articles contain, which only ever add to articles found through rarer ones). Seeking a
//! common word's long posting lists for every match was most of the first pass's time, so they
//! are sought max-score style: for each match, word by word, only while the article could still
//! make the best `window` if every word left gave its highest possible score. Once the window is
//! full of articles that score well on the rarer words, most matches stop early. The best
//! `window` are exactly those that scoring every match would give.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SeekDangerResult, TERMINATED};

use super::union;

/// What the first pass found.
pub struct Found<T> {
    /// The best `window` matches, best first; equal scores in index order.
    pub top: Vec<(Score, DocAddress)>,
    /// How many articles matched.
    pub total: usize,
    /// What the facet collector made of every match.
    pub facets: T,
}

/// Runs `query`, adding `common` words' scores, and keeps the best `window` matches.
pub fn first_pass<F: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    common: &[Box<dyn Query>],
    window: usize,
    facets: &F,
) -> tantivy::Result<Found<F::Fruit>> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weight = query.weight(scoring)?;
    let common: Vec<Box<dyn Weight>> = common
        .iter()
        .map(|q| q.weight(scoring))
        .collect::<tantivy::Result<_>>()?;
    let mut top = Top::new(window);
    let mut total = 0usize;
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    let mut matched: Vec<DocId> = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as u32;
        let mut counter = facets.for_segment(ord, reader)?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut words = Words::new(&common, reader)?;
        let alive = reader.alive_bitset();
        matched.clear();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                matched.push(doc);
                let score = scorer.score();
                if let Some(score) = words.add(doc, score, top.threshold()) {
                    top.push(score, DocAddress::new(ord, doc));
                }
            }
            doc = scorer.advance();
        }
        // All at once: with many matches the facet counter has a faster way than one by one.
        total += matched.len();
        counter.collect_block(&matched);
        fruits.push(counter.harvest());
    }
    Ok(Found {
        top: top.into_sorted(),
        total,
        facets: facets.merge_fruits(fruits)?,
    })
}

/// The common words in one segment.
struct Words {
    /// Each word's scorer and the first document it may still match (it is probed, and only
    /// ever moves forward).
    words: Vec<(Box<dyn Scorer>, DocId)>,
    /// For each word, the highest score it and the words after it can give together.
    rest: Vec<Score>,
}

/// Headroom on the bounds, far above the rounding of a few float additions, so that a sum
/// taken in another order can never beat a bound it should not.
const SLACK: Score = 1.0 + 1e-4;

impl Words {
    fn new(weights: &[Box<dyn Weight>], reader: &tantivy::SegmentReader) -> tantivy::Result<Self> {
        let mut words = Vec::with_capacity(weights.len());
        let mut most = Vec::with_capacity(weights.len());
        for weight in weights {
            let scorer = weight.scorer(reader, 1.0)?;
            // A word we cannot bound is always sought.
            most.push(union::max_score(scorer.as_ref()).unwrap_or(Score::INFINITY));
            words.push((scorer, 0));
        }
        let mut rest = most;
        for k in (0..rest.len().saturating_sub(1)).rev() {
            rest[k] += rest[k + 1];
        }
        Ok(Self { words, rest })
    }

    /// `base` plus the common words' scores for `doc`, or `None` as soon as it is sure the
    /// sum cannot beat `threshold`.
    fn add(&mut self, doc: DocId, base: Score, threshold: Option<Score>) -> Option<Score> {
        let mut sum = 0.0;
        for ((scorer, from), rest) in self.words.iter_mut().zip(&self.rest) {
            if threshold.is_some_and(|t| base + (sum + rest) * SLACK <= t) {
                return None;
            }
            if doc >= *from {
                match scorer.seek_danger(doc) {
                    SeekDangerResult::Found => {
                        sum += scorer.score();
                        *from = doc + 1;
                    }
                    SeekDangerResult::SeekLowerBound(next) => *from = next,
                }
            }
        }
        Some(base + sum)
    }
}

/// The best `limit` (score, document) pairs pushed in index order: a min-heap whose smallest
/// is the score to beat once it is full (tantivy's `TopNComputer` updates its threshold only
/// every `limit` pushes, which would let far more matches seek their common words).
struct Top {
    heap: BinaryHeap<Reverse<Entry>>,
    limit: usize,
}

/// Ordered by score, then earlier documents first (they win ties).
#[derive(PartialEq)]
struct Entry(Score, DocAddress);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then_with(|| other.1.cmp(&self.1))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Top {
    fn new(limit: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(limit.min(1 << 16)),
            limit,
        }
    }

    /// The score a match must beat to enter; `None` until full.
    fn threshold(&self) -> Option<Score> {
        match self.heap.peek() {
            Some(Reverse(Entry(score, _))) if self.heap.len() >= self.limit => Some(*score),
            _ if self.limit == 0 => Some(Score::INFINITY),
            _ => None,
        }
    }

    /// Keeps `(score, doc)` if it beats the threshold. Documents arrive in index order, so a
    /// tie with the threshold loses to the earlier document already in.
    fn push(&mut self, score: Score, doc: DocAddress) {
        match self.threshold() {
            Some(t) if score <= t => {}
            Some(_) => {
                // In place of the smallest, sifted down once (a pop and a push sift twice).
                if let Some(mut smallest) = self.heap.peek_mut() {
                    *smallest = Reverse(Entry(score, doc));
                }
            }
            None => self.heap.push(Reverse(Entry(score, doc))),
        }
    }

    /// Best first; equal scores in index order.
    fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        // Ascending order of `Reverse<Entry>` is best entry first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(Entry(score, doc))| (score, doc))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::query::QueryClone;

    use super::*;
    use crate::search::build::Builder;
    use crate::search::tests::indexed;
    use crate::search::union::SeekUnion;
    use crate::search::{Weights, query};

    #[test]
    fn first_pass_skips_common_words_only_where_they_cannot_change_the_window() {
        // "alpha" and "beta" are in every body, so they are common and only add to the score of
        // articles matching "quux"; in the short fields, where they are scored, only some articles
        // have them, repeated more or less, so their scores spread and the pruning has work to do.
        let files: Vec<(String, String)> = (0..1_200)
            .map(|i| {
                let words = |word: &str, n: usize| vec![word; n].join(" ");
                let alpha = if i % 7 < 2 {
                    words("Alpha", 1 + i * 5 % 12)
                } else {
                    String::new()
                };
                let beta = if i % 5 == 0 {
                    words("beta", 1 + i % 9)
                } else {
                    String::new()
                };
                let summary = if i % 9 < 2 {
                    "Beta and alpha."
                } else {
                    "Something else."
                };
                let quux = if i % 12 == 0 {
                    words("quux", 1 + i % 7)
                } else {
                    String::new()
                };
                let filler = words("filler", i % 11);
                // Some titles and summaries of nothing but the common words, many times over: their
                // scores come close to the highest possible, so a bound set too low would show.
                // A third of the articles with "quux" have it in their titles too: the rarer word's
                // scores spread, and the best of them set a threshold most others fall short of.
                let (title, summary) = match i % 24 {
                    0 => (words("Alpha", 40), words("alpha", 40)),
                    _ => (format!("Report {i} {alpha} {beta}"), summary.to_owned()),
                };
                let title = if i % 36 == 0 {
                    format!("{title} {}", words("quux", 1 + i % 5))
                } else {
                    title
                };
                let md =
                    format!("---\ntitle: {title}\nsummary: {summary}\n---\n{quux} alpha beta {filler}\n");
                (format!("a{i}.md"), md)
            })
            .collect();
        let (_dir, lib, index) = indexed(&files);
        let searcher = index.reader.searcher();
        let synonyms = index.synonyms.get(&lib.synonyms);
        let q = "alpha quux";
        let built = Builder::new(&index.fields, &searcher, &Weights::default(), &synonyms).build(
            q,
            &query::parse(q),
            &[],
            &[],
        );
        let query = built.query.expect("quux is searched");
        assert_eq!(built.common.len(), 1, "alpha is common");
        let facets = index.facet_tables.collector(&searcher).unwrap();
        for window in 1..=100 {
            let found = first_pass(&searcher, query.as_ref(), &built.common, window, &facets).unwrap();
            // Every match scored with the common words: the first pass as it was before pruning.
            let every = tantivy::query::BooleanQuery::new(vec![
                (tantivy::query::Occur::Must, query.box_clone()),
                (
                    tantivy::query::Occur::Should,
                    Box::new(SeekUnion::sum(
                        built.common.iter().map(|q| q.box_clone()).collect(),
                    )),
                ),
            ]);
            let top = tantivy::collector::TopDocs::with_limit(window).order_by_score();
            let (theirs, count) = searcher
                .search(&every, &(top, tantivy::collector::Count))
                .unwrap();
            assert_eq!(found.total, 100);
            assert_eq!(found.total, count);
            assert_eq!(found.top, theirs, "window {window}");
        }
    }
}
