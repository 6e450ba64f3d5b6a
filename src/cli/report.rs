//! `deflect report`: the support leads' report from the command line — the
//! events in the store at `config.store` (read on their own connection, so it
//! runs beside `deflect serve`), article titles and stale/unreviewed articles
//! from the help center and its index — written as HTML (one standalone file),
//! JSON or CSV to `--out` or stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use crate::analytics::report::{
    self, articles_needing_attention, default_review_interval, HtmlOptions, Period, ReportOptions,
    DEFAULT_ROWS,
};
use crate::config::Config;
use crate::store::Store;
use crate::web::Templates;

/// What the report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One standalone HTML file (inline CSS and SVG charts, no external assets).
    Html,
    /// The report's JSON (snake_case keys).
    Json,
    /// One CSV file, one section per table (`# table` line, header, rows).
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start of the period: an interval back from --until (30d, 12w, 6m, 1y)
    /// or a date (2026-01-01, UTC).
    #[arg(long, default_value = "30d", value_name = "INTERVAL|DATE")]
    pub since: String,
    /// End of the period, exclusive: a date (its midnight, UTC) or an RFC 3339
    /// time [default: the end of today].
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Output format [default: from --out's extension, else html].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Most rows in each table.
    #[arg(long, default_value_t = DEFAULT_ROWS as u64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub rows: u64,
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let now = chrono::Utc::now();
    let period = Period::parse(&args.since, args.until.as_deref(), now)?;
    let format = args.format.unwrap_or_else(|| {
        match args
            .out
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
        {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            _ => Format::Html,
        }
    });
    let conn = report::open_events(&config.store).with_context(|| {
        format!(
            "no analytics store at {} — point `store` in deflect.toml (or DEFLECT_STORE) at the database `deflect serve` writes",
            config.store.display()
        )
    })?;
    // Without the help center the numbers still stand; only titles and the
    // review data are missing.
    let library = match super::open_library(&config) {
        Ok(library) => Some(library),
        Err(e) => {
            tracing::warn!(
                "{e:#}; the report shows slugs and leaves out stale and unreviewed articles"
            );
            None
        }
    };
    let attention = match &library {
        Some(library) => {
            let store = Store::open(&config.store)
                .with_context(|| format!("cannot open the store {}", config.store.display()))?;
            Some(articles_needing_attention(
                library.index(),
                &store,
                default_review_interval(&config),
                now,
            )?)
        }
        None => None,
    };
    let report = report::build(
        &conn,
        ReportOptions {
            period,
            default_locale: &config.default_locale,
            rows: usize::try_from(args.rows).unwrap_or(DEFAULT_ROWS),
            index: library.as_ref().map(|l| l.index()),
            attention,
        },
    )?;
    let text = match format {
        Format::Json => report::render_json(&report)?,
        Format::Csv => report::render_csv(&report)?,
        Format::Html => {
            let templates = Templates::load(Some(&config.templates))
                .map_err(|e| anyhow!("cannot load the templates: {e}"))?;
            report::render_html(
                &report,
                &templates,
                &HtmlOptions {
                    locale: &config.default_locale,
                    site_name: &config.site_name,
                    // A file opened from disk needs the help center's address.
                    link_base: &config.site_url(),
                },
            )?
        }
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
            eprintln!(
                "report for {} – {} ({} events) written to {}",
                report.period.first_day,
                report.period.last_day,
                report.totals.current.events,
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .context("cannot write the report to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
