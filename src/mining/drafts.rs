//! Mined topics into the review workflow: one draft per topic a lead picks
//! (by default every "not covered" one), titled with the suggested title,
//! its sample questions in a Markdown comment that only the writer sees
//! (the renderer drops comments), assigned round-robin over the chosen
//! agents or to nobody yet. Drafts then follow the normal peer review; a run
//! remembers which topics got one, so asking twice makes nothing twice.

use serde::Serialize;

use super::{Report, Topic};
use crate::articles::{derive_slug, Status, Visibility};
use crate::index::Audience;
use crate::review::{Workflow, WorkflowError};
use crate::store::{Account, RevisionFields};

/// Longest slug made from a title, in bytes (cut at a word).
const MAX_SLUG: usize = 60;
/// Category of a draft whose topic matches no article.
pub const DEFAULT_CATEGORY: &str = "general";

/// What happened to one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftOutcome {
    pub topic_id: i32,
    pub title: String,
    pub revision_id: i64,
    /// The author, or [`crate::store::UNASSIGNED`].
    pub author: String,
    /// False when an earlier request (or someone's open revision of the same
    /// slug) had made it already.
    pub created: bool,
}

/// Makes drafts for `topics` (ids of `report`'s topics) of run `run`, in the
/// report's order, authored round-robin by `assignees` (none: unassigned).
pub fn create(
    workflow: &Workflow,
    run: i64,
    report: &Report,
    topics: &[i32],
    assignees: &[Account],
    locale: &str,
) -> Result<Vec<DraftOutcome>, WorkflowError> {
    let store = &workflow.store;
    let done = store.mined_drafts(run)?;
    let unassigned = if assignees.is_empty() {
        Some(store.unassigned_account()?)
    } else {
        None
    };
    let mut next = 0;
    let mut outcomes = Vec::new();
    for topic in report.topics.iter().filter(|t| topics.contains(&t.id)) {
        let existing = |revision_id: i64, author: String| DraftOutcome {
            topic_id: topic.id,
            title: topic.title.clone(),
            revision_id,
            author,
            created: false,
        };
        if let Some(d) = done.iter().find(|d| d.topic_id == topic.id) {
            let rev = store.revision(d.revision_id)?;
            outcomes.push(existing(rev.id, rev.author));
            continue;
        }
        let category = category_of(workflow, topic, locale);
        let base = format!("{category}/{}", title_slug(&topic.title, topic.id));
        let Some(slug) = free_slug(workflow, &base, locale)? else {
            // Someone is writing this article already: link it, make nothing.
            let rev = store
                .open_revision(&base, locale)?
                .ok_or_else(|| WorkflowError::NotFound(base.clone()))?;
            store.record_mined_draft(run, topic.id, topic.rank, rev.id)?;
            outcomes.push(existing(rev.id, rev.author));
            continue;
        };
        let author = match &unassigned {
            Some(a) => a,
            None => {
                next += 1;
                &assignees[(next - 1) % assignees.len()]
            }
        };
        let fields = RevisionFields {
            title: topic.title.clone(),
            category,
            tags: topic.tags.iter().take(3).map(|t| t.tag.clone()).collect(),
            summary: String::new(),
            visibility: Visibility::Public,
            status: Status::Published,
            extra: Default::default(),
            body: body(run, report, topic),
        };
        let rev = workflow.start_new(author, &slug, locale, fields)?;
        store.record_mined_draft(run, topic.id, topic.rank, rev.id)?;
        outcomes.push(DraftOutcome {
            topic_id: topic.id,
            title: topic.title.clone(),
            revision_id: rev.id,
            author: rev.author,
            created: true,
        });
    }
    let created: Vec<_> = outcomes.iter().filter(|o| o.created).collect();
    if !created.is_empty() {
        workflow.notifier.send(
            "drafts_created",
            serde_json::json!({ "run": run, "drafts": created }),
        );
    }
    Ok(outcomes)
}

/// The draft's category: the first of the topic's ticket tags that names a
/// category of the help center, else the category of an article that
/// answers some of its tickets confidently, else [`DEFAULT_CATEGORY`]. A
/// weak closest match says little about where a new article belongs.
fn category_of(workflow: &Workflow, topic: &Topic, locale: &str) -> String {
    let index = workflow.library.index();
    let categories: Vec<String> = index
        .categories(locale, Audience::Agent)
        .map(|cs| cs.into_iter().map(|c| c.category).collect())
        .unwrap_or_default();
    let from_tags = topic
        .tags
        .iter()
        .map(|t| t.tag.to_lowercase())
        .find(|t| categories.contains(t));
    let from_article = || {
        let a = topic
            .coverage
            .article
            .as_ref()
            .filter(|_| topic.coverage.confident)?;
        index.get(&a.slug, locale, Audience::Agent).ok().flatten()
    };
    from_tags
        .or_else(|| from_article().map(|a| a.category))
        .filter(|c| !c.is_empty() && derive_slug(c) == *c)
        .unwrap_or_else(|| DEFAULT_CATEGORY.to_string())
}

