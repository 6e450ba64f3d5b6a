//! `deflect search QUERY`: the help center's search from a terminal, as text
//! or as the same JSON the API returns.

use std::process::ExitCode;

use anyhow::Result;

use crate::config::Config;
use crate::index::{Audience, SearchRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The question, as a customer would type it.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Print JSON (the shape of `GET /api/v1/search`).
    #[arg(long)]
    pub json: bool,
    /// Number of results.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub limit: u16,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Locale to search in [default: the configured default locale].
    #[arg(long)]
    pub locale: Option<String>,
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let library = super::open_library(&config)?;
    let query = args.query.join(" ");
    let locale = super::locale_arg(&config, args.locale.as_deref())?;
    let results = library.index().search(&SearchRequest {
        query: &query,
        locale: &locale,
        category: args.category.as_deref(),
        limit: usize::from(args.limit),
        offset: 0,
        audience: Audience::Public,
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    if results.hits.is_empty() {
        println!("no results for “{query}”");
    }
    if let Some(better) = &results.did_you_mean {
        println!("did you mean: {better}");
    }
    for (i, hit) in results.hits.iter().enumerate() {
        println!(
            "{:>2}. {}  [{}]  {}",
            i + 1,
            hit.title,
            hit.category,
            hit.url
        );
        if !hit.summary.is_empty() {
            println!("    {}", hit.summary);
        }
    }
    if results.total > results.hits.len() {
        println!("({} of {} results)", results.hits.len(), results.total);
    }
    Ok(ExitCode::SUCCESS)
}
