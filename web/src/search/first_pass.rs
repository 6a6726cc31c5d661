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
//!
//! A query of words alone (most searches), filtered by product or tag or not, is read word by
//! word over windows of documents instead of walked document by document
//! (`first_pass/by_word.rs`; a filter is a set of documents, `search/filter.rs`); where its matches are
//! dense, the common words' postings are read with them. Both ways give the same answer.
//!
//! What a pass reads in full (the words that make a match, each common word) is kept for later
//! searches with the same words (`first_pass/scored.rs`), which add the kept scores instead.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SeekDangerResult, TERMINATED};

use super::union;

mod by_word;
mod key;
mod scored;
mod top;

#[cfg(test)]
mod fuzz;

use by_word::ByWord;
pub use key::{key_of, key_of_pair};
use scored::Scored;
pub use scored::{Kept, KeptScorer, ScoredWords, before};
use top::Top;

/// Which of a pass's words a document contains: bit `i` for the query's `i`th word (its
/// clauses in order, then the common words).
pub type WordSet = u32;

/// The bit of word `i` in a [`WordSet`]; none past the set's size.
pub fn word_bit(i: usize) -> WordSet {
    u32::try_from(i)
        .ok()
        .and_then(|i| 1u32.checked_shl(i))
        .unwrap_or(0)
}

/// What the first pass found.
pub struct Found<T> {
    /// The best `window` matches (equal scores: the earlier documents), in index order.
    pub top: Vec<(Score, DocAddress)>,
    /// For each of `top`, which of the pass's words it contains, when the pass read the query
    /// word by word and its words fit in a [`WordSet`]; `None` otherwise.
    pub words: Option<Vec<WordSet>>,
    /// How many articles matched.
    pub total: usize,
    /// What the facet collector made of every match.
    pub facets: T,
}

/// How a pass reads the matches.
enum Plan {
    /// Word by word over windows of documents (`first_pass/by_word.rs`).
    ByWord(ByWord),
    /// Document by document through the query's scorer.
    Walk(Box<dyn Weight>),
}

/// Runs `query`, adding `common` words' scores, and keeps the best `window` matches; reads a
/// query of words alone word by word unless told to `walk`, taking words already scored from
/// `kept` and keeping there those it reads.
pub fn first_pass<F: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    common: &[Box<dyn Query>],
    window: usize,
    facets: &F,
    walk: bool,
    kept: Option<&ScoredWords>,
) -> tantivy::Result<Found<F::Fruit>> {
    let read = (!walk).then_some(by_word::SEEK_COST);
    first_pass_reading(searcher, query, common, window, facets, read, kept)
}

