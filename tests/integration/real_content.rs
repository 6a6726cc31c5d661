//! The bundled `content/` folder must load cleanly: broken starter content fails CI.

use crate::common::TestApp;

#[tokio::test]
async fn bundled_content_loads_without_errors_or_warnings() {
    let app = TestApp::real_content();
    let lib = app.state.library();
    let problems: Vec<String> = lib.diagnostics.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "content problems:\n{}", problems.join("\n"));
    assert!(lib.articles.len() >= 7);
    for id in 1001..=1007 {
        let article = lib.by_id(id).unwrap_or_else(|| panic!("KB{id} is missing"));
        assert!(
            !article.summary.is_empty() && !article.symptoms.is_empty(),
            "KB{id}"
        );
        assert!(
            article.published.is_some() && article.reviewed.is_some(),
            "KB{id}"
        );
        for section in ["Symptoms", "Cause", "Resolution", "More information"] {
            assert!(
                article.body.headings().unwrap().iter().any(|h| h == section),
                "KB{id} lacks {section}"
            );
        }
    }
}

#[tokio::test]
async fn every_bundled_article_page_renders() {
    let app = TestApp::real_content();
    let slugs: Vec<String> = app
        .state
        .library()
        .articles
        .iter()
        .map(|a| a.slug.clone())
        .collect();
    for slug in slugs {
        let res = app.get(&format!("/kb/{slug}")).await;
        assert_eq!(res.status, 200, "{slug}");
    }
}
