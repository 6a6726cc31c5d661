//! What snippets keep across searches. The same articles come up as hits again and again (and
//! the same boilerplate sentences in many of them), while what a snippet needs of an article
//! whatever the query (its text read back and decompressed, lower-cased and cut into passages)
//! and of a passage (its words tokenised and stemmed) was most of a hit's snippet. Both are
//! kept in size-bounded caches, checked on every hit against what they were made from, so
//! nothing goes stale: an edited article is another key, and the analyzers never change while
//! the server runs.

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::ops::Range;
use std::sync::Arc;

use foldhash::HashMap;
use tantivy::tokenizer::TextAnalyzer;

use super::{lowercase, sentences_within};
use crate::content::Article;

/// Bytes of analysed passages kept by default: a passage is a sentence or two and weighs
/// about 1 kB analysed, so about 8,000 of them, the top hits of several hundred searches.
pub const WORDS_BYTES: u64 = 8 * 1024 * 1024;
/// Bytes of prepared article texts kept by default: about 3 kB an article at 100,000 generated
/// articles, so over a thousand articles.
pub const TEXTS_BYTES: u64 = 4 * 1024 * 1024;

/// The caches of one search index.
pub struct Kept {
    words: quick_cache::sync::Cache<u64, Arc<Words>, Weigh>,
    texts: quick_cache::sync::Cache<u64, Arc<Prepared>, Weigh>,
    hasher: foldhash::fast::FixedState,
}

impl Default for Kept {
    fn default() -> Self {
        Self::new(WORDS_BYTES, TEXTS_BYTES)
    }
}

impl Kept {
    /// Empty caches of about `words` and `texts` bytes (0: keeps nothing of that kind).
    pub fn new(words: u64, texts: u64) -> Self {
        Self {
            words: cache(words, 1024),
            texts: cache(texts, 3 * 1024),
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    /// The words of `passage`, as kept or analysed now.
    pub(super) fn words(&self, passage: &str) -> Arc<Words> {
        let key = self.hasher.hash_one(passage);
        if let Some(words) = self.words.get(&key)
            && *words.passage == *passage
        {
            return words;
        }
        let words = Arc::new(Words::of(passage));
        self.words.insert(key, words.clone());
        words
    }

    /// What a snippet of `article` needs whatever the query, as kept or prepared now.
    pub(super) fn text(&self, article: &Article) -> Arc<Prepared> {
        // The body's fingerprint covers its source file, front matter (summary, symptoms)
        // included: any edit is another key.
        let key = self.hasher.hash_one((&article.slug, article.body.fingerprint()));
        if let Some(prepared) = self.texts.get(&key)
            && prepared.slug == article.slug
        {
            return prepared;
        }
        let (prepared, readable) = Prepared::of(article);
        let prepared = Arc::new(prepared);
        // An unreadable body is tried again next time.
        if readable {
            self.texts.insert(key, prepared.clone());
        }
        prepared
    }

    #[cfg(test)]
    pub(super) fn insert_words(&self, passage: &str, words: Arc<Words>) {
        self.words.insert(self.hasher.hash_one(passage), words);
    }
}

/// An article's text as snippets read it: the body's passages (the sentences of its lines),
/// lower-cased for the needles, and its short passages (symptoms, then summary) lower-cased.
#[derive(Debug)]
pub(super) struct Prepared {
    slug: String,
    pub text: String,
    /// `text` lower-cased, when it is ASCII (every byte offset kept).
    pub lower: Option<String>,
    /// The body's passages, as byte ranges of `text`, in order; blank ones left out.
    pub passages: Vec<Range<u32>>,
    /// Each passage lower-cased, when `text` is not ASCII.
    pub lowers: Vec<String>,
    /// The symptoms then the summary, lower-cased.
    pub short: Vec<String>,
}

impl Prepared {
    /// Prepares `article`, and whether its body could be read (an unreadable one costs the
    /// hit its snippet, the summary standing in, not the search).
    fn of(article: &Article) -> (Self, bool) {
        let (text, readable) = match article.body.text() {
            Ok(text) => (text.into_owned(), true),
            Err(e) => {
                tracing::error!("cannot read the body of {}: {e}", article.path);
                (String::new(), false)
            }
        };
        let short = article
            .symptoms
            .iter()
            .chain(std::iter::once(&article.summary))
            .map(|p| lowercase(p))
            .collect();
        (Self::new(article.slug.clone(), text, short), readable)
    }

    /// `text` prepared, for the article `slug` with these short passages (lower-cased).
    pub fn new(slug: String, text: String, short: Vec<String>) -> Self {
        let mut passages = Vec::new();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let start = at;
            at += line.len();
            let line = line.trim_end_matches(['\n', '\r']);
            for range in sentences_within(line) {
                if !line[range.clone()].trim().is_empty() {
                    passages.push((start + range.start) as u32..(start + range.end) as u32);
                }
            }
        }
        let ascii = text.is_ascii();
        let lowers = match ascii {
            true => Vec::new(),
            false => passages
                .iter()
                .map(|r| lowercase(&text[r.start as usize..r.end as usize]))
                .collect(),
        };
        Self {
            slug,
            lower: ascii.then(|| text.to_ascii_lowercase()),
            text,
            passages,
            lowers,
            short,
        }
    }

    /// The text of one of [`Prepared::passages`].
    pub fn passage(&self, range: &Range<u32>) -> &str {
        self.text
            .get(range.start as usize..range.end as usize)
            .unwrap_or_default()
    }
}

/// The words of one passage: each token's place and the form it is looked up by.
#[derive(Debug)]
pub(super) struct Words {
    passage: Box<str>,
    pub tokens: Vec<Token>,
    /// Every token's form, back to back.
    forms: String,
}

/// A token that can match: a word with its stem (stop words left out), or an identifier whole.
#[derive(Debug)]
pub(super) struct Token {
    pub from: u32,
    pub to: u32,
    /// Where its form is in [`Words::forms`].
    form: (u32, u32),
    /// An identifier (the code analyzer's), matched against the code terms.
    pub code: bool,
}

thread_local! {
    static ANALYZERS: RefCell<(TextAnalyzer, TextAnalyzer)> =
        RefCell::new((crate::search::schema::plain(), crate::search::schema::code()));
}

impl Words {
    /// Analyses `passage`: the prose analyzer is the plain one plus stop words and the
    /// stemmer, so tokens and offsets are the plain analyzer's, each word stemmed once.
    fn of(passage: &str) -> Self {
        let mut words = Words {
            passage: passage.into(),
            tokens: Vec::new(),
            forms: String::new(),
        };
        let mut stems: HashMap<String, Option<String>> = HashMap::default();
        ANALYZERS.with_borrow_mut(|(plain, code)| {
            let mut stream = plain.token_stream(passage);
            while let Some(t) = stream.next() {
                let stem = stems
                    .entry(t.text.clone())
                    .or_insert_with(|| crate::search::schema::prose_form(&t.text));
                if let Some(stem) = stem {
                    words.push(t.offset_from, t.offset_to, stem, false);
                }
            }
            let mut stream = code.token_stream(passage);
            while let Some(t) = stream.next() {
                words.push(t.offset_from, t.offset_to, &t.text, true);
            }
        });
        words.tokens.shrink_to_fit();
        words.forms.shrink_to_fit();
        words
    }

