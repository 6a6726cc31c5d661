//! The store behind HTTP: feedback committed before OK, cross-site POSTs refused, rate limits,
//! receipts and `/verify`, the admin area's login, CSRF and reports, and inert comments.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use fixkb::config::Config;
use fixkb::content::Library;
use fixkb::state::{App, AppState};
use fixkb::store::{NewReceipt, RateLimit, Store, StoreOptions};

use crate::common::{TestResponse, fixtures};

pub(crate) const TOKEN: &str = "correct-horse-battery-staple";

/// The app over the `valid` fixture with a store on disk and (optionally) an admin token.
pub(crate) struct StoreApp {
    pub(crate) state: AppState,
    _data: tempfile::TempDir,
}

impl StoreApp {
    pub(crate) fn new(admin_token: Option<&str>, rate_limit: RateLimit) -> Self {
        Self::over(fixtures().join("valid"), admin_token, rate_limit)
    }

    pub(crate) fn over(
        content: std::path::PathBuf,
        admin_token: Option<&str>,
        rate_limit: RateLimit,
    ) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(&content, data.path());
        config.public_url = Some("https://kb.example.test".into());
        config.admin_token = admin_token.map(Into::into);
        let options = StoreOptions {
            rate_limit,
            ..StoreOptions::default()
        };
        let store = Store::open_with(data.path(), options).expect("open store");
        let library = Library::load(&content, None);
        let state = AppState(Arc::new(App::with_store(config, library, store)));
        Self { state, _data: data }
    }

    pub(crate) fn admin() -> Self {
        Self::new(Some(TOKEN), RateLimit::default())
    }

    pub(crate) fn store(&self) -> &Store {
        &self.state.store
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> TestResponse {
        crate::common::send(&self.state, request).await
    }

    pub(crate) async fn get(&self, uri: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request")).await
    }

    /// A same-origin form POST from `client`.
    pub(crate) async fn post(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        client: &str,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let body = serde_urlencoded::to_string(form).expect("form");
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !extra.iter().any(|(name, _)| *name == "sec-fetch-site") {
            request = request.header("sec-fetch-site", "same-origin");
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::from(body)).expect("request");
        let addr = SocketAddr::new(client.parse::<IpAddr>().expect("ip"), 50_000);
        request.extensions_mut().insert(ConnectInfo(addr));
        self.send(request).await
    }

    /// Logs in and returns the `Cookie` header value.
    pub(crate) async fn login(&self) -> String {
        let response = self
            .post("/admin/login", &[("token", TOKEN)], "10.9.9.9", &[])
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text());
        let set_cookie = response.header("set-cookie").to_owned();
        set_cookie.split(';').next().expect("cookie pair").to_owned()
    }
}

pub(crate) fn receipt(id: &str, sha256: &str) -> NewReceipt {
    NewReceipt {
        id: id.into(),
        fix_id: "disable-task-offload".into(),
        fix_version: 1,
        revision: "rev-1".into(),
        params_json: r#"{"adapter":"Ethernet 2","enable":false}"#.into(),
        sha256: sha256.into(),
    }
}

#[tokio::test]
async fn article_feedback_is_stored_before_the_thank_you() {
    let app = StoreApp::new(None, RateLimit::default());
    let response = app
        .post(
            "/kb/offload",
            &[("helpful", "no"), ("comment", "Still drops")],
            "10.0.0.1",
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.text().contains("Thank you for your feedback"));
    assert_eq!(app.store().article_votes("offload").await.expect("votes"), (0, 1));
    let yes = app
        .post("/kb/offload", &[("helpful", "yes")], "10.0.0.2", &[])
        .await;
    assert_eq!(yes.status, StatusCode::OK);
    assert_eq!(app.store().article_votes("offload").await.expect("votes"), (1, 1));
}

#[tokio::test]
async fn feedback_needs_an_existing_article_and_a_yes_or_no() {
    let app = StoreApp::new(None, RateLimit::default());
    let missing = app
        .post("/kb/no-such-article", &[("helpful", "yes")], "10.0.0.1", &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = app
        .post("/kb/offload", &[("helpful", "maybe")], "10.0.0.1", &[])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.store().article_votes("offload").await.expect("votes"), (0, 0));
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = StoreApp::new(None, RateLimit::default());
    let form = [("helpful", "no")];
    let cross = app
        .post(
            "/kb/offload",
            &form,
            "10.0.0.1",
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let same_site = app
        .post(
            "/kb/offload",
            &form,
            "10.0.0.1",
            &[("sec-fetch-site", "same-site")],
        )
        .await;
    assert_eq!(same_site.status, StatusCode::FORBIDDEN);
    // Older browsers: Origin only.
    let mut request = Request::post("/kb/offload")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from("helpful=no"))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 1))));
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    let mut request = Request::post("/kb/offload")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://kb.example.test")
        .body(Body::from("helpful=no"))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 1))));
    assert_eq!(app.send(request).await.status, StatusCode::OK);
    assert_eq!(app.store().article_votes("offload").await.expect("votes"), (0, 1));
}

