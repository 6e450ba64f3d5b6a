//! `deflect mine TICKETS...` (or `deflect mine --from-store --since 90d`):
//! FAQ mining from the command line. Reads the ticket exports (or the
//! store's solved tickets, written as one), finds the topics, checks them against the help center's
//! index (unless `--no-coverage`), and writes `report.html`, `report.json`,
//! `suggestions.csv` and `assignments.csv` into `--out`. Bad rows are listed
//! with their lines on stderr, never fatal. The run is also kept in the
//! store for `/agent/mining`; `--drafts` makes a review draft of every topic
//! no article covers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::analytics::report::Period;
use crate::config::Config;
use crate::mining::{self, ColumnOverrides, Format, MineOptions, Verdict};
use crate::review::Workflow;
use crate::store::{Account, Store};
use crate::templates::Templates;
use crate::text::escape_controls;
use crate::Library;

/// Bad rows printed on stderr (all are in report.json, up to its limit).
const BAD_ROWS_PRINTED: usize = 10;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ticket exports: CSV or JSON Lines (Zendesk and Freshdesk columns are
    /// recognised).
    #[arg(required_unless_present = "from_store", value_name = "TICKETS")]
    pub files: Vec<PathBuf>,
    /// Mine the tickets solved in the built-in inbox instead of export files
    /// (written to store-tickets.csv in --out first).
    #[arg(long, conflicts_with = "files")]
    pub from_store: bool,
    /// With --from-store: tickets created in this interval back from now
    /// (30d, 12w, 6m, 1y) or since this date (2026-01-01, UTC).
    #[arg(
        long,
        value_name = "INTERVAL|DATE",
        default_value = "90d",
        requires = "from_store"
    )]
    pub since: String,
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
    #[arg(long, conflicts_with = "drafts")]
    pub no_coverage: bool,
    /// Make a draft of every "not covered" topic, for peer review like any
    /// other (topics that got one in an earlier request are skipped).
    #[arg(long)]
    pub drafts: bool,
    /// Author of the drafts: an agent's name or email; repeat to take turns.
    /// Without it the drafts wait, unassigned, for an agent to claim them.
    #[arg(long, value_name = "NAME", requires = "drafts")]
    pub assign: Vec<String>,
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let locale = super::locale_arg(&config, args.locale.as_deref())?;
    // Checked before the (long) run, so a typo in a name costs nothing.
    let store = if args.drafts {
        let store = open_store(&config)?;
        let assignees = assignees(&store, &args.assign)?;
        Some((store, assignees))
    } else {
        None
    };
    let library = if args.no_coverage {
        None
    } else {
        Some(super::open_library(&config).context(
            "coverage needs the help center — pass --articles DIR, or --no-coverage to mine without it",
        )?)
    };
    // Loaded before mining, so a broken template override stops the run at
    // once instead of after it (report.html uses the same templates as the
    // help center).
    let templates = Templates::load(Some(&config.templates))
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("loading templates from {}", config.templates.display()))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;
    let files = if args.from_store {
        vec![store_export(&config, &args.since, &args.out)?]
    } else {
        args.files
    };
    let opts = MineOptions {
        format: args.format,
        columns: ColumnOverrides {
            id: args.id_col,
            text: args.text_col,
            date: args.date_col,
        },
        locale: locale.clone(),
        clusters: args.clusters.map(|k| k as usize),
        min_cluster_size: args.min_cluster_size.max(1),
        seed: args.seed,
        // The help center's model when coverage is checked, else the
        // configured one: tickets are clustered by meaning whenever there is one.
        model: match &library {
            Some(l) => l
                .index()
                .semantic()
                .map(|s| std::sync::Arc::clone(s.model())),
            None => super::load_model(&config)?,
        },
    };
    let bar = super::progress_bar("reading");
    let progress = |stage: &str, done: u64, total: u64| {
        bar.set_message(stage.to_string());
        bar.set_length(total);
        bar.set_position(done);
    };
    let mined = mining::mine(
        &files,
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
    mining::html::write(
        out,
        &templates,
        report,
        &config.site_name,
        &config.site_url(),
    )?;

    print_summary(report);
    println!(
        "wrote report.html, report.json, suggestions.csv and assignments.csv to {} in {:.1}s",
        out.display(),
        started.elapsed().as_secs_f64()
    );

    // Leads see the last run at /agent/mining.
    keep_run(&config, report, store, library, &locale)?;
    Ok(ExitCode::SUCCESS)
}

