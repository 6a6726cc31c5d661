//! Fixes over HTTP and the CLI: the form, the validated preview, downloads with exact bytes,
//! the JSON API, and `fixkb render` giving the same bytes as the download.

use std::collections::BTreeMap;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fixkb::fixes::{RenderContext, ScriptKind};

use crate::common::TestApp;

const PREFILLED: &str = "/fixes/disable-task-offload?adapter=Ethernet%202";

async fn post_json(app: &TestApp, uri: &str, body: serde_json::Value) -> crate::common::TestResponse {
    let request = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    app.request(request).await
}

#[tokio::test]
async fn the_form_is_built_from_the_parameter_types() {
    let app = TestApp::real_content();
    let page = app.get("/fixes/disable-task-offload").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.main();
    assert!(html.contains(r#"name="adapter" type="text""#), "{html}");
    assert!(html.contains(r#"maxlength="256""#));
    assert!(
        html.contains(r#"<legend>Offloads to turn off <span class="required">(required)</span></legend>"#),
        "a multi-choice parameter is a group of checkboxes: {html}"
    );
    assert!(html.contains(r#"<input type="checkbox" name="offloads" value="checksum" data-multi data-error="param-offloads-error" checked>"#));
    assert!(html.contains(r#"<input type="checkbox" name="offloads" value="lso" data-multi data-error="param-offloads-error" checked>"#));
    assert!(html.contains("data-render-url=\"/api/fixes/disable-task-offload/render\""));
    assert!(html.contains("Unblock-File"), "how to run a downloaded .ps1");
    assert!(
        !html.contains("data-download"),
        "no preview before values are given"
    );

    let numbers = app.get("/fixes/new-xenserver-vm").await.main();
    assert!(
        numbers.contains(r#"type="number" step="1" value="4096" min="1024" max="262144""#),
        "{numbers}"
    );
}

#[tokio::test]
async fn a_prefilled_link_shows_the_validated_preview() {
    let app = TestApp::real_content();
    let page = app.get(PREFILLED).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.main();
    assert!(html.contains("Ethernet 2"));
    assert!(html.contains("data-preview-sha256"));
    assert!(
        html.contains("href=\"/fixes/disable-task-offload/download?"),
        "{html}"
    );
    assert!(html.contains("href=\"/fixes/disable-task-offload/revert?"));
    assert!(
        html.contains("https://kb.example.test/fixes/disable-task-offload?"),
        "prefilled link"
    );
}

#[tokio::test]
async fn invalid_values_answer_422_with_the_message_next_to_the_field() {
    let app = TestApp::real_content();
    let page = app
        .get("/fixes/disable-task-offload?adapter=Eth%E2%80%AEernet")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.main();
    assert!(
        html.contains("Adapter name contains U+202E RIGHT-TO-LEFT OVERRIDE at position 4"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("data-preview-sha256"));

    let rule = app
        .get("/fixes/random-wait?min_seconds=200&max_seconds=100")
        .await;
    assert_eq!(rule.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        rule.main()
            .contains("The shortest wait must not be longer than the longest wait.")
    );
}

#[tokio::test]
async fn downloads_carry_exact_bytes_filename_and_sha256() {
    let app = TestApp::real_content();
    let download = app
        .get("/fixes/disable-task-offload/download?adapter=Ethernet%202")
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        download.header("content-disposition"),
        "attachment; filename=\"Disable-TaskOffload.ps1\""
    );
    assert_eq!(
        download.header("x-content-sha256"),
        fixkb::util::sha256_hex(&download.body)
    );
    assert!(download.body.starts_with(&[0xEF, 0xBB, 0xBF]));

    let library = app.state.library();
    let fix = &library.fixes["disable-task-offload"];
    let ctx = RenderContext::for_fix(&library, "disable-task-offload", "https://kb.example.test");
    let raw = BTreeMap::from([("adapter".to_owned(), "Ethernet 2".to_owned())]);
    let script = fixkb::fixes::render(fix, &raw, &ctx, ScriptKind::Fix).expect("renders");
    assert_eq!(download.body, script.bytes);
    assert!(
        script.text.contains("Article: https://kb.example.test/kb/"),
        "{}",
        script.text
    );

    let revert = app
        .get("/fixes/disable-task-offload/revert?adapter=Ethernet%202")
        .await;
    assert_eq!(revert.status, StatusCode::OK);
    assert_eq!(
        revert.header("content-disposition"),
        "attachment; filename=\"Restore-TaskOffload.ps1\""
    );

    let reg = app.get("/fixes/disable-task-offload-global/download").await;
    assert!(reg.body.starts_with(&[0xFF, 0xFE]), "UTF-16LE with BOM");

    assert_eq!(
        app.get("/fixes/offload-diagnose/revert").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/fixes/no-such-fix").await.status, StatusCode::NOT_FOUND);
    let bad = app
        .get("/fixes/disable-task-offload/download?adapter=a%0Ab")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_download_is_recorded_under_its_receipt() {
    let app = TestApp::real_content();
    let download = app.get("/fixes/open-firewall-port/download?port=8080").await;
    assert_eq!(download.status, StatusCode::OK);
    let text = download.text();
    let receipt = text
        .lines()
        .find_map(|l| l.strip_prefix("# Receipt: "))
        .and_then(|r| r.split_whitespace().next())
        .expect("header names the receipt")
        .to_owned();
    let page = app.get(&format!("/r/{receipt}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains(download.header("x-content-sha256")));
}

#[tokio::test]
async fn the_api_lists_fixes_and_their_schema() {
    let app = TestApp::real_content();
    let list = app.get("/api/fixes").await.json();
    assert!(list["fixes"].as_array().expect("array").len() >= 12);

    let schema = app.get("/api/fixes/disable-task-offload").await;
    assert_eq!(schema.status, StatusCode::OK);
    let schema = schema.json();
    assert_eq!(schema["params"][0]["name"], "adapter");
    assert_eq!(schema["params"][0]["type"], "adapter_name");
    assert_eq!(schema["params"][0]["required"], true);
    assert_eq!(schema["params"][0]["constraints"]["max_length"], 256);
    assert_eq!(schema["params"][1]["constraints"]["options"][1]["value"], "lso");
    let wait = app.get("/api/fixes/random-wait").await.json();
    assert_eq!(wait["params"][0]["constraints"]["max"], 3600);

    let missing = app.get("/api/fixes/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json().get("error").is_some());
}

#[tokio::test]
async fn the_render_api_returns_the_script_or_422_with_errors() {
    let app = TestApp::real_content();
    let ok = post_json(
        &app,
        "/api/fixes/random-wait/render",
        serde_json::json!({"params": {"min_seconds": 5, "max_seconds": "60", "mark_busy": false}}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let body = ok.json();
    assert_eq!(body["filename"], "Start-RandomWait.ps1");
    assert_eq!(body["language"], "powershell");
    assert!(
        body["content"]
            .as_str()
            .expect("content")
            .contains("[int]$MinSeconds = 5")
    );
    let download_url = body["download_url"].as_str().expect("url");
    let path = download_url.trim_start_matches("https://kb.example.test");
    let download = app.get(path).await;
    assert_eq!(
        body["sha256"],
        download.header("x-content-sha256"),
        "API and download agree"
    );

    let bad = post_json(
        &app,
        "/api/fixes/random-wait/render",
        serde_json::json!({"params": {"min_seconds": "+5"}}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["param"], "min_seconds");

    let revert = post_json(
        &app,
        "/api/fixes/open-firewall-port/render",
        serde_json::json!({"params": {"port": 80}, "revert": true}),
    )
    .await;
    assert_eq!(revert.json()["filename"], "Close-FirewallPort.ps1");
    let not_json = app
        .request(
            Request::post("/api/fixes/random-wait/render")
                .body(Body::from("nope"))
                .expect("request"),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cli_render_writes_the_same_bytes_as_the_download() {
    let app = TestApp::real_content();
    let download = app
        .get("/fixes/run-installer-cmd/download?installer=C%3A%5CSetup%5Csetup.exe")
        .await;
    assert_eq!(download.status, StatusCode::OK);
    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("Run-Installer.cmd");
    let status = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .args([
            "render",
            "run-installer-cmd",
            "--set",
            r"installer=C:\Setup\setup.exe",
            "-o",
        ])
        .arg(&file)
        .arg("--content")
        .arg(&app.content)
        .args(["--public-url", "https://kb.example.test"])
        .output()
        .expect("run fixkb");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(std::fs::read(&file).expect("written"), download.body);

    let invalid = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .args([
            "render",
            "run-installer-cmd",
            "--set",
            "installer_args=a&b",
            "--content",
        ])
        .arg(&app.content)
        .output()
        .expect("run fixkb");
    assert!(!invalid.status.success());
    assert!(
        String::from_utf8_lossy(&invalid.stderr).contains("installer_args: Arguments cannot contain “&”")
    );
}

#[test]
fn fixkb_check_fails_on_a_template_that_lets_a_value_change_the_structure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &str| crate::common::write(dir.path(), rel, text);
    write(
        "fixes/unsafe-reg/fix.toml",
        "title = \"Unsafe\"\nsummary = \"Prints a value outside quotes.\"\nlanguage = \"reg\"\ntemplate = \"fix.reg\"\n\
         filename = \"unsafe.reg\"\nversion = 1\nchanges_state = false\n\n[[params]]\nname = \"value\"\nlabel = \"Value\"\n\
         type = \"text\"\ndefault = \"1\"\n",
    );
    write(
        "fixes/unsafe-reg/fix.reg",
        "[HKEY_CURRENT_USER\\Software\\fixkb]\n\"V\"={{ value }}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .arg("check")
        .arg("--content")
        .arg(dir.path())
        .output()
        .expect("run fixkb");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("fixes/unsafe-reg/fix.toml: error: Fix script"),
        "{stdout}"
    );
}

#[tokio::test]
async fn fix_page_snapshots() {
    let app = TestApp::fixture("fix-pages");
    let form = app.get("/fixes/greet").await;
    assert_eq!(form.status, StatusCode::OK);
    insta::assert_snapshot!("fix_page_form", form.main());
    let preview = app
        .get("/fixes/greet?adapter=it%27s%20%E2%80%98x%E2%80%99&times=3")
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    insta::assert_snapshot!("fix_page_preview", preview.main());
    let invalid = app.get("/fixes/greet?adapter=a*&times=9").await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_snapshot!("fix_page_invalid", invalid.main());
}

#[tokio::test]
async fn ticked_checkboxes_arrive_as_repeated_names_and_are_kept_in_the_form() {
    let app = TestApp::real_content();
    let page = app
        .get("/fixes/disable-task-offload?adapter=Ethernet%202&offloads=lso")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.main();
    assert!(
        html.contains(r#"value="lso" data-multi data-error="param-offloads-error" checked>"#),
        "{html}"
    );
    assert!(!html.contains(r#"value="checksum" data-multi data-error="param-offloads-error" checked>"#));
    let script = app
        .get("/fixes/disable-task-offload/download?adapter=Ethernet%202&offloads=&offloads=lso")
        .await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.text().contains("$Offloads = @('lso')"),
        "only LSO in the script"
    );
    let both = app
        .get("/fixes/disable-task-offload?adapter=Ethernet%202&offloads=lso&offloads=checksum")
        .await
        .main();
    assert!(both.contains(r#"value="checksum" data-multi data-error="param-offloads-error" checked>"#));
    // The form always sends an empty `offloads=` first, so no box ticked is not "the default".
    let none = app
        .get("/fixes/disable-task-offload?adapter=Ethernet%202&offloads=")
        .await;
    assert_eq!(
        none.status.as_u16(),
        422,
        "nothing ticked: the required field is named"
    );
    assert!(none.main().contains("Offloads to turn off"));
    let defaults = app.get("/fixes/disable-task-offload?adapter=Ethernet%202").await;
    assert_eq!(
        defaults.status,
        StatusCode::OK,
        "a prefilled link without the field uses the default"
    );
}
