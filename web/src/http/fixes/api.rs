//! The JSON API for fixes (DESIGN §5): `/api/fixes`, `/api/fixes/{fix}` (the schema with
//! types and constraints) and `POST /api/fixes/{fix}/render`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::fixes::{self, ParamError, RenderContext, ScriptKind};
use crate::state::AppState;

use super::super::extract::Path;
use super::super::{AppError, AppResult};
use super::{canonical_query, find, render};

/// `GET /api/fixes`: every fix, briefly.
pub async fn list_fixes_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    let library = state.library();
    let base = state.config.base_url();
    let fixes: Vec<_> = library
        .fixes
        .values()
        .map(|f| {
            json!({
                "id": f.id,
                "title": f.title,
                "summary": f.summary,
                "language": f.language,
                "changes_state": f.changes_state,
                "has_revert": f.has_revert(),
                "url": format!("{base}/fixes/{}", f.id),
                "api_url": format!("{base}/api/fixes/{}", f.id),
            })
        })
        .collect();
    Json(json!({ "fixes": fixes }))
}

/// `GET /api/fixes/{fix}`: the schema (parameter types and constraints).
pub async fn fix_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let fix = find(&state, &id)?;
    let ctx = RenderContext::for_fix(&state.library(), &fix.id, &state.config.base_url());
    let mut value = serde_json::to_value(fixes::schema::of(&fix)).map_err(anyhow::Error::from)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("article_url".into(), json!(ctx.article_url));
        map.insert(
            "render_url".into(),
            json!(format!("{}/api/fixes/{}/render", ctx.base_url, fix.id)),
        );
    }
    Ok(Json(value))
}

#[derive(Debug, Deserialize)]
struct RenderRequest {
    #[serde(default)]
    params: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    revert: bool,
}

/// `POST /api/fixes/{fix}/render` with `{"params": {...}}` (and `"revert": true` for the revert
/// script): the script as JSON, or 422 with `{"errors": [{"param", "message"}]}`.
pub async fn render_fix_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let fix = find(&state, &id)?;
    let request: RenderRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(format!(
            "The body must be JSON like {{\"params\": {{\"name\": \"value\"}}}}: {e}"
        ))
    })?;
    let mut raw = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, value) in request.params {
        match json_to_raw(&value) {
            Some(text) => {
                raw.insert(name, text);
            }
            None => errors.push(ParamError {
                param: name,
                message: "Give a string, number, boolean or list of strings.".into(),
            }),
        }
    }
    if !errors.is_empty() {
        return Ok(unprocessable(errors));
    }
    let kind = if request.revert {
        ScriptKind::Revert
    } else {
        ScriptKind::Fix
    };
    match render(&state, &fix, &raw, kind).await? {
        Ok(script) => {
            let base = state.config.base_url();
            let query = canonical_query(&script);
            let path = if kind == ScriptKind::Fix {
                "download"
            } else {
                "revert"
            };
            Ok(Json(json!({
                "filename": script.filename,
                "language": script.language,
                "content": script.text,
                "sha256": script.sha256,
                "receipt": script.receipt,
                "download_url": format!("{base}/fixes/{}/{path}?{query}", fix.id),
                "receipt_url": format!("{base}/r/{}", script.receipt),
            }))
            .into_response())
        }
        Err(errors) => Ok(unprocessable(errors)),
    }
}

fn unprocessable(errors: Vec<ParamError>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "errors": errors })),
    )
        .into_response()
}

fn json_to_raw(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Null => Some(String::new()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        serde_json::Value::Object(_) => None,
    }
}
