//! `deflect check`: validates every article (front matter, required fields,
//! duplicate slugs, links between articles) without touching the index, and
//! prints one `file:line: message` per problem. Exits 1 on any problem, so a
//! team can run it in its own CI.

use std::process::ExitCode;

use anyhow::Result;

use crate::articles::load_dir;
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config: Config, _args: Args) -> Result<ExitCode> {
    anyhow::ensure!(
        config.articles.is_dir(),
        "articles folder {} not found — create it or pass --articles DIR",
        config.articles.display()
    );
    let loaded = load_dir(&config.articles, &config.default_locale);
    let mut problems: Vec<String> = loaded
        .errors
        .iter()
        .chain(&loaded.warnings)
        .map(|e| e.to_string())
        .collect();
    problems.sort();
    for p in &problems {
        println!("{p}");
    }
    if problems.is_empty() {
        eprintln!("{} articles OK", loaded.articles.len());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} problems in {} files ({} articles OK)",
            problems.len(),
            count_files(&problems),
            loaded.articles.len()
        );
        Ok(ExitCode::from(1))
    }
}

fn count_files(problems: &[String]) -> usize {
    let files: std::collections::BTreeSet<&str> = problems
        .iter()
        .filter_map(|p| p.split(':').next())
        .collect();
    files.len()
}
