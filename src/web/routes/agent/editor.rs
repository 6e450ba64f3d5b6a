//! The editor: new articles, edits of live ones (a revision; the live version
//! stays as it is), saving with conflict detection, autosave and the live
//! preview — rendered by the same renderer as the public site.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{article_param, context, flash_from, redirect, AnyAgent, FormData, SignedIn};
use crate::articles::load::Catalog;
use crate::articles::{markdown, Status, Visibility};
use crate::index::Audience;
use crate::review::{check, Action, TransitionError, WorkflowError};
use crate::store::{Revision, RevisionFields, RevisionKind, Role, Session};
use crate::web::auth;
use crate::web::params::Params;
use crate::web::{ApiError, AppError, AppState};

/// What the editor form holds.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub version: i64,
    pub title: String,
    pub slug: String,
    pub category: String,
    pub tags: String,
    pub summary: String,
    pub locale: String,
    pub visibility: String,
    pub body: String,
}

impl Draft {
    fn from_form(form: &FormData) -> Draft {
        let get = |k: &str| form.get(k).unwrap_or_default().to_string();
        Draft {
            version: form
                .get("version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            title: get("title"),
            slug: get("slug"),
            category: get("category"),
            tags: get("tags"),
            summary: get("summary"),
            locale: get("locale"),
            visibility: get("visibility"),
            // The body keeps its whitespace: Markdown cares.
            body: form
                .raw("body")
                .map(|v| v.replace("\r\n", "\n"))
                .unwrap_or_default(),
        }
    }

    fn from_revision(rev: &Revision) -> Draft {
        Draft {
            version: rev.version,
            ..Draft::from_fields(&rev.slug, &rev.locale, &rev.fields)
        }
    }

    fn from_fields(slug: &str, locale: &str, f: &RevisionFields) -> Draft {
        Draft {
            version: 0,
            title: f.title.clone(),
            slug: slug.to_string(),
            category: f.category.clone(),
            tags: f.tags.join(", "),
            summary: f.summary.clone(),
            locale: locale.to_string(),
            visibility: f.visibility.as_str().to_string(),
            body: f.body.clone(),
        }
    }

    /// The visibility chosen; a form without one means public.
    fn visibility(&self) -> &str {
        match self.visibility.as_str() {
            "" => Visibility::Public.as_str(),
            v => v,
        }
    }

    /// The revision fields, keeping what the form does not edit from `base`;
    /// a visibility other than the two there are is the writer's error.
    fn fields(&self, base: Option<&RevisionFields>) -> Result<RevisionFields, WorkflowError> {
        let visibility: Visibility = self
            .visibility()
            .parse()
            .map_err(|m| WorkflowError::Invalid(format!("visibility: {m}")))?;
        let category = if self.category.trim().is_empty() {
            self.slug
                .split_once('/')
                .map(|(c, _)| c.to_string())
                .unwrap_or_else(|| "general".into())
        } else {
            self.category.trim().to_lowercase()
        };
        Ok(RevisionFields {
            title: self.title.trim().to_string(),
            category,
            tags: self
                .tags
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            summary: self.summary.trim().to_string(),
            visibility,
            status: base.map_or(Status::Published, |b| b.status),
            extra: base.map(|b| b.extra.clone()).unwrap_or_default(),
            body: self.body.clone(),
        })
    }
}

/// The editor form as its template shows it.
#[derive(Serialize)]
struct EditorView<'a> {
    /// The revision being edited; none before the first save.
    id: Option<i64>,
    version: i64,
    title: &'a str,
    slug: &'a str,
    category: &'a str,
    tags: &'a str,
    summary: &'a str,
    locale: &'a str,
    visibility: &'a str,
    body: &'a str,
    state: &'static str,
    is_new: bool,
    /// A new article's address can change until it is first published.
    slug_editable: bool,
    /// Whether "Submit for review" is offered: the rule allows it (an empty
    /// body aside, which the agent may be writing now).
    can_submit: bool,
}

/// Someone else's save, shown beside the user's own text: both are kept, and
/// saving again (now from their version) is a deliberate choice.
#[derive(Serialize)]
struct Conflict {
    their_title: String,
    their_body: String,
    their_version: i64,
    message: String,
}

impl Conflict {
    fn new(theirs: &Revision, what_they_did: &str) -> Conflict {
        Conflict {
            their_title: theirs.fields.title.clone(),
            their_body: theirs.fields.body.clone(),
            their_version: theirs.version,
            message: format!(
                "{} {what_they_did}. Your text is below; theirs is shown for comparison. Merge them and save again.",
                theirs.author
            ),
        }
    }
}