    fn push(&mut self, from: usize, to: usize, form: &str, code: bool) {
        let at = self.forms.len() as u32;
        self.forms.push_str(form);
        self.tokens.push(Token {
            from: from as u32,
            to: to as u32,
            form: (at, self.forms.len() as u32),
            code,
        });
    }

    /// The form `token` is looked up by: a stem, or an identifier lower-cased.
    pub fn word(&self, token: &Token) -> &str {
        self.forms
            .get(token.form.0 as usize..token.form.1 as usize)
            .unwrap_or_default()
    }

    #[cfg(test)]
    pub fn passage(&self) -> &str {
        &self.passage
    }
}

/// A cache of about `bytes`, entries of about `each` bytes.
fn cache<T: Bytes>(bytes: u64, each: u64) -> quick_cache::sync::Cache<u64, Arc<T>, Weigh> {
    let items = usize::try_from(bytes / each).unwrap_or(usize::MAX).max(16);
    quick_cache::sync::Cache::with_weighter(items, bytes.max(1), Weigh)
}

/// What an entry weighs, about: its bytes plus the key, the `Arc` and the table's slot.
trait Bytes {
    fn bytes(&self) -> u64;
}

impl Bytes for Words {
    fn bytes(&self) -> u64 {
        (self.passage.len() + self.forms.capacity() + self.tokens.capacity() * size_of::<Token>() + 96) as u64
    }
}

impl Bytes for Prepared {
    fn bytes(&self) -> u64 {
        let strings = |v: &[String]| {
            v.iter()
                .map(|s| s.capacity() + size_of::<String>())
                .sum::<usize>()
        };
        (self.slug.capacity()
            + self.text.capacity()
            + self.lower.as_ref().map_or(0, String::capacity)
            + self.passages.capacity() * size_of::<Range<u32>>()
            + strings(&self.lowers)
            + strings(&self.short)
            + 160) as u64
    }
}

#[derive(Clone)]
struct Weigh;

impl<T: Bytes> quick_cache::Weighter<u64, Arc<T>> for Weigh {
    fn weight(&self, _: &u64, value: &Arc<T>) -> u64 {
        value.bytes()
    }
}
