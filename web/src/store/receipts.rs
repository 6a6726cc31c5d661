//! Receipts: what fixkb generated, so that `/r/{receipt}` can show it again and `/verify` can
//! recognise an unmodified script by its SHA-256.
//!
//! A receipt id names (fix, version, content revision, canonical parameters); the same receipt
//! can produce more than one file (the fix and its revert script), each recorded by hash.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

/// What a render or download reports to the store. See [`crate::store::Store::record_receipt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceipt {
    /// The receipt id printed in the script's header.
    pub id: String,
    /// The fix id (`fixes/<fix-id>/`).
    pub fix_id: String,
    /// The fix's `version` from `fix.toml`.
    pub fix_version: u32,
    /// The content revision the script was rendered from.
    pub revision: String,
    /// The canonical parameters, as JSON.
    pub params_json: String,
    /// Lower-case hex SHA-256 of the exact bytes handed out.
    pub sha256: String,
}

/// A stored receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The receipt id.
    pub id: String,
    /// The fix id.
    pub fix_id: String,
    /// The fix version it was generated from.
    pub fix_version: u32,
    /// The content revision it was generated from.
    pub revision: String,
    /// The canonical parameters, as JSON.
    pub params_json: String,
    /// SHA-256 of the first file generated under this receipt (normally the fix script).
    pub sha256: String,
    /// Every distinct file hash generated under this receipt, the first one first.
    pub files: Vec<String>,
    /// When it was first generated.
    pub first_seen: DateTime<Utc>,
    /// When it was last generated.
    pub last_seen: DateTime<Utc>,
    /// How many times it was generated (renders and downloads).
    pub count: u64,
    /// Outcome reports saying the script worked.
    pub worked: u64,
    /// Outcome reports saying it did not.
    pub not_worked: u64,
}

/// Inserts a receipt or bumps its last-seen time and count (the store batches them through
/// [`record_all`]).
#[cfg(test)]
pub(crate) fn record(conn: &mut Connection, r: &NewReceipt, now: i64) -> anyhow::Result<()> {
    let mut results = record_all(conn, std::slice::from_ref(r), now);
    results.pop().unwrap_or_else(|| Ok(()))
}

/// Records several receipts in one transaction, so that they share one commit (one `fsync` with
/// `synchronous = FULL`): the result of each, in order. Each receipt has its own savepoint, so
/// one that fails costs only itself; if the commit fails, every one of them fails.
pub(crate) fn record_all(
    conn: &mut Connection,
    receipts: &[NewReceipt],
    now: i64,
) -> Vec<anyhow::Result<()>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return receipts.iter().map(|_| Err(failed(&e))).collect(),
    };
    let mut results: Vec<anyhow::Result<()>> = Vec::with_capacity(receipts.len());
    for r in receipts {
        let result = tx.savepoint().map_err(anyhow::Error::from).and_then(|sp| {
            // Dropping a savepoint that was not committed rolls it back.
            record_one(&sp, r, now)?;
            sp.commit()?;
            Ok(())
        });
        results.push(result);
    }
    if let Err(e) = tx.commit() {
        return receipts.iter().map(|_| Err(failed(&e))).collect();
    }
    results
}

/// The same error for every receipt of a batch.
fn failed(e: &rusqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("recording receipts: {e}")
}

