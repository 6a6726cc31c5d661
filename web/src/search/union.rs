//! A union of queries that is cheap to *seek*.
//!
//! tantivy's own unions (`BooleanQuery` shoulds, `DisjunctionMaxQuery`) buffer 4,096 documents
//! ahead and score every posting in that window; that is fast when the union drives the
//! search, but when it only adds to the score of candidates found by rarer words, each jump
//! to the next candidate rescans a window, and common words ended up reading their whole
//! posting lists. This union keeps each child where it is and moves it only when asked, so an
//! optional clause costs a skip-list seek per candidate. It suits few children (per-word field
//! disjunctions, the optional clauses of one query).
//!
//! When it is *advanced* instead (a word's fields driving the first pass), comparing every
//! child at every document was a large share of the first pass, so from the first `advance` it reads
//! ahead a window of documents child by child, as tantivy's union does, until a seek jumps past
//! the window.
//!
//! When it is *probed* (tantivy's `seek_danger`: "does this document match?", as rescoring asks
//! of each candidate), each child is probed in turn. A phrase child that misses then stops at
//! the candidate instead of searching on for its next match, which costs position reads for
//! every document in between; the union remembers such a child's lower bound and finishes its
//! seek only if the union is later sought or advanced. Without scoring (coordination asks only
//! whether a candidate has the word), a probe stops at the first child that matches, and the
//! children are probed longest posting list first, the one most likely to hold the candidate.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, QueryClone, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED};

use super::first_pass::KeptScorer;
use super::term::{self, TermScorer};

/// Matches documents matching any child; scores them by sum, or like disjunction-max.
#[derive(Debug)]
pub struct SeekUnion {
    children: Vec<Box<dyn Query>>,
    tie: Option<Score>,
}

impl Clone for SeekUnion {
    fn clone(&self) -> Self {
        Self {
            children: self.children.iter().map(|c| c.box_clone()).collect(),
            tie: self.tie,
        }
    }
}

impl SeekUnion {
    /// Score = best child + `tie` × the others (as `DisjunctionMaxQuery`).
    pub fn dismax(children: Vec<Box<dyn Query>>, tie: Score) -> Self {
        Self {
            children,
            tie: Some(tie),
        }
    }

    /// Score = sum of the matching children.
    pub fn sum(children: Vec<Box<dyn Query>>) -> Self {
        Self { children, tie: None }
    }

    /// The children, and the tie (`None` when summed).
    pub fn parts(&self) -> (&[Box<dyn Query>], Option<Score>) {
        (&self.children, self.tie)
    }
}

impl Query for SeekUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let children = self
            .children
            .iter()
            .map(|c| c.weight(enable_scoring))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(SeekUnionWeight {
            children,
            tie: self.tie,
            scoring: enable_scoring.is_scoring_enabled(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for child in &self.children {
            child.query_terms(visitor);
        }
    }
}

struct SeekUnionWeight {
    children: Vec<Box<dyn Weight>>,
    tie: Option<Score>,
    /// False when only matching matters: see [`SeekUnionScorer::scoring`].
    scoring: bool,
}

impl Weight for SeekUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.children.len());
        for child in &self.children {
            let scorer = child.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        if scorers.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let mut union = SeekUnionScorer::new(scorers, Vec::new(), self.tie, self.scoring);
        union.doc = union.min_doc();
        Ok(Box::new(union))
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        let mut scorers = Vec::with_capacity(self.children.len());
        let mut stale = Vec::with_capacity(self.children.len());
        for child in &self.children {
            let (result, scorer) = child.scorer_danger(reader, target, boost)?;
            match result {
                SeekDangerResult::Found => stale.push(None),
                SeekDangerResult::SeekLowerBound(bound) if bound < TERMINATED => stale.push(Some(bound)),
                SeekDangerResult::SeekLowerBound(_) => continue,
            }
            scorers.push(scorer);
        }
        if scorers.is_empty() {
            return Ok((
                SeekDangerResult::SeekLowerBound(TERMINATED),
                Box::new(EmptyScorer),
            ));
        }
        let mut union = SeekUnionScorer::new(scorers, stale, self.tie, self.scoring);
        let result = union.probed(target);
        Ok((result, Box::new(union)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("union of the query's clauses", scorer.score()))
    }
}

/// Documents per window when the union drives (as tantivy's buffered union).
const WINDOW: u32 = 4096;

struct SeekUnionScorer {
    scorers: Vec<Box<dyn Scorer>>,
    /// For each child a probe left between documents (it missed, and may not be on a document
    /// at all), the document below which it has nothing. Empty until the first probe.
    stale: Vec<Option<DocId>>,
    doc: DocId,
    tie: Option<Score>,
    /// Read-ahead for a union that is advanced (it drives the search), allocated on the first
    /// `advance`. A union that is only sought never reads ahead.
    window: Option<Box<Window>>,
    /// True while the children have been read ahead to the end of the window.
    driving: bool,
    /// The score of `doc` when it came from the window.
    score: Score,
    /// False when the union is asked only which documents match (its scores are never read):
    /// a probe then stops at the first child on the document, leaving the others where they
    /// are (behind it, to be probed again by a later probe), and the children are kept longest
    /// posting list first.
    scoring: bool,
    /// True after such a probe stopped early: children may be behind `doc`.
    left_behind: bool,
}

