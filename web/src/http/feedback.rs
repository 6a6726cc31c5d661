//! Article feedback ("Did this solve your problem?"), posted by a plain HTML form to the
//! article's own URL, plus the checks every public form POST shares: same-site origin, client
//! address, form decoding and status-coded error pages.
//!
//! Article pages render the form with the `article_form` macro in
//! `feedback/macros.html`; it needs only the slug and works without JavaScript.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::state::{App, AppState};
use crate::store::{ArticleFeedback, FeedbackError};

use super::error::ErrorMarker;
use super::extract::Path;
use super::views::{HtmlTemplate, Layout};
use super::{AppError, AppResult};

/// The client's IP address, for the feedback rate limit: the peer address, or, when the peer
/// is this machine (a reverse proxy on localhost), the last `X-Forwarded-For` entry, which that
/// proxy appended itself. Without a peer (requests driven in tests, no socket) all requests share
/// `0.0.0.0`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(client_addr(peer, &parts.headers)))
    }
}

/// See [`ClientAddr`]. Earlier `X-Forwarded-For` entries come from the client and prove nothing.
fn client_addr(peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !peer.to_canonical().is_loopback() {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|h| h.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

/// A response with `status` whose body the router's error middleware renders (HTML page, or
/// JSON under `/api`), like [`AppError`] does for its three statuses.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorMarker(message.into()));
    response
}

/// Refuses form POSTs a browser sent from another site. Browsers say where a request comes
/// from in `Sec-Fetch-Site` (current ones) or `Origin` (all POSTs since ~2020); a request with
/// neither is not a browser being tricked, so it passes.
#[expect(clippy::result_large_err, reason = "the error is the finished response")]
pub fn check_same_origin(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let refuse = || {
        Err(error_response(
            StatusCode::FORBIDDEN,
            "This form can only be sent from this site's own pages.",
        ))
    };
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed or bookmarked by the user, not another site.
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ => refuse(),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let Ok(origin) = origin.to_str() else {
        return refuse();
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    if origin == app.config.base_url() || (authority.is_some() && authority == host) {
        Ok(())
    } else {
        refuse()
    }
}

/// Decodes an `application/x-www-form-urlencoded` body into `T`; 400 when malformed.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("The form could not be read. Please send it again.".into()))
}

/// What the article feedback form posts.
#[derive(Debug, Deserialize)]
struct ArticleFeedbackForm {
    /// `yes` or `no` (the button pressed).
    helpful: String,
    /// Optional text.
    #[serde(default)]
    comment: String,
}

/// Shown after article feedback, or with the form again when it could not be stored.
#[derive(Template)]
#[template(path = "feedback/article.html")]
pub struct ArticleFeedbackPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The article's slug.
    pub slug: String,
    /// The article's title.
    pub title: String,
    /// The vote, when stored.
    pub helpful: Option<bool>,
    /// Why it was not stored (the form is shown again with the comment).
    pub error: Option<String>,
    /// The comment as sent, to show again after an error.
    pub comment: String,
}

/// `POST /kb/{slug}`: stores a vote (committed before the thank-you page is sent).
pub async fn submit_article_feedback(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    if let Err(refused) = check_same_origin(&state, &headers) {
        return Ok(refused);
    }
    let library = state.library();
    let Some(article) = library.article(&slug) else {
        return Err(AppError::not_found(
            "There is no article at this address to give feedback on.",
        ));
    };
    let form: ArticleFeedbackForm = parse_form(&body)?;
    let helpful = match form.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest("Please answer yes or no.".into())),
    };
    let feedback = ArticleFeedback {
        slug: article.slug.clone(),
        helpful,
        comment: Some(form.comment.clone()),
    };
    let mut page = ArticleFeedbackPage {
        layout: Layout::new(&state, "Thank you").with_title("Thank you for your feedback"),
        slug: article.slug.clone(),
        title: article.title.clone(),
        helpful: Some(helpful),
        error: None,
        comment: String::new(),
    };
    match state.store.add_article_feedback(client, feedback).await {
        Ok(_) => Ok(HtmlTemplate(page).into_response()),
        Err(FeedbackError::CommentTooLong { len, max }) => {
            page.layout = page.layout.with_title("Feedback not sent");
            page.helpful = None;
            page.comment = form.comment;
            page.error = Some(format!(
                "Your comment is {len} characters long; please shorten it to {max} or fewer."
            ));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, HtmlTemplate(page)).into_response())
        }
        Err(e @ FeedbackError::RateLimited) => {
            Ok(error_response(StatusCode::TOO_MANY_REQUESTS, e.to_string()))
        }
        Err(FeedbackError::UnknownReceipt) => Err(AppError::not_found("No such receipt.")),
        Err(FeedbackError::Store(e)) => Err(AppError::Internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_a_local_proxy() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let remote: IpAddr = "203.0.113.9".parse().unwrap();
        let proxied = xff("198.51.100.1, 192.0.2.44");
        assert_eq!(
            client_addr(local, &proxied),
            "192.0.2.44".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_addr("::1".parse().unwrap(), &proxied),
            "192.0.2.44".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(remote, &proxied), remote);
        assert_eq!(client_addr(local, &xff("not an address")), local);
        assert_eq!(client_addr(local, &HeaderMap::new()), local);
    }
}
