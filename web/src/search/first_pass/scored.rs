//! Words already scored. Searches share words far more often than whole queries ("spooler" in
//! "print spooler stops", "spooler crashes", "restart spooler service"), and reading a word
//! word by word (`by_word.rs`) decodes and scores every posting of every field it is looked for
//! in: most of a search's time at 100k articles. So the first pass keeps what it computed, each
//! document containing the word and the word's score there, and the next search with the same
//! word adds those scores instead of reading its postings again.
//!
//! The same holds for the common words, which the pass only seeks for its matches: each is read
//! in full once, then sought in its kept documents (by galloping, with its actual highest score
//! as the max-score bound). And for the boost clauses rescoring probes for each candidate
//! (adjacent pairs, phrases, coverage), once probing one has cost about what reading it in full
//! does ([`Kept::clause`]).
//!
//! A word is the same when its query is (fields, terms, weights, the tie: see `key.rs`) in
//! the same segment of the same searcher generation: BM25 depends on the whole index's
//! statistics, so any re-index makes every older entry unreachable, and the size bound evicts
//! them. The scores kept are the ones the pass computed, to the bit, so a search gives the same
//! answer with or without them.

use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// One word's documents in one segment, in index order, and its score in each.
#[derive(Debug, Default)]
pub struct Scored {
    pub docs: Vec<DocId>,
    pub scores: Vec<Score>,
    /// The highest of `scores` (0 when there are none).
    most: Score,
}

impl Scored {
    /// Records `doc` with `score`; documents come in index order.
    pub fn push(&mut self, doc: DocId, score: Score) {
        self.docs.push(doc);
        self.scores.push(score);
        // Scores are never NaN.
        if score > self.most {
            self.most = score;
        }
    }

    /// Every document `scorer` matches from where it is, with its score: the word in full.
    pub fn read(mut scorer: Box<dyn Scorer>) -> Self {
        let mut scored = Self::default();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            scored.push(doc, scorer.score());
            doc = scorer.advance();
        }
        scored.shrunk()
    }

    /// Without the spare room pushing left (up to as much again), before it is kept.
    pub fn shrunk(mut self) -> Self {
        self.docs.shrink_to_fit();
        self.scores.shrink_to_fit();
        self
    }

    fn bytes(&self) -> u64 {
        (self.docs.capacity() * size_of::<DocId>() + self.scores.capacity() * size_of::<Score>()) as u64
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    generation: u64,
    segment: SegmentId,
    word: Arc<str>,
}

#[derive(Clone)]
struct Weigh;

/// What an entry costs besides its documents: the key, the two vectors, the table's slot.
const ENTRY_BYTES: u64 = 160;

impl quick_cache::Weighter<Key, Arc<Scored>> for Weigh {
    fn weight(&self, key: &Key, scored: &Arc<Scored>) -> u64 {
        key.word.len() as u64 + scored.bytes() + ENTRY_BYTES
    }
}

/// The cache of scored words and the searcher generation it is asked about.
#[derive(Clone, Copy)]
pub struct Kept<'a> {
    pub words: &'a ScoredWords,
    pub generation: u64,
}

impl Kept<'_> {
    /// What is kept for `key` in `segment`.
    pub fn get(&self, segment: SegmentId, key: &Arc<str>) -> Option<Arc<Scored>> {
        self.words.get(self.generation, segment, key)
    }

    /// Keeps `scored` for `key` in `segment`.
    pub fn insert(&self, segment: SegmentId, key: &Arc<str>, scored: Arc<Scored>) {
        self.words.insert(self.generation, segment, key, scored);
    }

    /// A boost clause (its `scorer` in `reader`, known as `key`) in full in `reader`: kept, or
    /// read now and kept once probing it has cost about what reading it would; otherwise
    /// `None`, and the caller probes its `probes` candidates.
    ///
    /// Reading a clause in full (a pair of the query's words in a title, the whole query as a
    /// phrase) costs about `postings()` (the postings of its terms), probing it for one search
    /// far less for a rare clause and far more for a common one, and whether it comes back is
    /// unknown: so each search that probes it counts its probes, and the clause is read once
    /// the probes so far reach its postings divided by [`PROBE_POSTINGS`] (renting until the
    /// rent paid equals the price, which never costs more than twice the better choice).
    pub fn clause(
        &self,
        scorer: impl FnOnce() -> tantivy::Result<Box<dyn Scorer>>,
        key: &Arc<str>,
        reader: &SegmentReader,
        probes: usize,
        postings: impl FnOnce() -> tantivy::Result<u64>,
    ) -> tantivy::Result<Option<Arc<Scored>>> {
        let segment = reader.segment_id();
        if let Some(scored) = self.get(segment, key) {
            return Ok(Some(scored));
        }
        if !self
            .words
            .rent(self.generation, segment, key, probes as u64, postings)?
        {
            return Ok(None);
        }
        let scored = Arc::new(Scored::read(scorer()?));
        self.insert(segment, key, scored.clone());
        Ok(Some(scored))
    }

    /// Each of the words (`weights`, known to the cache as `keys`) in full in `reader`: as
    /// kept, or read now and kept.
    pub fn common(
        &self,
        weights: &[Box<dyn Weight>],
        keys: &[Arc<str>],
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<Arc<Scored>>> {
        let segment = reader.segment_id();
        let mut out = Vec::with_capacity(weights.len());
        for (weight, key) in weights.iter().zip(keys) {
            let scored = match self.get(segment, key) {
                Some(scored) => scored,
                None => {
                    let scored = Arc::new(Scored::read(weight.scorer(reader, 1.0)?));
                    self.insert(segment, key, scored.clone());
                    scored
                }
            };
            out.push(scored);
        }
        Ok(out)
    }
}

