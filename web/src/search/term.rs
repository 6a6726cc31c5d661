//! One term in one field, scored by BM25 exactly as tantivy's boosted `TermQuery`, but with a
//! scorer type this crate can name.
//!
//! The field unions (`union.rs`) and the word-by-word first pass read every posting of a
//! word's fields: tens of thousands per search at 100k articles. Through `Box<dyn Scorer>` each
//! posting costs three virtual calls (document, score, advance); with a named type they can
//! downcast once per window and read the postings a block at a time
//! ([`TermScorer::for_each_before`]), straight from the decoded arrays.

use tantivy::directory::OwnedBytes;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
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

    /// The term and its weight.
    pub fn parts(&self) -> (&Term, Score) {
        (&self.term, self.boost)
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
            .read_block_postings(&self.term, self.option)?
        else {
            return Ok(None);
        };
        // The lengths as stored (a byte a document, which tantivy's `FieldNormReader` reads),
        // indexed here without its check for a constant stand-in at every posting.
        let norms = match self.bm25 {
            Some(_) => match reader.fieldnorms_readers().get_inner_file().open_read(field) {
                Some(file) => Some(file.read_bytes()?),
                None => None,
            },
            None => None,
        };
        // As tantivy's `BoostQuery` over a `TermQuery`: the outer boost times this term's.
        let bm25 = self.bm25.as_ref().map(|w| w.boost_by(boost * self.boost));
        Ok(Some(TermScorer {
            postings,
            cur: 0,
            norms,
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
            Some(bm25) => bm25.explain(scorer.norm(doc), scorer.term_freq()),
            None => Explanation::new("unscored", 1.0),
        })
    }
}

fn no_match(doc: DocId) -> tantivy::TantivyError {
    tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match"))
}

/// Calls `each(doc, score)` for `scorer`'s documents before `end` and leaves it on its first
/// document at or after `end`: a block at a time when it is a [`TermScorer`] (most fields are
/// single terms), otherwise one by one through its virtual calls.
#[inline]
pub fn read_before(scorer: &mut dyn Scorer, end: DocId, each: impl FnMut(DocId, Score)) {
    read_before_where(scorer, end, |_| true, each);
}

/// As [`read_before`], but only for the documents `keep` wants: the others are passed over
/// without being scored (for a common word, whose score only matters to the matches).
#[inline]
pub fn read_before_where(
    scorer: &mut dyn Scorer,
    end: DocId,
    keep: impl Fn(DocId) -> bool,
    mut each: impl FnMut(DocId, Score),
) {
    match scorer.downcast_mut::<TermScorer>() {
        Some(term) => term.for_each_before(end, keep, each),
        None => {
            let mut doc = scorer.doc();
            while doc < end {
                if keep(doc) {
                    each(doc, scorer.score());
                }
                doc = scorer.advance();
            }
        }
    }
}

/// The postings of a [`FieldTerm`] in one segment.
pub struct TermScorer {
    /// The current block of postings, decoded. The last block is padded with `TERMINATED`.
    postings: BlockSegmentPostings,
    /// The current posting's place in the block (as tantivy's `SegmentPostings` keeps it).
    cur: usize,
    /// The field's length id of each document; `None` when the field keeps none (every
    /// document then counts as one token) or scoring is off.
    norms: Option<OwnedBytes>,
    bm25: Option<Bm25Weight>,
}

/// Postings in a full block.
const BLOCK: usize = 128;

/// The length id of a field of one token: what a field that keeps no lengths counts as (as
/// tantivy's constant `FieldNormReader` does).
const ONE: u8 = 1;

impl DocSet for TermScorer {
    // As tantivy's `SegmentPostings`, over the same block cursor.
    #[inline]
    fn advance(&mut self) -> DocId {
        if self.cur == BLOCK - 1 {
            self.cur = 0;
            self.postings.advance();
        } else {
            self.cur += 1;
        }
        self.doc()
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() >= target {
            return self.doc();
        }
        // The next posting is often the one: try it before the skip list.
        self.cur = (self.cur + 1).min(BLOCK - 1);
        if self.doc() >= target {
            return self.doc();
        }
        self.cur = self.postings.seek(target);
        self.doc()
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.postings.doc(self.cur)
    }

    fn size_hint(&self) -> u32 {
        self.postings.doc_freq()
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
        if self.norms.is_none() {
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

    fn term_freq(&self) -> u32 {
        self.postings.freq(self.cur)
    }

    /// The length id of `doc`'s field.
    #[inline]
    fn norm(&self, doc: DocId) -> u8 {
        self.norms
            .as_ref()
            .and_then(|norms| norms.as_slice().get(doc as usize).copied())
            .unwrap_or(ONE)
    }

    fn bm25_score(&self, doc: DocId, tf: u32) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(self.norm(doc), tf),
            None => 1.0,
        }
    }

