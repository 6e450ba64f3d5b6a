//! The review workflow as rules: which action is allowed on a revision in
//! which state, by whom, and where it leads. Pure — the [`Workflow`] applies
//! these rules to the store, the articles folder and the index. The
//! invariants (ARCHITECTURE.md, "Review workflow"): nothing is published
//! without `min_approvals` approvals from distinct agents who put no content
//! into the revision ([`Ledger::counting`] is the one place that says which
//! approvals count); an approval covers the exact content hash it saw, and
//! that hash covers every field that goes live; an empty article is never
//! reviewed or published; a published article's live version is untouched
//! until its revision is published.

pub mod baseline;
mod publish;
mod workflow;

pub use publish::{render_file, write_atomically};
pub use workflow::{Workflow, WorkflowError};

use crate::store::{
    Account, Review, Revision, RevisionFields, RevisionKind, RevisionState, Role, Verdict,
};

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
    #[error("you wrote or edited this revision, so you cannot review it — ask an agent who did not change it")]
    SelfReview,
    #[error(
        "you approved this content already; the same reviewer counts once — ask another agent"
    )]
    AlreadyApproved,
    #[error("this article has no content yet — write its body before it is reviewed or published")]
    Empty,
    #[error("publishing needs {need} approval(s) of this exact content from agents who did not write or edit it; it has {have}")]
    NotEnoughApprovals { have: usize, need: usize },
    #[error("a review of the live content is complete once approved; there is nothing to publish")]
    NothingToPublish,
    #[error("only the author or a lead can discard this revision")]
    NotYours,
    #[error("a review of the live article approves it as it is, so it cannot be edited — edit the article instead")]
    ReviewOfLive,
    #[error("publishing needs the revision approved; it is {state} (a change request is open, or it was not approved since)")]
    NotApproved { state: &'static str },
    #[error("the live article changed since this revision began (published from another revision or replica, or its file edited): publishing would overwrite that change — start a new edit from the live article and carry this one over")]
    LiveChanged,
}

/// Everything the approval rule reads about one revision: every verdict on
/// it, oldest first, and everyone who put content into it (its author, and
/// every agent who saved, autosaved, restored or claimed it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    pub reviews: Vec<Review>,
    pub contributors: Vec<i64>,
}

impl Ledger {
    /// Whether `account` put content into the revision.
    pub fn is_contributor(&self, account: i64) -> bool {
        self.contributors.contains(&account)
    }

    /// **The approval rule**, the one place it is written. For each review,
    /// whether it counts as an approval of `rev` as it is now: the verdict
    /// approves, it was given on the revision's current content hash (which
    /// covers every field that goes live), it is its reviewer's latest
    /// verdict, and the reviewer contributed no content. A reviewer counts
    /// once however often they approved.
    pub fn counting(&self, rev: &Revision) -> Vec<bool> {
        let mut latest: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for (i, r) in self.reviews.iter().enumerate() {
            latest.insert(r.reviewer_id, i);
        }
        self.reviews
            .iter()
            .enumerate()
            .map(|(i, r)| {
                latest.get(&r.reviewer_id) == Some(&i)
                    && r.verdict == Verdict::Approved
                    && r.content_hash == rev.content_hash
                    && r.reviewer_id != rev.author_id
                    && !self.is_contributor(r.reviewer_id)
            })
            .collect()
    }

    /// The distinct reviewers whose approval counts, in the order they approved.
    pub fn approvers(&self, rev: &Revision) -> Vec<i64> {
        self.reviews
            .iter()
            .zip(self.counting(rev))
            .filter(|(_, counts)| *counts)
            .map(|(r, _)| r.reviewer_id)
            .collect()
    }

    /// How many approvals count.
    pub fn approvals(&self, rev: &Revision) -> usize {
        self.approvers(rev).len()
    }
}

/// Whether a Markdown body has anything a reader would see: HTML comments
/// (mined drafts start as one) and white space are nothing.
pub fn has_content(body: &str) -> bool {
    let mut rest = body;
    loop {
        match rest.find("<!--") {
            Some(start) => {
                if !rest[..start].trim().is_empty() {
                    return true;
                }
                match rest[start + 4..].find("-->") {
                    Some(end) => rest = &rest[start + 4 + end + 3..],
                    // An unclosed comment hides the rest of the page.
                    None => return false,
                }
            }
            None => return !rest.trim().is_empty(),
        }
    }
}

