//! Feedback on articles ("Did this solve your problem?") and on generated scripts through their
//! receipts ("Did this script fix it?"). Both are committed before the caller answers OK.
//!
//! Clients are told apart only by a salted SHA-256 of their address (an IPv6 address counts as
//! its /64, which one household or office usually shares). The salt is random, generated once
//! per database, and never leaves it; the raw address is never stored. Keys older than the
//! search log retention are replaced by placeholders (see `prune_expired` in `analytics.rs`).

use std::net::IpAddr;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

/// The longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// How many feedback submissions (articles and receipts together) one client may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Submissions allowed per window.
    pub max: u32,
    /// The sliding window.
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            max: 20,
            window: Duration::from_secs(10 * 60),
        }
    }
}

/// A vote on an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFeedback {
    /// The article's canonical slug (the caller checks that it exists).
    pub slug: String,
    /// "Did this solve your problem?"
    pub helpful: bool,
    /// Optional free text, as typed; cleaned by [`clean_comment`] before storing.
    pub comment: Option<String>,
}

/// An outcome report for a generated script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFeedback {
    /// The receipt id printed in the script's header.
    pub receipt_id: String,
    /// "Did this script fix it?"
    pub worked: bool,
    /// Optional free text, as typed; cleaned by [`clean_comment`] before storing.
    pub comment: Option<String>,
}

/// Why feedback was not stored.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    /// The comment is longer than [`MAX_COMMENT_CHARS`].
    #[error("the comment is {len} characters long; at most {max} are accepted")]
    CommentTooLong {
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// This client sent too much feedback recently.
    #[error("too much feedback from this address; please try again later")]
    RateLimited,
    /// Feedback on a receipt that was never issued.
    #[error("there is no receipt with this id")]
    UnknownReceipt,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for FeedbackError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// The salted key a client is known by: hex SHA-256 of salt and address.
pub(crate) fn client_key(salt: &[u8], addr: IpAddr) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    match addr.to_canonical() {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(&v6.octets()[..8]),
    }
    format!("{:x}", hasher.finalize())
}

/// Turns a typed comment into what is stored: line breaks normalised to `\n`, other control and
/// invisible formatting characters removed, surrounding blank space trimmed; `None` when nothing
/// is left. The text stays plain text: it is escaped wherever it is shown, never here.
pub fn clean_comment(raw: Option<&str>) -> Result<Option<String>, FeedbackError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let cleaned: String = text
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !is_invisible(c))
        .collect();
    let cleaned = cleaned.trim();
    let len = cleaned.chars().count();
    if len > MAX_COMMENT_CHARS {
        return Err(FeedbackError::CommentTooLong {
            len,
            max: MAX_COMMENT_CHARS,
        });
    }
    Ok((!cleaned.is_empty()).then(|| cleaned.to_owned()))
}

