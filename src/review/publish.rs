//! Publishing: turns an approved revision into the article file — front
//! matter with the workflow's `author`, `reviewed_by` and `reviewed_at` —
//! written atomically ([`crate::atomic_file`]: the watcher never sees half a
//! file) inside `articles/`, and optionally committed to git with one
//! `Reviewed-by:` trailer per reviewer.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::{Mapping, Value};

use crate::articles::{Status, Visibility};
use crate::store::{Account, RevisionFields};

/// Who wrote and who reviewed a publication.
pub struct Credits<'a> {
    pub author: &'a Account,
    pub reviewers: &'a [Account],
    pub reviewed_at: &'a str,
}

/// The article file for `fields`: YAML front matter, then the Markdown body.
/// `slug` and `category` are written only when the path does not imply them.
pub fn render_file(fields: &RevisionFields, slug: &str, path: &str, credits: &Credits) -> String {
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::String(k.into()), v);
    };
    put("title", fields.title.clone().into());
    if crate::articles::derive_slug(path) != slug {
        put("slug", slug.into());
    }
    let folder = path.split_once('/').map(|(f, _)| f).unwrap_or("general");
    if fields.category != folder {
        put("category", fields.category.clone().into());
    }
    if !fields.summary.is_empty() {
        put("summary", fields.summary.clone().into());
    }
    if !fields.tags.is_empty() {
        put(
            "tags",
            Value::Sequence(fields.tags.iter().map(|t| t.clone().into()).collect()),
        );
    }
    if fields.visibility != Visibility::Public {
        put("visibility", fields.visibility.as_str().into());
    }
    if fields.status != Status::Published {
        put("status", fields.status.as_str().into());
    }
    put(
        "updated",
        chrono::Utc::now().format("%Y-%m-%d").to_string().into(),
    );
    put("author", credits.author.name.clone().into());
    put(
        "reviewed_by",
        Value::Sequence(
            credits
                .reviewers
                .iter()
                .map(|r| r.name.clone().into())
                .collect(),
        ),
    );
    put("reviewed_at", credits.reviewed_at.into());
    for (k, v) in &fields.extra {
        if !m.contains_key(k.as_str()) {
            if let Ok(v) = serde_yaml_ng::to_value(v) {
                m.insert(Value::String(k.clone()), v);
            }
        }
    }
    let yaml = serde_yaml_ng::to_string(&m).unwrap_or_default();
    let body = fields.body.trim_end();
    format!("---\n{yaml}---\n\n{body}\n")
}

/// Writes `text` to `root/path` through a temp file and a rename. `path` must
/// be relative and stay inside `root` once every symlink on the way is
/// resolved: a symlinked folder inside `articles/` that points elsewhere is
/// refused, never written through.
pub fn write_atomically(root: &Path, path: &str, text: &str) -> std::io::Result<PathBuf> {
    let rel = Path::new(path);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(outside(path));
    }
    let name = rel.file_name().ok_or_else(|| outside(path))?;
    let dir = contained_dir(root, rel.parent().unwrap_or(Path::new("")), path)?;
    let target = dir.join(name);
    if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        // Renaming over a link would replace it; refusing is clearer than
        // silently turning a linked article into a copy.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{path}` is a symbolic link; edit the file it points to instead"),
        ));
    }
    crate::atomic_file::write_text(&target, text)?;
    Ok(target)
}

fn outside(path: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("`{path}` is not a path inside the articles folder"),
    )
}

/// The folder `root/rel_dir`, created one level at a time, each level
/// checked (symlinks resolved) to lie inside `root`.
fn contained_dir(root: &Path, rel_dir: &Path, path: &str) -> std::io::Result<PathBuf> {
    let root = root.canonicalize()?;
    let mut dir = root.clone();
    for part in rel_dir.components() {
        let next = dir.join(part);
        if std::fs::symlink_metadata(&next).is_err() {
            std::fs::create_dir(&next)?;
        }
        dir = next.canonicalize()?;
        if !dir.starts_with(&root) || !dir.is_dir() {
            return Err(outside(path));
        }
    }
    Ok(dir)
}

