//! Writes a generated corpus of articles for the load benchmarks (`tests/load/run.sh`).
//!
//! `cargo run --release --example gen-corpus -- DIR N` writes articles `0..N` of
//! [`fixkb::search::corpus`] under `DIR`, plus the starter `synonyms.toml` and `fixes/` so the
//! fix routes answer on every corpus. Article `i` depends only on `i`, so runs are repeatable.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: gen-corpus DIR N");
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("gen-corpus: N must be a number, got {n:?}");
        return ExitCode::FAILURE;
    };
    let root = PathBuf::from(dir);
    match generate(&root, n) {
        Ok(()) => {
            println!("wrote {n} articles under {}", root.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(root: &Path, n: usize) -> std::io::Result<()> {
    fixkb::search::corpus::write(root, n)?;
    // The starter fixes and synonyms, so fix previews and downloads are measurable here too.
    let starter = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let synonyms = starter.join("synonyms.toml");
    if synonyms.exists() {
        std::fs::copy(&synonyms, root.join("synonyms.toml"))?;
    }
    copy_dir(&starter.join("fixes"), &root.join("fixes"))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
