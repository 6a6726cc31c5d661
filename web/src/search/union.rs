//! A union of queries that is cheap to *seek*.
//!
//! tantivy's own unions (`BooleanQuery` shoulds, `DisjunctionMaxQuery`) buffer 4,096 documents
//! ahead and score every posting in that window; that is fast when the union drives the
//! search, but when it only adds to the score of candidates found by rarer words, each jump
//! to the next candidate rescans a window, and common words ended up reading their whole
//! posting lists. This union keeps each child where it is and moves it only when asked, so an
//! optional clause costs a skip-list seek per candidate. It suits few children (per-word field
//! disjunctions, the optional clauses of one query).

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, QueryClone, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// Matches documents matching any child; scores them by sum, or like disjunction-max.
#[derive(Debug)]
pub struct SeekUnion {
    children: Vec<Box<dyn Query>>,
    tie: Option<Score>,
    /// Children that must match for a document to match.
    min: usize,
}

impl Clone for SeekUnion {
    fn clone(&self) -> Self {
        Self {
            children: self.children.iter().map(|c| c.box_clone()).collect(),
            tie: self.tie,
            min: self.min,
        }
    }
}

impl SeekUnion {
    /// Score = best child + `tie` × the others (as `DisjunctionMaxQuery`).
    pub fn dismax(children: Vec<Box<dyn Query>>, tie: Score) -> Self {
        Self {
            children,
            tie: Some(tie),
            min: 1,
        }
    }

    /// Score = sum of the matching children.
    pub fn sum(children: Vec<Box<dyn Query>>) -> Self {
        Self {
            children,
            tie: None,
            min: 1,
        }
    }

    /// Matches documents matching at least `min` children; score = their sum. (tantivy's
    /// minimum-match union moves one document at a time when sought.)
    pub fn at_least(children: Vec<Box<dyn Query>>, min: usize) -> Self {
        Self {
            children,
            tie: None,
            min: min.max(1),
        }
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
            min: self.min,
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
    min: usize,
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
        if scorers.len() < self.min {
            return Ok(Box::new(EmptyScorer));
        }
        let mut union = SeekUnionScorer {
            scorers,
            doc: 0,
            tie: self.tie,
            min: self.min,
        };
        union.doc = union.min_doc();
        union.settle();
        Ok(Box::new(union))
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

struct SeekUnionScorer {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
    tie: Option<Score>,
    min: usize,
}

impl SeekUnionScorer {
    fn min_doc(&self) -> DocId {
        self.scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED)
    }

    /// Moves on from the current document until enough children match it.
    fn settle(&mut self) -> DocId {
        while self.min > 1
            && self.doc != TERMINATED
            && self.scorers.iter().filter(|s| s.doc() == self.doc).count() < self.min
        {
            self.step();
        }
        self.doc
    }

    /// Moves every child on the current document to its next one.
    fn step(&mut self) {
        let current = self.doc;
        for scorer in &mut self.scorers {
            if scorer.doc() == current {
                scorer.advance();
            }
        }
        self.doc = self.min_doc();
    }
}

impl DocSet for SeekUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.step();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.doc = self.min_doc();
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers.iter().map(|s| s.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for SeekUnionScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let (mut sum, mut best) = (0.0, 0.0f32);
        for scorer in &mut self.scorers {
            if scorer.doc() == doc {
                let s = scorer.score();
                sum += s;
                best = best.max(s);
            }
        }
        match self.tie {
            None => sum,
            Some(tie) => best + tie * (sum - best),
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, DisjunctionMaxQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    use super::*;

    #[test]
    fn scores_and_matches_like_tantivys_unions() {
        let mut b = Schema::builder();
        let a = b.add_text_field("a", TEXT);
        let c = b.add_text_field("c", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..500 {
            let x = if i % 3 == 0 { "red fox" } else { "blue" };
            let y = if i % 5 == 0 { "fox fox" } else { "cat" };
            writer.add_document(doc!(a => x, c => y)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |f, t| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let children = || vec![term(a, "fox"), term(c, "fox")];
        let ours = SeekUnion::dismax(children(), 0.3);
        let theirs = DisjunctionMaxQuery::with_tie_breaker(children(), 0.3);
        assert_eq!(
            searcher.search(&ours, &Count).unwrap(),
            searcher.search(&theirs, &Count).unwrap()
        );
        let top = |q: &dyn Query| {
            searcher
                .search(q, &TopDocs::with_limit(50).order_by_score())
                .unwrap()
        };
        let (x, y) = (top(&ours), top(&theirs));
        for (p, q) in x.iter().zip(&y) {
            assert!((p.0 - q.0).abs() < 1e-4, "{p:?} {q:?}");
        }
        // As an optional clause next to a required one.
        let with = |opt: Box<dyn Query>| {
            BooleanQuery::new(vec![(Occur::Must, term(a, "red")), (Occur::Should, opt)])
        };
        let (x, y) = (
            top(&with(Box::new(SeekUnion::sum(children())))),
            top(&with(Box::new(BooleanQuery::union(children())))),
        );
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(&y) {
            assert!((p.0 - q.0).abs() < 1e-4, "{p:?} {q:?}");
        }
    }

    #[test]
    fn at_least_matches_and_scores_like_a_minimum_match_union() {
        let mut b = Schema::builder();
        let f = b.add_text_field("f", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = ["red", "fox", "cat", "owl"];
        for i in 0..600usize {
            let text: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(w, _)| (i >> w) & 1 == 1 || i % (w + 3) == 0)
                .map(|(_, t)| *t)
                .collect();
            writer.add_document(doc!(f => text.join(" "))).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let children = || -> Vec<Box<dyn Query>> {
            words
                .iter()
                .map(|t| {
                    Box::new(TermQuery::new(
                        Term::from_field_text(f, t),
                        IndexRecordOption::WithFreqs,
                    )) as Box<dyn Query>
                })
                .collect()
        };
        for min in 1..=4 {
            let ours = SeekUnion::at_least(children(), min);
            let clauses = children().into_iter().map(|q| (Occur::Should, q)).collect();
            let theirs = BooleanQuery::with_minimum_required_clauses(clauses, min);
            let all = |q: &dyn Query| {
                let mut top = searcher
                    .search(q, &TopDocs::with_limit(600).order_by_score())
                    .unwrap();
                top.sort_by_key(|t| t.1);
                top
            };
            let (x, y) = (all(&ours), all(&theirs));
            assert_eq!(x.len(), y.len(), "min {min}");
            for (p, q) in x.iter().zip(&y) {
                assert_eq!(p.1, q.1, "min {min}");
                assert!((p.0 - q.0).abs() < 1e-4, "min {min}: {p:?} {q:?}");
            }
            // Seeking lands on the first qualifying document at or after the target.
            let reader = searcher.segment_reader(0);
            let weight = ours
                .weight(EnableScoring::enabled_from_searcher(&searcher))
                .unwrap();
            let expected: Vec<DocId> = y.iter().map(|t| t.1.doc_id).collect();
            for target in [0, 7, 100, 333, 599] {
                let mut scorer = weight.scorer(reader, 1.0).unwrap();
                let want = expected
                    .iter()
                    .copied()
                    .find(|&d| d >= target)
                    .unwrap_or(TERMINATED);
                assert_eq!(scorer.seek(target), want, "min {min}, target {target}");
            }
        }
    }
}
