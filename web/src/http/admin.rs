//! The admin area under `/admin`: reports for helpdesk leads, each also as CSV.
//!
//! It exists only when `FIXKB_ADMIN_TOKEN` is set; otherwise every `/admin` URL is a 404. A
//! login form exchanges the token for an HttpOnly, SameSite=Strict cookie ([`session`]); POSTs
//! carry a per-session CSRF token and must come from this site.

pub mod csv;
pub mod session;

use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::content::Library;
use crate::state::AppState;
use crate::store::{ArticleHelpfulness, FeedbackComment, FeedbackTarget, FixUsage, ZeroResultSearch};

use super::extract::Path;
use super::feedback::{check_same_origin, error_response, parse_form};
use super::views::{HtmlTemplate, Layout};
use super::{AppError, AppResult};

/// Rows per report on the dashboard.
const PAGE_ROWS: u32 = 50;
/// Rows per report in CSV.
const CSV_ROWS: u32 = 100_000;

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

/// An article whose last review is older than the review interval (or that has no date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDue {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Last reviewed (or published) date, if any.
    pub last: Option<NaiveDate>,
    /// Days since then.
    pub age_days: Option<i64>,
}

/// A content problem from the last load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProblem {
    /// `error` or `warning`.
    pub severity: &'static str,
    /// File relative to the content root, with the line when known.
    pub location: String,
    /// What is wrong.
    pub message: String,
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
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AppResult<Response> {
    let Some(token) = state.config.admin_token.clone() else {
        return Err(admin_off());
    };
    if let Err(refused) = check_same_origin(&state, &headers) {
        return Ok(refused);
    }
    let form: LoginForm = parse_form(&body)?;
    if !session::token_matches(form.token.trim(), &token) {
        // Slows down guessing; the token itself should be long and random.
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
    let now = chrono::Utc::now().timestamp();
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

/// The reports available as CSV, by URL name.
pub const REPORTS: &[&str] = &[
    "zero-result-searches",
    "least-helpful-articles",
    "comments",
    "fix-downloads",
    "review-due",
    "content-errors",
];

/// `GET /admin/csv/{report}`: one report as a CSV download.
pub async fn report_csv(
    State(state): State<AppState>,
    Path(report): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    match access(&state, &headers) {
        Access::Off => return Err(admin_off()),
        Access::Anonymous => return Ok(private(not_logged_in())),
        Access::Session(_) => {}
    }
    let store = &state.store;
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339();
    let body = match report.as_str() {
        "zero-result-searches" => csv::write(
            &["normalized_query", "example", "count", "last_seen"],
            store
                .zero_result_searches(CSV_ROWS)
                .await?
                .into_iter()
                .map(|s| vec![s.normalized, s.example, s.count.to_string(), time(s.last_seen)]),
        ),
        "least-helpful-articles" => csv::write(
            &["slug", "helpful", "not_helpful", "views", "last_vote"],
            store
                .least_helpful_articles(CSV_ROWS)
                .await?
                .into_iter()
                .map(|a| {
                    vec![
                        a.slug,
                        a.helpful.to_string(),
                        a.not_helpful.to_string(),
                        a.views.to_string(),
                        time(a.last_vote),
                    ]
                }),
        ),
        "comments" => csv::write(
            &["kind", "target", "fix", "positive", "comment", "at"],
            store.recent_comments(CSV_ROWS).await?.into_iter().map(|c| {
                let (kind, target, fix) = match c.target {
                    FeedbackTarget::Article { slug } => ("article", slug, String::new()),
                    FeedbackTarget::Receipt { receipt_id, fix_id } => ("receipt", receipt_id, fix_id),
                };
                vec![
                    kind.into(),
                    target,
                    fix,
                    c.positive.to_string(),
                    c.comment,
                    time(c.at),
                ]
            }),
        ),
        "fix-downloads" => csv::write(
            &[
                "fix",
                "downloads",
                "generated",
                "receipts",
                "worked",
                "not_worked",
            ],
            store.most_downloaded_fixes(CSV_ROWS).await?.into_iter().map(|f| {
                vec![
                    f.fix_id,
                    f.downloads.to_string(),
                    f.generated.to_string(),
                    f.receipts.to_string(),
                    f.worked.to_string(),
                    f.not_worked.to_string(),
                ]
            }),
        ),
        "review-due" => {
            let library = state.library();
            let today = chrono::Utc::now().date_naive();
            csv::write(
                &["slug", "title", "last_reviewed", "age_days"],
                review_due(&library, state.config.review_every, today)
                    .into_iter()
                    .map(|r| {
                        vec![
                            r.slug,
                            r.title,
                            r.last.map(|d| d.to_string()).unwrap_or_default(),
                            r.age_days.map(|d| d.to_string()).unwrap_or_default(),
                        ]
                    }),
            )
        }
        "content-errors" => csv::write(
            &["severity", "location", "message"],
            problems(&state.library())
                .into_iter()
                .map(|p| vec![p.severity.into(), p.location, p.message]),
        ),
        _ => return Err(AppError::not_found("There is no such report.")),
    };
    let disposition = format!("attachment; filename=\"fixkb-{report}.csv\"");
    Ok(private(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response(),
    ))
}

/// Articles whose last review (or publication) is older than `review_every` days, oldest first;
/// articles without any date come first.
pub fn review_due(library: &Library, review_every: u32, today: NaiveDate) -> Vec<ReviewDue> {
    let mut due: Vec<ReviewDue> = library
        .articles
        .iter()
        .filter_map(|a| {
            let last = a.reviewed.or(a.published);
            let age_days = last.map(|d| (today - d).num_days());
            let overdue = age_days.is_none_or(|age| age > i64::from(review_every));
            overdue.then(|| ReviewDue {
                slug: a.slug.clone(),
                title: a.title.clone(),
                last,
                age_days,
            })
        })
        .collect();
    due.sort_by(|a, b| a.last.cmp(&b.last).then_with(|| a.slug.cmp(&b.slug)));
    due
}

/// The library's diagnostics, errors first.
pub fn problems(library: &Library) -> Vec<ContentProblem> {
    let mut problems: Vec<ContentProblem> = library
        .diagnostics
        .iter()
        .map(|d| ContentProblem {
            severity: if d.is_error() { "error" } else { "warning" },
            location: match d.line {
                Some(line) => format!("{}:{line}", d.file.display()),
                None => d.file.display().to_string(),
            },
            message: d.message.clone(),
        })
        .collect();
    problems.sort_by_key(|p| p.severity != "error");
    problems
}
