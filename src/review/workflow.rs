//! The workflow service: applies the rules of [`super::check`] to the store,
//! writes published articles into `articles/`, re-indexes them at once, and
//! sends notifications. Every method takes the acting account and refuses
//! what the rules refuse, with a message for the user.

use std::sync::Arc;

use serde_json::json;

use super::publish::{git_commit, render_file, write_atomically, Credits, Previous};
use super::{check, Action, Ledger, TransitionError};
use crate::articles::{derive_slug, hash_hex, is_valid_slug, Status};
use crate::config::Config;
use crate::index::Audience;
use crate::library::Library;
use crate::outbox::Notifier;
use crate::store::{
    Account, NewRevision, Revision, RevisionFields, RevisionKind, RevisionState, Store, Verdict,
};

/// Why a workflow action failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Someone saved the revision since the editor loaded it.
    #[error("someone else saved this revision while you were editing")]
    Conflict(Box<Revision>),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("cannot write the article file: {0}")]
    Write(String),
}

pub type Result<T, E = WorkflowError> = std::result::Result<T, E>;

/// The review workflow over one help center.
pub struct Workflow {
    pub store: Arc<Store>,
    pub library: Arc<Library>,
    pub notifier: Notifier,
    pub min_approvals: usize,
    pub git_commit: bool,
}

impl Workflow {
    /// The workflow as `config` sets it up: approvals needed, git commits
    /// and notifications (webhooks, and tickets' destinations).
    pub fn from_config(config: &Config, store: Arc<Store>, library: Arc<Library>) -> Workflow {
        let notifier = Notifier::new(
            Arc::clone(&store),
            config.notify.webhooks.clone(),
            config.notify.secret.clone(),
        )
        .with_tickets(&config.tickets);
        Workflow {
            store,
            library,
            notifier,
            min_approvals: config.review.min_approvals.max(1),
            git_commit: config.publish.commits(),
        }
    }

    fn default_locale(&self) -> &str {
        self.library.index().default_locale()
    }

    /// Starts a new article as a draft.
    pub fn start_new(
        &self,
        actor: &Account,
        slug: &str,
        locale: &str,
        fields: RevisionFields,
    ) -> Result<Revision> {
        validate(&fields)?;
        let (slug, path) = self.free_address(slug, locale, None)?;
        Ok(self.store.create_revision(&NewRevision {
            kind: RevisionKind::New,
            slug,
            locale: locale.to_string(),
            path,
            author_id: actor.id,
            fields,
            base_hash: None,
        })?)
    }

    /// The slug (normalised) and file path a new article may take: a valid
    /// slug that no article, no file and no other open draft (`except` is
    /// the draft asking) uses yet.
    fn free_address(
        &self,
        slug: &str,
        locale: &str,
        except: Option<i64>,
    ) -> Result<(String, String)> {
        let slug = slug.trim().trim_matches('/').to_string();
        if slug.is_empty() {
            return Err(WorkflowError::Invalid(
                "the slug is empty: give the article an address such as billing/refunds (the editor suggests one from the title)".into(),
            ));
        }
        if !is_valid_slug(&slug) {
            return Err(WorkflowError::Invalid(format!(
                "\"{slug}\" is not a valid slug: use lowercase letters, digits, hyphens, \"_\" and \".\", with \"/\" between segments, such as billing/refunds"
            )));
        }
        if self
            .library
            .index()
            .get(&slug, locale, Audience::Agent)?
            .is_some()
        {
            return Err(WorkflowError::Invalid(format!(
                "an article {slug} exists already: choose another slug, or edit that article instead"
            )));
        }
        if let Some(open) = self.store.open_revision(&slug, locale)? {
            if Some(open.id) != except {
                return Err(WorkflowError::Invalid(format!(
                    "{} is writing a draft at {slug} already: choose another slug",
                    open.author
                )));
            }
        }
        let path = if locale == self.default_locale() {
            format!("{slug}.md")
        } else {
            format!("{slug}.{locale}.md")
        };
        if self.library.root().join(&path).exists() {
            return Err(WorkflowError::Invalid(format!(
                "a file {path} exists already: choose another slug"
            )));
        }
        Ok((slug, path))
    }

