//! The review workflow as rules: which action is allowed on a revision in
//! which state, by whom, and where it leads. Pure — the [`Workflow`] applies
//! these rules to the store, the articles folder and the index. The
//! invariants (ARCHITECTURE.md, "Review workflow"): nothing is published
//! without `min_approvals` approvals from agents other than the author; an
//! approval covers the exact content hash it saw; a published article's live
//! version is untouched until its revision is published.

mod publish;
mod workflow;

pub use publish::{render_file, write_atomically};
pub use workflow::{Workflow, WorkflowError};

use crate::store::{Account, Review, Revision, RevisionKind, RevisionState, Role, Verdict};

/// A review interval such as `180d`, `12w`, `6m` or `1y`.
pub fn parse_interval(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let days = match unit.trim() {
        "d" => n,
        "w" => n * 7,
        "m" => n * 30,
        "y" => n * 365,
        _ => return None,
    };
    Some(chrono::Duration::days(days))
}

/// What someone wants to do with a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Edit,
    Submit,
    Approve,
    RequestChanges,
    Comment,
    Publish,
    Discard,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("this revision is {state} and can no longer change")]
    Closed { state: &'static str },
    #[error("only a draft or a revision with requested changes can be submitted for review (this one is {state})")]
    NotADraft { state: &'static str },
    #[error("only a revision in review can be approved or sent back (this one is {state})")]
    NotInReview { state: &'static str },
    #[error("you wrote this revision, so you cannot review it — ask another agent")]
    SelfReview,
    #[error("publishing needs {need} approval(s) of this exact content from agents other than the author; it has {have}")]
    NotEnoughApprovals { have: usize, need: usize },
    #[error("a review of the live content is complete once approved; there is nothing to publish")]
    NothingToPublish,
    #[error("only the author or a lead can discard this revision")]
    NotYours,
}

/// Approvals that count for `rev`: by someone other than the author, of its
/// current content hash, the latest verdict of each reviewer.
pub fn valid_approvals(rev: &Revision, reviews: &[Review]) -> usize {
    let mut latest: std::collections::HashMap<i64, &Review> = std::collections::HashMap::new();
    for r in reviews {
        latest.insert(r.reviewer_id, r);
    }
    latest
        .values()
        .filter(|r| {
            r.reviewer_id != rev.author_id
                && r.verdict == Verdict::Approved
                && r.content_hash == rev.content_hash
        })
        .count()
}

/// Whether `actor` may do `action` on `rev`, and the state it leads to.
pub fn check(
    action: Action,
    rev: &Revision,
    actor: &Account,
    approvals: usize,
    min_approvals: usize,
) -> Result<RevisionState, TransitionError> {
    use RevisionState::*;
    let state = rev.state;
    if !state.is_open() {
        return Err(TransitionError::Closed {
            state: state.as_str(),
        });
    }
    match action {
        Action::Edit | Action::Comment => Ok(state),
        Action::Submit => match state {
            Draft | ChangesRequested => Ok(InReview),
            _ => Err(TransitionError::NotADraft {
                state: state.as_str(),
            }),
        },
        Action::Approve | Action::RequestChanges => {
            if actor.id == rev.author_id {
                return Err(TransitionError::SelfReview);
            }
            if !matches!(state, InReview | Approved) {
                return Err(TransitionError::NotInReview {
                    state: state.as_str(),
                });
            }
            Ok(match action {
                Action::Approve if approvals + 1 >= min_approvals => Approved,
                Action::Approve => InReview,
                _ => ChangesRequested,
            })
        }
        Action::Publish => {
            if rev.kind == RevisionKind::ReviewLive {
                return Err(TransitionError::NothingToPublish);
            }
            if approvals < min_approvals.max(1) {
                return Err(TransitionError::NotEnoughApprovals {
                    have: approvals,
                    need: min_approvals.max(1),
                });
            }
            Ok(Published)
        }
        Action::Discard => {
            if actor.id != rev.author_id && actor.role < Role::Lead {
                return Err(TransitionError::NotYours);
            }
            Ok(Discarded)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RevisionFields;

    fn account(id: i64, role: Role) -> Account {
        Account {
            id,
            name: format!("a{id}"),
            email: format!("a{id}@x"),
            role,
            disabled: false,
            created_at: String::new(),
        }
    }

    fn rev(state: RevisionState, kind: RevisionKind) -> Revision {
        Revision {
            id: 1,
            kind,
            slug: "s".into(),
            locale: "en".into(),
            path: "s.md".into(),
            author_id: 1,
            author: "a1".into(),
            state,
            fields: RevisionFields::default(),
            content_hash: "h2".into(),
            base_hash: None,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            published_at: None,
        }
    }

    fn review(reviewer: i64, verdict: Verdict, hash: &str) -> Review {
        Review {
            reviewer_id: reviewer,
            reviewer: String::new(),
            verdict,
            content_hash: hash.into(),
            body: String::new(),
            created_at: String::new(),
        }
    }

    #[test]
    fn transition_table() {
        use RevisionState::*;
        let author = account(1, Role::Agent);
        let other = account(2, Role::Agent);
        let lead = account(3, Role::Lead);
        let new = RevisionKind::New;
        type Case<'a> = (
            Action,
            RevisionState,
            &'a Account,
            usize,
            Result<RevisionState, TransitionError>,
        );
        let cases: Vec<Case> = vec![
            (Action::Submit, Draft, &author, 0, Ok(InReview)),
            (Action::Submit, ChangesRequested, &author, 0, Ok(InReview)),
            (
                Action::Submit,
                InReview,
                &author,
                0,
                Err(TransitionError::NotADraft { state: "in_review" }),
            ),
            (
                Action::Approve,
                InReview,
                &author,
                0,
                Err(TransitionError::SelfReview),
            ),
            (Action::Approve, InReview, &other, 0, Ok(Approved)),
            (
                Action::Approve,
                Draft,
                &other,
                0,
                Err(TransitionError::NotInReview { state: "draft" }),
            ),
            (
                Action::RequestChanges,
                InReview,
                &other,
                0,
                Ok(ChangesRequested),
            ),
            (
                Action::RequestChanges,
                Approved,
                &author,
                1,
                Err(TransitionError::SelfReview),
            ),
            (
                Action::Publish,
                InReview,
                &author,
                0,
                Err(TransitionError::NotEnoughApprovals { have: 0, need: 1 }),
            ),
            (Action::Publish, Approved, &author, 1, Ok(Published)),
            (
                Action::Edit,
                Published,
                &author,
                1,
                Err(TransitionError::Closed { state: "published" }),
            ),
            (
                Action::Discard,
                Draft,
                &other,
                0,
                Err(TransitionError::NotYours),
            ),
            (Action::Discard, Draft, &lead, 0, Ok(Discarded)),
            (Action::Comment, InReview, &other, 0, Ok(InReview)),
        ];
        for (action, state, actor, approvals, expected) in cases {
            assert_eq!(
                check(action, &rev(state, new), actor, approvals, 1),
                expected,
                "{action:?} on {state:?} by {}",
                actor.name
            );
        }
        assert_eq!(
            check(Action::Approve, &rev(InReview, new), &other, 0, 2),
            Ok(InReview),
            "one of two approvals"
        );
        assert_eq!(
            check(
                Action::Publish,
                &rev(Approved, RevisionKind::ReviewLive),
                &author,
                1,
                1
            ),
            Err(TransitionError::NothingToPublish)
        );
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("180d"), Some(chrono::Duration::days(180)));
        assert_eq!(parse_interval("2w"), Some(chrono::Duration::days(14)));
        assert_eq!(parse_interval("6m"), Some(chrono::Duration::days(180)));
        assert_eq!(parse_interval("1y"), Some(chrono::Duration::days(365)));
        for bad in ["", "d", "0d", "12", "3 days", "-5d"] {
            assert_eq!(parse_interval(bad), None, "{bad}");
        }
    }

    #[test]
    fn approvals_count_only_current_content_by_others() {
        let r = rev(RevisionState::InReview, RevisionKind::New);
        let reviews = vec![
            review(1, Verdict::Approved, "h2"), // the author: never counts
            review(2, Verdict::Approved, "h1"), // an older content hash
            review(3, Verdict::Approved, "h2"),
            review(4, Verdict::Approved, "h2"),
            review(4, Verdict::ChangesRequested, "h2"), // later verdict wins
        ];
        assert_eq!(valid_approvals(&r, &reviews), 1);
    }
}
