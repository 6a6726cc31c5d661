//! `/verify`: is this an unmodified fixkb script, and which receipt produced it?
//!
//! Scripts are identified by the SHA-256 of their exact bytes. Copying and pasting loses the
//! byte-order mark, the file's line endings and its encoding (`.reg` files are UTF-16), so a
//! pasted text is also tried in those forms; such a match is reported as "unmodified apart
//! from line endings or encoding". A script whose header names a receipt but whose bytes match
//! nothing was changed after it was generated.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use regex::Regex;

use crate::state::AppState;
use crate::store::Receipt;
use crate::util::sha256_hex;

use super::super::feedback::{check_same_origin, error_response, parse_form};
use super::super::views::{HtmlTemplate, Layout};
use super::super::{AppError, AppResult};

/// The largest script accepted, in bytes.
pub const MAX_SCRIPT_BYTES: usize = 512 * 1024;

/// What `/verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Byte for byte what fixkb generated under this receipt.
    Exact(Receipt),
    /// The same text, but with other line endings, byte-order mark, final newline or encoding.
    SameText(Receipt),
    /// The header names this receipt, but the contents differ from what it generated.
    Modified(Receipt),
    /// Not generated here (perhaps naming a receipt id this server does not know).
    Unknown {
        /// The receipt id the header names, if any.
        claimed: Option<String>,
    },
}

/// `/verify` rendered.
#[derive(Template)]
#[template(path = "receipts/verify.html")]
pub struct VerifyPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The result, after a POST.
    pub verdict: Option<Verdict>,
    /// The SHA-256 of the bytes as sent, after a POST.
    pub sha256: Option<String>,
    /// Largest script accepted, in KiB.
    pub max_kib: usize,
}

/// `GET /verify`: the paste/upload form.
pub async fn show_verify(State(state): State<AppState>) -> Response {
    HtmlTemplate(page(&state, None, None)).into_response()
}

fn page(state: &AppState, verdict: Option<Verdict>, sha256: Option<String>) -> VerifyPage {
    VerifyPage {
        layout: Layout::new(state, "Verify a script"),
        verdict,
        sha256,
        max_kib: MAX_SCRIPT_BYTES / 1024,
    }
}

/// `POST /verify`: a pasted script (`script`) or an uploaded file (`file`), as a urlencoded or
/// multipart form.
pub async fn verify_script(State(state): State<AppState>, request: Request) -> AppResult<Response> {
    if let Err(refused) = check_same_origin(&state, request.headers()) {
        return Ok(refused);
    }
    // A pasted script is percent-encoded (up to three bytes per byte); anything bigger than
    // that cannot hold a script we accept.
    let limit = 3 * MAX_SCRIPT_BYTES + 64 * 1024;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(too_large());
    }
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let script: Vec<u8> = if is_multipart {
        uploaded_script(
            Multipart::from_request(request, &state)
                .await
                .map_err(unreadable)?,
        )
        .await?
    } else {
        #[derive(serde::Deserialize)]
        struct Form {
            #[serde(default)]
            script: String,
        }
        let body = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(unreadable)?;
        parse_form::<Form>(&body)?.script.into_bytes()
    };
    if script.len() > MAX_SCRIPT_BYTES {
        return Ok(too_large());
    }
    if script.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "Paste a script or choose a file to check.".into(),
        ));
    }
    let (verdict, sha256) = verdict(&state, script).await?;
    Ok(HtmlTemplate(page(&state, Some(verdict), Some(sha256))).into_response())
}

fn too_large() -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Scripts up to {} KiB can be checked.", MAX_SCRIPT_BYTES / 1024),
    )
}

/// The `file` part of a multipart form, else its `script` part (the first non-empty one).
async fn uploaded_script(mut form: Multipart) -> AppResult<Vec<u8>> {
    let (mut file, mut pasted) = (Vec::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let data = field.bytes().await.map_err(unreadable)?;
        match name.as_str() {
            "file" if file.is_empty() => file = data.to_vec(),
            "script" if pasted.is_empty() => pasted = data.to_vec(),
            _ => {}
        }
    }
    Ok(if file.is_empty() { pasted } else { file })
}

/// A body that could not be read (malformed multipart, over the size limit, cut off).
fn unreadable(e: impl std::fmt::Display) -> AppError {
    tracing::debug!("unreadable /verify body: {e}");
    AppError::BadRequest("The upload could not be read. Please send it again.".into())
}

