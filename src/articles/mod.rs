//! Articles: one Markdown file per article and locale under `articles/`, the
//! help center's source of truth. [`Article::parse`] turns a file's text into an
//! article (front matter + rendered body) without touching the disk;
//! [`load`] walks a folder of them. Parsing errors name the file, the line and
//! the fix.

pub mod front_matter;
pub mod load;
pub mod markdown;
pub mod slug;

use std::fmt;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use load::{load_dir, load_dir_chunked, Loaded};
pub use markdown::{Heading, LinkResolver, Rendered};
pub use slug::{derive_slug, is_valid_slug, locale_from_path, slug_from_title};

/// Whether an article is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Published,
    Draft,
    Archived,
}

/// Who may read an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    /// Signed-in agents only.
    Internal,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Draft => "draft",
            Status::Archived => "archived",
        }
    }
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// The words front matter, forms and the store use, with the message a
/// writer sees for any other word.
impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "published" => Ok(Status::Published),
            "draft" => Ok(Status::Draft),
            "archived" => Ok(Status::Archived),
            other => Err(format!(
                "`{other}` is unknown — use `published`, `draft` or `archived`"
            )),
        }
    }
}

impl std::str::FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Visibility::Public),
            "internal" => Ok(Visibility::Internal),
            other => Err(format!("`{other}` is unknown — use `public` or `internal`")),
        }
    }
}

/// A parsed, rendered article.
#[derive(Debug, Clone)]
pub struct Article {
    /// Path under `articles/`, with `/` separators.
    pub path: String,
    pub slug: String,
    pub locale: String,
    pub title: String,
    /// Category id (a folder name, or the `category` key).
    pub category: String,
    pub tags: Vec<String>,
    /// The `summary` key, else the first paragraph.
    pub summary: String,
    pub status: Status,
    pub visibility: Visibility,
    /// The `updated` key, else the file's modification time.
    pub updated: Option<DateTime<Utc>>,
    pub translation_of: Option<String>,
    /// Front-matter keys deflect does not use itself, kept for templates.
    pub extra: Map<String, Value>,
    /// Known keys that are kept as written (author, edited_by, reviewed_by, review_every ...).
    pub meta: Map<String, Value>,
    /// The Markdown body (front matter removed).
    pub markdown: String,
    pub rendered: Rendered,
    /// SHA-256 of the file's text, hex: what a review approves.
    pub content_hash: String,
}

/// What parsing needs besides the text.
pub struct ParseOptions<'a> {
    /// Locale of files that name none.
    pub default_locale: &'a str,
    /// Turns links between article files into URLs.
    pub resolver: &'a dyn LinkResolver,
}

/// Why a file is not a valid article.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseErrorKind {
    NotUtf8,
    UnclosedFrontMatter { fence: &'static str },
    Yaml(String),
    Toml(String),
    NotAMapping,
    MissingTitle,
    InvalidField { key: &'static str, message: String },
    DuplicateSlug { slug: String, first: String },
    BrokenLink { dest: String },
    Io(String),
}

/// A file that cannot be served, with where and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    /// Path as given to the loader (usually `articles/...`).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.path, self.line)?;
        match &self.kind {
            ParseErrorKind::NotUtf8 => write!(f, "file is not UTF-8 text — save it as UTF-8"),
            ParseErrorKind::UnclosedFrontMatter { fence } => {
                write!(f, "front matter is never closed — add a `{fence}` line after the last key")
            }
            ParseErrorKind::Yaml(m) => write!(f, "invalid YAML front matter: {m} — quote values that start with special characters (`%`, `@`, `*`, `:`)"),
            ParseErrorKind::Toml(m) => write!(f, "invalid TOML front matter: {m} — check the quoting and brackets on this line"),
            ParseErrorKind::NotAMapping => write!(f, "front matter is not a list of `key: value` pairs — write one key per line"),
            ParseErrorKind::MissingTitle => {
                write!(f, "missing `title` — add `title: ...` to the front matter (or start the body with a `# Title` line)")
            }
            ParseErrorKind::InvalidField { key, message } => write!(f, "invalid `{key}`: {message}"),
            ParseErrorKind::DuplicateSlug { slug, first } => {
                write!(f, "slug `{slug}` is already used by {first} — give this article another `slug:` or rename the file")
            }
            ParseErrorKind::BrokenLink { dest } => {
                write!(f, "link to `{dest}` points at no article — fix the path or remove the link")
            }
            ParseErrorKind::Io(m) => write!(f, "cannot read file: {m}"),
        }
    }
}