    /// Calls `each(doc, score)` for every posting from the current one up to `end` (excluded)
    /// that `keep` wants, and leaves the scorer on its first document at or after `end`. Gives
    /// the scores of [`Scorer::score`], a block at a time, without a check per posting for the
    /// block's end; the postings `keep` refuses are not scored.
    #[inline]
    pub fn for_each_before(
        &mut self,
        end: DocId,
        keep: impl Fn(DocId) -> bool,
        mut each: impl FnMut(DocId, Score),
    ) {
        loop {
            let docs = self.postings.docs();
            let freqs = self.postings.freqs();
            // Documents are sorted: find where the run stops, then read it without a check per
            // posting. Frequencies are absent when the field has none (then each is 1).
            let from = self.cur.min(docs.len());
            let i = from + docs[from..].partition_point(|&doc| doc < end);
            let run = &docs[from..i];
            match (&self.bm25, &self.norms, freqs.get(from..i)) {
                (Some(bm25), Some(norms), Some(tfs)) => {
                    let norms = norms.as_slice();
                    for (&doc, &tf) in run.iter().zip(tfs) {
                        if keep(doc) {
                            let id = norms.get(doc as usize).copied().unwrap_or(ONE);
                            each(doc, bm25.score(id, tf));
                        }
                    }
                }
                (Some(_), _, _) => {
                    for (k, &doc) in run.iter().enumerate() {
                        if keep(doc) {
                            let tf = freqs.get(from + k).copied().unwrap_or(1);
                            each(doc, self.bm25_score(doc, tf));
                        }
                    }
                }
                (None, _, _) => run
                    .iter()
                    .filter(|&&doc| keep(doc))
                    .for_each(|&doc| each(doc, 1.0)),
            }
            // Stopped inside the block, or at the end of the last one (which is padded with
            // `TERMINATED`, so the scorer is then done): stay there.
            if i < docs.len() || docs.len() < BLOCK {
                self.cur = i;
                return;
            }
            self.cur = 0;
            self.postings.advance();
        }
    }
}

impl Scorer for TermScorer {
    #[inline]
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(self.norm(self.doc()), self.term_freq()),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BoostQuery, TermQuery};
    use tantivy::schema::{Field, STRING, Schema, TEXT};
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
    fn reading_a_block_at_a_time_gives_the_postings_and_scores_of_advancing() {
        // "quux" in every third text (a partial last block), repeated more or less; "zorp" in
        // 256 (two full blocks, then nothing); and whole texts in a field without frequencies.
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let whole = builder.add_text_field("whole", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        for i in 0..1_000usize {
            let quux = if i % 3 == 0 {
                "quux ".repeat(1 + i % 4)
            } else {
                String::new()
            };
            let zorp = if i < 512 && i % 2 == 0 { "zorp" } else { "" };
            let filler = "filler ".repeat(i % 7);
            let kind = if i % 2 == 0 { "even" } else { "odd" };
            writer
                .add_document(doc!(text => format!("{quux} {zorp} {filler}"), whole => kind))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let terms = [
            Term::from_field_text(text, "quux"),
            Term::from_field_text(text, "zorp"),
            Term::from_field_text(whole, "even"),
        ];
        for term in terms {
            let word = format!("{term:?}");
            let weight = FieldTerm::new(term.clone(), 1.3)
                .weight(EnableScoring::enabled_from_searcher(&searcher))
                .unwrap();
            let walked = {
                let mut scorer = weight.scorer(reader, 1.0).unwrap();
                let mut all = Vec::new();
                while scorer.doc() != tantivy::TERMINATED {
                    all.push((scorer.doc(), scorer.score()));
                    scorer.advance();
                }
                all
            };
            assert!(walked.len() >= 256, "{word}");
            // Advancing is ours too: tantivy's boosted term query is the reference for both.
            let theirs = {
                let query =
                    BoostQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)), 1.3);
                let weight = query
                    .weight(EnableScoring::enabled_from_searcher(&searcher))
                    .unwrap();
                let mut scorer = weight.scorer(reader, 1.0).unwrap();
                let mut all = Vec::new();
                while scorer.doc() != tantivy::TERMINATED {
                    all.push((scorer.doc(), scorer.score()));
                    scorer.advance();
                }
                all
            };
            assert_eq!(walked, theirs, "{word}");
            // Windows of every size from 1 to 300 documents, some after a seek.
            for step in [1, 7, 128, 129, 300] {
                let mut scorer = weight.scorer(reader, 1.0).unwrap();
                let scorer = scorer.downcast_mut::<TermScorer>().unwrap();
                let mut read = Vec::new();
                let mut end = 0;
                while scorer.doc() != tantivy::TERMINATED {
                    end += step;
                    if end % 5 == 0 {
                        scorer.seek(end - step);
                    }
                    scorer.for_each_before(end, |_| true, |doc, score| read.push((doc, score)));
                    assert!(scorer.doc() >= end, "{word}, step {step}");
                }
                assert_eq!(read, walked, "{word}, step {step}");
            }
            // Only the documents wanted, in windows of 100: the others are passed over.
            let keep = |doc: DocId| doc % 5 != 1;
            let mut scorer = weight.scorer(reader, 1.0).unwrap();
            let mut read = Vec::new();
            let mut end = 0;
            while scorer.doc() != tantivy::TERMINATED {
                end += 100;
                read_before_where(scorer.as_mut(), end, keep, |doc, score| read.push((doc, score)));
            }
            let wanted: Vec<(DocId, Score)> = walked.iter().copied().filter(|p| keep(p.0)).collect();
            assert!(wanted.len() < walked.len(), "{word}");
            assert_eq!(read, wanted, "{word}");
        }
    }

    #[test]
    fn a_field_without_lengths_counts_as_one_token() {
        assert_eq!(FieldNormReader::fieldnorm_to_id(1), ONE);
        assert_eq!(FieldNormReader::constant(10, 1).fieldnorm_id(3), ONE);
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
