//! Configuration: one [`Config`] resolved once at start-up from defaults, then
//! `deflect.toml`, then `DEFLECT_*` environment variables, then command-line flags
//! (each layer overrides the one before). Every key is optional.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer, Serialize};

/// Name of the config file looked up in the working directory.
pub const CONFIG_FILE: &str = "deflect.toml";
/// Prefix of environment variables that override config keys (`DEFLECT_ADDR`, ...).
pub const ENV_PREFIX: &str = "DEFLECT_";

/// Every setting deflect reads. Keys in `deflect.toml` are the field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder of Markdown articles: the help center's source of truth.
    pub articles: PathBuf,
    /// Folder of the derived search index (rebuilt when missing or stale).
    pub index: PathBuf,
    /// Folder of tera templates, static assets and UI strings; the built-in
    /// copies are used for anything missing there.
    pub templates: PathBuf,
    /// Synonyms file (see the README for its format); none when missing.
    pub synonyms: PathBuf,
    /// Address `deflect serve` listens on.
    pub addr: SocketAddr,
    /// Locale of articles that name none, and of visitors that ask for none.
    pub default_locale: String,
    /// The help center's name, shown in the header and page titles.
    pub site_name: String,
    /// The help center's public address (e.g. `https://help.example.com`),
    /// for absolute links such as the sitemap's; the request's host when empty.
    pub public_url: String,
    /// Where "Contact support" links point.
    pub contact_url: String,
    /// Origins allowed to call the JSON API from a browser (`*` for any).
    #[serde(deserialize_with = "string_or_list")]
    pub cors_origins: Vec<String>,
    /// Search results per page in the help center.
    pub page_size: usize,
    /// Milliseconds the watcher waits for a burst of file events to settle.
    pub debounce_ms: u64,
    /// Memory for recent search results, in MiB (0 turns the cache off).
    pub search_cache_mb: usize,
    /// Watch `articles/`, `templates/` and the synonyms file while serving.
    pub watch: bool,
    /// The SQLite store: accounts, revisions, reviews, audit log, outbox.
    pub store: PathBuf,
    /// Send the session cookie only over HTTPS (set when behind TLS).
    pub secure_cookies: bool,
    /// The review workflow (`[review]`).
    pub review: ReviewConfig,
    /// Publishing (`[publish]`).
    pub publish: PublishConfig,
    /// Notifications (`[notify]`).
    pub notify: NotifyConfig,
    /// Where contact-form tickets go (`[tickets]`).
    pub tickets: TicketsConfig,
    /// Deflection analytics (`[analytics]`).
    pub analytics: AnalyticsConfig,
}

/// `[tickets]`: delivery of contact-form tickets (stored first, then sent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketsConfig {
    /// A URL that receives each ticket as a JSON POST.
    pub webhook: String,
    /// When set, webhook requests carry `X-Deflect-Signature: sha256=<HMAC>`.
    pub secret: String,
    /// An address that receives each ticket by email (needs `smtp_host`).
    pub email_to: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: String,
    pub smtp_password: String,
    /// Sender address of ticket emails.
    pub smtp_from: String,
    /// `starttls` (default), `tls` (implicit, port 465) or `none` (local relays).
    pub smtp_security: String,
    /// Tickets one client address may submit per hour.
    pub per_ip_per_hour: usize,
}

impl Default for TicketsConfig {
    fn default() -> Self {
        TicketsConfig {
            webhook: String::new(),
            secret: String::new(),
            email_to: String::new(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_from: "deflect@localhost".into(),
            smtp_security: "starttls".into(),
            per_ip_per_hour: 10,
        }
    }
}

impl TicketsConfig {
    /// Where each new ticket is delivered: the webhook and `mailto:` the
    /// email address, whichever are set. Empty: tickets stay in the inbox.
    pub fn destinations(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.webhook.is_empty() {
            out.push(self.webhook.clone());
        }
        if !self.email_to.is_empty() {
            out.push(format!("mailto:{}", self.email_to));
        }
        out
    }

    /// Whether email can be sent at all (ticket copies, inbox replies).
    pub fn smtp_configured(&self) -> bool {
        !self.smtp_host.is_empty()
    }
}

/// `[analytics]`: anonymous deflection events.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyticsConfig {
    /// Record events at all.
    pub enabled: bool,
    /// Record nothing (and set no cookie) for browsers that send `DNT: 1` or `Sec-GPC: 1`.
    pub honor_dnt: bool,
    /// Days events are kept.
    pub retention_days: u64,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            enabled: true,
            honor_dnt: true,
            retention_days: 180,
        }
    }
}

/// `[review]`: the peer-review rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewConfig {
    /// Approvals from agents other than the author needed to publish.
    pub min_approvals: usize,
    /// How often an article must be re-checked when it sets no
    /// `review_every` (e.g. `180d`, `12w`, `6m`).
    pub review_every: String,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            min_approvals: 1,
            review_every: "180d".into(),
        }
    }
}

/// `[publish]`: what publishing does besides writing the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublishConfig {
    /// When `articles/` is in a git repository, commit each publication.
    pub git_commit: bool,
}

