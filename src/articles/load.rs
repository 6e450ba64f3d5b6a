//! Loading a whole `articles/` folder: walks it, parses every Markdown file in
//! parallel, and reports what cannot be served (parse errors, duplicate slugs)
//! and what is merely wrong (links to articles that do not exist). Also holds
//! the [`Catalog`], the path → slug map that turns links between article files
//! into URLs.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use super::{
    derive_slug, front_matter, locale_from_path, Article, LinkResolver, ParseError, ParseErrorKind,
    ParseOptions,
};

/// Everything found in an articles folder.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Valid articles, sorted by path; one per (locale, slug).
    pub articles: Vec<Article>,
    /// Files that cannot be served, with the reason.
    pub errors: Vec<ParseError>,
    /// Problems in served articles (broken links between articles).
    pub warnings: Vec<ParseError>,
}

/// Maps article files to their slug and locale, to build URLs.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    default_locale: String,
    by_path: HashMap<String, (String, String)>,
}

impl Catalog {
    pub fn new(default_locale: &str) -> Catalog {
        Catalog {
            default_locale: default_locale.to_string(),
            by_path: HashMap::new(),
        }
    }

    /// Records that the file at `path` is served as `slug` in `locale`.
    pub fn insert(&mut self, path: &str, slug: &str, locale: &str) {
        self.by_path
            .insert(path.to_string(), (slug.to_string(), locale.to_string()));
    }

    pub fn remove(&mut self, path: &str) -> Option<(String, String)> {
        self.by_path.remove(path)
    }

    /// The (slug, locale) of the file at `path`, if it is served.
    pub fn get(&self, path: &str) -> Option<&(String, String)> {
        self.by_path.get(path)
    }

    /// The file that serves `slug` in `locale`, if any.
    pub fn path_of(&self, slug: &str, locale: &str) -> Option<&str> {
        self.by_path
            .iter()
            .find(|(_, (s, l))| s == slug && l == locale)
            .map(|(p, _)| p.as_str())
    }

    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

impl LinkResolver for Catalog {
    fn url_for(&self, path: &str) -> Option<String> {
        // Unknown targets still get the URL their path implies, so a link to
        // an article that is added later starts working without a re-render.
        let (slug, locale) = match self.by_path.get(path) {
            Some((s, l)) => (s.clone(), l.clone()),
            None => (
                derive_slug(path),
                locale_from_path(path).unwrap_or_else(|| self.default_locale.clone()),
            ),
        };
        Some(article_url(&self.default_locale, &locale, &slug))
    }
}

/// The help-center URL of an article.
pub fn article_url(default_locale: &str, locale: &str, slug: &str) -> String {
    if locale == default_locale {
        format!("/articles/{slug}")
    } else {
        format!("/{locale}/articles/{slug}")
    }
}

/// Whether `path` names an article file.
pub fn is_article_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.')
        && !name.starts_with('#')
        && (lower.ends_with(".md") || lower.ends_with(".markdown"))
}

/// Article files under `root`, relative, `/`-separated, sorted. Hidden files
/// and folders are skipped and links are not followed, so nothing outside
/// `root` is ever read.
pub fn list_files(root: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(root).ok()?;
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            Some(rel.join("/"))
        })
        .filter(|p| is_article_file(p))
        .collect();
    files.sort();
    files
}

/// Loads every article under `root`.
pub fn load_dir(root: &Path, default_locale: &str) -> Loaded {
    let mut articles = Vec::new();
    let Ok(mut loaded) = load_dir_chunked(root, default_locale, &|_, _| {}, &mut |chunk| {
        articles.extend(chunk);
        Ok::<_, std::convert::Infallible>(())
    });
    loaded.articles = articles;
    loaded
}

/// Files parsed at a time by [`load_dir_chunked`]: enough to keep every core
/// busy, few enough that a large folder never sits in memory whole.
const CHUNK: usize = 128;

