//! Configuration: one [`Config`] resolved once at start-up from defaults, then
//! `deflect.toml`, then `DEFLECT_*` environment variables, then command-line flags
//! (each layer overrides the one before). Every key is optional.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer, Serialize};

/// Name of the config file looked up in the working directory.
pub const CONFIG_FILE: &str = "deflect.toml";
/// Prefix of environment variables that override config keys (`DEFLECT_ADDR`, ...).
pub const ENV_PREFIX: &str = "DEFLECT_";
/// Connections per replica to a PostgreSQL store unless configured
/// (`store_connections`). A replica's store work is short (a session
/// lookup, a ticket insert); more connections than cores buy little, and a
/// PostgreSQL server allows 100 in all by default.
pub const STORE_CONNECTIONS: usize = 8;

/// Where the store lives. A value starting `postgres://` or
/// `postgresql://` is a PostgreSQL connection URL; anything else is the
/// path of a SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    File(PathBuf),
    Postgres(String),
}

impl StoreLocation {
    pub fn parse(text: &str) -> StoreLocation {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            StoreLocation::Postgres(text.to_string())
        } else {
            StoreLocation::File(PathBuf::from(text))
        }
    }

    /// The SQLite file, if the store is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            StoreLocation::File(p) => Some(p),
            StoreLocation::Postgres(_) => None,
        }
    }

    /// How messages name it: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            StoreLocation::File(p) => p.display().to_string(),
            StoreLocation::Postgres(url) => redact_password(url),
        }
    }
}

/// `postgres://user:secret@host/db?password=secret` as
/// `postgres://user:***@host/db?password=***`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let mut out = match rest
        .rsplit_once('@')
        .map(|(auth, host)| (auth.split_once(':'), host))
    {
        Some((Some((user, _)), host)) => format!("{scheme}://{user}:***@{host}"),
        _ => format!("{scheme}://{rest}"),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// The proxies (addresses, or networks as `10.0.0.0/8`) whose
/// `X-Forwarded-For` names the client: behind a load balancer every
/// request comes from the balancer, and per-client limits would otherwise
/// count every client as one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(std::net::IpAddr, u8)>);

impl TrustedProxies {
    /// Parses addresses and networks; the error names the bad entry.
    pub fn parse(items: &[String]) -> std::result::Result<TrustedProxies, String> {
        let bad = |item: &str| {
            format!(
                "trusted_proxies: `{item}` is not an IP address or a network such as 10.0.0.0/8"
            )
        };
        let nets = items
            .iter()
            .map(|item| {
                let (addr, bits) = match item.split_once('/') {
                    Some((addr, bits)) => (addr, Some(bits)),
                    None => (item.as_str(), None),
                };
                let addr: std::net::IpAddr = addr.trim().parse().map_err(|_| bad(item))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(b) => b
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| bad(item))?,
                    None => max,
                };
                Ok((addr, bits))
            })
            .collect::<std::result::Result<_, String>>()?;
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|&(net, bits)| match (net, ip) {
            (std::net::IpAddr::V4(n), std::net::IpAddr::V4(a)) => prefix(
                u128::from(u32::from(n)) << 96,
                u128::from(u32::from(a)) << 96,
                bits,
            ),
            (std::net::IpAddr::V6(n), std::net::IpAddr::V6(a)) => prefix(n.into(), a.into(), bits),
            _ => false,
        })
    }
}

/// Whether `a` and `b` share their first `bits` bits.
fn prefix(a: u128, b: u128, bits: u8) -> bool {
    bits == 0 || (a ^ b) >> (128 - u32::from(bits)) == 0
}

impl Serialize for TrustedProxies {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let items: Vec<String> = self.0.iter().map(|(a, b)| format!("{a}/{b}")).collect();
        items.serialize(s)
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        TrustedProxies::parse(&string_or_list(d)?).map_err(serde::de::Error::custom)
    }
}

impl From<&Path> for StoreLocation {
    fn from(p: &Path) -> StoreLocation {
        StoreLocation::File(p.to_path_buf())
    }
}
impl From<&PathBuf> for StoreLocation {
    fn from(p: &PathBuf) -> StoreLocation {
        StoreLocation::File(p.clone())
    }
}
impl From<PathBuf> for StoreLocation {
    fn from(p: PathBuf) -> StoreLocation {
        StoreLocation::File(p)
    }
}
impl From<&StoreLocation> for StoreLocation {
    fn from(l: &StoreLocation) -> StoreLocation {
        l.clone()
    }
}

