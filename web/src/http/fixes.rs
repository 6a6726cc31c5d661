//! Fixes over HTTP: the form and validated preview (`/fixes/{fix}`), downloads with their exact
//! bytes (`/download`, `/revert`), and the JSON API (`/api/fixes…`). The engine is
//! [`crate::fixes`]; this module only turns requests into raw values and results into pages.

pub mod api;
pub mod form;

pub use api::{fix_json, list_fixes_json, render_fix_json};

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::fixes::{self, Fix, Language, ParamError, RenderContext, RenderError, Script, ScriptKind};
use crate::state::AppState;
use crate::store::NewReceipt;

use super::extract::Path;
use super::views::{HtmlTemplate, Layout, render as render_page};
use super::{AppError, AppResult};

/// `/fixes/{fix}` rendered.
#[derive(Template)]
#[template(path = "fixes/show.html")]
pub struct FixPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The fix.
    pub fix: Arc<Fix>,
    /// The article offering it: (title, URL).
    pub article: Option<(String, String)>,
    /// Form fields.
    pub fields: Vec<form::Field>,
    /// Errors not attached to a field.
    pub general_errors: Vec<String>,
    /// The preview, when the submitted values are valid.
    pub preview: Option<Preview>,
    /// How to run a script of this language, step by step.
    pub how_to_run: Vec<String>,
}

/// A validated, rendered script on the page.
pub struct Preview {
    /// The script with syntax highlighting (HTML).
    pub code_html: String,
    /// File name.
    pub filename: String,
    /// SHA-256 of the exact bytes.
    pub sha256: String,
    /// Receipt id.
    pub receipt: String,
    /// Download URL with the canonical values.
    pub download_url: String,
    /// Revert script: (file name, URL).
    pub revert: Option<(String, String)>,
    /// Absolute prefilled link to this form.
    pub prefilled_link: String,
}

/// `GET /fixes/{fix}`: the form; with query parameters, the validated preview (422 and inline
/// errors when a value is not valid).
///
/// The script is rendered and its receipt recorded at every request (each preview is a
/// generation the receipt counts); the page around it is kept per content revision and query
/// (see `http/pages.rs`), so a prefilled link opened by a whole forum thread is highlighted,
/// laid out and compressed once.
pub async fn show_fix(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    let fix = find(&state, &id)?;
    let raw = parse_query(query.as_deref())?;
    let revision = state.library().revision.clone();
    let today = chrono::Utc::now().date_naive();
    if raw.is_empty() {
        let page = state
            .pages
            .get_or_render(&revision, &format!("/fixes/{}", fix.id), today, || {
                render_page(&page(&state, &fix, &raw, Vec::new(), None))
            })?;
        return Ok(page.respond(&headers));
    }
    match render(&state, &fix, &raw, ScriptKind::Fix).await? {
        Ok(script) => {
            // Keyed by the values as typed, which the form shows back, not the canonical ones.
            let address = format!(
                "/fixes/{}?{}",
                fix.id,
                serde_urlencoded::to_string(&raw).unwrap_or_default()
            );
            let page = state.pages.get_or_render(&revision, &address, today, || {
                let preview = preview(&state, &fix, &script);
                render_page(&page(&state, &fix, &raw, Vec::new(), Some(preview)))
            })?;
            Ok(page.respond(&headers))
        }
        Err(errors) => Ok(invalid(&state, &fix, &raw, errors)),
    }
}

/// `GET /fixes/{fix}/download?…`: the fix script as an attachment.
pub async fn download_fix(state: State<AppState>, id: Path<String>, query: RawQuery) -> AppResult<Response> {
    download(state, id, query, ScriptKind::Fix).await
}

/// `GET /fixes/{fix}/revert?…`: the revert script as an attachment.
pub async fn download_revert(
    state: State<AppState>,
    id: Path<String>,
    query: RawQuery,
) -> AppResult<Response> {
    download(state, id, query, ScriptKind::Revert).await
}

async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    kind: ScriptKind,
) -> AppResult<Response> {
    let fix = find(&state, &id)?;
    let raw = parse_query(query.as_deref())?;
    match render(&state, &fix, &raw, kind).await? {
        Ok(script) => {
            state.store.record_download(&fix.id);
            Ok(attachment(script))
        }
        Err(errors) => Ok(invalid(&state, &fix, &raw, errors)),
    }
}

/// The script's exact bytes, with its file name and SHA-256.
fn attachment(script: Script) -> Response {
    let content_type = match script.language {
        Language::Xml => "application/xml",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", script.filename),
            ),
            (
                header::HeaderName::from_static("x-content-sha256"),
                script.sha256.clone(),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        script.bytes,
    )
        .into_response()
}

pub(crate) fn find(state: &AppState, id: &str) -> AppResult<Arc<Fix>> {
    state.library().fixes.get(id).cloned().ok_or_else(|| {
        AppError::not_found("There is no fix by that name. Fixes are listed on the articles that offer them.")
    })
}

/// Query string → raw values; repeated names are joined with `,` (a multi-select sends them so).
fn parse_query(query: Option<&str>) -> AppResult<BTreeMap<String, String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| AppError::BadRequest("The address has a malformed query string.".into()))?;
    let mut raw: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        raw.entry(name)
            .and_modify(|v| {
                v.push(',');
            })
            .or_default()
            .push_str(&value);
    }
    Ok(raw)
}

