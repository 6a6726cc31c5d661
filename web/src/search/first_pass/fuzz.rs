//! Fuzz target: the word-by-word first pass, the walk and tantivy's own boolean query agree on
//! random queries over a corpus whose words are dense in some windows and sparse in others,
//! indexed in two segments with deleted articles.

use proptest::prelude::*;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, EnableScoring, Occur, QueryClone};

use super::by_word::{self, ByWord};
use super::{first_pass, first_pass_reading};
use crate::content::Library;
use crate::search::build::Builder;
use crate::search::tests::write_files;
use crate::search::union::SeekUnion;
use crate::search::{SearchIndex, Weights, query};

/// Articles in the first segment: three windows of the word-by-word pass.
const ARTICLES: u64 = 5_000;

/// Words, and how often each is in an article in each of the three windows (per 1,000). The
/// first two are common (in the bodies of more than a tenth of the articles); `dense`, `patchy`
/// and `quux` change between windows, so that the common words are read in some windows and
/// sought in others.
const WORDS: &[(&str, [u64; 3])] = &[
    ("alpha", [400, 300, 500]),
    ("beta", [350, 400, 300]),
    ("dense", [300, 5, 0]),
    ("patchy", [0, 250, 20]),
    ("gamma", [60, 60, 60]),
    ("delta", [20, 40, 10]),
    ("zorp", [3, 8, 1]),
    ("quux", [90, 2, 90]),
];

/// Where in an article a word goes: title, summary, symptom, heading, body (four times as
/// likely as the others), code, tag.
const PLACES: [usize; 10] = [0, 1, 2, 3, 4, 4, 4, 4, 5, 6];

/// A reproducible number from `seed` (splitmix64): the corpus is the same on every run.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Article `i`, with `edit` changing its words (0: as first written).
fn article(i: u64, edit: u64) -> String {
    let window = ((i / 2048) as usize).min(2);
    let mut places: [Vec<String>; 7] = Default::default();
    for (k, (word, per_mille)) in WORDS.iter().enumerate() {
        let r = mix(i * 131 + k as u64 * 7 + edit * 100_003);
        if r % 1_000 >= per_mille[window] {
            continue;
        }
        let place = PLACES[(r >> 10) as usize % PLACES.len()];
        let times = 1 + (r >> 20) as usize % 5;
        // Hyper-V makes a word whose fields include phrases ("hyper v").
        let word = if k == 4 && (r >> 30).is_multiple_of(3) {
            "Hyper-V"
        } else {
            word
        };
        places[place].extend(std::iter::repeat_n(word.to_owned(), times));
    }
    let [title, summary, symptom, heading, body, code, tag] = places.map(|p| p.join(" "));
    let filler = "filler ".repeat((mix(i) % 40) as usize);
    let tag = if tag.is_empty() {
        format!("t{}", i % 7)
    } else {
        tag.replace(' ', "-")
    };
    format!(
        "---\ntitle: Report {i} {title}\nsummary: {summary} case\nproducts: [P{}]\ntags: [{tag}]\n\
         symptoms:\n  - \"{symptom} seen\"\n---\n## Part {heading}\n\n{body} {filler}\n\n`{code} x`\n",
        i % 4,
    )
}

/// The corpus indexed, then edited (a tenth rewritten, a fiftieth deleted) and updated, so the
/// index has a second segment and deleted articles.
fn corpus() -> (tempfile::TempDir, Library, SearchIndex) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let first: Vec<(String, String)> = (0..ARTICLES)
        .map(|i| (format!("a{i}.md"), article(i, 0)))
        .collect();
    let files: Vec<(&str, &str)> = first.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    write_files(dir.path(), &files);
    let library = Library::load(dir.path(), None);
    let index = SearchIndex::in_memory(&library).expect("index the corpus");
    for i in 0..ARTICLES {
        let path = dir.path().join(format!("a{i}.md"));
        match mix(i + 77) % 50 {
            0 => std::fs::remove_file(path).expect("delete an article"),
            1..=5 => std::fs::write(path, article(i, 1)).expect("rewrite an article"),
            _ => {}
        }
    }
    let library = Library::load(dir.path(), None);
    index.update(&library).expect("update the index");
    (dir, library, index)
}

/// What a query is made of: the corpus's words, a compound, a typo, a prefix, filters (read
/// word by word too), and syntax that makes the pass walk (a phrase, an exclusion).
const TOKENS: &[&str] = &[
    "alpha",
    "beta",
    "dense",
    "patchy",
    "gamma",
    "delta",
    "zorp",
    "quux",
    "hyper-v",
    "alpah",
    "qu",
    "filler",
    "case",
    "-zorp",
    "\"alpha beta\"",
    "product:P1",
    "tag:t3",
];

