//! The first pass of a query made of words alone, read word by word over windows of documents
//! instead of document by document.
//!
//! Most first passes are a union of the rarer words, each the disjunction of its fields' terms
//! ([`SeekUnion`]), plus common words that only add to the score of those matches. Walked a
//! document at a time, every match went through two levels of unions and each common word was
//! sought match by match. Here, for each window of [`WINDOW`] documents, each field's postings
//! are read in one run, adding to its word's best and sum per document; each word then adds
//! its score to the document's total, the rarer words making it a match, the common words only
//! adding to matches. The arrays stay in the core's fastest caches, and reading a common word's
//! postings for a window costs less than seeking them for each match in it.
//!
//! Documents get exactly the scores of the walk: a word's fields are combined in the union's
//! order, the rarer words summed in the boolean query's order (as tantivy's union sums its
//! clauses), then the common words summed in theirs and added (as `Words::add` does).
//!
//! The words that make a match are read in full, so what the pass computed for each (its
//! documents and its score in each) is kept ([`ScoredWords`]); a later search with the same
//! word adds those scores instead of reading its postings.

use std::sync::Arc;

use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::key::key_of;
use super::scored::{Kept, Scored, before};
use super::{WordSet, word_bit};
use crate::search::filter::{self, Filter};
use crate::search::term;
use crate::search::union::SeekUnion;

/// One word: its fields' weights and the union's tie (`None`: summed).
type Word = (Vec<Box<dyn Weight>>, Option<Score>);
/// One word in a segment: its fields' scorers and the union's tie.
type WordScorers = (Vec<Box<dyn Scorer>>, Option<Score>);

/// Where a word that makes a match is read from in one segment.
enum Source {
    /// Its fields' postings, recording what the pass computes when the cache is on.
    Read(WordScorers, Option<Scored>),
    /// Its documents and scores as kept, and the next to add.
    Kept(Arc<Scored>, usize),
}

impl Source {
    /// The first document not yet added.
    fn doc(&self) -> DocId {
        match self {
            Source::Read((scorers, _), _) => scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED),
            Source::Kept(scored, at) => scored.docs.get(*at).copied().unwrap_or(TERMINATED),
        }
    }
}

/// The words of a first pass that can be read word by word.
pub struct ByWord {
    /// The words that make a match.
    words: Vec<Word>,
    /// Each of `words` as the cache of scored words knows it (see [`key_of`]).
    keys: Vec<Arc<str>>,
    /// The common words, which only add to matches.
    common: Vec<Word>,
    /// What the filters keep (`product:`, `tag:`), without scores: a match must be in each.
    filters: Vec<Box<dyn Weight>>,
    /// See [`SEEK_COST`].
    seek_cost: u64,
}

