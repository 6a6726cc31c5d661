//! Read-only reports for the admin area. Articles past their review date and content errors
//! come from the library, not from here.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

/// Searches that found nothing, grouped by normalised query: what to write next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeroResultSearch {
    /// The normalised query (see [`super::normalize_query`]).
    pub normalized: String,
    /// The most recent query text typed in this group.
    pub example: String,
    /// How many searches.
    pub count: u64,
    /// The most recent one.
    pub last_seen: DateTime<Utc>,
}

/// Votes on an article. Each client counts once per article, with its latest vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleHelpfulness {
    /// The article slug.
    pub slug: String,
    /// "Yes, this solved it."
    pub helpful: u64,
    /// "No."
    pub not_helpful: u64,
    /// Page views recorded (all time).
    pub views: u64,
    /// The most recent vote.
    pub last_vote: DateTime<Utc>,
}

/// What a piece of feedback was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedbackTarget {
    /// An article, by slug.
    Article {
        /// The slug.
        slug: String,
    },
    /// A generated script, by receipt.
    Receipt {
        /// The receipt id.
        receipt_id: String,
        /// The receipt's fix.
        fix_id: String,
    },
}

/// A comment left with feedback. The text is plain text: escape it when showing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackComment {
    /// What it was about.
    pub target: FeedbackTarget,
    /// Helpful (articles) or worked (scripts).
    pub positive: bool,
    /// The comment, plain text.
    pub comment: String,
    /// When it was left.
    pub at: DateTime<Utc>,
}

/// How often a fix was generated and downloaded, and what people reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixUsage {
    /// The fix id.
    pub fix_id: String,
    /// Downloads (attachments handed out).
    pub downloads: u64,
    /// Renders and downloads recorded on receipts.
    pub generated: u64,
    /// Distinct receipts (parameter sets × versions × revisions).
    pub receipts: u64,
    /// Outcome reports: worked.
    pub worked: u64,
    /// Outcome reports: did not work.
    pub not_worked: u64,
}

