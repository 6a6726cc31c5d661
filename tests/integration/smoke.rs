//! One real-socket smoke test: the built binary serves the bundled content over TCP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn binary_serves_home_and_article_over_tcp_and_stops_on_sigterm() {
    let port = free_port();
    let data = tempfile::tempdir().expect("temp dir");
    let root = env!("CARGO_MANIFEST_DIR");
    let child = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--content")
        .arg(format!("{root}/content"))
        .arg("--data")
        .arg(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fixkb");
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        match http_get(port, "/healthz") {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("server did not come up: {e}"),
        }
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let article = http_get(port, "/kb/1001").expect("get");
    assert!(article.starts_with("HTTP/1.1 301"), "{article}");
    let home = http_get(port, "/").expect("get");
    assert!(
        home.starts_with("HTTP/1.1 200") && home.contains("fixkb"),
        "{home}"
    );

    #[cfg(unix)]
    {
        let pid = server.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.0.try_wait().expect("wait") {
                assert!(status.success(), "graceful shutdown exits 0, got {status}");
                break;
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