async fn verdict(state: &AppState, script: Vec<u8>) -> anyhow::Result<(Verdict, String)> {
    // Up to a dozen forms of half a megabyte to hash: not on the async workers.
    let (hashes, script) = crate::store::blocking(move || {
        let hashes: Vec<String> = candidates(&script).iter().map(|c| sha256_hex(c)).collect();
        (hashes, script)
    })
    .await?;
    // The first candidate is the bytes as sent.
    let sha256 = hashes.first().cloned().unwrap_or_default();
    if let Some((i, receipt)) = state.store.first_receipt_by_sha256(hashes).await? {
        let verdict = if i == 0 {
            Verdict::Exact(receipt)
        } else {
            Verdict::SameText(receipt)
        };
        return Ok((verdict, sha256));
    }
    let claimed = claimed_receipt(&String::from_utf8_lossy(
        &decode_utf16(&script).unwrap_or_else(|| script.clone()),
    ));
    if let Some(id) = &claimed
        && let Some(receipt) = state.store.receipt(id).await?
    {
        return Ok((Verdict::Modified(receipt), sha256));
    }
    Ok((Verdict::Unknown { claimed }, sha256))
}

/// The bytes as sent first, then the same text in the forms a copy and paste may have changed:
/// LF or CRLF, with or without a UTF-8 byte-order mark, with or without a final newline, and as
/// UTF-16LE with a byte-order mark (how `.reg` files are written).
pub fn candidates(script: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![script.to_vec()];
    let text = match decode_utf16(script) {
        Some(utf8) => String::from_utf8(utf8).ok(),
        None => std::str::from_utf8(script).ok().map(str::to_owned),
    };
    let Some(text) = text else { return out };
    let body = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let trimmed = body.trim_end_matches('\n');
    for ending in [String::new(), "\n".to_owned()] {
        let lf = format!("{trimmed}{ending}");
        let crlf = lf.replace('\n', "\r\n");
        for text in [&lf, &crlf] {
            let mut with_bom = vec![0xEF, 0xBB, 0xBF];
            with_bom.extend_from_slice(text.as_bytes());
            let mut utf16 = vec![0xFF, 0xFE];
            utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            for bytes in [text.as_bytes().to_vec(), with_bom, utf16] {
                if !out.contains(&bytes) {
                    out.push(bytes);
                }
            }
        }
    }
    out
}

/// UTF-16LE with a byte-order mark, as UTF-8; `None` for anything else.
fn decode_utf16(bytes: &[u8]) -> Option<Vec<u8>> {
    let rest = bytes.strip_prefix(&[0xFF, 0xFE])?;
    if rest.len() % 2 != 0 {
        return None;
    }
    let units = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
        .map(String::into_bytes)
}

/// The receipt id a script's header names: from a `/r/{id}` link or a `Receipt: {id}` line.
pub fn claimed_receipt(text: &str) -> Option<String> {
    static PATTERN: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:/r/|\breceipt\b[ \t]*(?:id)?[ \t]*[:=#]?[ \t]*)([0-9a-z][0-9a-z_-]{3,63})\b").ok()
    });
    let head: String = text.chars().take(4096).collect();
    let caps = PATTERN.as_ref()?.captures(&head)?;
    Some(caps.get(1)?.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_is_tried_as_the_file_it_came_from() {
        // A PowerShell file: BOM + CRLF + final newline. Pasted: no BOM, LF, no final newline.
        let file = b"\xEF\xBB\xBFparam()\r\nWrite-Host 'x'\r\n";
        assert!(candidates(b"param()\nWrite-Host 'x'").contains(&file.to_vec()));
        // A .reg file: UTF-16LE with BOM and CRLF.
        let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n";
        let mut reg = vec![0xFF, 0xFE];
        reg.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let pasted = "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\X]";
        assert!(candidates(pasted.as_bytes()).contains(&reg));
        // The exact bytes come first; binary data has no other forms.
        assert_eq!(candidates(&[0xFF, 0x00, 0x80])[..], [vec![0xFF, 0x00, 0x80]]);
        // A changed character is not forgiven.
        assert!(!candidates(b"param()\nWrite-Host 'y'").contains(&file.to_vec()));
    }

    #[test]
    fn header_names_its_receipt() {
        assert_eq!(
            claimed_receipt("# Receipt: 3f2a9c1b0d4e  (https://kb.example.com/r/3f2a9c1b0d4e)").as_deref(),
            Some("3f2a9c1b0d4e")
        );
        assert_eq!(
            claimed_receipt("rem see https://kb/r/abc123def\r\n").as_deref(),
            Some("abc123def")
        );
        assert_eq!(
            claimed_receipt("# receipt id = a1b2c3d4").as_deref(),
            Some("a1b2c3d4")
        );
        assert_eq!(claimed_receipt("Write-Host 'hello'"), None);
    }
}
