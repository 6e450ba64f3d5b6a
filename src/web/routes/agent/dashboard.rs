//! The dashboard: new tickets waiting in the inbox, my drafts, reviews assigned to me, revisions waiting for any
//! reviewer, how many mined drafts wait for a writer (and the first few of
//! that queue), and live articles that are
//! stale (past their review interval) or unreviewed (their current content
//! matches no approval — a hand edit), as computed for the leads' report too
//! ([`crate::analytics::report::articles_needing_attention`]).

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{context, flash_from, render, row, AnyAgent, SignedIn};
use crate::analytics::report::{articles_needing_attention, default_review_interval};
use crate::store::{Role, Session, TicketStatus};
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
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
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
            let (queue_top, queued) = s.store.writing_queue(super::queue::ON_DASHBOARD, 0)?;
            let (stale, unreviewed) = attention(s, &session)?;
            let mut ctx = context(s, Some(&session), flash);
            ctx.insert(
                "counts",
                &serde_json::json!({
                    "drafts": my_drafts.len(), "assigned": assigned.len(), "waiting": waiting.len(),
                    "stale": stale.len(), "unreviewed": unreviewed.len(),
                    "new_tickets": s.store.ticket_count_in(TicketStatus::New)?,
                    "queue": queued,
                }),
            );
            ctx.insert("my_drafts", &my_drafts);
            ctx.insert("assigned", &assigned);
            ctx.insert("waiting", &waiting);
            ctx.insert("queue_top", &super::queue::rows(s, &queue_top)?);
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
    let all = articles_needing_attention(
        s.library.index(),
        &s.store,
        default_review_interval(&s.config),
        chrono::Utc::now(),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let mine = |owner: &Option<String>| {
        session.account.role >= Role::Lead
            || owner
                .as_deref()
                .is_none_or(|o| o.eq_ignore_ascii_case(&session.account.name))
    };
    let query = |slug: &str, locale: &str| {
        serde_urlencoded::to_string([("slug", slug), ("locale", locale)]).unwrap_or_default()
    };
    let stale = all
        .stale
        .into_iter()
        .filter(|a| mine(&a.owner))
        .take(MAX_ROWS)
        .map(|a| {
            let query = query(&a.slug, &a.locale);
            StaleRow {
                edit_url: format!("/agent/edit?{query}"),
                verify_url: format!("/agent/articles/verify?{query}"),
                owner: a.owner.unwrap_or_else(|| "—".into()),
                days_overdue: a.days_overdue,
                title: a.title,
                slug: a.slug,
                url: a.url,
                locale: a.locale,
            }
        })
        .collect();
    let unreviewed = all
        .unreviewed
        .into_iter()
        .filter(|a| mine(&a.owner))
        .take(MAX_ROWS)
        .map(|a| UnreviewedRow {
            review_url: format!("/agent/articles/review-live?{}", query(&a.slug, &a.locale)),
            owner: a.owner.unwrap_or_else(|| "—".into()),
            title: a.title,
            slug: a.slug,
            url: a.url,
            locale: a.locale,
        })
        .collect();
    Ok((stale, unreviewed))
}