/// What the editor form saves to.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// A new article.
    New,
    /// A live article nobody is editing yet: the first save starts its revision.
    Live,
    /// An open revision.
    Revision(&'a Revision),
}

/// The answer to a save: on to the editor of the saved revision (or, when
/// the agent pressed "Submit for review", submitted and on to its review
/// page), or the form back with the other person's version (a conflict,
/// saying what they did) or the field error in place.
fn after_save(
    s: &AppState,
    session: &Session,
    saved: Result<Revision, WorkflowError>,
    mut draft: Draft,
    form: Target,
    what_they_did: &str,
    submit: Option<Vec<String>>,
) -> Result<Response, AppError> {
    match saved {
        Ok(rev) => match submit {
            None => Ok(redirect(&format!(
                "/agent/revisions/{}/edit?done=saved",
                rev.id
            ))),
            Some(reviewers) => submitted(s, session, &rev, &reviewers),
        },
        Err(WorkflowError::Conflict(theirs)) => {
            let conflict = Conflict::new(&theirs, what_they_did);
            draft.version = theirs.version;
            let target = Target::Revision(&theirs);
            let html = editor_page(
                s,
                session,
                target,
                &draft,
                BTreeMap::new(),
                Some(conflict),
                None,
            )?;
            Ok(with_status(StatusCode::CONFLICT, html))
        }
        Err(WorkflowError::Invalid(m)) => {
            let errors = BTreeMap::from([(field_of(&m), m)]);
            let html = editor_page(s, session, form, &draft, errors, None, None)?;
            Ok(with_status(StatusCode::BAD_REQUEST, html))
        }
        Err(e) => Err(e.into()),
    }
}

/// Submits a revision just saved from the editor: on to its review page, or
/// the editor (with the saved text) saying why it was not submitted.
fn submitted(
    s: &AppState,
    session: &Session,
    rev: &Revision,
    reviewers: &[String],
) -> Result<Response, AppError> {
    let status = match s.workflow.submit(&session.account, rev.id, reviewers) {
        Ok(_) => {
            return Ok(redirect(&format!(
                "/agent/revisions/{}?done=submitted",
                rev.id
            )))
        }
        Err(e @ WorkflowError::Transition(_)) => (StatusCode::CONFLICT, e),
        Err(e @ WorkflowError::Invalid(_)) => (StatusCode::BAD_REQUEST, e),
        Err(e) => return Err(e.into()),
    };
    let message = format!("Draft saved, but not submitted for review: {}.", status.1);
    let errors = BTreeMap::from([("form", message)]);
    let html = editor_page(
        s,
        session,
        Target::Revision(rev),
        &Draft::from_revision(rev),
        errors,
        None,
        None,
    )?;
    Ok(with_status(status.0, html))
}

/// Renders the editor page.
fn editor_page(
    s: &AppState,
    session: &Session,
    target: Target,
    draft: &Draft,
    errors: BTreeMap<&str, String>,
    conflict: Option<Conflict>,
    flash: Option<super::Flash>,
) -> Result<String, AppError> {
    let mut ctx = context(s, Some(session), flash);
    let rev = match target {
        Target::Revision(r) => Some(r),
        _ => None,
    };
    let view = EditorView {
        id: rev.map(|r| r.id),
        version: draft.version,
        title: &draft.title,
        slug: &draft.slug,
        category: &draft.category,
        tags: &draft.tags,
        summary: &draft.summary,
        locale: if draft.locale.is_empty() {
            &s.config.default_locale
        } else {
            &draft.locale
        },
        visibility: draft.visibility(),
        body: &draft.body,
        state: rev.map_or("draft", |r| r.state.as_str()),
        is_new: matches!(target, Target::New),
        slug_editable: rev.map_or(matches!(target, Target::New), |r| {
            r.kind == RevisionKind::New
        }),
        can_submit: match rev {
            None => true,
            Some(r) => {
                let ledger = s.workflow.ledger(r.id)?;
                let rule = check(
                    Action::Submit,
                    r,
                    &session.account,
                    &ledger,
                    s.workflow.min_approvals,
                );
                !matches!(rule, Err(e) if e != TransitionError::Empty)
            }
        },
    };
    ctx.insert("revision", &view);
    ctx.insert(
        "agents",
        &super::reviewer_choices(s, rev.map_or(session.account.id, |r| r.author_id))?,
    );
    ctx.insert("errors", &errors);
    let categories: Vec<String> = s
        .library
        .index()
        .categories(&s.config.default_locale, Audience::Agent)?
        .into_iter()
        .map(|c| c.category)
        .collect();
    ctx.insert("categories", &categories);
    let action = match target {
        Target::New => "/agent/articles/new".to_string(),
        Target::Live => format!(
            "/agent/edit?{}",
            serde_urlencoded::to_string([("slug", &draft.slug), ("locale", &draft.locale)])
                .unwrap_or_default()
        ),
        Target::Revision(r) => format!("/agent/revisions/{}/edit", r.id),
    };
    ctx.insert("action", &action);
    ctx.insert(
        "autosave_url",
        &rev.map_or(String::new(), |r| format!("/agent/revisions/{}", r.id)),
    );
    ctx.insert("preview_url", "/agent/preview");
    ctx.insert(
        "preview_html",
        &preview_html(s, &draft.body, draft.slug.as_str()),
    );
    ctx.insert("conflict", &conflict);
    s.templates
        .render("agent/editor.html", &ctx)
        .map_err(AppError::Internal)
}

