//! `fixkb index`: rebuilds the search index under the data folder with a progress bar, then
//! prints a summary.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::content::Library;

use super::SearchIndex;

/// Loads the content folder and re-indexes every article from scratch.
pub fn run(config: &Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let spinner = ProgressBar::new_spinner().with_message(format!("loading {}", config.content.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let library = Library::load(&config.content, None);
    spinner.finish_and_clear();
    let loaded = started.elapsed();
    let dir = config.data.join("index");
    let index = SearchIndex::open_dir(&dir)?;
    let style = ProgressStyle::with_template(
        "{spinner} indexing [{bar:40}] {pos}/{len} articles, {per_sec}, eta {eta}",
    )
    .context("progress bar template")?
    .progress_chars("=> ");
    let bar = ProgressBar::new(library.articles.len() as u64).with_style(style);
    let stats = index.rebuild(&library, &mut |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let errors = library.diagnostics.iter().filter(|d| d.is_error()).count();
    println!(
        "indexed {} articles in {:.2?} (content loaded in {:.2?}); {} removed; index is {:.1} MB at {}",
        stats.added,
        stats.took,
        loaded,
        stats.removed,
        dir_size(&dir) as f64 / 1e6,
        dir.display()
    );
    if errors > 0 {
        println!("{errors} content error(s): run `fixkb check` for details");
    }
    Ok(())
}

/// Total size of the files directly in `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