/// [`load_dir`] in chunks: each chunk's valid articles go to `sink` (in path
/// order) and are dropped after, so the returned [`Loaded`] has no articles,
/// only the errors and warnings. `progress(done, total)` is called as files
/// are parsed. Stops at the first error of `sink`.
pub fn load_dir_chunked<E>(
    root: &Path,
    default_locale: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
    sink: &mut dyn FnMut(Vec<Article>) -> Result<(), E>,
) -> Result<Loaded, E> {
    let files = list_files(root);
    let done = std::sync::atomic::AtomicUsize::new(0);
    // First pass: who claims which slug, so links can point at the right URL
    // even when a target sets its own `slug`.
    let claims: Vec<Option<(String, String)>> = files
        .par_iter()
        .map(|path| {
            let text = std::fs::read_to_string(root.join(path)).ok()?;
            let text = text
                .strip_prefix('\u{feff}')
                .unwrap_or(&text)
                .replace("\r\n", "\n");
            let meta = front_matter::split(&text).ok()?.meta;
            let slug = meta
                .get("slug")
                .and_then(|v| v.as_str())
                .map(|s| s.trim().trim_matches('/').to_string());
            let locale = meta
                .get("locale")
                .and_then(|v| v.as_str())
                .and_then(super::normalize_locale);
            Some((
                slug.unwrap_or_else(|| derive_slug(path)),
                locale
                    .or_else(|| locale_from_path(path))
                    .unwrap_or_else(|| default_locale.to_string()),
            ))
        })
        .collect();
    let mut catalog = Catalog::new(default_locale);
    for (path, claim) in files.iter().zip(&claims) {
        if let Some((slug, locale)) = claim {
            catalog.insert(path, slug, locale);
        }
    }
    drop(claims);
    let opts = ParseOptions {
        default_locale,
        resolver: &catalog,
    };
    let existing: HashSet<&str> = files.iter().map(String::as_str).collect();
    let mut loaded = Loaded::default();
    let mut owners: HashMap<(String, String), String> = HashMap::new();
    for chunk in files.chunks(CHUNK) {
        let results: Vec<Result<Article, ParseError>> = chunk
            .par_iter()
            .map(|path| {
                let result = Article::from_file(root, path, &opts);
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    files.len(),
                );
                result
            })
            .collect();
        let mut articles = Vec::with_capacity(results.len());
        for result in results {
            let article = match result {
                Ok(article) => article,
                Err(e) => {
                    loaded.errors.push(e);
                    continue;
                }
            };
            let key = (article.locale.clone(), article.slug.clone());
            if let Some(first) = owners.get(&key) {
                loaded.errors.push(ParseError {
                    path: root.join(&article.path).display().to_string(),
                    line: 1,
                    kind: ParseErrorKind::DuplicateSlug {
                        slug: article.slug.clone(),
                        first: root.join(first).display().to_string(),
                    },
                });
                continue;
            }
            owners.insert(key, article.path.clone());
            for link in &article.rendered.links {
                if !link.target.as_deref().is_some_and(|t| existing.contains(t)) {
                    loaded.warnings.push(ParseError {
                        path: root.join(&article.path).display().to_string(),
                        line: link.line,
                        kind: ParseErrorKind::BrokenLink {
                            dest: link.dest.clone(),
                        },
                    });
                }
            }
            articles.push(article);
        }
        sink(articles)?;
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    #[test]
    fn loads_reports_duplicates_and_broken_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "billing/refunds.md",
            "---\ntitle: Refunds\n---\nSee [fees](fees.md) and [gone](gone.md).\n",
        );
        write(
            root,
            "billing/fees.md",
            "---\ntitle: Fees\nslug: pricing/fees\n---\nBack to [refunds](refunds.md).\n",
        );
        write(
            root,
            "billing/zcopy.md",
            "---\ntitle: Copy\nslug: billing/refunds\n---\n",
        );
        write(root, "billing/bad.md", "---\ntitle: [unclosed\n---\n");
        write(root, ".hidden/secret.md", "---\ntitle: Hidden\n---\n");
        write(root, "notes.txt", "not an article");

        let loaded = load_dir(root, "en");
        let slugs: Vec<_> = loaded.articles.iter().map(|a| a.slug.as_str()).collect();
        assert_eq!(slugs, ["pricing/fees", "billing/refunds"]);
        let refunds = &loaded.articles[1];
        assert!(
            refunds
                .rendered
                .html
                .contains("href=\"/articles/pricing/fees\""),
            "{}",
            refunds.rendered.html
        );

        let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("bad.md:3: invalid YAML")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("zcopy.md:1: slug `billing/refunds` is already used by")),
            "{errors:?}"
        );
        assert_eq!(loaded.warnings.len(), 1);
        assert!(
            loaded.warnings[0]
                .to_string()
                .contains("refunds.md:4: link to `gone.md`"),
            "{}",
            loaded.warnings[0]
        );
    }
}
