//! Vocabulary look-ups: completions of a prefix, close spellings of an unknown word, and the
//! as-you-type title suggestions built on them.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};
use tantivy_fst::Automaton;

use crate::content::Library;

use super::execute::Slugs;
use super::schema;
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
        let mut slugs = Slugs::new(&searcher);
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
    let automaton = Levenshtein {
        query: word.as_bytes().to_vec(),
        max,
    };
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
            if candidate == word {
                continue;
            }
            let entry = counts
                .entry(candidate.to_owned())
                .or_insert((distance(word.as_bytes(), candidate.as_bytes()), 0));
            entry.1 += u64::from(stream.value().doc_freq);
        }
    }
    let mut out: Vec<(String, u8, u64)> = counts.into_iter().map(|(w, (d, n))| (w, d, n)).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then_with(|| a.0.cmp(&b.0)));
    out.into_iter().take(limit).map(|(w, _, n)| (w, n)).collect()
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps).
fn distance(a: &[u8], b: &[u8]) -> u8 {
    let automaton = Levenshtein {
        query: a.to_vec(),
        max: u8::MAX - 1,
    };
    let mut state = automaton.start();
    for &byte in b {
        state = automaton.accept(&state, byte);
    }
    state.map_or(u8::MAX, |s| s.row[a.len()])
}

/// Longest word (in bytes) the automaton handles; the vocabulary drops longer ones anyway.
const MAX_WORD: usize = 47;

/// A Levenshtein automaton over bytes, run as dynamic-programming rows: walking the term
/// dictionary with it visits only branches that can still end within `max` edits. Rows are
/// fixed arrays, so a step allocates nothing.
struct Levenshtein {
    query: Vec<u8>,
    max: u8,
}

#[derive(Clone, Copy)]
struct Row {
    previous: [u8; MAX_WORD + 1],
    row: [u8; MAX_WORD + 1],
    last: Option<u8>,
}

impl Automaton for Levenshtein {
    type State = Option<Row>;

    fn start(&self) -> Option<Row> {
        if self.query.len() > MAX_WORD {
            return None;
        }
        let mut row = [u8::MAX; MAX_WORD + 1];
        for (i, cell) in row.iter_mut().enumerate().take(self.query.len() + 1) {
            *cell = u8::try_from(i).unwrap_or(u8::MAX);
        }
        Some(Row {
            previous: row,
            row,
            last: None,
        })
    }

    fn is_match(&self, state: &Option<Row>) -> bool {
        state
            .as_ref()
            .is_some_and(|s| s.row[self.query.len()] <= self.max)
    }

    fn can_match(&self, state: &Option<Row>) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Option<Row>, byte: u8) -> Option<Row> {
        let s = state.as_ref()?;
        let q = &self.query;
        let mut row = [u8::MAX; MAX_WORD + 1];
        row[0] = s.row[0].saturating_add(1);
        let mut best = row[0];
        for j in 1..=q.len() {
            let cost = u8::from(q[j - 1] != byte);
            let mut v = s.row[j]
                .saturating_add(1)
                .min(row[j - 1].saturating_add(1))
                .min(s.row[j - 1].saturating_add(cost));
            if j > 1 && s.last == Some(q[j - 1]) && q[j - 2] == byte {
                v = v.min(s.previous[j - 2].saturating_add(1));
            }
            row[j] = v;
            best = best.min(v);
        }
        if best > self.max {
            return None;
        }
        Some(Row {
            previous: s.row,
            row,
            last: Some(byte),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_swaps_as_one_edit() {
        assert_eq!(distance(b"offload", b"offlaod"), 1);
        assert_eq!(distance(b"offload", b"ofload"), 1);
        assert_eq!(distance(b"offload", b"offload"), 0);
        assert_eq!(distance(b"conectivity", b"connectivity"), 1);
        assert_eq!(distance(b"abc", b"xyz"), 3);
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
