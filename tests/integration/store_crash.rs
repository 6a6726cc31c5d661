//! The built `fixkb` binary, killed with SIGKILL in the middle of a burst of feedback POSTs:
//! every POST it answered with OK must be in the database afterwards. Also `fixkb backup` while
//! the server writes.
//!
//! Each request comes from its own loopback address (Linux routes all of 127.0.0.0/8 to `lo`),
//! so the per-client rate limit does not interfere.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::common::fixtures;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &Path) -> (Server, SocketAddr) {
    start_over(&fixtures().join("valid"), data)
}

fn start_over(content: &Path, data: &Path) -> (Server, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let child = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .arg("serve")
        .arg("--bind")
        .arg(addr.to_string())
        .arg("--content")
        .arg(content)
        .arg("--data")
        .arg(data)
        .env_remove("FIXKB_ADMIN_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fixkb");
    (Server(child), addr)
}

/// One POST over a fresh connection from `from`; the status code, or `None` if the exchange
/// did not complete.
async fn post_feedback(server: SocketAddr, from: Ipv4Addr, comment: &str) -> Option<u16> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::from((from, 0))).ok()?;
    let mut stream = tokio::time::timeout(Duration::from_secs(5), socket.connect(server))
        .await
        .ok()?
        .ok()?;
    let body = format!("helpful=yes&comment={comment}");
    let request = format!(
        "POST /kb/offload HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    // Only a complete thank-you page counts as an acknowledgement.
    if status == 200 && !text.contains("Thank you for your feedback") {
        return None;
    }
    Some(status)
}

async fn wait_until_up(server: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(server).await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn stored_comments(db: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT comment FROM article_feedback")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_feedback_survives_sigkill() {
    let data = tempfile::tempdir().expect("temp dir");
    let (mut server, addr) = start(data.path());
    wait_until_up(addr).await;

    let acked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let burst = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (acked, failed, stop, next) = (acked.clone(), failed.clone(), stop.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let from = Ipv4Addr::new(127, 10, (n / 250) as u8, (n % 250 + 1) as u8);
                let comment = format!("ack-{n}");
                match post_feedback(addr, from, &comment).await {
                    Some(200) => acked.lock().expect("lock").push(comment),
                    Some(status) => panic!("feedback answered {status}"),
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        // The server is gone; one more try shows it is not a fluke.
                        if failed.load(Ordering::Relaxed) > 20 {
                            return;
                        }
                    }
                }
            }
        }));
    }
    // Let the burst get going, take an online backup in the middle of it, then kill.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().expect("lock").len() < 100 {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let acked_at_backup_start = acked.lock().expect("lock").len();
    let backup = data.path().join("backup.sqlite3");
    let status = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .arg("backup")
        .arg(&backup)
        .arg("--data")
        .arg(data.path())
        .stderr(Stdio::null())
        .status()
        .expect("run fixkb backup");
    assert!(status.success(), "fixkb backup failed while serving");
    let acked_before_backup = acked.lock().expect("lock").len();
    while acked.lock().expect("lock").len() < acked_before_backup + 50 {
        assert!(Instant::now() < deadline, "the burst stalled after the backup");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let burst = burst.elapsed();
    server.0.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    server.0.wait().expect("reap");
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("client task");
    }

    let acked = acked.lock().expect("lock").clone();
    eprintln!(
        "acknowledged {} in {burst:?} ({:.0}/s, 8 clients, one connection each), unanswered {}, backup after {}",
        acked.len(),
        acked.len() as f64 / burst.as_secs_f64(),
        failed.load(Ordering::Relaxed),
        acked_at_backup_start
    );
    assert!(
        failed.load(Ordering::Relaxed) > 0,
        "the kill landed after the burst, not during it"
    );
    let stored = stored_comments(&data.path().join("fixkb.sqlite3"));
    let lost: Vec<_> = acked.iter().filter(|c| !stored.contains(*c)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged posts lost: {lost:?}",
        lost.len(),
        acked.len()
    );
    // The backup holds everything acknowledged before it started, and nothing invented.
    let in_backup = stored_comments(&backup);
    assert!(
        acked[..acked_at_backup_start]
            .iter()
            .all(|c| in_backup.contains(c))
    );
    assert!(in_backup.is_subset(&stored));

    // The database opens cleanly afterwards.
    let (_server, addr) = start(data.path());
    wait_until_up(addr).await;
}

#[tokio::test]
async fn sigterm_flushes_queued_analytics() {
    let data = tempfile::tempdir().expect("temp dir");
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let (mut server, addr) = start_over(&content, data.path());
    wait_until_up(addr).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request =
        "GET /fixes/disable-task-offload-global/download HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    // The download counter is queued for the writer thread; stop the server at once.
    let pid = server.0.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || {
        let status = server.0.wait();
        (server, status)
    });
    let (_server, status) = tokio::time::timeout(Duration::from_secs(20), exit)
        .await
        .expect("server stops on SIGTERM")
        .expect("join");
    assert!(status.expect("exit status").success());
    let conn = rusqlite::Connection::open(data.path().join("fixkb.sqlite3")).expect("open db");
    let downloads: i64 = conn
        .query_row("SELECT coalesce(sum(count), 0) FROM downloads", [], |r| r.get(0))
        .expect("query");
    assert_eq!(downloads, 1);
    let receipts: i64 = conn
        .query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))
        .expect("query");
    assert_eq!(receipts, 1);
}
