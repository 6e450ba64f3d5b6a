//! Publishing: turns an approved revision into the article file — front
//! matter with the workflow's `author`, `edited_by`, `reviewed_by` and
//! `reviewed_at`, in the replaced file's syntax and key order —
//! written atomically ([`crate::atomic_file`]: the watcher never sees half a
//! file) inside `articles/`, and optionally committed to git with one
//! `Reviewed-by:` trailer per reviewer.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::articles::front_matter::Syntax;
use crate::articles::{Status, Visibility};
use crate::store::{Account, RevisionFields};

/// Who wrote and who reviewed a publication.
pub struct Credits<'a> {
    /// The revision's author: the article's author when it is new, one of
    /// its editors when it edits a live file.
    pub author: &'a Account,
    pub reviewers: &'a [Account],
    pub reviewed_at: &'a str,
}

/// What the file a publication replaces says about itself: the syntax and
/// key order of its front matter (kept, so a git diff shows only what
/// changed) and whom it credits (kept: an edit does not make its editor the
/// author).
#[derive(Debug, Default)]
pub struct Previous {
    syntax: Syntax,
    keys: Vec<String>,
    author: Option<String>,
    edited_by: Vec<String>,
}

impl Previous {
    /// Reads the live file's text; `None` when it does not parse (it is
    /// then rewritten in the default layout).
    pub fn read(text: &str) -> Option<Previous> {
        let text = crate::articles::normalize(text);
        let split = crate::articles::front_matter::split(&text).ok()?;
        let names = |key: &str| -> Vec<String> {
            match split.meta.get(key) {
                Some(Json::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Some(Json::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            }
        };
        Some(Previous {
            author: names("author").into_iter().next(),
            edited_by: names("edited_by"),
            syntax: split.syntax,
            keys: split.keys,
        })
    }
}

/// The article file for `fields`: front matter, then the Markdown body.
/// `slug` and `category` are written only when the path does not imply
/// them. Replacing a live file (`previous`), the front matter keeps that
/// file's syntax (YAML or TOML), its keys' order and its `author`; the
/// revision's author joins `edited_by` instead.
pub fn render_file(
    fields: &RevisionFields,
    slug: &str,
    path: &str,
    credits: &Credits,
    previous: Option<&Previous>,
) -> String {
    let mut entries = front_matter(fields, slug, path, credits, previous);
    if let Some(p) = previous {
        // The file's keys first, as it orders them; new ones after.
        let rank = |k: &str| p.keys.iter().position(|x| x == k).unwrap_or(usize::MAX);
        entries.sort_by_key(|(k, _)| rank(k));
    }
    let body = fields.body.trim_end();
    match previous.map(|p| p.syntax) {
        Some(Syntax::Toml) => format!("+++\n{}+++\n\n{body}\n", toml_block(entries)),
        _ => format!("---\n{}---\n\n{body}\n", yaml_block(entries)),
    }
}

/// The front-matter entries, in deflect's order.
fn front_matter(
    fields: &RevisionFields,
    slug: &str,
    path: &str,
    credits: &Credits,
    previous: Option<&Previous>,
) -> Vec<(String, Json)> {
    let mut m: Vec<(String, Json)> = Vec::new();
    let mut put = |k: &str, v: Json| m.push((k.to_string(), v));
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
        put("tags", fields.tags.clone().into());
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
    let me = &credits.author.name;
    let (author, editors) = match previous {
        None => (Some(me.clone()), Vec::new()),
        Some(p) => {
            let mut editors = p.edited_by.clone();
            if p.author.as_ref() != Some(me) && !editors.contains(me) {
                editors.push(me.clone());
            }
            (p.author.clone(), editors)
        }
    };
    if let Some(author) = author {
        put("author", author.into());
    }
    if !editors.is_empty() {
        put("edited_by", editors.into());
    }
    let reviewers: Vec<String> = credits.reviewers.iter().map(|r| r.name.clone()).collect();
    put("reviewed_by", reviewers.into());
    put("reviewed_at", credits.reviewed_at.into());
    for (k, v) in &fields.extra {
        if !m.iter().any(|(key, _)| key == k) && !v.is_null() {
            m.push((k.clone(), v.clone()));
        }
    }
    m
}

fn yaml_block(entries: Vec<(String, Json)>) -> String {
    let mut m = serde_yaml_ng::Mapping::new();
    for (k, v) in entries {
        if let Ok(v) = serde_yaml_ng::to_value(v) {
            m.insert(serde_yaml_ng::Value::String(k), v);
        }
    }
    serde_yaml_ng::to_string(&m).unwrap_or_default()
}

/// TOML front matter; `updated` stays a TOML date, as writers put it.
fn toml_block(entries: Vec<(String, Json)>) -> String {
    let mut table = toml::Table::new();
    for (k, v) in entries {
        let date = (k == "updated")
            .then(|| v.as_str()?.parse::<toml::value::Datetime>().ok())
            .flatten();
        let value = match date {
            Some(d) => toml::Value::Datetime(d),
            None => match toml::Value::try_from(v) {
                Ok(v) => v,
                Err(_) => continue,
            },
        };
        table.insert(k, value);
    }
    toml::to_string(&table).unwrap_or_default()
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
    tree: &crate::git::WorkTree,
    root: &Path,
    path: &str,
    message: &str,
    credits: &Credits,
) -> Result<bool, String> {
    let trailers: String = credits
        .reviewers
        .iter()
        .map(|r| format!("Reviewed-by: {} <{}>\n", r.name, r.email))
        .collect();
    let author = format!("{} <{}>", credits.author.name, credits.author.email);
    tree.commit(root, path, &format!("{message}\n\n{trailers}"), &author)
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
            None,
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
    fn an_edit_keeps_the_files_syntax_key_order_and_author() {
        let fields = RevisionFields {
            title: "Refunds".into(),
            category: "billing".into(),
            tags: vec!["money".into()],
            summary: "When we refund, now in 5 days.".into(),
            visibility: Visibility::Public,
            status: Status::Published,
            extra: serde_json::Map::from_iter([("owner".to_string(), "finance".into())]),
            body: "Body.\n".into(),
        };
        let (bo, cy) = (acc("bo"), acc("cy"));
        let reviewers = [cy];
        let credits = Credits {
            author: &bo,
            reviewers: &reviewers,
            reviewed_at: "2026-11-23T10:00:00Z",
        };
        let toml_file = "+++\nowner = \"finance\"\ntitle = \"Refunds\"\nauthor = \"ana\"\nsummary = \"When we refund.\"\ntags = [\"money\"]\nupdated = 2026-01-02\n+++\n\nOld.\n";
        let previous = Previous::read(toml_file).unwrap();
        let text = render_file(
            &fields,
            "billing/refunds",
            "billing/refunds.md",
            &credits,
            Some(&previous),
        );
        let keys: Vec<&str> = text
            .lines()
            .skip(1)
            .take_while(|l| *l != "+++")
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        assert_eq!(
            keys,
            [
                "owner",
                "title",
                "author",
                "summary",
                "tags",
                "updated",
                "edited_by",
                "reviewed_by",
                "reviewed_at"
            ],
            "{text}"
        );
        assert!(
            text.contains("author = \"ana\"\n"),
            "the author stays: {text}"
        );
        assert!(text.contains("edited_by = [\"bo\"]"), "{text}");
        let updated = text.lines().find(|l| l.starts_with("updated = ")).unwrap();
        assert!(
            !updated.contains('"'),
            "a TOML date stays a date: {updated}"
        );

        // Published again by ana, then by bo: nobody is listed twice.
        let again = Previous::read(&text).unwrap();
        let ana = acc("ana");
        let text = render_file(
            &fields,
            "billing/refunds",
            "billing/refunds.md",
            &Credits {
                author: &ana,
                ..credits
            },
            Some(&again),
        );
        assert!(
            text.contains("author = \"ana\"") && text.contains("edited_by = [\"bo\"]"),
            "{text}"
        );

        // YAML with no author: none is invented; the order is the file's.
        let yaml_file = "---\ntags: [money]\ntitle: Refunds\n---\nOld.\n";
        let previous = Previous::read(yaml_file).unwrap();
        let text = render_file(
            &fields,
            "billing/refunds",
            "billing/refunds.md",
            &credits,
            Some(&previous),
        );
        assert!(
            text.starts_with("---\ntags:\n- money\ntitle: Refunds\n"),
            "{text}"
        );
        assert!(
            !text.contains("author:") && text.contains("edited_by:\n- bo\n"),
            "{text}"
        );
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
