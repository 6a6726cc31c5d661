//! Uncached searches of queries never asked before, against an index already built: what an
//! uncached `/api/search` costs, without HTTP, and a loop for a profiler to attach to.
//!
//! ```text
//! cargo run --release --example fresh-searches -- CONTENT INDEX [SECONDS]
//! cargo run --release --example fresh-searches -- CONTENT INDEX --exact N [QUERIES]
//! cargo run --release --example fresh-searches -- CONTENT INDEX --each QUERIES [RUNS]
//! ```
//!
//! CONTENT is a content folder and INDEX its index folder (as `cargo bench --bench search`
//! leaves them: `target/bench-corpus/100000` and `target/bench-index/100000`). Each query is
//! three words drawn from the same list as the load script's `FRESH` requests
//! (`tests/load/words.txt`). Prints the count, mean, p50 and p99 of the searches.
//!
//! With `--exact N`, runs N such queries (or each line of the file QUERIES) twice: as served,
//! where only the first pass's best candidates get their boosts
//! ([`Weights::rescore`](fixkb::search::Weights)), and with every match rescored. Prints how
//! many keep the same first hit and the same ten, and the queries whose first hit differs.
//!
//! With `--each QUERIES`, times every line of the file uncached (the best of RUNS runs each, 20 by default) and
//! prints them slowest first with their mean: which queries an uncached load mix pays for.
//! Adding `--walk` times each query twice per run, as served and with the first pass walked
//! document by document ([`Weights::walk`](fixkb::search::Weights)), alternating, and prints
//! both: a comparison the machine's drift over minutes does not swamp. `FIXKB_START_AFTER`
//! makes it wait before timing, for a profiler to start counting (see [`wait_for_start`]).
//! `FIXKB_WORD_CACHE_MB` sizes the cache of scored words as the server's option does (`0`: off,
//! every search reads all its words; otherwise repeated words are taken from the cache).
#![expect(
    clippy::expect_used,
    reason = "a measuring tool that cannot set up should stop"
)]
#![expect(clippy::print_stderr, reason = "a command-line tool")]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use fixkb::content::Library;
use fixkb::search::{SearchIndex, SearchRequest, Weights};

// The server's allocator, so that times and profiles are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The words of the load script's new queries (`tests/load/search.lua` reads the same file).
const WORDS: &str = include_str!("../../tests/load/words.txt");

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fresh-searches CONTENT INDEX [SECONDS]";
    let content = args.next().expect(usage);
    let index_dir = args.next().expect(usage);
    let third = args.next();
    if third.as_deref() == Some("--each") {
        let file = args.next().expect(usage);
        let runs = args.next().map_or(20, |s| s.parse().expect(usage));
        let walk = args.next().as_deref() == Some("--walk");
        let text = std::fs::read_to_string(file).expect("cannot read the queries");
        let library = Library::load(Path::new(&content), None);
        let index = open(&index_dir, &library);
        let queries = text.lines().filter(|l| !l.trim().is_empty());
        wait_for_start(&index, &library, queries.clone());
        time_each(&index, &library, runs, walk, queries);
        // Dropping 100,000 articles takes longer than the searches: a profiler counting them
        // should not count that.
        std::mem::forget(library);
        return;
    }
    let exact = third.as_deref() == Some("--exact");
    let count: usize = match exact {
        true => args.next().map_or(1_000, |s| s.parse().expect(usage)),
        false => third.map_or(20, |s| s.parse().expect(usage)),
    };
    let listed: Option<Vec<String>> = args.next().map(|file| {
        let text = std::fs::read_to_string(file).expect("cannot read the queries");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(String::from)
            .collect()
    });
    let library = Library::load(Path::new(&content), None);
    let index = open(&index_dir, &library);
    let words: Vec<&str> = WORDS.lines().filter(|l| !l.is_empty()).collect();
    let mut seed = 12_345u64;
    let mut word = || {
        // xorshift: the same queries on every run.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        words[(seed % words.len() as u64) as usize]
    };
    if exact {
        let queries = listed.unwrap_or_else(|| {
            (0..count)
                .map(|_| format!("{} {} {}", word(), word(), word()))
                .collect()
        });
        compare_with_exact(&index, &library, &queries);
        return;
    }
    let seconds = count as u64;
    let mut times = Vec::new();
    let mut matched = 0usize;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        let q = format!("{} {} {}", word(), word(), word());
        let t = Instant::now();
        let response = black_box(index.search_uncached(&library, &SearchRequest::new(&q)));
        times.push(t.elapsed());
        matched += response.total;
    }
    times.sort();
    let n = times.len();
    let at = |p: f64| times[((n - 1) as f64 * p) as usize];
    eprintln!(
        "{n} searches: mean {:.2?}, p50 {:.2?}, p99 {:.2?}; {} matches on average",
        times.iter().sum::<Duration>() / n as u32,
        at(0.5),
        at(0.99),
        matched / n
    );
}

