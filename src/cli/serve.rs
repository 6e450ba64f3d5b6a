//! `deflect serve`: brings the index up to date, starts the watchers
//! (articles, templates, synonyms) and serves the help center until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::watch::{Reloader, Watcher};
use crate::web::{self, AppState, Templates};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on [config: addr; default: 127.0.0.1:8080].
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Do not watch articles, templates and synonyms for changes.
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
    // Replicas sharing a git remote start from its articles.
    let git_sync = if config.publish.git_sync.is_zero() {
        None
    } else {
        // The watcher is what re-indexes the articles a sync round takes.
        anyhow::ensure!(
            config.watch,
            "publish.git_sync_ms needs the articles watcher to index what it takes from the other replicas: drop --no-watch (or watch = false), or set publish.git_sync_ms = 0"
        );
        let sync = crate::git::Sync::new(&config.articles).map_err(anyhow::Error::msg)?;
        if let Err(e) = sync.round() {
            tracing::warn!("git sync: {e}");
        }
        Some(Arc::new(sync))
    };
    let started = std::time::Instant::now();
    let library = Arc::new(super::open_library(&config)?);
    library
        .index()
        .set_cache_bytes(config.search_cache_mb.saturating_mul(1024 * 1024));
    tracing::info!(
        articles = library.index().len(),
        "index ready in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let templates = Arc::new(Templates::load(Some(&config.templates)).map_err(anyhow::Error::msg)?);
    let _watchers = if config.watch {
        Some(watch(&config, &library, &templates)?)
    } else {
        None
    };
    let state = AppState::new(library, templates, config.clone())
        .with_context(|| format!("cannot open the store {}", config.store.display()))?;
    // A new store takes the folder's adopted baseline, if it ships one.
    match crate::review::baseline::import_on_first_start(&state.store, state.library.root()) {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            articles = n,
            "adopted the articles folder's reviewed baseline"
        ),
        Err(e) => tracing::warn!("the reviewed baseline was not imported: {e}"),
    }
    // Deliver queued notifications (and retry failed ones) in the background.
    state.workflow.notifier.spawn();
    let _git_sync = git_sync.map(|sync| {
        let _ = state.git_sync.set(Arc::clone(&sync));
        sync.spawn(config.publish.git_sync)
    });
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
        if state.config.tickets.destinations().is_empty() {
            tracing::warn!(
                "no ticket delivery channel is configured ([tickets] webhook and email_to are empty): \
                 contact-form tickets are only stored; answer them in the inbox at http://{addr}/agent/tickets"
            );
        }
        web::serve(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Starts the watchers; dropping the result stops them.
fn watch(
    config: &Config,
    library: &Arc<crate::library::Library>,
    templates: &Arc<Templates>,
) -> Result<(Watcher, Vec<Reloader>)> {
    let debounce = config.debounce;
    let articles = Watcher::spawn(Arc::clone(library), debounce)
        .context("cannot watch the articles folder")?;
    let mut reloaders = Vec::new();
    if let Some(dir) = templates.dir() {
        let t = Arc::clone(templates);
        reloaders.push(
            Reloader::spawn(dir, debounce, move || match t.reload() {
                Ok(()) => tracing::info!("templates reloaded"),
                Err(e) => {
                    tracing::error!("templates not reloaded, the last good set stays in use: {e}")
                }
            })
            .context("cannot watch the templates folder")?,
        );
    }
    let (lib, path) = (Arc::clone(library), config.synonyms.clone());
    reloaders.push(
        Reloader::spawn(&config.synonyms, debounce, move || {
            match lib.load_synonyms(&path) {
                Ok(n) => tracing::info!(phrases = n, "synonyms reloaded"),
                Err(errors) => {
                    for e in errors {
                        tracing::error!(
                            "synonyms not reloaded, the last good set stays in use: {e}"
                        );
                    }
                }
            }
        })
        .context("cannot watch the synonyms file")?,
    );
    Ok((articles, reloaders))
}
