//! Real-browser tests: the `fixkb` binary over the bundled `content/`, driven through
//! chromedriver in headless Chromium. Run with `cargo test --features browser --test browser`
//! (add `-- NAME` to run the scenarios whose name contains NAME).
//!
//! One server, one chromedriver and one browser serve every scenario in turn (2-core CI), so
//! this binary has its own `main` instead of libtest. A scenario whose page has not been built
//! yet reports itself as pending (counted as ignored, with the reason); a missing Chromium is a
//! failure that says how to install it. Screenshots land in `target/screenshots/`.

mod a11y;
mod article;
mod fixes;
mod harness;
mod process;
mod search;
mod shots;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use harness::Browser;

/// A scenario that takes longer has hung: it fails instead of holding up CI.
const SCENARIO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// A scenario's result. `Err(Pending)` means the page it needs is not there yet.
type Outcome = anyhow::Result<()>;
type Run = for<'a> fn(&'a Browser) -> Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// Marks a scenario as waiting for a page another issue is building.
#[derive(Debug)]
struct Pending(String);

impl std::fmt::Display for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pending: {}", self.0)
    }
}

impl std::error::Error for Pending {}

/// Returns early from a scenario when `path` is not served yet.
async fn require(b: &Browser, method: &str, path: &str, body: Option<&serde_json::Value>) -> Outcome {
    if b.route_exists(method, path, body).await? {
        Ok(())
    } else {
        Err(Pending(format!("{method} {path} is not served yet")).into())
    }
}

macro_rules! scenarios {
    ($($module:ident :: $name:ident),* $(,)?) => {
        vec![$({
            fn run(b: &Browser) -> Pin<Box<dyn Future<Output = Outcome> + '_>> {
                Box::pin($module::$name(b))
            }
            (concat!(stringify!($module), "::", stringify!($name)), run as Run)
        }),*]
    };
}

fn all() -> Vec<(&'static str, Run)> {
    scenarios![
        search::slash_focuses_the_search_box,
        search::keyboard_reaches_skip_link_and_main,
        search::search_as_you_type_then_open_a_result,
        search::suggestions_follow_arrow_keys_and_escape,
        search::results_page_lists_hits,
        search::works_without_javascript,
        article::copy_a_section_link,
        article::copy_a_code_block,
        article::copy_as_markdown_link,
        article::print_hides_navigation_and_shows_link_urls,
        article::submit_feedback,
        fixes::bad_value_then_good_value_preview_and_download,
        fixes::copy_prefilled_link_and_script,
        fixes::checkbox_group_updates_the_preview,
        a11y::no_serious_violations_light_and_dark,
        a11y::form_controls_have_visible_boundaries,
        shots::fits_a_360px_phone,
        shots::screenshots,
    ]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let selected: Vec<_> = all()
        .into_iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    let started = Instant::now();
    println!("\nrunning {} browser scenarios", selected.len());

    let browser = match Browser::start().await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("\nerror: the browser test suite could not start: {e:#}\n");
            println!("test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out");
            return std::process::ExitCode::FAILURE;
        }
    };

    let (mut passed, mut failed, mut pending) = (0, 0, 0);
    let mut failures = Vec::new();
    for (name, run) in selected {
        let t = Instant::now();
        let outcome = tokio::time::timeout(SCENARIO_TIMEOUT, run(&browser))
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no result within {SCENARIO_TIMEOUT:?}")));
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok ({:.1} s)", t.elapsed().as_secs_f32());
            }
            Err(e) if e.downcast_ref::<Pending>().is_some() => {
                pending += 1;
                println!("test {name} ... ignored, {e}");
            }
            Err(e) => {
                failed += 1;
                println!("test {name} ... FAILED");
                failures.push((name, format!("{e:#}")));
            }
        }
    }
    let server_log = browser.server_log();
    if let Err(e) = browser.close().await {
        eprintln!("warning: closing the browser: {e:#}");
    }

    if !failures.is_empty() {
        println!("\nfailures:");
        for (name, message) in &failures {
            println!("\n---- {name} ----\n{message}");
        }
        println!("\n---- fixkb log (tail) ----\n{server_log}");
    }
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {passed} passed; {failed} failed; {pending} ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        started.elapsed().as_secs_f32()
    );
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
