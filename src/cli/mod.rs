//! The command line: clap definitions and one file per subcommand. `main.rs`
//! only parses arguments, sets up logging and turns errors into exit codes.

mod agent;
mod check;
mod eval;
mod index;
mod mine;
mod report;
mod review;
mod search;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::config::Config;

/// deflect: a self-service help center and ticket-deflection search engine.
#[derive(Debug, Parser)]
#[command(name = "deflect", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file (default: ./deflect.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of Markdown articles [config: articles; default: articles].
    #[arg(long, global = true, value_name = "DIR")]
    pub articles: Option<PathBuf>,
    /// Folder of the search index [config: index; default: index].
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index the articles if needed, watch them and serve the help center.
    Serve(serve::Args),
    /// Rebuild the search index from scratch.
    Index(index::Args),
    /// Validate every article; exits non-zero on any problem (for CI).
    Check(check::Args),
    /// Search the help center from the command line.
    Search(search::Args),
    /// Cluster resolved tickets into topics and list the articles to write
    /// next (report.html, report.json, suggestions.csv, assignments.csv).
    Mine(mine::Args),
    /// Score search against golden queries (MRR, P@1, Recall@5/10).
    Eval(eval::Args),
    /// Manage agent accounts (add, list, disable).
    Agent(agent::Args),
    /// Write the support leads' report (deflection rates, search gaps,
    /// failing articles, trends) as HTML, JSON or CSV.
    Report(report::Args),
    /// Review chores: `baseline` adopts the articles folder as reviewed.
    Review(review::Args),
}

impl Cli {
    /// The configuration: file, then `DEFLECT_*` variables, then flags.
    pub fn config(&self) -> Result<Config> {
        let mut config = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(a) = &self.articles {
            config.articles = a.clone();
        }
        if let Some(i) = &self.index {
            config.index = i.clone();
        }
        Ok(config)
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let config = cli.config()?;
    match cli.command {
        Command::Serve(args) => serve::run(config, args),
        Command::Index(args) => index::run(config, args),
        Command::Check(args) => check::run(config, args),
        Command::Search(args) => search::run(config, args),
        Command::Mine(args) => mine::run(config, args),
        Command::Eval(args) => eval::run(config, args),
        Command::Agent(args) => agent::run(config, args),
        Command::Report(args) => report::run(config, args),
        Command::Review(args) => review::run(config, args),
    }
}

/// Opens the help center (building or syncing its index) with its synonyms;
/// a broken synonyms file is reported and searching goes on without it.
fn open_library(config: &Config) -> Result<crate::library::Library> {
    let model = load_model(config)?;
    let (library, report) = crate::library::Library::open_with(
        &config.articles,
        &config.index,
        &config.default_locale,
        model,
    )
    .context("cannot open the help center")?;
    for e in &report.errors {
        tracing::warn!("skipped {e}");
    }
    if let Err(errors) = library.load_synonyms(&config.synonyms) {
        for e in errors {
            tracing::warn!("synonyms not loaded: {e}");
        }
    }
    Ok(library)
}

/// The configured sentence model, loaded and checked; a bad folder stops
/// the command with the file at fault.
fn load_model(config: &Config) -> Result<Option<Arc<crate::semantic::Model>>> {
    let Some(dir) = config.semantic.model_dir() else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let model = crate::semantic::Model::load(dir)?;
    tracing::info!(
        dir = %dir.display(),
        dim = model.dim(),
        ms = started.elapsed().as_millis() as u64,
        "sentence model loaded"
    );
    Ok(Some(Arc::new(model)))
}

/// Parses a locale flag, or the configured default.
fn locale_arg(config: &Config, flag: Option<&str>) -> Result<String> {
    match flag {
        Some(l) => crate::articles::normalize_locale(l)
            .with_context(|| format!("`{l}` is not a locale such as `en` or `pt-br`")),
        None => Ok(config.default_locale.clone()),
    }
}

/// A progress bar on stderr when it is a terminal (hidden otherwise).
fn progress_bar(what: &str) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({elapsed})")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}
