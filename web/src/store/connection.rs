//! Opening and configuring SQLite connections, and running blocking work off the async
//! threads.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Locks `m`, even if a panic poisoned it (the data is a queue; nothing is half-written).
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs blocking work (SQLite calls, hashing large inputs) on tokio's blocking pool, inside the
/// caller's tracing span.
pub(crate) async fn blocking<T, F>(f: F) -> anyhow::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .context("a database task panicked")
}

pub(super) fn open_file(path: &Path, create: bool) -> anyhow::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn)?;
    Ok(conn)
}

pub(super) fn open_reader(path: &Path) -> anyhow::Result<Connection> {
    let conn = open_file(path, false).with_context(|| format!("opening the database {}", path.display()))?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

pub(super) fn configure(conn: &Connection) -> anyhow::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // FULL: a commit is on disk (WAL fsynced) before the caller answers OK, even on power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Now, in Unix seconds.
pub(crate) fn now() -> i64 {
    Utc::now().timestamp()
}

/// Unix seconds to a UTC time (out-of-range values become the epoch).
pub(crate) fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}
