//! Online backups through SQLite's backup API: a consistent copy taken while the server keeps
//! serving (WAL readers never block writers).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

/// Copies the database behind `src` to `dest`: first to `<dest>.partial`, checked, then renamed
/// over `dest`, so `dest` is never a half-written file. The copy is a single self-contained file
/// (rollback journal, not WAL).
pub(crate) fn backup(src: &Connection, live: Option<&Path>, dest: &Path) -> anyhow::Result<()> {
    if let (Some(live), Ok(dest)) = (live, dest.canonicalize())
        && live.canonicalize().is_ok_and(|live| live == dest)
    {
        bail!("{} is the live database; choose another file", dest.display());
    }
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    match std::fs::remove_file(&partial) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", partial.display()));
        }
        _ => {}
    }
    let result = copy(src, &partial);
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result?;
    std::fs::rename(&partial, dest)
        .with_context(|| format!("renaming {} to {}", partial.display(), dest.display()))
}

fn copy(src: &Connection, to: &Path) -> anyhow::Result<()> {
    let mut dst = Connection::open(to).with_context(|| format!("creating {}", to.display()))?;
    {
        let backup = Backup::new(src, &mut dst)?;
        let mut waits = 0;
        // One step copies every page under one read transaction: a consistent snapshot.
        loop {
            match backup.step(-1).context("copying the database")? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    waits += 1;
                    if waits > 200 {
                        bail!("the database stayed locked for 10 s; try again");
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                // `StepResult` is non-exhaustive.
                _ => bail!("unexpected result from the SQLite backup step"),
            }
        }
    }
    let mode: String = dst.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        bail!("could not switch the copy to a single file (journal mode {mode})");
    }
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        bail!("the copy failed its integrity check: {check}");
    }
    dst.close().map_err(|(_, e)| e)?;
    Ok(())
}
