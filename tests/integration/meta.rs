//! Operations endpoints, static files and response headers.

use crate::common::TestApp;

#[tokio::test]
async fn healthz_reports_ok_and_counts() {
    let json = TestApp::fixture("valid").get("/healthz").await.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["articles"], 2);
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let res = TestApp::fixture("valid").get("/").await;
    let csp = res.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(res.header("x-content-type-options"), "nosniff");
    assert_eq!(res.header("x-frame-options"), "DENY");
    assert!(!res.header("referrer-policy").is_empty());
}

#[tokio::test]
async fn pages_have_no_inline_script() {
    let html = TestApp::fixture("valid").get("/kb/offload").await.text();
    assert!(!html.contains("<script>"), "inline script would violate the CSP");
    assert!(!html.contains(" style=\""), "inline styles would violate the CSP");
}

#[tokio::test]
async fn static_files_are_cached_and_revalidate_by_etag() {
    let app = TestApp::fixture("valid");
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status, 200);
    assert!(res.header("cache-control").contains("immutable"));
    let etag = res.header("etag").to_owned();
    let req = axum::http::Request::get("/static/app.css")
        .header("if-none-match", &etag)
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(app.request(req).await.status, 304);
    assert_eq!(app.get("/static/../Cargo.toml").await.status, 404);
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = TestApp::fixture("valid");
    let req = axum::http::Request::get("/static/app.css")
        .header("accept-encoding", "gzip")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(app.request(req).await.header("content-encoding"), "gzip");
}

#[tokio::test]
async fn sitemap_feed_and_opensearch_are_well_formed_xml() {
    let app = TestApp::fixture("valid");
    for (path, needle) in [
        ("/sitemap.xml", "<loc>https://kb.example.test/kb/offload</loc>"),
        ("/feed.xml", "<title>Offload settings break VM networking</title>"),
        (
            "/opensearch.xml",
            "template=\"https://kb.example.test/search?q={searchTerms}\"",
        ),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        let text = res.text();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path} is not XML: {e}"));
        assert!(text.contains(needle), "{path}: {text}");
    }
}

#[tokio::test]
async fn wrong_method_is_405_not_500() {
    let app = TestApp::fixture("valid");
    let req = axum::http::Request::delete("/kb/offload")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(app.request(req).await.status, 405);
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_content_and_store_counters() {
    let app = TestApp::fixture("valid");
    let res = app.get("/metrics").await;
    assert!(
        res.text().contains("\nfixkb_word_cache_entries 0\n"),
        "{}",
        res.text()
    );
    // A search keeps the words it scored ("offload", "network"), one entry each per segment.
    assert_eq!(app.get("/api/search?q=offload+network").await.status, 200);
    let res = app.get("/metrics").await;
    let entries = res
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("fixkb_word_cache_entries "))
        .map(|n| n.parse::<u64>().expect("a count"));
    assert!(entries.is_some_and(|n| n >= 2), "{}", res.text());
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text();
    assert!(
        text.contains("# TYPE fixkb_articles gauge\nfixkb_articles 2\n"),
        "{text}"
    );
    assert!(text.contains("fixkb_receipts 0\n"));
    assert!(text.contains("fixkb_content_info{revision=\""));
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').expect("name value");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
    }
}
