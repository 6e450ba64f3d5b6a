//! Revisions of articles and what happens to them: reviews (bound to the
//! content hash they approved), comments, requested reviewers, the hashes of
//! content that went live approved, and "still accurate" verifications.

use super::sql::{params, OptionalExt, Row};
use serde::{Deserialize, Serialize};

use super::{now, Error, Result, Store};
use crate::articles::{hash_hex, Status, Visibility};

/// Where a revision is in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionState {
    Draft,
    InReview,
    ChangesRequested,
    Approved,
    Published,
    Discarded,
}

impl RevisionState {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionState::Draft => "draft",
            RevisionState::InReview => "in_review",
            RevisionState::ChangesRequested => "changes_requested",
            RevisionState::Approved => "approved",
            RevisionState::Published => "published",
            RevisionState::Discarded => "discarded",
        }
    }

    pub fn parse(s: &str) -> RevisionState {
        match s {
            "in_review" => RevisionState::InReview,
            "changes_requested" => RevisionState::ChangesRequested,
            "approved" => RevisionState::Approved,
            "published" => RevisionState::Published,
            "discarded" => RevisionState::Discarded,
            _ => RevisionState::Draft,
        }
    }

    /// Still being worked on (not published, not discarded).
    pub fn is_open(self) -> bool {
        !matches!(self, RevisionState::Published | RevisionState::Discarded)
    }
}

/// Why a revision exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionKind {
    /// A new article.
    New,
    /// A change to a live article.
    Edit,
    /// A review of a live article's current (hand-edited) content.
    ReviewLive,
}

impl RevisionKind {
    fn as_str(self) -> &'static str {
        match self {
            RevisionKind::New => "new",
            RevisionKind::Edit => "edit",
            RevisionKind::ReviewLive => "review_live",
        }
    }

    fn parse(s: &str) -> RevisionKind {
        match s {
            "edit" => RevisionKind::Edit,
            "review_live" => RevisionKind::ReviewLive,
            _ => RevisionKind::New,
        }
    }
}

/// The editable content of a revision: what an approval covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RevisionFields {
    pub title: String,
    pub category: String,
    pub tags: Vec<String>,
    pub summary: String,
    pub visibility: Visibility,
    /// `published` or `archived`: archiving is a reviewed change too.
    pub status: Status,
    /// Front-matter keys the workspace does not edit, kept as they were.
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub body: String,
}

impl RevisionFields {
    /// The hash an approval is bound to.
    pub fn content_hash(&self) -> String {
        hash_hex(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }
}

/// A revision as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub id: i64,
    pub kind: RevisionKind,
    pub slug: String,
    pub locale: String,
    /// File under `articles/` it publishes to.
    pub path: String,
    pub author_id: i64,
    pub author: String,
    pub state: RevisionState,
    pub fields: RevisionFields,
    pub content_hash: String,
    /// Hash of the live file when the revision started (edits only).
    pub base_hash: Option<String>,
    /// Bumped on every save: a save naming an older version is a conflict.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
}

/// What starting a revision needs.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub kind: RevisionKind,
    pub slug: String,
    pub locale: String,
    pub path: String,
    pub author_id: i64,
    pub fields: RevisionFields,
    pub base_hash: Option<String>,
}

/// A reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    ChangesRequested,
}

/// A verdict on a revision, bound to the content it saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub reviewer_id: i64,
    pub reviewer: String,
    pub verdict: Verdict,
    pub content_hash: String,
    pub body: String,
    pub created_at: String,
}

/// A comment on a revision, optionally on one line of its Markdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub author: String,
    pub line: Option<i64>,
    pub body: String,
    pub created_at: String,
}

const COLUMNS: &str = "r.id, r.kind, r.slug, r.locale, r.path, r.author_id, a.name AS author, r.state, r.title, r.category,
    r.tags, r.summary, r.visibility, r.status, r.extra, r.body, r.content_hash, r.base_hash, r.version, r.created_at,
    r.updated_at, r.published_at";

