//! A revision's review page and what can be done there (submit, approve,
//! request changes, comment, publish, discard, restore, archive), an
//! article's history, diffs between revisions, "still accurate" and "review
//! this" for live articles.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use similar::{ChangeTag, TextDiff};

use super::{
    article_param, context, flash_from, redirect, render, short_time, state_label, AnyAgent,
    FormData, SignedIn,
};
use crate::index::Audience;
use crate::review::{check, field_changes, Action, Ledger};
use crate::store::{Account, Revision, RevisionKind, RevisionState, Role, Verdict};
use crate::web::params::Params;
use crate::web::{AppError, AppState};

/// One line of a unified diff.
#[derive(Serialize, Debug, PartialEq)]
pub struct DiffLine {
    kind: &'static str,
    old_no: Option<usize>,
    new_no: Option<usize>,
    text: String,
}

/// A readable line diff with three lines of context and `gap` markers.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push(DiffLine {
                kind: "gap",
                old_no: None,
                new_no: None,
                text: String::new(),
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Delete => "del",
                    ChangeTag::Insert => "add",
                    ChangeTag::Equal => "ctx",
                };
                out.push(DiffLine {
                    kind,
                    old_no: change.old_index().map(|n| n + 1),
                    new_no: change.new_index().map(|n| n + 1),
                    text: change.value().trim_end_matches('\n').to_string(),
                });
            }
        }
    }
    out
}

/// One approval as the review page lists it.
#[derive(Serialize)]
struct ApprovalView {
    reviewer: String,
    at: String,
    /// Whether it counts ([`crate::review::Ledger::counting`]).
    valid: bool,
}

/// A revision as its review page shows it.
#[derive(Serialize)]
struct RevisionView<'a> {
    id: i64,
    title: &'a str,
    slug: &'a str,
    locale: &'a str,
    state: &'static str,
    state_label: String,
    author: &'a str,
    category: &'a str,
    tags: &'a [String],
    summary: &'a str,
    visibility: &'a str,
    status: &'a str,
    content_hash: &'a str,
    created_at: String,
    updated_at: String,
    approvals: Vec<ApprovalView>,
    approval_count: usize,
    approvals_needed: usize,
    reviewers: Vec<String>,
    kind: RevisionKind,
}

impl<'a> RevisionView<'a> {
    fn new(rev: &'a Revision, ledger: &Ledger, min: usize, reviewers: Vec<String>) -> Self {
        let f = &rev.fields;
        let approvals = ledger
            .reviews
            .iter()
            .zip(ledger.counting(rev))
            .filter(|(r, _)| r.verdict == Verdict::Approved)
            .map(|(r, valid)| ApprovalView {
                reviewer: r.reviewer.clone(),
                at: short_time(&r.created_at),
                valid,
            })
            .collect();
        RevisionView {
            id: rev.id,
            title: &f.title,
            slug: &rev.slug,
            locale: &rev.locale,
            state: rev.state.as_str(),
            state_label: state_label(rev.state.as_str()),
            author: &rev.author,
            category: &f.category,
            tags: &f.tags,
            summary: &f.summary,
            visibility: f.visibility.as_str(),
            status: f.status.as_str(),
            content_hash: rev.content_hash.get(..12).unwrap_or(""),
            created_at: short_time(&rev.created_at),
            updated_at: short_time(&rev.updated_at),
            approvals,
            approval_count: ledger.approvals(rev),
            approvals_needed: min,
            reviewers,
            kind: rev.kind,
        }
    }
}

/// What the signed-in agent may do on the page, and why not where it helps.
#[derive(Serialize)]
struct Can {
    edit: bool,
    submit: bool,
    approve: bool,
    request_changes: bool,
    publish: bool,
    discard: bool,
    comment: bool,
}

impl Can {
    fn new(rev: &Revision, me: &Account, ledger: &Ledger, min: usize) -> Can {
        let can = |a| check(a, rev, me, ledger, min).is_ok();
        Can {
            edit: can(Action::Edit) && rev.kind != RevisionKind::ReviewLive,
            submit: can(Action::Submit),
            approve: can(Action::Approve),
            request_changes: can(Action::RequestChanges),
            publish: can(Action::Publish),
            discard: can(Action::Discard),
            comment: can(Action::Comment),
        }
    }
}

/// Why the agent cannot approve (once the revision is in review), and why
/// it cannot be published yet: the rule's own message.
fn blockers(
    rev: &Revision,
    me: &Account,
    ledger: &Ledger,
    min: usize,
) -> (Option<String>, Option<String>) {
    let open = rev.state.is_open();
    let review = match check(Action::Approve, rev, me, ledger, min) {
        Err(e) if open && rev.state != RevisionState::Draft => Some(e.to_string()),
        _ => None,
    };
    let publish = match check(Action::Publish, rev, me, ledger, min) {
        Err(e) if open => Some(e.to_string()),
        _ => None,
    };
    (review, publish)
}

