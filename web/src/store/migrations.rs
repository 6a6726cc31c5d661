//! The SQL schema, as an ordered list of migrations. This is the only place table definitions
//! live. `PRAGMA user_version` records how many migrations a database has had; opening a
//! database applies the missing ones, each in its own transaction, in order.
//!
//! Never edit a migration that has shipped: add a new one at the end.

use anyhow::{Context, bail};
use rusqlite::{Connection, TransactionBehavior};

/// Each entry moves the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: feedback and receipts (committed synchronously) plus the per-database salt.
    r"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;

    -- `client` is a salted SHA-256 of the client's address (IPv6: its /64), never the address.
    CREATE TABLE article_feedback (
        id         INTEGER PRIMARY KEY,
        slug       TEXT    NOT NULL,
        helpful    INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        comment    TEXT,
        client     TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX article_feedback_by_slug ON article_feedback (slug, client);
    CREATE INDEX article_feedback_by_client ON article_feedback (client, created_at);
    CREATE INDEX article_feedback_by_time ON article_feedback (created_at);

    CREATE TABLE receipts (
        id          TEXT    PRIMARY KEY,
        fix_id      TEXT    NOT NULL,
        fix_version INTEGER NOT NULL,
        revision    TEXT    NOT NULL,
        params      TEXT    NOT NULL,
        sha256      TEXT    NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX receipts_by_fix ON receipts (fix_id);

    -- Every distinct script a receipt produced (the fix itself, its revert script).
    CREATE TABLE receipt_files (
        sha256     TEXT PRIMARY KEY,
        receipt_id TEXT NOT NULL REFERENCES receipts (id)
    ) STRICT;
    CREATE INDEX receipt_files_by_receipt ON receipt_files (receipt_id);

    CREATE TABLE receipt_feedback (
        id         INTEGER PRIMARY KEY,
        receipt_id TEXT    NOT NULL REFERENCES receipts (id),
        worked     INTEGER NOT NULL CHECK (worked IN (0, 1)),
        comment    TEXT,
        client     TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX receipt_feedback_by_receipt ON receipt_feedback (receipt_id);
    CREATE INDEX receipt_feedback_by_client ON receipt_feedback (client, created_at);
    CREATE INDEX receipt_feedback_by_time ON receipt_feedback (created_at);
    ",
    // 2: analytics written in batches by the writer thread.
    r"
    CREATE TABLE search_log (
        id         INTEGER PRIMARY KEY,
        query      TEXT    NOT NULL,
        normalized TEXT    NOT NULL,
        hits       INTEGER NOT NULL,
        at         INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX search_log_by_time ON search_log (at);
    CREATE INDEX search_log_zero_hits ON search_log (normalized, at) WHERE hits = 0;

    -- Counters per UTC day (`day` = days since 1970-01-01).
    CREATE TABLE article_views (
        slug  TEXT    NOT NULL,
        day   INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (slug, day)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE downloads (
        fix_id TEXT    NOT NULL,
        day    INTEGER NOT NULL,
        count  INTEGER NOT NULL,
        PRIMARY KEY (fix_id, day)
    ) STRICT, WITHOUT ROWID;
    ",
];

/// The schema version this build writes.
pub(crate) const CURRENT: usize = MIGRATIONS.len();

/// The schema version recorded in the database.
pub(crate) fn version(conn: &Connection) -> anyhow::Result<usize> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    usize::try_from(v).context("negative schema version")
}

/// Brings the schema up to [`CURRENT`]. Refuses a database written by a newer fixkb, whose
/// schema this build does not know.
pub(crate) fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    migrate_to(conn, CURRENT)
}

/// Applies migrations up to `target` (tests use this to build each older schema).
pub(crate) fn migrate_to(conn: &mut Connection, target: usize) -> anyhow::Result<()> {
    let from = version(conn)?;
    if from > CURRENT {
        bail!(
            "the database has schema version {from}, but this fixkb only knows up to {CURRENT}; \
             run a newer fixkb or restore a backup"
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().take(target).skip(from) {
        // IMMEDIATE takes the write lock up front, so two processes starting at once cannot
        // both decide to apply the same migration.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if version(&tx)? > i {
            continue; // another process got there first
        }
        tx.execute_batch(sql)
            .with_context(|| format!("applying schema migration {}", i + 1))?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_database_migrates_to_current() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT);
        // Idempotent.
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT);
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT + 1).unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer fixkb"), "{err}");
    }

    #[test]
    fn failed_migration_leaves_version_unchanged() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 1).unwrap();
        // Sabotage: a table the next migration wants to create already exists.
        conn.execute_batch("CREATE TABLE search_log (x)").unwrap();
        assert!(migrate(&mut conn).is_err());
        assert_eq!(version(&conn).unwrap(), 1);
    }
}
