//! Static files (CSS, JS, icons), embedded in the binary so a release build is one file.
//! Pages link them as `/static/{name}?v={hash}`, served with a long immutable cache lifetime
//! and an ETag.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppError;
use super::extract::Path;

struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: String,
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        (
            $name,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $name)) as &[u8],
            $type,
        )
    };
}

fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        [
            asset!("app.css", "text/css; charset=utf-8"),
            asset!("app.js", "text/javascript; charset=utf-8"),
            asset!("favicon.svg", "image/svg+xml"),
        ]
        .into_iter()
        .map(|(name, bytes, content_type)| {
            let etag = format!("\"{}\"", crate::util::short_hash(bytes));
            (
                name,
                Asset {
                    bytes,
                    content_type,
                    etag,
                },
            )
        })
        .collect()
    })
}

/// The versioned URL of an embedded asset.
pub fn url(name: &str) -> String {
    match assets().get(name) {
        Some(a) => format!("/static/{name}?v={}", a.etag.trim_matches('"')),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`.
pub async fn serve_asset(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let asset = assets()
        .get(name.as_str())
        .ok_or_else(|| AppError::not_found("No such file."))?;
    let etag = HeaderValue::from_str(&asset.etag).map_err(|e| AppError::Internal(e.into()))?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    if super::pages::holds(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        asset.bytes,
    )
        .into_response())
}