    /// Moves a new article's draft to another slug. Its address is the
    /// writer's to change until the article is first published; after that
    /// customers' links and bookmarks point at it, so it stays.
    pub fn rename(&self, actor: &Account, id: i64, slug: &str) -> Result<Revision> {
        let rev = self.claimed(actor, id)?;
        check(
            Action::Edit,
            &rev,
            actor,
            &Ledger::default(),
            self.min_approvals,
        )?;
        if rev.kind != RevisionKind::New {
            return Err(WorkflowError::Invalid(
                "the slug of a published article cannot change: it is the address customers' links point to".into(),
            ));
        }
        if slug.trim().trim_matches('/') == rev.slug {
            return Ok(rev);
        }
        let (slug, path) = self.free_address(slug, &rev.locale, Some(id))?;
        Ok(self.store.rename_revision(id, &slug, &path, actor.id)?)
    }

    /// Starts the revision of a live article with `fields` as its first
    /// content (the editor's first save); the live version stays as it is
    /// until this revision is published. When a revision is open already,
    /// nothing is written and the conflict carries it.
    pub fn edit_live(
        &self,
        actor: &Account,
        slug: &str,
        locale: &str,
        fields: RevisionFields,
    ) -> Result<Revision> {
        if let Some(open) = self.store.open_revision(slug, locale)? {
            return Err(WorkflowError::Conflict(Box::new(open)));
        }
        validate(&fields)?;
        let (_, path, hash) = self.live_fields(slug, locale)?;
        Ok(self.store.create_revision(&NewRevision {
            kind: RevisionKind::Edit,
            slug: slug.to_string(),
            locale: locale.to_string(),
            path,
            author_id: actor.id,
            fields,
            base_hash: Some(hash),
        })?)
    }

    /// Starts a review of a live article's current content (a hand edit).
    pub fn review_live(&self, actor: &Account, slug: &str, locale: &str) -> Result<Revision> {
        if let Some(open) = self.store.open_revision(slug, locale)? {
            return Ok(open);
        }
        let (fields, path, hash) = self.live_fields(slug, locale)?;
        let rev = self.store.create_revision(&NewRevision {
            kind: RevisionKind::ReviewLive,
            slug: slug.to_string(),
            locale: locale.to_string(),
            path,
            author_id: actor.id,
            fields,
            base_hash: Some(hash),
        })?;
        let rev = self
            .store
            .set_revision_state(rev.id, RevisionState::InReview, actor.id)?;
        self.notify("review_requested", &rev, actor);
        Ok(rev)
    }

    /// What the approval rule reads about revision `id`.
    pub fn ledger(&self, id: i64) -> Result<Ledger> {
        Ok(Ledger {
            reviews: self.store.reviews(id)?,
            contributors: self.store.contributors(id)?,
        })
    }

