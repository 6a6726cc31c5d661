//! Article pages, redirects, listings and error pages.

use crate::common::TestApp;

#[tokio::test]
async fn article_page_renders_with_metadata_toc_and_callouts() {
    let app = TestApp::fixture("valid");
    let res = app.get("/kb/offload").await;
    assert_eq!(res.status, 200);
    let html = res.text();
    assert!(html.contains("<title>Offload settings break VM networking · fixkb</title>"));
    assert!(html.contains("<link rel=\"canonical\" href=\"https://kb.example.test/kb/offload\">"));
    assert!(html.contains("<meta property=\"og:description\" content=\"Task offload on the host adapter makes guest traffic stall.\">"));
    assert!(html.contains("<meta name=\"twitter:card\""));
    assert!(html.contains("href=\"#fix-it\""), "custom id in the TOC");
    assert!(html.contains("callout-warning"));
    assert!(
        html.contains("href=\"/kb/nested/other#cause\""),
        "relative link rewritten"
    );
    assert!(html.contains("href=\"/products/Hyper%2DV\""));
    insta::assert_snapshot!(res.main());
}

#[tokio::test]
async fn kb_number_and_alias_redirect_permanently_to_the_slug() {
    let app = TestApp::fixture("valid");
    for from in ["/kb/42", "/kb/KB42", "/kb/old-offload"] {
        let res = app.get(from).await;
        assert_eq!(res.status, 301, "{from}");
        assert_eq!(res.header("location"), "/kb/offload", "{from}");
    }
}

#[tokio::test]
async fn unknown_slug_is_a_404_page_with_a_search_box() {
    let app = TestApp::fixture("valid");
    let res = app.get("/kb/no-such-article").await;
    assert_eq!(res.status, 404);
    let html = res.text();
    assert!(html.contains("Page not found"));
    assert!(html.contains("name=\"q\""));
    assert!(
        html.contains("value=\"no such article\""),
        "search box pre-filled"
    );
}

#[tokio::test]
async fn unknown_api_path_is_json_404() {
    let app = TestApp::fixture("valid");
    let res = app.get("/api/articles/nope").await;
    assert_eq!(res.status, 404);
    assert!(res.json()["error"].as_str().is_some());
}

#[tokio::test]
async fn api_article_has_metadata_and_path() {
    let app = TestApp::fixture("valid");
    let json = app.get("/api/articles/offload").await.json();
    assert_eq!(json["id"], 42);
    assert_eq!(json["path"], "offload.md");
    assert_eq!(json["url"], "https://kb.example.test/kb/offload");
    assert_eq!(json["toc"][1]["id"], "fix-it");
}

#[tokio::test]
async fn stale_article_shows_needs_review() {
    let app = TestApp::fixture("valid");
    let html = app.get("/kb/nested/other").await.text();
    assert!(html.contains("Needs review"));
    let fresh = app.get("/kb/offload").await.text();
    assert!(!fresh.contains("Needs review"));
}

#[tokio::test]
async fn foreign_docs_folder_serves_without_edits() {
    let app = TestApp::fixture("msdocs");
    assert!(
        app.state.library().diagnostics.is_empty(),
        "{:?}",
        app.state.library().diagnostics
    );
    let res = app.get("/kb/docs/networking/task-offload").await;
    assert_eq!(res.status, 200);
    let html = res.text();
    assert!(
        html.contains("How TCP task offload works"),
        "description used as summary"
    );
    assert!(html.contains("31 March 2011"), "ms.date used as published");
    let home = app.get("/kb/index").await.text();
    assert!(home.contains("href=\"/kb/docs/networking/task-offload\""));
}

#[tokio::test]
async fn broken_content_is_reported_and_the_rest_serves() {
    let app = TestApp::fixture("broken");
    let lib = app.state.library();
    let lines: Vec<String> = lib.diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("bad-yaml.md:") && l.contains("not valid YAML")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("dup-id-b.md:2: error: id 5")),
        "{lines:?}"
    );
    assert_eq!(app.get("/kb/good").await.status, 200);
    assert_eq!(app.get("/kb/bad-yaml").await.status, 404);
}