/// The text the user wrote, for passing on (`DEFLECT_STORE=…`).
impl AsRef<std::ffi::OsStr> for StoreLocation {
    fn as_ref(&self) -> &std::ffi::OsStr {
        match self {
            StoreLocation::File(p) => p.as_os_str(),
            StoreLocation::Postgres(url) => url.as_ref(),
        }
    }
}

impl Serialize for StoreLocation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StoreLocation::File(p) => p.serialize(s),
            StoreLocation::Postgres(url) => url.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for StoreLocation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(StoreLocation::parse(&String::deserialize(d)?))
    }
}

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
    /// How long the watcher waits for a burst of file events to settle
    /// (`debounce_ms`, milliseconds).
    #[serde(rename = "debounce_ms", with = "millis")]
    pub debounce: Duration,
    /// Memory for recent search results, in MiB (0 turns the cache off).
    pub search_cache_mb: usize,
    /// Watch `articles/`, `templates/` and the synonyms file while serving.
    pub watch: bool,
    /// The store (accounts, revisions, reviews, tickets, outbox, events):
    /// a SQLite file, or `postgres://…` for a PostgreSQL database that
    /// several replicas share.
    pub store: StoreLocation,
    /// Connections each replica keeps to a PostgreSQL store (at most).
    pub store_connections: usize,
    /// Send the session cookie only over HTTPS (set when behind TLS).
    pub secure_cookies: bool,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
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
    /// The optional sentence model (`[semantic]`).
    pub semantic: SemanticConfig,
}

/// `[semantic]`: search and mining by meaning with a local sentence model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SemanticConfig {
    /// A sentence-transformers model folder (`config.json`, `tokenizer.json`,
    /// `model.safetensors`); empty (the default) means search by words only.
    /// Also `DEFLECT_SEMANTIC_MODEL`.
    pub model: PathBuf,
}

impl SemanticConfig {
    /// The model folder, when one is configured.
    pub fn model_dir(&self) -> Option<&Path> {
        Some(self.model.as_path()).filter(|p| !p.as_os_str().is_empty())
    }
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
    pub smtp_security: SmtpSecurity,
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
            smtp_security: SmtpSecurity::Starttls,
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
    /// How long events are kept (`retention_days`, whole days).
    #[serde(rename = "retention_days", with = "whole_days")]
    pub retention: Duration,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            enabled: true,
            honor_dnt: true,
            retention: Duration::from_secs(180 * DAY_SECS),
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
    pub review_every: Interval,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            min_approvals: 1,
            review_every: Interval::days(180),
        }
    }
}

/// `[publish]`: what publishing does besides writing the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublishConfig {
    /// When `articles/` is in a git repository, commit each publication.
    pub git_commit: bool,
    /// Replicas sharing a git remote (`git_sync_ms`, milliseconds; 0 = off):
    /// every this often, push this replica's publications to the branch's
    /// upstream and take the others'. Implies `git_commit`.
    #[serde(rename = "git_sync_ms", with = "millis")]
    pub git_sync: Duration,
}

impl PublishConfig {
    /// Whether publications are committed (asked, or needed by sync).
    pub fn commits(&self) -> bool {
        self.git_commit || !self.git_sync.is_zero()
    }
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
            debounce: Duration::from_millis(100),
            search_cache_mb: 64,
            watch: true,
            store: StoreLocation::File(PathBuf::from("deflect.db")),
            store_connections: STORE_CONNECTIONS,
            secure_cookies: false,
            trusted_proxies: TrustedProxies::default(),
            review: ReviewConfig::default(),
            publish: PublishConfig::default(),
            notify: NotifyConfig::default(),
            tickets: TicketsConfig::default(),
            analytics: AnalyticsConfig::default(),
            semantic: SemanticConfig::default(),
        }
    }
}

