//! The SQLite store: feedback, receipts, search log and counters, in one file
//! `<data>/fixkb.sqlite3` (WAL mode, schema in `store/migrations.rs` only).
//!
//! Two kinds of writes, two paths:
//! - **records** (feedback, receipts) are committed, with `synchronous = FULL`, before the
//!   `async` call returns, so a response that says OK never loses its row;
//! - **analytics** (searches, views, downloads) are handed to one writer thread and written in
//!   batches (`store/analytics.rs`); the calls return at once and never touch the disk.
//!
//! All writes share one connection behind a mutex, so requests in this process never meet
//! `SQLITE_BUSY`; `busy_timeout` covers other processes (`fixkb backup`). Reads use a small pool
//! of their own connections, which WAL lets run beside the writer. Every blocking call goes
//! through one helper, `blocking`, which runs it on tokio's blocking pool inside the caller's span.

mod analytics;
mod backup;
mod connection;
mod feedback;
mod migrations;
mod receipts;
mod reports;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use rusqlite::Connection;

pub use analytics::{Event, FLUSH_EVERY, normalize_query};
pub(crate) use connection::{blocking, now, time};
use connection::{configure, lock, open_file, open_reader};
pub use feedback::{
    ArticleFeedback, FeedbackError, MAX_COMMENT_CHARS, RateLimit, ReceiptFeedback, clean_comment,
};
pub use receipts::{NewReceipt, Receipt};
pub use reports::{ArticleHelpfulness, FeedbackComment, FeedbackTarget, FixUsage, ZeroResultSearch};

use crate::config::Config;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "fixkb.sqlite3";

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 4;

/// Tunables; [`StoreOptions::from_config`] takes them from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Days of search log kept (`--search-log-days`).
    pub search_log_days: u32,
    /// Feedback allowed per client.
    pub rate_limit: RateLimit,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            search_log_days: 180,
            rate_limit: RateLimit::default(),
        }
    }
}

impl StoreOptions {
    /// The options the configuration asks for.
    pub fn from_config(config: &Config) -> Self {
        Self {
            search_log_days: config.search_log_days,
            ..Self::default()
        }
    }
}

/// Totals for `/metrics` and the admin page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Article votes stored.
    pub article_feedback: u64,
    /// Script outcome reports stored.
    pub receipt_feedback: u64,
    /// Distinct receipts.
    pub receipts: u64,
    /// Search log rows (after pruning).
    pub searches: u64,
    /// Analytics events dropped because the queue was full.
    pub dropped_events: u64,
}

/// A handle to the database. Cheap to clone; the last clone dropped flushes the analytics
/// queue, but servers should call [`Store::shutdown`] explicitly.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` for in-memory stores, which read through the write connection.
    path: Option<PathBuf>,
    writer: Arc<Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    salt: Vec<u8>,
    options: StoreOptions,
    events: analytics::Writer,
    /// Receipts waiting for the next commit (see [`Store::record_receipt`]).
    receipts: Mutex<Vec<PendingReceipt>>,
    /// Transactions that recorded receipts, so tests can see receipts share them.
    #[cfg(test)]
    receipt_commits: std::sync::atomic::AtomicUsize,
}

