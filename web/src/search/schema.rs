//! The one place tantivy field names and analyzers live.
//!
//! | field | analyzer | holds |
//! |---|---|---|
//! | `slug` | raw, fast | the key: deletes and hits go through it |
//! | `hash` | fast only | `Article::source_hash`, to re-index only what changed |
//! | `rank` | fast f64 | a per-article multiplier (hub pages rank lower) |
//! | `kb` | raw | `1001` and `kb1001` |
//! | `title`, `summary`, `symptoms`, `headings`, `body`, `meta` | prose | stemmed English |
//! | `code` | code | code blocks plus identifiers quoted in prose, whole and by parts |
//! | `spell` | plain | unstemmed words: "did you mean" and prefix expansion |
//! | `title_words` | plain | unstemmed title words: as-you-type suggestions |
//! | `products`, `tags` | facet | filters and counts |

use std::cell::RefCell;
use std::sync::LazyLock;

use tantivy::Index;
use tantivy::schema::{
    FAST, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};

use super::tokenize::CodeTokenizer;

/// Bump whenever fields, analyzers or the on-disk format change: an index written by another
/// version is rebuilt. 2: fast-field dictionaries written without zstd (see Cargo.toml).
pub const SCHEMA_VERSION: u32 = 2;

/// Analyzer names as registered with the index.
pub const PROSE: &str = "fixkb_prose";
/// Code-aware analyzer (see [`super::tokenize`]).
pub const CODE: &str = "fixkb_code";
/// Lower-cased, folded, unstemmed words.
pub const PLAIN: &str = "fixkb_plain";

/// Words too common to carry meaning in a symptom. Short on purpose: "not", "off", "no" and
/// "cannot" stay searchable.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "of",
    "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with", "my", "i", "we", "our", "me", "after", "when", "how", "what", "why", "does", "do",
    "from", "has", "have", "had", "been", "its", "so",
];

/// Handles to every field.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Article slug (raw, stored, fast).
    pub slug: Field,
    /// Source hash (fast).
    pub hash: Field,
    /// Rank multiplier (fast).
    pub rank: Field,
    /// KB number forms.
    pub kb: Field,
    /// Title (prose).
    pub title: Field,
    /// Summary (prose).
    pub summary: Field,
    /// Symptoms (prose).
    pub symptoms: Field,
    /// Headings (prose).
    pub headings: Field,
    /// Body text (prose).
    pub body: Field,
    /// Products and tags as words (prose).
    pub meta: Field,
    /// Code and identifiers (code analyzer).
    pub code: Field,
    /// Vocabulary for spelling and prefixes (plain).
    pub spell: Field,
    /// Title vocabulary for suggestions (plain).
    pub title_words: Field,
    /// Product facet.
    pub products: Field,
    /// Tag facet.
    pub tags: Field,
}

/// Field names as stored, used by fast-field readers.
pub mod names {
    /// See [`super::Fields::slug`].
    pub const SLUG: &str = "slug";
    /// See [`super::Fields::hash`].
    pub const HASH: &str = "hash";
    /// See [`super::Fields::rank`].
    pub const RANK: &str = "rank";
    /// See [`super::Fields::products`].
    pub const PRODUCTS: &str = "products";
    /// See [`super::Fields::tags`].
    pub const TAGS: &str = "tags";
}

impl Fields {
    /// The prose fields, in the order weights are listed.
    pub fn prose(&self) -> [Field; 6] {
        [
            self.title,
            self.summary,
            self.symptoms,
            self.headings,
            self.body,
            self.meta,
        ]
    }
}