/// Commits `path` in the git repository holding `root`, with the author as
/// commit author and a `Reviewed-by:` trailer per reviewer. Does nothing
/// when `root` is not in a git work tree.
pub fn git_commit(
    root: &Path,
    path: &str,
    message: &str,
    credits: &Credits,
) -> Result<bool, String> {
    let inside = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output();
    if !inside.is_ok_and(|o| o.status.success()) {
        return Ok(false);
    }
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            // deflect commits on the agent's behalf: it is the committer.
            .env("GIT_COMMITTER_NAME", "deflect")
            .env("GIT_COMMITTER_EMAIL", "deflect@localhost")
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    run(&["add", "--", path])?;
    let trailers: String = credits
        .reviewers
        .iter()
        .map(|r| format!("Reviewed-by: {} <{}>\n", r.name, r.email))
        .collect();
    let author = format!("{} <{}>", credits.author.name, credits.author.email);
    let full = format!("{message}\n\n{trailers}");
    run(&[
        "commit", "--quiet", "--author", &author, "-m", &full, "--", path,
    ])?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    fn acc(name: &str) -> Account {
        Account {
            id: 1,
            name: name.into(),
            email: format!("{name}@x.example"),
            role: Role::Agent,
            disabled: false,
            created_at: String::new(),
        }
    }

    #[test]
    fn renders_front_matter_that_parses_back() {
        let mut extra = serde_json::Map::new();
        extra.insert("review_every".into(), "90d".into());
        let fields = RevisionFields {
            title: "Refunds: how & when".into(),
            category: "billing".into(),
            tags: vec!["refund".into(), "money back".into()],
            summary: "When we refund.".into(),
            visibility: Visibility::Public,
            status: Status::Published,
            extra,
            body: "Body text.\n".into(),
        };
        let (ana, bo) = (acc("ana"), acc("bo"));
        let reviewers = [bo];
        let text = render_file(
            &fields,
            "billing/refunds",
            "billing/refunds.md",
            &Credits {
                author: &ana,
                reviewers: &reviewers,
                reviewed_at: "2026-11-23T10:00:00Z",
            },
        );
        let resolver = |_: &str| None;
        let a = crate::articles::Article::parse(
            "billing/refunds.md",
            &text,
            &crate::articles::ParseOptions {
                default_locale: "en",
                resolver: &resolver,
            },
        )
        .unwrap();
        assert_eq!(a.title, "Refunds: how & when");
        assert_eq!(a.slug, "billing/refunds");
        assert_eq!(a.tags, ["refund", "money back"]);
        assert_eq!(a.meta["author"], "ana");
        assert_eq!(a.meta["reviewed_by"], serde_json::json!(["bo"]));
        assert_eq!(a.meta["review_every"], "90d");
        assert!(!text.contains("category:"), "implied by the folder: {text}");
    }

    #[test]
    fn atomic_write_stays_inside_root() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_atomically(dir.path(), "a/b.md", "x").unwrap();
        assert_eq!(std::fs::read_to_string(p).unwrap(), "x");
        assert!(write_atomically(dir.path(), "../escape.md", "x").is_err());
        assert!(write_atomically(dir.path(), "/etc/passwd", "x").is_err());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_never_follows_a_symlink_out_of_root() {
        let dir = tempfile::tempdir().unwrap();
        let (root, elsewhere) = (dir.path().join("articles"), dir.path().join("elsewhere"));
        std::fs::create_dir_all(root.join("inside")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("billing")).unwrap();
        std::os::unix::fs::symlink(root.join("inside"), root.join("alias")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("x.md"), root.join("link.md")).unwrap();
        for path in ["billing/refunds.md", "billing/new/deeper.md", "link.md"] {
            let err = write_atomically(&root, path, "x").unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{path}");
        }
        assert_eq!(
            std::fs::read_dir(&elsewhere).unwrap().count(),
            0,
            "nothing written or created outside the root"
        );
        // A link that stays inside the root is fine.
        let p = write_atomically(&root, "alias/ok.md", "x").unwrap();
        assert!(p.starts_with(root.canonicalize().unwrap().join("inside")));
    }
}
