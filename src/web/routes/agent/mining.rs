//! `/agent/mining` (leads and admins): the last FAQ-mining run as the store
//! keeps it — the topics to act on, with a form that turns the chosen "not
//! covered" ones into review drafts (assigned round-robin, or to nobody
//! yet) — plus the full `report.html` and `report.json` of that run.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::{context, redirect, render, state_label, FormData, LeadRole, SignedIn};
use crate::mining::{self, Report, Verdict};
use crate::store::{MiningRun, Role};
use crate::web::{AppError, AppState};

/// A topic row of the page.
#[derive(Serialize)]
struct TopicRow {
    id: i32,
    rank: usize,
    title: String,
    tickets: u64,
    share_pct: String,
    verdict: &'static str,
    trend: &'static str,
    samples: Vec<String>,
    article_title: Option<String>,
    article_url: Option<String>,
    /// The article is only the closest one, not a match for the topic.
    article_closest: bool,
    improve_url: Option<String>,
    /// The draft made from this topic, if any.
    draft: Option<DraftLink>,
}

#[derive(Serialize)]
struct DraftLink {
    url: String,
    author: String,
    state: String,
}

/// Samples shown per topic on the page (the report has them all).
const SAMPLES_SHOWN: usize = 3;

/// The last run, read back.
fn last_run(state: &AppState) -> Result<Option<(MiningRun, Report)>, AppError> {
    let Some(run) = state.store.last_mining_run()? else {
        return Ok(None);
    };
    let report: Report = serde_json::from_str(&run.report)
        .map_err(|e| AppError::Internal(format!("mining run {} cannot be read: {e}", run.id)))?;
    Ok(Some((run, report)))
}

/// `GET /agent/mining`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<LeadRole>,
    RawQuery(raw): RawQuery,
) -> Response {
    let flash = flash(raw.as_deref());
    state
        .run(move |s| {
            let mut ctx = context(s, Some(&session), flash);
            let agents: Vec<String> = s
                .store
                .accounts()?
                .into_iter()
                .filter(|a| !a.disabled)
                .map(|a| a.name)
                .collect();
            ctx.insert("agents", &agents);
            ctx.insert("run", &None::<()>);
            if let Some((run, report)) = last_run(s)? {
                let drafts = s.store.mined_drafts(run.id)?;
                let mut rows = Vec::new();
                for t in report.suggestions() {
                    let draft = match drafts.iter().find(|d| d.topic_id == t.id) {
                        Some(d) => {
                            let rev = s.store.revision(d.revision_id)?;
                            Some(DraftLink {
                                url: format!("/agent/revisions/{}", rev.id),
                                author: rev.author,
                                state: state_label(rev.state.as_str()),
                            })
                        }
                        None => None,
                    };
                    let article = t.coverage.article.as_ref();
                    rows.push(TopicRow {
                        id: t.id,
                        rank: t.rank,
                        title: t.title.clone(),
                        tickets: t.tickets,
                        share_pct: format!("{:.1}%", t.share * 100.0),
                        verdict: match t.coverage.verdict {
                            Verdict::NotCovered => "not_covered",
                            Verdict::PartlyCovered => "partly_covered",
                            Verdict::Covered => "covered",
                        },
                        trend: t.trend.direction.as_str(),
                        samples: t
                            .samples
                            .iter()
                            .take(SAMPLES_SHOWN)
                            .map(|x| x.text.clone())
                            .collect(),
                        article_title: article.map(|a| a.title.clone()),
                        article_url: article.map(|a| a.url.clone()),
                        article_closest: article.is_some() && !t.coverage.confident,
                        improve_url: article
                            .filter(|_| t.coverage.verdict == Verdict::PartlyCovered)
                            .map(|a| {
                                format!(
                                    "/agent/edit?{}",
                                    serde_urlencoded::to_string([("slug", &a.slug)])
                                        .unwrap_or_default()
                                )
                            }),
                        draft,
                    });
                }
                let to_draft = rows
                    .iter()
                    .filter(|r| r.verdict == "not_covered" && r.draft.is_none())
                    .count();
                ctx.insert(
                    "run",
                    &serde_json::json!({
                        "id": run.id, "created_at": super::short_time(&run.created_at),
                        "summary": report.summary,
                        "covered": report.topics.len() - rows.len(),
                        "unclustered": report.unclustered.tickets,
                    }),
                );
                ctx.insert("topics", &rows);
                ctx.insert("to_draft", &to_draft);
            }
            render(s, "agent/mining.html", &ctx)
        })
        .await
        .into_response()
}