/// Builds the schema and the handles to its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |analyzer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(record),
        )
    };
    let positions = IndexRecordOption::WithFreqsAndPositions;
    let fields = Fields {
        slug: b.add_text_field(names::SLUG, STRING | STORED | FAST),
        hash: b.add_text_field(names::HASH, TextOptions::default().set_fast("raw")),
        rank: b.add_f64_field(names::RANK, FAST),
        kb: b.add_text_field("kb", text("raw", IndexRecordOption::Basic)),
        title: b.add_text_field("title", text(PROSE, positions)),
        summary: b.add_text_field("summary", text(PROSE, positions)),
        symptoms: b.add_text_field("symptoms", text(PROSE, positions)),
        headings: b.add_text_field("headings", text(PROSE, positions)),
        body: b.add_text_field("body", text(PROSE, positions)),
        meta: b.add_text_field("meta", text(PROSE, positions)),
        code: b.add_text_field("code", text(CODE, positions)),
        spell: b.add_text_field("spell", text(PLAIN, IndexRecordOption::Basic)),
        title_words: b.add_text_field("title_words", text(PLAIN, IndexRecordOption::Basic)),
        products: b.add_facet_field(names::PRODUCTS, FacetOptions::default()),
        tags: b.add_facet_field(names::TAGS, FacetOptions::default()),
    };
    (b.build(), fields)
}

/// Registers the analyzers with an index (tantivy does not persist them).
pub fn register(index: &Index) {
    let manager = index.tokenizers();
    manager.register(PROSE, prose());
    manager.register(CODE, code());
    manager.register(PLAIN, plain());
}

/// English prose: words, folded to ASCII, stop words dropped, stemmed.
pub fn prose() -> TextAnalyzer {
    // Built once: the stop-word set is a hash set, and every search needs the analyzer twice.
    static PROSE: LazyLock<TextAnalyzer> = LazyLock::new(|| {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(StopWordFilter::remove(STOP_WORDS.iter().map(|w| (*w).to_owned())))
            .filter(Stemmer::new(LANGUAGE))
            .build()
    });
    PROSE.clone()
}

/// The language of the prose analyzer's stemmer.
const LANGUAGE: Language = Language::English;

/// The prose analyzer's form of `word`, a token of the plain analyzer: `None` for a stop word.
/// The prose analyzer is the plain one plus the stop words and the stemmer, and a plain token
/// of ASCII letters and digits goes through the plain part unchanged, so for those only the
/// last two steps run (building and running the whole analyzer per word was most of what
/// stemming a snippet's words cost); any other word goes through the whole analyzer.
pub fn prose_form(word: &str) -> Option<String> {
    thread_local! {
        static STEMMER: RefCell<TextAnalyzer> = RefCell::new(
            TextAnalyzer::builder(RawTokenizer::default()).filter(Stemmer::new(LANGUAGE)).build(),
        );
        static PROSE: RefCell<TextAnalyzer> = RefCell::new(prose());
    }
    let first = |analyzer: &mut TextAnalyzer| analyzer.token_stream(word).next().map(|t| t.text.clone());
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return PROSE.with_borrow_mut(first);
    }
    if is_stop_word(word) {
        return None;
    }
    STEMMER.with_borrow_mut(first)
}

/// Identifiers, codes and paths, whole and by parts; lower-cased, not stemmed.
pub fn code() -> TextAnalyzer {
    TextAnalyzer::builder(CodeTokenizer)
        .filter(RemoveLongFilter::limit(120))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Words as typed, lower-cased and folded: the vocabulary users see.
pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// True for words the prose analyzer drops.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Runs `analyzer` over `text` and returns `(position, token text)` pairs.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.position, t.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_stems_folds_and_drops_stop_words() {
        let tokens: Vec<String> = analyze(&mut prose(), "The VMs are losing connectivity in Café")
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(tokens, ["vms", "lose", "connect", "cafe"]);
    }

    #[test]
    fn a_plain_tokens_prose_form_is_what_the_prose_analyzer_makes_of_it() {
        let text = "The VMs are losing connectivity after installing updates in Café ﬁle ⑴ \
                    x64 2008r2 running happily generalization dying skies news";
        let mut plain = plain();
        let mut whole = prose();
        let mut shortcut = 0;
        for (_, word) in analyze(&mut plain, text) {
            let expected = analyze(&mut whole, &word).into_iter().next().map(|t| t.1);
            assert_eq!(prose_form(&word), expected, "{word}");
            shortcut += usize::from(word.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert!(shortcut > 10, "most words take the shortcut");
    }

    #[test]
    fn code_lowercases_whole_and_parts() {
        let tokens: Vec<String> = analyze(&mut code(), "KB2664888")
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(tokens, ["kb2664888", "kb", "2664888"]);
    }
}