impl ByWord {
    /// The words of `query` and `common` when `query` is a union of words, filtered or not, and
    /// nothing else (no phrase that must match, no exclusion) and each common word a union too;
    /// `None` otherwise, and the first pass walks the query.
    pub fn plan(
        query: &dyn Query,
        common: &[Box<dyn Query>],
        scoring: EnableScoring<'_>,
    ) -> tantivy::Result<Option<Self>> {
        let Some(outer) = query.downcast_ref::<BooleanQuery>() else {
            return Ok(None);
        };
        let [(Occur::Must, inner), rest @ ..] = outer.clauses() else {
            return Ok(None);
        };
        // Filters score nothing, so they only take matches away.
        let mut filters = Vec::with_capacity(rest.len());
        for (occur, clause) in rest {
            match (occur, clause.downcast_ref::<Filter>()) {
                (Occur::Must, Some(filter)) => filters.push(filter.matching(scoring)?),
                _ => return Ok(None),
            }
        }
        let Some(inner) = inner.downcast_ref::<BooleanQuery>() else {
            return Ok(None);
        };
        if inner.clauses().iter().any(|(occur, _)| *occur != Occur::Should) {
            return Ok(None);
        }
        let words = inner.clauses().iter().map(|(_, q)| q.as_ref());
        let keys = words.clone().map(key_of).collect();
        let (Some(words), Some(common)) = (
            Self::words(words, scoring)?,
            Self::words(common.iter().map(AsRef::as_ref), scoring)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Self {
            words,
            keys,
            common,
            filters,
            seek_cost: SEEK_COST,
        }))
    }

    /// The same plan, the common words read in a window with a match per `postings` of them.
    pub fn seek_cost(self, postings: u64) -> Self {
        Self {
            seek_cost: postings,
            ..self
        }
    }

    /// Each of `queries` as a word, if each is a [`SeekUnion`].
    fn words<'q>(
        queries: impl Iterator<Item = &'q dyn Query>,
        scoring: EnableScoring<'_>,
    ) -> tantivy::Result<Option<Vec<Word>>> {
        let mut words = Vec::new();
        for query in queries {
            let Some(union) = query.downcast_ref::<SeekUnion>() else {
                return Ok(None);
            };
            let (children, tie) = union.parts();
            let weights = children
                .iter()
                .map(|c| c.weight(scoring))
                .collect::<tantivy::Result<_>>()?;
            words.push((weights, tie));
        }
        Ok(Some(words))
    }

    /// How many words the pass reads: those that make a match, then the common words. The
    /// [`WordSet`]s of [`ByWord::for_each_match`] number them in that order.
    pub fn len(&self) -> usize {
        self.words.len() + self.common.len()
    }

    /// Calls `each(doc, score, common, words)` for every live match in `reader`, in index
    /// order: `score` is the rarer words', `common` the common words' when they were read here,
    /// `words` which of the pass's words the document contains (of the common words, only
    /// when they were read). Where the matches are too sparse for reading the common words'
    /// postings to pay, `common` is `None`, and the caller seeks them for the matches that need
    /// them.
    /// With `kept`, the words that make a match are taken from it where it has them, and
    /// kept there once read; with `common_kept`, the common words are read from those.
    pub fn for_each_match(
        &self,
        reader: &SegmentReader,
        kept: Option<Kept<'_>>,
        common_kept: Option<&[Arc<Scored>]>,
        mut each: impl FnMut(DocId, Score, Option<Score>, WordSet),
    ) -> tantivy::Result<()> {
        let kept = kept.filter(|k| k.words.is_on());
        let segment = reader.segment_id();
        let mut words = Vec::with_capacity(self.words.len());
        for (word, key) in self.words.iter().zip(&self.keys) {
            words.push(match kept.and_then(|k| k.words.get(k.generation, segment, key)) {
                Some(scored) => Source::Kept(scored, 0),
                None => Source::Read(Self::word_scorers(word, reader)?, kept.map(|_| Scored::default())),
            });
        }
        let mut common = match common_kept {
            Some(_) => Vec::new(),
            None => Self::scorers(&self.common, reader)?,
        };
        // Where each kept common word is.
        let mut common_at = vec![0; common_kept.map_or(0, <[_]>::len)];
        let has_common = !self.common.is_empty();
        // How many postings of the common words a window holds, on average.
        let postings: u64 = match common_kept {
            Some(kept) => kept.iter().map(|s| s.docs.len() as u64).sum(),
            None => common
                .iter()
                .flat_map(|(scorers, _)| scorers.iter().map(|s| u64::from(s.size_hint())))
                .sum(),
        };
        let per_window = postings * u64::from(WINDOW) / u64::from(reader.max_doc().max(1));
        let alive = reader.alive_bitset();
        // The live documents the filters keep, when there are filters.
        let filtered = filter::documents(&self.filters, reader)?;
        let mut window = Window::new();
        let mut start = next_doc(&words);
        while start != TERMINATED {
            window.start = start;
            let end = start.saturating_add(WINDOW);
            for (i, word) in words.iter_mut().enumerate() {
                match word {
                    Source::Read((scorers, tie), record) => {
                        for scorer in scorers.iter_mut() {
                            window.add(scorer, end);
                        }
                        window.end_word(*tie, word_bit(i), record.as_mut());
                    }
                    Source::Kept(scored, at) => window.add_kept(scored, at, end, word_bit(i)),
                }
            }
            let matches: u64 = window.matched.iter().map(|w| u64::from(w.count_ones())).sum();
            let read = has_common && matches.saturating_mul(self.seek_cost) >= per_window;
            if let (true, Some(kept)) = (read, common_kept) {
                for (j, (scored, at)) in kept.iter().zip(&mut common_at).enumerate() {
                    window.add_kept_common(scored, at, end, word_bit(words.len() + j));
                }
            } else if read {
                for (j, (scorers, tie)) in common.iter_mut().enumerate() {
                    for scorer in scorers.iter_mut() {
                        if scorer.doc() < start {
                            scorer.seek(start);
                        }
                        window.add_common(scorer, end);
                    }
                    window.end_common_word(*tie, word_bit(words.len() + j));
                }
            }
            window.drain(|doc, score, common, words| {
                let live = match &filtered {
                    Some(kept) => kept.contains(doc),
                    None => alive.is_none_or(|a| a.is_alive(doc)),
                };
                if live {
                    each(doc, score, read.then_some(common), words);
                }
            });
            start = next_doc(&words);
        }
        // Every word was read to its end: what was recorded is the whole word.
        if let Some(kept) = kept {
            for (word, key) in words.into_iter().zip(&self.keys) {
                if let Source::Read(_, Some(scored)) = word {
                    kept.words
                        .insert(kept.generation, segment, key, Arc::new(scored.shrunk()));
                }
            }
        }
        Ok(())
    }

    /// The words' scorers in `reader`, leaving out fields with nothing there.
    fn scorers(words: &[Word], reader: &SegmentReader) -> tantivy::Result<Vec<WordScorers>> {
        words
            .iter()
            .map(|word| Self::word_scorers(word, reader))
            .collect()
    }

    /// One word's scorers in `reader`, leaving out fields with nothing there.
    fn word_scorers((weights, tie): &Word, reader: &SegmentReader) -> tantivy::Result<WordScorers> {
        let mut scorers = Vec::with_capacity(weights.len());
        for weight in weights {
            let scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        Ok((scorers, *tie))
    }
}