pub(crate) fn zero_result_searches(conn: &Connection, limit: u32) -> anyhow::Result<Vec<ZeroResultSearch>> {
    let mut stmt = conn.prepare_cached(
        "SELECT normalized,
                (SELECT query FROM search_log e WHERE e.hits = 0 AND e.normalized = s.normalized
                 ORDER BY at DESC, id DESC LIMIT 1),
                count(*), max(at)
         FROM search_log s
         WHERE hits = 0 AND normalized <> ''
         GROUP BY normalized ORDER BY count(*) DESC, max(at) DESC, normalized LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(ZeroResultSearch {
            normalized: r.get(0)?,
            example: r.get(1)?,
            count: r.get(2)?,
            last_seen: super::time(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn least_helpful_articles(
    conn: &Connection,
    limit: u32,
) -> anyhow::Result<Vec<ArticleHelpfulness>> {
    // Ordered by the share of "yes" votes with one of each added (so that one "no" alone does
    // not outrank ten "no"s against one "yes"); only articles with at least one "no".
    let mut stmt = conn.prepare_cached(
        "WITH latest AS (
             SELECT slug, helpful, created_at FROM article_feedback f
             WHERE id = (SELECT max(id) FROM article_feedback g
                         WHERE g.slug = f.slug AND g.client = f.client)
         ), votes AS (
             SELECT slug, sum(helpful) AS yes, sum(1 - helpful) AS no, max(created_at) AS last
             FROM latest GROUP BY slug
         )
         SELECT slug, yes, no,
                coalesce((SELECT sum(count) FROM article_views w WHERE w.slug = votes.slug), 0),
                last
         FROM votes WHERE no > 0
         ORDER BY (yes + 1.0) / (yes + no + 2.0), no DESC, slug LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(ArticleHelpfulness {
            slug: r.get(0)?,
            helpful: r.get(1)?,
            not_helpful: r.get(2)?,
            views: r.get(3)?,
            last_vote: super::time(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn recent_comments(conn: &Connection, limit: u32) -> anyhow::Result<Vec<FeedbackComment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM (
             SELECT slug AS target, NULL AS fix_id, helpful, comment, created_at, id
             FROM article_feedback WHERE comment IS NOT NULL
             ORDER BY created_at DESC, id DESC LIMIT ?1
         )
         UNION ALL
         SELECT * FROM (
             SELECT f.receipt_id, r.fix_id, f.worked, f.comment, f.created_at, f.id
             FROM receipt_feedback f JOIN receipts r ON r.id = f.receipt_id
             WHERE f.comment IS NOT NULL
             ORDER BY f.created_at DESC, f.id DESC LIMIT ?1
         )
         ORDER BY created_at DESC, id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![limit], |r| {
        let target: String = r.get(0)?;
        let fix_id: Option<String> = r.get(1)?;
        Ok(FeedbackComment {
            target: match fix_id {
                None => FeedbackTarget::Article { slug: target },
                Some(fix_id) => FeedbackTarget::Receipt {
                    receipt_id: target,
                    fix_id,
                },
            },
            positive: r.get(2)?,
            comment: r.get(3)?,
            at: super::time(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn most_downloaded_fixes(conn: &Connection, limit: u32) -> anyhow::Result<Vec<FixUsage>> {
    let mut stmt = conn.prepare_cached(
        "WITH r AS (SELECT fix_id, count(*) AS receipts, sum(count) AS generated
                    FROM receipts GROUP BY fix_id),
              d AS (SELECT fix_id, sum(count) AS downloads FROM downloads GROUP BY fix_id),
              o AS (SELECT r.fix_id, sum(f.worked) AS worked, sum(1 - f.worked) AS failed
                    FROM receipt_feedback f JOIN receipts r ON r.id = f.receipt_id
                    GROUP BY r.fix_id),
              fixes AS (SELECT fix_id FROM r UNION SELECT fix_id FROM d)
         SELECT fixes.fix_id, coalesce(d.downloads, 0) AS downloads,
                coalesce(r.generated, 0) AS generated, coalesce(r.receipts, 0),
                coalesce(o.worked, 0), coalesce(o.failed, 0)
         FROM fixes LEFT JOIN r USING (fix_id) LEFT JOIN d USING (fix_id)
                    LEFT JOIN o USING (fix_id)
         ORDER BY downloads DESC, generated DESC, fixes.fix_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(FixUsage {
            fix_id: r.get(0)?,
            downloads: r.get(1)?,
            generated: r.get(2)?,
            receipts: r.get(3)?,
            worked: r.get(4)?,
            not_worked: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::analytics::{Event, write_batch};
    use crate::store::feedback::{self, ArticleFeedback, RateLimit, ReceiptFeedback};
    use crate::store::migrations;
    use crate::store::receipts::{self, NewReceipt};

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::migrate(&mut conn).unwrap();
        conn
    }

    fn vote(conn: &mut Connection, client: &str, slug: &str, helpful: bool, comment: Option<&str>, at: i64) {
        let fb = ArticleFeedback {
            slug: slug.into(),
            helpful,
            comment: comment.map(Into::into),
        };
        feedback::add_article_feedback(conn, client, RateLimit::default(), at, &fb).unwrap();
    }

    fn receipt(conn: &mut Connection, id: &str, fix: &str, at: i64) {
        let r = NewReceipt {
            id: id.into(),
            fix_id: fix.into(),
            fix_version: 1,
            revision: "r".into(),
            params_json: "{}".into(),
            sha256: format!("sha-{id}"),
        };
        receipts::record(conn, &r, at).unwrap();
    }

    #[test]
    fn zero_result_searches_group_by_normalised_query() {
        let mut conn = db();
        let s = |q: &str, hits, at| Event::Search {
            query: q.into(),
            hits,
            at,
        };
        write_batch(
            &mut conn,
            &[
                s("Printer offline", 0, 10),
                s("printer  OFFLINE?", 0, 20),
                s("vpn", 0, 15),
                s("dns", 3, 30),
                s("??", 0, 1),
            ],
        )
        .unwrap();
        let report = zero_result_searches(&conn, 10).unwrap();
        assert_eq!(report.len(), 2);
        assert_eq!(report[0].normalized, "printer offline");
        assert_eq!(report[0].count, 2);
        assert_eq!(report[0].example, "printer  OFFLINE?");
        assert_eq!(report[0].last_seen.timestamp(), 20);
        assert_eq!((report[1].normalized.as_str(), report[1].count), ("vpn", 1));
    }

    #[test]
    fn least_helpful_counts_each_client_once_with_the_latest_vote() {
        let mut conn = db();
        vote(&mut conn, "c1", "bad", false, None, 1);
        vote(&mut conn, "c2", "bad", false, None, 2);
        vote(&mut conn, "c1", "mixed", true, None, 1);
        vote(&mut conn, "c2", "mixed", false, None, 2);
        vote(&mut conn, "c3", "mixed", true, None, 3);
        vote(&mut conn, "c1", "good", true, None, 1);
        // c1 changes their mind on "changed": only the latest vote counts.
        vote(&mut conn, "c1", "changed", false, None, 1);
        vote(&mut conn, "c1", "changed", true, None, 2);
        write_batch(
            &mut conn,
            &[Event::View {
                slug: "bad".into(),
                at: 1,
            }],
        )
        .unwrap();
        let report = least_helpful_articles(&conn, 10).unwrap();
        let got: Vec<_> = report
            .iter()
            .map(|a| (a.slug.as_str(), a.helpful, a.not_helpful))
            .collect();
        assert_eq!(got, [("bad", 0, 2), ("mixed", 2, 1)]);
        assert_eq!(report[0].views, 1);
        assert_eq!(report[0].last_vote.timestamp(), 2);
    }

    #[test]
    fn recent_comments_merge_articles_and_receipts_newest_first() {
        let mut conn = db();
        receipt(&mut conn, "r1", "fix-a", 1);
        vote(&mut conn, "c", "a", true, Some("older"), 10);
        vote(&mut conn, "c", "a", true, None, 15);
        let outcome = ReceiptFeedback {
            receipt_id: "r1".into(),
            worked: false,
            comment: Some("<b>no</b>".into()),
        };
        feedback::add_receipt_feedback(&mut conn, "c", RateLimit::default(), 20, &outcome).unwrap();
        let report = recent_comments(&conn, 10).unwrap();
        assert_eq!(report.len(), 2);
        assert_eq!(
            report[0].target,
            FeedbackTarget::Receipt {
                receipt_id: "r1".into(),
                fix_id: "fix-a".into()
            }
        );
        assert_eq!(
            (report[0].positive, report[0].comment.as_str()),
            (false, "<b>no</b>")
        );
        assert_eq!(report[1].target, FeedbackTarget::Article { slug: "a".into() });
        assert_eq!(recent_comments(&conn, 1).unwrap().len(), 1);
    }

    #[test]
    fn fix_usage_combines_downloads_receipts_and_outcomes() {
        let mut conn = db();
        receipt(&mut conn, "r1", "fix-a", 1);
        receipt(&mut conn, "r1", "fix-a", 2);
        receipt(&mut conn, "r2", "fix-a", 3);
        receipt(&mut conn, "r3", "fix-b", 3);
        let dl = |f: &str| Event::Download {
            fix_id: f.into(),
            at: 5,
        };
        write_batch(&mut conn, &[dl("fix-b"), dl("fix-b"), dl("fix-a"), dl("fix-c")]).unwrap();
        for (client, worked) in [("c1", true), ("c2", true), ("c3", false)] {
            let outcome = ReceiptFeedback {
                receipt_id: "r1".into(),
                worked,
                comment: None,
            };
            feedback::add_receipt_feedback(&mut conn, client, RateLimit::default(), 6, &outcome).unwrap();
        }
        let report = most_downloaded_fixes(&conn, 10).unwrap();
        let got: Vec<_> = report
            .iter()
            .map(|f| {
                (
                    f.fix_id.as_str(),
                    f.downloads,
                    f.generated,
                    f.receipts,
                    f.worked,
                    f.not_worked,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("fix-b", 2, 1, 1, 0, 0),
                ("fix-a", 1, 3, 2, 2, 1),
                ("fix-c", 1, 0, 0, 0, 0)
            ]
        );
    }
}
