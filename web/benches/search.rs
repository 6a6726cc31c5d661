//! Search benchmarks over generated corpora (`fixkb::search::corpus`).
//!
//! `cargo bench --bench search` runs 10,000 and 100,000 articles; `FIXKB_BENCH_SIZES=10000`
//! picks sizes. Per size it measures once, outside criterion's loop: content load, cold index
//! build (throughput), index size, warm restart to the first answered search, RSS, and the
//! p50/p99 latency of a fixed query mix; then criterion times each query kind and the warm
//! restart. Corpora are generated once into `target/bench-corpus/<n>`. `FIXKB_BENCH_LOOP=<query>`
//! runs that one query for 40 s before criterion starts, for a profiler to attach.
#![expect(clippy::expect_used, reason = "a benchmark that cannot set up should stop")]
#![expect(missing_docs, reason = "criterion_main! generates an undocumented main")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fixkb::content::Library;
use fixkb::search::{SearchIndex, SearchRequest, corpus};

/// Queries as users type them, over the generated corpus's vocabulary.
const QUERIES: &[(&str, &str)] = &[
    (
        "symptom",
        "print spooler crashes after a network driver update on windows server 2016",
    ),
    (
        "symptom",
        "users cannot connect to the server after changing the service account password",
    ),
    ("symptom", "dns client times out under heavy load"),
    ("short", "cluster service"),
    ("short", "access denied"),
    ("code", "0x80075590"),
    ("code", "Disable-BITSConfig"),
    (
        "code",
        r"HKLM\SYSTEM\CurrentControlSet\Services\Spooler\Parameters",
    ),
    ("code", "event id 4931"),
    ("typo", "certficate servcies fills disk with logs"),
    ("typo", "kerberos authentcation warnings"),
    ("phrase", "\"hangs during shutdown\" exchange"),
    (
        "filter",
        "leaks memory product:\"Windows Server 2019\" tag:networking",
    ),
    ("exclude", "volume shadow copy -backup"),
    ("prefix", "windows time serv"),
];

fn sizes() -> Vec<usize> {
    std::env::var("FIXKB_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000])
}

fn target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// The generated corpus of `n` articles, written once.
fn corpus_dir(n: usize) -> PathBuf {
    let dir = target().join("bench-corpus").join(n.to_string());
    if !dir.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        corpus::write(&dir, n).expect("write corpus");
        std::fs::write(dir.join(".complete"), b"").expect("marker");
        eprintln!("generated {n} articles in {:.1?}", t.elapsed());
    }
    dir
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn bench(c: &mut Criterion) {
    for n in sizes() {
        let content = corpus_dir(n);
        let t = Instant::now();
        let library = Library::load(&content, None);
        let load = t.elapsed();
        assert_eq!(library.articles.len(), n);
        let index_dir = target().join("bench-index").join(n.to_string());
        let _ = std::fs::remove_dir_all(&index_dir);

        let t = Instant::now();
        let index = SearchIndex::open(&index_dir, &library).expect("build");
        let cold = t.elapsed();
        let size = fixkb::search::cli::dir_size(&index_dir);
        drop(index);

        let t = Instant::now();
        let index = SearchIndex::open(&index_dir, &library).expect("reopen");
        let first = index.search_uncached(&library, &SearchRequest::new(QUERIES[0].1));
        let warm = t.elapsed();
        assert!(first.total > 0);

        let mut times = Vec::new();
        let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); QUERIES.len()];
        for _ in 0..20 {
            for (i, (_, q)) in QUERIES.iter().enumerate() {
                let t = Instant::now();
                black_box(index.search_uncached(&library, &SearchRequest::new(*q)));
                times.push(t.elapsed());
                per_query[i].push(t.elapsed());
            }
        }
        times.sort();
        if std::env::var("FIXKB_BENCH_ABLATE").is_ok() {
            let base = fixkb::search::Weights::default();
            let variants = [
                ("no phrase", fixkb::search::Weights { phrase: 0.0, ..base }),
                (
                    "no coverage",
                    fixkb::search::Weights {
                        coverage: 0.0,
                        ..base
                    },
                ),
                ("no coord", fixkb::search::Weights { coord: 0.0, ..base }),
                ("no parts", fixkb::search::Weights { parts: 0.0, ..base }),
                ("no synonyms", fixkb::search::Weights { synonym: 0.0, ..base }),
            ];
            for (name, w) in variants {
                let mut t_all = Vec::new();
                for _ in 0..10 {
                    for (_, q) in QUERIES {
                        let t = Instant::now();
                        black_box(index.search_with(&library, &SearchRequest::new(*q), &w));
                        t_all.push(t.elapsed());
                    }
                }
                t_all.sort();
                eprintln!(
                    "  ablate {name}: p50 {:.2?} p99 {:.2?}",
                    percentile(&t_all, 0.5),
                    percentile(&t_all, 0.99)
                );
            }
        }
        for (i, (kind, q)) in QUERIES.iter().enumerate() {
            per_query[i].sort();
            eprintln!(
                "  n={n} {kind:8} p50 {:>9.2?}  {q}",
                percentile(&per_query[i], 0.5)
            );
        }
        let mut suggest_times = Vec::new();
        for _ in 0..20 {
            for prefix in ["pr", "print sp", "windows ti", "kerb", "cluster service fa"] {
                let t = Instant::now();
                black_box(index.suggest(&library, prefix, 8));
                suggest_times.push(t.elapsed());
            }
        }
        suggest_times.sort();
        let summary = format!(
            "n={n}: content load {load:.1?}; cold build {cold:.2?} ({:.0} articles/s); index {:.1} MB; \
             warm restart to first answer {warm:.1?}; RSS {:.0} MB; search p50 {:.2?} p99 {:.2?} max {:.2?} \
             ({} searches); suggest p50 {:.2?} p99 {:.2?}",
            n as f64 / cold.as_secs_f64(),
            size as f64 / 1e6,
            rss_mb(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times[times.len() - 1],
            times.len(),
            percentile(&suggest_times, 0.5),
            percentile(&suggest_times, 0.99),
        );
        eprintln!("{summary}");
        let log = target().join("bench-search.txt");
        let previous = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::write(&log, format!("{previous}{summary}\n"));

        if let Ok(q) = std::env::var("FIXKB_BENCH_LOOP") {
            // For a profiler: the one query, over and over, for 40 s.
            let (req, t) = (SearchRequest::new(&q), Instant::now());
            while t.elapsed() < Duration::from_secs(40) {
                black_box(index.search_uncached(&library, &req));
            }
        }

        let mut group = c.benchmark_group(format!("search/{n}"));
        for (kind, q) in QUERIES {
            group.bench_with_input(BenchmarkId::new(*kind, q), q, |b, q| {
                let req = SearchRequest::new(*q);
                b.iter(|| black_box(index.search_uncached(&library, &req)));
            });
        }
        group.bench_function("suggest", |b| {
            b.iter(|| black_box(index.suggest(&library, "print sp", 8)))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("lifecycle/{n}"));
        group.sample_size(10);
        drop(index);
        group.bench_function("warm_restart_to_first_answer", |b| {
            b.iter(|| {
                let index = SearchIndex::open(&index_dir, &library).expect("reopen");
                black_box(index.search_uncached(&library, &SearchRequest::new(QUERIES[0].1)))
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
