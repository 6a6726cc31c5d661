//! Extractors whose rejections are [`AppError`]s, so a bad URL gets our error page rather
//! than axum's plain-text message. The stock `Path` is banned in `clippy.toml`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppError;

/// Like `axum::extract::Path`, rejecting with a 404 page.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[expect(clippy::disallowed_types, reason = "this is the wrapper")]
        let result = axum::extract::Path::<T>::from_request_parts(parts, state).await;
        match result {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(_) => Err(AppError::not_found("There is nothing at this address.")),
        }
    }
}

/// Like `axum::extract::Query`, but a malformed query string is a 400 page, not a 500 or a
/// plain-text rejection.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|e| AppError::BadRequest(format!("The address has a malformed query: {e}")))
    }
}
