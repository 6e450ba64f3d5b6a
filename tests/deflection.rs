//! Deflection: the contact form, the ticket outbox (webhook and email,
//! retried, surviving a crash), event capture and `/metrics`, on the real
//! router, store and server.

use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use deflect::analytics::Event;

use crate::harness::{wait_until, Reply, TestKb};

/// Every event in the store, after the writer caught up.
pub(crate) fn events(kb: &mut TestKb) -> Vec<Event> {
    let state = kb.state();
    assert!(
        state.events.flush(Duration::from_secs(10)),
        "events written"
    );
    let mut out = Vec::new();
    state
        .store
        .scan_events(0, i64::MAX, |e| out.push(e))
        .unwrap();
    out
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

/// GET with cookies, returning the reply and the cookies it set.
pub(crate) async fn get_with(kb: &mut TestKb, uri: &str, cookies: &str) -> Reply {
    kb.request(
        Request::get(uri)
            .header("cookie", cookies)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// `name=value` pairs a response set, joined for a `Cookie` header.
pub(crate) fn cookies_of(r: &Reply) -> String {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn form_token(cookies: &str) -> String {
    cookies
        .split("; ")
        .find_map(|c| c.strip_prefix("deflect_form="))
        .unwrap_or_default()
        .to_string()
}

pub(crate) const TICKET: &[(&str, &str)] = &[
    ("subject", "Charged twice"),
    (
        "description",
        "My card was charged twice for the yearly plan.",
    ),
    ("email", "customer@example.com"),
    ("category", "billing"),
];

pub(crate) async fn submit(kb: &mut TestKb, cookies: &str, fields: &[(&str, &str)]) -> Reply {
    let token = form_token(cookies);
    let mut pairs: Vec<(&str, &str)> = vec![("csrf", &token)];
    pairs.extend_from_slice(fields);
    let body = serde_urlencoded::to_string(pairs).unwrap();
    kb.post_raw("/contact", Some(cookies), &body).await
}

#[tokio::test]
async fn the_visitor_journey_is_recorded_without_personal_data() {
    let mut kb = TestKb::new();
    let home = kb.get("/").await;
    let cookies = cookies_of(&home);
    assert!(
        cookies.contains("deflect_sid="),
        "an anonymous session id: {cookies}"
    );
    let set = home
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" | ");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("deflect_sid=; "),
        "{set}"
    );

    let search = get_with(&mut kb, "/search?q=refund+for+jane%40example.com", &cookies).await;
    assert!(
        search
            .body
            .contains("href=\"/articles/billing/refunds?from=search&amp;q=refund"),
        "result links carry the search: {}",
        search.body
    );
    get_with(
        &mut kb,
        "/articles/billing/refunds?from=search&q=refund&rank=1",
        &cookies,
    )
    .await;
    let evs = events(&mut kb);
    assert_eq!(kinds(&evs), ["search", "click", "view"]);
    assert_eq!(
        evs[0].query.as_deref(),
        Some("refund for [email]"),
        "emails scrubbed"
    );
    assert!(evs[0].results.unwrap() >= 1);
    assert_eq!(
        (evs[1].slug.as_deref(), evs[1].rank),
        (Some("billing/refunds"), Some(1))
    );
    let sid = cookies
        .split("; ")
        .find_map(|c| c.strip_prefix("deflect_sid="))
        .unwrap();
    assert!(evs.iter().all(|e| e.session == sid), "one session");
}

#[tokio::test]
async fn do_not_track_means_no_cookie_and_no_events() {
    let mut kb = TestKb::new();
    let r = kb
        .request(
            Request::get("/search?q=refund")
                .header("dnt", "1")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(!cookies_of(&r).contains("deflect_sid"));
    kb.request(
        Request::get("/articles/billing/refunds")
            .header("sec-gpc", "1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(events(&mut kb).is_empty());
}

#[tokio::test]
async fn contact_form_validates_stores_and_counts() {
    let mut kb = TestKb::new();
    let page = kb
        .get("/contact?article=billing%2Frefunds&subject=Refund+policy")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"website\""), "honeypot field");
    assert!(page.body.contains("Refund policy"), "about the article");
    let cookies = cookies_of(&page);
    assert!(!form_token(&cookies).is_empty());

    let r = submit(
        &mut kb,
        &cookies,
        &[
            ("subject", "x"),
            ("description", "short"),
            ("email", "nope"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for msg in [
        "at least 3 characters",
        "at least 10 characters",
        "name@example.com",
    ] {
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
    }
    let r = kb
        .post_raw(
            "/contact",
            Some(&cookies),
            &serde_urlencoded::to_string(TICKET).unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let mut spam = TICKET.to_vec();
    spam.push(("website", "http://spam.example"));
    assert_eq!(
        submit(&mut kb, &cookies, &spam).await.status,
        StatusCode::BAD_REQUEST,
        "honeypot"
    );
    assert_eq!(kb.state().store.ticket_count().unwrap(), 0);

    let r = submit(&mut kb, &cookies, TICKET).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = get_with(&mut kb, r.location(), &cookies).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("#1") && r.body.contains("customer@example.com"),
        "{}",
        r.body
    );
    let t = kb.state().store.ticket(1).unwrap().unwrap();
    assert_eq!(t.fields.subject, "Charged twice");
    assert_eq!(t.fields.category.as_deref(), Some("billing"));
    assert_eq!(kinds(&events(&mut kb)), ["contact_open", "ticket_submit"]);
}

#[tokio::test]
async fn contact_form_is_rate_limited_per_client() {
    let mut kb = TestKb::new();
    kb.config.tickets.per_ip_per_hour = 2;
    let cookies = cookies_of(&kb.get("/contact").await);
    assert_eq!(
        submit(&mut kb, &cookies, TICKET).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        submit(&mut kb, &cookies, TICKET).await.status,
        StatusCode::SEE_OTHER
    );
    let r = submit(&mut kb, &cookies, TICKET).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("wait an hour"));
}

#[tokio::test]
async fn feedback_votes_and_deflections_are_recorded() {
    let mut kb = TestKb::new();
    let page = kb.get("/articles/billing/refunds").await;
    let cookies = cookies_of(&page);
    assert!(page.body.contains("id=\"feedback\""));
    let token = form_token(&cookies);
    let vote = |helpful: &str, reason: Option<&str>| {
        let mut pairs = vec![("csrf", token.clone()), ("helpful", helpful.to_string())];
        if let Some(r) = reason {
            pairs.push(("reason", r.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap()
    };
    let r = kb
        .post_raw(
            "/feedback?slug=billing%2Frefunds&locale=en",
            Some(&cookies),
            &vote("no", None),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        "/articles/billing/refunds?feedback=reason#feedback"
    );
    let reason_page = get_with(
        &mut kb,
        "/articles/billing/refunds?feedback=reason",
        &cookies,
    )
    .await;
    assert!(
        reason_page.body.contains("value=\"didnt_answer\"")
            && reason_page
                .body
                .contains("/contact?article=billing%2Frefunds"),
        "reasons and a prefilled contact link"
    );
    assert!(
        reason_page.body.contains("name=\"comment\""),
        "a box for the customer's words"
    );
    kb.post_raw(
        "/feedback?slug=billing%2Frefunds&locale=en",
        Some(&cookies),
        &vote("no", Some("outdated")),
    )
    .await;
    // "Something else", in words: kept, with personal data masked.
    let said = serde_urlencoded::to_string([
        ("csrf", token.as_str()),
        ("helpful", "no"),
        ("reason", "other"),
        (
            "comment",
            "  Nothing about gift cards, write to jane@example.com  ",
        ),
    ])
    .unwrap();
    kb.post_raw(
        "/feedback?slug=billing%2Frefunds&locale=en",
        Some(&cookies),
        &said,
    )
    .await;
    let comments: Vec<Option<String>> = events(&mut kb)
        .into_iter()
        .filter(|e| e.kind == deflect::analytics::EventKind::Vote)
        .map(|e| e.comment)
        .collect();
    assert_eq!(
        comments.last().unwrap().as_deref(),
        Some("Nothing about gift cards, write to [email]")
    );
    assert!(comments[..comments.len() - 1].iter().all(Option::is_none));

    let from_contact = get_with(
        &mut kb,
        "/articles/billing/refunds?from=contact&q=charged+twice&rank=1",
        &cookies,
    )
    .await;
    assert!(
        from_contact.body.contains("action=\"/contact/deflected\""),
        "the 'this answered my question' button"
    );
    let body = serde_urlencoded::to_string([("csrf", token.as_str()), ("slug", "billing/refunds")])
        .unwrap();
    let r = kb
        .post_raw("/contact/deflected", Some(&cookies), &body)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let evs = events(&mut kb);
    assert_eq!(
        kinds(&evs),
        [
            "view",
            "vote",
            "view",
            "vote",
            "vote",
            "suggestion_click",
            "view",
            "deflected"
        ]
    );
    assert_eq!(
        (evs[1].helpful, evs[1].reason.as_deref()),
        (Some(false), None)
    );
    assert_eq!(evs[3].reason.as_deref(), Some("outdated"));
    assert_eq!(evs[5].query.as_deref(), Some("charged twice"));
}

/// A webhook receiver on loopback failing its first `fail` requests.
async fn receiver(fail: usize) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let (g, s) = (got.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/tickets",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                if s.fetch_add(1, Ordering::SeqCst) < fail {
                    return StatusCode::BAD_GATEWAY;
                }
                let sig = headers
                    .get("x-deflect-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                g.lock().unwrap().push((sig, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tickets", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_gets_each_ticket_exactly_once_when_it_recovers() {
    let (url, got) = receiver(3).await;
    let mut kb = TestKb::new();
    kb.config.tickets.webhook = url;
    kb.config.tickets.secret = "ticket-secret".into();
    let cookies = cookies_of(&kb.get("/contact").await);
    for _ in 0..2 {
        assert_eq!(
            submit(&mut kb, &cookies, TICKET).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let state = kb.state();
    let (notifier, store) = (state.workflow.notifier.clone(), state.store.clone());
    let delivered = tokio::task::spawn_blocking(move || {
        let mut n = 0;
        for _ in 0..4 {
            n += notifier.deliver_due().unwrap();
            // Skip the backoff instead of sleeping through it.
            store.read(|c| Ok(c.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE delivered_at IS NULL", ())?)).unwrap();
        }
        n
    })
    .await
    .unwrap();
    assert_eq!(delivered, 2);
    let got = got.lock().unwrap();
    let mut ids: Vec<i64> = got
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<serde_json::Value>(b).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, [1, 2], "each ticket once");
    for (sig, body) in got.iter() {
        assert_eq!(
            *sig,
            deflect::outbox::sign("ticket-secret", body.as_bytes())
        );
    }
    assert!(kb.state().store.undelivered_tickets().unwrap().is_empty());
}

#[tokio::test]
async fn leads_see_undelivered_tickets() {
    let mut kb = TestKb::new();
    kb.config.tickets.webhook = "http://127.0.0.1:9/unreachable".into();
    let cookies = cookies_of(&kb.get("/contact").await);
    submit(&mut kb, &cookies, TICKET).await;
    let notifier = kb.state().workflow.notifier.clone();
    tokio::task::spawn_blocking(move || notifier.deliver_due().unwrap())
        .await
        .unwrap();
    let lead = kb.agent("lee", deflect::store::Role::Lead);
    let agent = kb.agent("ana", deflect::store::Role::Agent);
    let page = kb.get_as("/agent/outbox", &lead).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("#1 · Charged twice")
            && page.body.contains("http://127.0.0.1:9/unreachable"),
        "{}",
        page.body
    );
    assert_eq!(
        kb.get_as("/agent/outbox", &agent).await.status,
        StatusCode::FORBIDDEN
    );
}

/// An SMTP server that accepts one message and hands back its DATA.
pub(crate) fn smtp_sink() -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        writeln!(writer, "220 sink ESMTP\r").unwrap();
        let mut data = String::new();
        let mut in_data = false;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    writeln!(writer, "250 queued\r").unwrap();
                } else {
                    data.push_str(&line);
                }
            } else {
                let cmd = line.to_ascii_uppercase();
                if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    writeln!(writer, "250 sink\r").unwrap();
                } else if cmd.starts_with("DATA") {
                    in_data = true;
                    writeln!(writer, "354 go on\r").unwrap();
                } else if cmd.starts_with("QUIT") {
                    writeln!(writer, "221 bye\r").unwrap();
                    break;
                } else {
                    writeln!(writer, "250 ok\r").unwrap();
                }
            }
            line.clear();
        }
        let _ = tx.send(data);
    });
    (port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_can_go_by_email() {
    let (port, mail) = smtp_sink();
    let mut kb = TestKb::new();
    kb.config.tickets.email_to = "support@example.com".into();
    kb.config.tickets.smtp_host = "127.0.0.1".into();
    kb.config.tickets.smtp_port = port;
    kb.config.tickets.smtp_security = deflect::config::SmtpSecurity::None;
    kb.config.tickets.smtp_from = "help@example.com".into();
    let cookies = cookies_of(&kb.get("/contact").await);
    submit(&mut kb, &cookies, TICKET).await;
    let notifier = kb.state().workflow.notifier.clone();
    let n = tokio::task::spawn_blocking(move || notifier.deliver_due().unwrap())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let data = mail.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        data.contains("Subject: [Ticket #1] Charged twice"),
        "{data}"
    );
    assert!(data.contains("Reply-To: customer@example.com"), "{data}");
    assert!(data.contains("My card was charged twice"), "{data}");
}

#[tokio::test]
async fn the_widget_api_takes_tickets_and_events_from_allowed_origins() {
    let mut kb = TestKb::new();
    kb.config.cors_origins = vec!["https://shop.example".into()];
    let post = |uri: &str, origin: &str, body: serde_json::Value| {
        Request::post(uri)
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let ticket = serde_json::json!({ "subject": "Where is my invoice", "description": "I cannot find the invoice for May.", "email": "c@example.com", "session": "widgetsession01", "source": "widget" });
    let r = kb
        .request(post(
            "/api/v1/tickets",
            "https://shop.example",
            ticket.clone(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://shop.example"
    );
    assert_eq!(r.json()["id"], 1);
    let r = kb
        .request(post(
            "/api/v1/tickets",
            "https://evil.example",
            ticket.clone(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut bad = ticket.clone();
    bad["email"] = "nope".into();
    let r = kb
        .request(post("/api/v1/tickets", "https://shop.example", bad))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["field"], "email");
    let r = kb.request(post("/api/v1/events", "https://shop.example", serde_json::json!({ "kind": "deflected", "slug": "billing/refunds", "session": "widgetsession01", "source": "widget" }))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = kb
        .request(post(
            "/api/v1/events",
            "https://shop.example",
            serde_json::json!({ "kind": "ticket_submit", "session": "widgetsession01" }),
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "clients cannot fake tickets"
    );
    let suggest = kb
        .get("/api/v1/contact/suggest?q=charged+twice+refund&source=widget&session=widgetsession01")
        .await
        .json();
    assert_eq!(suggest["suggestions"][0]["slug"], "billing/refunds");
    let evs = events(&mut kb);
    assert_eq!(
        kinds(&evs),
        ["ticket_submit", "deflected", "suggestion_shown"]
    );
    assert!(evs
        .iter()
        .all(|e| e.session == "widgetsession01" && e.source == deflect::analytics::Source::Widget));
    let widget = kb.get("/widget.js").await;
    assert_eq!(widget.status, StatusCode::OK);
    assert!(widget.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
}

#[tokio::test]
async fn metrics_are_exposed_for_prometheus() {
    let mut kb = TestKb::new();
    kb.get("/api/v1/search?q=refund").await;
    kb.get("/api/v1/search?q=refund").await;
    let m = kb.get("/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    for needle in [
        "deflect_http_request_duration_seconds_count{route=\"/api/v1/search\",status=\"200\"} 2",
        "deflect_search_duration_seconds_count",
        "deflect_events_captured_total",
        "deflect_events_shed_total 0",
        "deflect_outbox_depth 0",
        "deflect_index_documents 8",
    ] {
        assert!(m.body.contains(needle), "{needle} in\n{}", m.body);
    }
}

#[test]
fn a_ticket_survives_a_crash_between_storing_and_delivering() {
    use std::process::{Command, Stdio};
    let kb = TestKb::new();
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (deflect_port, hook_port) = (free_port(), free_port());
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_deflect"))
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{deflect_port}"),
                "--no-watch",
            ])
            .current_dir(kb.dir.path())
            .env("DEFLECT_ARTICLES", kb.articles())
            .env("DEFLECT_INDEX", &kb.config.index)
            .env("DEFLECT_STORE", &kb.config.store)
            .env(
                "DEFLECT_TICKETS__WEBHOOK",
                format!("http://127.0.0.1:{hook_port}/tickets"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let up = || {
        wait_until(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", deflect_port)).is_ok()
        })
    };
    let mut server = start();
    assert!(up(), "deflect started");
    // The webhook is down: the ticket is stored, the delivery fails.
    let body = r#"{"subject": "Crash test", "description": "Stored before delivery, then a crash.", "email": "c@example.com"}"#;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", deflect_port)).unwrap();
    write!(stream, "POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    server.kill().unwrap(); // SIGKILL: no graceful shutdown
    server.wait().unwrap();

    // The receiver comes up; deflect restarts and delivers what it stored.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got.clone();
    runtime.spawn(async move {
        let app = axum::Router::new().route(
            "/tickets",
            axum::routing::post(move |body: String| {
                let g = g.clone();
                async move {
                    g.lock().unwrap().push(body);
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", hook_port))
            .await
            .unwrap();
        axum::serve(listener, app).await.unwrap();
    });
    // Failed deliveries wait out their backoff: make the stored one due now.
    let store = deflect::store::Store::open(&kb.config.store).unwrap();
    store
        .read(|c| {
            Ok(c.execute(
                "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z'",
                (),
            )?)
        })
        .unwrap();
    let mut server = start();
    assert!(up());
    let delivered = wait_until(Duration::from_secs(30), || !got.lock().unwrap().is_empty());
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        delivered,
        "the stored ticket was delivered after the restart"
    );
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Crash test"));
}

/// Results shown while a customer types are searched with `record=0` and
/// never counted; without it (or with `record=1`) a search counts once.
#[tokio::test]
async fn searches_while_typing_are_not_counted() {
    let mut kb = TestKb::new();
    for q in ["r", "re", "ref"] {
        let r = kb.get(&format!("/api/v1/search?q={q}&record=0")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(
        kb.get("/api/v1/search?q=refund&record=1").await.status,
        StatusCode::OK
    );
    assert_eq!(
        kb.get("/api/v1/search?q=refund").await.status,
        StatusCode::OK
    );
    let bad = kb.get("/api/v1/search?q=refund&record=maybe").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("`record` must be 1 or 0"), "{}", bad.body);
    let searched: Vec<String> = events(&mut kb)
        .into_iter()
        .filter(|e| e.kind == deflect::analytics::EventKind::Search)
        .filter_map(|e| e.query)
        .collect();
    assert_eq!(searched, ["refund", "refund"]);
}
