//! `deflect check`: validates every article (front matter, required fields,
//! duplicate slugs, links between articles) and the synonyms file without
//! touching the index, and prints one `file:line: message` per problem. With
//! `--queries`, it also runs golden queries and fails when search recall
//! drops below the bar. Exits 1 on any problem, so a team can run it in CI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::articles::load_dir;
use crate::config::Config;
use crate::eval;
use crate::index::Synonyms;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Golden queries to evaluate (JSONL or CSV, as for `deflect eval`).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Fail when Recall@K falls below V, e.g. `5=0.9` (K is 5 or 10; repeatable).
    #[arg(long = "min-recall-at", value_name = "K=V", value_parser = parse_bar, requires = "queries")]
    pub min_recall_at: Vec<(usize, f64)>,
}

fn parse_bar(s: &str) -> Result<(usize, f64), String> {
    let (k, v) = s.split_once('=').ok_or("write it as K=V, e.g. 5=0.9")?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("`{k}` is not 5 or 10"))?;
    if k != 5 && k != 10 {
        return Err(format!("recall is measured at 5 and 10, not {k}"));
    }
    let v: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("`{v}` is not a number from 0 to 1"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("`{v}` is not a number from 0 to 1"));
    }
    Ok((k, v))
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
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
    if config.synonyms.exists() {
        if let Err(errors) = Synonyms::from_file(&config.synonyms) {
            problems.extend(errors.iter().map(|e| e.to_string()));
        }
    }
    problems.sort();
    for p in &problems {
        // Problems quote article text (YAML errors, links): print it inert.
        println!("{}", crate::text::escape_controls(p));
    }
    let mut failed = !problems.is_empty();
    let ok = plural(loaded.articles.len(), "article");
    if failed {
        eprintln!("{} ({ok} OK)", plural(problems.len(), "problem"));
    } else {
        eprintln!("{ok} OK");
    }
    if let Some(file) = &args.queries {
        let golden = super::eval::load(file)?;
        let library = super::open_library(&config)?;
        let outcomes = eval::run(library.index(), &config.default_locale, &golden)?;
        let m = eval::metrics(&outcomes);
        eprintln!("relevance: {}", super::eval::summary(&m));
        for (k, bar) in &args.min_recall_at {
            let got = m.recall_at(*k).unwrap_or(0.0);
            if got < *bar {
                println!("{}: Recall@{k} is {got:.3}, below the required {bar:.3} — run `deflect eval {}` to see the misses", file.display(), file.display());
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
