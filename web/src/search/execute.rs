//! Running a search: the query, one pass collecting the page of hits, the total and the facet
//! counts, then hits filled in from the library with their snippets.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use tantivy::query::Query;
use tantivy::{DocAddress, DocId, Score, Searcher};

use crate::content::{Facet, Library};

use super::build::{Boost, Builder, Concept, Coverage, Weights};
use super::cache::Answer;
use super::first_pass::{Kept, WordSet, first_pass, key_of, key_of_pair, word_bit};
use super::pairs::{self, Pair};
use super::query;
use super::schema::names;
use super::slugs::{Slugs, break_ties};
use super::snippet::Snippeter;
use super::suggest::kb_number;
use super::{Facets, Hit, SearchIndex, SearchRequest, SearchResponse, article_url};

mod probe;

use probe::for_each_match;

impl SearchIndex {
    /// Searches with the default weights, answering a repeat from the cache of recent answers
    /// while neither the content nor the index has changed. Never fails on user input:
    /// anything unreadable is searched leniently, and index errors are logged and answered
    /// with no hits.
    pub fn search(&self, library: &Library, req: &SearchRequest) -> SearchResponse {
        let started = Instant::now();
        let answer = self.answer(library, req);
        let mut response = answer.response.clone();
        response.took_ms = elapsed_ms(started);
        response
    }

    /// The answer to `req` as kept by the cache of recent answers (searched now if it was not
    /// kept); its `took_ms` is the time of the search that made it.
    pub fn answer(&self, library: &Library, req: &SearchRequest) -> Arc<Answer> {
        let generation = self.reader.searcher().generation().generation_id();
        self.answers
            .get_or_search(&library.revision, generation, req, || {
                self.search_uncached(library, req)
            })
    }

    /// The kept answer to `req`, if the cache of recent answers holds it: microseconds, so
    /// callers can try it before handing the search to a worker thread.
    pub fn cached_answer(&self, library: &Library, req: &SearchRequest) -> Option<Arc<Answer>> {
        let generation = self.reader.searcher().generation().generation_id();
        self.answers.get(&library.revision, generation, req)
    }

    /// Searches with the default weights, never from the cache (benchmarks use this).
    pub fn search_uncached(&self, library: &Library, req: &SearchRequest) -> SearchResponse {
        self.search_with(library, req, &Weights::default())
    }

    /// Keeps about `bytes` of recent answers (0 turns the cache off); forgets those kept.
    pub fn set_answer_cache(&mut self, bytes: u64) {
        self.answers = super::cache::ResultCache::new(bytes);
    }

    /// Replaces the cache of words the first pass scored with one of `bytes` (0: off).
    pub fn set_word_cache(&mut self, bytes: u64) {
        self.scored_words = super::first_pass::ScoredWords::new(bytes);
    }

    /// (entries, estimated bytes) of the cache of scored words.
    pub fn word_cache_usage(&self) -> (usize, u64) {
        self.scored_words.usage()
    }

    /// (answers served from the cache, searches run) since start.
    pub fn cache_counts(&self) -> (u64, u64) {
        self.answers.counts()
    }

    /// Searches with explicit weights (the relevance set uses this to compare settings).
    pub fn search_with(&self, library: &Library, req: &SearchRequest, weights: &Weights) -> SearchResponse {
        let started = Instant::now();
        let mut response = SearchResponse {
            query: req.q.clone(),
            ..SearchResponse::default()
        };
        response.redirect = kb_number(&req.q)
            .and_then(|id| library.by_id(id))
            .map(|a| article_url(&a.slug));
        if let Err(e) = self.run(library, req, weights, &mut response) {
            tracing::error!(error = %e, query = %req.q, "search failed");
        }
        response.took_ms = elapsed_ms(started);
        response
    }

