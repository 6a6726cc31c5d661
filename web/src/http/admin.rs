//! The admin area under `/admin`: reports for helpdesk leads, each also as CSV.
//!
//! It exists only when `FIXKB_ADMIN_TOKEN` is set; otherwise every `/admin` URL is a 404. A
//! login form exchanges the token for an HttpOnly, SameSite=Strict cookie ([`session`]); POSTs
//! carry a per-session CSRF token and must come from this site.

pub mod csv;
pub mod reports;
pub mod session;

pub use reports::{REPORTS, report_csv};

use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::state::AppState;
use crate::store::{ArticleHelpfulness, FeedbackComment, FeedbackTarget, FixUsage, ZeroResultSearch};

use reports::{ContentProblem, ReviewDue, problems, review_due};

use super::feedback::{ClientAddr, check_same_origin, error_response, parse_form};
use super::views::{HtmlTemplate, Layout};
use super::{AppError, AppResult};

/// Rows per report on the dashboard.
const PAGE_ROWS: u32 = 50;

/// Failed admin logins per client, for this process.
static FAILURES: std::sync::LazyLock<session::Failures> =
    std::sync::LazyLock::new(session::Failures::default);

/// Who is asking.
enum Access {
    /// No admin token configured: the area does not exist.
    Off,
    /// Not logged in (or the cookie is wrong or expired).
    Anonymous,
    /// Logged in; the session's issue time.
    Session(i64),
}

fn access(state: &AppState, headers: &HeaderMap) -> Access {
    let Some(token) = &state.config.admin_token else {
        return Access::Off;
    };
    let now = chrono::Utc::now().timestamp();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .filter_map(session::from_cookie_header)
        .find_map(|value| session::verify_cookie(token, value, now))
        .map_or(Access::Anonymous, Access::Session)
}

fn admin_off() -> AppError {
    AppError::not_found("There is nothing at this address. Try searching for what you need.")
}

fn not_logged_in() -> Response {
    error_response(StatusCode::UNAUTHORIZED, "Log in at /admin first.")
}

/// Admin responses are never cached nor indexed.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// The login form.
#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// Set after a wrong token.
    pub error: Option<String>,
}

/// `/admin` for a logged-in admin: every report.
#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    /// Shared page chrome.
    pub layout: Layout,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    /// Searches that found nothing.
    pub zero_results: Vec<ZeroResultSearch>,
    /// Least helpful articles.
    pub least_helpful: Vec<ArticleHelpfulness>,
    /// Latest comments.
    pub comments: Vec<FeedbackComment>,
    /// Fixes by downloads.
    pub fixes: Vec<FixUsage>,
    /// Articles past their review date.
    pub review_due: Vec<ReviewDue>,
    /// Content errors and warnings.
    pub problems: Vec<ContentProblem>,
    /// Review interval in days.
    pub review_every: u32,
    /// Analytics events dropped since start (queue full).
    pub dropped_events: u64,
}

impl DashboardPage {
    fn day(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// `GET /admin`: the dashboard, or the login form.
pub async fn show_admin(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let issued = match access(&state, &headers) {
        Access::Off => return Err(admin_off()),
        Access::Anonymous => {
            let page = LoginPage {
                layout: Layout::new(&state, "Admin login"),
                error: None,
            };
            return Ok(private(HtmlTemplate(page).into_response()));
        }
        Access::Session(issued) => issued,
    };
    let token = state.config.admin_token.as_deref().unwrap_or_default();
    let library = state.library();
    let store = &state.store;
    let page = DashboardPage {
        layout: Layout::new(&state, "Admin"),
        csrf: session::csrf_token(token, issued),
        zero_results: store.zero_result_searches(PAGE_ROWS).await?,
        least_helpful: store.least_helpful_articles(PAGE_ROWS).await?,
        comments: store.recent_comments(PAGE_ROWS).await?,
        fixes: store.most_downloaded_fixes(PAGE_ROWS).await?,
        review_due: review_due(
            &library,
            state.config.review_every,
            chrono::Utc::now().date_naive(),
        ),
        problems: problems(&library),
        review_every: state.config.review_every,
        dropped_events: store.dropped_events(),
    };
    Ok(private(HtmlTemplate(page).into_response()))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
}

/// `POST /admin/login`: checks the token (constant time) and sets the session cookie.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let Some(token) = state.config.admin_token.clone() else {
        return Err(admin_off());
    };
    if let Err(refused) = check_same_origin(&state, &headers) {
        return Ok(refused);
    }
    let now = chrono::Utc::now().timestamp();
    if FAILURES.locked_out(client, now) {
        return Ok(private(error_response(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many wrong tokens from this address. Try again in a few minutes.",
        )));
    }
    let form: LoginForm = parse_form(&body)?;
    if !session::token_matches(form.token.trim(), &token) {
        // Slows down guessing; the token itself should be long and random.
        FAILURES.record(client, now);
        tokio::time::sleep(Duration::from_millis(300)).await;
        tracing::warn!("admin login with a wrong token");
        let page = LoginPage {
            layout: Layout::new(&state, "Admin login"),
            error: Some("That is not the admin token.".into()),
        };
        return Ok(private(
            (StatusCode::UNAUTHORIZED, HtmlTemplate(page)).into_response(),
        ));
    }
    let secure = if state.config.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        session::COOKIE,
        session::cookie_value(&token, now),
        session::LIFETIME_SECS
    );
    Ok(private(
        (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/admin".to_owned()),
                (header::SET_COOKIE, cookie),
            ],
        )
            .into_response(),
    ))
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/logout`: clears the cookie (CSRF-checked).
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AppResult<Response> {
    let issued = match access(&state, &headers) {
        Access::Off => return Err(admin_off()),
        Access::Anonymous => return Ok(private(not_logged_in())),
        Access::Session(issued) => issued,
    };
    if let Err(refused) = check_same_origin(&state, &headers) {
        return Ok(refused);
    }
    let form: CsrfForm = parse_form(&body)?;
    let token = state.config.admin_token.as_deref().unwrap_or_default();
    if !session::csrf_matches(token, issued, &form.csrf) {
        return Ok(private(error_response(
            StatusCode::FORBIDDEN,
            "The form had expired. Reload the admin page and try again.",
        )));
    }
    let cookie = format!(
        "{}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
        session::COOKIE
    );
    Ok(private(
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/".to_owned()), (header::SET_COOKIE, cookie)],
        )
            .into_response(),
    ))
}