impl Article {
    /// Parses the text of the article stored at `path` (relative to
    /// `articles/`). Pure: the caller reads the file.
    pub fn parse(path: &str, source: &str, opts: &ParseOptions) -> Result<Article, ParseError> {
        let err = |line, kind| ParseError {
            path: path.to_string(),
            line,
            kind,
        };
        let content_hash = hash_hex(source.as_bytes());
        let text = normalize(source);
        let split = front_matter::split(&text).map_err(|e| err(e.line, e.kind))?;
        let mut meta = split.meta;
        let mut body = split.body;
        let mut body_line = split.body_line;

        let title_key = take_string(&mut meta, "title").map_err(|m| err(1, m))?;
        // A body that opens with `# Title` repeats the page title: use it as the
        // title when none is given, and drop it either way.
        let (h1, after_h1) = leading_h1(body);
        let title = match (title_key, h1) {
            (Some(t), Some(h)) if t.trim().eq_ignore_ascii_case(h.trim()) => {
                body_line += body[..body.len() - after_h1.len()].matches('\n').count();
                body = after_h1;
                t
            }
            (Some(t), _) => t,
            (None, Some(h)) => {
                body_line += body[..body.len() - after_h1.len()].matches('\n').count();
                body = after_h1;
                h.to_string()
            }
            // Plain Markdown with no front matter at all (a README, a
            // LICENSE) is titled after its file; a file that has front
            // matter opted into the format and must name its title.
            (None, None) if split.body_line == 1 => title_from_path(path),
            (None, None) => return Err(err(1, ParseErrorKind::MissingTitle)),
        };
        if title.trim().is_empty() {
            return Err(err(1, ParseErrorKind::MissingTitle));
        }

        // Front-matter keys all report line 1: the YAML block as a whole.
        let locale = meta_locale(&mut meta, path, opts.default_locale).map_err(|k| err(1, k))?;
        let slug = meta_slug(&mut meta, path).map_err(|k| err(1, k))?;
        let category = meta_category(&mut meta, path).map_err(|k| err(1, k))?;
        let tags = take_tags(&mut meta).map_err(|m| err(1, m))?;
        let summary_key = take_string(&mut meta, "summary").map_err(|m| err(1, m))?;
        let status = meta_status(&mut meta).map_err(|k| err(1, k))?;
        let visibility = meta_visibility(&mut meta).map_err(|k| err(1, k))?;
        let updated = meta_updated(&mut meta).map_err(|k| err(1, k))?;
        let translation_of = take_string(&mut meta, "translation_of").map_err(|m| err(1, m))?;

        let known: Map<String, Value> = [
            "author",
            "edited_by",
            "reviewed_by",
            "reviewed_at",
            "review_every",
        ]
        .iter()
        .filter_map(|k| meta.remove(*k).map(|v| (k.to_string(), v)))
        .collect();
        let mut rendered = markdown::render(body, body_line, path, opts.resolver);
        rendered.html = markdown::localize_callouts(rendered.html, &locale);
        let summary = summary_key.unwrap_or_else(|| truncate(&rendered.first_paragraph, 240));
        Ok(Article {
            path: path.to_string(),
            slug,
            locale,
            title: title.trim().to_string(),
            category,
            tags,
            summary,
            status,
            visibility,
            updated,
            translation_of,
            extra: meta,
            meta: known,
            markdown: body.to_string(),
            rendered,
            content_hash,
        })
    }

