//! The built-in ticket inbox end to end, on the real router and store: a
//! ticket with no delivery channel is found in the inbox (and the outbox page
//! says so), list filters and search, the ticket page's view of the
//! customer's visit, assign/solve/reopen behind CSRF, the CSV export's
//! formula guard, reply by email (refused without SMTP, sent through a fake
//! SMTP server with it), post/redirect/get on the contact form,
//! `Idempotency-Key` on the API, and through the real binary `deflect mine
//! --from-store` and the warning `deflect serve` gives when tickets have no
//! delivery channel.

use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use deflect::store::{NewTicket, Role, Store, TicketStatus};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::deflection::{cookies_of, events, get_with, smtp_sink, submit, TICKET};
use crate::harness::{copy_dir, Agent, TestKb};

/// A ticket as the contact form would store it.
fn new_ticket(subject: &str, description: &str, email: &str, category: Option<&str>) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: description.into(),
        email: email.into(),
        category: category.map(String::from),
        locale: "en".into(),
        session: None,
        source: "web".into(),
        article: None,
    }
}

/// Stores a ticket straight in the store; its id.
fn store_ticket(store: &Store, t: &NewTicket) -> i64 {
    store
        .create_ticket(t, None, &[], |_| String::new())
        .unwrap()
        .0
        .id
}

