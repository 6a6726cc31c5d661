//! `fixkb check`: load the content folder and report every problem as `file:line: message`.

use std::path::Path;
use std::process::ExitCode;

use super::Library;

/// Loads `root`, prints its diagnostics and a summary; exit code 1 when any is an error.
pub fn run(root: &Path) -> ExitCode {
    if !root.is_dir() {
        eprintln!("error: content folder {} does not exist", root.display());
        return ExitCode::FAILURE;
    }
    let library = Library::load(root, None);
    let mut diagnostics = library.diagnostics.clone();
    diagnostics.extend(crate::fixes::check_library(&library));
    for d in &diagnostics {
        println!("{d}");
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    println!(
        "checked {} and {}: {}, {}",
        plural(library.articles.len(), "article"),
        plural(library.fixes.len(), "fix"),
        plural(errors, "error"),
        plural(warnings, "warning"),
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "fix") => format!("{n} fixes"),
        _ => format!("{n} {word}s"),
    }
}