    /// The live article `slug` as revision fields, if there is one: what a
    /// revision's changes are shown against.
    pub fn live(&self, slug: &str, locale: &str) -> Result<Option<RevisionFields>> {
        match self.live_fields(slug, locale) {
            Ok((fields, _, _)) => Ok(Some(fields)),
            Err(WorkflowError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A live article's content as revision fields, with its path and hash.
    fn live_fields(&self, slug: &str, locale: &str) -> Result<(RevisionFields, String, String)> {
        let live = self
            .library
            .index()
            .get(slug, locale, Audience::Agent)?
            .ok_or_else(|| {
                WorkflowError::NotFound(format!("no live article `{slug}` in `{locale}`"))
            })?;
        let mut extra = live
            .meta
            .get("extra")
            .and_then(|e| e.as_object())
            .cloned()
            .unwrap_or_default();
        for key in ["review_every", "translation_of"] {
            if let Some(v) = live.meta.get(key) {
                extra.insert(key.to_string(), v.clone());
            }
        }
        let fields = RevisionFields {
            title: live.title,
            category: live.category,
            tags: live.tags,
            summary: live.summary,
            visibility: live.visibility,
            status: live.status,
            extra,
            body: live.markdown,
        };
        Ok((fields, live.path, live.content_hash))
    }

    /// The revision, its author becoming `actor` when it was a draft nobody
    /// was assigned to (see [`crate::store::UNASSIGNED`]): whoever writes it
    /// is its author, so they cannot approve it themselves.
    fn claimed(&self, actor: &Account, id: i64) -> Result<Revision> {
        let rev = self.store.revision(id)?;
        if rev.author == crate::store::UNASSIGNED
            && rev.state.is_open()
            && self.store.claim_revision(id, actor.id)?
        {
            return Ok(self.store.revision(id)?);
        }
        Ok(rev)
    }

    /// Takes a draft from the writing queue: `actor` becomes its author.
    /// When two agents claim it at once, one gets it (the store's update is
    /// conditional) and the other is told who has it.
    pub fn claim(&self, actor: &Account, id: i64) -> Result<Revision> {
        let rev = self.store.revision(id)?;
        if !rev.state.is_open() {
            return Err(WorkflowError::Invalid(format!(
                "this draft is {} and can no longer be claimed",
                rev.state.as_str()
            )));
        }
        if self.store.claim_revision(id, actor.id)? {
            return Ok(self.store.revision(id)?);
        }
        if rev.author_id == actor.id {
            return Ok(rev);
        }
        Err(WorkflowError::Invalid(format!(
            "this draft was claimed by {} already: choose another from the queue",
            self.store.revision(id)?.author
        )))
    }

    /// Saves an edit made from `version`.
    pub fn save(
        &self,
        actor: &Account,
        id: i64,
        version: i64,
        fields: RevisionFields,
    ) -> Result<Revision> {
        let rev = self.claimed(actor, id)?;
        check(
            Action::Edit,
            &rev,
            actor,
            &Ledger::default(),
            self.min_approvals,
        )?;
        validate(&fields)?;
        match self.store.save_revision(id, version, &fields, actor.id)? {
            Ok(saved) => Ok(saved),
            Err(theirs) => Err(WorkflowError::Conflict(theirs)),
        }
    }

    /// Submits for review, optionally naming reviewers (not the author).
    pub fn submit(&self, actor: &Account, id: i64, reviewers: &[String]) -> Result<Revision> {
        let rev = self.claimed(actor, id)?;
        let ledger = self.ledger(id)?;
        check(Action::Submit, &rev, actor, &ledger, self.min_approvals)?;
        let mut ids = Vec::new();
        for name in reviewers.iter().filter(|n| !n.trim().is_empty()) {
            let acc = self
                .store
                .account_by_name(name)?
                .filter(|a| !a.disabled)
                .ok_or_else(|| WorkflowError::Invalid(format!("no agent named `{name}`")))?;
            if acc.id == rev.author_id || ledger.is_contributor(acc.id) {
                return Err(WorkflowError::Invalid(format!(
                    "{name} wrote or edited this revision, so they cannot review it — name another agent"
                )));
            }
            ids.push(acc.id);
        }
        self.store.request_reviewers(id, &ids, actor.id)?;
        let rev = self.store.revision(id)?;
        self.notify("review_requested", &rev, actor);
        Ok(rev)
    }

    /// Approves the revision's current content.
    pub fn approve(&self, actor: &Account, id: i64, body: &str) -> Result<Revision> {
        let rev = self.store.revision(id)?;
        let next = check(
            Action::Approve,
            &rev,
            actor,
            &self.ledger(id)?,
            self.min_approvals,
        )?;
        let rev = self.store.add_review(
            id,
            actor.id,
            Verdict::Approved,
            &rev.content_hash,
            body,
            next,
        )?;
        self.notify("approved", &rev, actor);
        if rev.kind == RevisionKind::ReviewLive && next == RevisionState::Approved {
            // The reviewed content is live already: record it as approved.
            if let Some(hash) = &rev.base_hash {
                self.store
                    .approve_live_content(hash, &rev.slug, &rev.locale, rev.id)?;
            }
            return Ok(self
                .store
                .set_revision_state(id, RevisionState::Published, actor.id)?);
        }
        Ok(rev)
    }

    /// Sends the revision back to its author with a reason.
    pub fn request_changes(&self, actor: &Account, id: i64, body: &str) -> Result<Revision> {
        if body.trim().is_empty() {
            return Err(WorkflowError::Invalid("say what needs to change".into()));
        }
        let rev = self.store.revision(id)?;
        let next = check(
            Action::RequestChanges,
            &rev,
            actor,
            &self.ledger(id)?,
            self.min_approvals,
        )?;
        let rev = self.store.add_review(
            id,
            actor.id,
            Verdict::ChangesRequested,
            &rev.content_hash,
            body,
            next,
        )?;
        self.notify("changes_requested", &rev, actor);
        Ok(rev)
    }

    /// Comments on the revision (on one line of its Markdown when `line` is set).
    pub fn comment(&self, actor: &Account, id: i64, line: Option<i64>, body: &str) -> Result<()> {
        if body.trim().is_empty() {
            return Err(WorkflowError::Invalid("the comment is empty".into()));
        }
        let rev = self.store.revision(id)?;
        check(
            Action::Comment,
            &rev,
            actor,
            &Ledger::default(),
            self.min_approvals,
        )?;
        let lines = rev.fields.body.lines().count() as i64;
        if let Some(l) = line.filter(|l| *l < 1 || *l > lines.max(1)) {
            return Err(WorkflowError::Invalid(format!(
                "line {l} is not in this revision (it has {lines} lines)"
            )));
        }
        Ok(self.store.add_comment(id, actor.id, line, body.trim())?)
    }

    /// Publishes an approved revision: writes the file, re-indexes it at once
    /// and records the published content as approved.
    pub fn publish(&self, actor: &Account, id: i64) -> Result<Revision> {
        let rev = self.store.revision(id)?;
        let ledger = self.ledger(id)?;
        check(Action::Publish, &rev, actor, &ledger, self.min_approvals)?;
        let author = self
            .store
            .account(rev.author_id)?
            .ok_or_else(|| WorkflowError::NotFound(format!("account {}", rev.author_id)))?;
        let mut reviewers: Vec<Account> = Vec::new();
        for id in ledger.approvers(&rev) {
            reviewers.extend(self.store.account(id)?);
        }
        let reviewed_at = crate::store::now();
        let credits = Credits {
            author: &author,
            reviewers: &reviewers,
            reviewed_at: &reviewed_at,
        };
        let root = self.library.root();
        // With git, the work tree is held from reading the live file to
        // committing the new one, so a sync round cannot slip in between.
        let tree = self.git_commit.then(crate::git::lock);
        // The file must still be what the revision started from (none for
        // a new article): a publication from another revision or replica,
        // or a hand edit, is never overwritten.
        let on_disk = read_inside(root, &rev.path);
        if on_disk.as_deref().map(|t| hash_hex(t.as_bytes())) != rev.base_hash {
            return Err(TransitionError::LiveChanged.into());
        }
        let previous = match rev.kind {
            RevisionKind::New => None,
            _ => on_disk.as_deref().and_then(Previous::read),
        };
        let text = render_file(
            &rev.fields,
            &rev.slug,
            &rev.path,
            &credits,
            previous.as_ref(),
        );
        write_atomically(root, &rev.path, &text).map_err(|e| match e.kind() {
            // A path that would leave `articles/` (through a symlink, say).
            std::io::ErrorKind::InvalidInput => {
                WorkflowError::Invalid(format!("cannot publish {}: {e}", rev.path))
            }
            _ => WorkflowError::Write(e.to_string()),
        })?;
        if let Some(tree) = tree {
            let message = format!("Publish {}: {}", rev.slug, rev.fields.title);
            if let Err(e) = git_commit(&tree, root, &rev.path, &message, &credits) {
                tracing::error!("published {} but the git commit failed: {e}", rev.path);
            }
        }
        // Re-index now rather than wait for the watcher: the author expects
        // to see the article live when the page reloads.
        let report = self.library.apply_paths(std::slice::from_ref(&rev.path))?;
        if let Some(e) = report.errors.first() {
            return Err(WorkflowError::Write(format!(
                "the published file does not parse: {e}"
            )));
        }
        let rev = self
            .store
            .mark_published(id, &hash_hex(text.as_bytes()), actor.id)?;
        self.notify("published", &rev, actor);
        Ok(rev)
    }

    /// Drops an open revision.
    pub fn discard(&self, actor: &Account, id: i64) -> Result<Revision> {
        let rev = self.store.revision(id)?;
        check(
            Action::Discard,
            &rev,
            actor,
            &Ledger::default(),
            self.min_approvals,
        )?;
        Ok(self
            .store
            .set_revision_state(id, RevisionState::Discarded, actor.id)?)
    }

    /// Starts a new draft with the content of an old revision.
    pub fn restore(&self, actor: &Account, id: i64) -> Result<Revision> {
        let old = self.store.revision(id)?;
        if let Some(open) = self.store.open_revision(&old.slug, &old.locale)? {
            return Err(WorkflowError::Invalid(format!(
                "revision {} is open — finish or discard it first",
                open.id
            )));
        }
        let live = self
            .library
            .index()
            .get(&old.slug, &old.locale, Audience::Agent)?;
        let restored = self.store.create_revision(&NewRevision {
            kind: if live.is_some() {
                RevisionKind::Edit
            } else {
                RevisionKind::New
            },
            slug: old.slug.clone(),
            locale: old.locale.clone(),
            path: live.as_ref().map_or(old.path.clone(), |l| l.path.clone()),
            author_id: actor.id,
            fields: old.fields,
            base_hash: live.map(|l| l.content_hash),
        })?;
        // The old text's writers wrote the restored text too: none of them
        // may approve it.
        self.store.copy_contributors(old.id, restored.id)?;
        Ok(restored)
    }

    /// Records that `actor` checked the live article is still accurate.
    pub fn verify(&self, actor: &Account, slug: &str, locale: &str) -> Result<()> {
        let live = self
            .library
            .index()
            .get(slug, locale, Audience::Agent)?
            .ok_or_else(|| WorkflowError::NotFound(format!("no live article `{slug}`")))?;
        Ok(self
            .store
            .verify_article(slug, locale, actor.id, &live.content_hash)?)
    }

    fn notify(&self, event: &str, rev: &Revision, actor: &Account) {
        self.notifier.send(
            event,
            json!({
                "revision": rev.id,
                "slug": rev.slug,
                "locale": rev.locale,
                "title": rev.fields.title,
                "state": rev.state.as_str(),
                "author": rev.author,
                "by": actor.name,
            }),
        );
    }
}

impl From<crate::index::Error> for WorkflowError {
    fn from(e: crate::index::Error) -> Self {
        WorkflowError::Write(e.to_string())
    }
}

impl From<crate::Error> for WorkflowError {
    fn from(e: crate::Error) -> Self {
        WorkflowError::Write(e.to_string())
    }
}

/// Checks the fields an editor fills in.
pub fn validate(fields: &RevisionFields) -> Result<()> {
    if fields.title.trim().is_empty() {
        return Err(WorkflowError::Invalid("the title is empty".into()));
    }
    if fields.title.chars().count() > 200 {
        return Err(WorkflowError::Invalid(
            "keep the title under 200 characters".into(),
        ));
    }
    if fields.status == Status::Draft {
        return Err(WorkflowError::Invalid(
            "status is `published` or `archived`".into(),
        ));
    }
    if fields.category.trim().is_empty() || derive_slug(&fields.category) != fields.category {
        return Err(WorkflowError::Invalid(
            "the category is one lowercase word such as `billing`".into(),
        ));
    }
    Ok(())
}

/// The text of `root/path` when it is a file inside `root` once symlinks are
/// resolved (what it says is written back into the published file).
fn read_inside(root: &std::path::Path, path: &str) -> Option<String> {
    let full = root.join(path).canonicalize().ok()?;
    full.starts_with(root.canonicalize().ok()?)
        .then(|| std::fs::read_to_string(full).ok())
        .flatten()
}