/// As [`first_pass`]: walked when `by_word` is `None`, else read word by word, the common
/// words read in a window when it has a match per `by_word` of their postings (see
/// `by_word::SEEK_COST`; tests force either way). Kept out of line so that profiles
/// (`tests/load/count.sh`) show the first pass as one function.
#[inline(never)]
fn first_pass_reading<F: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    common: &[Box<dyn Query>],
    window: usize,
    facets: &F,
    by_word: Option<u64>,
    kept: Option<&ScoredWords>,
) -> tantivy::Result<Found<F::Fruit>> {
    let kept = kept.map(|words| Kept {
        words,
        generation: searcher.generation().generation_id(),
    });
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let planned = match by_word {
        Some(seek_cost) => ByWord::plan(query, common, scoring)?.map(|p| p.seek_cost(seek_cost)),
        None => None,
    };
    let plan = match planned {
        Some(by_word) => Plan::ByWord(by_word),
        None => Plan::Walk(query.weight(scoring)?),
    };
    // The common words as the cache of scored words knows them (see `first_pass/scored.rs`).
    let common_keys: Vec<Arc<str>> = match kept {
        Some(_) => common.iter().map(|q| key_of(q.as_ref())).collect(),
        None => Vec::new(),
    };
    let common: Vec<Box<dyn Weight>> = common
        .iter()
        .map(|q| q.weight(scoring))
        .collect::<tantivy::Result<_>>()?;
    // Where the common words' bits start, and whether the sets say it all.
    let (first_common, known) = match &plan {
        Plan::ByWord(by_word) => (
            by_word.len() - common.len(),
            by_word.len() <= WordSet::BITS as usize,
        ),
        Plan::Walk(_) => (0, false),
    };
    let mut top = Top::new(window);
    let mut total = 0usize;
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    let mut matched: Vec<DocId> = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as u32;
        let mut counter = facets.for_segment(ord, reader)?;
        // The common words in full, kept or read now and kept: scoring every document of a
        // common word once costs about what seeking it costs a few searches.
        let common_kept = match kept {
            Some(kept) => Some(kept.common(&common, &common_keys, reader)?),
            None => None,
        };
        let mut words = match &common_kept {
            Some(scored) => Words::kept(scored),
            None => Words::new(&common, reader)?,
        };
        matched.clear();
        match &plan {
            Plan::ByWord(by_word) => by_word.for_each_match(
                reader,
                kept,
                common_kept.as_deref(),
                |doc, score, common, mut has| {
                    matched.push(doc);
                    let score = match common {
                        Some(common) => Some(score + common),
                        None => words.add(doc, score, top.threshold(), first_common, &mut has),
                    };
                    if let Some(score) = score {
                        top.push(score, DocAddress::new(ord, doc), has);
                    }
                },
            )?,
            Plan::Walk(weight) => {
                let mut scorer = weight.scorer(reader, 1.0)?;
                let alive = reader.alive_bitset();
                let mut doc = scorer.doc();
                while doc != TERMINATED {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        matched.push(doc);
                        let score = scorer.score();
                        let mut has = 0;
                        if let Some(score) = words.add(doc, score, top.threshold(), 0, &mut has) {
                            top.push(score, DocAddress::new(ord, doc), has);
                        }
                    }
                    doc = scorer.advance();
                }
            }
        }
        // All at once: with many matches the facet counter has a faster way than one by one.
        total += matched.len();
        counter.collect_block(&matched);
        fruits.push(counter.harvest());
    }
    let (top, words) = top.into_index_order();
    Ok(Found {
        top,
        words: known.then_some(words),
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
        let scorers = weights
            .iter()
            .map(|w| w.scorer(reader, 1.0))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Self::of(scorers))
    }

    /// The words as kept, sought in their kept documents.
    fn kept(scored: &[Arc<Scored>]) -> Self {
        let scorers = scored
            .iter()
            .map(|s| Box::new(KeptScorer::new(s.clone())) as Box<dyn Scorer>)
            .collect();
        Self::of(scorers)
    }

    fn of(scorers: Vec<Box<dyn Scorer>>) -> Self {
        let mut words = Vec::with_capacity(scorers.len());
        let mut most = Vec::with_capacity(scorers.len());
        for scorer in scorers {
            // A word we cannot bound is always sought.
            most.push(union::max_score(scorer.as_ref()).unwrap_or(Score::INFINITY));
            words.push((scorer, 0));
        }
        let mut rest = most;
        for k in (0..rest.len().saturating_sub(1)).rev() {
            rest[k] += rest[k + 1];
        }
        Self { words, rest }
    }

    /// `base` plus the common words' scores for `doc`, or `None` as soon as it is sure the
    /// sum cannot beat `threshold`. Adds the bit of each word `doc` contains to `has`, the
    /// first word's being `first`.
    fn add(
        &mut self,
        doc: DocId,
        base: Score,
        threshold: Option<Score>,
        first: usize,
        has: &mut WordSet,
    ) -> Option<Score> {
        let mut sum = 0.0;
        for (j, ((scorer, from), rest)) in self.words.iter_mut().zip(&self.rest).enumerate() {
            if threshold.is_some_and(|t| base + (sum + rest) * SLACK <= t) {
                return None;
            }
            if doc >= *from {
                match scorer.seek_danger(doc) {
                    SeekDangerResult::Found => {
                        sum += scorer.score();
                        *from = doc + 1;
                        *has |= word_bit(first + j);
                    }
                    SeekDangerResult::SeekLowerBound(next) => *from = next,
                }
            }
        }
        Some(base + sum)
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
    fn reading_word_by_word_gives_the_walks_answer() {
        // 5,000 articles: three windows of the word-by-word pass. "quux" is dense in the first
        // window and sparse after it, so that the common words are read in some windows and
        // sought in others; "alpha" and "beta" are common (in every body, and in some short
        // fields, repeated more or less); "Hyper-V" makes a word whose fields include phrases.
        let files: Vec<(String, String)> = (0..5_000)
            .map(|i| {
                let words = |word: &str, n: usize| vec![word; n].join(" ");
                let quux = match i < 2_048 {
                    true if i % 6 == 0 => words("quux", 1 + i % 4),
                    false if i % 47 == 0 => words("quux", 1 + i % 3),
                    _ => String::new(),
                };
                let zorp = if i % 11 == 0 { "zorp" } else { "" };
                let hyper = if i % 13 == 0 { "Hyper-V host" } else { "" };
                let alpha = if i % 5 < 2 {
                    words("alpha", 1 + i % 6)
                } else {
                    String::new()
                };
                let beta = if i % 7 == 0 { "beta" } else { "" };
                let md = format!(
                    "---\ntitle: Report {i} {alpha} {zorp}\nsummary: {beta} {hyper}\nproducts: [P{}]\n\
                     tags: [t{}]\n---\n{quux} alpha beta {hyper} filler{}\n",
                    i % 3,
                    i % 17,
                    i % 9,
                );
                (format!("a{i}.md"), md)
            })
            .collect();
        let (_dir, lib, index) = indexed(&files);
        let searcher = index.reader.searcher();
        let synonyms = index.synonyms.get(&lib.synonyms);
        let facets = index.facet_tables.collector(&searcher).unwrap();
        let word_only = [
            "quux",
            "quux zorp",
            "alpha quux",
            "alpha beta quux zorp",
            "hyper-v quux alpha",
        ];
        let other = ["quux -zorp", "\"hyper-v host\" quux", "alpha beta"];
        for q in word_only.iter().chain(&other) {
            let built = Builder::new(&index.fields, &searcher, &Weights::default(), &synonyms).build(
                q,
                &query::parse(q),
                &[],
                &[],
            );
            let query = built.query.expect("something is searched");
            let scoring = EnableScoring::enabled_from_searcher(&searcher);
            let planned = ByWord::plan(query.as_ref(), &built.common, scoring).unwrap();
            assert_eq!(planned.is_some(), word_only.contains(q), "{q}");
            // Words scored by one pass and taken by the next give the answer reading gives: the
            // first pass below records them, all the others take them.
            let kept = ScoredWords::new(1 << 20);
            for window in [1, 10, 500, 5_000] {
                let walked = first_pass(
                    &searcher,
                    query.as_ref(),
                    &built.common,
                    window,
                    &facets,
                    true,
                    None,
                )
                .unwrap();
                assert!(walked.total > 0, "{q}");
                // The common words sought for each match, read where the window's matches are
                // dense enough (as served), read in every window.
                for (read, kept) in [0, by_word::SEEK_COST, u64::MAX]
                    .into_iter()
                    .flat_map(|read| [(read, None), (read, Some(&kept))])
                {
                    let by_word = first_pass_reading(
                        &searcher,
                        query.as_ref(),
                        &built.common,
                        window,
                        &facets,
                        Some(read),
                        kept,
                    )
                    .unwrap();
                    let how = format!("{q}, window {window}, read {read}, kept {}", kept.is_some());
                    assert_eq!(by_word.top, walked.top, "{how}");
                    assert_eq!(by_word.total, walked.total, "{how}");
                    assert_eq!(by_word.facets, walked.facets, "{how}");
                }
            }
            // One entry per common word, and per word that makes a match when the pass reads
            // word by word (one segment here).
            let words = planned.map_or(0, |p| p.len() - built.common.len());
            assert_eq!(kept.usage().0, words + built.common.len(), "{q}");
        }
    }

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
            // The common words sought match by match, where the pruning happens.
            let found = first_pass_reading(
                &searcher,
                query.as_ref(),
                &built.common,
                window,
                &facets,
                Some(0),
                None,
            )
            .unwrap();
            let walked = first_pass(
                &searcher,
                query.as_ref(),
                &built.common,
                window,
                &facets,
                true,
                None,
            )
            .unwrap();
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
            let (mut theirs, count) = searcher
                .search(&every, &(top, tantivy::collector::Count))
                .unwrap();
            // The first pass hands its best over in index order.
            theirs.sort_by_key(|hit| hit.1);
            assert_eq!(found.total, 100);
            assert_eq!(found.total, count);
            assert_eq!(found.top, theirs, "window {window}");
            assert_eq!(walked.top, theirs, "window {window}, walked");
        }
    }
}