    /// Reads and parses `root/path`; the file's modification time stands in
    /// for a missing `updated`.
    pub fn from_file(root: &Path, path: &str, opts: &ParseOptions) -> Result<Article, ParseError> {
        let full = root.join(path);
        let shown = full.display().to_string();
        let bytes = std::fs::read(&full).map_err(|e| ParseError {
            path: shown.clone(),
            line: 1,
            kind: ParseErrorKind::Io(e.to_string()),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ParseError {
            path: shown.clone(),
            line: 1,
            kind: ParseErrorKind::NotUtf8,
        })?;
        let mut article =
            Article::parse(path, &text, opts).map_err(|e| ParseError { path: shown, ..e })?;
        if article.updated.is_none() {
            article.updated = std::fs::metadata(&full)
                .and_then(|m| m.modified())
                .ok()
                .map(DateTime::<Utc>::from);
        }
        Ok(article)
    }

    /// Whether customers may see it.
    pub fn is_public(&self) -> bool {
        self.status == Status::Published && self.visibility == Visibility::Public
    }
}

/// `getting-started/first_steps.md` → `first steps`.
fn title_from_path(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    stem.replace(['-', '_'], " ")
}

/// Hex SHA-256 of `bytes`.
pub fn hash_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Drops a UTF-8 BOM and turns CRLF line ends into LF.
/// The text without a byte-order mark and with `\n` line ends.
pub fn normalize(source: &str) -> std::borrow::Cow<'_, str> {
    let s = source.strip_prefix('\u{feff}').unwrap_or(source);
    if s.contains('\r') {
        s.replace("\r\n", "\n").into()
    } else {
        s.into()
    }
}

/// The text of a `# Title` line opening `body` (blank lines before it are
/// allowed), and the body after it.
fn leading_h1(body: &str) -> (Option<&str>, &str) {
    let trimmed = body.trim_start_matches(['\n', ' ']);
    if let Some(rest) = trimmed.strip_prefix("# ") {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        let line = line.trim().trim_end_matches('#').trim();
        if !line.is_empty() {
            return (Some(line), after);
        }
    }
    (None, body)
}

fn invalid(key: &'static str, message: String) -> ParseErrorKind {
    ParseErrorKind::InvalidField { key, message }
}

/// `locale`, else the one the file name carries (`x.fr.md`), else the default.
fn meta_locale(
    meta: &mut Map<String, Value>,
    path: &str,
    default: &str,
) -> Result<String, ParseErrorKind> {
    match take_string(meta, "locale")? {
        Some(l) => normalize_locale(&l).ok_or_else(|| {
            invalid(
                "locale",
                format!("`{l}` is not a language tag — use e.g. `en`, `fr` or `pt-br`"),
            )
        }),
        None => Ok(locale_from_path(path).unwrap_or_else(|| default.to_string())),
    }
}

/// `slug`, else the file's path without its extension.
fn meta_slug(meta: &mut Map<String, Value>, path: &str) -> Result<String, ParseErrorKind> {
    match take_string(meta, "slug")? {
        Some(s) => {
            let s = s.trim().trim_matches('/').to_string();
            if !is_valid_slug(&s) {
                return Err(invalid("slug", format!("`{s}` is not a valid slug — use lowercase letters, digits, `-`, `_` and `.`, with `/` between segments")));
            }
            Ok(s)
        }
        None => Ok(derive_slug(path)),
    }
}

/// `category`, else the first folder of the path, else `general`.
fn meta_category(meta: &mut Map<String, Value>, path: &str) -> Result<String, ParseErrorKind> {
    Ok(match take_string(meta, "category")? {
        // A category is one level: `a/b` would not survive as a facet.
        Some(c) => c.trim().replace('/', "-"),
        None => match path.split_once('/') {
            Some((folder, _)) => folder.to_string(),
            None => "general".to_string(),
        },
    })
}

