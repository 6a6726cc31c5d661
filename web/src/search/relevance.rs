//! The relevance set (`tests/relevance/queries.toml`) over the real `content/` plus a
//! generated corpus: the expected article must be first for at least 90% of the queries and in
//! the top 3 for all of them. Prints MRR@10.
//!
//! `cargo test --lib search::relevance::tune -- --ignored --nocapture` compares weight settings
//! (the figures in BENCHMARKS.md).

use std::path::Path;

use serde::Deserialize;

use super::corpus;
use super::{SearchIndex, SearchRequest, Weights};
use crate::content::Library;

/// Generated articles indexed next to the real content.
const GENERATED: usize = 2_000;

#[derive(Deserialize)]
struct Set {
    query: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    q: String,
    expect: Option<String>,
    generated: Option<usize>,
    kind: String,
}

impl Case {
    fn expected(&self) -> String {
        match (&self.expect, self.generated) {
            (Some(slug), _) => slug.clone(),
            (None, Some(i)) => corpus::spec(i).slug(),
            (None, None) => panic!("query {:?} names no expected article", self.q),
        }
    }
}

struct Scores {
    first: usize,
    top3: usize,
    mrr: f64,
    misses: Vec<String>,
}

fn setup() -> (tempfile::TempDir, Library, Vec<Case>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set: Set =
        toml::from_str(&std::fs::read_to_string(root.join("tests/relevance/queries.toml")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root.join("content"), dir.path());
    corpus::write(dir.path(), GENERATED).unwrap();
    let library = Library::load(dir.path(), None);
    (dir, library, set.query)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn score(index: &SearchIndex, library: &Library, cases: &[Case], weights: &Weights) -> Scores {
    let mut s = Scores {
        first: 0,
        top3: 0,
        mrr: 0.0,
        misses: Vec::new(),
    };
    for case in cases {
        let expected = case.expected();
        assert!(
            library.article(&expected).is_some(),
            "{:?}: no article {expected}",
            case.q
        );
        let response = index.search_with(library, &SearchRequest::new(&case.q), weights);
        let rank = response.hits.iter().position(|h| h.slug == expected);
        match rank {
            Some(0) => s.first += 1,
            _ => {
                let got: Vec<&str> = response.hits.iter().take(3).map(|h| h.slug.as_str()).collect();
                s.misses.push(format!(
                    "  [{}] {:?}: expected {expected} at {rank:?}, got {got:?}",
                    case.kind, case.q
                ));
            }
        }
        if rank.is_some_and(|r| r < 3) {
            s.top3 += 1;
        }
        s.mrr += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
    }
    s.mrr /= cases.len() as f64;
    s
}

#[test]
fn relevance_set_puts_the_expected_article_first() {
    let (_dir, library, cases) = setup();
    assert!(cases.len() >= 60, "the relevance set needs at least 60 queries");
    let index = SearchIndex::in_memory(&library).unwrap();
    let s = score(&index, &library, &cases, &Weights::default());
    let n = cases.len();
    println!(
        "relevance: {n} queries over {} articles; first {}/{n} ({:.1}%), top-3 {}/{n}, MRR@10 {:.3}",
        library.articles.len(),
        s.first,
        100.0 * s.first as f64 / n as f64,
        s.top3,
        s.mrr
    );
    for miss in &s.misses {
        println!("{miss}");
    }
    assert!(
        s.first * 10 >= n * 9,
        "expected article first for {}/{n} queries (< 90%)",
        s.first
    );
    assert_eq!(s.top3, n, "every expected article must be in the top 3");
}

#[test]
#[ignore = "weight comparison for BENCHMARKS.md; slow"]
fn tune() {
    let (_dir, library, cases) = setup();
    let index = SearchIndex::in_memory(&library).unwrap();
    let base = Weights::default();
    let mut variants: Vec<(String, Weights)> = vec![("default".into(), base)];
    let mut push = |name: &str, w: Weights| variants.push((name.to_owned(), w));
    push(
        "all fields 1.0",
        Weights {
            title: 1.0,
            summary: 1.0,
            symptoms: 1.0,
            headings: 1.0,
            body: 1.0,
            meta: 1.0,
            ..base
        },
    );
    push(
        "body only",
        Weights {
            title: 0.0,
            summary: 0.0,
            symptoms: 0.0,
            headings: 0.0,
            meta: 0.0,
            ..base
        },
    );
    for t in [1.0, 3.0, 5.0, 8.0] {
        push(&format!("title {t}"), Weights { title: t, ..base });
    }
    for v in [0.5, 1.0, 3.0] {
        push(&format!("summary {v}"), Weights { summary: v, ..base });
        push(&format!("symptoms {v}"), Weights { symptoms: v, ..base });
    }
    for v in [0.0, 0.5, 2.0] {
        push(&format!("headings {v}"), Weights { headings: v, ..base });
        push(&format!("meta {v}"), Weights { meta: v, ..base });
    }
    for v in [0.5, 2.0] {
        push(&format!("body {v}"), Weights { body: v, ..base });
    }
    for v in [0.0, 0.25, 1.0] {
        push(&format!("code {v}"), Weights { code: v, ..base });
    }
    for v in [1.0, 6.0] {
        push(&format!("exact {v}"), Weights { exact: v, ..base });
    }
    for v in [0.0, 0.5, 2.0] {
        push(&format!("phrase {v}"), Weights { phrase: v, ..base });
    }
    for v in [0, 5] {
        push(&format!("slop {v}"), Weights { slop: v, ..base });
    }
    for v in [0.0, 0.5, 2.0] {
        push(&format!("coverage {v}"), Weights { coverage: v, ..base });
    }
    for v in [0.0, 0.4, 1.0] {
        push(&format!("synonym {v}"), Weights { synonym: v, ..base });
    }
    for v in [0.0, 0.4, 1.0] {
        push(&format!("fuzzy {v}"), Weights { fuzzy: v, ..base });
    }
    for v in [0.0, 0.1, 0.5, 1.0] {
        push(&format!("tie {v}"), Weights { tie: v, ..base });
    }
    for v in [0.0, 0.6, 1.0] {
        push(&format!("parts {v}"), Weights { parts: v, ..base });
    }
    for v in [0.0, 0.5, 2.0, 3.0] {
        push(&format!("coord {v}"), Weights { coord: v, ..base });
    }
    println!("| weights | first | top-3 | MRR@10 |\n|---|---|---|---|");
    for (name, w) in &variants {
        let s = score(&index, &library, &cases, w);
        println!(
            "| {name} | {}/{} | {}/{} | {:.3} |",
            s.first,
            cases.len(),
            s.top3,
            cases.len(),
            s.mrr
        );
    }
}

#[test]
#[ignore = "debugging aid"]
fn explain() {
    let (_dir, library, _) = setup();
    let index = SearchIndex::in_memory(&library).unwrap();
    for q in std::env::var("Q").unwrap_or_default().split('|') {
        let r = index.search(
            &library,
            &SearchRequest {
                q: q.into(),
                limit: Some(100),
                ..SearchRequest::default()
            },
        );
        println!("{q}: total {} suggestion {:?}", r.total, r.suggestion);
        for (i, h) in r
            .hits
            .iter()
            .enumerate()
            .filter(|(i, h)| *i < 5 || !h.slug.starts_with("kb/"))
        {
            println!("  {i} {:.2} {} | {}", h.score, h.slug, h.snippet_html);
        }
    }
}

#[test]
#[ignore = "timing aid"]
fn time_reopen() {
    let (_dir, library, _) = setup();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("index");
    SearchIndex::open(&dir, &library).unwrap();
    for _ in 0..2 {
        let t = std::time::Instant::now();
        let index = SearchIndex::open_dir(&dir).unwrap();
        let opened = t.elapsed();
        let stats = index.update(&library).unwrap();
        let updated = t.elapsed();
        let r = index.search(
            &library,
            &SearchRequest::new("print spooler crashes after a network driver update"),
        );
        let searched = t.elapsed();
        let r2 = index.search(
            &library,
            &SearchRequest::new("print spooler crashes after a network driver update"),
        );
        println!(
            "open {opened:?} update {updated:?} ({stats}) first search {searched:?} took {} second {}",
            r.took_ms, r2.took_ms
        );
    }
}