/// A column holding one of an enum's words; another word is a read error
/// rather than a silent default (only deflect writes these columns).
fn parsed<T: std::str::FromStr<Err = String>>(row: &Row, column: &str) -> super::sql::Result<T> {
    let text: String = row.get(column)?;
    text.parse().map_err(|m: String| {
        super::sql::Error::new(
            super::sql::Kind::Conversion,
            format!("revisions.{column}: {m}"),
        )
    })
}

fn revision(row: &Row) -> super::sql::Result<Revision> {
    let tags: String = row.get("tags")?;
    let extra: String = row.get("extra")?;
    Ok(Revision {
        id: row.get("id")?,
        kind: RevisionKind::parse(&row.get::<String>("kind")?),
        slug: row.get("slug")?,
        locale: row.get("locale")?,
        path: row.get("path")?,
        author_id: row.get("author_id")?,
        author: row.get("author")?,
        state: RevisionState::parse(&row.get::<String>("state")?),
        fields: RevisionFields {
            title: row.get("title")?,
            category: row.get("category")?,
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            summary: row.get("summary")?,
            visibility: parsed(row, "visibility")?,
            status: parsed(row, "status")?,
            extra: serde_json::from_str(&extra).unwrap_or_default(),
            body: row.get("body")?,
        },
        content_hash: row.get("content_hash")?,
        base_hash: row.get("base_hash")?,
        version: row.get("version")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        published_at: row.get("published_at")?,
    })
}

pub(super) fn get(tx: &super::Conn, id: i64) -> Result<Revision> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM revisions r JOIN accounts a ON a.id = r.author_id WHERE r.id = ?1"),
        [id],
        revision,
    )
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("revision {id}")))
}

pub(super) fn list(
    c: &super::Conn,
    filter: &str,
    params: impl super::sql::Params,
) -> Result<Vec<Revision>> {
    let rows = c.query_map(&format!(
        "SELECT {COLUMNS} FROM revisions r JOIN accounts a ON a.id = r.author_id WHERE {filter} ORDER BY r.updated_at DESC, r.id DESC LIMIT 200"
    ), params, revision)?;
    Ok(rows)
}

/// An article's content adopted as reviewed without a revision (see
/// `review::baseline`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Adopted {
    pub slug: String,
    pub locale: String,
    pub content_hash: String,
}

