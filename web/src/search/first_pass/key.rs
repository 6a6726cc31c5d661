//! What the cache of scored words knows a query as: a text naming its fields, terms, weights
//! and how they combine, so that two queries share an entry only when they are the same query.

use std::fmt::Write as _;
use std::sync::Arc;

use tantivy::Term;
use tantivy::query::Query;

use crate::search::pairs::Pair;
use crate::search::term::FieldTerm;
use crate::search::union::SeekUnion;

/// What the cache knows `query` (a word, a common word, a boost clause) as: a text naming its
/// fields, terms, weights and how they combine. The terms and unions this crate builds are
/// written compactly; anything else as its `Debug` form (formatting every term and weight that
/// way was 3% of a search).
pub fn key_of(query: &dyn Query) -> Arc<str> {
    let mut key = String::with_capacity(128);
    write_key(query, &mut key);
    Arc::from(key)
}

/// What the cache knows the adjacent pair `pair` as (the phrase query it stands for is a
/// `BoostQuery`, which only its `Debug` form can describe).
pub fn key_of_pair(pair: &Pair) -> Arc<str> {
    let mut key = String::with_capacity(64);
    let _ = write!(key, "pair{}.{}.{:x}[", pair.gap, pair.slop, pair.boost.to_bits());
    for term in &pair.terms {
        write_term(term, &mut key);
    }
    key.push(']');
    Arc::from(key)
}

/// Writes `query`'s key. Each part is tagged and ends where its own text says (lengths before
/// texts, brackets around lists), so two different queries never write the same key.
fn write_key(query: &dyn Query, out: &mut String) {
    if let Some(term) = query.downcast_ref::<FieldTerm>() {
        let (term, boost) = term.parts();
        let _ = write!(out, "term{:x}", boost.to_bits());
        write_term(term, out);
    } else if let Some(union) = query.downcast_ref::<SeekUnion>() {
        let (children, tie) = union.parts();
        match tie {
            Some(tie) => {
                let _ = write!(out, "max{:x}[", tie.to_bits());
            }
            None => out.push_str("sum["),
        }
        for child in children {
            write_key(child.as_ref(), out);
        }
        out.push(']');
    } else {
        let debug = format!("{query:?}");
        let _ = write!(out, "debug{}:{debug}", debug.len());
    }
}

/// Writes a term: its field, type and value (text as it is, anything else in hex).
fn write_term(term: &Term, out: &mut String) {
    let _ = write!(out, "({}.{}.", term.field().field_id(), term.typ().to_code());
    let bytes = term.serialized_value_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let _ = write!(out, "{}:{text})", text.len());
        }
        Err(_) => {
            out.push('x');
            for byte in bytes {
                let _ = write!(out, "{byte:02x}");
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_share_a_key_only_when_they_are_the_same_query() {
        use tantivy::query::{BoostQuery, PhraseQuery, QueryClone, TermQuery};
        use tantivy::schema::{Facet, Field, IndexRecordOption};

        let (title, body) = (Field::from_field_id(0), Field::from_field_id(1));
        let text = |field, text: &str| Term::from_field_text(field, text);
        let term = |field, word: &str, boost| -> Box<dyn Query> {
            Box::new(FieldTerm::new(text(field, word), boost))
        };
        let phrase = |words: [&str; 2], boost| -> Box<dyn Query> {
            let terms = vec![(0, text(title, words[0])), (1, text(title, words[1]))];
            Box::new(BoostQuery::new(
                Box::new(PhraseQuery::new_with_offset_and_slop(terms, 1)),
                boost,
            ))
        };
        let max = |children: Vec<Box<dyn Query>>, tie| -> Box<dyn Query> {
            Box::new(SeekUnion::dismax(children, tie))
        };
        let sum = |children: Vec<Box<dyn Query>>| -> Box<dyn Query> { Box::new(SeekUnion::sum(children)) };
        let facet = Term::from_facet(body, &Facet::from_path(["Hyper-V"]));
        let queries: Vec<Box<dyn Query>> = vec![
            term(title, "spooler", 2.0),
            term(title, "spooler", 2.5),
            term(body, "spooler", 2.0),
            term(title, "spoolers", 2.0),
            // Texts holding what the keys use as delimiters.
            term(title, "a)(0.0.", 1.0),
            term(title, "a", 1.0),
            term(title, "1:a", 1.0),
            Box::new(FieldTerm::new(facet.clone(), 1.0)),
            Box::new(TermQuery::new(facet, IndexRecordOption::Basic)),
            Box::new(TermQuery::new(text(title, "spooler"), IndexRecordOption::Basic)),
            phrase(["print", "spooler"], 2.0),
            phrase(["print", "spooler"], 3.0),
            phrase(["spooler", "print"], 2.0),
            max(vec![term(title, "spooler", 2.0), term(body, "spooler", 1.0)], 0.1),
            max(vec![term(title, "spooler", 2.0), term(body, "spooler", 1.0)], 0.2),
            max(vec![term(body, "spooler", 1.0), term(title, "spooler", 2.0)], 0.1),
            sum(vec![term(title, "spooler", 2.0), term(body, "spooler", 1.0)]),
            sum(vec![term(title, "spooler", 2.0)]),
            sum(vec![
                sum(vec![term(title, "spooler", 2.0)]),
                term(body, "spooler", 1.0),
            ]),
            sum(vec![sum(vec![
                term(title, "spooler", 2.0),
                term(body, "spooler", 1.0),
            ])]),
            max(
                vec![phrase(["print", "spooler"], 2.0), term(body, "spooler", 1.0)],
                0.1,
            ),
        ];
        let pair = |words: [&str; 2], gap, slop, boost| Pair {
            terms: [text(title, words[0]), text(title, words[1])],
            gap,
            slop,
            boost,
        };
        let pairs = [
            pair(["print", "spooler"], 1, 1, 2.0),
            pair(["print", "spooler"], 2, 1, 2.0),
            pair(["print", "spooler"], 1, 0, 2.0),
            pair(["print", "spooler"], 1, 1, 3.0),
            pair(["spooler", "print"], 1, 1, 2.0),
        ];
        let mut keys: Vec<Arc<str>> = queries.iter().map(|q| key_of(q.as_ref())).collect();
        keys.extend(pairs.iter().map(key_of_pair));
        let distinct: std::collections::HashSet<&Arc<str>> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len(), "{keys:#?}");
        // The same query built again, or cloned, has the same key.
        for (query, key) in queries.iter().zip(&keys) {
            assert_eq!(&key_of(query.box_clone().as_ref()), key);
        }
        assert_eq!(
            key_of_pair(&pair(["print", "spooler"], 1, 1, 2.0)),
            keys[queries.len()]
        );
    }
}
