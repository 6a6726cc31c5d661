//! Test harness: an app over a fixture content folder, and requests without a socket.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use fixkb::config::Config;
use fixkb::content::Library;
use fixkb::state::{App, AppState};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A running app (no socket) over some content, with its own temporary data folder.
pub struct TestApp {
    pub state: AppState,
    pub content: PathBuf,
    _data: tempfile::TempDir,
    _content_dir: Option<tempfile::TempDir>,
}

/// A response read to the end.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The inner HTML of `<main …>`, for snapshots that ignore the page chrome.
    pub fn main(&self) -> String {
        let text = self.text();
        let start = text.find("<main").expect("page has a <main>");
        let end = text.rfind("</main>").expect("page closes <main>");
        text[start..end + 7].to_owned()
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content")
}

impl TestApp {
    /// The app over `tests/fixtures/content/<name>`.
    pub fn fixture(name: &str) -> Self {
        Self::over(fixtures().join(name), None)
    }

    /// The app over the bundled `content/` folder.
    pub fn real_content() -> Self {
        Self::over(Path::new(env!("CARGO_MANIFEST_DIR")).join("content"), None)
    }

    /// The app over a temporary folder holding `files` (relative path, text).
    pub fn with_files(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for (rel, text) in files {
            write(dir.path(), rel, text);
        }
        let path = dir.path().to_owned();
        Self::over(path, Some(dir))
    }

    fn over(content: PathBuf, content_dir: Option<tempfile::TempDir>) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(&content, data.path());
        config.public_url = Some("https://kb.example.test".into());
        // Bodies spilled to the data folder, as the server does.
        let library = Library::load_spilled(&content, None, data.path());
        let state = AppState(Arc::new(App::new(config, library)));
        Self {
            state,
            content,
            _data: data,
            _content_dir: content_dir,
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        send(&self.state, request).await
    }
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Sends `request` through the app over `state` (no socket) and reads the response to the end.
pub async fn send(state: &AppState, request: Request<Body>) -> TestResponse {
    let response = fixkb::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}
