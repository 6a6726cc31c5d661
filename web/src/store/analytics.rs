//! Analytics that request handlers fire and forget: searches, article views, downloads.
//!
//! Handlers push events onto a bounded queue without waiting and without waking anyone; one
//! writer thread takes the queue every [`FLUSH_EVERY`] and writes it in one transaction. It
//! wakes early when the queue reaches [`MAX_BATCH`] events, when asked to flush
//! ([`Writer::flush_blocking`]) and on shutdown. The same thread prunes the search log daily.
//!
//! If the disk cannot keep up and the queue fills, new events are dropped and counted rather
//! than slowing requests down: these are statistics, not records.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{Connection, params};
use unicode_normalization::UnicodeNormalization;

/// The longest delay between an event and its write.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Events written per transaction at most.
const MAX_BATCH: usize = 2_000;
/// Events waiting at most; beyond that they are dropped (a few MB at most).
const QUEUE_CAPACITY: usize = 65_536;
/// Events kept for a retry after a failed write at most.
const MAX_PENDING: usize = 50_000;
/// How often the search log is pruned while running.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest query text stored, in characters.
const MAX_QUERY_CHARS: usize = 256;

/// One analytics event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A search and how many hits it had.
    Search {
        /// The query as typed.
        query: String,
        /// Total hits.
        hits: u64,
        /// Unix seconds.
        at: i64,
    },
    /// An article page was shown.
    View {
        /// Canonical slug.
        slug: String,
        /// Unix seconds.
        at: i64,
    },
    /// A fix script was downloaded.
    Download {
        /// Fix id.
        fix_id: String,
        /// Unix seconds.
        at: i64,
    },
}

/// What handlers and the writer thread share.
struct Shared {
    queue: Mutex<Queue>,
    /// Woken for a flush, a shutdown or a full batch; otherwise the writer wakes on its own
    /// every [`FLUSH_EVERY`], so a page view costs a push under an uncontended lock and no
    /// thread wake-up.
    wake: Condvar,
}

#[derive(Default)]
struct Queue {
    events: Vec<Event>,
    flushes: Vec<mpsc::Sender<()>>,
    shutdown: bool,
}

/// The handle to the writer thread.
pub(crate) struct Writer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    dropped: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer thread on the store's write connection.
    pub(crate) fn start(conn: Arc<Mutex<Connection>>, retention_days: u32) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("fixkb-store-writer".into())
                .spawn(move || run(&shared, &conn, retention_days))
                .context("starting the analytics writer thread")?
        };
        Ok(Self {
            shared,
            thread: Mutex::new(Some(thread)),
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.shared.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event without waiting; drops it if the queue is full or the writer stopped.
    pub(crate) fn send(&self, event: Event) {
        let mut queue = self.queue();
        if queue.shutdown || queue.events.len() >= QUEUE_CAPACITY {
            drop(queue);
            if self.dropped.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
                tracing::warn!("analytics queue full or closed; dropping events");
            }
            return;
        }
        queue.events.push(event);
        if queue.events.len() == MAX_BATCH {
            self.shared.wake.notify_one();
        }
    }

    /// Events dropped so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Blocks until every event queued before this call is written (or the writer is gone).
    pub(crate) fn flush_blocking(&self) {
        let (ack_tx, ack_rx) = mpsc::channel();
        {
            let mut queue = self.queue();
            if queue.shutdown {
                return;
            }
            queue.flushes.push(ack_tx);
        }
        self.shared.wake.notify_one();
        // An error only means the thread has already stopped, after its final flush.
        let _ = ack_rx.recv();
    }

    /// Writes what is queued and stops the thread. Later events are dropped. Idempotent.
    pub(crate) fn shutdown_blocking(&self) {
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            self.queue().shutdown = true;
            self.shared.wake.notify_one();
            if handle.join().is_err() {
                tracing::error!("the analytics writer thread panicked");
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown_blocking();
    }
}

fn run(shared: &Shared, conn: &Mutex<Connection>, retention_days: u32) {
    let mut batch: Vec<Event> = Vec::new();
    let mut next_prune = Instant::now() + PRUNE_EVERY;
    loop {
        let (acks, stop) = {
            let mut queue = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            let idle = |q: &mut Queue| !q.shutdown && q.flushes.is_empty() && q.events.len() < MAX_BATCH;
            queue = shared
                .wake
                .wait_timeout_while(queue, FLUSH_EVERY, idle)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            batch.append(&mut queue.events);
            (std::mem::take(&mut queue.flushes), queue.shutdown)
        };
        if !batch.is_empty() {
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            match write_batch(&mut conn, &batch) {
                Ok(()) => batch.clear(),
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), events = batch.len(), "writing analytics failed; will retry");
                    if batch.len() > MAX_PENDING {
                        batch.drain(..batch.len() - MAX_PENDING);
                    }
                }
            }
        }
        if Instant::now() >= next_prune {
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = prune_expired(&mut conn, retention_days, super::now()) {
                tracing::error!(error = %format!("{e:#}"), "pruning the search log failed");
            }
            next_prune = Instant::now() + PRUNE_EVERY;
        }
        for ack in acks {
            let _ = ack.send(());
        }
        if stop {
            return;
        }
    }
}

