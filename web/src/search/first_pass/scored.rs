//! Words already scored. Searches share words far more often than whole queries ("spooler" in
//! "print spooler stops", "spooler crashes", "restart spooler service"), and reading a word
//! word by word (`by_word.rs`) decodes and scores every posting of every field it is looked for
//! in: most of a search's time at 100k articles. So the first pass keeps what it computed, each
//! document containing the word and the word's score there, and the next search with the same
//! word adds those scores instead of reading its postings again.
//!
//! A word is the same when its query is (fields, terms, weights, the tie: its `Debug` form) in
//! the same segment of the same searcher generation: BM25 depends on the whole index's
//! statistics, so any re-index makes every older entry unreachable, and the size bound evicts
//! them. The scores kept are the ones the pass computed, to the bit, so a search gives the same
//! answer with or without them.

use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::{DocId, Score};

/// One word's documents in one segment, in index order, and its score in each.
#[derive(Debug, Default)]
pub struct Scored {
    pub docs: Vec<DocId>,
    pub scores: Vec<Score>,
}

impl Scored {
    /// Records `doc` with `score`; documents come in index order.
    pub fn push(&mut self, doc: DocId, score: Score) {
        self.docs.push(doc);
        self.scores.push(score);
    }

    fn bytes(&self) -> u64 {
        (self.docs.len() * (size_of::<DocId>() + size_of::<Score>())) as u64
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

/// Bytes of scored words kept by default: at 100,000 articles a word just under the common
/// share (10% of articles) takes 80 KB, so this holds a few hundred of the heaviest.
pub const DEFAULT_BYTES: u64 = 16 * 1024 * 1024;
/// Estimated size of one entry, for the table's initial size.
const WORD_BYTES: u64 = 8 * 1024;

/// Scored words by searcher generation, segment and word; size-bounded.
pub struct ScoredWords {
    /// `None` when off.
    words: Option<quick_cache::sync::Cache<Key, Arc<Scored>, Weigh>>,
}

impl ScoredWords {
    /// An empty cache holding about `bytes` of scored words (0: a cache that keeps nothing).
    pub fn new(bytes: u64) -> Self {
        let items = usize::try_from(bytes / WORD_BYTES).unwrap_or(usize::MAX).max(16);
        Self {
            words: (bytes > 0).then(|| quick_cache::sync::Cache::with_weighter(items, bytes, Weigh)),
        }
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
    pub fn insert(&self, generation: u64, segment: SegmentId, word: &Arc<str>, scored: Scored) {
        if let Some(words) = &self.words {
            let key = Key {
                generation,
                segment,
                word: word.clone(),
            };
            words.insert(key, Arc::new(scored));
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