/// The article HTML for Markdown being edited.
fn preview_html(s: &AppState, body: &str, slug: &str) -> String {
    let catalog = Catalog::new(&s.config.default_locale);
    let path = format!("{}.md", if slug.is_empty() { "preview" } else { slug });
    markdown::render(body, 1, &path, &catalog).html
}

/// The form's field the message is about, for showing it in place.
fn field_of(message: &str) -> &'static str {
    let m = message.to_lowercase();
    for (needle, field) in [
        ("slug", "slug"),
        ("title", "title"),
        ("category", "category"),
        ("visibility", "visibility"),
        ("locale", "locale"),
    ] {
        if m.contains(needle) {
            return field;
        }
    }
    "form"
}

/// The reviewers named when the form was sent with "Submit for review"
/// (none named is a request to any agent); `None` for a plain save.
fn submit_request(form: &FormData) -> Option<Vec<String>> {
    (form.get("then") == Some("submit")).then(|| form.all("reviewers"))
}

fn with_status(status: StatusCode, html: String) -> Response {
    (status, axum::response::Html(html)).into_response()
}

/// `GET /agent/articles/new`
pub async fn new_form(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let draft = Draft {
        title: params.text("title").unwrap_or_default().to_string(),
        slug: params.text("slug").unwrap_or_default().to_string(),
        body: params.text("body").unwrap_or_default().to_string(),
        ..Draft::default()
    };
    state
        .run(move |s| {
            editor_page(
                s,
                &session,
                Target::New,
                &draft,
                BTreeMap::new(),
                None,
                None,
            )
            .map(axum::response::Html)
        })
        .await
        .into_response()
}

/// `POST /agent/articles/new`
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    let mut draft = Draft::from_form(&form);
    // Left empty, the slug is the one suggested from the title (what the
    // editor's script fills in as the title is typed).
    if draft.slug.trim().is_empty() {
        draft.slug = crate::articles::slug_from_title(&draft.category, &draft.title);
    }
    let submit = submit_request(&form);
    state
        .run(move |s| {
            let locale = crate::articles::normalize_locale(if draft.locale.is_empty() {
                &s.config.default_locale
            } else {
                &draft.locale
            })
            .ok_or_else(|| {
                AppError::BadRequest("The locale is not a language tag such as `en`.".into())
            })?;
            let created = draft.fields(None).and_then(|f| {
                s.workflow
                    .start_new(&session.account, &draft.slug, &locale, f)
            });
            after_save(s, &session, created, draft, Target::New, "", submit)
        })
        .await
}

/// `GET /agent/edit?slug=&locale=` — opens the article's open revision, or
/// the editor on the live version. Nothing is written until the agent saves:
/// following a link never creates a revision.
pub async fn start_edit(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (slug, locale) = article_param(&state, &Params::parse(raw.as_deref()));
    state
        .run(move |s| {
            if !crate::articles::is_valid_slug(&slug) {
                return Err(AppError::NotFound(
                    "There is no article at this address.".into(),
                ));
            }
            if let Some(open) = s.store.open_revision(&slug, &locale)? {
                return Ok(redirect(&format!("/agent/revisions/{}/edit", open.id)));
            }
            let live = s.workflow.live(&slug, &locale)?.ok_or_else(|| {
                AppError::NotFound(format!("There is no live article `{slug}` to edit."))
            })?;
            let draft = Draft::from_fields(&slug, &locale, &live);
            let html = editor_page(
                s,
                &session,
                Target::Live,
                &draft,
                BTreeMap::new(),
                None,
                None,
            )?;
            Ok(axum::response::Html(html).into_response())
        })
        .await
        .into_response()
}

