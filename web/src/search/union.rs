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
        let mut union = SeekUnionScorer {
            scorers,
            doc: 0,
            tie: self.tie,
        };
        union.doc = union.min_doc();
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
}

impl SeekUnionScorer {
    fn min_doc(&self) -> DocId {
        self.scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED)
    }
}

impl DocSet for SeekUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        for scorer in &mut self.scorers {
            if scorer.doc() == current {
                scorer.advance();
            }
        }
        self.doc = self.min_doc();
        self.doc
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
        self.doc
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
}
