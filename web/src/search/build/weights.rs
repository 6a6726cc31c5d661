//! The weights of fields and expansions, chosen on the relevance set.

use tantivy::schema::Field;

use crate::search::schema::Fields;

/// Field weights and expansion factors. The defaults were chosen on the relevance set
/// (`tests/relevance/queries.toml`; figures in BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Title.
    pub title: f32,
    /// Summary.
    pub summary: f32,
    /// Symptoms.
    pub symptoms: f32,
    /// Headings.
    pub headings: f32,
    /// Body text.
    pub body: f32,
    /// Products and tags as words.
    pub meta: f32,
    /// Code parts.
    pub code: f32,
    /// A whole identifier (`0x80070005`, `Disable-NetAdapterLso`).
    pub exact: f32,
    /// KB number.
    pub kb: f32,
    /// Two adjacent query words found near each other (multiplies the field weight).
    pub phrase: f32,
    /// Proximity allowed for that boost.
    pub slop: u32,
    /// Most of the query's words in one short field (title, symptoms): rewards the article
    /// whose symptom reads like the query over one that merely repeats some of its words.
    pub coverage: f32,
    /// How much the fields other than a word's best one add (0 = best field only, 1 = sum).
    pub tie: f32,
    /// The parts of a compound word (`hyper`, `v` of `Hyper-V`) matched on their own.
    pub parts: f32,
    /// Exponent of the coordination factor: the best candidates' scores are multiplied by
    /// (share of the query's word weight they contain) to this power (0 turns it off).
    pub coord: f32,
    /// Synonym expansions (multiplies the field weight).
    pub synonym: f32,
    /// Typo corrections.
    pub fuzzy: f32,
    /// Completions of the last word.
    pub prefix: f32,
    /// How many of the first pass's best candidates get their boosts added (phrases, coverage,
    /// common words); the rest keep their first-pass order below them. Phrase positions are
    /// most of a long query's cost: 1,000 gave the same relevance set results as 500 at 100k
    /// p50 1.96 / p99 7.2 ms against 1.79 / 5.8 ms. It stays above the 300 candidates that
    /// coordination re-orders, so that boosts can lift a hit into them. At 100k it is an
    /// approximation: `fresh-searches … --exact` counts the queries whose first hit it changes.
    pub rescore: usize,
    /// Walks every first pass document by document, instead of reading a query of words
    /// alone word by word (`search/first_pass/by_word.rs`). The answer is the same; this is
    /// for measuring the difference (`fresh-searches … --each QUERIES RUNS --walk`).
    pub walk: bool,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            title: 2.0,
            summary: 1.5,
            symptoms: 1.5,
            headings: 1.0,
            body: 1.0,
            meta: 1.0,
            code: 0.5,
            exact: 3.0,
            kb: 5.0,
            phrase: 1.0,
            slop: 2,
            coverage: 1.0,
            tie: 0.3,
            parts: 0.3,
            coord: 1.0,
            synonym: 0.8,
            fuzzy: 0.7,
            prefix: 0.5,
            rescore: 500,
            walk: false,
        }
    }
}

impl Weights {
    pub(super) fn prose(&self, f: &Fields) -> [(Field, f32); 6] {
        let [title, summary, symptoms, headings, body, meta] = f.prose();
        [
            (title, self.title),
            (summary, self.summary),
            (symptoms, self.symptoms),
            (headings, self.headings),
            (body, self.body),
            (meta, self.meta),
        ]
    }
}
