//! Adopting an existing articles folder. A team that brings its articles to
//! deflect has content nobody reviewed in deflect, and the dashboard would
//! list all of it as "unreviewed". An admin adopts the folder as it is
//! (`deflect review baseline --by NAME`): the current content of every live
//! article is recorded as approved, one audit entry per article, so the
//! dashboard starts from what changes afterwards. Each entry pins a content
//! hash, so a file edited by hand later is unreviewed again.
//!
//! The adoption is also written beside the articles ([`MANIFEST`]), so a
//! clone of the folder starts adopted: a store that has approved nothing yet
//! imports it on first start (the sample help center ships one). Once a
//! store has approvals of its own, the manifest is never read again — it
//! cannot approve anything behind a store's back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::WorkflowError;
use crate::index::SearchIndex;
use crate::store::{Account, Adopted, Role, Store};

/// The manifest's file name, in the articles folder (hidden: never an article).
pub const MANIFEST: &str = ".deflect-baseline.toml";

/// What the manifest holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    adopted_by: String,
    adopted_at: String,
    #[serde(rename = "article", default)]
    articles: Vec<Adopted>,
}

/// The outcome of an adoption.
#[derive(Debug, Default)]
pub struct Adoption {
    /// Live articles whose content is now approved by the baseline.
    pub adopted: Vec<Adopted>,
    /// Live articles an approval covered already.
    pub already: usize,
}

/// Adopts every live article whose content no approval covers, as `admin`
/// (only an admin may), and writes the manifest. With `dry_run`, only says
/// what it would adopt.
pub fn adopt(
    store: &Store,
    index: &SearchIndex,
    root: &Path,
    admin: &Account,
    dry_run: bool,
) -> Result<Adoption, WorkflowError> {
    if admin.role != Role::Admin || admin.disabled {
        return Err(WorkflowError::Invalid(format!(
            "only an enabled admin can adopt the articles as reviewed; {} is not one",
            admin.name
        )));
    }
    let mut live: Vec<Adopted> = index
        .live_articles()?
        .into_iter()
        .map(|a| Adopted {
            slug: a.summary.slug,
            locale: a.summary.locale,
            content_hash: a.content_hash,
        })
        .collect();
    // In a stable order: the manifest is committed, and diffs should be small.
    live.sort_by(|a, b| (&a.locale, &a.slug).cmp(&(&b.locale, &b.slug)));
    let hashes: Vec<&str> = live.iter().map(|a| a.content_hash.as_str()).collect();
    let approved = store.approved_hashes(&hashes)?;
    let (already, adopted): (Vec<&Adopted>, Vec<&Adopted>) = live
        .iter()
        .partition(|a| approved.contains(&a.content_hash));
    let adoption = Adoption {
        adopted: adopted.into_iter().cloned().collect(),
        already: already.len(),
    };
    if dry_run {
        return Ok(adoption);
    }
    let detail = format!("adopted as reviewed by {}", admin.name);
    store.adopt_baseline(&adoption.adopted, Some(admin.id), &detail)?;
    let manifest = Manifest {
        adopted_by: admin.name.clone(),
        adopted_at: crate::store::now(),
        articles: live,
    };
    let text = toml::to_string(&manifest)
        .map_err(|e| WorkflowError::Write(format!("cannot write {MANIFEST}: {e}")))?;
    let header = "# Written by `deflect review baseline`: the content of these articles was\n\
                  # adopted as reviewed. A new deflect store imports it on first start.\n\n";
    super::write_atomically(root, MANIFEST, &format!("{header}{text}"))
        .map_err(|e| WorkflowError::Write(format!("cannot write {MANIFEST}: {e}")))?;
    Ok(adoption)
}

/// On a store that has approved nothing yet, imports the folder's manifest
/// (if any): the number of articles it adopts. Any other store ignores it.
pub fn import_on_first_start(store: &Store, root: &Path) -> Result<usize, WorkflowError> {
    if store.has_approvals()? {
        return Ok(0);
    }
    let path = root.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(0);
    };
    let manifest: Manifest = toml::from_str(&text).map_err(|e| {
        WorkflowError::Invalid(format!(
            "{} is not a baseline manifest: {e}",
            path.display()
        ))
    })?;
    let detail = format!(
        "adopted as reviewed by {} at {}; imported from {MANIFEST} into a new store",
        manifest.adopted_by, manifest.adopted_at
    );
    Ok(store.adopt_baseline(&manifest.articles, None, &detail)?)
}