/// Control characters, bidi overrides and isolates, zero-width characters and BOMs: they have no
/// business in a comment and can make one look different from what it says.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Stores an article vote; returns its row id.
pub(crate) fn add_article_feedback(
    conn: &mut Connection,
    client: &str,
    limit: RateLimit,
    now: i64,
    feedback: &ArticleFeedback,
) -> Result<i64, FeedbackError> {
    let comment = clean_comment(feedback.comment.as_deref())?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_rate(&tx, client, limit, now)?;
    tx.execute(
        "INSERT INTO article_feedback (slug, helpful, comment, client, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![feedback.slug, feedback.helpful, comment, client, now],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(id)
}

/// Stores a script outcome; returns its row id.
pub(crate) fn add_receipt_feedback(
    conn: &mut Connection,
    client: &str,
    limit: RateLimit,
    now: i64,
    feedback: &ReceiptFeedback,
) -> Result<i64, FeedbackError> {
    let comment = clean_comment(feedback.comment.as_deref())?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let known = tx
        .query_row(
            "SELECT 1 FROM receipts WHERE id = ?1",
            [&feedback.receipt_id],
            |_| Ok(()),
        )
        .optional()?;
    if known.is_none() {
        return Err(FeedbackError::UnknownReceipt);
    }
    check_rate(&tx, client, limit, now)?;
    tx.execute(
        "INSERT INTO receipt_feedback (receipt_id, worked, comment, client, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![feedback.receipt_id, feedback.worked, comment, client, now],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(id)
}

/// Counts both kinds of feedback from `client` inside the window. Runs in the same write
/// transaction as the insert, so concurrent requests cannot both squeeze under the limit.
fn check_rate(conn: &Connection, client: &str, limit: RateLimit, now: i64) -> Result<(), FeedbackError> {
    let since = now - i64::try_from(limit.window.as_secs()).unwrap_or(i64::MAX);
    let recent: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM article_feedback WHERE client = ?1 AND created_at > ?2)
              + (SELECT count(*) FROM receipt_feedback WHERE client = ?1 AND created_at > ?2)",
        params![client, since],
        |r| r.get(0),
    )?;
    if recent >= i64::from(limit.max) {
        return Err(FeedbackError::RateLimited);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::migrate(&mut conn).unwrap();
        conn
    }

    fn vote(slug: &str, helpful: bool, comment: Option<&str>) -> ArticleFeedback {
        ArticleFeedback {
            slug: slug.into(),
            helpful,
            comment: comment.map(Into::into),
        }
    }

    #[test]
    fn client_key_is_salted_and_hides_the_address() {
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let k1 = client_key(b"salt-1", a);
        assert_eq!(k1.len(), 64);
        assert!(!k1.contains("192"));
        assert_ne!(k1, client_key(b"salt-2", a));
        assert_ne!(k1, client_key(b"salt-1", "192.0.2.8".parse().unwrap()));
        // IPv4-mapped IPv6 is the same client; an IPv6 /64 is one client.
        assert_eq!(k1, client_key(b"salt-1", "::ffff:192.0.2.7".parse().unwrap()));
        assert_eq!(
            client_key(b"s", "2001:db8:1:2::1".parse().unwrap()),
            client_key(b"s", "2001:db8:1:2:ffff::9".parse().unwrap())
        );
        assert_ne!(
            client_key(b"s", "2001:db8:1:2::1".parse().unwrap()),
            client_key(b"s", "2001:db8:1:3::1".parse().unwrap())
        );
    }

    #[test]
    fn comments_are_cleaned_but_not_escaped() {
        assert_eq!(clean_comment(None).unwrap(), None);
        assert_eq!(clean_comment(Some("  \r\n ")).unwrap(), None);
        assert_eq!(
            clean_comment(Some(" <b>a</b>\r\nb\u{202E}c\u{0}\u{200B} ")).unwrap(),
            Some("<b>a</b>\nbc".to_owned())
        );
        let max = "é".repeat(MAX_COMMENT_CHARS);
        assert_eq!(clean_comment(Some(&max)).unwrap(), Some(max.clone()));
        let err = clean_comment(Some(&format!("{max}x"))).unwrap_err();
        assert!(matches!(
            err,
            FeedbackError::CommentTooLong { len: 2001, max: 2000 }
        ));
    }

    #[test]
    fn article_feedback_is_stored_with_the_client_key_only() {
        let mut conn = db();
        let id = add_article_feedback(
            &mut conn,
            "key",
            RateLimit::default(),
            100,
            &vote("a", true, Some("<script>x</script>")),
        )
        .unwrap();
        let (slug, helpful, comment, client): (String, bool, String, String) = conn
            .query_row(
                "SELECT slug, helpful, comment, client FROM article_feedback WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (slug.as_str(), helpful, comment.as_str(), client.as_str()),
            ("a", true, "<script>x</script>", "key")
        );
    }

    #[test]
    fn rate_limit_counts_both_kinds_per_client_within_the_window() {
        let mut conn = db();
        conn.execute(
            "INSERT INTO receipts VALUES ('r1', 'fix', 1, 'rev', '{}', 'abc', 0, 0, 1)",
            [],
        )
        .unwrap();
        let limit = RateLimit {
            max: 3,
            window: Duration::from_secs(60),
        };
        add_article_feedback(&mut conn, "c1", limit, 1000, &vote("a", true, None)).unwrap();
        add_article_feedback(&mut conn, "c1", limit, 1001, &vote("b", false, None)).unwrap();
        let outcome = ReceiptFeedback {
            receipt_id: "r1".into(),
            worked: true,
            comment: None,
        };
        add_receipt_feedback(&mut conn, "c1", limit, 1002, &outcome).unwrap();
        let err = add_article_feedback(&mut conn, "c1", limit, 1003, &vote("a", true, None)).unwrap_err();
        assert!(matches!(err, FeedbackError::RateLimited));
        // Another client is not affected; the first one may post again once the window slid.
        add_article_feedback(&mut conn, "c2", limit, 1003, &vote("a", true, None)).unwrap();
        add_article_feedback(&mut conn, "c1", limit, 1061, &vote("a", true, None)).unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM article_feedback", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 4);
    }

    #[test]
    fn feedback_on_an_unknown_receipt_is_refused() {
        let mut conn = db();
        let outcome = ReceiptFeedback {
            receipt_id: "nope".into(),
            worked: false,
            comment: None,
        };
        let err = add_receipt_feedback(&mut conn, "c", RateLimit::default(), 1, &outcome).unwrap_err();
        assert!(matches!(err, FeedbackError::UnknownReceipt));
    }
}
