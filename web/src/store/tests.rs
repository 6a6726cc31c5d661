//! Store-level tests on real files: migrations from every earlier schema, WAL, salt, the
//! analytics path, backups, concurrency.

use std::net::IpAddr;
use std::time::Duration;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn receipt(id: &str, sha: &str) -> NewReceipt {
    NewReceipt {
        id: id.into(),
        fix_id: "disable-task-offload".into(),
        fix_version: 2,
        revision: "abc123".into(),
        params_json: r#"{"adapter":"Ethernet 2"}"#.into(),
        sha256: sha.into(),
    }
}

fn vote(slug: &str, helpful: bool, comment: Option<&str>) -> ArticleFeedback {
    ArticleFeedback {
        slug: slug.into(),
        helpful,
        comment: comment.map(Into::into),
    }
}

/// Rows a database at `version` could hold, written with that version's own columns.
fn seed(conn: &Connection, version: usize) {
    if version >= 1 {
        conn.execute_batch(
            "INSERT INTO article_feedback (slug, helpful, comment, client, created_at)
                 VALUES ('old-article', 0, 'from before', 'k', 1);
             INSERT INTO receipts VALUES ('r-old', 'fix', 1, 'rev', '{}', 'sha-old', 1, 1, 1);
             INSERT INTO receipt_files VALUES ('sha-old', 'r-old');",
        )
        .unwrap();
    }
    if version >= 2 {
        let now = now();
        conn.execute(
            "INSERT INTO search_log (query, normalized, hits, at) VALUES ('q', 'q', 0, ?1)",
            [now],
        )
        .unwrap();
    }
}

#[tokio::test]
async fn every_earlier_schema_migrates_and_keeps_its_rows() {
    for version in 0..migrations::CURRENT {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            migrations::migrate_to(&mut conn, version).unwrap();
            assert_eq!(migrations::version(&conn).unwrap(), version);
            seed(&conn, version);
        }
        let store = Store::open(dir.path()).unwrap();
        let conn = open_reader(store.path().unwrap()).unwrap();
        assert_eq!(
            migrations::version(&conn).unwrap(),
            migrations::CURRENT,
            "from {version}"
        );
        if version >= 1 {
            let r = store.receipt_by_sha256("sha-old").await.unwrap().unwrap();
            assert_eq!(r.id, "r-old");
            assert_eq!(
                store.least_helpful_articles(10).await.unwrap()[0].slug,
                "old-article"
            );
        }
        if version >= 2 {
            assert_eq!(store.zero_result_searches(10).await.unwrap()[0].normalized, "q");
        }
        // Every table this build writes works on the migrated schema.
        exercise(&store).await;
    }
}

async fn exercise(store: &Store) {
    store.record_receipt(receipt("r1", "sha1")).await.unwrap();
    store
        .add_article_feedback(ip("10.0.0.1"), vote("a", true, Some("ok")))
        .await
        .unwrap();
    let outcome = ReceiptFeedback {
        receipt_id: "r1".into(),
        worked: true,
        comment: None,
    };
    store.add_receipt_feedback(ip("10.0.0.1"), outcome).await.unwrap();
    store.log_search("nothing here", 0);
    store.record_view("a");
    store.record_download("disable-task-offload");
    store.flush().await.unwrap();
    assert!(
        store
            .zero_result_searches(10)
            .await
            .unwrap()
            .iter()
            .any(|s| s.normalized == "nothing here")
    );
    assert_eq!(store.most_downloaded_fixes(10).await.unwrap()[0].downloads, 1);
    assert_eq!(store.recent_comments(10).await.unwrap()[0].comment, "ok");
    let stats = store.stats().await.unwrap();
    assert!(stats.article_feedback >= 1 && stats.receipt_feedback >= 1 && stats.receipts >= 1);
    assert!(stats.searches >= 1);
}

#[tokio::test]
async fn fresh_database_is_wal_with_a_persistent_salt() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.path(), Some(dir.path().join(DB_FILE).as_path()));
    let salt = store.inner.salt.clone();
    assert_eq!(salt.len(), 32);
    exercise(&store).await;
    store.shutdown().await.unwrap();
    drop(store);

    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    // The raw address appears nowhere in the file.
    drop(conn);
    let again = Store::open(dir.path()).unwrap();
    assert_eq!(again.inner.salt, salt);
    again.shutdown().await.unwrap();
    drop(again);
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!bytes.windows(8).any(|w| w == b"10.0.0.1"));
        assert!(!bytes.windows(4).any(|w| w == [10, 0, 0, 1]));
    }
}

#[tokio::test]
async fn salts_differ_between_databases() {
    let a = Store::open_in_memory().unwrap();
    let b = Store::open_in_memory().unwrap();
    assert_ne!(a.inner.salt, b.inner.salt);
}