/// Whether `actor` may do `action` on `rev`, and the state it leads to.
pub fn check(
    action: Action,
    rev: &Revision,
    actor: &Account,
    ledger: &Ledger,
    min_approvals: usize,
) -> Result<RevisionState, TransitionError> {
    use RevisionState::*;
    let state = rev.state;
    if !state.is_open() {
        return Err(TransitionError::Closed {
            state: state.as_str(),
        });
    }
    let need = min_approvals.max(1);
    let reviewable = |rev: &Revision| {
        if has_content(&rev.fields.body) {
            Ok(())
        } else {
            Err(TransitionError::Empty)
        }
    };
    match action {
        // What a review of the live article approves is the live file: its
        // text must stay the text the reviewer sees.
        Action::Edit if rev.kind == RevisionKind::ReviewLive => Err(TransitionError::ReviewOfLive),
        Action::Edit | Action::Comment => Ok(state),
        Action::Submit => match state {
            Draft | ChangesRequested => reviewable(rev).map(|_| InReview),
            _ => Err(TransitionError::NotADraft {
                state: state.as_str(),
            }),
        },
        Action::Approve | Action::RequestChanges => {
            if actor.id == rev.author_id || ledger.is_contributor(actor.id) {
                return Err(TransitionError::SelfReview);
            }
            if !matches!(state, InReview | Approved) {
                return Err(TransitionError::NotInReview {
                    state: state.as_str(),
                });
            }
            reviewable(rev)?;
            let approvers = ledger.approvers(rev);
            match action {
                Action::Approve if approvers.contains(&actor.id) => {
                    Err(TransitionError::AlreadyApproved)
                }
                Action::Approve if approvers.len() + 1 >= need => Ok(Approved),
                Action::Approve => Ok(InReview),
                _ => Ok(ChangesRequested),
            }
        }
        Action::Publish => {
            if rev.kind == RevisionKind::ReviewLive {
                return Err(TransitionError::NothingToPublish);
            }
            reviewable(rev)?;
            let have = ledger.approvals(rev);
            if have < need {
                return Err(TransitionError::NotEnoughApprovals { have, need });
            }
            // Another reviewer's open change request holds it back too.
            if state != Approved {
                return Err(TransitionError::NotApproved {
                    state: state.as_str(),
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

/// One front-matter field (or the body) that differs between the live
/// article and a revision: what a reviewer must see before approving.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Every field that goes live and differs between `old` (the live article;
/// `None` for a new one) and `new`, the body excepted (it has its own line
/// diff). A new article lists every field it sets.
pub fn field_changes(old: Option<&RevisionFields>, new: &RevisionFields) -> Vec<FieldChange> {
    fn shown(f: &RevisionFields) -> Vec<(String, String)> {
        let mut out = vec![
            ("title".to_string(), f.title.clone()),
            ("summary".to_string(), f.summary.clone()),
            ("category".to_string(), f.category.clone()),
            ("tags".to_string(), f.tags.join(", ")),
            ("visibility".to_string(), f.visibility.as_str().to_string()),
            ("status".to_string(), f.status.as_str().to_string()),
        ];
        for (k, v) in &f.extra {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push((k.clone(), text));
        }
        out
    }
    let before = old.map(shown).unwrap_or_default();
    let after = shown(new);
    let mut keys: Vec<&String> = after.iter().map(|(k, _)| k).collect();
    for (k, _) in &before {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let value = |list: &[(String, String)], key: &str| {
        list.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    keys.into_iter()
        .filter_map(|k| {
            let (o, n) = (value(&before, k), value(&after, k));
            (o != n).then(|| FieldChange {
                field: k.clone(),
                old: o,
                new: n,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::articles::{Status, Visibility};

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
            fields: RevisionFields {
                body: "Some text.".into(),
                ..RevisionFields::default()
            },
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
        let ledger = |approvals: usize| Ledger {
            reviews: (0..approvals)
                .map(|i| review(10 + i as i64, Verdict::Approved, "h2"))
                .collect(),
            contributors: vec![1],
        };
        for (action, state, actor, approvals, expected) in cases {
            assert_eq!(
                check(action, &rev(state, new), actor, &ledger(approvals), 1),
                expected,
                "{action:?} on {state:?} by {}",
                actor.name
            );
        }
        assert_eq!(
            check(Action::Approve, &rev(InReview, new), &other, &ledger(0), 2),
            Ok(InReview),
            "one of two approvals"
        );
        assert_eq!(
            check(
                Action::Publish,
                &rev(Approved, RevisionKind::ReviewLive),
                &author,
                &ledger(1),
                1
            ),
            Err(TransitionError::NothingToPublish)
        );
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
        let ledger = Ledger {
            reviews,
            contributors: vec![1],
        };
        assert_eq!(ledger.approvals(&r), 1);
        assert_eq!(ledger.counting(&r), [false, false, true, false, false]);
    }

    #[test]
    fn contributors_and_repeat_approvals_never_count() {
        let r = rev(RevisionState::InReview, RevisionKind::New);
        let editor = account(2, Role::Agent);
        let ledger = Ledger {
            reviews: vec![
                review(2, Verdict::Approved, "h2"), // edited it: a contributor
                review(3, Verdict::Approved, "h2"),
            ],
            contributors: vec![1, 2],
        };
        assert_eq!(ledger.approvers(&r), [3]);
        assert_eq!(
            check(Action::Approve, &r, &editor, &ledger, 2),
            Err(TransitionError::SelfReview),
            "an agent who edited the revision cannot approve it"
        );
        assert_eq!(
            check(Action::Approve, &r, &account(3, Role::Agent), &ledger, 2),
            Err(TransitionError::AlreadyApproved),
            "one reviewer approving twice is one approval"
        );
        assert_eq!(
            check(Action::Approve, &r, &account(4, Role::Agent), &ledger, 2),
            Ok(RevisionState::Approved)
        );
        assert_eq!(
            check(Action::Publish, &r, &account(1, Role::Agent), &ledger, 2),
            Err(TransitionError::NotEnoughApprovals { have: 1, need: 2 })
        );
    }

    #[test]
    fn a_review_of_the_live_article_cannot_be_edited_and_a_change_request_blocks_publishing() {
        let author = account(1, Role::Agent);
        let live = rev(RevisionState::InReview, RevisionKind::ReviewLive);
        assert_eq!(
            check(Action::Edit, &live, &author, &Ledger::default(), 1),
            Err(TransitionError::ReviewOfLive)
        );
        // Bo approved, then Cy asked for changes: Bo's approval still counts,
        // but the open request holds publishing back.
        let sent_back = rev(RevisionState::ChangesRequested, RevisionKind::New);
        let ledger = Ledger {
            reviews: vec![
                review(2, Verdict::Approved, "h2"),
                review(3, Verdict::ChangesRequested, "h2"),
            ],
            contributors: vec![1],
        };
        assert_eq!(ledger.approvals(&sent_back), 1);
        assert_eq!(
            check(Action::Publish, &sent_back, &author, &ledger, 1),
            Err(TransitionError::NotApproved {
                state: "changes_requested"
            })
        );
    }

    #[test]
    fn empty_articles_are_never_reviewed_or_published() {
        let mut r = rev(RevisionState::InReview, RevisionKind::New);
        r.fields.body = "<!-- mined: 12 tickets -->\n\n  \n".into();
        let ledger = Ledger {
            reviews: vec![review(2, Verdict::Approved, "h2")],
            contributors: vec![1],
        };
        let other = account(3, Role::Agent);
        for action in [Action::Approve, Action::RequestChanges, Action::Publish] {
            assert_eq!(
                check(action, &r, &other, &ledger, 1),
                Err(TransitionError::Empty),
                "{action:?}"
            );
        }
        r.state = RevisionState::Draft;
        assert_eq!(
            check(Action::Submit, &r, &other, &ledger, 1),
            Err(TransitionError::Empty)
        );
    }

    #[test]
    fn content_is_what_a_reader_would_see() {
        for (body, expected) in [
            ("", false),
            ("  \n\t", false),
            ("<!-- note -->", false),
            ("<!-- a --> <!-- b -->\n", false),
            ("<!-- unclosed", false),
            ("Text", true),
            ("<!-- note -->\nText", true),
            ("Text <!-- note -->", true),
        ] {
            assert_eq!(has_content(body), expected, "{body:?}");
        }
    }

    #[test]
    fn field_changes_cover_every_field_that_goes_live() {
        let live = RevisionFields {
            title: "Refunds".into(),
            category: "billing".into(),
            tags: vec!["money".into()],
            visibility: Visibility::Public,
            status: Status::Published,
            body: "old".into(),
            ..RevisionFields::default()
        };
        let mut edit = live.clone();
        edit.title = "Refunds and credits".into();
        edit.visibility = Visibility::Internal;
        edit.extra.insert("review_every".into(), "90d".into());
        edit.body = "new".into();
        let changes = field_changes(Some(&live), &edit);
        let names: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, ["title", "visibility", "review_every"]);
        assert_eq!(changes[0].old, "Refunds");
        assert_eq!(changes[0].new, "Refunds and credits");
        let new = field_changes(None, &live);
        assert!(new.iter().any(|c| c.field == "title" && c.new == "Refunds"));
        assert!(
            new.iter().all(|c| !c.new.is_empty()),
            "unset fields are not listed"
        );
    }
}
