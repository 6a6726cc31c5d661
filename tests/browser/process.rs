//! The processes behind the browser suite and the plain HTTP used to talk to them: finding
//! Chromium and chromedriver, free loopback ports, child processes killed on drop, and one
//! small HTTP/1.1 client for fixkb's API and chromedriver's DevTools endpoint.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A child process killed when dropped, with its log file for failure messages.
pub struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    pub fn spawn(mut command: Command, log: PathBuf) -> Result<Self> {
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {command:?}"))?;
        Ok(Self { child, log })
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Finds Chromium and chromedriver, or explains how to install them.
pub fn locate_browser() -> Result<(PathBuf, PathBuf)> {
    let find = |env: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(env) {
            let p = PathBuf::from(p);
            return p.is_file().then_some(p);
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        names.iter().find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    // Debian's /usr/bin/chromium is a shell wrapper; the real binary sits next to its libraries.
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"]).map(|p| {
        let real = Path::new("/usr/lib/chromium/chromium");
        if p == Path::new("/usr/bin/chromium") && real.is_file() {
            real.to_path_buf()
        } else {
            p
        }
    });
    let driver = find("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Ok((c, d)),
        (c, d) => bail!(
            "the browser tests need Chromium and chromedriver, and {} not found.\n\
             Install them with:  apt-get install chromium chromium-driver\n\
             (or point CHROME and CHROMEDRIVER at the binaries)",
            match (c, d) {
                (None, None) => "neither was",
                (None, Some(_)) => "chromium was",
                _ => "chromedriver was",
            }
        ),
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One HTTP/1.1 exchange on a fresh connection: enough to talk to fixkb and chromedriver
/// without another HTTP client in the dependency tree. Gives up after 30 seconds.
pub async fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Vec<u8>)> {
    tokio::time::timeout(Duration::from_secs(30), exchange(port, method, path, body))
        .await
        .map_err(|_| anyhow!("{method} {path} on port {port} took more than 30 s"))?
}

async fn exchange(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    // Read until the body is complete by its own framing: some servers keep the connection.
    loop {
        let n = stream.read(&mut buf).await?;
        raw.extend_from_slice(&buf[..n]);
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let header = std::str::from_utf8(&raw[..split])?.to_ascii_lowercase();
            let payload = &raw[split + 4..];
            let length = header
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let chunked = header.contains("transfer-encoding: chunked");
            let complete = match length {
                Some(len) => payload.len() >= len,
                None if chunked => payload.ends_with(b"0\r\n\r\n"),
                None => n == 0,
            };
            if complete || n == 0 {
                let status = header
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow!("no status in the answer to {method} {path}"))?;
                let payload = match length {
                    Some(len) => payload[..len.min(payload.len())].to_vec(),
                    None if chunked => dechunk(payload)?,
                    None => payload.to_vec(),
                };
                return Ok((status, payload));
            }
        } else if n == 0 {
            bail!("connection closed before an HTTP header for {method} {path}");
        }
    }
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("truncated chunked body"))?;
        let size_text = std::str::from_utf8(&data[..line_end])?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or_else(|| anyhow!("truncated chunk"))?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

/// Waits until the child answers 200 on `path`; fails with its log if it exits or is slow.
pub async fn wait_until_up(port: u16, path: &str, process: &mut Process, what: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        if let Ok((200, _)) = http(port, "GET", path, None).await {
            return Ok(());
        }
        if let Some(status) = process.child.try_wait()? {
            bail!(
                "{what} exited ({status}) before answering:\n{}",
                process.log_tail()
            );
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!(
                "{what} did not answer {path} within 30 s:\n{}",
                process.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
