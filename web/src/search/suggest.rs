//! Vocabulary look-ups: completions of a prefix, close spellings of an unknown word, and the
//! as-you-type title suggestions built on them.

use std::collections::HashMap;
use std::sync::OnceLock;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};
use tantivy_fst::Automaton;

use crate::content::Library;

use super::schema;
use super::slugs::Slugs;
use super::{SearchIndex, article_url};

/// Words sharing a prefix looked at per segment before picking the most common.
const PREFIX_SCAN: usize = 512;

/// One as-you-type suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// Article title.
    pub title: String,
    /// Article URL.
    pub url: String,
    /// Slug.
    pub slug: String,
    /// KB number.
    pub id: Option<u32>,
}

impl SearchIndex {
    /// Titles matching what has been typed so far: every complete word, and the last word as a
    /// prefix. Cheap enough for every keystroke (title vocabulary only, no snippets).
    pub fn suggest(&self, library: &Library, typed: &str, limit: usize) -> Vec<Suggestion> {
        let limit = limit.clamp(1, 20);
        let searcher = self.reader.searcher();
        let mut out: Vec<Suggestion> = Vec::new();
        if let Some(article) = kb_number(typed).and_then(|id| library.by_id(id)) {
            out.push(suggestion(article));
        }
        let words = schema::analyze(&mut schema::plain(), typed);
        let Some(((_, last), complete)) = words.split_last() else {
            return out;
        };
        let field = self.fields.title_words;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = complete
            .iter()
            .filter(|(_, w)| !schema::is_stop_word(w))
            .map(|(_, w)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, w),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Must, q)
            })
            .collect();
        let ends_mid_word = !typed.ends_with(char::is_whitespace);
        let mut last_options: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let exact: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(field, last),
            IndexRecordOption::WithFreqs,
        ));
        last_options.push((Occur::Should, Box::new(BoostQuery::new(exact, 2.0))));
        if ends_mid_word {
            for (word, _) in prefix_terms(&searcher, field, last, 16) {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, &word),
                    IndexRecordOption::WithFreqs,
                ));
                last_options.push((Occur::Should, q));
            }
        }
        if !schema::is_stop_word(last) || ends_mid_word {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(last_options))));
        }
        if clauses.is_empty() {
            return out;
        }
        let query = BooleanQuery::new(clauses);
        let Ok(top) = searcher.search(&query, &TopDocs::with_limit(limit + 1).order_by_score()) else {
            return out;
        };
        let mut slugs = Slugs::new(&searcher, &self.slugs);
        for (_, address) in top {
            let Some(slug) = slugs.get(address) else {
                continue;
            };
            if let Some(article) = library.article(&slug)
                && !out.iter().any(|s| s.slug == article.slug)
            {
                out.push(suggestion(article));
            }
        }
        out.truncate(limit);
        out
    }
}

fn suggestion(article: &crate::content::Article) -> Suggestion {
    Suggestion {
        title: article.title.clone(),
        url: article_url(&article.slug),
        slug: article.slug.clone(),
        id: article.id,
    }
}

pub use crate::content::parse_kb_number as kb_number;

/// The most common words of `field` starting with `prefix` (not `prefix` itself), with their
/// document frequencies.
pub fn prefix_terms(searcher: &Searcher, field: Field, prefix: &str, limit: usize) -> Vec<(String, u64)> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let upper = prefix_upper_bound(prefix.as_bytes());
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let mut builder = inverted.terms().range().gt(prefix.as_bytes());
        if let Some(upper) = &upper {
            builder = builder.lt(upper);
        }
        let Ok(mut stream) = builder.into_stream() else {
            continue;
        };
        let mut scanned = 0;
        while stream.advance() && scanned < PREFIX_SCAN {
            scanned += 1;
            if let Ok(word) = std::str::from_utf8(stream.key()) {
                *counts.entry(word.to_owned()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    let mut out: Vec<(String, u64)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(limit);
    out
}

/// The smallest byte string greater than every string starting with `prefix`.
fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut upper = prefix.to_vec();
    while let Some(last) = upper.pop() {
        if last < u8::MAX {
            upper.push(last + 1);
            return Some(upper);
        }
    }
    None
}

/// Words of `field` within `max` edits of `word` (a swap of neighbours is one edit), closest
/// and then most common first.
pub fn fuzzy_terms(
    searcher: &Searcher,
    field: Field,
    word: &str,
    max: u8,
    limit: usize,
) -> Vec<(String, u64)> {
    let automaton = Within(builder(max).build_dfa(word));
    let mut counts: HashMap<String, (u8, u64)> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().search(&automaton).into_stream() else {
            continue;
        };
        while stream.advance() {
            let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let Some(distance) = automaton.distance(candidate).filter(|d| *d > 0) else {
                continue;
            };
            let entry = counts.entry(candidate.to_owned()).or_insert((distance, 0));
            entry.1 += u64::from(stream.value().doc_freq);
        }
    }
    let mut out: Vec<(String, u8, u64)> = counts.into_iter().map(|(w, (d, n))| (w, d, n)).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then_with(|| a.0.cmp(&b.0)));
    out.into_iter().take(limit).map(|(w, _, n)| (w, n)).collect()
}

/// The builder of automata for `max` edits (at most 2), a swap of neighbours counting as one.
/// Building one precomputes the automaton's transitions for every query, which takes a while,
/// so each is built once.
fn builder(max: u8) -> &'static LevenshteinAutomatonBuilder {
    static BUILDERS: [OnceLock<LevenshteinAutomatonBuilder>; 3] = [const { OnceLock::new() }; 3];
    let max = max.min(2);
    BUILDERS[usize::from(max)].get_or_init(|| LevenshteinAutomatonBuilder::new(max, true))
}

/// The words within so many edits of one word: walking the term dictionary with it visits
/// only branches that can still end close enough, a table look-up per byte.
struct Within(DFA);

impl Within {
    /// How many edits `candidate` is from the word, if within the automaton's reach.
    fn distance(&self, candidate: &str) -> Option<u8> {
        match self.0.eval(candidate) {
            Distance::Exact(d) => Some(d),
            Distance::AtLeast(_) => None,
        }
    }
}

impl Automaton for Within {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_swaps_as_one_edit() {
        let within = |word: &str, max: u8| Within(builder(max).build_dfa(word));
        assert_eq!(within("offload", 1).distance("offlaod"), Some(1));
        assert_eq!(within("offload", 1).distance("ofload"), Some(1));
        assert_eq!(within("offload", 1).distance("offload"), Some(0));
        assert_eq!(within("conectivity", 2).distance("connectivity"), Some(1));
        assert_eq!(within("offload", 2).distance("oflaod"), Some(2));
        assert_eq!(within("abc", 2).distance("xyz"), None);
        // Edits count characters, not bytes.
        assert_eq!(within("größe", 1).distance("grösse"), None);
        assert_eq!(within("größe", 1).distance("gröse"), Some(1));
    }

    #[test]
    fn kb_numbers_parse_with_or_without_prefix() {
        assert_eq!(kb_number("KB1001"), Some(1001));
        assert_eq!(kb_number(" kb 1001 "), Some(1001));
        assert_eq!(kb_number("1001"), Some(1001));
        assert_eq!(kb_number("kb"), None);
        assert_eq!(kb_number("10a"), None);
    }

    #[test]
    fn prefix_upper_bound_increments_last_byte() {
        assert_eq!(prefix_upper_bound(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_upper_bound(&[0xff]), None);
    }
}
