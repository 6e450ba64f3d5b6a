//! `deflect index`: rebuilds the search index from `articles/` and reports
//! what it indexed and which files it skipped, with the reason.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::index::SearchIndex;
use crate::library::Library;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config: Config, _args: Args) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    anyhow::ensure!(
        config.articles.is_dir(),
        "articles folder {} not found — create it or pass --articles DIR",
        config.articles.display()
    );
    let (index, _) = SearchIndex::open(&config.index, &config.default_locale)
        .with_context(|| format!("cannot open the index in {}", config.index.display()))?;
    let library = Library::with_index(config.articles.clone(), index);
    let bar = super::progress_bar("indexing");
    let report = library
        .rebuild(&|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .context("indexing failed")?;
    bar.finish_and_clear();
    // Errors and warnings quote article text: print it inert.
    for e in &report.errors {
        eprintln!("skipped {}", crate::text::escape_controls(&e.to_string()));
    }
    for w in &report.warnings {
        eprintln!("warning: {}", crate::text::escape_controls(&w.to_string()));
    }
    println!(
        "indexed {} articles in {:.1}s; skipped {} files with errors; {} warnings",
        report.indexed,
        started.elapsed().as_secs_f64(),
        report.errors.len(),
        report.warnings.len()
    );
    Ok(ExitCode::SUCCESS)
}
