//! Templates, UI strings and static assets. Built-in copies are compiled into
//! the binary so deflect runs from anywhere; files in the configured
//! templates folder override them one by one, and [`Templates::reload`] picks
//! up edits (a broken edit is logged and the last good set stays in use).
//! HTML escaping lives here too: the web pages, the leads' report and the
//! search snippets all escape with [`escape_html`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tera::{Context, Tera};

/// Built-in templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("category.html", include_str!("../templates/category.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("404.html", include_str!("../templates/404.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "agent/macros.html",
        include_str!("../templates/agent/macros.html"),
    ),
    (
        "agent/base.html",
        include_str!("../templates/agent/base.html"),
    ),
    (
        "agent/login.html",
        include_str!("../templates/agent/login.html"),
    ),
    (
        "agent/dashboard.html",
        include_str!("../templates/agent/dashboard.html"),
    ),
    (
        "agent/editor.html",
        include_str!("../templates/agent/editor.html"),
    ),
    (
        "agent/revision.html",
        include_str!("../templates/agent/revision.html"),
    ),
    (
        "agent/history.html",
        include_str!("../templates/agent/history.html"),
    ),
    (
        "agent/diff.html",
        include_str!("../templates/agent/diff.html"),
    ),
    (
        "agent/accounts.html",
        include_str!("../templates/agent/accounts.html"),
    ),
    (
        "agent/error.html",
        include_str!("../templates/agent/error.html"),
    ),
    (
        "agent/reports.html",
        include_str!("../templates/agent/reports.html"),
    ),
    (
        "agent/synonyms.html",
        include_str!("../templates/agent/synonyms.html"),
    ),
    (
        "reports/report.html",
        include_str!("../templates/reports/report.html"),
    ),
    (
        "reports/body.html",
        include_str!("../templates/reports/body.html"),
    ),
    (
        "reports/mining.html",
        include_str!("../templates/reports/mining.html"),
    ),
    (
        "reports/style.css",
        include_str!("../templates/reports/style.css"),
    ),
    (
        "agent/mining.html",
        include_str!("../templates/agent/mining.html"),
    ),
    (
        "agent/outbox.html",
        include_str!("../templates/agent/outbox.html"),
    ),
    (
        "agent/tickets.html",
        include_str!("../templates/agent/tickets.html"),
    ),
    (
        "agent/queue.html",
        include_str!("../templates/agent/queue.html"),
    ),
    (
        "agent/ticket.html",
        include_str!("../templates/agent/ticket.html"),
    ),
    ("contact.html", include_str!("../templates/contact.html")),
    (
        "contact_done.html",
        include_str!("../templates/contact_done.html"),
    ),
    (
        "deflected.html",
        include_str!("../templates/deflected.html"),
    ),
];

/// Built-in UI strings, by locale.
const STRINGS: &[(&str, &str)] = &[
    ("en", include_str!("../templates/i18n/en.toml")),
    ("fr", include_str!("../templates/i18n/fr.toml")),
];

/// Built-in static assets: name, content type, bytes.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../templates/static/app.css"),
    ),
    (
        "suggest.js",
        "text/javascript; charset=utf-8",
        include_str!("../templates/static/suggest.js"),
    ),
    (
        "agent.css",
        "text/css; charset=utf-8",
        include_str!("../templates/static/agent.css"),
    ),
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_str!("../templates/static/editor.js"),
    ),
    (
        "article.js",
        "text/javascript; charset=utf-8",
        include_str!("../templates/static/article.js"),
    ),
    (
        "contact.js",
        "text/javascript; charset=utf-8",
        include_str!("../templates/static/contact.js"),
    ),
    (
        "widget.js",
        "text/javascript; charset=utf-8",
        include_str!("../templates/static/widget.js"),
    ),
];

/// UI strings of one locale.
pub type Strings = HashMap<String, String>;

/// The loaded templates and strings.
pub struct Templates {
    dir: Option<PathBuf>,
    loaded: RwLock<(Tera, HashMap<String, Strings>)>,
    /// [`Templates::strings`] per locale asked, merged once: every page and
    /// suggestion needs them, and merging copies hundreds of strings.
    merged: RwLock<HashMap<String, Arc<Strings>>>,
}

impl Templates {
    /// Loads the built-in set, overridden by files in `dir` when it exists.
    pub fn load(dir: Option<&Path>) -> Result<Templates, String> {
        let dir = dir.filter(|d| d.is_dir()).map(Path::to_path_buf);
        let loaded = load_all(dir.as_deref())?;
        Ok(Templates {
            dir,
            loaded: RwLock::new(loaded),
            merged: RwLock::new(HashMap::new()),
        })
    }