/// How many of `docs` (sorted) come before `target`, galloping from the first: in steps of 1,
/// 2, 4… then a binary search of the last step. It costs the logarithm of the answer, where a
/// binary search of all of `docs` costs that of their number, with a cache miss at most steps
/// (a common word keeps tens of thousands, and the first pass asks once a window).
pub fn before(docs: &[DocId], target: DocId) -> usize {
    let mut lo = 0;
    let mut step = 1;
    while lo + step < docs.len() && docs[lo + step] < target {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step + 1).min(docs.len());
    lo + docs
        .get(lo..hi)
        .unwrap_or_default()
        .partition_point(|&d| d < target)
}

/// A kept word read as a scorer: its documents in order, each with its kept score.
pub struct KeptScorer {
    scored: Arc<Scored>,
    at: usize,
}

impl KeptScorer {
    pub fn new(scored: Arc<Scored>) -> Self {
        Self { scored, at: 0 }
    }

    /// The highest score it gives (a bound for max-score pruning, exact rather than derived).
    pub fn max_score(&self) -> Score {
        self.scored.most
    }
}

impl DocSet for KeptScorer {
    fn advance(&mut self) -> DocId {
        self.at = (self.at + 1).min(self.scored.docs.len());
        self.doc()
    }

    /// Galloping from the current document: most seeks land a few documents ahead.
    fn seek(&mut self, target: DocId) -> DocId {
        let docs = self.scored.docs.get(self.at..).unwrap_or_default();
        self.at += before(docs, target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.scored.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        u32::try_from(self.scored.docs.len()).unwrap_or(u32::MAX)
    }
}

impl Scorer for KeptScorer {
    fn score(&mut self) -> Score {
        self.scored.scores.get(self.at).copied().unwrap_or(0.0)
    }
}

/// Bytes of scored words kept by default. At 100,000 articles a word just under the common
/// share (10% of articles) takes 80 KB, a common word up to 800 KB; the load mix's 32 queries
/// keep 16.5 MB (349 entries), and a cache too small for what is searched reads its common
/// words in full again and again (16 MB counted 232 million instructions a pass of the mix
/// where 64 MB counted 158).
pub const DEFAULT_BYTES: u64 = 32 * 1024 * 1024;
/// Estimated size of one entry, for the table's initial size.
const WORD_BYTES: u64 = 8 * 1024;

/// Scored words by searcher generation, segment and word; size-bounded.
pub struct ScoredWords {
    /// `None` when off.
    words: Option<quick_cache::sync::Cache<Key, Arc<Scored>, Weigh>>,
    /// Boost clauses probed and not kept: the probes so far and the probes that pay for
    /// reading the clause (see [`Kept::clause`]).
    seen: Option<quick_cache::sync::Cache<Key, (u64, u64)>>,
    /// Probes a clause must cost before it is read, per posting, when not as served (tests
    /// raise it to see clauses both probed and kept).
    probes_per_posting: Option<u64>,
}

/// Boost clauses whose probes are counted.
const SEEN: usize = 4_096;

/// Postings a clause reads in full for what probing it for one candidate costs. On the load
/// mix at 100k articles (`tests/load/count.sh`) a probe costs about 300 instructions and
/// reading a phrase clause in full well over 100 a posting (positions): with 8, the second
/// search of the mix read most of its clauses in full and counted 346 million instructions
/// against 176 without keeping clauses (later passes: 158 against 176).
pub const PROBE_POSTINGS: u64 = 2;

impl ScoredWords {
    /// An empty cache holding about `bytes` of scored words (0: a cache that keeps nothing).
    pub fn new(bytes: u64) -> Self {
        let items = usize::try_from(bytes / WORD_BYTES).unwrap_or(usize::MAX).max(16);
        Self {
            words: (bytes > 0).then(|| quick_cache::sync::Cache::with_weighter(items, bytes, Weigh)),
            seen: (bytes > 0).then(|| quick_cache::sync::Cache::new(SEEN)),
            probes_per_posting: None,
        }
    }

    /// The same cache, clauses read only once probed `probes` times per posting.
    #[cfg(test)]
    pub fn renting_longer(self, probes: u64) -> Self {
        Self {
            probes_per_posting: Some(probes),
            ..self
        }
    }