impl Store {
    /// Starts a revision. A live article has at most one open revision: when
    /// one exists, the error names it.
    pub fn create_revision(&self, new: &NewRevision) -> Result<Revision> {
        self.write(|tx| {
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM revisions WHERE slug = ?1 AND locale = ?2 AND state NOT IN ('published', 'discarded')",
                    params![new.slug, new.locale],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = open {
                return Err(Error::Conflict(format!("revision {id} of `{}` is already open — continue it instead", new.slug)));
            }
            let f = &new.fields;
            let at = now();
            let id = tx.insert(
                "INSERT INTO revisions (kind, slug, locale, path, author_id, state, title, category, tags, summary, visibility,
                 status, extra, body, content_hash, base_hash, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)",
                params![
                    new.kind.as_str(),
                    new.slug,
                    new.locale,
                    new.path,
                    new.author_id,
                    f.title,
                    f.category,
                    serde_json::to_string(&f.tags).unwrap_or_default(),
                    f.summary,
                    f.visibility.as_str(),
                    f.status.as_str(),
                    serde_json::to_string(&f.extra).unwrap_or_default(),
                    f.body,
                    f.content_hash(),
                    new.base_hash,
                    at
                ],
            )?;
            add_contributor(tx, id, new.author_id)?;
            Store::audit(tx, Some(new.author_id), "revision.create", &new.slug, &format!("revision {id}"))?;
            get(tx, id)
        })
    }

    /// A revision by id.
    pub fn revision(&self, id: i64) -> Result<Revision> {
        self.read(|c| get(c, id))
    }

    /// Saves new content. `version` is the version the editor started from:
    /// when someone saved since, nothing is written and the error carries
    /// their revision. An edit after an approval sends an approved revision
    /// back to review (the approval no longer matches the content).
    pub fn save_revision(
        &self,
        id: i64,
        version: i64,
        fields: &RevisionFields,
        actor: i64,
    ) -> Result<Result<Revision, Box<Revision>>> {
        self.write(|tx| {
            let current = get(tx, id)?;
            if current.version != version {
                return Ok(Err(Box::new(current)));
            }
            let hash = fields.content_hash();
            let state = if current.state == RevisionState::Approved && hash != current.content_hash {
                RevisionState::InReview
            } else {
                current.state
            };
            tx.execute(
                "UPDATE revisions SET title = ?2, category = ?3, tags = ?4, summary = ?5, visibility = ?6, status = ?7,
                 extra = ?8, body = ?9, content_hash = ?10, state = ?11, version = version + 1, updated_at = ?12 WHERE id = ?1",
                params![
                    id,
                    fields.title,
                    fields.category,
                    serde_json::to_string(&fields.tags).unwrap_or_default(),
                    fields.summary,
                    fields.visibility.as_str(),
                    fields.status.as_str(),
                    serde_json::to_string(&fields.extra).unwrap_or_default(),
                    fields.body,
                    hash,
                    state.as_str(),
                    now()
                ],
            )?;
            if hash != current.content_hash {
                // Whoever changes the content can no longer approve it.
                add_contributor(tx, id, actor)?;
            }
            Store::audit(tx, Some(actor), "revision.save", &current.slug, &format!("revision {id}"))?;
            Ok(Ok(get(tx, id)?))
        })
    }

    /// Gives a new article's draft another slug and file path (the
    /// workflow checks that they are free).
    pub fn rename_revision(&self, id: i64, slug: &str, path: &str, actor: i64) -> Result<Revision> {
        self.write(|tx| {
            let current = get(tx, id)?;
            tx.execute(
                "UPDATE revisions SET slug = ?2, path = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, slug, path, now()],
            )?;
            Store::audit(
                tx,
                Some(actor),
                "revision.rename",
                slug,
                &format!("revision {id}, was {}", current.slug),
            )?;
            get(tx, id)
        })
    }

    /// Moves a revision to `state`.
    pub fn set_revision_state(
        &self,
        id: i64,
        state: RevisionState,
        actor: i64,
    ) -> Result<Revision> {
        self.write(|tx| set_state(tx, id, state, actor))
    }

    /// Names reviewers for a revision (replacing earlier requests).
    pub fn request_reviewers(&self, id: i64, reviewers: &[i64], actor: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM review_requests WHERE revision_id = ?1", [id])?;
            for r in reviewers {
                tx.execute("INSERT INTO review_requests (revision_id, reviewer_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING", [id, *r])?;
            }
            set_state(tx, id, RevisionState::InReview, actor)?;
            Ok(())
        })
    }

    /// Names of the reviewers requested for a revision.
    pub fn requested_reviewers(&self, id: i64) -> Result<Vec<String>> {
        self.read(|c| {
            let names = c.query_map("SELECT a.name FROM review_requests q JOIN accounts a ON a.id = q.reviewer_id WHERE q.revision_id = ?1 ORDER BY a.name", [id], |r| r.get(0))?;
            Ok(names)
        })
    }

    /// Records a verdict on the content hash the reviewer saw, and moves the
    /// revision to `next`.
    pub fn add_review(
        &self,
        id: i64,
        reviewer: i64,
        verdict: Verdict,
        content_hash: &str,
        body: &str,
        next: RevisionState,
    ) -> Result<Revision> {
        self.write(|tx| {
            let verdict_str = match verdict {
                Verdict::Approved => "approved",
                Verdict::ChangesRequested => "changes_requested",
            };
            // The reviewer's last verdict on this revision becomes history.
            tx.execute(
                "UPDATE reviews SET superseded = 1 WHERE revision_id = ?1 AND reviewer_id = ?2 AND superseded = 0",
                params![id, reviewer],
            )?;
            let inserted = tx.execute(
                "INSERT INTO reviews (revision_id, reviewer_id, verdict, content_hash, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, reviewer, verdict_str, content_hash, body, now()],
            );
            match inserted {
                // The schema's backstop: one current verdict per reviewer.
                Err(e) if e.kind == super::sql::Kind::Constraint => {
                    return Err(Error::Conflict("this reviewer has a verdict on this revision already".into()));
                }
                other => other?,
            };
            set_state(tx, id, next, reviewer)
        })
    }

    /// Everyone who put content into a revision: its author and every agent
    /// whose save changed it.
    pub fn contributors(&self, id: i64) -> Result<Vec<i64>> {
        self.read(|c| {
            let ids = c.query_map("SELECT account_id FROM revision_contributors WHERE revision_id = ?1 ORDER BY account_id", [id], |r| r.get(0))?;
            Ok(ids)
        })
    }

    /// Makes everyone who contributed to revision `from` a contributor of
    /// `to` too (a restore brings their text back).
    pub fn copy_contributors(&self, from: i64, to: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO revision_contributors (revision_id, account_id)
                 SELECT CAST(?2 AS BIGINT), account_id FROM revision_contributors WHERE revision_id = ?1
                 ON CONFLICT DO NOTHING",
                params![from, to],
            )?;
            Ok(())
        })
    }

    /// Every verdict on a revision, oldest first.
    pub fn reviews(&self, id: i64) -> Result<Vec<Review>> {
        self.read(|c| {
            let rows = c.query_map("SELECT v.reviewer_id, a.name, v.verdict, v.content_hash, v.body, v.created_at FROM reviews v
                 JOIN accounts a ON a.id = v.reviewer_id WHERE v.revision_id = ?1 ORDER BY v.id", [id], |r| {
                    Ok(Review {
                        reviewer_id: r.get(0)?,
                        reviewer: r.get(1)?,
                        verdict: if r.get::<String>(2)? == "approved" { Verdict::Approved } else { Verdict::ChangesRequested },
                        content_hash: r.get(3)?,
                        body: r.get(4)?,
                        created_at: r.get(5)?,
                    })
                })?;
            Ok(rows)
        })
    }

    /// Adds a comment.
    pub fn add_comment(&self, id: i64, author: i64, line: Option<i64>, body: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO comments (revision_id, author_id, line, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, author, line, body, now()],
            )?;
            Ok(())
        })
    }

    /// Comments on a revision, oldest first.
    pub fn comments(&self, id: i64) -> Result<Vec<Comment>> {
        self.read(|c| {
            let rows = c.query_map("SELECT a.name, m.line, m.body, m.created_at FROM comments m JOIN accounts a ON a.id = m.author_id
                 WHERE m.revision_id = ?1 ORDER BY m.id", [id], |r| Ok(Comment { author: r.get(0)?, line: r.get(1)?, body: r.get(2)?, created_at: r.get(3)? }))?;
            Ok(rows)
        })
    }

    /// Marks a revision published with the hash of the file written, and
    /// records that content as approved.
    pub fn mark_published(&self, id: i64, file_hash: &str, actor: i64) -> Result<Revision> {
        self.write(|tx| {
            let rev = get(tx, id)?;
            tx.execute(
                "UPDATE revisions SET state = 'published', published_at = ?2, published_hash = ?3, updated_at = ?2 WHERE id = ?1",
                params![id, now(), file_hash],
            )?;
            approve_content(tx, file_hash, &rev.slug, &rev.locale, id)?;
            Store::audit(tx, Some(actor), "revision.publish", &rev.slug, &format!("revision {id}"))?;
            get(tx, id)
        })
    }

    /// Records that the live content with `hash` was reviewed and approved.
    pub fn approve_live_content(
        &self,
        hash: &str,
        slug: &str,
        locale: &str,
        revision: i64,
    ) -> Result<()> {
        self.write(|tx| approve_content(tx, hash, slug, locale, revision))
    }

    /// Which of `hashes` were approved (published through review, or reviewed live).
    pub fn approved_hashes(&self, hashes: &[&str]) -> Result<std::collections::HashSet<String>> {
        self.read(|c| {
            let mut out = std::collections::HashSet::new();
            for h in hashes {
                if c.exists(
                    "SELECT 1 FROM approved_content WHERE content_hash = ?1",
                    [h],
                )? {
                    out.insert(h.to_string());
                }
            }
            Ok(out)
        })
    }

    /// Whether any content has been approved yet (by review or baseline).
    pub fn has_approvals(&self) -> Result<bool> {
        self.read(|c| Ok(c.exists("SELECT 1 FROM approved_content LIMIT 1", ())?))
    }

    /// Records articles' current content as approved without a revision
    /// (an adopted baseline), one audit entry each: the number newly
    /// approved.
    pub fn adopt_baseline(
        &self,
        articles: &[Adopted],
        actor: Option<i64>,
        detail: &str,
    ) -> Result<usize> {
        self.write(|tx| {
            let mut added = 0;
            for a in articles {
                added += tx.execute(
                    "INSERT INTO approved_content (content_hash, slug, locale, revision_id, at) VALUES (?1, ?2, ?3, NULL, ?4)
                     ON CONFLICT DO NOTHING",
                    params![a.content_hash, a.slug, a.locale, now()],
                )?;
                let subject = format!("{} ({})", a.slug, a.locale);
                Store::audit(tx, actor, "review.baseline", &subject, &format!("{detail}; content {}", a.content_hash))?;
            }
            Ok(added)
        })
    }

    /// The open revision of an article, if any.
    pub fn open_revision(&self, slug: &str, locale: &str) -> Result<Option<Revision>> {
        self.read(|c| {
            Ok(list(
                c,
                "r.slug = ?1 AND r.locale = ?2 AND r.state NOT IN ('published', 'discarded')",
                params![slug, locale],
            )?
            .into_iter()
            .next())
        })
    }

    /// Every revision of an article, newest first.
    pub fn history(&self, slug: &str, locale: &str) -> Result<Vec<Revision>> {
        self.read(|c| list(c, "r.slug = ?1 AND r.locale = ?2", params![slug, locale]))
    }

    /// Open revisions written by `author`.
    pub fn drafts_of(&self, author: i64) -> Result<Vec<Revision>> {
        self.read(|c| list(c, "r.author_id = ?1 AND r.state IN ('draft', 'changes_requested', 'in_review', 'approved')", [author]))
    }

    /// Revisions in review where `reviewer` was asked for a review.
    pub fn assigned_to(&self, reviewer: i64) -> Result<Vec<Revision>> {
        self.read(|c| {
            list(
                c,
                "r.state IN ('in_review', 'approved') AND r.id IN (SELECT revision_id FROM review_requests WHERE reviewer_id = ?1)",
                [reviewer],
            )
        })
    }

    /// Revisions in review by others, that named no reviewer.
    pub fn waiting_for_review(&self, except_author: i64) -> Result<Vec<Revision>> {
        self.read(|c| {
            list(
                c,
                "r.state = 'in_review' AND r.author_id != ?1 AND r.id NOT IN (SELECT revision_id FROM review_requests)",
                [except_author],
            )
        })
    }

    /// Records that an owner checked an article is still accurate.
    pub fn verify_article(&self, slug: &str, locale: &str, account: i64, hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO verifications (slug, locale, account_id, content_hash, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![slug, locale, account, hash, now()],
            )?;
            Store::audit(tx, Some(account), "article.verify", slug, "")?;
            Ok(())
        })
    }

    /// When each article was last verified: (locale, slug) → RFC 3339.
    pub fn last_verifications(
        &self,
    ) -> Result<std::collections::HashMap<(String, String), String>> {
        self.read(|c| {
            let rows = c.query_map(
                "SELECT locale, slug, MAX(at) FROM verifications GROUP BY locale, slug",
                (),
                |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
            )?;
            Ok(rows.into_iter().collect())
        })
    }
}

fn set_state(tx: &super::Conn, id: i64, state: RevisionState, actor: i64) -> Result<Revision> {
    tx.execute(
        "UPDATE revisions SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, state.as_str(), now()],
    )?;
    let rev = get(tx, id)?;
    Store::audit(
        tx,
        Some(actor),
        &format!("revision.{}", state.as_str()),
        &rev.slug,
        &format!("revision {id}"),
    )?;
    Ok(rev)
}

/// Records that `account` put content into revision `id`.
pub(super) fn add_contributor(tx: &super::Conn, id: i64, account: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO revision_contributors (revision_id, account_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![id, account],
    )?;
    Ok(())
}

fn approve_content(
    tx: &super::Conn,
    hash: &str,
    slug: &str,
    locale: &str,
    revision: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO approved_content (content_hash, slug, locale, revision_id, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        params![hash, slug, locale, revision, now()],
    )?;
    Ok(())
}