/// Writes a batch in one transaction: search rows as they are, view and download counts summed
/// per key and day first.
pub(crate) fn write_batch(conn: &mut Connection, batch: &[Event]) -> anyhow::Result<()> {
    // Statistics need not wait for an fsync: with WAL, a crash of the process loses nothing
    // committed, and the next FULL commit (feedback, receipts) syncs these frames too.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let result = write_batch_inner(conn, batch);
    conn.pragma_update(None, "synchronous", "FULL")?;
    result
}

fn write_batch_inner(conn: &mut Connection, batch: &[Event]) -> anyhow::Result<()> {
    let mut views: HashMap<(&str, i64), i64> = HashMap::new();
    let mut downloads: HashMap<(&str, i64), i64> = HashMap::new();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut search = tx
            .prepare_cached("INSERT INTO search_log (query, normalized, hits, at) VALUES (?1, ?2, ?3, ?4)")?;
        for event in batch {
            match event {
                Event::Search { query, hits, at } => {
                    let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
                    let hits = i64::try_from(*hits).unwrap_or(i64::MAX);
                    search.execute(params![query, normalize_query(&query), hits, at])?;
                }
                Event::View { slug, at } => *views.entry((slug, day(*at))).or_default() += 1,
                Event::Download { fix_id, at } => {
                    *downloads.entry((fix_id, day(*at))).or_default() += 1;
                }
            }
        }
        let mut view = tx.prepare_cached(
            "INSERT INTO article_views (slug, day, count) VALUES (?1, ?2, ?3)
             ON CONFLICT (slug, day) DO UPDATE SET count = count + excluded.count",
        )?;
        for ((slug, day), n) in views {
            view.execute(params![slug, day, n])?;
        }
        let mut download = tx.prepare_cached(
            "INSERT INTO downloads (fix_id, day, count) VALUES (?1, ?2, ?3)
             ON CONFLICT (fix_id, day) DO UPDATE SET count = count + excluded.count",
        )?;
        for ((fix_id, day), n) in downloads {
            download.execute(params![fix_id, day, n])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Deletes search log rows older than `days` days, and replaces the client keys of feedback
/// that old with a per-row placeholder (`x<id>`); returns how many search rows went.
///
/// A salted hash of an IPv4 address can be reversed by trying all 2^32 addresses by anyone who
/// holds the database (salt included), so keys are kept only as long as the search log: long
/// enough for the rate limit and for counting each visitor's latest vote.
pub(crate) fn prune_expired(conn: &mut Connection, days: u32, now: i64) -> anyhow::Result<usize> {
    let cutoff = now - i64::from(days) * 86_400;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let n = tx.execute("DELETE FROM search_log WHERE at < ?1", [cutoff])?;
    // Hex keys never start with `x`, so placeholders stay distinct from live keys.
    for table in ["article_feedback", "receipt_feedback"] {
        tx.execute(
            &format!("UPDATE {table} SET client = 'x' || id WHERE created_at < ?1 AND client NOT LIKE 'x%'"),
            [cutoff],
        )?;
    }
    tx.commit()?;
    if n > 0 {
        tracing::info!(rows = n, days, "pruned the search log");
    }
    Ok(n)
}

/// The form searches are grouped by in reports: Unicode-compatibility-normalised, lower-case,
/// query punctuation (quotes, brackets, `?!,;*~^`) dropped, whitespace collapsed.
pub fn normalize_query(query: &str) -> String {
    let folded: String = query
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '#' | '+' | '/' | '\\' | ':' | '$' | '%')
            {
                c
            } else {
                ' '
            }
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Days since 1970-01-01 (UTC).
fn day(at: i64) -> i64 {
    at.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::migrate(&mut conn).unwrap();
        conn
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn queries_normalise_for_grouping() {
        assert_eq!(normalize_query("  TCP   Offload? "), "tcp offload");
        assert_eq!(normalize_query("\"tcp offload\""), "tcp offload");
        assert_eq!(normalize_query("ＴＣＰ offload"), "tcp offload");
        assert_eq!(normalize_query("KB5034441 c:\\windows"), "kb5034441 c:\\windows");
        assert_eq!(normalize_query("?!"), "");
    }

    #[test]
    fn batch_sums_counters_per_day() {
        let mut conn = db();
        let day2 = 2 * 86_400;
        let batch = vec![
            Event::View {
                slug: "a".into(),
                at: 10,
            },
            Event::View {
                slug: "a".into(),
                at: 20,
            },
            Event::View {
                slug: "a".into(),
                at: day2,
            },
            Event::Download {
                fix_id: "f".into(),
                at: 5,
            },
            Event::Search {
                query: "Foo  Bar".into(),
                hits: 0,
                at: 7,
            },
        ];
        write_batch(&mut conn, &batch).unwrap();
        write_batch(&mut conn, &batch[..1]).unwrap();
        // Back to FULL for the records that share this connection.
        assert_eq!(count(&conn, "PRAGMA synchronous"), 2);
        assert_eq!(
            count(
                &conn,
                "SELECT count FROM article_views WHERE slug = 'a' AND day = 0"
            ),
            3
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count FROM article_views WHERE slug = 'a' AND day = 2"
            ),
            1
        );
        assert_eq!(count(&conn, "SELECT count FROM downloads WHERE fix_id = 'f'"), 1);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM search_log WHERE normalized = 'foo bar' AND hits = 0"
            ),
            1
        );
    }

    #[test]
    fn prune_removes_only_rows_past_retention() {
        let mut conn = db();
        let now = 1_000 * 86_400;
        let batch = vec![
            Event::Search {
                query: "old".into(),
                hits: 1,
                at: now - 181 * 86_400,
            },
            Event::Search {
                query: "new".into(),
                hits: 1,
                at: now - 179 * 86_400,
            },
        ];
        write_batch(&mut conn, &batch).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO article_feedback (slug, helpful, client, created_at) VALUES
                 ('a', 1, 'old-key', {old}), ('a', 1, 'new-key', {new});
             INSERT INTO receipts VALUES ('r', 'f', 1, 'rev', '{{}}', 's', 0, 0, 1);
             INSERT INTO receipt_feedback (receipt_id, worked, client, created_at)
                 VALUES ('r', 1, 'old-key', {old});",
            old = now - 181 * 86_400,
            new = now - 179 * 86_400
        ))
        .unwrap();
        assert_eq!(prune_expired(&mut conn, 180, now).unwrap(), 1);
        // Old client keys are forgotten, recent ones kept.
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM article_feedback WHERE client = 'new-key'"
            ),
            1
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM article_feedback WHERE client LIKE 'x%'"
            ),
            1
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM receipt_feedback WHERE client = 'old-key'"
            ),
            0
        );
        assert_eq!(prune_expired(&mut conn, 180, now).unwrap(), 0);
        assert_eq!(
            count(&conn, "SELECT count(*) FROM search_log WHERE query = 'new'"),
            1
        );
    }

    #[test]
    fn writer_flushes_on_request_and_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut conn = Connection::open(&path).unwrap();
        migrations::migrate(&mut conn).unwrap();
        let conn = Arc::new(Mutex::new(conn));
        let writer = Writer::start(conn.clone(), 180).unwrap();
        writer.send(Event::View {
            slug: "a".into(),
            at: 1,
        });
        writer.flush_blocking();
        let reader = Connection::open(&path).unwrap();
        assert_eq!(count(&reader, "SELECT count FROM article_views"), 1);
        writer.send(Event::View {
            slug: "a".into(),
            at: 1,
        });
        writer.shutdown_blocking();
        assert_eq!(count(&reader, "SELECT count FROM article_views"), 2);
        writer.send(Event::View {
            slug: "a".into(),
            at: 1,
        }); // after shutdown: dropped
        assert_eq!(writer.dropped(), 1);
    }

    #[test]
    fn writer_flushes_within_a_second_unprompted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut conn = Connection::open(&path).unwrap();
        migrations::migrate(&mut conn).unwrap();
        let writer = Writer::start(Arc::new(Mutex::new(conn)), 180).unwrap();
        let reader = Connection::open(&path).unwrap();
        let start = Instant::now();
        writer.send(Event::Download {
            fix_id: "f".into(),
            at: 1,
        });
        while count(&reader, "SELECT count(*) FROM downloads") == 0 {
            assert!(
                start.elapsed() < FLUSH_EVERY + Duration::from_millis(500),
                "not flushed in time"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