    fn run(
        &self,
        library: &Library,
        req: &SearchRequest,
        weights: &Weights,
        response: &mut SearchResponse,
    ) -> tantivy::Result<()> {
        let parsed = query::parse(&req.q);
        let products = canonical(req.products.iter().chain(&parsed.products), || library.products());
        let tags = canonical(req.tags.iter().chain(&parsed.tags), || library.tags());
        let searcher = self.reader.searcher();
        let synonyms = self.synonyms.get(&library.synonyms);
        let built = Builder::new(&self.fields, &searcher, weights, &synonyms)
            .build(&req.q, &parsed, &products, &tags);
        response.suggestion = built.suggestion;
        let Some(query) = built.query else {
            return Ok(());
        };
        // Two passes. The first finds every match (for the total and the facet counts) and
        // scores it by its words alone; the second takes the best `weights.rescore`, adds their boosts
        // (phrases, coverage, common words) and applies their static rank, then re-orders the
        // best RERANK by coordination. Both windows start at the first hit, so pages stay
        // consistent.
        let window = (req.offset + req.limit()).max(weights.rescore);
        let facets = self.facet_tables.collector(&searcher)?;
        let found = first_pass(
            &searcher,
            query.as_ref(),
            &built.common,
            window,
            &facets,
            weights.walk,
            Some(&self.scored_words),
        )?;
        let (mut top, total, (products, tags)) = (found.top, found.total, found.facets);
        // Which words each candidate contains (kept in step with `top`), when the first pass
        // knows.
        let mut words = found.words;
        let kept = Kept {
            words: &self.scored_words,
            generation: searcher.generation().generation_id(),
        };
        let kept = self.scored_words.is_on().then_some(kept);
        rescore(
            &searcher,
            &mut top,
            &built.boost,
            &built.coverage,
            words.as_mut(),
            kept,
        )?;
        if weights.coord > 0.0 && built.concepts.len() > 1 {
            let head = top.len().min(RERANK);
            let words = words.as_deref().map(|w| &w[..head]);
            coordinate(&searcher, &mut top[..head], &built.concepts, words, weights.coord)?;
            top[..head].sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        }
        let mut slugs = Slugs::new(&searcher, &self.slugs);
        let hits = break_ties(&top, req.offset + req.limit(), &mut slugs);
        response.total = total;
        response.facets = Facets { products, tags };
        let mut snippeter = Snippeter::new(&built.highlight, &self.snippets);
        for (score, slug) in hits.into_iter().skip(req.offset) {
            let Some(article) = slug.and_then(|slug| library.article(&slug)) else {
                continue;
            };
            response.hits.push(Hit {
                slug: article.slug.clone(),
                id: article.id,
                title: article.title.clone(),
                url: article_url(&article.slug),
                path: article.path.clone(),
                summary: article.summary.clone(),
                snippet_html: snippeter.snippet(article),
                products: article.products.clone(),
                tags: article.tags.clone(),
                score,
            });
        }
        Ok(())
    }
}

/// Milliseconds since `started`, to the microsecond.
fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

/// Candidates re-ordered by coordination.
const RERANK: usize = 300;

/// An article's static rank (a multiplier near 1; hub pages lower).
fn rank_of(rank: Option<&tantivy::columnar::Column<f64>>, doc: DocId) -> Score {
    rank.and_then(|r| r.first(doc)).unwrap_or(1.0) as Score
}

/// The positions of `hits` in index order (segment, then document), for [`for_each_match`]. The
/// first pass hands its best over in that order already.
fn index_order(hits: &[(Score, DocAddress)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..hits.len()).collect();
    if !hits.is_sorted_by_key(|hit| hit.1) {
        order.sort_unstable_by_key(|&i| hits[i].1);
    }
    order
}

