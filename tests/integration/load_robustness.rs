//! The built binary under hostile and heavy traffic over a real loopback socket: many
//! connections at once, clients that drip their headers (slowloris), and content edits while
//! requests keep coming. Small and bounded here; `tests/load/` has the long versions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use fixkb::http::HEADER_READ_TIMEOUT;

const ARTICLE: &str = "/kb/tcp-checksum-offload-vs-task-offload";
const ARTICLE_FILE: &str = "tcp-checksum-offload-vs-task-offload.md";

/// The release-or-test build of `fixkb serve` on a free loopback port; killed on drop.
struct Server {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Server {
    fn start(content: &Path) -> Self {
        Self::spawn(content, None)
    }

    /// With the soft limit on open files lowered to `limit`, to run out of descriptors quickly.
    fn with_fd_limit(content: &Path, limit: u32) -> Self {
        Self::spawn(content, Some(limit))
    }

    fn spawn(content: &Path, fd_limit: Option<u32>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let data = tempfile::tempdir().expect("temp dir");
        let exe = env!("CARGO_BIN_EXE_fixkb");
        let mut command = match fd_limit {
            Some(limit) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {limit} && exec \"$0\" \"$@\""), exe]);
                c
            }
            None => Command::new(exe),
        };
        let log = std::fs::File::create(data.path().join("server.log")).expect("log file");
        let child = command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--content")
            .arg(content)
            .arg("--data")
            .arg(data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start fixkb");
        let server = Self {
            child,
            port,
            _data: data,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = Client::connect(port).and_then(|mut c| c.get("/healthz")) {
                return server;
            }
            assert!(Instant::now() < deadline, "server did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// How many file descriptors the server process has open.
    #[cfg(target_os = "linux")]
    fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .expect("/proc/PID/fd")
            .count()
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal keep-alive HTTP/1.1 client: enough to read sized and chunked responses.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
    }

    fn get(&mut self, path: &str) -> std::io::Result<(u16, String)> {
        write!(
            self.reader.get_mut(),
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )?;
        self.read_response()
    }

    fn read_response(&mut self) -> std::io::Result<(u16, String)> {
        let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&line))?;
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').ok_or_else(|| bad(header))?;
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().map_err(|_| bad(header))?,
                "transfer-encoding" => chunked = value.contains("chunked"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad(&line))?;
                let start = body.len();
                body.resize(start + size + 2, 0);
                self.reader.read_exact(&mut body[start..])?;
                body.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else {
            body.resize(length, 0);
            self.reader.read_exact(&mut body)?;
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// Connections that send a request line and then one header byte at a time, never finishing.
struct Slowloris {
    stop: Arc<AtomicBool>,
    dripper: Option<std::thread::JoinHandle<Vec<TcpStream>>>,
}

impl Slowloris {
    fn open(port: u16, count: usize) -> Self {
        let mut streams = Vec::with_capacity(count);
        for _ in 0..count {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("slowloris connect");
            s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .expect("slowloris request line");
            s.set_nonblocking(true).expect("nonblocking");
            streams.push(s);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let dripper = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                for s in &mut streams {
                    // A refused write means the server closed it: that is the point.
                    let _ = s.write(b"a");
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            streams
        });
        Self {
            stop,
            dripper: Some(dripper),
        }
    }

    /// Stops dripping and hands back the connections.
    fn stop(mut self) -> Vec<TcpStream> {
        self.stop.store(true, Ordering::Relaxed);
        self.dripper
            .take()
            .map(|d| d.join().expect("dripper"))
            .unwrap_or_default()
    }
}

impl Drop for Slowloris {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn repo_content() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

#[test]
fn two_hundred_connections_held_at_once_are_all_served() {
    const CONNECTIONS: usize = 200;
    let server = Server::start(&repo_content());
    let port = server.port;
    let barrier = Arc::new(Barrier::new(CONNECTIONS));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let (barrier, failures) = (barrier.clone(), failures.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let client = Client::connect(port);
                    // Every connection is open before any request is sent, and stays open
                    // until every one of them has had its answers.
                    barrier.wait();
                    let result = client.and_then(|mut c| {
                        for path in ["/healthz", ARTICLE, "/"].iter().cycle().skip(i % 3).take(3) {
                            let (status, _) = c.get(path)?;
                            if status != 200 {
                                return Err(std::io::Error::other(format!("{path}: {status}")));
                            }
                        }
                        Ok(())
                    });
                    barrier.wait();
                    if let Err(e) = result {
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("connection {i}: {e}"));
                    }
                })
                .expect("spawn client")
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    let failures = failures.lock().expect("lock");
    assert!(failures.is_empty(), "{} failed: {failures:#?}", failures.len());
}

#[test]
fn slow_header_clients_do_not_starve_others() {
    let server = Server::start(&repo_content());
    let slow = Slowloris::open(server.port, 200);
    std::thread::sleep(Duration::from_millis(300));
    let mut slowest = Duration::ZERO;
    for i in 0..50 {
        let path = if i % 2 == 0 { "/" } else { ARTICLE };
        let started = Instant::now();
        let (status, _) = Client::connect(server.port)
            .and_then(|mut c| c.get(path))
            .unwrap_or_else(|e| panic!("request {i} to {path} while slowloris ran: {e}"));
        assert_eq!(status, 200, "{path}");
        slowest = slowest.max(started.elapsed());
    }
    drop(slow.stop());
    // Starved would mean waiting for the header read timeout (or for ever).
    assert!(
        slowest < Duration::from_secs(5),
        "with 200 slow clients connected the slowest normal request took {slowest:?}"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn slow_headers_are_cut_off_so_descriptors_come_back() {
    const FD_LIMIT: u32 = 256;
    let mut server = Server::with_fd_limit(&repo_content(), FD_LIMIT);
    // More slow connections than the server has descriptors left: it cannot accept anyone
    // until the header read timeout closes some.
    let count = (FD_LIMIT as usize).saturating_sub(server.open_fds()) + 16;
    let slow = Slowloris::open(server.port, count);
    let started = Instant::now();
    let mut client = Client::connect(server.port).expect("connect (queued by the kernel)");
    let answer = client.get("/healthz");
    let waited = started.elapsed();
    let mut streams = slow.stop();
    assert!(
        matches!(answer, Ok((200, _))),
        "a normal client behind {count} slow ones after {waited:?}: {answer:?}"
    );
    assert!(
        waited <= HEADER_READ_TIMEOUT + Duration::from_secs(5),
        "served only after {waited:?}"
    );
    // The first slow connection was accepted at once, so the server has closed it by now.
    let first = streams.first_mut().expect("slow connections");
    first.set_nonblocking(false).expect("blocking");
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut rest = Vec::new();
    let closed = first.read_to_end(&mut rest);
    assert!(
        closed.is_ok()
            || closed
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the server should have closed a connection that never finished its headers: {closed:?}"
    );
    assert!(
        server.is_running(),
        "running out of descriptors must not stop the server"
    );
}

/// Sends raw bytes on a fresh connection, half-closes, and returns the status of whatever
/// came back (`None` when the server closed without answering).
fn raw_exchange(port: u16, bytes: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    // The server may answer and close before reading everything (e.g. 431): that is fine.
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    reply.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[test]
fn garbage_on_the_socket_gets_a_4xx_or_a_close_never_a_5xx() {
    let mut server = Server::start(&repo_content());
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..500).map(|i| format!("X-{i}: v\r\n")).collect::<String>()
    );
    let huge_uri = format!(
        "GET /search?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary noise", vec![0, 159, 146, 150, 255, 254, 13, 10, 13, 10]),
        ("no version", b"GET /\r\n\r\n".to_vec()),
        ("bad method", b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("invalid UTF-8 path", b"GET /kb/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("space in path", b"GET /kb/a b HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("huge header", huge_header.into_bytes()),
        ("500 headers", many_headers.into_bytes()),
        ("huge URI", huge_uri.into_bytes()),
        (
            "absurd content-length",
            b"POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(),
        ),
        (
            "two content-lengths",
            b"POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
        ),
        (
            "truncated body",
            b"POST /api/fixes/disable-task-offload/render HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"params\":"
                .to_vec(),
        ),
        (
            "bad chunk size",
            b"POST /verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "oversized chunked body",
            format!(
                "POST /verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                3 * 1024 * 1024,
                "a".repeat(3 * 1024 * 1024)
            )
            .into_bytes(),
        ),
    ];
    for (name, bytes) in &cases {
        let status = raw_exchange(server.port, bytes);
        assert!(
            status.is_none_or(|s| (400..500).contains(&s)),
            "{name}: got {status:?}"
        );
    }
    assert!(server.is_running(), "the server died");
    let (status, _) = Client::connect(server.port)
        .and_then(|mut c| c.get("/healthz"))
        .expect("healthz after the garbage");
    assert_eq!(status, 200);
}

#[test]
fn content_edits_under_traffic_lose_no_request() {
    const CLIENTS: usize = 8;
    let content = tempfile::tempdir().expect("temp content");
    copy_dir(&repo_content(), content.path());
    let server = Server::start(content.path());
    let port = server.port;
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (stop, served, failures) = (stop.clone(), served.clone(), failures.clone());
            std::thread::spawn(move || {
                let mut client = Client::connect(port).expect("connect");
                let paths = ["/", ARTICLE, "/healthz", "/sitemap.xml"];
                let mut n = i;
                while !stop.load(Ordering::Relaxed) {
                    let path = paths[n % paths.len()];
                    n += 1;
                    match client.get(path) {
                        Ok((200, _)) => {
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            failures.lock().expect("lock").push(format!("{path}: {other:?}"));
                            // A lost connection is a failure; carry on with a new one.
                            match Client::connect(port) {
                                Ok(c) => client = c,
                                Err(_) => return,
                            }
                        }
                    }
                }
            })
        })
        .collect();

    // Edit an article, add one and delete one, slower than the watcher's debounce so each
    // round is reloaded while the clients keep asking.
    let article = content.path().join(ARTICLE_FILE);
    let original = std::fs::read_to_string(&article).expect("article");
    let rounds = 8;
    for round in 0..rounds {
        std::fs::write(&article, format!("{original}\n\nEdit marker {round}.\n")).expect("edit");
        let extra = content.path().join(format!("extra-{round}.md"));
        std::fs::write(&extra, format!("# Extra {round}\n\nAdded under load.\n")).expect("add");
        if round > 0 {
            let _ = std::fs::remove_file(content.path().join(format!("extra-{}.md", round - 1)));
        }
        std::thread::sleep(Duration::from_millis(450));
    }
    let last = format!("Edit marker {}.", rounds - 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut probe = Client::connect(port).expect("connect");
    loop {
        let (status, body) = probe.get(ARTICLE).expect("article after edits");
        if status == 200 && body.contains(&last) {
            break;
        }
        assert!(Instant::now() < deadline, "the last edit never showed up");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client thread");
    }
    let failures = failures.lock().expect("lock");
    assert!(failures.is_empty(), "requests lost during reloads: {failures:#?}");
    assert!(
        served.load(Ordering::Relaxed) > 100,
        "too little traffic to mean anything: {}",
        served.load(Ordering::Relaxed)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
