//! Compressed responses: what a browser gets for pages and answers that are kept, which are
//! compressed once per coding rather than at every request (`encoding.rs`).

use std::io::Read;

use axum::body::Body;
use axum::http::Request;

use crate::common::{TestApp, TestResponse};

const BROWSER: &str = "gzip, deflate, br, zstd";

async fn get_accepting(app: &TestApp, uri: &str, accept: &str, etag: Option<&str>) -> TestResponse {
    let mut request = Request::get(uri).header("accept-encoding", accept);
    if let Some(tag) = etag {
        request = request.header("if-none-match", tag);
    }
    app.request(request.body(Body::empty()).expect("request")).await
}

/// The response's body decoded as its `Content-Encoding` says.
fn decoded(r: &TestResponse) -> Vec<u8> {
    let mut out = Vec::new();
    match r.header("content-encoding") {
        "" => out.extend_from_slice(&r.body),
        "br" => {
            brotli::Decompressor::new(&r.body[..], 4096)
                .read_to_end(&mut out)
                .expect("valid brotli");
        }
        "gzip" => {
            flate2::read::GzDecoder::new(&r.body[..])
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        other => panic!("unexpected coding {other}"),
    }
    out
}

#[tokio::test]
async fn article_pages_come_compressed_as_the_browser_asks_and_revalidate_per_coding() {
    let app = TestApp::real_content();
    let uri = "/kb/tcp-checksum-offload-vs-task-offload";
    let plain = app.get(uri).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(plain.header("vary"), "accept-encoding");
    let plain_tag = plain.header("etag").to_owned();

    for (accept, coding, suffix) in [(BROWSER, "br", "-br\""), ("gzip", "gzip", "-gz\"")] {
        let first = get_accepting(&app, uri, accept, None).await;
        assert_eq!(first.status, 200);
        assert_eq!(first.header("content-encoding"), coding, "{accept}");
        assert_eq!(first.header("vary"), "accept-encoding");
        assert_eq!(first.header("content-type"), "text/html; charset=utf-8");
        assert!(
            first.body.len() < plain.body.len() / 2,
            "{coding}: {} bytes",
            first.body.len()
        );
        assert_eq!(decoded(&first), plain.body, "{coding} decodes to the page");
        // Each coding is its own representation, with its own tag.
        let tag = first.header("etag").to_owned();
        assert!(tag.ends_with(suffix), "{tag}");
        assert_eq!(tag.replace(&suffix[..suffix.len() - 1], ""), plain_tag);
        // The repeat is the kept bytes, and a browser holding them gets 304.
        let again = get_accepting(&app, uri, accept, None).await;
        assert_eq!(again.body, first.body);
        let not_modified = get_accepting(&app, uri, accept, Some(&tag)).await;
        assert_eq!(not_modified.status, 304);
        assert!(not_modified.body.is_empty());
        assert_eq!(not_modified.header("etag"), tag);
        // Holding the uncompressed page is not holding this one.
        assert_eq!(
            get_accepting(&app, uri, accept, Some(&plain_tag)).await.status,
            200
        );
    }
}

#[tokio::test]
async fn kept_search_answers_are_sent_compressed_without_being_made_again() {
    let app = TestApp::real_content();
    let uri = "/api/search?q=vms+lose+network+connectivity";
    let first = get_accepting(&app, uri, BROWSER, None).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-encoding"), "br");
    assert_eq!(first.header("content-type"), "application/json");
    assert_eq!(first.header("vary"), "accept-encoding");
    let json: serde_json::Value = serde_json::from_slice(&decoded(&first)).expect("JSON");
    assert_eq!(json["hits"][0]["slug"], "tcp-checksum-offload-vs-task-offload");

    // Repeats, in any coding, are the same kept answer: the same JSON to the byte, its
    // `took_ms` the time of the one search that made it.
    let again = get_accepting(&app, uri, BROWSER, None).await;
    assert_eq!(again.body, first.body);
    let plain = app.get(uri).await;
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(plain.body, decoded(&first));
    let gzip = get_accepting(&app, uri, "gzip;q=1, br;q=0", None).await;
    assert_eq!(gzip.header("content-encoding"), "gzip");
    assert_eq!(decoded(&gzip), plain.body);

    // An answer too small to gain from compression is valid either way.
    let none = get_accepting(&app, "/api/search?q=zzqx", BROWSER, None).await;
    assert_eq!(none.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&decoded(&none)).expect("JSON");
    assert_eq!(json["total"], 0);
}
