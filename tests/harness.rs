//! The test harness: [`TestKb`] copies the fixture help center into a temp
//! dir, opens a real index there and drives the real router.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use deflect::index::{Audience, SearchRequest};
use deflect::web::{self, AppState, Templates};
use deflect::{Config, Library};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The fixture articles every test starts from.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kb")
}

/// A help center in a temp dir.
pub struct TestKb {
    pub dir: tempfile::TempDir,
    pub config: Config,
    library: Option<Arc<Library>>,
    state: Option<AppState>,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestKb {
    /// The fixture help center.
    pub fn new() -> TestKb {
        let kb = TestKb::empty();
        copy_dir(&fixture_dir(), &kb.config.articles);
        kb
    }

    /// No articles at all.
    pub fn empty() -> TestKb {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::for_test(dir.path());
        std::fs::create_dir_all(&config.articles).expect("articles dir");
        TestKb {
            dir,
            config,
            library: None,
            state: None,
        }
    }

    /// The same folders with the index closed, as after a restart.
    pub fn reopen(self) -> TestKb {
        TestKb {
            dir: self.dir,
            config: self.config,
            library: None,
            state: None,
        }
    }

    pub fn articles(&self) -> &Path {
        &self.config.articles
    }

    /// Writes (or overwrites) an article file.
    pub fn write(&self, path: &str, text: &str) -> &TestKb {
        let full = self.articles().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write article");
        self
    }

    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.articles().join(path)).expect("remove article");
    }

    /// The library over the index in the temp dir (opened on first use).
    pub fn library(&mut self) -> Arc<Library> {
        if self.library.is_none() {
            let model =
                self.config.semantic.model_dir().map(|dir| {
                    Arc::new(deflect::semantic::Model::load(dir).expect("sentence model"))
                });
            let (library, _) = Library::open_with(
                &self.config.articles,
                &self.config.index,
                &self.config.default_locale,
                model,
            )
            .expect("open library");
            self.library = Some(Arc::new(library));
        }
        Arc::clone(self.library.as_ref().expect("library"))
    }

    /// The app state (created on first use; set `config` before that).
    pub fn state(&mut self) -> AppState {
        if self.state.is_none() {
            let templates = Arc::new(Templates::load(None).expect("templates"));
            self.state = Some(
                AppState::new(self.library(), templates, self.config.clone()).expect("open store"),
            );
        }
        self.state.clone().expect("state")
    }

    /// `GET uri` through the router, without a network.
    pub async fn get(&mut self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn request(&mut self, req: Request<Body>) -> Reply {
        let res = web::router(self.state())
            .oneshot(req)
            .await
            .expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Slugs found for `q` by customers in the default locale.
    pub fn search(&mut self, q: &str) -> Vec<String> {
        self.library()
            .index()
            .search(&SearchRequest {
                query: q,
                locale: "en",
                category: None,
                limit: 20,
                offset: 0,
                audience: Audience::Public,
            })
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.slug)
            .collect()
    }
}

/// Polls `check` until it holds or `deadline` passes.
pub fn wait_until(deadline: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let rel = entry.path().strip_prefix(from).expect("relative");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A signed-in agent: the session cookie and the CSRF token forms echo.
#[derive(Clone)]
pub struct Agent {
    pub cookie: String,
    pub csrf: String,
}

impl TestKb {
    /// Creates an account with `role` and signs it in.
    pub fn agent(&mut self, name: &str, role: deflect::store::Role) -> Agent {
        let state = self.state();
        let account = state
            .store
            .create_account(
                name,
                &format!("{name}@example.com"),
                role,
                "correct horse battery",
            )
            .expect("create account");
        let token = state.store.create_session(account.id).expect("session");
        let csrf = state
            .store
            .session(&token)
            .expect("lookup")
            .expect("session")
            .csrf;
        Agent {
            cookie: format!("deflect_session={token}"),
            csrf,
        }
    }

    /// `GET uri` as `agent`.
    pub async fn get_as(&mut self, uri: &str, agent: &Agent) -> Reply {
        self.request(
            Request::get(uri)
                .header("cookie", &agent.cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// `POST uri` with a form as `agent` (the CSRF token added).
    pub async fn post_as(&mut self, uri: &str, agent: &Agent, fields: &[(&str, &str)]) -> Reply {
        let mut pairs: Vec<(&str, &str)> = vec![("csrf", &agent.csrf)];
        pairs.extend_from_slice(fields);
        self.post_raw(
            uri,
            Some(&agent.cookie),
            &serde_urlencoded::to_string(pairs).expect("form"),
        )
        .await
    }

    /// `POST uri` with a raw form body and an optional cookie.
    pub async fn post_raw(&mut self, uri: &str, cookie: Option<&str>, body: &str) -> Reply {
        let mut req =
            Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        self.request(req.body(Body::from(body.to_string())).expect("request"))
            .await
    }
}

impl Reply {
    /// The `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The revision id in a `/agent/revisions/{id}...` redirect.
    pub fn revision_id(&self) -> i64 {
        let loc = self.location();
        let rest = loc
            .strip_prefix("/agent/revisions/")
            .unwrap_or_else(|| panic!("not a revision redirect: {loc} ({})", self.status));
        rest.split(['/', '?'])
            .next()
            .and_then(|n| n.parse().ok())
            .expect("revision id")
    }
}

/// Drafts made by FAQ mining for nobody, one per rank in `ranks` (titled
/// "Mined topic ranked N", slugs `billing/mined-{i}`), as the writing queue
/// holds them; their revision ids, in `ranks` order.
pub fn queue_mined_drafts(state: &AppState, ranks: &[usize]) -> Vec<i64> {
    let nobody = state.store.unassigned_account().expect("unassigned");
    let run = state.store.save_mining_run("{}").expect("run");
    ranks
        .iter()
        .enumerate()
        .map(|(i, &rank)| {
            let fields = deflect::store::RevisionFields {
                title: format!("Mined topic ranked {rank}"),
                category: "billing".into(),
                tags: vec![],
                summary: String::new(),
                visibility: deflect::articles::Visibility::Public,
                status: deflect::articles::Status::Published,
                extra: Default::default(),
                body: "Tickets asked this.\n".into(),
            };
            let rev = state
                .workflow
                .start_new(&nobody, &format!("billing/mined-{i}"), "en", fields)
                .expect("draft");
            state
                .store
                .record_mined_draft(run, i as i32, rank, rev.id)
                .expect("link");
            rev.id
        })
        .collect()
}

/// Runs git in `dir` with a test identity; its stdout (fails the test on error).
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
