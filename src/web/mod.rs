//! The web app: the public help center (HTML pages rendered with tera), the
//! versioned JSON API, static assets and health checks, on axum. Handlers are
//! thin: they validate input, hand the CPU work (search, rendering) to a
//! blocking thread and map errors to [`AppError`].

pub mod auth;
mod cors;
mod error;
pub mod http_metrics;
pub mod locale;
mod params;
mod routes;
pub mod visitor;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;

pub use crate::templates::Templates;
pub use error::{ApiError, AppError};

use crate::analytics::capture::EventSink;
use crate::config::Config;
use crate::library::Library;
use crate::review::Workflow;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// Failed sign-ins one account may take in [`LOGIN_WINDOW`].
pub const LOGIN_FAILURES_PER_ACCOUNT: usize = 5;
/// Failed sign-ins one client address may make in [`LOGIN_WINDOW`], over
/// all the accounts it tries.
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 20;
/// The sign-in limits' window.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The shared parts of [`AppState`].
pub struct Inner {
    pub library: Arc<Library>,
    pub templates: Arc<Templates>,
    pub config: Config,
    pub store: Arc<Store>,
    pub workflow: Arc<Workflow>,
    /// Failed sign-ins per account.
    pub login_limiter: auth::Limiter,
    /// Failed sign-ins per client address, whatever account they try.
    pub login_address_limiter: auth::Limiter,
    /// Contact-form submissions per client address.
    pub contact_limiter: auth::Limiter,
    /// Analytics events go here.
    pub events: EventSink,
    /// Request counts and latencies for `/metrics`.
    pub http_metrics: http_metrics::HttpMetrics,
    /// A random key of this process: with the browser's form cookie it signs
    /// the link to a ticket's confirmation page, so nobody can compute the
    /// link of someone else's ticket (the cookie alone is the client's).
    pub receipt_key: String,
    /// Permits for [`AppState::compute`], one per core.
    pub workers: Arc<tokio::sync::Semaphore>,
    /// Sites whose browsers the CORS settings refused, for `/healthz`.
    pub refused_origins: cors::RefusedOrigins,
    /// The articles folder's git sync, when `serve` runs one (`/healthz`).
    pub git_sync: std::sync::OnceLock<Arc<crate::git::Sync>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The ticket intake, over this app's store, index, events and outbox.
    pub fn intake(&self) -> crate::intake::Intake<'_> {
        crate::intake::Intake {
            config: &self.config,
            library: &self.library,
            store: &self.store,
            events: &self.events,
            notifier: &self.workflow.notifier,
        }
    }

    /// The app over `library`, opening (creating, migrating) the store at
    /// `config.store`.
    pub fn new(
        library: Arc<Library>,
        templates: Arc<Templates>,
        config: Config,
    ) -> Result<AppState, crate::store::Error> {
        let store = Arc::new(Store::open_with(&config.store, config.store_connections)?);
        let events = if config.analytics.enabled {
            EventSink::start(&store, config.analytics.retention)?
        } else {
            EventSink::disabled()
        };
        // Replicas sharing a PostgreSQL store count attempts there, so a
        // limit holds across them; one SQLite process counts in memory.
        let shared = (store.engine() == "postgres").then(|| Arc::clone(&store));
        let limiter = |name: &'static str, max: usize, window: Duration| {
            auth::Limiter::new(max, window).shared(name, shared.clone())
        };
        let contact_limiter = limiter(
            "contact",
            config.tickets.per_ip_per_hour.max(1),
            Duration::from_secs(3600),
        );
        let login_limiter = limiter("login", LOGIN_FAILURES_PER_ACCOUNT, LOGIN_WINDOW);
        let login_address_limiter =
            limiter("login_address", LOGIN_FAILURES_PER_ADDRESS, LOGIN_WINDOW);
        let receipt_key = store.secret("contact_receipts")?;
        let workflow = Arc::new(Workflow::from_config(
            &config,
            Arc::clone(&store),
            Arc::clone(&library),
        ));
        Ok(AppState(Arc::new(Inner {
            library,
            templates,
            config,
            store,
            workflow,
            login_limiter,
            login_address_limiter,
            contact_limiter,
            events,
            http_metrics: Default::default(),
            receipt_key,
            workers: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            refused_origins: Default::default(),
            git_sync: Default::default(),
        })))
    }

    /// Runs `f` on a blocking thread, for work that may wait as well as
    /// compute (a store write, `git` on publish, a report over many events):
    /// it must not stall the async runtime, and it must not hold up searches.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(|e| AppError::Internal(format!("handler task failed: {e}")))?
    }

    /// [`AppState::run`] for the customers' reads (searches, suggestions,
    /// help-center pages), which only compute: at most one per core runs at
    /// a time and the rest queue. Thirty-two searches on two cores finish no
    /// sooner side by side than in turn, and every extra thread costs
    /// switches, cache misses and allocator arenas (p99 79 → 25 ms).
    /// Nothing that waits on I/O or a lock belongs here.
    pub async fn compute<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = Arc::clone(&self.workers)
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(format!("worker pool closed: {e}")))?;
        self.run(move |s| {
            let _permit = permit;
            f(s)
        })
        .await
    }
}