/// What the run found, on the terminal: skipped rows, counts, coverage and
/// the first suggestions.
fn print_summary(report: &mining::Report) {
    let s = &report.summary;
    for b in s.bad_rows.iter().take(BAD_ROWS_PRINTED) {
        eprintln!("skipped {}", escape_controls(&b.to_string()));
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
        "found {} topics by {}{coverage}; {} tickets unclustered ({:.1}%)",
        s.topics,
        if s.by_meaning {
            "meaning (sentence model)"
        } else {
            "words"
        },
        s.unclustered,
        report.unclustered.share * 100.0
    );
    for t in report.suggestions().take(5) {
        println!(
            "{:>3}. {}  [{}, {} tickets]",
            t.rank,
            escape_controls(&t.title),
            t.coverage.verdict.as_str(),
            t.tickets
        );
    }
}

/// Saves the run for /agent/mining and, with `--drafts` (`store` is set),
/// makes one review draft per topic not covered.
fn keep_run(
    config: &Config,
    report: &mining::Report,
    store: Option<(Store, Vec<Account>)>,
    library: Option<Library>,
    locale: &str,
) -> Result<()> {
    // Without --drafts the files are the result, so a store that cannot be
    // written only warns.
    let json = serde_json::to_string(report).context("cannot serialise the report")?;
    let (store, assignees) = match store {
        Some(s) => s,
        None => {
            match open_store(config).and_then(|s| Ok(s.save_mining_run(&json)?)) {
                Ok(run) => println!("saved as run {run}: leads see it at /agent/mining"),
                Err(e) => eprintln!(
                    "warning: the run is not kept for /agent/mining: {}",
                    escape_controls(&format!("{e:#}"))
                ),
            }
            return Ok(());
        }
    };
    let run = store.save_mining_run(&json)?;
    println!("saved as run {run}: leads see it at /agent/mining");
    let library = Arc::new(library.expect("--drafts conflicts with --no-coverage"));
    let store = Arc::new(store);
    let workflow = Workflow::from_config(config, store, library);
    let topics: Vec<i32> = report.not_covered().map(|t| t.id).collect();
    let outcomes = mining::drafts::create(&workflow, run, report, &topics, &assignees, locale)
        .context("cannot create the drafts")?;
    let created = outcomes.iter().filter(|o| o.created).count();
    println!(
        "{created} drafts created, {} made before, for {} topics not covered",
        outcomes.len() - created,
        topics.len()
    );
    for o in &outcomes {
        let what = if o.created { "new" } else { "existing" };
        println!(
            "  revision {:>5} ({what}, {}): {}",
            o.revision_id,
            o.author,
            escape_controls(&o.title)
        );
    }
    Ok(())
}

/// Writes the store's tickets solved since `since` to `out/store-tickets.csv`
/// and returns its path; none is an error that says what to do.
fn store_export(config: &Config, since: &str, out: &std::path::Path) -> Result<PathBuf> {
    let period = Period::parse(since, None, chrono::Utc::now())
        .with_context(|| format!("--since {since}"))?;
    let from = chrono::DateTime::from_timestamp_millis(period.since)
        .context("--since is out of range")?
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let tickets = open_store(config)?.solved_tickets_since(&from)?;
    if tickets.is_empty() {
        anyhow::bail!(
            "the store {} has no solved tickets created since {} — solve tickets in the inbox (/agent/tickets), widen --since, or pass export files instead of --from-store",
            config.store.display(),
            &from[..10]
        );
    }
    let path = out.join("store-tickets.csv");
    let n = mining::input::write_store_export(&path, &tickets)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "read {n} solved tickets from the store into {}",
        path.display()
    );
    Ok(path)
}

fn open_store(config: &Config) -> Result<Store> {
    Store::open(&config.store)
        .with_context(|| format!("cannot open the store {}", config.store.display()))
}

/// The enabled accounts named by `--assign`.
fn assignees(store: &Store, names: &[String]) -> Result<Vec<Account>> {
    names
        .iter()
        .map(|name| {
            store
                .account_by_name(name)?
                .filter(|a| !a.disabled)
                .with_context(|| {
                    format!("--assign {name}: no active agent of that name or email (see `deflect agent list`)")
                })
        })
        .collect()
}