/// The page's action URLs.
fn action_urls(ctx: &mut tera::Context, rev: &Revision) {
    let base = format!("/agent/revisions/{}", rev.id);
    for (key, action) in [
        ("submit_url", "submit"),
        ("approve_url", "approve"),
        ("request_changes_url", "request-changes"),
        ("publish_url", "publish"),
        ("comment_url", "comment"),
        ("discard_url", "discard"),
        ("edit_url", "edit"),
        ("archive_url", "archive"),
    ] {
        ctx.insert(key, &format!("{base}/{action}"));
    }
    let query = serde_urlencoded::to_string([("slug", &rev.slug), ("locale", &rev.locale)])
        .unwrap_or_default();
    ctx.insert("history_url", &format!("/agent/history?{query}"));
}

/// `GET /agent/revisions/{id}`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Response {
    let flash = flash_from(raw.as_deref());
    state
        .run(move |s| {
            let rev = s
                .store
                .revision(id)
                .map_err(|_| AppError::NotFound(format!("There is no revision {id}.")))?;
            let ledger = s.workflow.ledger(id)?;
            let min = s.workflow.min_approvals;
            let me = &session.account;
            let live = s.library.index().get(&rev.slug, &rev.locale, Audience::Agent)?;
            let diff = match (&live, rev.kind) {
                (Some(l), RevisionKind::Edit) => Some(diff_lines(&l.markdown, &rev.fields.body)),
                _ => None,
            };
            // Every field that goes live, not only the body, is shown.
            let fields = match rev.kind {
                RevisionKind::ReviewLive => Vec::new(),
                RevisionKind::Edit => {
                    field_changes(s.workflow.live(&rev.slug, &rev.locale)?.as_ref(), &rev.fields)
                }
                RevisionKind::New => field_changes(None, &rev.fields),
            };
            let (review_blocker, publish_blocker) = blockers(&rev, me, &ledger, min);
            let agents = super::reviewer_choices(s, rev.author_id)?;
            let comments: Vec<_> = s
                .store
                .comments(id)?
                .into_iter()
                .map(|c| {
                    json!({ "author": c.author, "at": short_time(&c.created_at), "line": c.line, "body": c.body })
                })
                .collect();
            let body_lines: Vec<_> = rev
                .fields
                .body
                .lines()
                .enumerate()
                .map(|(i, l)| json!({ "no": i + 1, "text": l }))
                .collect();
            let catalog = crate::articles::load::Catalog::new(&s.config.default_locale);
            let preview = crate::articles::markdown::render(&rev.fields.body, 1, &rev.path, &catalog);
            let mut ctx = context(s, Some(&session), flash);
            let reviewers = s.store.requested_reviewers(id)?;
            ctx.insert("revision", &RevisionView::new(&rev, &ledger, min, reviewers));
            ctx.insert("can", &Can::new(&rev, me, &ledger, min));
            ctx.insert("preview_html", &preview.html);
            ctx.insert("diff", &diff);
            ctx.insert("field_changes", &fields);
            ctx.insert("review_blocker", &review_blocker);
            ctx.insert("publish_blocker", &publish_blocker);
            ctx.insert("comments", &comments);
            ctx.insert("body_lines", &body_lines);
            ctx.insert("agents", &agents);
            action_urls(&mut ctx, &rev);
            ctx.insert("live_url", &live.map(|l| l.url));
            render(s, "agent/revision.html", &ctx)
        })
        .await
        .into_response()
}

/// `POST /agent/revisions/{id}/{action}`
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    state
        .run(move |s| {
            let me = &session.account;
            let wf = &s.workflow;
            let text = form.get("body").unwrap_or_default();
            let back = |done: &str| Ok(redirect(&format!("/agent/revisions/{id}?done={done}")));
            match action.as_str() {
                "submit" => {
                    wf.submit(me, id, &form.all("reviewers"))?;
                    back("submitted")
                }
                "approve" => {
                    wf.approve(me, id, text)?;
                    back("approved")
                }
                "request-changes" => {
                    wf.request_changes(me, id, text)?;
                    back("changes_requested")
                }
                "comment" => {
                    let line = match form.get("line").filter(|l| !l.is_empty()) {
                        Some(l) => Some(l.parse::<i64>().map_err(|_| {
                            AppError::BadRequest(format!("`{l}` is not a line number."))
                        })?),
                        None => None,
                    };
                    wf.comment(me, id, line, text)?;
                    back("commented")
                }
                "publish" => {
                    wf.publish(me, id)?;
                    back("published")
                }
                "discard" => {
                    wf.discard(me, id)?;
                    back("discarded")
                }
                "claim" => {
                    wf.claim(me, id)?;
                    Ok(redirect(&format!(
                        "/agent/revisions/{id}/edit?done=claimed"
                    )))
                }
                "restore" => {
                    let rev = wf.restore(me, id)?;
                    Ok(redirect(&format!(
                        "/agent/revisions/{}/edit?done=saved",
                        rev.id
                    )))
                }
                "archive" => {
                    let rev = s.store.revision(id)?;
                    let fields = crate::store::RevisionFields {
                        status: crate::articles::Status::Archived,
                        ..rev.fields
                    };
                    wf.save(me, id, rev.version, fields)?;
                    back("saved")
                }
                other => Err(AppError::NotFound(format!("There is no action `{other}`."))),
            }
        })
        .await
}

