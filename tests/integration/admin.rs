//! The admin area: 404 without a token, login with an HttpOnly SameSite=Strict cookie,
//! refusal of missing, wrong and forged tokens, CSRF on POSTs, reports and their CSV.

use axum::http::StatusCode;
use fixkb::store::RateLimit;

use crate::store::{StoreApp, TOKEN, receipt};

#[tokio::test]
async fn admin_is_404_without_a_configured_token() {
    let app = StoreApp::new(None, RateLimit::default());
    assert_eq!(app.get("/admin", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/admin/csv/comments", None).await.status,
        StatusCode::NOT_FOUND
    );
    let login = app.post("/admin/login", &[("token", "")], "10.0.0.1", &[]).await;
    assert_eq!(login.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admin_refuses_missing_and_wrong_tokens() {
    let app = StoreApp::admin();
    // No cookie: the login form, no report.
    let anonymous = app.get("/admin", None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(anonymous.text().contains("name=\"token\""));
    assert!(!anonymous.text().contains("Searches with no results"));
    assert_eq!(
        app.get("/admin/csv/comments", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    for wrong in [
        "",
        "correct-horse-battery-stapl",
        "correct-horse-battery-staple!",
        "CORRECT-HORSE-BATTERY-STAPLE",
    ] {
        let response = app
            .post("/admin/login", &[("token", wrong)], "10.0.0.1", &[])
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "token {wrong:?}");
        assert!(response.header("set-cookie").is_empty());
    }
    // Forged and foreign cookies.
    let now = chrono::Utc::now().timestamp();
    for cookie in [
        format!("fixkb_admin={now}.00"),
        format!(
            "fixkb_admin={}",
            fixkb::http::admin::session::cookie_value("another-token", now)
        ),
        format!(
            "fixkb_admin={}",
            fixkb::http::admin::session::cookie_value(TOKEN, now - 13 * 3600)
        ),
    ] {
        assert_eq!(
            app.get("/admin/csv/comments", Some(&cookie)).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert!(!app.get("/admin", Some(&cookie)).await.text().contains("Log out"));
    }
    // Cross-site login attempts are refused even with the right token.
    let cross = app
        .post(
            "/admin/login",
            &[("token", TOKEN)],
            "10.0.0.1",
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_login_sets_a_strict_cookie_and_logout_needs_the_csrf_token() {
    let app = StoreApp::admin();
    let response = app
        .post("/admin/login", &[("token", TOKEN)], "10.0.0.1", &[])
        .await;
    let set_cookie = response.header("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Secure"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains(TOKEN),
        "the token itself never goes in the cookie"
    );
    let cookie = app.login().await;
    let dashboard = app.get("/admin", Some(&cookie)).await;
    assert_eq!(dashboard.header("cache-control"), "no-store");
    let text = dashboard.text();
    assert!(text.contains("Searches with no results") && text.contains("Past their review date"));
    let csrf = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf field")
        .to_owned();

    let bad = app
        .post(
            "/admin/logout",
            &[("csrf", "nope")],
            "10.0.0.1",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
    let missing = app
        .post("/admin/logout", &[], "10.0.0.1", &[("cookie", &cookie)])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let good = app
        .post(
            "/admin/logout",
            &[("csrf", &csrf)],
            "10.0.0.1",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    assert!(good.header("set-cookie").contains("Max-Age=0"));
}

#[tokio::test]
async fn reports_show_data_and_come_as_csv() {
    let app = StoreApp::admin();
    app.store().log_search("printer offline", 0);
    app.store().log_search("Printer  OFFLINE?", 0);
    app.store().record_download("disable-task-offload");
    app.store().flush().await.expect("flush");
    app.store()
        .record_receipt(receipt("r1", "s1"))
        .await
        .expect("record");
    app.post(
        "/kb/offload",
        &[("helpful", "no"), ("comment", "=cmd|' /C calc'!A0")],
        "10.0.0.1",
        &[],
    )
    .await;
    let cookie = app.login().await;
    let text = app.get("/admin", Some(&cookie)).await.text();
    assert!(text.contains("printer offline"));
    assert!(text.contains("/admin/csv/fix-downloads"));

    let csv = app.get("/admin/csv/zero-result-searches", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .contains("fixkb-zero-result-searches.csv")
    );
    let body = csv.text();
    assert!(
        body.starts_with("normalized_query,example,count,last_seen\r\n"),
        "{body}"
    );
    assert!(body.contains("printer offline,Printer  OFFLINE?,2,"), "{body}");

    let fixes = app.get("/admin/csv/fix-downloads", Some(&cookie)).await.text();
    assert!(fixes.contains("disable-task-offload,1,1,1,0,0"), "{fixes}");
    let comments = app.get("/admin/csv/comments", Some(&cookie)).await.text();
    assert!(
        comments.contains("'=cmd|' /C calc'!A0"),
        "formula neutralised: {comments}"
    );
    for report in fixkb::http::admin::REPORTS {
        let response = app.get(&format!("/admin/csv/{report}"), Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::OK, "{report}");
    }
    assert_eq!(
        app.get("/admin/csv/nope", Some(&cookie)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn searches_that_find_nothing_reach_the_report() {
    let app = StoreApp::admin();
    assert_eq!(
        app.get("/search?q=Zyxel+QQQ+widget", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/search?q=zyxel%20%20qqq%20WIDGET%3F", None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.get("/search?q=offload", None).await.status, StatusCode::OK);
    app.store().flush().await.expect("flush");
    let cookie = app.login().await;
    let csv = app
        .get("/admin/csv/zero-result-searches", Some(&cookie))
        .await
        .text();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(rows[0].starts_with("zyxel qqq widget,"), "{csv}");
    assert!(rows[0].contains(",2,"), "both searches counted: {csv}");
}

#[tokio::test]
async fn repeated_wrong_tokens_lock_the_address_out() {
    let app = std::sync::Arc::new(StoreApp::admin());
    let client = "10.77.0.1";
    // In parallel: each failure waits 300 ms.
    let guesses: Vec<_> = (0..fixkb::http::admin::session::MAX_FAILURES)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                app.post("/admin/login", &[("token", "guess")], client, &[])
                    .await
                    .status
            })
        })
        .collect();
    for guess in guesses {
        assert_eq!(guess.await.expect("task"), StatusCode::UNAUTHORIZED);
    }
    // Now even the right token is refused from that address, but not from another.
    let locked = app.post("/admin/login", &[("token", TOKEN)], client, &[]).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.header("set-cookie").is_empty());
    let other = app
        .post("/admin/login", &[("token", TOKEN)], "10.77.0.2", &[])
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}
