//! One term in one field, scored by BM25 exactly as tantivy's boosted `TermQuery`, but with a
//! scorer type this crate can name.
//!
//! The field unions (`union.rs`) read every posting of a word's fields when they drive the first
//! pass: tens of thousands per search at 100k articles. Through `Box<dyn Scorer>` each posting
//! costs three virtual calls (document, score, advance); with a named type the union can
//! downcast once per window and read the postings in a loop the compiler inlines.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// `term` (with frequencies) scored by BM25 times `boost`.
#[derive(Debug, Clone)]
pub struct FieldTerm {
    term: Term,
    boost: Score,
}

impl FieldTerm {
    /// The term with its weight.
    pub fn new(term: Term, boost: Score) -> Self {
        Self { term, boost }
    }
}

impl Query for FieldTerm {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let (bm25, option) = match enable_scoring {
            EnableScoring::Enabled {
                statistics_provider, ..
            } => (
                Some(Bm25Weight::for_terms(
                    statistics_provider,
                    std::slice::from_ref(&self.term),
                )?),
                IndexRecordOption::WithFreqs,
            ),
            EnableScoring::Disabled { .. } => (None, IndexRecordOption::Basic),
        };
        Ok(Box::new(FieldTermWeight {
            term: self.term.clone(),
            boost: self.boost,
            bm25,
            option,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

struct FieldTermWeight {
    term: Term,
    boost: Score,
    /// `None` when scoring is off.
    bm25: Option<Bm25Weight>,
    option: IndexRecordOption,
}

impl FieldTermWeight {
    fn term_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<TermScorer>> {
        let field = self.term.field();
        let Some(postings) = reader
            .inverted_index(field)?
            .read_postings(&self.term, self.option)?
        else {
            return Ok(None);
        };
        let norms = match self.bm25 {
            Some(_) => reader.fieldnorms_readers().get_field(field)?,
            None => None,
        };
        let counted = norms.is_some();
        let norms = norms.unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        // As tantivy's `BoostQuery` over a `TermQuery`: the outer boost times this term's.
        let bm25 = self.bm25.as_ref().map(|w| w.boost_by(boost * self.boost));
        Ok(Some(TermScorer {
            postings,
            norms,
            counted,
            bm25,
        }))
    }
}

impl Weight for FieldTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let scorer = self.term_scorer(reader, 1.0)?;
        let Some(mut scorer) = scorer.filter(|s| s.doc() <= doc) else {
            return Err(no_match(doc));
        };
        if scorer.seek(doc) != doc {
            return Err(no_match(doc));
        }
        Ok(match &scorer.bm25 {
            Some(bm25) => bm25.explain(scorer.norms.fieldnorm_id(doc), scorer.postings.term_freq()),
            None => Explanation::new("unscored", 1.0),
        })
    }
}

fn no_match(doc: DocId) -> tantivy::TantivyError {
    tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match"))
}

/// The postings of a [`FieldTerm`] in one segment.
pub struct TermScorer {
    postings: SegmentPostings,
    norms: FieldNormReader,
    /// Whether `norms` are the field's token counts (not a constant stand-in).
    counted: bool,
    bm25: Option<Bm25Weight>,
}

impl DocSet for TermScorer {
    #[inline]
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl TermScorer {
    /// A score no document can exceed with this term.
    ///
    /// BM25 grows with the term's frequency and falls with the field's length, and a field
    /// holds the term at most as many times as it has tokens. Lengths are stored rounded down
    /// to one of 256 steps, so for each step the highest frequency is one less than the next
    /// step's length; the bound is the best score over the steps. (tantivy's
    /// `Bm25Weight::max_score` takes frequency and length both at the last step, which a field
    /// whose length was rounded down can beat by a little.)
    pub fn max_score(&self) -> Score {
        let Some(bm25) = &self.bm25 else {
            return 1.0;
        };
        if !self.counted {
            return bm25.score(0, u32::MAX);
        }
        (0..=u8::MAX)
            .map(|id| {
                let most = match id {
                    u8::MAX => u32::MAX,
                    _ => FieldNormReader::id_to_fieldnorm(id + 1) - 1,
                };
                bm25.score(id, most)
            })
            .fold(0.0, Score::max)
    }
}

impl Scorer for TermScorer {
    #[inline]
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(
                self.norms.fieldnorm_id(self.postings.doc()),
                self.postings.term_freq(),
            ),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BoostQuery, TermQuery};
    use tantivy::schema::{Field, Schema, TEXT};
    use tantivy::{Index, doc};

    use super::*;

    /// An index of one text field holding `texts`, one document each.
    fn index_of(texts: impl IntoIterator<Item = String>) -> (tantivy::Searcher, Field) {
        let mut builder = Schema::builder();
        let field = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        for text in texts {
            writer.add_document(doc!(field => text)).unwrap();
        }
        writer.commit().unwrap();
        (index.reader().unwrap().searcher(), field)
    }

    #[test]
    fn scores_and_explains_as_a_boosted_term_query() {
        let texts = [
            "quux",
            "quux quux in a longer text",
            "other words",
            "quux again quux quux",
        ];
        let (searcher, body) = index_of(texts.map(String::from));
        let term = Term::from_field_text(body, "quux");
        let ours = searcher
            .search(
                &FieldTerm::new(term.clone(), 1.7),
                &TopDocs::with_limit(10).order_by_score(),
            )
            .unwrap();
        let theirs = BoostQuery::new(
            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
            1.7,
        );
        let theirs = searcher
            .search(&theirs, &TopDocs::with_limit(10).order_by_score())
            .unwrap();
        assert_eq!(ours.len(), 3);
        assert_eq!(ours, theirs);
        let weight = FieldTerm::new(term, 1.7)
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let explained = weight
            .explain(searcher.segment_reader(0), ours[0].1.doc_id)
            .unwrap();
        assert_eq!(explained.value(), ours[0].0);
        assert!(weight.explain(searcher.segment_reader(0), 2).is_err());
    }

    #[test]
    fn max_score_bounds_every_document_and_is_tighter_than_unlimited_frequency() {
        // Titles of every length from 1 to 12 tokens, with "quux" from once to all of them.
        let titles = (1..=12usize).flat_map(|len| {
            [1, len.div_ceil(2), len].map(|times| {
                (0..len)
                    .map(|i| if i < times { "quux" } else { "other" })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        });
        let (searcher, title) = index_of(titles);
        let weight = FieldTerm::new(Term::from_field_text(title, "quux"), 2.0)
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let mut scorer = weight.scorer(searcher.segment_reader(0), 1.0).unwrap();
        let scorer = scorer.downcast_mut::<TermScorer>().unwrap();
        let bound = scorer.max_score();
        let mut best: Score = 0.0;
        while scorer.doc() != tantivy::TERMINATED {
            best = best.max(scorer.score());
            scorer.advance();
        }
        assert!(best <= bound, "{best} > {bound}");
        // Close to the best real score, and under the bound that lets the frequency grow
        // without limit in the shortest field (which prunes less).
        assert!(best > 0.85 * bound, "{best} vs {bound}");
        let unlimited = scorer.bm25.as_ref().unwrap().score(0, u32::MAX);
        assert!(bound < 0.97 * unlimited, "{bound} vs {unlimited}");
    }
}