#[tokio::test]
async fn home_lists_products_with_counts_and_recent_articles() {
    let app = TestApp::fixture("valid");
    let res = app.get("/").await;
    assert_eq!(res.status, 200);
    let html = res.text();
    assert!(
        html.contains(">Hyper-V</a> <span class=\"count\">2</span>"),
        "{html}"
    );
    assert!(html.contains("Offload settings break VM networking"));
}

#[tokio::test]
async fn product_and_tag_pages_list_their_articles() {
    let app = TestApp::fixture("valid");
    let res = app.get("/products/Windows%20Server%202008%20R2").await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("Offload settings break VM networking"));
    assert!(!res.text().contains("Another networking article"));
    let tag = app.get("/tags/networking").await.text();
    assert!(tag.contains("2 articles"));
    assert_eq!(app.get("/tags/nonexistent").await.status, 404);
}

#[tokio::test]
async fn long_listings_come_in_pages_of_fifty_by_title() {
    let files: Vec<(String, String)> = (0..120)
        .map(|i| {
            let tags = if i % 10 == 0 { "[bulk, rare]" } else { "[bulk]" };
            (
                format!("a{i:03}.md"),
                format!("---\ntitle: Article {i:03}\ntags: {tags}\n---\nBody.\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let app = TestApp::with_files(&files);
    let titles = |html: &str| -> Vec<String> {
        html.match_indices("Article ")
            .filter_map(|(i, _)| html.get(i..i + 11))
            .filter(|t| t[8..].bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };

    let first = app.get("/tags/bulk").await.main();
    assert!(first.contains("120 articles, 1–50 shown"), "{first}");
    let shown = titles(&first);
    assert_eq!(shown.len(), 50);
    assert_eq!(
        (shown[0].as_str(), shown[49].as_str()),
        ("Article 000", "Article 049")
    );
    assert!(
        first.contains("href=\"/tags/bulk?page=2\" rel=\"next\""),
        "{first}"
    );
    assert!(first.contains("href=\"/tags/bulk?page=3\""));
    assert!(!first.contains("rel=\"prev\""));

    let last = app.get("/tags/bulk?page=3").await;
    assert_eq!(last.status, 200);
    let last = last.main();
    assert!(last.contains("101–120 shown"), "{last}");
    assert_eq!(titles(&last).first().map(String::as_str), Some("Article 100"));
    assert_eq!(titles(&last).len(), 20);
    assert!(last.contains("href=\"/tags/bulk?page=2\" rel=\"prev\""));
    assert!(!last.contains("rel=\"next\""));

    let past = app.get("/tags/bulk?page=4").await;
    assert_eq!(past.status, 404);
    assert!(past.text().contains("This list has 3 pages"), "{}", past.text());
    // A malformed page number is the first page, as on the results page.
    assert_eq!(app.get("/tags/bulk?page=zz").await.main(), first);
    // A short list is one page with no pager.
    let rare = app.get("/tags/rare").await.main();
    assert!(rare.contains("12 articles."), "{rare}");
    assert!(!rare.contains("class=\"pager\""));
}

#[tokio::test]
async fn hot_reload_picks_up_new_edited_and_deleted_files() {
    let app = TestApp::with_files(&[("a.md", "# First title\n")]);
    let _watcher = fixkb::content::watch::spawn(app.state.0.clone()).expect("watcher");
    crate::common::write(&app.content, "b.md", "# New article\n");
    crate::common::write(&app.content, "a.md", "# Edited title\n");
    wait_until(|| {
        let lib = app.state.library();
        lib.article("b").is_some() && lib.article("a").is_some_and(|a| a.title == "Edited title")
    })
    .await;
    crate::common::write(&app.content, "a.md", "---\ntitle: [broken\n---\n");
    wait_until(|| {
        app.state
            .library()
            .diagnostics
            .iter()
            .any(|d| d.message.contains("last good version"))
    })
    .await;
    assert_eq!(
        app.state
            .library()
            .article("a")
            .map(|a| a.title.clone())
            .as_deref(),
        Some("Edited title")
    );
    std::fs::remove_file(app.content.join("b.md")).expect("remove");
    wait_until(|| app.state.library().article("b").is_none()).await;
}

#[tokio::test]
async fn reading_the_content_folder_reloads_nothing_and_a_burst_of_saves_reloads_once() {
    let files: Vec<(String, String)> = (0..50)
        .map(|i| (format!("a{i}.md"), format!("# Article {i}\n")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let app = TestApp::with_files(&files);
    let _watcher = fixkb::content::watch::spawn(app.state.0.clone()).expect("watcher");
    let before = app.state.library();
    // What a backup or a `grep -r` does: open and read every file.
    for _ in 0..3 {
        for entry in std::fs::read_dir(&app.content).expect("list") {
            std::fs::read(entry.expect("entry").path()).expect("read");
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        std::sync::Arc::ptr_eq(&before, &app.state.library()),
        "reading files is not a change"
    );
    // A save that touches a file several times in quick succession is one change.
    for k in 0..5 {
        crate::common::write(&app.content, "a1.md", &format!("# Saved {k}\n"));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    wait_until(|| {
        app.state
            .library()
            .article("a1")
            .is_some_and(|a| a.title == "Saved 4")
    })
    .await;
    let after = app.state.library();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        std::sync::Arc::ptr_eq(&after, &app.state.library()),
        "the burst was reloaded once, after it ended"
    );
}

/// Polls `cond` for up to 2 seconds (the hot-reload promise), then fails.
async fn wait_until(cond: impl Fn() -> bool) {
    for _ in 0..40 {
        if cond() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("content change did not show within 2 seconds");
}

#[tokio::test]
async fn article_page_offers_feedback_and_counts_the_view() {
    let app = TestApp::fixture("valid");
    let html = app.get("/kb/offload").await.text();
    assert!(
        html.contains("<form method=\"post\" action=\"/kb/offload\" class=\"feedback-form\">"),
        "{html}"
    );
    assert!(html.contains("name=\"helpful\" value=\"yes\""));
    app.get("/kb/offload").await;
    app.get("/kb/42").await; // a redirect is not a view
    app.state.store.flush().await.expect("flush");
    assert_eq!(app.state.store.article_views("offload").await.expect("views"), 2);
}

#[tokio::test]
async fn article_pages_carry_an_etag_that_changes_with_the_content() {
    let app = TestApp::with_files(&[(
        "a.md",
        "---\ntitle: Spooler stalls\nsummary: First version.\n---\nBody one.\n",
    )]);
    let first = app.get("/kb/a").await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    assert_eq!(first.header("cache-control"), "no-cache");

    // A repeat is the same page; a browser holding it gets 304 and no body.
    let again = app.get("/kb/a").await;
    assert_eq!(
        (again.text(), again.header("etag")),
        (first.text(), etag.as_str())
    );
    let request = |tag: &str| {
        axum::http::Request::get("/kb/a")
            .header("if-none-match", tag)
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let not_modified = app.request(request(&etag)).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.text().is_empty());
    assert_eq!(app.request(request("\"other\"")).await.status, 200);

    // An edit is a new page with a new tag, and the old tag no longer matches.
    crate::common::write(
        &app.content,
        "a.md",
        "---\ntitle: Spooler stalls\nsummary: Second version.\n---\nBody two.\n",
    );
    app.state.reload();
    let edited = app.get("/kb/a").await;
    assert!(edited.text().contains("Body two."), "{}", edited.text());
    assert_ne!(edited.header("etag"), etag);
    assert_eq!(app.request(request(&etag)).await.status, 200);
}
