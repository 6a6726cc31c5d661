//! Malformed requests get a 4xx (or a normal answer), never a 5xx, and the app keeps serving.

use axum::body::Body;
use axum::http::Request;

use crate::common::TestApp;

/// Paths of every kind of page, including ones that other routes may add.
const PATHS: &[&str] = &[
    "/",
    "/kb/offload",
    "/search",
    "/api/search",
    "/api/suggest",
    "/fixes/disable-task-offload",
    "/api/fixes/disable-task-offload",
    "/products/Hyper-V",
    "/r/abc",
    "/verify",
];

fn hostile_suffixes() -> Vec<String> {
    let long = "a".repeat(64 * 1024);
    vec![
        "?q=%".into(),
        "?q=%zz%".into(),
        "?q=%FF%FE%00".into(),
        "?q=%C0%AF".into(),
        "?q=\"unclosed".into(),
        "?q=(((((((((".into(),
        "?q=AND%20OR%20NOT".into(),
        "?q=*".into(),
        "?q=product:".into(),
        "?q=-".into(),
        "?q=~~~^^^".into(),
        "?page=-1&limit=999999999999999999999".into(),
        "?page=abc&offset=%2B1".into(),
        "?q=a&q=b&q=c".into(),
        "?q[]=x".into(),
        format!("?q={long}"),
        "?adapter=%0d%0aSet-Cookie:%20x".into(),
        "/../../etc/passwd".into(),
        "/%2e%2e/%2e%2e/Cargo.toml".into(),
        "/%252e%252e/%252e%252e/Cargo.toml".into(),
        "/%FF%FE".into(),
        "/%00".into(),
    ]
}

#[tokio::test]
async fn malformed_queries_and_paths_never_get_a_5xx() {
    let app = TestApp::real_content();
    for path in PATHS {
        for suffix in hostile_suffixes() {
            let uri = format!("{path}{suffix}");
            let Ok(request) = Request::get(uri.as_str()).body(Body::empty()) else {
                continue; // not even a valid URI: the HTTP layer rejects it before us
            };
            let res = app.request(request).await;
            assert!(
                res.status.as_u16() < 500,
                "{} for {}",
                res.status,
                &uri[..uri.len().min(120)]
            );
        }
    }
    assert_eq!(app.get("/healthz").await.status, 200, "still serving");
}

#[tokio::test]
async fn traversal_never_reads_files_outside_the_content() {
    let app = TestApp::real_content();
    for uri in [
        "/static/..%2FCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/%252e%252e%252fCargo.toml",
        "/kb/..%2F..%2FCargo.toml",
        "/kb/../Cargo.toml",
    ] {
        let res = app.get(uri).await;
        assert!(
            res.status.is_client_error() || res.status.is_redirection(),
            "{} for {uri}",
            res.status
        );
        assert!(!res.text().contains("[package]"), "{uri} leaked a file");
    }
}

#[tokio::test]
async fn wrong_methods_content_types_and_bodies_are_4xx() {
    let app = TestApp::real_content();
    let cases: Vec<(&str, &str, Option<&str>, Vec<u8>)> = vec![
        ("POST", "/", None, vec![]),
        ("PUT", "/kb/offload", None, vec![]),
        (
            "POST",
            "/api/fixes/disable-task-offload/render",
            Some("text/plain"),
            b"hello".to_vec(),
        ),
        (
            "POST",
            "/api/fixes/disable-task-offload/render",
            Some("application/json"),
            b"{\"params\": [1,2]}".to_vec(),
        ),
        (
            "POST",
            "/api/fixes/disable-task-offload/render",
            Some("application/json"),
            b"{\"params\": {".to_vec(),
        ),
        (
            "POST",
            "/api/fixes/disable-task-offload/render",
            Some("application/json"),
            vec![0xff, 0xfe, 0x00],
        ),
        (
            "POST",
            "/api/fixes/no-such-fix/render",
            Some("application/json"),
            b"{\"params\": {}}".to_vec(),
        ),
        (
            "POST",
            "/verify",
            Some("application/x-www-form-urlencoded"),
            vec![b'a'; 3 * 1024 * 1024],
        ),
    ];
    for (method, uri, content_type, body) in cases {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        let res = app
            .request(builder.body(Body::from(body)).expect("request"))
            .await;
        assert!(res.status.is_client_error(), "{} for {method} {uri}", res.status);
    }
}

#[tokio::test]
async fn huge_headers_do_not_break_the_app() {
    let app = TestApp::real_content();
    let request = Request::get("/")
        .header("x-junk", "x".repeat(60 * 1024))
        .header("accept-encoding", "gzip, br, ".repeat(500))
        .body(Body::empty())
        .expect("request");
    assert!(app.request(request).await.status.as_u16() < 500);
}
