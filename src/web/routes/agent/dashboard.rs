//! The dashboard: my drafts, reviews assigned to me, revisions waiting for any
//! reviewer, and live articles that are stale (past their review interval) or
//! unreviewed (their current content matches no approval — a hand edit).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{context, flash_from, render, row, signed_in};
use crate::review::parse_interval;
use crate::store::{Role, Session};
use crate::web::{AppError, AppState};

#[derive(Serialize)]
struct StaleRow {
    title: String,
    slug: String,
    url: String,
    edit_url: String,
    owner: String,
    days_overdue: i64,
    verify_url: String,
    locale: String,
}

#[derive(Serialize)]
struct UnreviewedRow {
    title: String,
    slug: String,
    url: String,
    review_url: String,
    locale: String,
    owner: String,
}

/// Most rows in each dashboard list.
const MAX_ROWS: usize = 100;

/// `GET /agent`
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match signed_in(&state, &headers, "/agent", Role::Agent) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let flash = flash_from(raw.as_deref());
    state
        .run(move |s| {
            let me = session.account.id;
            let rows = |revs: Vec<crate::store::Revision>| -> Result<Vec<_>, AppError> {
                revs.iter().take(MAX_ROWS).map(|r| row(s, r)).collect()
            };
            let my_drafts = rows(s.store.drafts_of(me)?)?;
            let assigned = rows(s.store.assigned_to(me)?)?;
            let waiting = rows(s.store.waiting_for_review(me)?)?;
            let (stale, unreviewed) = attention(s, &session)?;
            let mut ctx = context(s, Some(&session), flash);
            ctx.insert(
                "counts",
                &serde_json::json!({
                    "drafts": my_drafts.len(), "assigned": assigned.len(), "waiting": waiting.len(),
                    "stale": stale.len(), "unreviewed": unreviewed.len(),
                }),
            );
            ctx.insert("my_drafts", &my_drafts);
            ctx.insert("assigned", &assigned);
            ctx.insert("waiting", &waiting);
            ctx.insert("stale", &stale);
            ctx.insert("unreviewed", &unreviewed);
            render(s, "agent/dashboard.html", &ctx)
        })
        .await
        .into_response()
}

/// Stale and unreviewed live articles this agent should look at: their own
/// and unowned ones (leads and admins see all).
fn attention(
    s: &AppState,
    session: &Session,
) -> Result<(Vec<StaleRow>, Vec<UnreviewedRow>), AppError> {
    let live = s.library.index().live_articles()?;
    let hashes: Vec<&str> = live.iter().map(|a| a.content_hash.as_str()).collect();
    let approved = s.store.approved_hashes(&hashes)?;
    let verified = s.store.last_verifications()?;
    let default_interval =
        parse_interval(&s.config.review.review_every).unwrap_or(chrono::Duration::days(180));
    let now = chrono::Utc::now();
    let mine = |owner: &Option<String>| {
        session.account.role >= Role::Lead
            || owner
                .as_deref()
                .is_none_or(|o| o.eq_ignore_ascii_case(&session.account.name))
    };
    let (mut stale, mut unreviewed) = (Vec::new(), Vec::new());
    for a in live.iter().filter(|a| mine(&a.owner)) {
        let s_ = &a.summary;
        let query = serde_urlencoded::to_string([("slug", &s_.slug), ("locale", &s_.locale)])
            .unwrap_or_default();
        let interval = a
            .review_every
            .as_deref()
            .and_then(parse_interval)
            .unwrap_or(default_interval);
        let verified_at = verified
            .get(&(s_.locale.clone(), s_.slug.clone()))
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        let checked = match (s_.updated, verified_at) {
            (Some(u), Some(v)) => Some(u.max(v)),
            (u, v) => u.or(v),
        };
        if let Some(checked) = checked {
            let overdue = (now - (checked + interval)).num_days();
            if overdue > 0 && stale.len() < MAX_ROWS {
                stale.push(StaleRow {
                    title: s_.title.clone(),
                    slug: s_.slug.clone(),
                    url: s_.url.clone(),
                    edit_url: format!("/agent/edit?{query}"),
                    owner: a.owner.clone().unwrap_or_else(|| "—".into()),
                    days_overdue: overdue,
                    verify_url: format!("/agent/articles/verify?{query}"),
                    locale: s_.locale.clone(),
                });
            }
        }
        if !approved.contains(&a.content_hash) && unreviewed.len() < MAX_ROWS {
            unreviewed.push(UnreviewedRow {
                title: s_.title.clone(),
                slug: s_.slug.clone(),
                url: s_.url.clone(),
                review_url: format!("/agent/articles/review-live?{query}"),
                locale: s_.locale.clone(),
                owner: a.owner.clone().unwrap_or_else(|| "—".into()),
            });
        }
    }
    stale.sort_by(|a, b| b.days_overdue.cmp(&a.days_overdue));
    Ok((stale, unreviewed))
}