/// The ticket ids a list page links to, in order.
fn listed(body: &str) -> Vec<i64> {
    body.match_indices("href=\"/agent/tickets/")
        .filter_map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

#[tokio::test]
async fn with_no_channel_the_ticket_is_in_the_inbox_and_the_outbox_says_so() {
    let mut kb = TestKb::new();
    assert!(kb.config.tickets.destinations().is_empty());
    let cookies = cookies_of(&kb.get("/contact").await);
    let r = submit(&mut kb, &cookies, TICKET).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let lead = kb.agent("lena", Role::Lead);

    let inbox = kb.get_as("/agent/tickets", &lead).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert!(inbox.body.contains("Charged twice"), "{}", inbox.body);
    assert!(inbox.body.contains("customer@example.com"));
    assert!(inbox.body.contains("No help desk or email is connected"));
    assert_eq!(listed(&inbox.body), [1]);

    let outbox = kb.get_as("/agent/outbox", &lead).await;
    assert_eq!(outbox.status, StatusCode::OK);
    assert!(
        !outbox.body.contains("Every ticket has been delivered"),
        "{}",
        outbox.body
    );
    assert!(outbox.body.contains("No delivery channel is configured"));
    assert!(outbox.body.contains("href=\"/agent/tickets\""));

    let dashboard = kb.get_as("/agent", &lead).await;
    assert!(
        dashboard.body.contains(
            "<span class=\"stat__value\">1</span> <span class=\"stat__label\">New tickets</span>"
        ),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains("href=\"/agent/tickets\""),
        "nav link"
    );

    // Signed out: the sign-in page, not the tickets.
    let anon = kb.get("/agent/tickets").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/agent/login"));
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let mut kb = TestKb::new();
    let agent = kb.agent("ana", Role::Agent);
    let store = kb.state().store.clone();
    let me = store.account_by_name("ana").unwrap().unwrap().id;
    let refund = store_ticket(
        &store,
        &new_ticket(
            "Refund please",
            "I was charged twice for May.",
            "pay@example.com",
            Some("billing"),
        ),
    );
    let login = store_ticket(
        &store,
        &new_ticket(
            "Cannot sign in",
            "The reset link 100% fails.",
            "who@corp.example",
            Some("account"),
        ),
    );
    let done = store_ticket(
        &store,
        &new_ticket(
            "Invoice copy",
            "Where is the invoice for June?",
            "inv@example.com",
            Some("billing"),
        ),
    );
    store.assign_ticket(login, Some(me), me).unwrap();
    store
        .set_ticket_status(done, TicketStatus::Solved, me)
        .unwrap();

    let ids = |r: crate::harness::Reply| {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        listed(&r.body)
    };
    assert_eq!(
        ids(kb.get_as("/agent/tickets", &agent).await),
        [done, login, refund]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?status=new", &agent).await),
        [refund]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?status=open", &agent).await),
        [login],
        "assigning opens"
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?status=solved", &agent).await),
        [done]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?assignee=ana", &agent).await),
        [login]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?assignee=none", &agent).await),
        [done, refund]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?category=billing", &agent).await),
        [done, refund]
    );
    assert_eq!(
        ids(kb
            .get_as("/agent/tickets?category=billing&status=new", &agent)
            .await),
        [refund]
    );
    // Search looks in the subject, the description and the email, and takes
    // `%` literally.
    assert_eq!(
        ids(kb.get_as("/agent/tickets?q=INVOICE", &agent).await),
        [done]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?q=charged+twice", &agent).await),
        [refund]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?q=corp.example", &agent).await),
        [login]
    );
    assert_eq!(
        ids(kb.get_as("/agent/tickets?q=100%25", &agent).await),
        [login]
    );
    assert!(ids(kb.get_as("/agent/tickets?q=%25%25", &agent).await).is_empty());

    for bad in ["status=closed", "assignee=nobody-here", "page=0"] {
        let r = kb.get_as(&format!("/agent/tickets?{bad}"), &agent).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }

    // 25 a page: 28 tickets make two pages, the filters kept in the links.
    for i in 0..25 {
        store_ticket(
            &store,
            &new_ticket(
                &format!("Question {i}"),
                "Something about billing.",
                "q@example.com",
                Some("billing"),
            ),
        );
    }
    let first = kb.get_as("/agent/tickets?category=billing", &agent).await;
    assert_eq!(listed(&first.body).len(), 25);
    assert!(first.body.contains("Page 1 of 2"), "{}", first.body);
    assert!(first
        .body
        .contains("href=\"/agent/tickets?category=billing&amp;page=2\""));
    let second = kb
        .get_as("/agent/tickets?category=billing&page=2", &agent)
        .await;
    assert_eq!(listed(&second.body), [done, refund]);
}

#[tokio::test]
async fn the_ticket_page_shows_what_the_customer_searched_and_read() {
    let mut kb = TestKb::new();
    let home = kb.get("/").await;
    let cookies = cookies_of(&home);
    get_with(&mut kb, "/search?q=refund+policy", &cookies).await;
    get_with(
        &mut kb,
        "/articles/billing/refunds?from=search&q=refund+policy&rank=1",
        &cookies,
    )
    .await;
    let contact = get_with(&mut kb, "/contact", &cookies).await;
    let cookies = format!("{cookies}; {}", cookies_of(&contact));
    let r = submit(&mut kb, &cookies, TICKET).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    events(&mut kb); // written

    let agent = kb.agent("ana", Role::Agent);
    let page = kb.get_as("/agent/tickets/1", &agent).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("My card was charged twice for the yearly plan."));
    assert!(body.contains("Searched"), "{body}");
    assert!(
        body.contains("<q class=\"journey__query\">refund policy</q>"),
        "{body}"
    );
    assert!(body.contains("Read"));
    assert!(
        body.contains(">billing/refunds</a>"),
        "the article read: {body}"
    );
    assert!(body.contains("Opened the contact form"));
    // Suggestions recomputed for the ticket's text from the public index.
    let suggested = &body[body.find("id=\"suggested-title\"").expect("suggestions")..];
    assert!(
        suggested.contains("href=\"/articles/billing/refunds\""),
        "{suggested}"
    );

    for missing in ["/agent/tickets/99", "/agent/tickets/abc"] {
        let r = kb.get_as(missing, &agent).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn assign_solve_and_reopen_need_csrf_and_get_changes_nothing() {
    let mut kb = TestKb::new();
    let agent = kb.agent("ana", Role::Agent);
    kb.agent("ben", Role::Agent);
    let store = kb.state().store.clone();
    let id = store_ticket(
        &store,
        &new_ticket(
            "Refund please",
            "I was charged twice.",
            "c@example.com",
            None,
        ),
    );
    let status = |store: &Store| store.ticket(id).unwrap().unwrap().status;

    // No token, a wrong token: 403 and nothing changes.
    let url = format!("/agent/tickets/{id}/solve");
    let r = kb.post_raw(&url, Some(&agent.cookie), "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let forged = Agent {
        csrf: "not-the-token".into(),
        ..agent.clone()
    };
    assert_eq!(
        kb.post_as(&url, &forged, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // GET never acts.
    let r = kb.get_as(&url, &agent).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(status(&store), TicketStatus::New);

    let r = kb
        .post_as(
            &format!("/agent/tickets/{id}/assign"),
            &agent,
            &[("assignee", "ben")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = store.ticket(id).unwrap().unwrap();
    assert_eq!(
        (t.assignee.as_deref(), t.status),
        (Some("ben"), TicketStatus::Open)
    );
    let r = kb
        .post_as(
            &format!("/agent/tickets/{id}/assign"),
            &agent,
            &[("assignee", "nobody-here")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = kb.post_as(&url, &agent, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        format!("/agent/tickets/{id}?done=ticket_solved")
    );
    let t = store.ticket(id).unwrap().unwrap();
    assert_eq!(t.status, TicketStatus::Solved);
    assert!(t.solved_at.is_some());
    let page = kb.get_as(r.location(), &agent).await;
    assert!(page.body.contains("Ticket solved."), "{}", page.body);
    assert!(page.body.contains("Reopen"));
    assert_eq!(
        kb.post_as(&url, &agent, &[]).await.status,
        StatusCode::CONFLICT,
        "solved twice"
    );

    let r = kb
        .post_as(&format!("/agent/tickets/{id}/reopen"), &agent, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let t = store.ticket(id).unwrap().unwrap();
    assert_eq!((t.status, t.solved_at), (TicketStatus::Open, None));
    let r = kb
        .post_as(&format!("/agent/tickets/{id}/close"), &agent, &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let audit: Vec<String> = store
        .read(|c| {
            Ok(c.query_map(
                "SELECT action || ':' || detail FROM audit WHERE subject = ?1 ORDER BY id",
                [format!("ticket #{id}")],
                |r| r.get::<String>(0),
            )?)
        })
        .unwrap();
    assert_eq!(
        audit,
        ["ticket_assigned:ben", "ticket_solved:", "ticket_open:"]
    );
}

#[tokio::test]
async fn the_csv_export_keeps_the_filters_and_defuses_formulas() {
    let mut kb = TestKb::new();
    let agent = kb.agent("ana", Role::Agent);
    let store = kb.state().store.clone();
    store_ticket(
        &store,
        &new_ticket(
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1 cell that looks like a sum",
            "@a@example.com",
            Some("billing"),
        ),
    );
    store_ticket(
        &store,
        &new_ticket(
            "Login help",
            "Cannot sign in at all.",
            "b@example.com",
            Some("account"),
        ),
    );

    let r = kb.get_as("/agent/tickets.csv", &agent).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("tickets.csv"));
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(r.body.as_bytes())
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    let evil = &rows[1];
    assert_eq!(&evil[6], "'=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(&evil[7], "'+1 cell that looks like a sum");
    assert_eq!(&evil[4], "'@a@example.com");
    assert_eq!(&rows[0][6], "Login help", "plain text untouched");

    let r = kb
        .get_as("/agent/tickets.csv?category=account", &agent)
        .await;
    let n = csv::Reader::from_reader(r.body.as_bytes())
        .records()
        .count();
    assert_eq!(n, 1);
    let anon = kb.get("/agent/tickets.csv").await;
    assert_eq!(
        anon.status,
        StatusCode::SEE_OTHER,
        "signed out: sign in first"
    );
}

#[tokio::test]
async fn the_contact_form_redirects_and_a_reload_sends_nothing_twice() {
    let mut kb = TestKb::new();
    let cookies = cookies_of(&kb.get("/contact").await);
    let r = submit(&mut kb, &cookies, TICKET).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sent = r.location().to_string();
    assert!(sent.starts_with("/contact/sent/1-"), "{sent}");
    for _ in 0..2 {
        let page = get_with(&mut kb, &sent, &cookies).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("#1") && page.body.contains("customer@example.com"));
    }
    assert_eq!(kb.state().store.ticket_count().unwrap(), 1);
    // Another browser (or a guessed link) sees no one's email.
    let stranger = kb.get(&sent).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert!(!stranger.body.contains("customer@example.com"));
    let forged = get_with(&mut kb, "/contact/sent/1-0000", &cookies).await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
}

/// `POST /api/v1/tickets` with an `Idempotency-Key`.
fn api_ticket(key: Option<&str>) -> Request<Body> {
    let mut req = Request::post("/api/v1/tickets").header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let body = serde_json::json!({ "subject": "Where is my invoice", "description": "I cannot find the invoice for May.", "email": "c@example.com" });
    req.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_makes_one_ticket() {
    let mut kb = TestKb::new();
    kb.config.tickets.per_ip_per_hour = 100;
    let first = kb.request(api_ticket(Some("order-7-attempt"))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = kb.request(api_ticket(Some("order-7-attempt"))).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["created_at"], first.json()["created_at"]);
    let other = kb.request(api_ticket(Some("order-8-attempt"))).await;
    assert_eq!(other.status, StatusCode::CREATED);
    let none = kb.request(api_ticket(None)).await;
    assert_eq!(none.status, StatusCode::CREATED);
    let store = kb.state().store.clone();
    assert_eq!(store.ticket_count().unwrap(), 3);

    // Ten at once with one key: one ticket, every answer naming it.
    let router = deflect::web::router(kb.state());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let router = router.clone();
            tokio::spawn(async move {
                let res = router
                    .oneshot(api_ticket(Some("burst-key-1")))
                    .await
                    .unwrap();
                let status = res.status();
                let bytes = res.into_body().collect().await.unwrap().to_bytes();
                let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                (status, body["id"].as_i64().unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert_eq!(store.ticket_count().unwrap(), 4);
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(
        answers.iter().all(
            |(s, id)| (*s == StatusCode::CREATED || *s == StatusCode::OK) && *id == answers[0].1
        ),
        "{answers:?}"
    );

    for bad in ["", "has space", &"k".repeat(201)] {
        let r = kb.request(api_ticket(Some(bad))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.body);
        assert!(r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"));
    }
}

#[tokio::test]
async fn a_confirmation_link_cannot_be_forged_from_a_chosen_cookie() {
    let mut kb = TestKb::new();
    let store = kb.state().store.clone();
    let id = store_ticket(
        &store,
        &new_ticket(
            "Charged twice",
            "My card was charged twice.",
            "victim@example.com",
            None,
        ),
    );
    // An attacker picks the form cookie and signs the link with it alone.
    let cookie = "a".repeat(64);
    let mac = deflect::outbox::sign(&cookie, format!("contact-sent:{id}").as_bytes());
    let proof = &mac.trim_start_matches("sha256=")[..32];
    let r = kb
        .request(
            Request::get(format!("/contact/sent/{id}-{proof}"))
                .header("cookie", format!("deflect_form={cookie}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(!r.body.contains("victim@example.com"));
}

#[tokio::test]
async fn a_retry_with_its_key_gets_its_ticket_even_at_the_limit() {
    let mut kb = TestKb::new();
    kb.config.tickets.per_ip_per_hour = 1;
    let first = kb.request(api_ticket(Some("order-9"))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let another = kb.request(api_ticket(None)).await;
    assert_eq!(
        another.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        another.body
    );
    let retry = kb.request(api_ticket(Some("order-9"))).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert_eq!(retry.json()["id"], first.json()["id"]);
    assert_eq!(kb.state().store.ticket_count().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_need_smtp_and_go_to_the_customer_by_email() {
    // Without SMTP: the form says so and is disabled; a POST is refused.
    let mut kb = TestKb::new();
    let agent = kb.agent("ana", Role::Agent);
    let store = kb.state().store.clone();
    let id = store_ticket(
        &store,
        &new_ticket(
            "Refund please",
            "I was charged twice.",
            "cust@example.com",
            None,
        ),
    );
    let page = kb.get_as(&format!("/agent/tickets/{id}"), &agent).await;
    assert!(
        page.body.contains("no SMTP server is configured"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<fieldset class=\"fieldset ticket-reply\" disabled"));
    let r = kb
        .post_as(
            &format!("/agent/tickets/{id}/reply"),
            &agent,
            &[("body", "Refunded today.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("no SMTP server is configured"),
        "{}",
        r.body
    );
    assert!(store.ticket_replies(id).unwrap().is_empty());

    // With SMTP: stored, queued, delivered to the customer; the ticket opens.
    let (port, mail) = smtp_sink();
    let mut kb = TestKb::new();
    kb.config.tickets.smtp_host = "127.0.0.1".into();
    kb.config.tickets.smtp_port = port;
    kb.config.tickets.smtp_security = deflect::config::SmtpSecurity::None;
    kb.config.tickets.smtp_from = "help@example.com".into();
    let agent = kb.agent("ana", Role::Agent);
    let store = kb.state().store.clone();
    let id = store_ticket(
        &store,
        &new_ticket(
            "Refund please",
            "I was charged twice.",
            "cust@example.com",
            None,
        ),
    );
    let url = format!("/agent/tickets/{id}/reply");
    assert_eq!(
        kb.post_as(&url, &agent, &[("body", "")]).await.status,
        StatusCode::BAD_REQUEST
    );
    let r = kb
        .post_as(
            &url,
            &agent,
            &[("body", "We refunded the second charge today.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        store.ticket(id).unwrap().unwrap().status,
        TicketStatus::Open
    );
    let notifier = kb.state().workflow.notifier.clone();
    let n = tokio::task::spawn_blocking(move || notifier.deliver_due().unwrap())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let data = mail.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(data.contains("To: cust@example.com"), "{data}");
    assert!(
        data.contains("Subject: Re: [Ticket #1] Refund please"),
        "{data}"
    );
    assert!(
        data.contains("We refunded the second charge today."),
        "{data}"
    );
    let replies = store.ticket_replies(id).unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].author, "ana");
    assert!(replies[0].delivered_at.is_some());
    let page = kb.get_as(&format!("/agent/tickets/{id}"), &agent).await;
    assert!(page.body.contains("We refunded the second charge today."));
    assert!(page.body.contains("Sent"));
}

/// `deflect mine --from-store --since 90d` with the store at `store`.
fn mine_from_store(kb: &TestKb, store: &deflect::config::StoreLocation) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["mine", "--from-store", "--since", "90d", "--out"])
        .arg(kb.dir.path().join("out"))
        .arg("--articles")
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .current_dir(kb.dir.path())
        .env_remove("DEFLECT_LOG")
        .env("DEFLECT_STORE", store)
        .output()
        .expect("run deflect mine")
}

#[test]
fn mine_from_store_reads_the_solved_tickets_of_the_window() {
    let kb = TestKb::empty();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mining");
    copy_dir(&fixtures.join("articles"), kb.articles());

    // An empty store is a clear error.
    let out = mine_from_store(&kb, &kb.config.store);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no solved tickets"), "{stderr}");

    let store = Store::open(&kb.config.store).unwrap();
    let me = store
        .create_account(
            "lena",
            "lena@example.com",
            Role::Lead,
            "correct horse battery",
        )
        .unwrap()
        .id;
    let mut export = csv::Reader::from_path(fixtures.join("zendesk.csv")).unwrap();
    let mut solved = 0;
    for row in export.records() {
        let row = row.unwrap();
        let id = store_ticket(&store, &new_ticket(&row[2], &row[3], "c@example.com", None));
        store
            .set_ticket_status(id, TicketStatus::Solved, me)
            .unwrap();
        solved += 1;
    }
    // Not solved, or solved but older than the window: not mined.
    store_ticket(
        &store,
        &new_ticket(
            "Still open zebra",
            "An open zebra question.",
            "o@example.com",
            None,
        ),
    );
    let old = store_ticket(
        &store,
        &new_ticket(
            "Ancient giraffe",
            "A giraffe from last year.",
            "g@example.com",
            None,
        ),
    );
    store
        .set_ticket_status(old, TicketStatus::Solved, me)
        .unwrap();
    store
        .write(|tx| {
            tx.execute(
                "UPDATE tickets SET created_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
                [old],
            )?;
            Ok(())
        })
        .unwrap();
    drop(store);

    let out = mine_from_store(&kb, &kb.config.store);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("read {solved} solved tickets from the store")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("used {solved} tickets, skipped 0")),
        "{stdout}"
    );
    let dir = kb.dir.path().join("out");
    let written = std::fs::read_to_string(dir.join("store-tickets.csv")).unwrap();
    assert!(!written.contains("zebra") && !written.contains("giraffe"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["topics"].as_array().unwrap().len(),
        3,
        "the fixture's three topics"
    );
}

#[test]
fn serve_warns_at_start_when_tickets_have_nowhere_to_go() {
    use std::io::BufRead;
    let kb = TestKb::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["serve", "--addr", "127.0.0.1:0", "--articles"])
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .current_dir(kb.dir.path())
        .env_remove("DEFLECT_LOG")
        .env("DEFLECT_STORE", &kb.config.store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start deflect serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let warning = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("no ticket delivery channel") => break Some(line),
            Ok(line) => seen.push(line),
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let warning = warning.unwrap_or_else(|| panic!("no warning; stderr: {}", seen.join("\n")));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("/agent/tickets"), "{warning}");
}
