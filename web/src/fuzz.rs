//! Time-boxed property fuzzing for the parsers, the escapers and the search (test builds only).
//!
//! cargo-fuzz needs a nightly toolchain, which this project does not assume, so each fuzz
//! target is a proptest strategy run in rounds until a time budget is spent. The default
//! budget keeps `cargo test` fast; a real campaign sets `FIXKB_FUZZ_SECONDS`:
//!
//! ```sh
//! FIXKB_FUZZ_SECONDS=600 cargo test --release --lib fuzz_ -- --nocapture --test-threads=1
//! ```
//!
//! Whatever a campaign finds is fixed and kept as a plain regression test next to the code.

use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};

/// How long each fuzz target runs: `FIXKB_FUZZ_SECONDS`, else half a second.
pub fn budget() -> Duration {
    std::env::var("FIXKB_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(Duration::from_millis(500), Duration::from_secs_f64)
}

/// Runs `test` on inputs from `strategy` until the budget is spent; panics with the minimal
/// failing input on the first failure. Prints how many cases ran.
pub fn run<S>(name: &str, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    const ROUND: u32 = 128;
    let budget = budget();
    let start = Instant::now();
    let mut cases = 0u64;
    let mut round = 0u64;
    while start.elapsed() < budget || round == 0 {
        let config = Config {
            cases: ROUND,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("fuzz target {name} failed after {cases} cases: {e}");
        }
        cases += u64::from(ROUND);
        round += 1;
    }
    println!(
        "fuzz {name}: {cases} cases in {:.1} s, no failure",
        start.elapsed().as_secs_f64()
    );
}

/// Strings built from `tokens` (the syntax a parser cares about) mixed with arbitrary text.
pub fn token_soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        3 => proptest::sample::select(tokens).prop_map(str::to_owned),
        1 => "(?s).{0,12}",
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|parts| parts.concat())
}

mod targets;