/// The first document any of the words is on.
fn next_doc(words: &[Source]) -> DocId {
    words.iter().map(Source::doc).min().unwrap_or(TERMINATED)
}

/// Documents per window: its arrays stay in the core's fastest caches.
const WINDOW: u32 = 2048;
const BITS: usize = WINDOW as usize / 64;

/// What seeking a common word's fields for one match costs, in postings read in a run: a
/// window reads the common words' postings when it has at least one match per this many of
/// them, and leaves the rest to be sought (and skipped where a match cannot make the window).
/// Reading only scores the window's matches ([`Window::add_common`]), so passing over a
/// posting costs little more than decoding it. Counted on the load mix at 100k articles
/// (`tests/load/count.sh`, instructions of the searches): 16 321.3 million (before reading
/// scored only the matches: 320.5), 96 307.8, 256 307.6, 1,024 307.9, always read 308.1.
pub const SEEK_COST: u64 = 256;

/// Per document of the window, the current word's best and sum, and the totals so far. Every
/// entry is zero between windows.
struct Window {
    start: DocId,
    /// The current word's (best, sum) per document.
    word: [(Score, Score); WINDOW as usize],
    /// Documents the current word matched.
    seen: [u64; BITS],
    /// The total of the rarer words so far, per document.
    total: [Score; WINDOW as usize],
    /// The total of the common words so far, per document.
    common: [Score; WINDOW as usize],
    /// Documents a rarer word matched.
    matched: [u64; BITS],
    /// The words each document contains.
    has: [WordSet; WINDOW as usize],
}

impl Window {
    fn new() -> Box<Self> {
        Box::new(Self {
            start: 0,
            word: [(0.0, 0.0); WINDOW as usize],
            seen: [0; BITS],
            total: [0.0; WINDOW as usize],
            common: [0.0; WINDOW as usize],
            matched: [0; BITS],
            has: [0; WINDOW as usize],
        })
    }

    /// Adds one field's documents before `end` to the current word, leaving the field on its
    /// first document at or after `end`.
    fn add(&mut self, scorer: &mut Box<dyn Scorer>, end: DocId) {
        term::read_before(scorer.as_mut(), end, |doc, s| self.add_posting(doc, s));
    }

    /// As [`Window::add`] for a common word's field: only the window's matches are scored.
    fn add_common(&mut self, scorer: &mut Box<dyn Scorer>, end: DocId) {
        let (start, matched) = (self.start, self.matched);
        let keep = |doc: DocId| {
            let d = (doc - start) as usize;
            matched[d / 64] >> (d % 64) & 1 == 1
        };
        term::read_before_where(scorer.as_mut(), end, keep, |doc, s| self.add_posting(doc, s));
    }

