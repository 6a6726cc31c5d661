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

    // An answer too small to gain from compression goes out as it is: not compressed again
    // at every request by the layer that compresses what is not kept.
    let none = get_accepting(&app, "/api/search?q=zzqx", BROWSER, None).await;
    assert_eq!(none.status, 200);
    assert!(none.body.len() < 512, "{} bytes", none.body.len());
    assert_eq!(none.header("content-encoding"), "");
    assert_eq!(none.header("vary"), "accept-encoding");
    let json: serde_json::Value = serde_json::from_slice(&decoded(&none)).expect("JSON");
    assert_eq!(json["total"], 0);
}

#[tokio::test]
async fn home_and_listing_pages_are_kept_compressed_and_follow_content_edits() {
    let app = TestApp::with_files(&[
        (
            "a.md",
            "---\ntitle: Spooler stalls\nproducts: [Windows Server]\ntags: [printing]\n---\nBody.\n",
        ),
        (
            "b.md",
            "---\ntitle: Offload confusion\nproducts: [Hyper-V]\ntags: [network]\n---\nBody.\n",
        ),
    ]);
    for uri in ["/", "/tags/printing", "/products/Hyper-V"] {
        let plain = app.get(uri).await;
        assert_eq!(plain.status, 200, "{uri}");
        let first = get_accepting(&app, uri, BROWSER, None).await;
        assert_eq!(first.header("content-encoding"), "br", "{uri}");
        assert_eq!(first.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(decoded(&first), plain.body, "{uri} decodes to the page");
        // Kept: the repeat is the same bytes, and a browser holding them gets 304.
        assert_eq!(get_accepting(&app, uri, BROWSER, None).await.body, first.body);
        let tag = first.header("etag");
        assert!(tag.ends_with("-br\""), "{uri}: {tag}");
        let not_modified = get_accepting(&app, uri, BROWSER, Some(tag)).await;
        assert_eq!(not_modified.status, 304, "{uri}");
    }
    assert!(app.get("/tags/printing").await.text().contains("Spooler stalls"));
    // Nothing filed under it: a 404, and still one after the tag appears in an edit.
    assert_eq!(app.get("/tags/storage").await.status, 404);

    // An edit is a new revision: the kept pages are not served again.
    crate::common::write(
        &app.content,
        "c.md",
        "---\ntitle: Disks go offline\ntags: [storage, printing]\n---\nBody.\n",
    );
    app.state.reload();
    let home = app.get("/").await.text();
    assert!(home.contains("Disks go offline"), "{home}");
    let listing = decoded(&get_accepting(&app, "/tags/printing", BROWSER, None).await);
    assert!(String::from_utf8_lossy(&listing).contains("Disks go offline"));
    assert_eq!(app.get("/tags/storage").await.status, 200);
}

#[tokio::test]
async fn results_pages_are_kept_with_their_answer() {
    let app = TestApp::real_content();
    let uri = "/search?q=vms+lose+network+connectivity";
    let plain = app.get(uri).await;
    assert_eq!(plain.status, 200);
    assert!(plain.text().contains("tcp-checksum-offload-vs-task-offload"));
    let first = get_accepting(&app, uri, BROWSER, None).await;
    assert_eq!(first.header("content-encoding"), "br");
    assert_eq!(first.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(decoded(&first), plain.body);
    assert_eq!(get_accepting(&app, uri, BROWSER, None).await.body, first.body);
    // What is sent is what the kept answer holds.
    let request = fixkb::search::SearchRequest {
        q: "vms lose network connectivity".into(),
        limit: Some(fixkb::search::DEFAULT_LIMIT),
        ..Default::default()
    };
    let answer = (app.state.search)
        .cached_answer(&app.state.library(), &request)
        .expect("the answer is kept");
    // Kept under the address the site's own links use, whichever spelling was asked.
    let kept = answer
        .page("/search?q=vms%20lose%20network%20connectivity")
        .expect("its page is kept");
    assert_eq!(kept.identity(), &plain.body);

    // Another address for the same search renders its own page, not the kept one: a limit
    // of one shows one hit.
    let one = app.get(&format!("{uri}&limit=1")).await.text();
    assert_eq!(one.matches("class=\"hit\"").count(), 1, "{one}");
    assert!(plain.text().matches("class=\"hit\"").count() > 1);
    // Filters are part of the address: the kept page of the unfiltered search is not sent.
    let filtered = app.get(&format!("{uri}&product=XenServer")).await.text();
    assert_ne!(filtered, plain.text());
}

#[tokio::test]
async fn downloads_are_sent_as_their_exact_bytes_whatever_the_client_accepts() {
    let app = TestApp::real_content();
    let uri = "/fixes/disable-task-offload/download?adapter=Ethernet%202";
    let download = get_accepting(&app, uri, BROWSER, None).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-encoding"), "");
    assert!(download.header("content-disposition").starts_with("attachment"));
    assert_eq!(
        download.header("x-content-sha256"),
        fixkb::util::sha256_hex(&download.body)
    );
    // The form page around it is still compressed.
    let page = get_accepting(
        &app,
        "/fixes/disable-task-offload?adapter=Ethernet%202",
        BROWSER,
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-encoding"), "br");
}

#[tokio::test]
async fn fix_pages_are_kept_but_every_preview_is_a_receipted_generation() {
    let app = TestApp::real_content();
    let uri = "/fixes/disable-task-offload?adapter=Ethernet%202";
    let plain = app.get(uri).await;
    assert_eq!(plain.status, 200);
    let receipt = plain
        .text()
        .split("data-preview-receipt>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the preview names its receipt")
        .to_owned();
    let first = get_accepting(&app, uri, BROWSER, None).await;
    assert_eq!(first.header("content-encoding"), "br");
    assert!(
        first.header("etag").ends_with("-br\""),
        "kept: {}",
        first.header("etag")
    );
    assert_eq!(decoded(&first), plain.body);
    let again = get_accepting(&app, uri, BROWSER, Some(first.header("etag"))).await;
    assert_eq!(again.status, 304);
    // Three previews, three generations on the receipt, though the page was laid out once.
    let stored = app
        .state
        .store
        .receipt(&receipt)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(stored.count, 3);

    // The form shows the values as typed: another spelling of the same values is another page
    // with the same script.
    let spaced = app.get("/fixes/disable-task-offload?adapter=+Ethernet+2+").await;
    assert_eq!(spaced.status, 200);
    assert!(spaced.text().contains(&receipt));
    assert!(
        spaced.text().contains("value=\" Ethernet 2 \""),
        "{}",
        spaced.main()
    );
    // A bad value is not kept as a page: it is a 422 naming the field, every time.
    for _ in 0..2 {
        let bad = app.get("/fixes/disable-task-offload?adapter=").await;
        assert_eq!(bad.status, 422);
    }
}

#[tokio::test]
async fn responses_made_per_request_are_compressed_when_big_enough_to_gain() {
    let app = TestApp::real_content();
    // A suggestion is a few hundred bytes at most: compressing it saves less than the headers.
    let small = get_accepting(&app, "/api/suggest?q=task%20off", BROWSER, None).await;
    assert_eq!(small.status, 200);
    assert!(small.body.len() < 512, "{} bytes", small.body.len());
    assert_eq!(small.header("content-encoding"), "");
    assert!(small.text().contains("Task Offload"), "{}", small.text());
    // The list of fixes is bigger, made per request, and compressed by the layer.
    let plain = app.get("/api/fixes").await;
    assert!(plain.body.len() >= 512, "{} bytes", plain.body.len());
    for (accept, coding) in [(BROWSER, "br"), ("gzip", "gzip")] {
        let compressed = get_accepting(&app, "/api/fixes", accept, None).await;
        assert_eq!(compressed.status, 200);
        assert_eq!(compressed.header("content-encoding"), coding, "{accept}");
        assert!(compressed.body.len() < plain.body.len() / 2, "{accept}");
        assert_eq!(decoded(&compressed), plain.body, "{accept}");
    }
    // At the fastest level, which a gzip header records (its XFL byte: 4 for the fastest, 0 for
    // the default level kept pages use); so are search answers, which are made per search.
    assert_eq!(gzip_level_byte(&app, "/api/fixes").await, 4);
    assert_eq!(gzip_level_byte(&app, "/api/search?q=task%20offload").await, 4);
    assert_eq!(
        gzip_level_byte(&app, "/kb/tcp-checksum-offload-vs-task-offload").await,
        0,
        "a kept page"
    );
}

/// The XFL byte of the gzip header of `uri`'s response.
async fn gzip_level_byte(app: &TestApp, uri: &str) -> u8 {
    let r = get_accepting(app, uri, "gzip", None).await;
    assert_eq!(r.header("content-encoding"), "gzip", "{uri}");
    r.body[8]
}