/// All routes, with CORS on the API and the common response headers.
pub fn router(state: AppState) -> Router {
    let mut api = routes::api::routes();
    if let Some(cors) = cors::layer(&state.config.cors_origins) {
        api = api.layer(cors);
    }
    let api = api.layer(middleware::from_fn_with_state(state.clone(), cors::watch));
    Router::new()
        .merge(routes::help_center::routes())
        .merge(routes::agent::routes())
        .merge(routes::contact::routes())
        .merge(api)
        .route("/static/{file}", get(routes::assets::asset))
        .route("/widget.js", get(routes::assets::widget))
        .route("/healthz", get(routes::api::healthz))
        .route("/metrics", get(http_metrics::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            http_metrics::track,
        ))
        .fallback(routes::help_center::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            visitor::visitor,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Replaces the bare body of a page error with the rendered error page: the
/// workspace's own for `/agent` (an agent refused an action stays in the
/// workspace, told what was refused and why), the help center's otherwise.
async fn error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Only a workspace error page needs the request's headers (its session
    // and referrer): every other request, searches first, copies nothing.
    let path = req.uri().path();
    let workspace =
        (path == "/agent" || path.starts_with("/agent/")).then(|| req.headers().clone());
    // A page load can be tried again as it was; a form's way back is the
    // page it came from (only forms copy their referrer).
    let retry = (req.method() == axum::http::Method::GET)
        .then(|| {
            req.uri()
                .path_and_query()
                .and_then(|p| local_path(p.as_str()))
        })
        .flatten();
    let referer = (req.method() != axum::http::Method::GET)
        .then(|| req.headers().get(header::REFERER).cloned())
        .flatten();
    let res = next.run(req).await;
    let Some(page) = res.extensions().get::<error::ErrorPage>().cloned() else {
        return res;
    };
    let locale = state.config.default_locale.clone();
    let rendered = state
        .run(move |s| {
            let (template, mut ctx) = if let Some(headers) = &workspace {
                // With the store down, looking the session up again would
                // only wait for it a second time.
                let session = (page.status != StatusCode::SERVICE_UNAVAILABLE)
                    .then(|| auth::session(s, headers))
                    .flatten();
                let mut ctx = routes::agent::context(s, session.as_ref(), None);
                ctx.insert("back", &workspace_referer(headers));
                ("agent/error.html", ctx)
            } else {
                let mut ctx =
                    routes::page::base_context(s, &routes::page::PageLocale::default_for(s), "");
                ctx.insert("categories", &routes::page::category_links(s, &locale)?);
                ctx.insert("back", &referer.as_ref().and_then(same_site_path));
                let template = if page.status == StatusCode::NOT_FOUND {
                    "404.html"
                } else {
                    "error.html"
                };
                (template, ctx)
            };
            ctx.insert("retry", &retry);
            ctx.insert("status", &page.status.as_u16());
            ctx.insert("message", &as_sentence(&page.message));
            s.templates
                .render(template, &ctx)
                .map_err(AppError::Internal)
        })
        .await;
    match rendered {
        Ok(html) => (page.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("error page failed to render: {e:?}");
            res
        }
    }
}

/// The workspace page a refused request came from (its path and query, from
/// `Referer`), for a way back that keeps what the agent was doing; none when
/// the referrer is not a workspace page.
fn workspace_referer(headers: &axum::http::HeaderMap) -> Option<String> {
    let path = same_site_path(headers.get(header::REFERER)?)?;
    (path == "/agent" || path.starts_with("/agent/") || path.starts_with("/agent?")).then_some(path)
}

/// The path and query of a `Referer` (a link back never leaves the site).
fn same_site_path(referer: &axum::http::HeaderValue) -> Option<String> {
    let uri: axum::http::Uri = referer.to_str().ok()?.parse().ok()?;
    local_path(uri.path_and_query()?.as_str())
}

/// `path` when a link to it stays on this site: browsers read `//host` and
/// `/\host` as another site.
fn local_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    (!rest.starts_with(['/', '\\'])).then(|| path.to_string())
}

/// A message as a sentence on a page of its own: the workflow's refusals are
/// written to follow "refused: ", so they start in lower case.
fn as_sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_back_stay_on_the_site() {
        assert_eq!(
            local_path("/agent/tickets?q=a").as_deref(),
            Some("/agent/tickets?q=a")
        );
        assert_eq!(local_path("/"), Some("/".to_string()));
        for elsewhere in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "",
        ] {
            assert_eq!(local_path(elsewhere), None, "{elsewhere}");
        }
        let referer = |s: &'static str| axum::http::HeaderValue::from_static(s);
        assert_eq!(
            same_site_path(&referer("https://help.example/contact?x=1")).as_deref(),
            Some("/contact?x=1")
        );
        assert_eq!(
            same_site_path(&referer("https://help.example//evil.example")),
            None
        );
    }
}
