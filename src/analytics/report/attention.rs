//! Stale and unreviewed live articles (ARCHITECTURE.md, review invariants 4
//! and 5), from the index (what is live, its hash, owner and interval) and
//! the store (approvals, "still accurate" verifications). Shared by the
//! leads' report and the agent dashboard, which filters it per agent.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Action, ReportError};
use crate::index::SearchIndex;
use crate::store::Store;

/// A live article past its review interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleArticle {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub url: String,
    pub owner: Option<String>,
    pub days_overdue: i64,
    pub actions: Vec<Action>,
}

/// A live article whose content matches no approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnreviewedArticle {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub url: String,
    pub owner: Option<String>,
    pub actions: Vec<Action>,
}

/// Stale and unreviewed live articles.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Attention {
    /// Most overdue first.
    pub stale: Vec<StaleArticle>,
    /// By title.
    pub unreviewed: Vec<UnreviewedArticle>,
}

/// The review interval of articles that set none: `[review] review_every`,
/// else 180 days.
pub fn default_review_interval(config: &crate::Config) -> chrono::Duration {
    config.review.review_every.0
}

/// Live articles past their review interval (`review_every`, else
/// `default_interval`, counted from the later of `updated` and the last
/// "still accurate" verification), and live articles whose content hash
/// matches no approval (hand edits). Every live article, whoever owns it:
/// callers filter.
pub fn articles_needing_attention(
    index: &SearchIndex,
    store: &Store,
    default_interval: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Attention, ReportError> {
    let live = index.live_articles()?;
    let hashes: Vec<&str> = live.iter().map(|a| a.content_hash.as_str()).collect();
    let approved = store.approved_hashes(&hashes)?;
    let verified = store.last_verifications()?;
    let mut out = Attention::default();
    for a in &live {
        let s = &a.summary;
        let interval = a
            .review_every
            .as_deref()
            .and_then(crate::config::Interval::parse)
            .map(|i| i.0)
            .unwrap_or(default_interval);
        let verified_at = verified
            .get(&(s.locale.clone(), s.slug.clone()))
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|d| d.with_timezone(&Utc));
        let checked = match (s.updated, verified_at) {
            (Some(u), Some(v)) => Some(u.max(v)),
            (u, v) => u.or(v),
        };
        if let Some(checked) = checked {
            let overdue = (now - (checked + interval)).num_days();
            if overdue > 0 {
                out.stale.push(StaleArticle {
                    slug: s.slug.clone(),
                    locale: s.locale.clone(),
                    title: s.title.clone(),
                    url: s.url.clone(),
                    owner: a.owner.clone(),
                    days_overdue: overdue,
                    actions: vec![Action::edit_article(&s.slug, &s.locale)],
                });
            }
        }
        if !approved.contains(&a.content_hash) {
            out.unreviewed.push(UnreviewedArticle {
                slug: s.slug.clone(),
                locale: s.locale.clone(),
                title: s.title.clone(),
                url: s.url.clone(),
                owner: a.owner.clone(),
                actions: vec![Action::edit_article(&s.slug, &s.locale)],
            });
        }
    }
    // Stable: equally overdue articles stay in title order.
    out.stale.sort_by_key(|a| std::cmp::Reverse(a.days_overdue));
    Ok(out)
}
