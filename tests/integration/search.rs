//! Search over HTTP: the results page without JavaScript, `/api/search`, `/api/suggest`.

use crate::common::TestApp;

#[tokio::test]
async fn api_search_answers_the_documented_shape() {
    let app = TestApp::real_content();
    let r = app.get("/api/search?q=vms+lose+network+connectivity").await;
    assert_eq!(r.status, 200);
    let json = r.json();
    for key in ["query", "total", "took_ms", "suggestion", "hits", "facets"] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    let hit = &json["hits"][0];
    assert_eq!(hit["slug"], "tcp-checksum-offload-vs-task-offload");
    assert_eq!(hit["url"], "/kb/tcp-checksum-offload-vs-task-offload");
    assert_eq!(hit["path"], "tcp-checksum-offload-vs-task-offload.md");
    assert_eq!(hit["id"], 1001);
    assert!(hit["snippet_html"].as_str().unwrap().contains("<mark>"));
    for key in ["title", "summary", "products", "tags", "score"] {
        assert!(hit.get(key).is_some(), "hit lacks {key}");
    }
    assert!(
        json["facets"]["products"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["value"].is_string() && f["count"].is_u64())
    );
}

#[tokio::test]
async fn api_search_filters_and_pages() {
    let app = TestApp::real_content();
    let all = app.get("/api/search?q=xenserver").await.json();
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 2);
    let page = app.get("/api/search?q=xenserver&limit=1&offset=1").await.json();
    assert_eq!(page["hits"].as_array().unwrap().len(), 1);
    assert_eq!(page["hits"][0]["slug"], all["hits"][1]["slug"]);
    let filtered = app.get("/api/search?q=xenserver&product=Hyper-V").await.json();
    assert!(filtered["total"].as_u64().unwrap() < total);
    for hit in filtered["hits"].as_array().unwrap() {
        assert!(
            hit["products"].as_array().unwrap().iter().any(|p| p == "Hyper-V"),
            "{hit}"
        );
    }
}

#[tokio::test]
async fn unreadable_queries_are_searched_leniently() {
    let app = TestApp::real_content();
    for q in ["%22", "-", "product%3A", "((%5B", "%00", "a%3Ab%3Ac", "%E2%80%AE"] {
        let r = app.get(&format!("/api/search?q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        let page = app.get(&format!("/search?q={q}")).await;
        assert_eq!(page.status, 200, "{q}");
    }
    assert_eq!(app.get("/api/search?q=x&limit=abc&offset=-3").await.status, 200);
}

#[tokio::test]
async fn kb_numbers_redirect_to_the_article() {
    let app = TestApp::real_content();
    for q in ["1001", "KB1001", "kb+1001"] {
        let r = app.get(&format!("/search?q={q}")).await;
        assert_eq!(r.status, 302, "{q}");
        assert_eq!(r.header("location"), "/kb/tcp-checksum-offload-vs-task-offload");
    }
}

#[tokio::test]
async fn results_page_works_without_javascript() {
    let app = TestApp::real_content();
    let r = app.get("/search?q=xenserver+supplemental+pack").await;
    assert_eq!(r.status, 200);
    let main = r.main();
    assert!(
        main.contains("href=\"/kb/scvmm-2012-beta-xenserver-support\""),
        "{main}"
    );
    assert!(main.contains("<mark>"), "snippets are highlighted");
    assert!(
        main.contains("href=\"/search?q=xenserver%20supplemental%20pack&#38;product="),
        "facet links: {main}"
    );
    // The search box keeps the query.
    assert!(r.text().contains("value=\"xenserver supplemental pack\""));
}

#[tokio::test]
async fn results_page_offers_a_correction_and_escapes_the_query() {
    let app = TestApp::real_content();
    let r = app.get("/search?q=xenservr+%3Cscript%3E").await;
    assert_eq!(r.status, 200);
    let main = r.main();
    assert!(main.contains("Did you mean"), "{main}");
    assert!(!main.contains("<script>"), "query is escaped");
}

#[tokio::test]
async fn results_page_paginates_and_filters() {
    let app = TestApp::real_content();
    let r = app.get("/search?q=server&tag=xenapp").await;
    assert_eq!(r.status, 200);
    let main = r.main();
    assert!(main.contains("tag: xenapp"), "active filter shown: {main}");
    assert!(main.contains("href=\"/kb/xenapp6-before-server-2008-r2-sp1\""));
    let empty = app.get("/search?q=zzzzqqqq").await;
    assert!(empty.main().contains("No article matches"));
}

#[tokio::test]
async fn suggest_returns_titles_for_a_prefix() {
    let app = TestApp::real_content();
    let r = app.get("/api/suggest?q=random+wa").await;
    assert_eq!(r.status, 200);
    let json = r.json();
    assert_eq!(json[0]["slug"], "random-wait-before-first-logon");
    assert_eq!(json[0]["url"], "/kb/random-wait-before-first-logon");
    assert_eq!(app.get("/api/suggest?q=").await.json(), serde_json::json!([]));
}

#[tokio::test]
async fn content_reload_updates_the_index() {
    let app = TestApp::with_files(&[("a.md", "---\ntitle: Alpha\n---\nquokka\n")]);
    assert_eq!(app.get("/api/search?q=quokka").await.json()["total"], 1);
    crate::common::write(&app.content, "b.md", "---\ntitle: Beta\n---\nquokka wombat\n");
    crate::common::write(&app.content, "a.md", "---\ntitle: Alpha\n---\nplatypus\n");
    app.state.reload();
    let json = app.get("/api/search?q=quokka").await.json();
    assert_eq!(json["total"], 1);
    assert_eq!(json["hits"][0]["slug"], "b");
    assert_eq!(
        app.get("/api/search?q=platypus").await.json()["hits"][0]["slug"],
        "a"
    );
}