    /// The folder that overrides built-ins, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Re-reads the templates folder; keeps the current set on error.
    pub fn reload(&self) -> Result<(), String> {
        let fresh = load_all(self.dir.as_deref())?;
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = fresh;
            // Cleared while `loaded` is locked: no merge of the old set can
            // be stored after this.
            if let Ok(mut merged) = self.merged.write() {
                merged.clear();
            }
        }
        Ok(())
    }

    /// Renders template `name`.
    pub fn render(&self, name: &str, ctx: &Context) -> Result<String, String> {
        let loaded = self
            .loaded
            .read()
            .map_err(|_| "template lock poisoned".to_string())?;
        loaded.0.render(name, ctx).map_err(|e| error_chain(&e))
    }

    /// UI strings for `locale`: its own file over its language's over English.
    pub fn strings(&self, locale: &str) -> Arc<Strings> {
        if let Some(s) = self.merged.read().ok().and_then(|m| m.get(locale).cloned()) {
            return s;
        }
        let Ok(loaded) = self.loaded.read() else {
            return Arc::new(Strings::new());
        };
        let mut out = loaded.1.get("en").cloned().unwrap_or_default();
        let primary = locale.split('-').next().unwrap_or(locale);
        let mut known = false;
        for key in [primary, locale] {
            if let Some(s) = loaded.1.get(key) {
                known = true;
                out.extend(s.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let out = Arc::new(out);
        // Only locales with strings of their own are kept, so odd
        // `Accept-Language` values cannot grow the map.
        if known {
            if let Ok(mut merged) = self.merged.write() {
                merged.insert(locale.to_string(), Arc::clone(&out));
            }
        }
        out
    }

    /// Locales that have UI strings.
    pub fn locales(&self) -> Vec<String> {
        self.loaded
            .read()
            .map(|l| l.1.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A static asset by file name: (content type, bytes).
    pub fn asset(&self, name: &str) -> Option<(&'static str, Vec<u8>)> {
        let (_, content_type, builtin) = ASSETS.iter().find(|(n, _, _)| *n == name)?;
        if let Some(dir) = &self.dir {
            if let Ok(bytes) = std::fs::read(dir.join("static").join(name)) {
                return Some((content_type, bytes));
            }
        }
        Some((content_type, builtin.as_bytes().to_vec()))
    }
}

fn load_all(dir: Option<&Path>) -> Result<(Tera, HashMap<String, Strings>), String> {
    let mut sources: Vec<(String, String)> = TEMPLATES
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    let mut strings: HashMap<String, Strings> = HashMap::new();
    for (locale, text) in STRINGS {
        strings.insert(
            locale.to_string(),
            parse_strings(text).map_err(|e| format!("built-in {locale}.toml: {e}"))?,
        );
    }
    if let Some(dir) = dir {
        for (name, source) in sources.iter_mut() {
            if let Ok(text) = std::fs::read_to_string(dir.join(&*name)) {
                *source = text;
            }
        }
        if let Ok(entries) = std::fs::read_dir(dir.join("i18n")) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let locale = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_lowercase())
                        .unwrap_or_default();
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let parsed =
                        parse_strings(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                    strings.entry(locale).or_default().extend(parsed);
                }
            }
        }
    }
    let mut tera = Tera::default();
    // Tera's own escaping also turns `/` into `&#x2F;`, which is valid but
    // makes every URL in the page unreadable; these five characters suffice.
    tera.set_escape_fn(escape_html);
    tera.add_raw_templates(sources)
        .map_err(|e| error_chain(&e))?;
    Ok((tera, strings))
}

fn parse_strings(text: &str) -> Result<Strings, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    Ok(table
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect())
}

/// Tera hides the useful part of an error in its source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// A rate as pages and reports show it: `0.4567` → `45.7%`; a rate above
/// zero that would round to nothing shows as `<0.1%`.
pub fn percent(x: f64) -> String {
    if x > 0.0 && x < 0.0005 {
        "<0.1%".to_string()
    } else {
        format!("{:.1}%", x * 100.0)
    }
}

/// Minimal HTML escaping for text nodes and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load_and_folder_overrides() {
        let t = Templates::load(None).unwrap();
        assert!(t.strings("fr-ca").contains_key("search_label"));
        assert_ne!(
            t.strings("fr")["search_label"],
            t.strings("en")["search_label"]
        );
        assert!(t.asset("app.css").is_some());
        assert!(t.asset("../Cargo.toml").is_none());

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("error.html"), "custom {{ message }}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let mut ctx = Context::new();
        ctx.insert("message", "oops");
        assert_eq!(t.render("error.html", &ctx).unwrap(), "custom oops");

        std::fs::write(dir.path().join("error.html"), "{% if %}").unwrap();
        assert!(t.reload().is_err());
        assert_eq!(
            t.render("error.html", &ctx).unwrap(),
            "custom oops",
            "last good set stays"
        );
    }
}
