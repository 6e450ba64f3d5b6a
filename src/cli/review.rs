//! `deflect review baseline`: adopt the articles folder as it is, so a team
//! bringing existing content starts with a clean dashboard (see
//! `review::baseline`).

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::review::baseline;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ReviewCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ReviewCommand {
    /// Record the current content of every live article as reviewed, by an
    /// admin, in the audit log (one entry per article), and write
    /// articles/.deflect-baseline.toml so a new store starts adopted. Files
    /// edited by hand afterwards show as unreviewed again.
    Baseline {
        /// The admin account the adoption is recorded under.
        #[arg(long, value_name = "ADMIN")]
        by: String,
        /// List what would be adopted; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let ReviewCommand::Baseline { by, dry_run } = args.command;
    let store = Store::open(&config.store)
        .with_context(|| format!("cannot open the store {}", config.store.display()))?;
    let admin = store.account_by_name(&by)?.with_context(|| {
        format!("no account named {by} (create an admin with `deflect agent add NAME --email … --role admin`)")
    })?;
    let library = super::open_library(&config)?;
    let adoption = baseline::adopt(&store, library.index(), library.root(), &admin, dry_run)?;
    for a in &adoption.adopted {
        println!(
            "{} {} ({})",
            if dry_run { "would adopt" } else { "adopted" },
            a.slug,
            a.locale
        );
    }
    let verb = if dry_run { "would adopt" } else { "adopted" };
    println!(
        "{verb} {} article(s) as reviewed by {by}; {} were reviewed already{}",
        adoption.adopted.len(),
        adoption.already,
        if dry_run {
            String::new()
        } else {
            format!(
                ". Recorded in the audit log (review.baseline) and in {}",
                library.root().join(baseline::MANIFEST).display()
            )
        }
    );
    Ok(ExitCode::SUCCESS)
}