#[test]
fn fuzz_word_by_word_first_pass_gives_the_walks_and_tantivys_answer() {
    let (_dir, library, index) = corpus();
    let searcher = index.reader.searcher();
    assert!(
        searcher.segment_readers().len() > 1,
        "the update makes a second segment"
    );
    assert!(
        searcher
            .segment_readers()
            .iter()
            .any(|r| r.num_deleted_docs() > 0),
        "the update deletes articles"
    );
    let synonyms = index.synonyms.get(&library.synonyms);
    let facets = index.facet_tables.collector(&searcher).expect("facet tables");
    let weights = Weights::default();
    // The target is only as good as its corpus: some words are common, and words alone take
    // the word-by-word pass.
    let q = "alpha beta quux";
    let built =
        Builder::new(&index.fields, &searcher, &weights, &synonyms).build(q, &query::parse(q), &[], &[]);
    assert_eq!(built.common.len(), 2, "alpha and beta are common");
    let query = built.query.expect("quux is searched");
    let scoring = EnableScoring::enabled_from_searcher(&searcher);
    let planned = ByWord::plan(query.as_ref(), &built.common, scoring).expect("plan");
    assert!(planned.is_some(), "words alone are read word by word");
    // So are filtered words: the filters only take matches away.
    let q = "alpha beta quux product:P1 tag:t3";
    let parsed = query::parse(q);
    let built = Builder::new(&index.fields, &searcher, &weights, &synonyms).build(
        q,
        &parsed,
        &parsed.products,
        &parsed.tags,
    );
    let query = built.query.expect("quux is searched");
    let planned = ByWord::plan(query.as_ref(), &built.common, scoring).expect("plan");
    assert!(planned.is_some(), "filtered words are read word by word");
    let strategy = (
        proptest::collection::vec(proptest::sample::select(TOKENS), 1..6),
        prop_oneof![1usize..20, 1usize..700, Just(100_000)],
        // The common words sought match by match, read where the window's matches are dense
        // enough (as served), read in every window.
        prop_oneof![Just(0), Just(by_word::SEEK_COST), Just(u64::MAX)],
        // Words taken from those earlier cases scored (or recorded there), or read.
        any::<bool>(),
    );
    let kept = super::ScoredWords::new(4 << 20);
    crate::fuzz::run("first pass", strategy, |(tokens, window, read, keep)| {
        let q = tokens.join(" ");
        let parsed = query::parse(&q);
        let (products, tags) = (parsed.products.clone(), parsed.tags.clone());
        let built =
            Builder::new(&index.fields, &searcher, &weights, &synonyms).build(&q, &parsed, &products, &tags);
        let Some(query) = built.query else {
            return Ok(());
        };
        let by_word = first_pass_reading(
            &searcher,
            query.as_ref(),
            &built.common,
            window,
            &facets,
            Some(read),
            keep.then_some(&kept),
        )
        .expect("first pass");
        let walked = first_pass(
            &searcher,
            query.as_ref(),
            &built.common,
            window,
            &facets,
            true,
            None,
        )
        .expect("walked first pass");
        // Tantivy's own evaluation: every match scored with the common words added.
        let every = BooleanQuery::new(vec![
            (Occur::Must, query.box_clone()),
            (
                Occur::Should,
                Box::new(SeekUnion::sum(
                    built.common.iter().map(|q| q.box_clone()).collect(),
                )),
            ),
        ]);
        let top = TopDocs::with_limit(window).order_by_score();
        let (mut theirs, count) = searcher.search(&every, &(top, Count)).expect("tantivy's search");
        // The first pass hands its best over in index order.
        theirs.sort_by_key(|hit| hit.1);
        prop_assert_eq!(walked.total, count, "{}", q);
        prop_assert_eq!(&walked.top, &theirs, "{}", q);
        prop_assert_eq!(by_word.total, count, "{}, read {}, kept {}", q, read, keep);
        prop_assert_eq!(&by_word.top, &theirs, "{}, read {}, kept {}", q, read, keep);
        prop_assert_eq!(&by_word.facets, &walked.facets, "{}", q);
        // The words each of the best contains, as probing each word finds them.
        if let Some(sets) = &by_word.words {
            let inner = query
                .downcast_ref::<BooleanQuery>()
                .and_then(|outer| outer.clauses().first())
                .and_then(|(_, inner)| inner.downcast_ref::<BooleanQuery>())
                .expect("read word by word: words alone");
            let words = inner.clauses().iter().map(|(_, q)| q).chain(&built.common);
            for (i, word) in words.enumerate() {
                let weight = word
                    .weight(EnableScoring::disabled_from_searcher(&searcher))
                    .expect("weight");
                for (&(_, address), set) in by_word.top.iter().zip(sets) {
                    let reader = searcher.segment_reader(address.segment_ord);
                    let mut scorer = weight.scorer(reader, 1.0).expect("scorer");
                    let has = scorer.doc() <= address.doc_id && scorer.seek(address.doc_id) == address.doc_id;
                    prop_assert_eq!(set & super::word_bit(i) != 0, has, "{}, word {}", q, i);
                }
            }
        } else {
            prop_assert!(
                walked.words.is_none(),
                "only the word-by-word pass knows the words"
            );
        }
        Ok(())
    });
}