/// `How do I freeze my card?` → `how-do-i-freeze-my-card`.
fn title_slug(title: &str, topic: i32) -> String {
    let slug = derive_slug(&title.replace(['/', '.'], " ")).replace('/', "-");
    let mut cut = String::new();
    for word in slug.split('-').filter(|w| !w.is_empty()) {
        if !cut.is_empty() && cut.len() + 1 + word.len() > MAX_SLUG {
            break;
        }
        if !cut.is_empty() {
            cut.push('-');
        }
        cut.push_str(word);
    }
    if cut.len() < 3 {
        format!("topic-{topic}")
    } else {
        cut
    }
}

/// `base`, or `base-2`, `base-3`… when an article or file has it; `None`
/// when an open revision already has `base` itself.
fn free_slug(
    workflow: &Workflow,
    base: &str,
    locale: &str,
) -> Result<Option<String>, WorkflowError> {
    if workflow.store.open_revision(base, locale)?.is_some() {
        return Ok(None);
    }
    for n in 1.. {
        let slug = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let taken = workflow
            .library
            .index()
            .get(&slug, locale, Audience::Agent)?
            .is_some()
            || workflow.store.open_revision(&slug, locale)?.is_some()
            || workflow.library.root().join(format!("{slug}.md")).exists()
            || workflow
                .library
                .root()
                .join(format!("{slug}.{locale}.md"))
                .exists();
        if !taken {
            return Ok(Some(slug));
        }
    }
    unreachable!("some numbered slug is free")
}

/// The draft's Markdown: a comment for the writer with what customers
/// asked, then room for the answer.
fn body(run: i64, report: &Report, topic: &Topic) -> String {
    let mut c = format!(
        "FAQ mining (run {run}, {} tickets from {}) suggests this article.\n\
         {} tickets ({:.1}%) ask about it; trend: {}.\n",
        report.summary.tickets,
        period(report),
        topic.tickets,
        topic.share * 100.0,
        topic.trend.direction.as_str(),
    );
    if let Some(a) = &topic.coverage.article {
        c.push_str(&format!(
            "Closest article: {} ({}), answers {:.0}% of them.\n",
            a.title,
            a.url,
            topic.coverage.score * 100.0
        ));
    }
    c.push_str("\nCustomers asked, for example:\n");
    for s in &topic.samples {
        let times = if s.tickets > 1 {
            format!(" ({} tickets)", s.tickets)
        } else {
            String::new()
        };
        c.push_str(&format!("- {}{times}\n", one_line(&s.text)));
    }
    if !topic.terms.is_empty() {
        let terms: Vec<&str> = topic.terms.iter().map(|t| t.text.as_str()).collect();
        c.push_str(&format!("\nTheir words: {}.\n", terms.join(", ")));
    }
    c.push_str("\nThis comment is for the writer; readers never see it. Delete it when the article is done.");
    format!("<!--\n{}\n-->\n\n", escape_comment(&c))
}

fn period(report: &Report) -> String {
    match (report.summary.first_date, report.summary.last_date) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => report.summary.files.join(", "),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text that cannot end the comment early: `--` becomes `- -`.
fn escape_comment(text: &str) -> String {
    let mut out = text.replace("--", "- -");
    while out.contains("--") {
        out = out.replace("--", "- -");
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles() {
        for (title, want) in [
            ("How do I freeze my card?", "how-do-i-freeze-my-card"),
            ("Top up / transfer: 2.5% fee", "top-up-transfer-2-5-fee"),
            ("¿Qué?", "topic-7"),
            (
                "Why was my card payment declined when I was abroad on holiday last week",
                "why-was-my-card-payment-declined-when-i-was-abroad-on",
            ),
        ] {
            assert_eq!(title_slug(title, 7), want, "{title}");
            assert!(crate::articles::is_valid_slug(&title_slug(title, 7)));
        }
    }

    #[test]
    fn comments_cannot_be_closed_by_ticket_text() {
        for text in ["a --> b", "x---y", "ends with -", "<!-- nested -->"] {
            let e = escape_comment(text);
            assert!(!e.contains("--"), "{e}");
            assert!(!e.ends_with('-'), "{e}");
        }
    }
}