/// Adds each hit's boosts, multiplies by its static rank, and sorts best first. A boost that
/// needs some words (an adjacent pair, most of the words for coverage) is only probed for the
/// hits that contain them, when `words` (each hit's; see `first_pass::Found::words`) tells;
/// `words` is sorted along with the hits.
pub(super) fn rescore(
    searcher: &Searcher,
    hits: &mut [(Score, DocAddress)],
    boost: &[Boost],
    coverage: &[Coverage],
    words: Option<&mut Vec<WordSet>>,
    kept: Option<Kept<'_>>,
) -> tantivy::Result<()> {
    let order = index_order(hits);
    // Each clause as the cache of scored words knows it, when there is one.
    let keys: Vec<Arc<str>> = match kept {
        Some(_) => boost
            .iter()
            .map(|c| match &c.pair {
                Some(pair) => key_of_pair(pair),
                None => key_of(c.query.as_ref()),
            })
            .collect(),
        None => Vec::new(),
    };
    let kept_with = |at: usize| kept.zip(keys.get(at));
    let mut at = 0;
    let mut extra = vec![0.0 as Score; hits.len()];
    let has = words
        .as_deref()
        .map(Vec::as_slice)
        .filter(|w| w.len() == hits.len());
    let needed = |clause: &Boost| clause.words.iter().map(|&w| word_bit(w)).fold(0, |a, b| a | b);
    let contains =
        |i: usize, needed: WordSet| has.is_none_or(|has| has.get(i).is_some_and(|&w| w & needed == needed));
    // Clause by clause, in order: each hit's sum is added up as their union would. A run of
    // adjacent pairs is probed at once, each hit's scores then added in the clauses' order.
    for run in boost.chunk_by(|a, b| a.pair.is_some() == b.pair.is_some()) {
        let first = at;
        at += run.len();
        let needs: Vec<WordSet> = run.iter().map(needed).collect();
        if run[0].pair.is_some() {
            let pairs: Vec<Pair> = run.iter().filter_map(|c| c.pair.clone()).collect();
            let order = hits_with(&order, has, |words| needs.iter().any(|&n| n & !words == 0));
            let mut scores = vec![None; hits.len() * run.len()];
            let wanted = |i: usize, k: usize| contains(i, needs[k]);
            let queries: Vec<&dyn Query> = run.iter().map(|c| c.query.as_ref()).collect();
            let kept = kept.map(|kept| (kept, &queries[..], keys.get(first..at).unwrap_or_default()));
            pairs::for_each_match(searcher, hits, &order, &pairs, kept, wanted, |i, k, score| {
                scores[i * run.len() + k] = Some(score)
            })?;
            for (extra, scores) in extra.iter_mut().zip(scores.chunks(run.len())) {
                for score in scores.iter().flatten() {
                    *extra += score;
                }
            }
            continue;
        }
        for (c, (clause, &needed)) in run.iter().zip(&needs).enumerate() {
            let order = match needed {
                0 => Cow::Borrowed(&order[..]),
                _ => hits_with(&order, has, |words| words & needed == needed),
            };
            let query = clause.query.as_ref();
            for_each_match(
                searcher,
                hits,
                &order,
                query,
                true,
                kept_with(first + c),
                |i, score| extra[i] += score,
            )?;
        }
    }
    for cover in coverage {
        let mut matched = vec![(0usize, 0.0 as Score); hits.len()];
        // The hits that could match enough of the clauses: those containing enough of the
        // words (a clause whose word is not known counts as possible).
        let bits: Vec<WordSet> = cover.words.iter().map(|w| w.map_or(0, word_bit)).collect();
        let known = bits.iter().fold(0, |a, b| a | b);
        let unknown = bits.iter().filter(|&&b| b == 0).count();
        let order = hits_with(&order, has, |words| {
            (words & known).count_ones() as usize + unknown >= cover.needed
        });
        for clause in &cover.clauses {
            let key = kept.map(|_| key_of(clause.as_ref()));
            let kept = kept.zip(key.as_ref());
            for_each_match(searcher, hits, &order, clause.as_ref(), true, kept, |i, score| {
                matched[i].0 += 1;
                matched[i].1 += score;
            })?;
        }
        for (extra, (count, sum)) in extra.iter_mut().zip(matched) {
            if count >= cover.needed {
                *extra += cover.factor * sum;
            }
        }
    }
    for (hit, extra) in hits.iter_mut().zip(extra) {
        hit.0 += extra;
    }
    let ranks: Vec<_> = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.fast_fields().f64(names::RANK).ok())
        .collect();
    for hit in hits.iter_mut() {
        let rank = ranks.get(hit.1.segment_ord as usize).and_then(Option::as_ref);
        hit.0 *= rank_of(rank, hit.1.doc_id);
    }
    let best_first =
        |a: &(Score, DocAddress), b: &(Score, DocAddress)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    match words.filter(|w| w.len() == hits.len()) {
        Some(words) => {
            let mut both: Vec<((Score, DocAddress), WordSet)> =
                hits.iter().copied().zip(words.iter().copied()).collect();
            both.sort_by(|a, b| best_first(&a.0, &b.0));
            for (k, (hit, has)) in both.into_iter().enumerate() {
                hits[k] = hit;
                words[k] = has;
            }
        }
        None => hits.sort_by(best_first),
    }
    Ok(())
}