/// The index in `dir`, its cache of scored words sized by `FIXKB_WORD_CACHE_MB` as the server's
/// (`0` measures searches that read every word).
fn open(dir: &str, library: &Library) -> SearchIndex {
    let mut index = SearchIndex::open(Path::new(dir), library).expect("cannot open the index");
    if let Some(mb) = std::env::var("FIXKB_WORD_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        index.set_word_cache(mb * 1024 * 1024);
    }
    index
}

/// With `FIXKB_START_AFTER=FILE`, searches each query once (what the first search of a
/// searcher reads once: the facet tables, the typo automata), says it is ready and waits for
/// FILE to exist: a profiler started with counting off (`valgrind --tool=callgrind
/// --instr-atstart=no`) can then count the searches alone (`tests/load/count.sh` does).
fn wait_for_start<'q>(index: &SearchIndex, library: &Library, queries: impl Iterator<Item = &'q str>) {
    let Some(file) = std::env::var_os("FIXKB_START_AFTER") else {
        return;
    };
    for q in queries {
        black_box(index.search_uncached(library, &SearchRequest::new(q)));
    }
    eprintln!("ready");
    while !Path::new(&file).exists() {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Served answers against answers with every match rescored.
fn compare_with_exact(index: &SearchIndex, library: &Library, queries: &[String]) {
    let every = Weights {
        // As many as there are articles (TopDocs allocates for its limit).
        rescore: library.articles.len().max(1),
        ..Weights::default()
    };
    let (mut same_first, mut same_ten) = (0, 0);
    for q in queries {
        let request = SearchRequest::new(q);
        let served = index.search_uncached(library, &request);
        let exact = index.search_with(library, &request, &every);
        let slugs = |hits: &[fixkb::search::Hit]| hits.iter().map(|h| h.slug.clone()).collect::<Vec<_>>();
        let (served, exact) = (slugs(&served.hits), slugs(&exact.hits));
        same_ten += usize::from(served == exact);
        if served.first() == exact.first() {
            same_first += 1;
        } else {
            eprintln!("{q:?}: served {:?}, exact {:?}", served.first(), exact.first());
        }
    }
    eprintln!(
        "{} queries: same first hit {same_first}, same ten {same_ten}",
        queries.len()
    );
}

/// Each query's best uncached time of `runs`, slowest first, and their mean.
fn time_each<'q>(
    index: &SearchIndex,
    library: &Library,
    runs: usize,
    walk: bool,
    queries: impl Iterator<Item = &'q str>,
) {
    // As served, then (with `walk`) walked: the best of `runs` each.
    let ways: &[Weights] = match walk {
        true => &[
            Weights::default(),
            Weights {
                walk: true,
                ..Weights::default()
            },
        ],
        false => &[Weights::default()],
    };
    let mut timed: Vec<(Vec<Duration>, &str, usize)> = queries
        .map(|q| {
            let request = SearchRequest::new(q);
            let mut best = vec![Duration::MAX; ways.len()];
            let mut total = 0;
            for _ in 0..runs {
                for (way, best) in ways.iter().zip(&mut best) {
                    let t = Instant::now();
                    total = black_box(index.search_with(library, &request, way)).total;
                    *best = (*best).min(t.elapsed());
                }
            }
            (best, q, total)
        })
        .collect();
    timed.sort_by_key(|t| std::cmp::Reverse(t.0[0]));
    for (times, q, total) in &timed {
        let times: Vec<String> = times.iter().map(|t| format!("{t:>10.2?}")).collect();
        eprintln!("{}  {total:>6} matches  {q}", times.join(" "));
    }
    let means: Vec<String> = (0..ways.len())
        .map(|i| {
            let sum: Duration = timed.iter().map(|t| t.0[i]).sum();
            format!("{:.2?}", sum / timed.len().max(1) as u32)
        })
        .collect();
    let label = match walk {
        true => " (as served / walked)",
        false => "",
    };
    eprintln!("mean {}{label} over {} queries", means.join(" / "), timed.len());
    let (entries, bytes) = index.word_cache_usage();
    eprintln!(
        "words kept scored: {entries} entries, {:.1} MB",
        bytes as f64 / 1e6
    );
}
