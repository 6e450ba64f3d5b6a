//! `/agent/synonyms` (leads and admins): the synonyms file the team edits,
//! and a form — reached from the report's "add synonym" links with the
//! failing query prefilled — that appends one rule. The whole new file is
//! validated with the same parser search uses (errors name their line),
//! written atomically (temp file + rename) and loaded into search at once.

use std::path::Path;
use std::sync::Mutex;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::{context, redirect, render, Flash, FormData, LeadRole, SignedIn};
use crate::index::Synonyms;
use crate::store::{Role, Session, Store};
use crate::web::params::Params;
use crate::web::{AppError, AppState};

/// Serialises read-append-write of the file between concurrent requests.
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// Longest phrase or list accepted from the form.
const MAX_FIELD_CHARS: usize = 500;

/// What the form holds.
#[derive(Debug, Default, Serialize)]
struct RuleForm {
    phrase: String,
    synonyms: String,
    /// `both` (a group) or `one_way` (`phrase => synonyms`).
    direction: String,
}

impl RuleForm {
    /// The rule line, or why the fields cannot make one.
    fn to_line(&self) -> Result<String, String> {
        let (phrase, synonyms) = (self.phrase.trim(), self.synonyms.trim());
        if phrase.is_empty() || synonyms.is_empty() {
            return Err("Fill in the phrase and what it should also find.".into());
        }
        if [phrase, synonyms]
            .iter()
            .any(|f| f.chars().count() > MAX_FIELD_CHARS)
        {
            return Err(format!(
                "Keep each field under {MAX_FIELD_CHARS} characters."
            ));
        }
        if [phrase, synonyms].iter().any(|f| f.contains(['\n', '\r'])) {
            return Err("A rule is one line: remove the line breaks.".into());
        }
        if phrase.contains(',') || phrase.contains("=>") || phrase.starts_with('#') {
            return Err("The phrase is one phrase: no commas, `=>` or leading `#`.".into());
        }
        if synonyms.contains("=>") {
            return Err("Separate the other phrases with commas, not `=>`.".into());
        }
        Ok(if self.direction == "one_way" {
            format!("{phrase} => {synonyms}")
        } else {
            format!("{phrase}, {synonyms}")
        })
    }
}

/// `GET /agent/synonyms?phrase=...`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<LeadRole>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let form = RuleForm {
        phrase: params.text("phrase").unwrap_or_default().to_string(),
        direction: "both".into(),
        ..RuleForm::default()
    };
    let flash = (params.text("done") == Some("added")).then(|| Flash {
        kind: "ok",
        text: "Synonym added: search uses it now.".into(),
    });
    state
        .run(move |s| {
            let text = read(&s.config.synonyms)?;
            synonyms_page(s, &session, &text, &form, &[], flash)
        })
        .await
        .into_response()
}

/// `POST /agent/synonyms`
pub async fn add(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let result = async {
        let form = FormData::parse(&body)?;
        let session = form.authorize(&state, &headers, Role::Lead)?;
        let rule = RuleForm {
            phrase: form.get("phrase").unwrap_or_default().to_string(),
            synonyms: form.get("synonyms").unwrap_or_default().to_string(),
            direction: form.get("direction").unwrap_or("both").to_string(),
        };
        state
            .run(move |s| {
                let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
                let path = &s.config.synonyms;
                let current = read(path)?;
                let invalid = |errors: &[String]| -> Result<Response, AppError> {
                    let html = synonyms_page(s, &session, &current, &rule, errors, None)?;
                    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
                };
                let line = match rule.to_line() {
                    Ok(line) => line,
                    Err(message) => return invalid(&[message]),
                };
                let mut next = current.clone();
                if !next.is_empty() && !next.ends_with('\n') {
                    next.push('\n');
                }
                next.push_str(&line);
                next.push('\n');
                if let Err(errors) = Synonyms::parse(&file_name(path), &next) {
                    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                    return invalid(&errors);
                }
                write(path, &next)?;
                if let Err(errors) = s.library.load_synonyms(path) {
                    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                    return Err(AppError::Internal(format!(
                        "synonyms written but not loaded: {}",
                        errors.join("; ")
                    )));
                }
                s.store.write(|tx| {
                    Store::audit(
                        tx,
                        Some(session.account.id),
                        "synonyms.add",
                        &file_name(path),
                        &line,
                    )
                })?;
                Ok(redirect("/agent/synonyms?done=added"))
            })
            .await
    }
    .await;
    result.into_response()
}

fn synonyms_page(
    s: &AppState,
    session: &Session,
    text: &str,
    form: &RuleForm,
    errors: &[String],
    flash: Option<Flash>,
) -> Result<Html<String>, AppError> {
    let mut ctx = context(s, Some(session), flash);
    let lines: Vec<&str> = text.lines().collect();
    let rules = lines
        .iter()
        .filter(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
        .count();
    ctx.insert("lines", &lines);
    ctx.insert("rules", &rules);
    ctx.insert("path", &s.config.synonyms.display().to_string());
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    render(s, "agent/synonyms.html", &ctx)
}

/// The file's text; none yet is an empty file.
fn read(path: &Path) -> Result<String, AppError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(AppError::Internal(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Replaces the file atomically: the watcher never sees half of it.
fn write(path: &Path, text: &str) -> Result<(), AppError> {
    crate::atomic_file::write_text(path, text)
        .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "synonyms.txt".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_lines_from_the_form() {
        let form = |phrase: &str, synonyms: &str, direction: &str| RuleForm {
            phrase: phrase.into(),
            synonyms: synonyms.into(),
            direction: direction.into(),
        };
        let cases = [
            (
                form("chargeback", "refund", "both"),
                Ok("chargeback, refund"),
            ),
            (
                form(" 2fa ", "two-factor, otp", "one_way"),
                Ok("2fa => two-factor, otp"),
            ),
            (form("", "refund", "both"), Err("Fill in")),
            (form("a, b", "c", "both"), Err("one phrase")),
            (form("a", "b => c", "one_way"), Err("commas")),
            (form("a\nb", "c", "both"), Err("one line")),
        ];
        for (f, want) in cases {
            match (f.to_line(), want) {
                (Ok(line), Ok(w)) => assert_eq!(line, w),
                (Err(e), Err(w)) => assert!(e.contains(w), "{e}"),
                (got, w) => panic!("{f:?}: got {got:?}, want {w:?}"),
            }
        }
    }
}