fn meta_status(meta: &mut Map<String, Value>) -> Result<Status, ParseErrorKind> {
    match take_string(meta, "status")? {
        None => Ok(Status::default()),
        Some(s) => s.parse().map_err(|m| invalid("status", m)),
    }
}

fn meta_visibility(meta: &mut Map<String, Value>) -> Result<Visibility, ParseErrorKind> {
    match take_string(meta, "visibility")? {
        None => Ok(Visibility::default()),
        Some(s) => s.parse().map_err(|m| invalid("visibility", m)),
    }
}

fn meta_updated(meta: &mut Map<String, Value>) -> Result<Option<DateTime<Utc>>, ParseErrorKind> {
    match take_string(meta, "updated")? {
        Some(s) => parse_date(&s).map(Some).ok_or_else(|| {
            invalid(
                "updated",
                format!("`{s}` is not a date — write it as `2026-09-14`"),
            )
        }),
        None => Ok(None),
    }
}

fn take_string(
    meta: &mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<String>, ParseErrorKind> {
    match meta.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(invalid(
            key,
            "a list or table where one value belongs — write `key: value`".into(),
        )),
    }
}

fn take_tags(meta: &mut Map<String, Value>) -> Result<Vec<String>, ParseErrorKind> {
    let tags = match meta.remove("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(|t| t.trim().to_string()).collect(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(invalid(
                    "tags",
                    "tags must be words — write them as `tags: [billing, refund]`".into(),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "tags",
                "tags must be words — write them as `tags: [billing, refund]`".into(),
            ))
        }
    };
    Ok(tags.into_iter().filter(|t| !t.is_empty()).collect())
}