/// The next [`WINDOW`] documents of a driving union, read ahead child by child: each child's
/// postings are read in one run instead of comparing every child at every document. Entries
/// are zero except for documents still to be visited.
struct Window {
    start: DocId,
    /// Documents matched, bit `d` of word `d / 64` for document `start + d`.
    bits: [u64; (WINDOW / 64) as usize],
    /// The first word that may still have bits set.
    word: usize,
    best: [Score; WINDOW as usize],
    sum: [Score; WINDOW as usize],
}

impl Window {
    fn new() -> Box<Self> {
        Box::new(Self {
            start: 0,
            bits: [0; (WINDOW / 64) as usize],
            word: (WINDOW / 64) as usize,
            best: [0.0; WINDOW as usize],
            sum: [0.0; WINDOW as usize],
        })
    }

    /// Reads every child's documents in `[start, start + WINDOW)`, leaving each child at or
    /// after the window's end.
    fn fill(&mut self, scorers: &mut [Box<dyn Scorer>], start: DocId) {
        self.start = start;
        self.word = 0;
        let end = start.saturating_add(WINDOW);
        for scorer in scorers {
            term::read_before(scorer.as_mut(), end, |doc, s| self.add(doc, s));
        }
    }

    /// Adds a document of the window with its score.
    #[inline]
    fn add(&mut self, doc: DocId, s: Score) {
        let d = (doc - self.start) as usize;
        self.bits[d / 64] |= 1 << (d % 64);
        self.best[d] = self.best[d].max(s);
        self.sum[d] += s;
    }

    /// The next document at or after `target` in the window, with its (best, sum); the entries
    /// passed over are cleared.
    fn next_from(&mut self, target: DocId) -> Option<(DocId, Score, Score)> {
        let from = target.saturating_sub(self.start) as usize;
        while self.word < self.bits.len() {
            let bits = &mut self.bits[self.word];
            if *bits == 0 {
                self.word += 1;
                continue;
            }
            let d = self.word * 64 + bits.trailing_zeros() as usize;
            *bits &= *bits - 1;
            let found = (self.best[d], self.sum[d]);
            self.best[d] = 0.0;
            self.sum[d] = 0.0;
            if d >= from {
                return Some((self.start + d as DocId, found.0, found.1));
            }
        }
        None
    }
}

impl SeekUnionScorer {
    fn new(
        mut scorers: Vec<Box<dyn Scorer>>,
        mut stale: Vec<Option<DocId>>,
        tie: Option<Score>,
        scoring: bool,
    ) -> Self {
        if !scoring {
            let mut order: Vec<usize> = (0..scorers.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(scorers[i].size_hint()));
            let mut taken: Vec<Option<Box<dyn Scorer>>> = scorers.into_iter().map(Some).collect();
            scorers = order.iter().filter_map(|&i| taken[i].take()).collect();
            if !stale.is_empty() {
                stale = order.iter().map(|&i| stale[i]).collect();
            }
        }
        Self {
            scorers,
            stale,
            doc: 0,
            tie,
            window: None,
            driving: false,
            score: 0.0,
            scoring,
            left_behind: false,
        }
    }

    /// True when child `i` is on `doc` (a child left between documents by a probe is not).
    fn on(&self, i: usize, doc: DocId) -> bool {
        self.stale.get(i).is_none_or(Option::is_none) && self.scorers[i].doc() == doc
    }

    /// The answer to a probe of `target` once each child has been probed: found if any child
    /// is on it, otherwise the lowest document a child could be on next.
    fn probed(&mut self, target: DocId) -> SeekDangerResult {
        let mut bound = TERMINATED;
        for i in 0..self.scorers.len() {
            if self.on(i, target) {
                self.doc = target;
                return SeekDangerResult::Found;
            }
            let next = match self.stale.get(i).copied().flatten() {
                Some(stale) => stale,
                None => self.scorers[i].doc(),
            };
            bound = bound.min(next);
        }
        self.doc = bound;
        SeekDangerResult::SeekLowerBound(bound)
    }

    /// Finishes the seeks probes left undone, so that every child is on a document again.
    fn settle(&mut self) {
        if std::mem::take(&mut self.left_behind) {
            // A probe that stopped at its first match left the children after it behind the
            // union's document: they only need what comes from there on.
            self.stale.resize(self.scorers.len(), None);
            let doc = self.doc;
            for (scorer, stale) in self.scorers.iter_mut().zip(&mut self.stale) {
                match stale {
                    Some(bound) => *bound = (*bound).max(doc),
                    None if scorer.doc() < doc => *stale = Some(doc),
                    None => {}
                }
            }
        }
        if self.stale.iter().all(Option::is_none) {
            self.stale.clear();
            return;
        }
        for (scorer, stale) in self.scorers.iter_mut().zip(&mut self.stale) {
            let Some(mut bound) = stale.take() else {
                continue;
            };
            loop {
                if bound >= TERMINATED {
                    *scorer = Box::new(EmptyScorer);
                    break;
                }
                match scorer.seek_danger(bound) {
                    SeekDangerResult::Found => break,
                    SeekDangerResult::SeekLowerBound(next) => bound = next,
                }
            }
        }
        self.stale.clear();
        // After a miss, `doc` was only a bound.
        self.doc = self.min_doc();
    }