/// `[notify]`: where workflow events are sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// URLs that receive a JSON POST on review requested, changes requested,
    /// approved and published.
    #[serde(deserialize_with = "string_or_list")]
    pub webhooks: Vec<String>,
    /// When set, each request is signed: `X-Deflect-Signature: sha256=<HMAC>`.
    pub secret: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            articles: PathBuf::from("articles"),
            index: PathBuf::from("index"),
            templates: PathBuf::from("templates"),
            synonyms: PathBuf::from("synonyms.txt"),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            default_locale: "en".into(),
            site_name: "Help Center".into(),
            contact_url: "/contact".into(),
            public_url: String::new(),
            cors_origins: Vec::new(),
            page_size: 10,
            debounce_ms: 100,
            search_cache_mb: 64,
            watch: true,
            store: PathBuf::from("deflect.db"),
            secure_cookies: false,
            review: ReviewConfig::default(),
            publish: PublishConfig::default(),
            notify: NotifyConfig::default(),
            tickets: TicketsConfig::default(),
            analytics: AnalyticsConfig::default(),
        }
    }
}

impl Config {
    /// Loads `path` (or `deflect.toml` when it exists) and applies `DEFLECT_*`
    /// variables from `env` on top. Flags are applied by the caller.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut table = match path {
            Some(p) => read_table(p)?,
            None if Path::new(CONFIG_FILE).exists() => read_table(Path::new(CONFIG_FILE))?,
            None => toml::Table::new(),
        };
        // Only variables naming a real key apply: DEFLECT_LOG and the like are
        // read elsewhere and must not trip `deny_unknown_fields`.
        let known = toml::Table::try_from(Config::default()).context("config keys")?;
        for (name, value) in env {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            // `DEFLECT_REVIEW__MIN_APPROVALS` is `min_approvals` in `[review]`.
            let key = key.to_ascii_lowercase();
            let (section, key) = match key.split_once("__") {
                Some((s, k)) => (Some(s.to_string()), k.to_string()),
                None => (None, key),
            };
            let known_here = match &section {
                Some(s) => known
                    .get(s)
                    .and_then(|t| t.as_table())
                    .is_some_and(|t| t.contains_key(&key)),
                None => known.get(&key).is_some_and(|v| !v.is_table()),
            };
            if !known_here {
                continue;
            }
            // Environment values are TOML when they parse as such (`8080`,
            // `true`, `["a", "b"]`), plain strings otherwise.
            let value = format!("v = {value}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or(toml::Value::String(value));
            let target = match section {
                Some(s) => match table
                    .entry(s)
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                {
                    toml::Value::Table(t) => t,
                    _ => continue,
                },
                None => &mut table,
            };
            target.insert(key, value);
        }
        let mut config = Config::deserialize(toml::Value::Table(table)).with_context(|| {
            format!("invalid configuration (from {CONFIG_FILE} or {ENV_PREFIX}* variables)")
        })?;
        config.default_locale = crate::articles::normalize_locale(&config.default_locale)
            .with_context(|| {
                format!(
                    "default_locale `{}` is not a language tag such as `en` or `pt-br`",
                    config.default_locale
                )
            })?;
        Ok(config)
    }

    /// A configuration rooted at `root` (articles, index and templates below
    /// it), for tests and benches.
    pub fn for_test(root: &Path) -> Config {
        Config {
            store: root.join("deflect.db"),
            articles: root.join("articles"),
            index: root.join("index"),
            templates: root.join("templates"),
            synonyms: root.join("synonyms.txt"),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            debounce_ms: 50,
            ..Config::default()
        }
    }
}

fn read_table(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

/// Accepts `"a, b"` as well as `["a", "b"]`, so a list fits in one env variable.
fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_overrides_file_and_parses_types() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("deflect.toml");
        std::fs::write(&file, "site_name = \"Acme\"\npage_size = 5\n").unwrap();
        let cfg = Config::load(
            Some(&file),
            env(&[
                ("DEFLECT_PAGE_SIZE", "20"),
                (
                    "DEFLECT_CORS_ORIGINS",
                    "https://a.example, https://b.example",
                ),
                ("DEFLECT_ADDR", "0.0.0.0:9000"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.site_name, "Acme");
        assert_eq!(cfg.page_size, 20);
        assert_eq!(
            cfg.cors_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(cfg.addr.port(), 9000);
    }

    #[test]
    fn sections_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("deflect.toml");
        std::fs::write(
            &file,
            "[review]\nmin_approvals = 2\n[publish]\ngit_commit = true\n",
        )
        .unwrap();
        let cfg = Config::load(
            Some(&file),
            env(&[
                ("DEFLECT_REVIEW__REVIEW_EVERY", "90d"),
                ("DEFLECT_NOTIFY__WEBHOOKS", "https://hooks.example/a"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.review.min_approvals, 2);
        assert_eq!(cfg.review.review_every, "90d");
        assert!(cfg.publish.git_commit);
        assert_eq!(cfg.notify.webhooks, ["https://hooks.example/a"]);
        let cfg =
            Config::load(Some(&file), env(&[("DEFLECT_REVIEW__MIN_APPROVALS", "3")])).unwrap();
        assert_eq!(cfg.review.min_approvals, 3);
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("deflect.toml");
        std::fs::write(&file, "page_sise = 5\n").unwrap();
        let err = format!("{:#}", Config::load(Some(&file), Vec::new()).unwrap_err());
        assert!(err.contains("page_sise"), "{err}");
    }
}
