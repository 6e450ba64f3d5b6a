//! The agent workspace and the review workflow's invariants, through the real
//! router with a real SQLite store in the temp dir.

use axum::http::StatusCode;
use deflect::store::Role;

use crate::harness::{Agent, TestKb};

const NEW_ARTICLE: &[(&str, &str)] = &[
    ("title", "Gift cards"),
    ("slug", "billing/gift-cards"),
    ("category", "billing"),
    ("tags", "gift, voucher"),
    ("summary", "Buy and redeem gift cards."),
    ("visibility", "public"),
    (
        "body",
        "Redeem a wallabycard at checkout.\n\n## Expiry\n\nCards never expire.\n",
    ),
];

async fn create(kb: &mut TestKb, agent: &Agent) -> i64 {
    let r = kb.post_as("/agent/articles/new", agent, NEW_ARTICLE).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.revision_id()
}

async fn public_sees(kb: &mut TestKb, slug: &str) -> bool {
    kb.get(&format!("/articles/{slug}")).await.status == StatusCode::OK
}

#[tokio::test]
async fn sign_in_flow_with_csrf_cookie_and_rate_limit() {
    let mut kb = TestKb::new();
    kb.state()
        .store
        .create_account(
            "ana",
            "ana@example.com",
            Role::Agent,
            "correct horse battery",
        )
        .unwrap();
    let r = kb.get("/agent").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/agent/login?next=%2Fagent");

    let form = kb.get("/agent/login?next=%2Fagent").await;
    assert_eq!(form.status, StatusCode::OK);
    let set_cookie = form.headers["set-cookie"].to_str().unwrap().to_string();
    let csrf = set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    assert!(form.body.contains(&csrf), "the form carries the token");
    let cookie = format!("deflect_login_csrf={csrf}");
    let login = |pw: &str, token: &str| {
        serde_urlencoded::to_string([
            ("name", "ana"),
            ("password", pw),
            ("csrf", token),
            ("next", "/agent"),
        ])
        .unwrap()
    };

    let r = kb
        .post_raw(
            "/agent/login",
            Some(&cookie),
            &login("correct horse battery", "forged"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a form without the matching token is refused"
    );
    let r = kb
        .post_raw(
            "/agent/login",
            Some(&cookie),
            &login("wrong password", &csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("do not match"), "{}", r.body);

    let r = kb
        .post_raw(
            "/agent/login",
            Some(&cookie),
            &login("correct horse battery", &csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = r.headers["set-cookie"].to_str().unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Secure"), "not behind TLS by default");
    let agent = Agent {
        cookie: session.split(';').next().unwrap().to_string(),
        csrf: String::new(),
    };
    let dash = kb.get_as("/agent", &agent).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.body.contains("ana"));

    for _ in 0..5 {
        kb.post_raw("/agent/login", Some(&cookie), &login("wrong again", &csrf))
            .await;
    }
    let r = kb
        .post_raw(
            "/agent/login",
            Some(&cookie),
            &login("correct horse battery", &csrf),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "five failures lock the name out"
    );
}

#[tokio::test]
async fn a_draft_is_never_visible_to_customers_until_reviewed_and_published() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let id = create(&mut kb, &ana).await;

    assert!(!public_sees(&mut kb, "billing/gift-cards").await);
    assert!(kb.search("wallabycard").is_empty());
    assert_eq!(
        kb.get("/api/v1/articles/billing/gift-cards").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        kb.get("/api/v1/suggest?q=gift").await.json()["suggestions"],
        serde_json::json!([])
    );
    assert!(
        !kb.articles().join("billing/gift-cards.md").exists(),
        "nothing written before publishing"
    );
    assert!(
        !kb.get("/sitemap.xml").await.body.contains("gift-cards"),
        "not in the sitemap"
    );

    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "publish without approvals");
    assert!(r.body.contains("needs 1 approval"), "{}", r.body);

    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/submit"),
            &ana,
            &[("reviewers", "bo")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/approve"), &ana, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "self-approval is refused");
    // Refused in the workspace, saying what and why, with the way back.
    for part in [
        "This action was refused",
        "You wrote or edited this revision, so you cannot review it",
        "/agent/logout",
    ] {
        assert!(r.body.contains(part), "{part}: {}", r.body);
    }
    assert!(!r.body.contains("contact our support team"), "{}", r.body);

    let dash = kb.get_as("/agent", &bo).await;
    assert!(
        dash.body.contains("Gift cards"),
        "assigned to bo: {}",
        dash.body
    );
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/approve"),
            &bo,
            &[("body", "Looks right.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // An edit after the approval needs a new approval.
    let rev = kb.state().store.revision(id).unwrap();
    let mut edited: Vec<(&str, &str)> = NEW_ARTICLE.to_vec();
    let version = rev.version.to_string();
    edited.push(("version", &version));
    edited.retain(|(k, _)| *k != "body");
    edited.push((
        "body",
        "Redeem a wallabycard at checkout. Edited after approval.\n",
    ));
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/edit"), &ana, &edited)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "the approval covered the old content"
    );
    assert!(!public_sees(&mut kb, "billing/gift-cards").await);

    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        public_sees(&mut kb, "billing/gift-cards").await,
        "live at once after publishing"
    );
    assert_eq!(kb.search("wallabycard"), ["billing/gift-cards"]);
    assert!(kb
        .get("/sitemap.xml")
        .await
        .body
        .contains("/articles/billing/gift-cards</loc>"));
    let file = std::fs::read_to_string(kb.articles().join("billing/gift-cards.md")).unwrap();
    assert!(
        file.contains("author: ana")
            && file.contains("reviewed_by:\n- bo")
            && file.contains("reviewed_at:"),
        "{file}"
    );
}

#[tokio::test]
async fn the_live_version_stays_unchanged_while_its_revision_is_in_review() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let editor = kb.get_as("/agent/edit?slug=billing/refunds", &ana).await;
    assert_eq!(editor.status, StatusCode::OK, "{}", editor.body);
    assert!(
        editor.body.contains("We refund yearly plans"),
        "editor holds the live Markdown"
    );
    assert!(
        kb.state()
            .store
            .open_revision("billing/refunds", "en")
            .unwrap()
            .is_none(),
        "opening the editor (a GET) writes nothing"
    );
    let fields = [
        ("title", "Refund policy"),
        ("category", "billing"),
        ("tags", "refund, money back"),
        ("summary", "When and how we refund subscription charges."),
        ("visibility", "public"),
        (
            "body",
            "We refund every plan within 30 days: numbatrefund.\n",
        ),
    ];
    let r = kb
        .post_as("/agent/edit?slug=billing/refunds", &ana, &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.revision_id();
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    assert!(
        kb.get("/articles/billing/refunds")
            .await
            .body
            .contains("We refund yearly plans"),
        "live version unchanged"
    );
    assert!(kb.search("numbatrefund").is_empty());
    let review = kb.get_as(&format!("/agent/revisions/{id}"), &bo).await;
    assert!(
        review.body.contains("numbatrefund"),
        "the review page shows the change"
    );
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    assert_eq!(
        kb.post_as(&format!("/agent/revisions/{id}/publish"), &bo, &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(kb.search("numbatrefund"), ["billing/refunds"]);
    let history = kb
        .get_as("/agent/history?slug=billing/refunds&locale=en", &ana)
        .await;
    assert!(
        history.body.contains(&format!("/agent/revisions/{id}")),
        "{}",
        history.body
    );
}

#[tokio::test]
async fn pages_need_the_right_role_and_forms_need_the_csrf_token() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let root = kb.agent("root", Role::Admin);
    let refused = kb.get_as("/agent/accounts", &ana).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    for part in ["Access denied", "/agent/logout", "Back to the dashboard"] {
        assert!(refused.body.contains(part), "{part}: {}", refused.body);
    }
    assert!(!refused.body.contains("contact our support team"));
    assert_eq!(
        kb.get_as("/agent/accounts", &root).await.status,
        StatusCode::OK
    );
    let r = kb
        .post_as(
            "/agent/accounts",
            &ana,
            &[
                ("name", "eve"),
                ("email", "eve@example.com"),
                ("role", "admin"),
                ("password", "0123456789ab"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents cannot create accounts"
    );

    // No token, a wrong token, or no session at all.
    let body = serde_urlencoded::to_string(NEW_ARTICLE).unwrap();
    assert_eq!(
        kb.post_raw("/agent/articles/new", Some(&ana.cookie), &body)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let forged = format!("csrf=forged&{body}");
    assert_eq!(
        kb.post_raw("/agent/articles/new", Some(&ana.cookie), &forged)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let with_token = format!("csrf={}&{body}", ana.csrf);
    assert_eq!(
        kb.post_raw("/agent/articles/new", None, &with_token)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(kb.state().store.drafts_of(1).unwrap().is_empty());
}

#[tokio::test]
async fn path_traversal_slugs_are_refused() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    for slug in [
        "../../etc/passwd",
        "billing/../../x",
        "UPPER/case",
        ".hidden/x",
    ] {
        let mut fields: Vec<(&str, &str)> = NEW_ARTICLE
            .iter()
            .filter(|(k, _)| *k != "slug")
            .cloned()
            .collect();
        fields.push(("slug", slug));
        let r = kb.post_as("/agent/articles/new", &ana, &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{slug}: {}", r.body);
        assert!(r.body.contains("not a valid slug"), "{slug}");
    }
    assert_eq!(
        kb.get_as("/agent/edit?slug=../../etc/passwd", &ana)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(!kb.dir.path().join("etc").exists());
}

#[tokio::test]
async fn concurrent_edits_conflict_instead_of_losing_one() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let id = create(&mut kb, &ana).await;
    let version = kb.state().store.revision(id).unwrap().version;
    let put = |agent: &Agent, body: &str| {
        axum::http::Request::put(format!("/agent/revisions/{id}"))
            .header("cookie", &agent.cookie)
            .header("x-csrf-token", &agent.csrf)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                serde_json::json!({ "version": version, "title": "Gift cards", "slug": "billing/gift-cards", "category": "billing", "visibility": "public", "body": body }).to_string(),
            ))
            .unwrap()
    };
    let first = kb.request(put(&ana, "ana's text")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["version"], version + 1);
    let second = kb.request(put(&bo, "bo's text")).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert_eq!(
        second.json()["theirs"]["body"],
        "ana's text",
        "the other edit comes back to the editor"
    );
    assert_eq!(
        kb.state().store.revision(id).unwrap().fields.body,
        "ana's text",
        "nothing overwritten"
    );

    // The form path says the same and keeps the user's text on the page.
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/edit"),
            &bo,
            &[
                ("version", &version.to_string()),
                ("title", "Gift cards"),
                ("category", "billing"),
                ("visibility", "public"),
                ("body", "bo again"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("bo again") && r.body.contains("ana&#39;s text"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn internal_articles_are_for_signed_in_agents_only() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    assert_eq!(
        kb.get("/articles/internal/escalation").await.status,
        StatusCode::NOT_FOUND
    );
    let page = kb.get_as("/articles/internal/escalation", &ana).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("href=\"/agent/edit?slug=internal%2Fescalation&amp;locale=en\""),
        "agents get an edit link"
    );
    assert!(
        !kb.get("/articles/billing/refunds")
            .await
            .body
            .contains("/agent/edit"),
        "customers do not"
    );
    let r = kb.get_as("/search?q=zebracorn", &ana).await;
    assert!(
        r.body.contains("Zebracorn escalation runbook"),
        "agents find internal articles"
    );
    assert!(!kb
        .get("/search?q=zebracorn")
        .await
        .body
        .contains("Zebracorn escalation"));
    let api = kb
        .get_as("/api/v1/articles/internal/escalation", &ana)
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(
        kb.get_as("/api/v1/suggest?q=zebra", &ana).await.json()["suggestions"],
        serde_json::json!([]),
        "never in suggestions"
    );
    assert!(!kb
        .get("/sitemap.xml")
        .await
        .body
        .contains("internal/escalation"));
}

#[tokio::test]
async fn hand_edits_show_as_unreviewed_until_someone_reviews_them() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Lead);
    let bo = kb.agent("bo", Role::Agent);
    let dash = kb.get_as("/agent", &ana).await;
    assert!(
        dash.body
            .contains("review-live?slug=billing%2Frefunds&amp;locale=en"),
        "fixture files were never reviewed: {}",
        dash.body
    );
    let r = kb
        .post_as(
            "/agent/articles/review-live?slug=billing%2Frefunds&locale=en",
            &ana,
            &[],
        )
        .await;
    let id = r.revision_id();
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    let dash = kb.get_as("/agent", &ana).await;
    assert!(
        !dash
            .body
            .contains("review-live?slug=billing%2Frefunds&amp;locale=en"),
        "reviewed content is no longer flagged"
    );

    kb.write(
        "billing/refunds.md",
        "---\ntitle: Refund policy\n---\nHand edit without review.\n",
    );
    kb.library()
        .apply_paths(&["billing/refunds.md".to_string()])
        .unwrap();
    let dash = kb.get_as("/agent", &ana).await;
    assert!(
        dash.body
            .contains("review-live?slug=billing%2Frefunds&amp;locale=en"),
        "a hand edit is flagged again"
    );
}

#[tokio::test]
async fn stale_articles_are_listed_until_verified() {
    let mut kb = TestKb::new();
    kb.write("billing/old.md", "---\ntitle: Old pricing\nupdated: 2020-01-01\nreview_every: 30d\nauthor: ana\n---\nOld text.\n");
    let ana = kb.agent("ana", Role::Agent);
    let dash = kb.get_as("/agent", &ana).await;
    assert!(dash.body.contains("Old pricing"), "{}", dash.body);
    assert!(dash.body.contains("verify?slug=billing%2Fold"));
    let r = kb
        .post_as(
            "/agent/articles/verify?slug=billing%2Fold&locale=en",
            &ana,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let dash = kb.get_as("/agent", &ana).await;
    assert!(
        !dash.body.contains("verify?slug=billing%2Fold"),
        "verified articles are not stale"
    );
}

#[tokio::test]
async fn history_diff_and_restore() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let first = create(&mut kb, &ana).await;
    kb.post_as(&format!("/agent/revisions/{first}/submit"), &ana, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{first}/approve"), &bo, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{first}/publish"), &ana, &[])
        .await;
    let second = kb
        .post_as(
            "/agent/edit?slug=billing/gift-cards",
            &bo,
            &[
                ("title", "Gift cards"),
                ("category", "billing"),
                ("visibility", "public"),
                ("body", "Cards expire after a year.\n"),
            ],
        )
        .await
        .revision_id();
    let diff = kb
        .get_as(&format!("/agent/diff?from={first}&to={second}"), &ana)
        .await;
    assert_eq!(diff.status, StatusCode::OK);
    assert!(
        diff.body.contains("Cards expire after a year.")
            && diff.body.contains("Cards never expire."),
        "{}",
        diff.body
    );
    kb.post_as(&format!("/agent/revisions/{second}/discard"), &bo, &[])
        .await;
    let r = kb
        .post_as(&format!("/agent/revisions/{first}/restore"), &ana, &[])
        .await;
    let restored = r.revision_id();
    assert_ne!(restored, first);
    assert_eq!(
        kb.state().store.revision(restored).unwrap().fields.body,
        NEW_ARTICLE[6].1
    );
}

/// A webhook receiver on loopback that fails its first `fail` requests.
async fn receiver(
    fail: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let got: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let (g, s) = (got.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                if s.fetch_add(1, Ordering::SeqCst) < fail {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                g.lock()
                    .unwrap()
                    .push((h("x-deflect-event"), h("x-deflect-signature"), body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_events_reach_the_webhook_signed_and_retried() {
    let (url, got) = receiver(2).await;
    let mut kb = TestKb::new();
    kb.config.notify.webhooks = vec![url];
    kb.config.notify.secret = "s3cret".into();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let id = create(&mut kb, &ana).await;
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    kb.post_as(
        &format!("/agent/revisions/{id}/request-changes"),
        &bo,
        &[("body", "Add the expiry date.")],
    )
    .await;
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the workflow never waits for the webhook"
    );

    let state = kb.state();
    let notifier = state.workflow.notifier.clone();
    let store = state.store.clone();
    // The receiver fails twice: deliver, let the backoff pass, deliver again.
    let delivered = tokio::task::spawn_blocking(move || {
        let mut total = 0;
        for _ in 0..3 {
            total += notifier.deliver_due().unwrap();
            store.read(|c| Ok(c.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE delivered_at IS NULL", ())?)).unwrap();
        }
        total
    })
    .await
    .unwrap();
    assert_eq!(delivered, 5);
    let got = got.lock().unwrap();
    let mut events: Vec<&str> = got.iter().map(|(e, _, _)| e.as_str()).collect();
    events.sort();
    // Each event exactly once (retries reorder the first two).
    assert_eq!(
        events,
        [
            "approved",
            "changes_requested",
            "published",
            "review_requested",
            "review_requested"
        ]
    );
    for (_, signature, body) in got.iter() {
        assert_eq!(
            *signature,
            deflect::outbox::sign("s3cret", body.as_bytes()),
            "signed body"
        );
    }
    assert!(kb.state().store.undelivered().unwrap().is_empty());
}

#[tokio::test]
async fn publishing_commits_to_git_with_reviewed_by_trailers() {
    let mut kb = TestKb::new();
    let dir = kb.articles().to_path_buf();
    let git = |args: &[&str]| crate::harness::git(&dir, args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "start"]);
    kb.config.publish.git_commit = true;
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let id = create(&mut kb, &ana).await;
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    let log = git(&["log", "-1", "--format=%an <%ae>%n%B"]);
    assert!(
        log.starts_with("ana <ana@example.com>\nPublish billing/gift-cards: Gift cards"),
        "{log}"
    );
    assert!(log.contains("Reviewed-by: bo <bo@example.com>"), "{log}");
    assert_eq!(git(&["status", "--porcelain"]), "", "everything committed");
}

/// The editor's fields with `changes` applied (a key not there is added).
fn form_with<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = NEW_ARTICLE
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    fields.extend_from_slice(changes);
    fields
}

#[tokio::test]
async fn a_first_article_from_the_editor_slug_from_title_renamed_then_submitted() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    kb.agent("bo", Role::Agent);

    // The form marks what is required and offers submitting from the editor.
    let page = kb.get_as("/agent/articles/new", &ana).await;
    for part in [
        "(required)",
        "data-slug-auto=\"on\"",
        "name=\"then\" value=\"submit\"",
        "value=\"bo\"",
    ] {
        assert!(page.body.contains(part), "{part}");
    }

    // No slug and no title: a human message, no raw backticks.
    let r = kb
        .post_as(
            "/agent/articles/new",
            &ana,
            &form_with(&[("slug", ""), ("title", "")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("the title is empty"), "{}", r.body);
    let r = kb
        .post_as(
            "/agent/articles/new",
            &ana,
            &form_with(&[("slug", ""), ("title", "¿¡")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("the slug is empty"), "{}", r.body);
    assert!(!r.body.contains("``"), "{}", r.body);

    // An empty slug takes the one the title suggests.
    let r = kb
        .post_as(
            "/agent/articles/new",
            &ana,
            &form_with(&[("slug", ""), ("title", "Gift cards: réglées & returned")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.revision_id();
    let state = kb.state();
    assert_eq!(
        state.store.revision(id).unwrap().slug,
        "billing/gift-cards-reglees-returned"
    );

    // Never published: the slug is still editable, and a save moves it.
    let editor = kb
        .get_as(&format!("/agent/revisions/{id}/edit"), &ana)
        .await;
    assert!(!editor.body.contains("id=\"ed-slug\" name=\"slug\" type=\"text\" value=\"billing/gift-cards-reglees-returned\" readonly"));
    assert!(editor.body.contains("until the article is first published"));
    let version = state.store.revision(id).unwrap().version.to_string();
    let taken = kb
        .post_as(
            &format!("/agent/revisions/{id}/edit"),
            &ana,
            &form_with(&[("version", &version), ("slug", "billing/refunds")]),
        )
        .await;
    assert_eq!(
        taken.status,
        StatusCode::BAD_REQUEST,
        "a live article's slug"
    );
    assert!(taken.body.contains("exists already"), "{}", taken.body);

    // Save and submit, with an empty body: saved, not submitted, told why.
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/edit"),
            &ana,
            &form_with(&[
                ("version", &version),
                ("slug", "billing/gift-cards"),
                ("body", " "),
                ("then", "submit"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("Draft saved, but not submitted for review"),
        "{}",
        r.body
    );
    let rev = state.store.revision(id).unwrap();
    assert_eq!(
        (rev.slug.as_str(), rev.path.as_str()),
        ("billing/gift-cards", "billing/gift-cards.md")
    );
    assert_eq!(rev.state.as_str(), "draft");

    // Save and submit naming bo: on to the review page, bo asked.
    let version = rev.version.to_string();
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/edit"),
            &ana,
            &form_with(&[
                ("version", &version),
                ("slug", "billing/gift-cards"),
                ("reviewers", "bo"),
                ("then", "submit"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        format!("/agent/revisions/{id}?done=submitted")
    );
    assert_eq!(
        state.store.revision(id).unwrap().state.as_str(),
        "in_review"
    );
    assert_eq!(state.store.requested_reviewers(id).unwrap(), ["bo"]);

    // An edit of a live article keeps its address.
    let live = kb
        .get_as("/agent/edit?slug=billing/refunds&locale=en", &ana)
        .await;
    assert!(live.body.contains("readonly"), "{}", live.body);
    assert!(live.body.contains("customers&#39; links point to it"));
}

/// A publication never overwrites a live file that changed after its
/// revision began (another replica's publication arriving through git sync,
/// or a hand edit): it is refused with a way on, and the file is kept.
#[tokio::test]
async fn publishing_over_a_live_article_that_changed_since_is_refused() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let fields = [
        ("title", "Refund policy"),
        ("category", "billing"),
        ("tags", "refund"),
        ("summary", "When and how we refund subscription charges."),
        ("visibility", "public"),
        ("body", "We refund every plan within 30 days.\n"),
    ];
    let r = kb
        .post_as("/agent/edit?slug=billing/refunds", &ana, &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.revision_id();
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    let file = kb.articles().join("billing/refunds.md");
    let theirs = std::fs::read_to_string(&file)
        .unwrap()
        .replace("We refund", "We refund (changed elsewhere)");
    std::fs::write(&file, &theirs).unwrap();

    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("live article changed since"), "{}", r.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs);
}