    fn min_doc(&self) -> DocId {
        self.scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED)
    }

    fn combine(&self, best: Score, sum: Score) -> Score {
        match self.tie {
            None => sum,
            Some(tie) => best + tie * (sum - best),
        }
    }

    /// Moves to the first document at or after `target` through the window, filling it again
    /// as often as needed.
    fn window_seek(&mut self, target: DocId) -> DocId {
        loop {
            let window = self.window.get_or_insert_with(Window::new);
            if let Some((doc, best, sum)) = window.next_from(target) {
                self.doc = doc;
                self.score = self.combine(best, sum);
                return doc;
            }
            let next = self.min_doc();
            if next == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            if let Some(window) = self.window.as_mut() {
                window.fill(&mut self.scorers, next);
            }
        }
    }
}

impl DocSet for SeekUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.settle();
        if !self.driving {
            // Start driving: step the children past the current document, then read ahead.
            let current = self.doc;
            for scorer in &mut self.scorers {
                if scorer.doc() == current {
                    scorer.advance();
                }
            }
            self.driving = true;
        }
        self.window_seek(self.doc.saturating_add(1))
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.settle();
        if self.doc >= target {
            return self.doc;
        }
        if self.driving
            && let Some(window) = self.window.as_mut()
        {
            if target < window.start.saturating_add(WINDOW) {
                return self.window_seek(target);
            }
            // A jump past the window: back to seeking each child, so that a union which is
            // mostly sought does not read whole windows of postings it will never visit. What
            // is left in the window lies before any later target, so the next `window_seek`
            // passes over it and clears it.
            self.driving = false;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.doc = self.min_doc();
        self.doc
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if self.driving || target >= TERMINATED {
            let doc = self.seek(target);
            return if doc == target {
                SeekDangerResult::Found
            } else {
                SeekDangerResult::SeekLowerBound(doc)
            };
        }
        self.stale.resize(self.scorers.len(), None);
        for (scorer, stale) in self.scorers.iter_mut().zip(&mut self.stale) {
            // A child already at or past `target`, or known to have nothing before a later
            // document, is left alone (probing it again would break its contract).
            let behind = match *stale {
                Some(bound) => bound <= target,
                None => scorer.doc() < target,
            };
            if behind {
                *stale = match scorer.seek_danger(target) {
                    SeekDangerResult::Found => None,
                    SeekDangerResult::SeekLowerBound(bound) => Some(bound),
                };
                if stale.is_none() && !self.scoring {
                    self.doc = target;
                    self.left_behind = true;
                    return SeekDangerResult::Found;
                }
            }
        }
        self.probed(target)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers.iter().map(|s| s.size_hint()).max().unwrap_or(0)
    }

    /// What walking the union costs: walking each of its parts. (tantivy's default, the size
    /// hint, made a union of phrases look cheap, since a phrase hints at few matches but costs
    /// positions for every document holding its words: an intersection then drove its search
    /// with the phrases and only probed the rare word.)
    fn cost(&self) -> u64 {
        self.scorers.iter().map(|s| s.cost()).sum()
    }
}

/// The highest score `scorer` can give any document, when it is one of ours (a term or a union
/// of them); `None` when it cannot tell (a phrase, a boost of tantivy's).
pub fn max_score(scorer: &dyn Scorer) -> Option<Score> {
    if let Some(term) = scorer.downcast_ref::<TermScorer>() {
        return Some(term.max_score());
    }
    if scorer.is::<EmptyScorer>() {
        return Some(0.0);
    }
    if let Some(kept) = scorer.downcast_ref::<KeptScorer>() {
        return Some(kept.max_score());
    }
    let union = scorer.downcast_ref::<SeekUnionScorer>()?;
    let (mut sum, mut best) = (0.0, 0.0f32);
    for child in &union.scorers {
        let m = max_score(child.as_ref())?;
        sum += m;
        best = best.max(m);
    }
    // `combine` grows with both the best and the sum, so their bounds bound it.
    Some(union.combine(best, sum))
}

impl Scorer for SeekUnionScorer {
    fn score(&mut self) -> Score {
        if self.driving {
            return self.score;
        }
        let doc = self.doc;
        let (mut sum, mut best) = (0.0, 0.0f32);
        for i in 0..self.scorers.len() {
            if self.on(i, doc) {
                let s = self.scorers[i].score();
                sum += s;
                best = best.max(s);
            }
        }
        self.combine(best, sum)
    }
}

#[cfg(test)]
mod tests;