/// `GET /agent/history?slug=&locale=`
pub async fn history(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (slug, locale) = article_param(&state, &Params::parse(raw.as_deref()));
    state
        .run(move |s| {
            let revisions = s.store.history(&slug, &locale)?;
            let live = s.library.index().get(&slug, &locale, Audience::Agent)?;
            if revisions.is_empty() && live.is_none() {
                return Err(AppError::NotFound(format!("There is no article `{slug}`.")));
            }
            let title = live.as_ref().map(|l| l.title.clone()).or_else(|| revisions.first().map(|r| r.fields.title.clone())).unwrap_or_default();
            let mut ctx = context(s, Some(&session), None);
            ctx.insert("article", &json!({ "title": title, "slug": slug, "url": live.map(|l| l.url) }));
            let rows: Vec<_> = revisions
                .iter()
                .map(|r| json!({
                    "id": r.id, "state": r.state.as_str(), "state_label": state_label(r.state.as_str()), "author": r.author,
                    "created_at": short_time(&r.created_at), "published_at": r.published_at.as_deref().map(short_time),
                    "url": format!("/agent/revisions/{}", r.id), "restore_url": format!("/agent/revisions/{}/restore", r.id),
                }))
                .collect();
            ctx.insert("revisions", &rows);
            render(s, "agent/history.html", &ctx)
        })
        .await
        .into_response()
}

/// `GET /agent/diff?from=&to=` — any two revisions of the same article.
pub async fn diff(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let ids = (
        params.number("from", 0, 1, i64::MAX as usize),
        params.number("to", 0, 1, i64::MAX as usize),
    );
    state
        .run(move |s| {
            let (from, to) = (ids.0? as i64, ids.1? as i64);
            let (a, b) = (s.store.revision(from)?, s.store.revision(to)?);
            if (a.slug.as_str(), a.locale.as_str()) != (b.slug.as_str(), b.locale.as_str()) {
                return Err(AppError::BadRequest(
                    "Those revisions belong to different articles.".into(),
                ));
            }
            let mut ctx = context(s, Some(&session), None);
            let label = |r: &crate::store::Revision| {
                format!(
                    "#{} · {} · {} · {}",
                    r.id,
                    state_label(r.state.as_str()),
                    r.author,
                    short_time(&r.updated_at)
                )
            };
            ctx.insert("from", &json!({ "id": a.id, "label": label(&a) }));
            ctx.insert("to", &json!({ "id": b.id, "label": label(&b) }));
            let old = format!("# {}\n\n{}", a.fields.title, a.fields.body);
            let new = format!("# {}\n\n{}", b.fields.title, b.fields.body);
            ctx.insert("lines", &diff_lines(&old, &new));
            let query = serde_urlencoded::to_string([("slug", &a.slug), ("locale", &a.locale)])
                .unwrap_or_default();
            ctx.insert("back_url", &format!("/agent/history?{query}"));
            render(s, "agent/diff.html", &ctx)
        })
        .await
        .into_response()
}

/// The article a live-article action names (`slug`, `locale` in the query).
fn target(
    state: &AppState,
    raw: Option<&str>,
    form: &FormData,
) -> Result<(String, String), AppError> {
    let params = Params::parse(raw);
    let slug = params
        .text("slug")
        .or(form.get("slug"))
        .unwrap_or_default()
        .to_string();
    let locale = params
        .text("locale")
        .or(form.get("locale"))
        .unwrap_or(&state.config.default_locale)
        .to_string();
    if !crate::articles::is_valid_slug(&slug) {
        return Err(AppError::BadRequest(format!(
            "`{slug}` is not a valid slug."
        )));
    }
    Ok((slug, locale))
}

/// `POST /agent/articles/verify?slug=&locale=` — "still accurate".
pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    let (slug, locale) = target(&state, raw.as_deref(), &form)?;
    state
        .run(move |s| {
            s.workflow.verify(&session.account, &slug, &locale)?;
            Ok(redirect("/agent?done=verified"))
        })
        .await
}

/// `POST /agent/articles/review-live?slug=&locale=` — review a hand edit.
pub async fn review_live(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    let (slug, locale) = target(&state, raw.as_deref(), &form)?;
    state
        .run(move |s| {
            let rev = s.workflow.review_live(&session.account, &slug, &locale)?;
            Ok(redirect(&format!("/agent/revisions/{}", rev.id)))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changes_with_line_numbers() {
        let lines = diff_lines("a\nb\nc\n", "a\nB\nc\nd\n");
        let kinds: Vec<_> = lines
            .iter()
            .map(|l| (l.kind, l.old_no, l.new_no, l.text.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ctx", Some(1), Some(1), "a"),
                ("del", Some(2), None, "b"),
                ("add", None, Some(2), "B"),
                ("ctx", Some(3), Some(3), "c"),
                ("add", None, Some(4), "d")
            ]
        );
    }
}