fn record_one(conn: &Connection, r: &NewReceipt, now: i64) -> anyhow::Result<()> {
    let sha256 = r.sha256.to_ascii_lowercase();
    // Statements are prepared once per connection: parsing them was a visible share of a
    // preview's time.
    let existing: Option<(String, u32)> = conn
        .prepare_cached("SELECT fix_id, fix_version FROM receipts WHERE id = ?1")?
        .query_row([&r.id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    if let Some((fix_id, fix_version)) = existing
        && (fix_id != r.fix_id || fix_version != r.fix_version)
    {
        // A receipt id is a hash of the fix and its version, so this means a bug upstream.
        // Keep the first record and say so; refusing would break the download itself.
        tracing::warn!(receipt = %r.id, stored = %fix_id, new = %r.fix_id, "receipt id reused for a different fix");
    }
    conn.prepare_cached(
        "INSERT INTO receipts
            (id, fix_id, fix_version, revision, params, sha256, first_seen, last_seen, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, count = count + 1",
    )?
    .execute(params![
        r.id,
        r.fix_id,
        r.fix_version,
        r.revision,
        r.params_json,
        sha256,
        now
    ])?;
    conn.prepare_cached("INSERT OR IGNORE INTO receipt_files (sha256, receipt_id) VALUES (?1, ?2)")?
        .execute(params![sha256, r.id])?;
    Ok(())
}

/// The receipt with this id.
pub(crate) fn by_id(conn: &Connection, id: &str) -> anyhow::Result<Option<Receipt>> {
    let receipt = conn
        .query_row(
            "SELECT id, fix_id, fix_version, revision, params, sha256, first_seen, last_seen, count,
                    (SELECT count(*) FROM receipt_feedback f WHERE f.receipt_id = r.id AND worked = 1),
                    (SELECT count(*) FROM receipt_feedback f WHERE f.receipt_id = r.id AND worked = 0)
             FROM receipts r WHERE id = ?1",
            [id],
            from_row,
        )
        .optional()?;
    let Some(mut receipt) = receipt else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT sha256 FROM receipt_files WHERE receipt_id = ?1 ORDER BY sha256 <> ?2, rowid",
    )?;
    receipt.files = stmt
        .query_map(params![receipt.id, receipt.sha256], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(receipt))
}

/// The receipt that produced a file with this SHA-256 (lower- or upper-case hex).
pub(crate) fn by_sha256(conn: &Connection, sha256: &str) -> anyhow::Result<Option<Receipt>> {
    let id: Option<String> = conn
        .query_row(
            "SELECT receipt_id FROM receipt_files WHERE sha256 = ?1",
            [sha256.to_ascii_lowercase()],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => by_id(conn, &id),
        None => Ok(None),
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Receipt> {
    Ok(Receipt {
        id: row.get(0)?,
        fix_id: row.get(1)?,
        fix_version: row.get(2)?,
        revision: row.get(3)?,
        params_json: row.get(4)?,
        sha256: row.get(5)?,
        files: Vec::new(),
        first_seen: super::time(row.get(6)?),
        last_seen: super::time(row.get(7)?),
        count: row.get(8)?,
        worked: row.get(9)?,
        not_worked: row.get(10)?,
    })
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

    fn new(id: &str, sha: &str) -> NewReceipt {
        NewReceipt {
            id: id.into(),
            fix_id: "disable-task-offload".into(),
            fix_version: 3,
            revision: "rev1".into(),
            params_json: r#"{"adapter":"Ethernet 2"}"#.into(),
            sha256: sha.into(),
        }
    }

    #[test]
    fn recording_twice_keeps_first_time_and_counts() {
        let mut conn = db();
        record(&mut conn, &new("r1", "aa"), 1_000).unwrap();
        record(&mut conn, &new("r1", "aa"), 2_000).unwrap();
        let r = by_id(&conn, "r1").unwrap().unwrap();
        assert_eq!(r.first_seen.timestamp(), 1_000);
        assert_eq!(r.last_seen.timestamp(), 2_000);
        assert_eq!(r.count, 2);
        assert_eq!(r.fix_version, 3);
        assert_eq!(r.params_json, r#"{"adapter":"Ethernet 2"}"#);
        assert_eq!(r.files, ["aa"]);
        assert!(by_id(&conn, "r2").unwrap().is_none());
    }

    #[test]
    fn every_file_of_a_receipt_is_found_by_hash() {
        let mut conn = db();
        record(&mut conn, &new("r1", "bb"), 1).unwrap();
        record(&mut conn, &new("r1", "aa"), 2).unwrap(); // the revert script
        assert_eq!(by_sha256(&conn, "BB").unwrap().unwrap().id, "r1");
        let r = by_sha256(&conn, "aa").unwrap().unwrap();
        assert_eq!((r.id.as_str(), r.sha256.as_str()), ("r1", "bb"));
        assert_eq!(r.files, ["bb", "aa"]);
        assert!(by_sha256(&conn, "cc").unwrap().is_none());
    }

    #[test]
    fn a_batch_records_each_receipt_and_a_failing_one_costs_only_itself() {
        let mut conn = db();
        // A receipt the database refuses halfway (after its receipts row, at its file row).
        conn.execute_batch(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON receipt_files WHEN NEW.receipt_id = 'bad'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .unwrap();
        let batch = [
            new("r1", "aa"),
            new("bad", "bb"),
            new("r2", "cc"),
            new("r1", "aa"),
        ];
        let results = record_all(&mut conn, &batch, 5);
        let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, false, true, true]);
        assert!(format!("{:#}", results[1].as_ref().unwrap_err()).contains("refused"));
        assert_eq!(by_id(&conn, "r1").unwrap().unwrap().count, 2);
        assert_eq!(by_id(&conn, "r2").unwrap().unwrap().files, ["cc"]);
        // Nothing of the refused one is left, not even the row written before the refusal.
        assert!(by_id(&conn, "bad").unwrap().is_none());
    }
}
