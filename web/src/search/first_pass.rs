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
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as u32;
        let mut counter = facets.for_segment(ord, reader)?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut words = Words::new(&common, reader)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                total += 1;
                counter.collect(doc, 0.0);
                let score = scorer.score();
                if let Some(score) = words.add(doc, score, top.threshold()) {
                    top.push(score, DocAddress::new(ord, doc));
                }
            }
            doc = scorer.advance();
        }
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
                self.heap.pop();
                self.heap.push(Reverse(Entry(score, doc)));
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
