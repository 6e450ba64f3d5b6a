//! The review workflow's two figures: how long an approved revision takes
//! from "Publish" to showing up in public search, and how long the agent
//! dashboard takes to render with 10,000 revisions in the store. Runs on a
//! generated help center of 2,000 articles (seeded), a real SQLite store and
//! the real router, all in a temp dir. Run: `cargo bench --bench workflow`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use deflect::articles::{Status, Visibility};
use deflect::index::{Audience, SearchRequest};
use deflect::store::{NewRevision, RevisionFields, RevisionKind, RevisionState, Role};
use deflect::web::{self, AppState, Templates};
use deflect::{Config, Library};
use http_body_util::BodyExt;
use tower::ServiceExt;

const ARTICLES: usize = 2_000;
const REVISIONS: usize = 10_000;
const PUBLISHES: usize = 30;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::for_test(dir.path());
    let words = [
        "invoice", "refund", "password", "login", "export", "team", "plan", "card", "bank",
        "report", "email", "mobile",
    ];
    for i in 0..ARTICLES {
        let folder = ["billing", "account", "invoicing", "integrations"][i % 4];
        let path = config.articles.join(folder).join(format!("article-{i}.md"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body: Vec<&str> = (0..300)
            .map(|j| words[(i * 7 + j * 13) % words.len()])
            .collect();
        std::fs::write(
            &path,
            format!(
                "---\ntitle: Article {i} about {}\n---\n{}\n",
                words[i % words.len()],
                body.join(" ")
            ),
        )
        .unwrap();
    }
    let (library, _) = Library::open(&config.articles, &config.index, "en").expect("index");
    let library = Arc::new(library);
    let state = AppState::new(
        library.clone(),
        Arc::new(Templates::load(None).unwrap()),
        config.clone(),
    )
    .expect("store");
    let store = state.store.clone();
    let ana = store
        .create_account(
            "ana",
            "ana@example.com",
            Role::Agent,
            "correct horse battery",
        )
        .unwrap();
    let bo = store
        .create_account("bo", "bo@example.com", Role::Agent, "correct horse battery")
        .unwrap();

    // Publish → visible.
    let mut publish = Vec::new();
    for i in 0..PUBLISHES {
        let word = format!("zorblax{i}");
        let fields = RevisionFields {
            title: format!("New article {i}"),
            category: "billing".into(),
            tags: vec![],
            summary: String::new(),
            visibility: Visibility::Public,
            status: Status::Published,
            extra: Default::default(),
            body: format!("How to use {word} in your account.\n"),
        };
        let rev = state
            .workflow
            .start_new(&ana, &format!("billing/new-{i}"), "en", fields)
            .unwrap();
        state.workflow.submit(&ana, rev.id, &[]).unwrap();
        state.workflow.approve(&bo, rev.id, "").unwrap();
        let started = Instant::now();
        state.workflow.publish(&ana, rev.id).unwrap();
        let found = library
            .index()
            .search(&SearchRequest {
                query: &word,
                locale: "en",
                category: None,
                limit: 1,
                offset: 0,
                audience: Audience::Public,
            })
            .unwrap();
        assert_eq!(found.hits.len(), 1, "visible right after publishing");
        publish.push(started.elapsed());
    }
    publish.sort();
    println!(
        "publish → visible in search ({PUBLISHES} publications, {ARTICLES} articles): p50 {:.1} ms, max {:.1} ms",
        percentile(&publish, 0.5).as_secs_f64() * 1e3,
        publish.last().unwrap().as_secs_f64() * 1e3
    );

    // A store with 10,000 revisions, a share of them ana's drafts and reviews.
    let started = Instant::now();
    for i in 0..REVISIONS {
        let author = if i % 3 == 0 { &ana } else { &bo };
        let rev = store
            .create_revision(&NewRevision {
                kind: RevisionKind::New,
                slug: format!("bulk/article-{i}"),
                locale: "en".into(),
                path: format!("bulk/article-{i}.md"),
                author_id: author.id,
                fields: RevisionFields {
                    title: format!("Bulk {i}"),
                    category: "bulk".into(),
                    visibility: Visibility::Public,
                    status: Status::Published,
                    body: "text".into(),
                    ..Default::default()
                },
                base_hash: None,
            })
            .unwrap();
        let state_ = [
            RevisionState::Draft,
            RevisionState::InReview,
            RevisionState::Published,
            RevisionState::Discarded,
        ][i % 4];
        if state_ != RevisionState::Draft {
            store.set_revision_state(rev.id, state_, author.id).unwrap();
        }
    }
    println!(
        "(filled the store with {REVISIONS} revisions in {:.1}s)",
        started.elapsed().as_secs_f64()
    );

    let token = store.create_session(ana.id).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let router = web::router(state.clone());
    let mut dashboard = Vec::new();
    for i in 0..40 {
        let req = Request::get("/agent")
            .header("cookie", format!("deflect_session={token}"))
            .body(Body::empty())
            .unwrap();
        let started = Instant::now();
        let res = runtime.block_on(router.clone().oneshot(req)).unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let _ = runtime.block_on(res.into_body().collect()).unwrap();
        if i >= 5 {
            dashboard.push(started.elapsed()); // the first few warm caches
        }
    }
    dashboard.sort();
    println!(
        "dashboard with {REVISIONS} revisions and {ARTICLES} live articles: p50 {:.1} ms, p90 {:.1} ms",
        percentile(&dashboard, 0.5).as_secs_f64() * 1e3,
        percentile(&dashboard, 0.9).as_secs_f64() * 1e3
    );
}
