//! Building the tantivy query from a parsed query: each word against every field with its
//! weight (the best field counts, the others add a little), phrase boosts for adjacent words in
//! the short fields, synonym expansions, typo and prefix expansions for words the index does
//! not know, and what the results need besides (terms to highlight, "did you mean", the words'
//! weights for coordination).

use std::collections::{HashMap, HashSet};

use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, QueryClone, TermQuery};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use super::filter::Filter;
use super::pairs::Pair;
use super::query::ParsedQuery;
use super::schema::{self, Fields};
use super::snippet::Highlight;
use super::synonyms::SynonymTable;
use super::term::FieldTerm;
use super::union::SeekUnion;
use super::{suggest, tokenize};

mod corrections;
mod weights;

pub use weights::Weights;

/// The built query plus what the results page needs from it.
pub struct Built {
    /// The query to run; `None` when there is nothing to search. It decides which articles
    /// match and gives each its base score.
    pub query: Option<Box<dyn Query>>,
    /// Common words, each scored in the first pass for the articles `query` matched (see
    /// `search/first_pass.rs`); they never make an article match.
    pub common: Vec<Box<dyn Query>>,
    /// Clauses that only add to the score of articles `query` matched (adjacent words, the
    /// parts of compound words, synonyms of common words). Evaluated for the best candidates
    /// only (see `execute`).
    pub boost: Vec<Boost>,
    /// Coverage boosts, also for the best candidates only.
    pub coverage: Vec<Coverage>,
    /// Terms to mark in snippets.
    pub highlight: Highlight,
    /// The query with unknown words corrected, if any were.
    pub suggestion: Option<String>,
    /// Each distinct word: its weight (inverse document frequency) and a query matching the
    /// articles that contain it (or its synonyms, corrections, completions).
    pub concepts: Vec<Concept>,
}

/// One clause of [`Built::boost`].
pub struct Boost {
    /// Adds its score to the articles it matches.
    pub query: Box<dyn Query>,
    /// First-pass words (see `first_pass::WordSet`) an article must contain for `query` to
    /// match it (both words of an adjacent pair); empty when not known.
    pub words: Vec<usize>,
    /// When `query` is an adjacent pair, the pair: consecutive pairs are probed together
    /// (`search/pairs.rs`), with the same scores.
    pub pair: Option<Pair>,
}

/// One distinct word of the query, for coordination (see `execute`).
pub struct Concept {
    /// Its weight: inverse document frequency.
    pub idf: f32,
    /// Matches the articles that contain it (or its synonyms, corrections, completions).
    pub query: Box<dyn Query>,
    /// Which word of the first pass `query` is, when it is exactly one of them (see
    /// `first_pass::WordSet`): the first pass then already knows which articles contain it.
    pub word: Option<usize>,
}

/// Most of the query's words in one short field (title, symptoms): rewards the article whose
/// symptom reads like the query over one that merely repeats some of its words. An article
/// matching at least `needed` of `clauses` gains `factor` × the sum of their scores.
pub struct Coverage {
    /// The field's weight times [`Weights::coverage`].
    pub factor: f32,
    /// Clauses that must match.
    pub needed: usize,
    /// One per typed word, in that field.
    pub clauses: Vec<Box<dyn Query>>,
    /// For each clause, the first pass's word (see `first_pass::WordSet`) that an article
    /// matching it contains, when known: an article without enough of them cannot gain.
    pub words: Vec<Option<usize>>,
    /// For each clause, its typed word (an index of `Builder::concepts`).
    typed: Vec<usize>,
}

/// One typed word while the query is being built.
#[derive(Default)]
struct Typed {
    idf: f32,
    queries: Vec<Box<dyn Query>>,
    /// Where its first query went: the `i`th clause of the words that make a match, or the
    /// `i`th common word.
    clause: Option<Clause>,
}

#[derive(Clone, Copy)]
enum Clause {
    Word(usize),
    Common(usize),
}

