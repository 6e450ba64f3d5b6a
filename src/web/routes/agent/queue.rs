//! The writing queue: drafts made from FAQ mining that nobody was assigned
//! to, highest priority first (their topic's rank in the mining run), a page
//! at a time. Any agent claims one and becomes its author; the dashboard
//! shows the count and the first few.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{context, flash_from, render, row, AnyAgent, RevisionRow, SignedIn};
use crate::store::Queued;
use crate::web::params::Params;
use crate::web::{AppError, AppState};

/// Drafts on a page of the queue.
const PAGE_SIZE: usize = 20;
/// Drafts the dashboard shows from the top of the queue.
pub const ON_DASHBOARD: usize = 3;

/// A draft in the queue as pages show it.
#[derive(Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    revision: RevisionRow,
    category: String,
    rank: Option<i64>,
    run: Option<i64>,
    claim_url: String,
}

/// The rows of `queued`.
pub fn rows(s: &AppState, queued: &[Queued]) -> Result<Vec<QueueRow>, AppError> {
    queued
        .iter()
        .map(|q| {
            Ok(QueueRow {
                revision: row(s, &q.revision)?,
                category: q.revision.fields.category.clone(),
                rank: q.rank,
                run: q.run,
                claim_url: format!("/agent/revisions/{}/claim", q.revision.id),
            })
        })
        .collect()
}

/// `GET /agent/queue?page=`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    let flash = flash_from(raw.as_deref());
    state
        .run(move |s| {
            let page = Params::parse(raw.as_deref()).number("page", 1, 1, 100_000)?;
            let (queued, total) = s.store.writing_queue(PAGE_SIZE, (page - 1) * PAGE_SIZE)?;
            let pages = total.div_ceil(PAGE_SIZE).max(1);
            let mut ctx = context(s, Some(&session), flash);
            ctx.insert("rows", &rows(s, &queued)?);
            ctx.insert("total", &total);
            ctx.insert("page", &page);
            ctx.insert("pages", &pages);
            let at = |p: usize| format!("/agent/queue?page={p}");
            ctx.insert("prev_url", &(page > 1).then(|| at(page - 1)));
            ctx.insert("next_url", &(page < pages).then(|| at(page + 1)));
            render(s, "agent/queue.html", &ctx)
        })
        .await
        .into_response()
}