/// Renders and records the receipt (committed before the script is handed out). The inner
/// `Err` holds value problems (422); the outer one a missing revert (404) or a failure (500).
pub(crate) async fn render(
    state: &AppState,
    fix: &Fix,
    raw: &BTreeMap<String, String>,
    kind: ScriptKind,
) -> AppResult<Result<Script, Vec<ParamError>>> {
    let library = state.library();
    let ctx = RenderContext::for_fix(&library, &fix.id, &state.config.base_url());
    let script = match fixes::render(fix, raw, &ctx, kind) {
        Ok(script) => script,
        Err(RenderError::Invalid(errors)) => return Ok(Err(errors)),
        Err(RenderError::NoRevert) => return Err(AppError::not_found("This fix has no revert script.")),
        Err(RenderError::Template(m)) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "fix {} does not render: {m}",
                fix.id
            )));
        }
    };
    let receipt = NewReceipt {
        id: script.receipt.clone(),
        fix_id: fix.id.clone(),
        fix_version: fix.version,
        revision: ctx.revision.clone(),
        params_json: serde_json::to_string(&script.canonical_params).unwrap_or_default(),
        sha256: script.sha256.clone(),
    };
    state.store.record_receipt(receipt).await?;
    Ok(Ok(script))
}

pub(crate) fn canonical_query(script: &Script) -> String {
    serde_urlencoded::to_string(&script.canonical_params).unwrap_or_default()
}

fn invalid(
    state: &AppState,
    fix: &Arc<Fix>,
    raw: &BTreeMap<String, String>,
    errors: Vec<ParamError>,
) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        HtmlTemplate(page(state, fix, raw, errors, None)),
    )
        .into_response()
}

/// The highlighted preview of `script`, cached by its SHA-256: scripts are deterministic, and
/// highlighting one costs milliseconds (the regex engine), which a prefilled link opened by a
/// whole forum thread would otherwise pay per visit.
fn highlighted(script: &Script) -> String {
    const CAPACITY: usize = 512;
    static CACHE: std::sync::LazyLock<std::sync::Mutex<HashMap<String, Arc<str>>>> =
        std::sync::LazyLock::new(Default::default);
    let lock = || CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(html) = lock().get(&script.sha256) {
        return html.to_string();
    }
    let html: Arc<str> = crate::highlight::code_block(&script.text, script.language.as_str()).into();
    let mut cache = lock();
    if cache.len() >= CAPACITY {
        cache.clear();
    }
    cache.insert(script.sha256.clone(), html.clone());
    html.to_string()
}

fn preview(state: &AppState, fix: &Fix, script: &Script) -> Preview {
    let query = canonical_query(script);
    // Fix ids are `[a-z0-9-]` (checked at load time): safe in a URL as they are.
    let base = format!("/fixes/{}", fix.id);
    Preview {
        code_html: highlighted(script),
        filename: script.filename.clone(),
        sha256: script.sha256.clone(),
        receipt: script.receipt.clone(),
        download_url: format!("{base}/download?{query}"),
        revert: fix
            .revert_filename
            .clone()
            .map(|name| (name, format!("{base}/revert?{query}"))),
        prefilled_link: format!("{}{base}?{query}", state.config.base_url()),
    }
}

fn page(
    state: &AppState,
    fix: &Arc<Fix>,
    raw: &BTreeMap<String, String>,
    errors: Vec<ParamError>,
    preview: Option<Preview>,
) -> FixPage {
    let library = state.library();
    let article = library
        .article_for_fix(&fix.id)
        .map(|a| (a.title.clone(), format!("/kb/{}", a.slug)));
    let general_errors = errors
        .iter()
        .filter(|e| fix.param(&e.param).is_none())
        .map(|e| e.message.clone())
        .collect();
    FixPage {
        layout: Layout::new(state, &fix.title)
            .canonical(&format!("/fixes/{}", fix.id))
            .describe(&fix.summary),
        fields: form::fields(fix, raw, &errors),
        general_errors,
        preview,
        article,
        how_to_run: how_to_run(fix),
        fix: fix.clone(),
    }
}

/// Steps for running a script of this fix's language.
fn how_to_run(fix: &Fix) -> Vec<String> {
    steps(fix)
        .into_iter()
        .map(|s| s.replace("<file>", &fix.filename))
        .collect()
}

fn steps(fix: &Fix) -> Vec<&'static str> {
    match fix.language {
        Language::Powershell => {
            let mut steps = vec![
                "Save the file, then open Windows PowerShell (as administrator if the header says so) in its folder.",
                "Files downloaded from the internet are blocked: run Unblock-File -Path .\\<file> first (PowerShell 3.0 and later), or use Properties → Unblock.",
                "If scripts are disabled on this server, run it once with: powershell.exe -ExecutionPolicy Bypass -File .\\<file>",
            ];
            if fix.changes_state {
                steps.push("Run it with -WhatIf first: it lists what would change and changes nothing.");
            }
            steps.push("Values are parameters: .\\<file> -Name value overrides a default, and is checked the same way.");
            steps
        }
        Language::Sh => vec![
            "Copy the file to the machine (for example with scp).",
            "Run it as root: sh ./<file>",
        ],
        Language::Cmd => vec![
            "Save the file, then right-click it and choose Run as administrator,",
            "or run it from an elevated Command Prompt by its name.",
        ],
        Language::Reg => vec![
            "Save the file, double-click it and confirm, or run reg import <file> from an elevated Command Prompt.",
            "Restart the server for TCP/IP parameter changes to take effect.",
        ],
        Language::Xml => {
            vec!["Open the file and paste the fragment where its comment says; it does nothing on its own."]
        }
    }
}