/// The hits of `order` whose words (`has`, by hit) `keep` accepts; all of them when the words
/// are not known.
fn hits_with<'o>(
    order: &'o [usize],
    has: Option<&[WordSet]>,
    keep: impl Fn(WordSet) -> bool,
) -> Cow<'o, [usize]> {
    match has {
        Some(has) => Cow::Owned(
            order
                .iter()
                .copied()
                .filter(|&i| has.get(i).is_some_and(|&words| keep(words)))
                .collect(),
        ),
        None => Cow::Borrowed(order),
    }
}

/// Multiplies each hit's score by the share of the query's word weight (idf) it contains, to
/// the power `exponent`: an article matching the rare word of "VMs drop off the network" beats
/// one that repeats the common ones. A word the first pass read is looked up in `words` (each
/// hit's; see `first_pass::Found::words`), the others are probed.
fn coordinate(
    searcher: &Searcher,
    hits: &mut [(Score, DocAddress)],
    concepts: &[Concept],
    words: Option<&[WordSet]>,
    exponent: f32,
) -> tantivy::Result<()> {
    let total: f32 = concepts.iter().map(|c| c.idf).sum();
    if total <= 0.0 {
        return Ok(());
    }
    let order = index_order(hits);
    let mut matched = vec![0.0f32; hits.len()];
    let has = words.filter(|w| w.len() == hits.len());
    for concept in concepts {
        match (has, concept.word) {
            (Some(has), Some(word)) => {
                for (m, &has) in matched.iter_mut().zip(has) {
                    if has & word_bit(word) != 0 {
                        *m += concept.idf;
                    }
                }
            }
            _ => for_each_match(
                searcher,
                hits,
                &order,
                concept.query.as_ref(),
                false,
                None,
                |i, _| matched[i] += concept.idf,
            )?,
        }
    }
    for (hit, m) in hits.iter_mut().zip(matched) {
        hit.0 *= (m / total).clamp(0.05, 1.0).powf(exponent);
    }
    Ok(())
}

/// Filter values as the library spells them (`hyper-v` → `Hyper-V`); unknown ones kept as typed.
fn canonical<'a>(
    values: impl Iterator<Item = &'a String>,
    known: impl FnOnce() -> Vec<Facet>,
) -> Vec<String> {
    let mut values = values.peekable();
    if values.peek().is_none() {
        // Only filters need the library's facet list (a copy of it).
        return Vec::new();
    }
    let known = known();
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let wanted = squash(value);
        let resolved = known
            .iter()
            .find(|f| f.value == *value)
            .or_else(|| known.iter().find(|f| squash(&f.value) == wanted));
        let resolved = resolved.map_or_else(|| value.trim().to_owned(), |f| f.value.clone());
        if !resolved.is_empty() && !out.contains(&resolved) {
            out.push(resolved);
        }
    }
    out
}