/// `POST /agent/edit?slug=&locale=` — the first save of an edit: starts the
/// live article's revision with the submitted content.
pub async fn create_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    let (slug, locale) = article_param(&state, &Params::parse(raw.as_deref()));
    let mut draft = Draft::from_form(&form);
    let submit = submit_request(&form);
    state
        .run(move |s| {
            let live = s.workflow.live(&slug, &locale)?.ok_or_else(|| {
                AppError::NotFound(format!("There is no live article `{slug}` to edit."))
            })?;
            (draft.slug, draft.locale) = (slug.clone(), locale.clone());
            let started = draft
                .fields(Some(&live))
                .and_then(|f| s.workflow.edit_live(&session.account, &slug, &locale, f));
            let what = "started editing this article while you were writing";
            after_save(s, &session, started, draft, Target::Live, what, submit)
        })
        .await
}

/// `GET /agent/revisions/{id}/edit`
pub async fn edit_form(
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
            if !rev.state.is_open() {
                return Ok(redirect(&format!("/agent/revisions/{id}")));
            }
            let html = editor_page(
                s,
                &session,
                Target::Revision(&rev),
                &Draft::from_revision(&rev),
                BTreeMap::new(),
                None,
                flash,
            )?;
            Ok(axum::response::Html(html).into_response())
        })
        .await
        .into_response()
}

/// `POST /agent/revisions/{id}/edit`
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    let draft = Draft::from_form(&form);
    let submit = submit_request(&form);
    state
        .run(move |s| {
            let rev = s
                .store
                .revision(id)
                .map_err(|_| AppError::NotFound(format!("There is no revision {id}.")))?;
            let me = &session.account;
            let saved = draft.fields(Some(&rev.fields)).and_then(|f| {
                // A new article's draft moves when its slug is changed; a
                // form without one keeps it where it is.
                if rev.kind == RevisionKind::New && !draft.slug.trim().is_empty() {
                    s.workflow.rename(me, id, &draft.slug)?;
                }
                s.workflow.save(me, id, draft.version, f)
            });
            let what = "saved this draft while you were editing";
            after_save(
                s,
                &session,
                saved,
                draft,
                Target::Revision(&rev),
                what,
                submit,
            )
        })
        .await
}

/// The session of a script request, checked against `X-CSRF-Token`.
fn script_session(state: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let session = auth::require(state, headers, Role::Agent)?;
    auth::check_csrf(
        &session,
        headers.get("x-csrf-token").and_then(|v| v.to_str().ok()),
    )?;
    Ok(session)
}

/// `PUT /agent/revisions/{id}` — autosave from the editor script.
pub async fn autosave(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, ApiError> {
    let session = script_session(&state, &headers)?;
    let draft: Draft = serde_json::from_str(&body)
        .map_err(|e| AppError::BadRequest(format!("Not a draft: {e}.")))?;
    state
        .run(move |s| {
            let rev = s.store.revision(id).map_err(|_| AppError::NotFound(format!("There is no revision {id}.")))?;
            let saved = draft
                .fields(Some(&rev.fields))
                .and_then(|f| s.workflow.save(&session.account, id, draft.version, f));
            Ok(match saved {
                Ok(saved) => Json(json!({ "version": saved.version, "saved_at": saved.updated_at })).into_response(),
                Err(WorkflowError::Conflict(theirs)) => (
                    StatusCode::CONFLICT,
                    Json(json!({
                        "error": { "code": "conflict", "message": format!("{} saved this draft while you were editing; your text was not saved.", theirs.author) },
                        "theirs": { "version": theirs.version, "title": theirs.fields.title, "body": theirs.fields.body },
                    })),
                )
                    .into_response(),
                Err(e) => ApiError(e.into()).into_response(),
            })
        })
        .await
        .map_err(ApiError)
}

#[derive(Deserialize)]
pub struct PreviewRequest {
    #[serde(default)]
    body: String,
    #[serde(default)]
    slug: String,
}

/// `POST /agent/preview` — `{body}` → `{html}`, sanitized like the public site.
pub async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Json<serde_json::Value>, ApiError> {
    script_session(&state, &headers)?;
    let req: PreviewRequest = serde_json::from_str(&body)
        .map_err(|e| AppError::BadRequest(format!("Not a preview request: {e}.")))?;
    if req.body.len() > 1_000_000 {
        return Err(
            AppError::BadRequest("The article is too long to preview (over 1 MB).".into()).into(),
        );
    }
    let html = state
        .run(move |s| Ok(preview_html(s, &req.body, &req.slug)))
        .await?;
    Ok(Json(json!({ "html": html })))
}