impl Config {
    /// The help center's address for links that leave a page served by it
    /// (a report opened from disk): `public_url`, else where `serve`
    /// listens (an unspecified address as `localhost`).
    pub fn site_url(&self) -> String {
        if !self.public_url.is_empty() {
            return self.public_url.trim_end_matches('/').to_string();
        }
        let port = self.addr.port();
        match self.addr.ip() {
            ip if ip.is_unspecified() || ip.is_loopback() => format!("http://localhost:{port}"),
            std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
            ip => format!("http://{ip}:{port}"),
        }
    }

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
            // `DEFLECT_REVIEW__MIN_APPROVALS` is `min_approvals` in `[review]`;
            // `DEFLECT_SEMANTIC_MODEL` is the documented short form of
            // `DEFLECT_SEMANTIC__MODEL`.
            let key = key.to_ascii_lowercase();
            let key = if key == "semantic_model" {
                "semantic__model".to_string()
            } else {
                key
            };
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
            store: StoreLocation::File(root.join("deflect.db")),
            articles: root.join("articles"),
            index: root.join("index"),
            templates: root.join("templates"),
            synonyms: root.join("synonyms.txt"),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            debounce: Duration::from_millis(50),
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

const DAY_SECS: u64 = 86_400;

/// How ticket email reaches the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

/// A review interval such as `180d`, `12w`, `6m` or `1y` (a month is 30
/// days, a year 365), parsed once; written back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub chrono::Duration);

impl Interval {
    pub fn days(n: i64) -> Interval {
        Interval(chrono::Duration::days(n))
    }

    /// `180d`, `12w`, `6m`, `1y`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Interval> {
        let s = s.trim();
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = n.parse().ok().filter(|n| *n > 0 && *n <= 100_000)?;
        let days = match unit.trim() {
            "d" => n,
            "w" => n * 7,
            "m" => n * 30,
            "y" => n * 365,
            _ => return None,
        };
        Some(Interval::days(days))
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}d", self.0.num_days()))
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Interval, D::Error> {
        let text = String::deserialize(d)?;
        Interval::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not an interval such as `180d`, `12w`, `6m` or `1y`"
            ))
        })
    }
}

/// A `Duration` written as whole milliseconds.
mod millis {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        d: &Duration,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// A `Duration` written as whole days (at least one).
mod whole_days {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        d: &Duration,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs() / DAY_SECS)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
        let days = u64::deserialize(d)?;
        if days == 0 || days > 100_000 {
            return Err(serde::de::Error::custom(format!(
                "{days} is not a number of days from 1 to 100000"
            )));
        }
        Ok(Duration::from_secs(days * DAY_SECS))
    }
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
        assert_eq!(cfg.review.review_every, Interval::days(90));
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
    #[test]
    fn intervals() {
        assert_eq!(Interval::parse("180d"), Some(Interval::days(180)));
        assert_eq!(Interval::parse("2w"), Some(Interval::days(14)));
        assert_eq!(Interval::parse("6m"), Some(Interval::days(180)));
        assert_eq!(Interval::parse("1y"), Some(Interval::days(365)));
        for bad in ["", "d", "0d", "12", "3 days", "-5d"] {
            assert_eq!(Interval::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn unknown_values_are_errors_not_defaults() {
        for (toml, needle) in [
            ("[tickets]\nsmtp_security = \"starttsl\"\n", "starttsl"),
            ("[review]\nreview_every = \"six months\"\n", "six months"),
            ("[analytics]\nretention_days = 0\n", "0 is not"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("deflect.toml");
            std::fs::write(&path, toml).unwrap();
            let err = format!("{:#}", Config::load(Some(&path), []).unwrap_err());
            assert!(err.contains(needle), "{toml}: {err}");
        }
    }

    #[test]
    fn store_urls_are_shown_without_passwords() {
        let shown = |u: &str| StoreLocation::parse(u).display();
        assert_eq!(
            shown("postgres://ana:s3cret@db/deflect"),
            "postgres://ana:***@db/deflect"
        );
        assert_eq!(
            shown("postgresql://ana@db/deflect?host=/run/pg&password=s3cret&sslmode=disable"),
            "postgresql://ana@db/deflect?host=/run/pg&password=***&sslmode=disable"
        );
        assert_eq!(shown("postgres://db/deflect"), "postgres://db/deflect");
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks() {
        let p = |items: &[&str]| {
            TrustedProxies::parse(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        let proxies = p(&["127.0.0.1", "10.0.0.0/8", "fd00::/8"]).unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(proxies.contains(ip("::ffff:127.0.0.1")));
        assert!(proxies.contains(ip("10.20.30.40")));
        assert!(proxies.contains(ip("fd12::1")));
        assert!(!proxies.contains(ip("127.0.0.2")));
        assert!(!proxies.contains(ip("11.0.0.1")));
        assert!(!proxies.contains(ip("fe80::1")));
        assert!(p(&["0.0.0.0/0"]).unwrap().contains(ip("8.8.8.8")));
        let err = p(&["10.0.0.0/33"]).unwrap_err();
        assert!(err.contains("`10.0.0.0/33`"), "{err}");
        assert!(p(&["proxy.internal"]).is_err());
    }
}
