//! `deflect serve`: brings the index up to date, starts the watchers (articles
//! and templates) and serves the help center until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::library::Library;
use crate::watch::{TemplateWatcher, Watcher};
use crate::web::{self, AppState, Templates};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on [config: addr; default: 127.0.0.1:8080].
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Do not watch articles/ and templates/ for changes.
    #[arg(long)]
    pub no_watch: bool,
}

pub fn run(mut config: Config, args: Args) -> Result<ExitCode> {
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    if args.no_watch {
        config.watch = false;
    }
    let started = std::time::Instant::now();
    let (library, report) = Library::open(&config.articles, &config.index, &config.default_locale)
        .context("cannot open the help center")?;
    for e in &report.errors {
        tracing::warn!("skipped {e}");
    }
    let library = Arc::new(library);
    tracing::info!(
        articles = library.index().len(),
        skipped = report.errors.len(),
        "index ready in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let templates = Arc::new(Templates::load(Some(&config.templates)).map_err(anyhow::Error::msg)?);
    let debounce = Duration::from_millis(config.debounce_ms);
    let _watchers = if config.watch {
        let articles = Watcher::spawn(Arc::clone(&library), debounce)
            .context("cannot watch the articles folder")?;
        let templates = match templates.dir() {
            Some(dir) => Some(
                TemplateWatcher::spawn(Arc::clone(&templates), dir, debounce)
                    .context("cannot watch the templates folder")?,
            ),
            None => None,
        };
        Some((articles, templates))
    } else {
        None
    };
    let state = AppState::new(library, templates, config.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} — is another server using it? (--addr to change)",
                    config.addr
                )
            })?;
        let addr = listener.local_addr()?;
        println!("deflect is serving the help center on http://{addr}/ (Ctrl-C to stop)");
        web::serve(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