#[tokio::test]
async fn receipts_round_trip_through_the_store() {
    let store = Store::open_in_memory().unwrap();
    store.record_receipt(receipt("r1", "ABCDEF")).await.unwrap();
    store.record_receipt(receipt("r1", "abcdef")).await.unwrap();
    let r = store.receipt("r1").await.unwrap().unwrap();
    assert_eq!((r.count, r.fix_version, r.revision.as_str()), (2, 2, "abc123"));
    assert_eq!(r.files, ["abcdef"]);
    assert_eq!(store.receipt_by_sha256("ABCDEF").await.unwrap().unwrap().id, "r1");
    assert!(store.receipt("nope").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_queued_behind_a_busy_connection_share_a_commit_and_each_get_their_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // Hold the write connection, as a slow commit would, while 50 downloads record receipts.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (held, holding) = tokio::sync::oneshot::channel();
    let writer = store.inner.writer.clone();
    let holder = std::thread::spawn(move || {
        let _busy = writer.lock().unwrap();
        held.send(()).unwrap();
        released.recv().unwrap();
    });
    holding.await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .record_receipt(receipt(&format!("r{i}"), &format!("s{i}")))
                    .await
            })
        })
        .collect();
    while lock(&store.inner.receipts).len() < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    release.send(()).unwrap();
    holder.join().unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(lock(&store.inner.receipts).is_empty());
    // The first to get the connection recorded all fifty in one transaction.
    assert_eq!(
        store
            .inner
            .receipt_commits
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let rows: i64 = open_reader(store.path().unwrap())
        .unwrap()
        .query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 50);
    assert_eq!(store.receipt("r49").await.unwrap().unwrap().files, ["s49"]);
}

#[tokio::test]
async fn analytics_are_written_by_shutdown_and_dropped_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for _ in 0..100 {
        store.record_view("a");
    }
    store.shutdown().await.unwrap();
    store.record_view("a");
    assert_eq!(store.dropped_events(), 1);
    let views: i64 = open_reader(store.path().unwrap())
        .unwrap()
        .query_row("SELECT sum(count) FROM article_views", [], |r| r.get(0))
        .unwrap();
    assert_eq!(views, 100);
    // Records still work after the analytics writer stopped.
    store.record_receipt(receipt("r", "s")).await.unwrap();
}

#[tokio::test]
async fn old_searches_are_pruned_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        migrations::migrate(&mut conn).unwrap();
        let old = now() - 31 * 86_400;
        conn.execute(
            "INSERT INTO search_log (query, normalized, hits, at) VALUES ('old', 'old', 0, ?1),
                    ('new', 'new', 0, ?2)",
            [old, now()],
        )
        .unwrap();
    }
    let options = StoreOptions {
        search_log_days: 30,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), options).unwrap();
    let left: Vec<_> = store
        .zero_result_searches(10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.normalized)
        .collect();
    assert_eq!(left, ["new"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_feedback_never_fails_with_busy() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        rate_limit: RateLimit {
            max: 1000,
            window: Duration::from_secs(60),
        },
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), options).unwrap();
    // A second process-like writer on its own connection competes for the lock too.
    let path = store.path().unwrap().to_owned();
    let rival = std::thread::spawn(move || {
        let conn = open_file(&path, false).unwrap();
        for i in 0..50 {
            conn.execute(
                "INSERT INTO search_log (query, normalized, hits, at) VALUES (?1, ?1, 1, 0)",
                [format!("rival {i}")],
            )
            .unwrap();
        }
    });
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let client = ip(&format!("10.0.{}.{}", i / 100, i % 100));
            store
                .add_article_feedback(client, vote("a", i % 2 == 0, Some("c")))
                .await
                .map_err(|e| e.to_string())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    rival.join().unwrap();
    assert_eq!(store.article_votes("a").await.unwrap(), (100, 100));
}

#[tokio::test]
async fn backup_is_a_consistent_standalone_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.record_receipt(receipt("r1", "sha1")).await.unwrap();
    let dest = dir.path().join("copy.sqlite3");
    store.backup(&dest).await.unwrap();
    // Overwrites an older backup; the CLI path works while the store is open.
    store.record_receipt(receipt("r2", "sha2")).await.unwrap();
    backup_database(dir.path(), &dest).unwrap();
    assert!(!dir.path().join("copy.sqlite3.partial").exists());
    let copy = Connection::open(&dest).unwrap();
    let mode: String = copy.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "delete");
    let n: i64 = copy
        .query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(migrations::version(&copy).unwrap(), migrations::CURRENT);
    // Never over the live database.
    let live = store.path().unwrap().to_owned();
    assert!(
        store
            .backup(&live)
            .await
            .unwrap_err()
            .to_string()
            .contains("live database")
    );
    assert!(backup_database(&dir.path().join("missing"), &dest).is_err());
}