#[tokio::test]
async fn a_client_over_the_rate_limit_gets_429() {
    let limit = RateLimit {
        max: 2,
        window: Duration::from_secs(600),
    };
    let app = StoreApp::new(None, limit);
    for _ in 0..2 {
        let ok = app
            .post("/kb/offload", &[("helpful", "yes")], "192.0.2.1", &[])
            .await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let limited = app
        .post("/kb/offload", &[("helpful", "yes")], "192.0.2.1", &[])
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let other = app
        .post("/kb/offload", &[("helpful", "yes")], "192.0.2.2", &[])
        .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(app.store().article_votes("offload").await.expect("votes"), (2, 0));
}

#[tokio::test]
async fn an_overlong_comment_is_422_and_offered_again() {
    let app = StoreApp::new(None, RateLimit::default());
    let comment = "x".repeat(2001);
    let response = app
        .post(
            "/kb/offload",
            &[("helpful", "no"), ("comment", &comment)],
            "10.0.0.1",
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().contains(&comment), "the typed text is not lost");
    assert_eq!(app.store().article_votes("offload").await.expect("votes"), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_posts_all_succeed() {
    let app = Arc::new(StoreApp::new(None, RateLimit::default()));
    let mut tasks = Vec::new();
    for i in 0..100u32 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let client = format!("10.1.{}.{}", i / 200, i % 200);
            let comment = format!("parallel {i}");
            app.post(
                "/kb/offload",
                &[("helpful", "yes"), ("comment", &comment)],
                &client,
                &[],
            )
            .await
            .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    assert_eq!(
        app.store().article_votes("offload").await.expect("votes"),
        (100, 0)
    );
}

#[tokio::test]
async fn receipt_page_shows_the_record_and_takes_outcomes() {
    let app = StoreApp::new(None, RateLimit::default());
    app.store()
        .record_receipt(receipt("r0a1b2c3", "aa11"))
        .await
        .expect("record");
    app.store()
        .record_receipt(receipt("r0a1b2c3", "aa11"))
        .await
        .expect("record");
    let page = app.get("/r/r0a1b2c3", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    for expected in [
        "disable-task-offload",
        "rev-1",
        "aa11",
        "Ethernet 2",
        "Times generated</th><td>2",
    ] {
        assert!(text.contains(expected), "missing {expected}");
    }
    assert_eq!(app.get("/r/unknown", None).await.status, StatusCode::NOT_FOUND);

    let posted = app
        .post(
            "/r/r0a1b2c3",
            &[("worked", "yes"), ("comment", "fixed it")],
            "10.0.0.1",
            &[],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let after = app.get(posted.header("location"), None).await.text();
    assert!(after.contains("your report was recorded"));
    assert!(after.contains("1 worked, 0 did not"));
    let unknown = app.post("/r/unknown", &[("worked", "no")], "10.0.0.1", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

fn multipart(field: &str, filename: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fixkbtest42";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn verify_recognises_exact_pasted_modified_and_foreign_scripts() {
    let app = StoreApp::new(None, RateLimit::default());
    let script = "\u{feff}# Receipt: r0a1b2c3\r\nparam()\r\nWrite-Host 'x'\r\n";
    let sha = fixkb::util::sha256_hex(script.as_bytes());
    app.store()
        .record_receipt(receipt("r0a1b2c3", &sha))
        .await
        .expect("record");

    let verify = |form: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = serde_urlencoded::to_string(pairs).expect("form");
        Request::post("/verify")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    };
    let exact = app.send(verify(vec![("script", script.into())])).await;
    assert!(
        exact.text().contains("Unmodified fixkb script</p>"),
        "{}",
        exact.text()
    );
    assert!(exact.text().contains(&sha));

    let pasted = "# Receipt: r0a1b2c3\nparam()\nWrite-Host 'x'";
    let same = app.send(verify(vec![("script", pasted.into())])).await.text();
    assert!(same.contains("apart from line endings"));

    let modified = pasted.replace("'x'", "'y'");
    let changed = app.send(verify(vec![("script", modified)])).await.text();
    assert!(changed.contains("Modified script") && changed.contains("/r/r0a1b2c3"));

    let foreign = app
        .send(verify(vec![("script", "echo hello".into())]))
        .await
        .text();
    assert!(foreign.contains("Not generated here"));

    let (content_type, body) = multipart("file", "Fix.ps1", script.as_bytes());
    let request = Request::post("/verify")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request");
    let uploaded = app.send(request).await;
    assert_eq!(uploaded.status, StatusCode::OK);
    assert!(uploaded.text().contains("Unmodified fixkb script</p>"));

    let (content_type, body) = multipart("file", "big.ps1", &vec![b'a'; 600 * 1024]);
    let request = Request::post("/verify")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.get("/verify", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn comments_with_html_and_script_come_back_inert() {
    let app = StoreApp::admin();
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let article = app
        .post(
            "/kb/offload",
            &[("helpful", "no"), ("comment", hostile)],
            "10.0.0.1",
            &[],
        )
        .await;
    assert_eq!(article.status, StatusCode::OK);
    app.store()
        .record_receipt(receipt("r1", "s1"))
        .await
        .expect("record");
    let outcome = app
        .post(
            "/r/r1",
            &[("worked", "no"), ("comment", hostile)],
            "10.0.0.2",
            &[],
        )
        .await;
    assert_eq!(outcome.status, StatusCode::SEE_OTHER);
    // Stored as typed (plain text) ...
    let stored = app.store().recent_comments(10).await.expect("comments");
    assert!(stored.iter().all(|c| c.comment == hostile));
    // ... and escaped wherever shown.
    let cookie = app.login().await;
    let admin = app.get("/admin", Some(&cookie)).await.text();
    assert!(!admin.contains("<script>alert") && !admin.contains("<img src=x"));
    assert_eq!(escaped_script(&admin), 2, "both comments shown, escaped: {admin}");
    // The 422 page echoes the comment inside a textarea, escaped too.
    let long = format!("{hostile}{}", "x".repeat(2000));
    let again = app
        .post(
            "/kb/offload",
            &[("helpful", "no"), ("comment", &long)],
            "10.0.0.3",
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!again.text().contains("<script>alert"));
    assert_eq!(escaped_script(&again.text()), 1);
    // The receipt page shows the outcome count, never the comment.
    assert!(!app.get("/r/r1", None).await.text().contains("<script>alert"));
}

/// How often the hostile comment's script tag appears HTML-escaped (named or numeric entities).
fn escaped_script(html: &str) -> usize {
    html.matches("&lt;script&gt;alert(1)&lt;/script&gt;").count()
        + html.matches("&#60;script&#62;alert(1)&#60;/script&#62;").count()
}

#[tokio::test]
async fn downloaded_scripts_verify_against_their_receipts() {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let app = StoreApp::over(content, None, RateLimit::default());
    let verify = |script: Vec<u8>| {
        let (content_type, body) = multipart("file", "script", &script);
        Request::post("/verify")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request")
    };
    for (fix, query) in [
        ("disable-task-offload-global", ""),
        ("disable-task-offload", "adapter=Ethernet%202"),
    ] {
        let download = app.get(&format!("/fixes/{fix}/download?{query}"), None).await;
        assert_eq!(download.status, StatusCode::OK, "{fix}: {}", download.text());
        let sha = fixkb::util::sha256_hex(&download.body);
        let receipt = app
            .store()
            .receipt_by_sha256(&sha)
            .await
            .expect("lookup")
            .expect("receipt recorded");
        assert_eq!((receipt.fix_id.as_str(), receipt.count), (fix, 1));

        let exact = app.send(verify(download.body.clone())).await.text();
        assert!(exact.contains("Unmodified fixkb script</p>"), "{fix}");
        assert!(exact.contains(&format!("/r/{}", receipt.id)));

        // As pasted from an editor: UTF-8 text, LF line endings, no BOM.
        let text = match download.body.strip_prefix(&[0xFF, 0xFE]) {
            Some(utf16) => String::from_utf16(
                &utf16
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect::<Vec<_>>(),
            )
            .expect("utf-16"),
            None => String::from_utf8(download.body.clone()).expect("utf-8"),
        };
        let pasted = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
        let same = app.send(verify(pasted.clone().into_bytes())).await.text();
        assert!(same.contains("apart from line endings"), "{fix}");

        // One changed line: recognised as a modified copy of this receipt.
        let tampered = pasted.replacen('\n', "\nrem injected\n", 3);
        let modified = app.send(verify(tampered.into_bytes())).await.text();
        assert!(
            modified.contains("Modified script") && modified.contains(&receipt.id),
            "{fix}"
        );

        // The receipt page offers the same script again, byte for byte.
        let page = app.get(&format!("/r/{}", receipt.id), None).await.text();
        if fix == "disable-task-offload" {
            assert!(
                page.contains("Adapter name <code>adapter</code>"),
                "labels from the fix"
            );
        }
        let prefix = format!("href=\"/fixes/{fix}/download");
        let link = page
            .split(&prefix)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|rest| {
                format!(
                    "/fixes/{fix}/download{}",
                    rest.replace("&#38;", "&").replace("&amp;", "&")
                )
            })
            .unwrap_or_else(|| panic!("{fix}: no download link in {page}"));
        let again = app.get(&link, None).await;
        assert_eq!(again.body, download.body, "{fix}: same bytes again");
    }
}