/// Builds tantivy queries against one searcher.
pub struct Builder<'a> {
    fields: &'a Fields,
    searcher: &'a Searcher,
    weights: &'a Weights,
    synonyms: &'a SynonymTable,
    prose: TextAnalyzer,
    code: TextAnalyzer,
    plain: TextAnalyzer,
    /// Per typed word, its concept (`None` for stop words and repeats).
    concept_of: Vec<Option<usize>>,
    concepts: Vec<Typed>,
    /// The clauses of typed words most articles contain.
    common: Vec<Box<dyn Query>>,
    /// By place among the optional clauses, each adjacent pair and, when known, the typed
    /// words (indexes of `concepts`) it needs.
    pairs: HashMap<usize, (Pair, Option<Vec<usize>>)>,
    coverage: Vec<Coverage>,
}

type Clauses = Vec<(Occur, Box<dyn Query>)>;

/// Indexes smaller than this treat every word alike.
const COMMON_MIN_DOCS: u64 = 1_000;
/// Share of articles above which a word is common (see [`Builder::is_common`]).
const COMMON_SHARE: f64 = 0.1;

impl<'a> Builder<'a> {
    /// A builder over `searcher`'s index.
    pub fn new(
        fields: &'a Fields,
        searcher: &'a Searcher,
        weights: &'a Weights,
        synonyms: &'a SynonymTable,
    ) -> Self {
        Self {
            fields,
            searcher,
            weights,
            synonyms,
            prose: schema::prose(),
            code: schema::code(),
            plain: schema::plain(),
            concept_of: Vec::new(),
            concepts: Vec::new(),
            common: Vec::new(),
            pairs: HashMap::new(),
            coverage: Vec::new(),
        }
    }

