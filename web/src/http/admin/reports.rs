//! The admin reports that come from the library rather than the database (articles past
//! their review date, content problems), and every report as CSV.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use crate::content::Library;
use crate::state::AppState;
use crate::store::FeedbackTarget;

use super::super::extract::Path;
use super::super::{AppError, AppResult};
use super::{Access, access, admin_off, csv, not_logged_in, private};

/// Rows per report in CSV.
const CSV_ROWS: u32 = 100_000;

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