/// Accepts `2026-09-14`, RFC 3339 and `2026-09-14 10:00:00`.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Some(d.and_utc());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// `en`, `pt-BR` → `pt-br`; `None` when `tag` is not a plausible BCP 47 tag.
pub fn normalize_locale(tag: &str) -> Option<String> {
    let tag = tag.trim().replace('_', "-").to_ascii_lowercase();
    let mut parts = tag.split('-');
    let lang = parts.next()?;
    let ok = (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    ok.then_some(tag)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str, src: &str) -> Result<Article, ParseError> {
        let resolver = |p: &str| Some(format!("/articles/{}", derive_slug(p)));
        Article::parse(
            path,
            src,
            &ParseOptions {
                default_locale: "en",
                resolver: &resolver,
            },
        )
    }

    #[test]
    fn parses_front_matter_variants() {
        let cases: &[(&str, &str)] = &[
            (
                "yaml",
                "---\ntitle: Refunds\ntags: [billing, money]\n---\nBody text.\n",
            ),
            (
                "toml",
                "+++\ntitle = \"Refunds\"\ntags = [\"billing\", \"money\"]\n+++\nBody text.\n",
            ),
            (
                "bom",
                "\u{feff}---\ntitle: Refunds\ntags: [billing, money]\n---\nBody text.\n",
            ),
            (
                "crlf",
                "---\r\ntitle: Refunds\r\ntags: [billing, money]\r\n---\r\nBody text.\r\n",
            ),
            (
                "tags as string",
                "---\ntitle: Refunds\ntags: billing, money\n---\nBody text.\n",
            ),
            (
                "h1 title",
                "---\ntags: [billing, money]\n---\n# Refunds\n\nBody text.\n",
            ),
        ];
        for (name, src) in cases {
            let a = parse("billing/refunds.md", src).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(a.title, "Refunds", "{name}");
            assert_eq!(a.tags, ["billing", "money"], "{name}");
            assert_eq!(a.slug, "billing/refunds", "{name}");
            assert_eq!(a.category, "billing", "{name}");
            assert_eq!(a.summary, "Body text.", "{name}");
            assert!(
                !a.rendered.html.contains("<h1"),
                "{name}: {}",
                a.rendered.html
            );
        }
    }

    #[test]
    fn errors_name_line_and_fix() {
        let cases: &[(&str, usize, &str)] = &[
            ("---\nsummary: no title\n---\nbody\n", 1, "missing `title`"),
            ("---\ntitle: A\ntags:\n  - %\n---\n", 4, "invalid YAML"),
            ("+++\ntitle = A\n+++\n", 2, "invalid TOML"),
            ("---\ntitle: A\n", 1, "never closed"),
            ("---\ntitle: A\nstatus: live\n---\n", 1, "`status`"),
            ("---\ntitle: A\nslug: ../../etc/passwd\n---\n", 1, "`slug`"),
            ("---\ntitle: A\nupdated: yesterday\n---\n", 1, "`updated`"),
            ("---\n- a\n- b\n---\n", 2, "not a list of `key: value`"),
        ];
        for (src, line, needle) in cases {
            let e = parse("billing/refunds.md", src).unwrap_err();
            assert_eq!(e.line, *line, "{src:?}: {e}");
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!("billing/refunds.md:{line}: ")),
                "{msg}"
            );
            assert!(msg.contains(needle), "{msg}");
            assert!(msg.contains(" — "), "no fix in {msg}");
        }
    }

    #[test]
    fn plain_markdown_without_heading_is_titled_after_its_file() {
        let a = parse(
            "legal/LICENSE-CODE.md",
            "The MIT License (MIT)\n\nPermission is granted.\n",
        )
        .unwrap();
        assert_eq!(a.title, "LICENSE CODE");
        assert_eq!(
            parse("a.md", "---\nsummary: x\n---\nbody\n")
                .unwrap_err()
                .kind,
            ParseErrorKind::MissingTitle
        );
    }

    #[test]
    fn unknown_keys_are_kept_as_extra() {
        let a = parse(
            "a.md",
            "---\ntitle: A\nms.author: someone\nLocale: en-US\nauthor: jo\n---\n",
        )
        .unwrap();
        assert_eq!(a.extra["ms.author"], "someone");
        assert_eq!(a.extra["Locale"], "en-US");
        assert_eq!(a.meta["author"], "jo");
        assert_eq!(a.category, "general");
    }

    #[test]
    fn locale_from_suffix_key_or_default() {
        assert_eq!(
            parse("account/login.fr.md", "---\ntitle: A\n---\n")
                .unwrap()
                .locale,
            "fr"
        );
        assert_eq!(
            parse("account/login.fr.md", "---\ntitle: A\n---\n")
                .unwrap()
                .slug,
            "account/login"
        );
        assert_eq!(
            parse("account/login.md", "---\ntitle: A\nlocale: pt_BR\n---\n")
                .unwrap()
                .locale,
            "pt-br"
        );
        assert_eq!(
            parse("account/login.md", "---\ntitle: A\n---\n")
                .unwrap()
                .locale,
            "en"
        );
    }

    #[test]
    fn status_and_visibility() {
        let a = parse("a.md", "---\ntitle: A\nstatus: draft\n---\n").unwrap();
        assert!(!a.is_public());
        let a = parse("a.md", "---\ntitle: A\nvisibility: internal\n---\n").unwrap();
        assert!(!a.is_public());
        assert!(parse("a.md", "---\ntitle: A\n---\n").unwrap().is_public());
    }

    #[test]
    fn updated_dates() {
        let a = parse("a.md", "---\ntitle: A\nupdated: 2026-09-14\n---\n").unwrap();
        assert_eq!(a.updated.unwrap().to_rfc3339(), "2026-09-14T00:00:00+00:00");
    }

    #[test]
    fn link_lines_count_from_file_start() {
        let a = parse(
            "billing/a.md",
            "---\ntitle: A\n---\n# A\n\nSee [b](b.md).\n",
        )
        .unwrap();
        assert_eq!(a.rendered.links[0].line, 6);
    }
}