    /// Builds the query for `parsed` (with filters resolved to facet values by the caller).
    pub fn build(
        &mut self,
        input: &str,
        parsed: &ParsedQuery,
        products: &[String],
        tags: &[String],
    ) -> Built {
        let mut highlight = Highlight::default();
        let mut clauses: Clauses = Vec::new();
        let mut suggestion = None;
        let mut scored = false;

        let mut should: Clauses = Vec::new();
        let mut optional: Clauses = Vec::new();
        if !parsed.words.is_empty() {
            suggestion = self.words(parsed, input, &mut should, &mut optional, &mut highlight);
        }
        let common = std::mem::take(&mut self.common);
        let mut common_scores: Vec<Box<dyn Query>> = Vec::new();
        // The first pass's words, in order: the clauses of `should`, then the common words,
        // when both are kept as they are.
        let first_pass_words = (!should.is_empty()).then_some(should.len());
        let word_of = |clause: Option<Clause>| match (clause, first_pass_words) {
            (Some(Clause::Word(i)), Some(_)) => Some(i),
            (Some(Clause::Common(i)), Some(words)) => Some(words + i),
            _ => None,
        };
        for cover in &mut self.coverage {
            let concepts = &self.concepts;
            cover.words = cover
                .typed
                .iter()
                .map(|&t| word_of(concepts.get(t).and_then(|c| c.clause)))
                .collect();
        }
        if !should.is_empty() {
            // Common words only add to the score of articles found through rarer ones, but
            // they do so in the first pass, which picks the candidates for the boosts. As
            // boosts of those candidates alone, at 100k articles the one titled with all of
            // "windows time service runs very slowly" never became a candidate: hundreds that
            // repeat "time" outscored it on the rarer words. The top ten now agree with
            // rescoring every match for 989 of 1,000 queries, against 757 before
            // (`fresh-searches … --exact`). They are sought only for the matches that could
            // still make the candidates (`search/first_pass.rs`).
            common_scores = common;
        } else if self.concepts.len() > 1 && self.concepts.len() == common.len() {
            // Only common words ("cluster service"): the articles containing each of them (or
            // a synonym, correction or completion of it), not nearly every article.
            let each: Clauses = self
                .concepts
                .iter()
                .map(|c| {
                    let alternatives = c.queries.iter().map(|q| (Occur::Should, q.box_clone())).collect();
                    (
                        Occur::Must,
                        Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(each))));
            scored = true;
        } else {
            should = common
                .into_iter()
                .map(|q| (Occur::Should, q))
                .chain(optional)
                .collect();
            optional = Vec::new();
        }
        if !should.is_empty() {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(should))));
            scored = true;
        }
        // These only score the articles found above, each probed for those that can match it.
        let mut pairs = std::mem::take(&mut self.pairs);
        let boost: Vec<Boost> = optional
            .into_iter()
            .enumerate()
            .map(|(i, (_, query))| {
                let (pair, typed) = pairs.remove(&i).unzip();
                let words = typed
                    .flatten()
                    .unwrap_or_default()
                    .iter()
                    .map(|&t| word_of(self.concepts.get(t).and_then(|c| c.clause)))
                    .collect::<Option<Vec<usize>>>()
                    .unwrap_or_default();
                Boost { query, words, pair }
            })
            .collect();
        for phrase in &parsed.phrases {
            if let Some(q) = self.phrase_anywhere(phrase, 1.0, Some(&mut highlight)) {
                clauses.push((Occur::Must, q));
                scored = true;
            }
        }
        for excluded in &parsed.excluded {
            if let Some(q) = self.phrase_anywhere(excluded, 1.0, None) {
                clauses.push((Occur::MustNot, q));
            }
        }
        for (field, values) in [(self.fields.products, products), (self.fields.tags, tags)] {
            for value in values {
                let term = Term::from_facet(field, &Facet::from_path([value.as_str()]));
                let q = Filter::new(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
                clauses.push((Occur::Must, Box::new(q)));
            }
        }
        let filtered = !products.is_empty() || !tags.is_empty() || !parsed.excluded.is_empty();
        if !scored && filtered && parsed.words.is_empty() && parsed.phrases.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
            scored = true;
        }
        let query: Option<Box<dyn Query>> =
            scored.then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>);
        let concepts = std::mem::take(&mut self.concepts)
            .into_iter()
            .filter(|c| !c.queries.is_empty())
            .map(|c| {
                // With other queries attached, the word alone does not say it all.
                let word = match c.queries.len() {
                    1 => word_of(c.clause),
                    _ => None,
                };
                let query: Box<dyn Query> = if c.queries.len() == 1 {
                    c.queries.into_iter().next().unwrap_or_else(|| Box::new(AllQuery))
                } else {
                    // Only ever sought (coordination), never driving: the seekable union.
                    Box::new(SeekUnion::sum(c.queries))
                };
                Concept {
                    idf: c.idf,
                    query,
                    word,
                }
            })
            .collect();
        Built {
            query,
            common: common_scores,
            boost,
            coverage: std::mem::take(&mut self.coverage),
            highlight,
            suggestion,
            concepts,
        }
    }

    /// The free words: per-field terms, identifiers, KB numbers, adjacent-pair boosts,
    /// synonyms, and typo/prefix expansions. Returns the "did you mean" text.
    fn words(
        &mut self,
        parsed: &ParsedQuery,
        input: &str,
        should: &mut Clauses,
        optional: &mut Clauses,
        highlight: &mut Highlight,
    ) -> Option<String> {
        let w = *self.weights;
        let mut common_words = HashSet::new();
        let joined = parsed.words.join(" ");
        let tokens = schema::analyze(&mut self.prose, &joined);
        let mut seen_words = HashSet::new();
        // One clause per word in each short field, for the coverage boost below.
        let mut covering: [Vec<(usize, Box<dyn Query>)>; 2] = [Vec::new(), Vec::new()];
        let mut tagged: Vec<(usize, String)> = Vec::new();
        self.concept_of = vec![None; parsed.words.len()];
        for (word_index, word) in parsed.words.iter().enumerate() {
            let word_tokens = schema::analyze(&mut self.prose, word);
            tagged.extend(word_tokens.iter().map(|t| (word_index, t.1.clone())));
            let key: Vec<&str> = word_tokens.iter().map(|t| t.1.as_str()).collect();
            let chunks: Vec<&str> = tokenize::chunks(word).map(|(_, c)| c).collect();
            let compound = chunks.iter().any(|c| tokenize::is_compound(c));
            if (word_tokens.is_empty() && !compound) || !seen_words.insert(format!("{key:?}{chunks:?}")) {
                continue;
            }
            // The word itself: its best field counts, the others add a little. A common word
            // (see below) is looked for in the short fields only: in bodies it says little, and
            // seeking through its long posting lists is most of a search's time.
            let common = self.is_common(&word_tokens);
            let short = [self.fields.title, self.fields.summary, self.fields.symptoms];
            let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
            for (field, fw) in w
                .prose(self.fields)
                .into_iter()
                .filter(|(f, _)| !common || short.contains(f))
            {
                disjuncts.extend(self.tokens_query(field, &word_tokens, fw));
            }
            for chunk in &chunks {
                let code = schema::analyze(&mut self.code, chunk);
                if let Some((_, first)) = code.first() {
                    let whole = tokenize::is_compound(chunk);
                    disjuncts
                        .push(term_query(self.fields.code, first, if whole { w.exact } else { w.code }).1);
                    if whole {
                        highlight.code.insert(first.clone());
                    }
                }
            }
            let lower = word.to_ascii_lowercase();
            if super::suggest::kb_number(&lower).is_some() {
                let kb = lower.trim_start_matches("kb").trim().to_owned();
                disjuncts.push(term_query(self.fields.kb, &kb, w.kb).1);
            }
            for (i, field) in [self.fields.title, self.fields.symptoms].into_iter().enumerate() {
                if let Some(q) = self.tokens_query(field, &word_tokens, 1.0) {
                    covering[i].push((self.concepts.len(), q));
                }
            }
            let q = SeekUnion::dismax(disjuncts, w.tie);
            let idf = self.idf(&word_tokens, &chunks);
            self.concept_of[word_index] = Some(self.concepts.len());
            let clause = match common {
                true => Clause::Common(self.common.len()),
                false => Clause::Word(should.len()),
            };
            self.concepts.push(Typed {
                idf,
                queries: vec![q.box_clone()],
                clause: Some(clause),
            });
            // Like Lucene's common-terms query: in a large index, words most articles contain
            // only add to the score of articles that match a rarer word, so a search never
            // walks every article for "server" or "update".
            if common {
                common_words.insert(word_index);
                self.common.push(Box::new(q));
            } else {
                should.push((Occur::Should, Box::new(q)));
            }
            // The parts of a compound word on their own, for partial matches.
            if w.parts > 0.0 && (word_tokens.len() > 1 || compound) {
                let mut parts: Vec<String> = word_tokens.iter().map(|t| t.1.clone()).collect();
                for chunk in &chunks {
                    for (_, part) in schema::analyze(&mut self.code, chunk).into_iter().skip(1) {
                        if !schema::is_stop_word(&part) && !parts.contains(&part) {
                            parts.push(part);
                        }
                    }
                }
                for part in parts {
                    let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
                    for (field, fw) in w.prose(self.fields) {
                        disjuncts.push(term_query(field, &part, fw * w.parts).1);
                    }
                    disjuncts.push(term_query(self.fields.code, &part, w.code * w.parts).1);
                    let q = SeekUnion::dismax(disjuncts, w.tie);
                    optional.push((Occur::Should, Box::new(q)));
                }
            }
            highlight.prose.extend(word_tokens.into_iter().map(|t| t.1));
        }
        // Most of the words in the title or the symptoms.
        if w.coverage > 0.0 {
            let fields = [(self.fields.title, w.title), (self.fields.symptoms, w.symptoms)];
            for ((_, fw), clauses) in fields.into_iter().zip(covering) {
                if clauses.len() >= 3 {
                    let (typed, clauses): (Vec<usize>, Vec<Box<dyn Query>>) = clauses.into_iter().unzip();
                    self.coverage.push(Coverage {
                        factor: fw * w.coverage,
                        needed: (clauses.len() * 3).div_ceil(5),
                        clauses,
                        words: Vec::new(),
                        typed,
                    });
                }
            }
        }
        // Adjacent words near each other, in the short fields (positions in long bodies cost
        // the most time of all clauses and measured no better).
        if w.phrase > 0.0 {
            // Each token's typed word, when analysing the words one by one gave the same tokens.
            let same = tokens.len() == tagged.len() && tokens.iter().zip(&tagged).all(|(t, g)| t.1 == g.1);
            for (k, pair) in tokens.windows(2).enumerate() {
                let needs: Option<Vec<usize>> = same
                    .then(|| {
                        [k, k + 1]
                            .iter()
                            .map(|&t| {
                                tagged
                                    .get(t)
                                    .and_then(|g| self.concept_of.get(g.0).copied().flatten())
                            })
                            .collect()
                    })
                    .flatten();
                let (p0, t0) = &pair[0];
                let (p1, t1) = &pair[1];
                for (field, fw) in [(self.fields.title, w.title), (self.fields.symptoms, w.symptoms)] {
                    let terms = [Term::from_field_text(field, t0), Term::from_field_text(field, t1)];
                    let q = PhraseQuery::new_with_offset_and_slop(
                        vec![(0, terms[0].clone()), (p1 - p0, terms[1].clone())],
                        w.slop,
                    );
                    if let Ok(gap) = u32::try_from(p1 - p0) {
                        let pair = Pair {
                            terms,
                            gap,
                            slop: w.slop,
                            boost: fw * w.phrase,
                        };
                        self.pairs.insert(optional.len(), (pair, needs.clone()));
                    }
                    optional.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(q), fw * w.phrase)),
                    ));
                }
            }
        }
        // Synonyms (single words or phrases) of anything typed.
        let token_texts: Vec<String> = tagged.iter().map(|t| t.1.clone()).collect();
        // Words the synonym table knows ("hyperv" for Hyper-V) are not typos, whatever the
        // index's vocabulary says.
        let mut known: HashSet<usize> = HashSet::new();
        for (member, range) in self.synonyms.expansions(&token_texts) {
            known.extend(tagged[range.clone()].iter().map(|t| t.0));
            if let Some(q) = self.phrase_anywhere(&member.raw, w.synonym, Some(highlight)) {
                let words: HashSet<usize> = tagged[range].iter().map(|t| t.0).collect();
                let all_common = words.iter().all(|w| common_words.contains(w));
                for word in words {
                    self.attach(word, q.box_clone());
                }
                if all_common {
                    optional.push((Occur::Should, q))
                } else {
                    should.push((Occur::Should, q))
                }
            }
        }
        self.corrections(parsed, input, &known, [should, optional], highlight)
    }

    fn doc_freq(&self, field: Field, text: &str) -> u64 {
        self.searcher
            .doc_freq(&Term::from_field_text(field, text))
            .unwrap_or(0)
    }

    /// Records `query` as another way for typed word `word_index` to match.
    fn attach(&mut self, word_index: usize, query: Box<dyn Query>) {
        if let Some(concept) = self.concept_of.get(word_index).copied().flatten() {
            self.concepts[concept].queries.push(query);
        }
    }

    /// True when the index is large and most of it contains the word.
    fn is_common(&self, tokens: &[(usize, String)]) -> bool {
        let n = self.searcher.num_docs();
        if n < COMMON_MIN_DOCS || tokens.is_empty() {
            return false;
        }
        tokens.iter().all(|(_, t)| {
            let df = [
                self.fields.title,
                self.fields.summary,
                self.fields.symptoms,
                self.fields.body,
            ]
            .into_iter()
            .map(|f| self.doc_freq(f, t))
            .max()
            .unwrap_or(0);
            df as f64 > COMMON_SHARE * n as f64
        })
    }

    /// Inverse document frequency of a word: its rarest form in the prose fields, or as a whole
    /// identifier.
    fn idf(&self, tokens: &[(usize, String)], chunks: &[&str]) -> f32 {
        let n = self.searcher.num_docs().max(1) as f32;
        let mut idf = 0.0f32;
        for (_, t) in tokens {
            let df = [
                self.fields.title,
                self.fields.summary,
                self.fields.symptoms,
                self.fields.body,
            ]
            .into_iter()
            .map(|f| self.doc_freq(f, t))
            .max()
            .unwrap_or(0) as f32;
            idf += (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        }
        if tokens.is_empty() {
            for chunk in chunks {
                let whole = tokenize::whole_form(chunk).to_lowercase();
                let df = self.doc_freq(self.fields.code, &whole) as f32;
                idf += (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            }
        }
        idf
    }

    /// One stemmed term in every prose field, each with its weight times `factor`.
    fn term_everywhere(&self, token: &str, factor: f32, should: &mut Clauses) {
        let disjuncts: Vec<Box<dyn Query>> = self
            .weights
            .prose(self.fields)
            .into_iter()
            .filter(|(_, weight)| *weight > 0.0)
            .map(|(field, weight)| term_query(field, token, weight * factor).1)
            .collect();
        if !disjuncts.is_empty() {
            let q = SeekUnion::dismax(disjuncts, self.weights.tie);
            should.push((Occur::Should, Box::new(q)));
        }
    }

    /// Analysed tokens as one term or an exact phrase in `field`; `None` when there are none
    /// or the weight is zero.
    fn tokens_query(&self, field: Field, tokens: &[(usize, String)], weight: f32) -> Option<Box<dyn Query>> {
        match tokens {
            _ if weight <= 0.0 => None,
            [] => None,
            [(_, t)] => Some(term_query(field, t, weight).1),
            _ => Some(phrase_query(field, tokens, 0, weight)),
        }
    }

    /// `text` as a phrase in every prose field, or as a whole identifier in the code field;
    /// `None` when it has no searchable words.
    fn phrase_anywhere(
        &mut self,
        text: &str,
        factor: f32,
        highlight: Option<&mut Highlight>,
    ) -> Option<Box<dyn Query>> {
        let tokens = schema::analyze(&mut self.prose, text);
        let mut should: Vec<Box<dyn Query>> = Vec::new();
        for (field, weight) in self.weights.prose(self.fields) {
            should.extend(self.tokens_query(field, &tokens, weight.max(0.1) * factor));
        }
        let mut code_terms = Vec::new();
        let chunks: Vec<&str> = tokenize::chunks(text).map(|(_, c)| c).collect();
        if let [chunk] = chunks.as_slice() {
            let code = schema::analyze(&mut self.code, chunk);
            if let Some((_, whole)) = code.first() {
                let weight = self.weights.exact.max(0.1) * factor;
                should.push(term_query(self.fields.code, whole, weight).1);
                code_terms.push(whole.clone());
            }
        }
        if let Some(h) = highlight {
            h.prose.extend(tokens.into_iter().map(|t| t.1));
            h.code.extend(code_terms);
        }
        (!should.is_empty()).then(|| Box::new(SeekUnion::dismax(should, self.weights.tie)) as Box<dyn Query>)
    }
}

fn phrase_query(field: Field, tokens: &[(usize, String)], slop: u32, weight: f32) -> Box<dyn Query> {
    let first = tokens.first().map_or(0, |t| t.0);
    let terms = tokens
        .iter()
        .map(|(p, t)| (p - first, Term::from_field_text(field, t)))
        .collect();
    Box::new(BoostQuery::new(
        Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)),
        weight,
    ))
}

fn term_query(field: Field, text: &str, weight: f32) -> (Occur, Box<dyn Query>) {
    let q = FieldTerm::new(Term::from_field_text(field, text), weight);
    (Occur::Should, Box::new(q))
}