    /// Counts `probes` more for `word` in `segment` of searcher `generation`; true when the
    /// probes so far pay for reading its `postings` in full (see [`Kept::clause`]).
    fn rent(
        &self,
        generation: u64,
        segment: SegmentId,
        word: &Arc<str>,
        probes: u64,
        postings: impl FnOnce() -> tantivy::Result<u64>,
    ) -> tantivy::Result<bool> {
        let Some(seen) = &self.seen else {
            return Ok(false);
        };
        let key = Key {
            generation,
            segment,
            word: word.clone(),
        };
        let (paid, price) = match seen.get(&key) {
            Some(rent) => rent,
            None => {
                let postings = postings()?;
                let price = match self.probes_per_posting {
                    Some(probes) => postings.saturating_mul(probes),
                    None => postings / PROBE_POSTINGS,
                };
                (0, price)
            }
        };
        let paid = paid.saturating_add(probes);
        if paid >= price {
            seen.remove(&key);
            return Ok(true);
        }
        seen.insert(key, (paid, price));
        Ok(false)
    }

    /// True when the cache keeps words.
    pub fn is_on(&self) -> bool {
        self.words.is_some()
    }

    /// The scores kept for `word` in `segment` of searcher `generation`.
    pub fn get(&self, generation: u64, segment: SegmentId, word: &Arc<str>) -> Option<Arc<Scored>> {
        self.words.as_ref()?.get(&Key {
            generation,
            segment,
            word: word.clone(),
        })
    }

    /// Keeps `scored` for `word` in `segment` of searcher `generation`.
    pub fn insert(&self, generation: u64, segment: SegmentId, word: &Arc<str>, scored: Arc<Scored>) {
        if let Some(words) = &self.words {
            let key = Key {
                generation,
                segment,
                word: word.clone(),
            };
            words.insert(key, scored);
        }
    }

    /// Entries and their estimated bytes.
    pub fn usage(&self) -> (usize, u64) {
        self.words
            .as_ref()
            .map_or((0, 0), |words| (words.len(), words.weight()))
    }
}

impl Default for ScoredWords {
    fn default() -> Self {
        Self::new(DEFAULT_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Galloping finds what a binary search of the whole list does, for any target.
        #[test]
        fn galloping_counts_what_comes_before_as_a_binary_search_does(
            mut docs in proptest::collection::vec(0u32..5_000, 0..600),
            target in 0u32..5_100,
        ) {
            docs.sort_unstable();
            docs.dedup();
            proptest::prop_assert_eq!(before(&docs, target), docs.partition_point(|&d| d < target));
        }
    }

    #[test]
    fn what_is_kept_is_found_again_only_for_its_generation_and_segment() {
        let words = ScoredWords::new(1 << 20);
        let (segment, other) = (SegmentId::generate_random(), SegmentId::generate_random());
        let word: Arc<str> = Arc::from("spooler");
        let mut scored = Scored::default();
        scored.push(7, 1.5);
        let scored = Arc::new(scored);
        words.insert(3, segment, &word, scored.clone());
        let found = words.get(3, segment, &Arc::from("spooler"));
        assert!(found.is_some_and(|f| Arc::ptr_eq(&f, &scored)));
        assert!(words.get(4, segment, &word).is_none(), "another generation");
        assert!(words.get(3, other, &word).is_none(), "another segment");
        assert!(
            words.get(3, segment, &Arc::from("print")).is_none(),
            "another word"
        );
        let off = ScoredWords::new(0);
        off.insert(3, segment, &word, scored);
        assert!(!off.is_on() && off.get(3, segment, &word).is_none());
    }

    #[test]
    fn a_kept_word_seeks_and_scores_as_a_scan_of_its_documents_would() {
        // Documents with gaps of every size (runs of neighbours, jumps of thousands), sought
        // with targets on documents, between them, past the end, and advanced in between.
        let mut scored = Scored::default();
        let mut doc = 3;
        for i in 0..2_000u32 {
            scored.push(doc, (i % 97) as Score * 0.25);
            doc += 1 + (i * 7919 % 13) * (i * 31 % 5) * (i % 11) * 9;
        }
        let scored = Arc::new(scored);
        assert_eq!(scored.most, 24.0);
        let last = *scored.docs.last().unwrap();
        let scan = |from: usize, target: DocId| {
            (from..scored.docs.len())
                .find(|&k| scored.docs[k] >= target)
                .unwrap_or(scored.docs.len())
        };
        for stride in [1, 2, 5, 64, 700, 5_000, 40_000, 300_000] {
            let mut scorer = KeptScorer::new(scored.clone());
            let mut at = 0;
            let mut target = 0;
            while target <= last + 10 {
                let expected = scan(at, target);
                let doc = scorer.seek(target);
                assert_eq!(doc, scored.docs.get(expected).copied().unwrap_or(TERMINATED));
                at = expected;
                if doc != TERMINATED {
                    assert_eq!(scorer.score(), scored.scores[at], "doc {doc}");
                    if target % 3 == 0 {
                        at += 1;
                        assert_eq!(
                            scorer.advance(),
                            scored.docs.get(at).copied().unwrap_or(TERMINATED)
                        );
                    }
                }
                target += stride;
            }
            assert_eq!(scorer.seek(TERMINATED), TERMINATED);
            assert_eq!(scorer.advance(), TERMINATED);
        }
    }
}
