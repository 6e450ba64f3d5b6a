//! `deflect mine TICKETS...`: FAQ mining from the command line. Reads the
//! ticket exports, finds the topics, checks them against the help center's
//! index (unless `--no-coverage`), and writes `report.html`, `report.json`,
//! `suggestions.csv` and `assignments.csv` into `--out`. Bad rows are listed
//! with their lines on stderr, never fatal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::mining::{self, ColumnOverrides, Format, MineOptions, Verdict};

/// Bad rows printed on stderr (all are in report.json, up to its limit).
const BAD_ROWS_PRINTED: usize = 10;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ticket exports: CSV or JSON Lines (Zendesk and Freshdesk columns are
    /// recognised).
    #[arg(required = true, value_name = "TICKETS")]
    pub files: Vec<PathBuf>,
    /// Folder for report.html, report.json, suggestions.csv and assignments.csv.
    #[arg(long, value_name = "DIR", default_value = "mining")]
    pub out: PathBuf,
    /// Format of the files [default: from each file's extension].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Column holding the ticket id [default: detected].
    #[arg(long, value_name = "NAME")]
    pub id_col: Option<String>,
    /// Column holding ticket text; repeat for several, joined in order
    /// [default: detected subject and description].
    #[arg(long, value_name = "NAME")]
    pub text_col: Vec<String>,
    /// Column holding the creation date [default: detected].
    #[arg(long, value_name = "NAME")]
    pub date_col: Option<String>,
    /// Exactly this many topics [default: found automatically].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub clusters: Option<u32>,
    /// Fewer tickets than this is no topic: they go to "unclustered".
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_cluster_size: u32,
    /// Seed of every random choice: the same seed gives the same topics.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Locale of the tickets (stemming, stop words, articles searched)
    /// [default: the configured default locale].
    #[arg(long)]
    pub locale: Option<String>,
    /// Do not check coverage against the help center (no index needed).
    #[arg(long)]
    pub no_coverage: bool,
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let locale = super::locale_arg(&config, args.locale.as_deref())?;
    let library = if args.no_coverage {
        None
    } else {
        Some(super::open_library(&config).context(
            "coverage needs the help center — pass --articles DIR, or --no-coverage to mine without it",
        )?)
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;
    let opts = MineOptions {
        format: args.format,
        columns: ColumnOverrides {
            id: args.id_col,
            text: args.text_col,
            date: args.date_col,
        },
        locale,
        clusters: args.clusters.map(|k| k as usize),
        min_cluster_size: args.min_cluster_size.max(1),
        seed: args.seed,
    };
    let bar = super::progress_bar("reading");
    let progress = |stage: &str, done: u64, total: u64| {
        bar.set_message(stage.to_string());
        bar.set_length(total);
        bar.set_position(done);
    };
    let mined = mining::mine(
        &args.files,
        &opts,
        library.as_ref().map(|l| l.index()),
        &progress,
    )
    .context("mining failed")?;
    bar.finish_and_clear();

    let report = &mined.report;
    let out = &args.out;
    mining::output::write_json(out, report)?;
    mining::output::write_suggestions(out, report)?;
    mining::output::write_assignments(out, &mined.assignments)?;
    mining::html::write(out, report, &config.site_name)?;

    let s = &report.summary;
    for b in s.bad_rows.iter().take(BAD_ROWS_PRINTED) {
        eprintln!("skipped {b}");
    }
    if s.skipped as usize > BAD_ROWS_PRINTED {
        eprintln!(
            "… and {} more skipped rows (listed in report.json)",
            s.skipped as usize - BAD_ROWS_PRINTED
        );
    }
    let count = |v: Verdict| {
        report
            .topics
            .iter()
            .filter(|t| t.coverage.verdict == v)
            .count()
    };
    println!(
        "read {} rows: used {} tickets, skipped {} bad rows; {} distinct questions",
        s.rows, s.tickets, s.skipped, s.distinct
    );
    let coverage = if s.coverage_checked {
        format!(
            " ({} not covered, {} partly covered, {} covered)",
            count(Verdict::NotCovered),
            count(Verdict::PartlyCovered),
            count(Verdict::Covered)
        )
    } else {
        " (coverage not checked)".to_string()
    };
    println!(
        "found {} topics{coverage}; {} tickets unclustered ({:.1}%)",
        s.topics,
        s.unclustered,
        report.unclustered.share * 100.0
    );
    for t in report.suggestions().take(5) {
        println!(
            "{:>3}. {}  [{}, {} tickets]",
            t.rank,
            t.title,
            t.coverage.verdict.as_str(),
            t.tickets
        );
    }
    println!(
        "wrote report.html, report.json, suggestions.csv and assignments.csv to {} in {:.1}s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
