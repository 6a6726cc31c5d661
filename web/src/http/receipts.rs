//! Receipts: `/r/{receipt}` shows what a generated script was made from, offers it again while
//! the fix version is unchanged, and takes "Did this script fix it?" reports; `/verify` (in
//! [`verify`]) recognises an unmodified fixkb script.

pub mod verify;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::content::Library;
use crate::state::AppState;
use crate::store::{FeedbackError, MAX_COMMENT_CHARS, Receipt, ReceiptFeedback};

use super::extract::{Path, Query};
use super::feedback::{ClientAddr, check_same_origin, error_response, parse_form};
use super::views::{HtmlTemplate, Layout};
use super::{AppError, AppResult};

/// One parameter as shown on the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRow {
    /// Parameter name.
    pub name: String,
    /// Its label in the fix's current definition, if it still has this parameter.
    pub label: Option<String>,
    /// Its canonical value as text.
    pub value: String,
}

/// `/r/{receipt}` rendered.
#[derive(Template)]
#[template(path = "receipts/show.html")]
pub struct ReceiptPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The stored receipt.
    pub receipt: Receipt,
    /// The fix's current title, if the fix still exists.
    pub fix_title: Option<String>,
    /// The fix's current version, if the fix still exists.
    pub current_version: Option<u32>,
    /// Parameters, in canonical order.
    pub params: Vec<ParamRow>,
    /// Download links, while the fix version still matches: (label, URL).
    pub downloads: Vec<(String, String)>,
    /// The fix form prefilled with these parameters.
    pub edit_url: Option<String>,
    /// Set after an outcome report was stored.
    pub thanks: bool,
    /// Why an outcome report was not stored.
    pub error: Option<String>,
    /// The comment as sent, shown again after an error.
    pub comment: String,
}

impl ReceiptPage {
    fn max_comment(&self) -> usize {
        MAX_COMMENT_CHARS
    }

    fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// `?thanks=1` after an outcome report was stored.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    thanks: Option<String>,
}

/// `GET /r/{receipt}`.
pub async fn show_receipt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> AppResult<Response> {
    let page = receipt_page(&state, &id, query.thanks.is_some()).await?;
    Ok(HtmlTemplate(page).into_response())
}

#[derive(Debug, Deserialize)]
struct OutcomeForm {
    /// `yes` or `no`.
    worked: String,
    #[serde(default)]
    comment: String,
}

/// `POST /r/{receipt}`: "Did this script fix it?" Committed before redirecting back (303).
pub async fn submit_receipt_feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    if let Err(refused) = check_same_origin(&state, &headers) {
        return Ok(refused);
    }
    let form: OutcomeForm = parse_form(&body)?;
    let worked = match form.worked.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest("Please answer yes or no.".into())),
    };
    let feedback = ReceiptFeedback {
        receipt_id: id.clone(),
        worked,
        comment: Some(form.comment.clone()),
    };
    match state.store.add_receipt_feedback(client, feedback).await {
        Ok(_) => Ok((
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/r/{}?thanks=1#outcome", segment(&id)))],
        )
            .into_response()),
        Err(FeedbackError::CommentTooLong { len, max }) => {
            let mut page = receipt_page(&state, &id, false).await?;
            page.comment = form.comment;
            page.error = Some(format!(
                "Your comment is {len} characters long; please shorten it to {max} or fewer."
            ));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, HtmlTemplate(page)).into_response())
        }
        Err(e @ FeedbackError::RateLimited) => {
            Ok(error_response(StatusCode::TOO_MANY_REQUESTS, e.to_string()))
        }
        Err(FeedbackError::UnknownReceipt) => Err(unknown_receipt()),
        Err(FeedbackError::Store(e)) => Err(AppError::Internal(e)),
    }
}

fn unknown_receipt() -> AppError {
    AppError::not_found("No script was generated with this receipt id. Check it against the script's header.")
}

async fn receipt_page(state: &AppState, id: &str, thanks: bool) -> AppResult<ReceiptPage> {
    let receipt = state.store.receipt(id).await?.ok_or_else(unknown_receipt)?;
    let library = state.library();
    let fix = library.fixes.get(&receipt.fix_id);
    let mut params = param_rows(&receipt.params_json);
    if let Some(fix) = fix {
        for row in &mut params {
            row.label = fix
                .params
                .iter()
                .find(|p| p.name == row.name)
                .map(|p| p.label.clone());
        }
    }
    let (downloads, edit_url) = links(&library, &receipt, &params);
    Ok(ReceiptPage {
        layout: Layout::new(state, &format!("Receipt {}", receipt.id)),
        fix_title: fix.map(|f| f.title.clone()),
        current_version: fix.map(|f| f.version),
        receipt,
        params,
        downloads,
        edit_url,
        thanks,
        error: None,
        comment: String::new(),
    })
}

/// The canonical parameters as name/value rows; strings are shown as they are, anything else
/// as JSON.
pub fn param_rows(params_json: &str) -> Vec<ParamRow> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(params_json) else {
        return vec![ParamRow {
            name: "(parameters)".into(),
            label: None,
            value: params_json.to_owned(),
        }];
    };
    map.into_iter()
        .map(|(name, value)| ParamRow {
            name,
            label: None,
            value: match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            },
        })
        .collect()
}

/// Re-download links and the prefilled form, only while the fix exists at the same version
/// (a newer version would produce a different script than the one this receipt describes).
fn links(
    library: &Library,
    receipt: &Receipt,
    params: &[ParamRow],
) -> (Vec<(String, String)>, Option<String>) {
    let Some(fix) = library.fixes.get(&receipt.fix_id) else {
        return (Vec::new(), None);
    };
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let query = if query.is_empty() {
        query
    } else {
        format!("?{query}")
    };
    let base = format!("/fixes/{}", segment(&fix.id));
    let edit = Some(format!("{base}{query}"));
    if fix.version != receipt.fix_version {
        return (Vec::new(), edit);
    }
    let mut downloads = vec![(fix.filename.clone(), format!("{base}/download{query}"))];
    if let Some(revert) = &fix.revert_filename {
        downloads.push((revert.clone(), format!("{base}/revert{query}")));
    }
    (downloads, edit)
}

/// Percent-encodes one path segment, keeping the unreserved characters (`-._~`) readable.
fn segment(value: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, SEGMENT).to_string()
}