/// A receipt and where to send its result once committed.
type PendingReceipt = (NewReceipt, tokio::sync::oneshot::Sender<anyhow::Result<()>>);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/fixkb.sqlite3` with default options.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        Self::open_with(data_dir, StoreOptions::default())
    }

    /// Opens (creating if needed) `<data_dir>/fixkb.sqlite3`: applies pending migrations, prunes
    /// the search log and starts the analytics writer thread.
    pub fn open_with(data_dir: &Path, options: StoreOptions) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let path = data_dir.join(DB_FILE);
        let open = || -> anyhow::Result<Connection> {
            let conn = open_file(&path, true)?;
            let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                bail!("could not switch to WAL mode (got {mode})");
            }
            Ok(conn)
        };
        let conn = open().with_context(|| format!("opening the database {}", path.display()))?;
        Self::start(conn, Some(path), options)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> anyhow::Result<Self> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        Self::start(conn, None, StoreOptions::default())
    }

    fn start(mut conn: Connection, path: Option<PathBuf>, options: StoreOptions) -> anyhow::Result<Self> {
        migrations::migrate(&mut conn)?;
        // SQLite seeds its generator from the operating system's (/dev/urandom on Unix).
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('client_salt', randomblob(32))",
            [],
        )?;
        let salt: Vec<u8> = conn.query_row("SELECT value FROM meta WHERE key = 'client_salt'", [], |r| {
            r.get(0)
        })?;
        analytics::prune_expired(&mut conn, options.search_log_days, now())?;
        let writer = Arc::new(Mutex::new(conn));
        let events = analytics::Writer::start(writer.clone(), options.search_log_days)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer,
                readers: Mutex::new(Vec::new()),
                salt,
                options,
                events,
                receipts: Mutex::new(Vec::new()),
                #[cfg(test)]
                receipt_commits: std::sync::atomic::AtomicUsize::new(0),
            }),
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    // ---- records: committed before returning -------------------------------------------------

    /// Stores a vote on an article from `client` (the peer address; only its salted hash is
    /// kept). Committed when this returns `Ok`.
    pub async fn add_article_feedback(
        &self,
        client: IpAddr,
        feedback: ArticleFeedback,
    ) -> Result<i64, FeedbackError> {
        let key = self.client_key(client);
        let limit = self.inner.options.rate_limit;
        self.write(move |c| feedback::add_article_feedback(c, &key, limit, now(), &feedback))
            .await?
    }

    /// Stores an outcome report on a generated script. Committed when this returns `Ok`;
    /// [`FeedbackError::UnknownReceipt`] if no such receipt was ever issued.
    pub async fn add_receipt_feedback(
        &self,
        client: IpAddr,
        feedback: ReceiptFeedback,
    ) -> Result<i64, FeedbackError> {
        let key = self.client_key(client);
        let limit = self.inner.options.rate_limit;
        self.write(move |c| feedback::add_receipt_feedback(c, &key, limit, now(), &feedback))
            .await?
    }

    /// Records that a script was rendered or downloaded: inserts the receipt or bumps its
    /// last-seen time and count, and remembers the file's SHA-256 for `/verify`. Call it from
    /// every render and download, before sending the script. Committed when this returns `Ok`.
    ///
    /// Group commit: the receipt joins a queue, and whoever holds the write connection next
    /// records everything queued in one transaction. Under load, the receipts that arrive while
    /// one commit waits for the disk share the next one, instead of each waiting for its own.
    pub async fn record_receipt(&self, receipt: NewReceipt) -> anyhow::Result<()> {
        let (done, result) = tokio::sync::oneshot::channel();
        lock(&self.inner.receipts).push((receipt, done));
        let inner = self.inner.clone();
        self.write(move |conn| {
            let batch = std::mem::take(&mut *lock(&inner.receipts));
            if batch.is_empty() {
                // An earlier holder of the connection committed this one with its own batch.
                return;
            }
            let (receipts, senders): (Vec<NewReceipt>, Vec<_>) = batch.into_iter().unzip();
            let results = receipts::record_all(conn, &receipts, now());
            #[cfg(test)]
            inner
                .receipt_commits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for (sender, result) in senders.into_iter().zip(results) {
                // The caller may have gone (its request was cancelled); the row is kept anyway.
                let _ = sender.send(result);
            }
        })
        .await?;
        result.await.context("the receipt was not recorded")?
    }

    /// The receipt with this id.
    pub async fn receipt(&self, id: &str) -> anyhow::Result<Option<Receipt>> {
        let id = id.to_owned();
        self.read(move |c| receipts::by_id(c, &id)).await
    }

    /// The receipt that produced a file with this SHA-256 (hex), if fixkb generated it.
    pub async fn receipt_by_sha256(&self, sha256: &str) -> anyhow::Result<Option<Receipt>> {
        let sha256 = sha256.to_owned();
        self.read(move |c| receipts::by_sha256(c, &sha256)).await
    }

    /// The first of `hashes` that a receipt produced, with its position in `hashes`.
    pub async fn first_receipt_by_sha256(
        &self,
        hashes: Vec<String>,
    ) -> anyhow::Result<Option<(usize, Receipt)>> {
        self.read(move |c| {
            for (i, sha256) in hashes.iter().enumerate() {
                if let Some(receipt) = receipts::by_sha256(c, sha256)? {
                    return Ok(Some((i, receipt)));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Votes on one article, `(helpful, not_helpful)`, each client counted once.
    pub async fn article_votes(&self, slug: &str) -> anyhow::Result<(u64, u64)> {
        let slug = slug.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT coalesce(sum(helpful), 0), coalesce(sum(1 - helpful), 0)
                 FROM article_feedback f WHERE slug = ?1
                 AND id = (SELECT max(id) FROM article_feedback g
                           WHERE g.slug = f.slug AND g.client = f.client)",
                [slug],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
    }

    // ---- analytics: queued, never waits -------------------------------------------------------

    /// Logs a search and its total hit count. Returns at once.
    pub fn log_search(&self, query: &str, hits: u64) {
        self.inner.events.send(Event::Search {
            query: query.to_owned(),
            hits,
            at: now(),
        });
    }

    /// Counts an article view. Returns at once.
    pub fn record_view(&self, slug: &str) {
        self.inner.events.send(Event::View {
            slug: slug.to_owned(),
            at: now(),
        });
    }

    /// Counts a script download. Returns at once.
    pub fn record_download(&self, fix_id: &str) {
        self.inner.events.send(Event::Download {
            fix_id: fix_id.to_owned(),
            at: now(),
        });
    }

    /// Row totals and dropped events, for monitoring.
    pub async fn stats(&self) -> anyhow::Result<StoreStats> {
        let dropped_events = self.dropped_events();
        self.read(move |c| {
            let count = |table: &str| -> anyhow::Result<u64> {
                Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
            };
            Ok(StoreStats {
                article_feedback: count("article_feedback")?,
                receipt_feedback: count("receipt_feedback")?,
                receipts: count("receipts")?,
                searches: count("search_log")?,
                dropped_events,
            })
        })
        .await
    }

    /// Total recorded views of an article (after the writer has flushed them).
    pub async fn article_views(&self, slug: &str) -> anyhow::Result<u64> {
        let slug = slug.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT coalesce(sum(count), 0) FROM article_views WHERE slug = ?1",
                [slug],
                |r| r.get(0),
            )?)
        })
        .await
    }

    /// Analytics events dropped because the queue was full or already shut down.
    pub fn dropped_events(&self) -> u64 {
        self.inner.events.dropped()
    }

    /// Waits until every analytics event queued so far is written.
    pub async fn flush(&self) -> anyhow::Result<()> {
        let inner = self.inner.clone();
        blocking(move || inner.events.flush_blocking()).await
    }

    /// Writes the queued analytics and stops the writer thread; call on graceful shutdown.
    /// Records can still be written afterwards; later analytics events are dropped.
    pub async fn shutdown(&self) -> anyhow::Result<()> {
        let inner = self.inner.clone();
        blocking(move || inner.events.shutdown_blocking()).await
    }

    // ---- reports -------------------------------------------------------------------------------

    /// Searches that found nothing, most frequent first.
    pub async fn zero_result_searches(&self, limit: u32) -> anyhow::Result<Vec<ZeroResultSearch>> {
        self.read(move |c| reports::zero_result_searches(c, limit)).await
    }

    /// Articles with "not helpful" votes, least helpful first.
    pub async fn least_helpful_articles(&self, limit: u32) -> anyhow::Result<Vec<ArticleHelpfulness>> {
        self.read(move |c| reports::least_helpful_articles(c, limit))
            .await
    }

    /// The latest feedback that came with a comment, articles and scripts together.
    pub async fn recent_comments(&self, limit: u32) -> anyhow::Result<Vec<FeedbackComment>> {
        self.read(move |c| reports::recent_comments(c, limit)).await
    }

    /// Fixes by downloads, with generation counts and reported outcomes.
    pub async fn most_downloaded_fixes(&self, limit: u32) -> anyhow::Result<Vec<FixUsage>> {
        self.read(move |c| reports::most_downloaded_fixes(c, limit)).await
    }

    // ---- maintenance ---------------------------------------------------------------------------

    /// Copies the live database to `dest` through SQLite's online backup API, while requests
    /// continue. See [`backup_database`] for the offline-process variant `fixkb backup` uses.
    pub async fn backup(&self, dest: &Path) -> anyhow::Result<()> {
        let dest = dest.to_owned();
        let path = self.inner.path.clone();
        self.read(move |c| backup::backup(c, path.as_deref(), &dest))
            .await
    }

    // ---- plumbing ------------------------------------------------------------------------------

    fn client_key(&self, client: IpAddr) -> String {
        feedback::client_key(&self.inner.salt, client)
    }

    /// Runs `f` on the write connection, on the blocking pool.
    async fn write<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> T + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            // A poisoned lock means a panic mid-call; any open transaction was rolled back when
            // its guard dropped, so the connection is still sound.
            let mut conn = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` on a read connection from the pool, on the blocking pool.
    async fn read<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> anyhow::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            let Some(path) = &inner.path else {
                let conn = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
                return f(&conn);
            };
            let pooled = inner.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_reader(path)?,
            };
            let result = f(&conn);
            let mut idle = inner.readers.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await?
    }
}

/// `fixkb backup FILE`: copies `<data_dir>/fixkb.sqlite3` to `dest` with SQLite's online backup
/// API. Safe while a server is running on the same database; touches nothing but the copy.
pub fn backup_database(data_dir: &Path, dest: &Path) -> anyhow::Result<()> {
    let path = data_dir.join(DB_FILE);
    if !path.is_file() {
        bail!("there is no database at {}", path.display());
    }
    let conn = open_reader(&path)?;
    backup::backup(&conn, Some(&path), dest)
        .with_context(|| format!("backing up {} to {}", path.display(), dest.display()))
}

#[cfg(test)]
mod tests;