    #[inline]
    fn add_posting(&mut self, doc: DocId, s: Score) {
        let d = (doc - self.start) as usize;
        self.seen[d / 64] |= 1 << (d % 64);
        let entry = &mut self.word[d];
        // Scores are never NaN: `max` without its NaN handling.
        if s > entry.0 {
            entry.0 = s;
        }
        entry.1 += s;
    }

    /// Adds the current word's score to the totals of the documents it matched, which makes
    /// them matches, and its `bit` to their words; and to `record`, when given, each document
    /// with the word's score there.
    fn end_word(&mut self, tie: Option<Score>, bit: WordSet, mut record: Option<&mut Scored>) {
        for w in 0..BITS {
            let seen = std::mem::take(&mut self.seen[w]);
            for d in ones(w, seen) {
                let score = combine(std::mem::take(&mut self.word[d]), tie);
                self.total[d] += score;
                self.has[d] |= bit;
                if let Some(record) = record.as_deref_mut() {
                    record.push(self.start + d as DocId, score);
                }
            }
            self.matched[w] |= seen;
        }
    }

    /// As reading a word and [`Window::end_word`], from the word's kept documents and scores
    /// before `end`, starting at `at` (left on the first at or after `end`).
    fn add_kept(&mut self, scored: &Scored, at: &mut usize, end: DocId, bit: WordSet) {
        let docs = scored.docs.get(*at..).unwrap_or_default();
        let scores = scored.scores.get(*at..).unwrap_or_default();
        // Every document before `end` is read anyway, so its end is found on the way (a
        // search for it first missed the cache at most of its steps).
        let mut n = 0;
        for (&doc, &score) in docs.iter().zip(scores).take_while(|(doc, _)| **doc < end) {
            let d = (doc - self.start) as usize;
            self.total[d] += score;
            self.has[d] |= bit;
            self.matched[d / 64] |= 1 << (d % 64);
            n += 1;
        }
        *at += n;
    }

    /// Adds the current common word's score to the matches it is in (it was only read for
    /// them, see [`Window::add_common`]).
    fn end_common_word(&mut self, tie: Option<Score>, bit: WordSet) {
        for w in 0..BITS {
            for d in ones(w, std::mem::take(&mut self.seen[w])) {
                self.common[d] += combine(std::mem::take(&mut self.word[d]), tie);
                self.has[d] |= bit;
            }
        }
    }

    /// As reading a common word and [`Window::end_common_word`], from its kept documents and
    /// scores in the window, passing over those before it from `at` (left on the first at or
    /// after `end`).
    fn add_kept_common(&mut self, scored: &Scored, at: &mut usize, end: DocId, bit: WordSet) {
        let docs = scored.docs.get(*at..).unwrap_or_default();
        let from = before(docs, self.start);
        let scores = scored.scores.get(*at + from..).unwrap_or_default();
        // Without a branch on whether a document is a match, which could not be foreseen: one
        // that is not adds zero, and its entries stay zero.
        let mut n = 0;
        for (&doc, &score) in docs[from..].iter().zip(scores).take_while(|(doc, _)| **doc < end) {
            let d = (doc - self.start) as usize;
            let all_if_match = ((self.matched[d / 64] >> (d % 64) & 1) as u32).wrapping_neg();
            self.common[d] += Score::from_bits(score.to_bits() & all_if_match);
            self.has[d] |= bit & all_if_match;
            n += 1;
        }
        *at += from + n;
    }

    /// Hands over every match in index order with its scores and words, clearing the window.
    fn drain(&mut self, mut each: impl FnMut(DocId, Score, Score, WordSet)) {
        for w in 0..BITS {
            for d in ones(w, std::mem::take(&mut self.matched[w])) {
                let base = std::mem::take(&mut self.total[d]);
                let common = std::mem::take(&mut self.common[d]);
                each(
                    self.start + d as DocId,
                    base,
                    common,
                    std::mem::take(&mut self.has[d]),
                );
            }
        }
    }
}

/// The positions in the window of the bits set in `bits`, its `w`th word, in order.
fn ones(w: usize, mut bits: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let d = w * 64 + bits.trailing_zeros() as usize;
        (bits != 0).then(|| {
            bits &= bits - 1;
            d
        })
    })
}

/// A word's score from its fields' best and sum, as [`SeekUnion`] combines them.
fn combine((best, sum): (Score, Score), tie: Option<Score>) -> Score {
    match tie {
        None => sum,
        Some(tie) => best + tie * (sum - best),
    }
}