/// `GET /agent/mining/report` (`report.html`) and
/// `GET /agent/mining/report.json`.
pub async fn report(
    State(state): State<AppState>,
    _: SignedIn<LeadRole>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Response {
    let json = uri.path().ends_with(".json");
    state
        .run(move |s| {
            let (run, report) =
                last_run(s)?.ok_or_else(|| AppError::NotFound("No mining run yet.".into()))?;
            Ok::<_, AppError>(if json {
                (
                    [
                        (header::CONTENT_TYPE, "application/json".to_string()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"mining-run-{}.json\"", run.id),
                        ),
                    ],
                    run.report,
                )
                    .into_response()
            } else {
                let page = mining::html::render(&s.templates, &report, &s.config.site_name, "")
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                Html(page).into_response()
            })
        })
        .await
        .into_response()
}

/// `POST /agent/mining/drafts`: `run`, `topic` (repeated), `assign`
/// (repeated, optional), `csrf`.
pub async fn create_drafts(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Lead)?;
    state
        .run(move |s| {
            let (run, report) = last_run(s)?
                .ok_or_else(|| AppError::BadRequest("There is no mining run to draft from.".into()))?;
            let asked: i64 = form.get("run").and_then(|r| r.parse().ok()).unwrap_or(0);
            if asked != run.id {
                return Err(AppError::Conflict(format!(
                    "A newer mining run (run {}) replaced the one this page showed: reload the page and choose again.",
                    run.id
                )));
            }
            let mut topics = Vec::new();
            for raw in form.all("topic") {
                let id: i32 = raw
                    .trim()
                    .parse()
                    .map_err(|_| AppError::BadRequest(format!("`{raw}` is not a topic number.")))?;
                if !report.topics.iter().any(|t| t.id == id) {
                    return Err(AppError::BadRequest(format!("Run {} has no topic {id}.", run.id)));
                }
                topics.push(id);
            }
            if topics.is_empty() {
                return Err(AppError::BadRequest("Choose at least one topic to draft.".into()));
            }
            let mut assignees = Vec::new();
            for name in form.all("assign").iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                let account = s
                    .store
                    .account_by_name(name)?
                    .filter(|a| !a.disabled)
                    .ok_or_else(|| AppError::BadRequest(format!("No active agent is called `{name}`.")))?;
                assignees.push(account);
            }
            let outcomes = mining::drafts::create(
                &s.workflow,
                run.id,
                &report,
                &topics,
                &assignees,
                &report.summary.locale,
            )?;
            tracing::info!(
                lead = %session.account.name,
                run = run.id,
                drafts = outcomes.iter().filter(|o| o.created).count(),
                "drafts from mined topics"
            );
            let created = outcomes.iter().filter(|o| o.created).count();
            Ok(redirect(&format!("/agent/mining?drafted={created}")))
        })
        .await
}

/// The message after drafts were made.
fn flash(query: Option<&str>) -> Option<super::Flash> {
    let params = crate::web::params::Params::parse(query);
    let n: usize = params.text("drafted")?.parse().ok()?;
    Some(super::Flash {
        kind: "ok",
        text: match n {
            0 => "Those topics had drafts already: nothing new was made.".into(),
            1 => "1 draft created: it waits on its author's dashboard.".into(),
            n => format!("{n} drafts created: they wait on their authors' dashboards."),
        },
    })
}
