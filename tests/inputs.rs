//! Inputs that can't hurt: customer text that once crashed `deflect mine`,
//! CSV cells that would run as spreadsheet formulas, terminal escapes and a
//! stray quote in a ticket export, the anonymous cookie's flags, words and
//! locales of hidden articles, and rate limits fired at by 40 requests at
//! once over real TCP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::http::StatusCode;
use deflect::index::{Audience, SearchRequest};
use deflect::store::Role;
use deflect::web::{self, AppState, Templates};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestKb;

/// Runs `deflect mine FILE --no-coverage` with `extra` arguments.
fn mine(kb: &TestKb, file: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let out = kb.dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .arg("mine")
        .arg(file)
        .args(["--no-coverage", "--min-cluster-size", "1"])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .current_dir(kb.dir.path())
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect mine");
    (output, out)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(kb: &TestKb, name: &str, content: &str) -> PathBuf {
    let path = kb.dir.path().join(name);
    std::fs::write(&path, content).expect("write tickets");
    path
}

#[test]
fn styled_unicode_letters_in_a_ticket_do_not_stop_the_run() {
    let kb = TestKb::empty();
    let file = write(
        &kb,
        "styled.csv",
        "id,text\n1,𝓘 𝔀𝓪𝓷𝓽 𝓬𝓪𝓷𝓬𝓮𝓵 𝓸𝓻𝓭𝓮𝓻\n2,𝔒𝔫 𝔐𝔬𝔫𝔡𝔞𝔶 𝔪𝔶 𝔠𝔞𝔯𝔡 𝔴𝔞𝔰 𝔟𝔩𝔬𝔠𝔨𝔢𝔡\n3,my card was blocked on monday\n",
    );
    let (output, out) = mine(&kb, &file, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("read 3 rows: used 3 tickets"));
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).expect("assignments");
    assert_eq!(assignments.lines().count(), 4, "{assignments}");
}

#[test]
fn mined_csv_cells_never_start_a_formula() {
    let kb = TestKb::empty();
    let mut rows = String::from("id,text\n");
    for i in 0..6 {
        rows.push_str(&format!(
            "=cmd|' /C calc'!A{i},\"=HYPERLINK(\"\"http://evil.example\"\",\"\"refund\"\") refund refund\"\n"
        ));
    }
    let file = write(&kb, "formulas.csv", &rows);
    let (output, out) = mine(&kb, &file, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for name in ["suggestions.csv", "assignments.csv"] {
        let mut reader = csv::Reader::from_path(out.join(name)).expect(name);
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.expect("row").iter() {
                cells += 1;
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r'])
                        && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                    "{name}: {cell:?}"
                );
            }
        }
        assert!(cells > 0, "{name} is empty");
    }
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).expect("read");
    assert!(assignments.contains("'=cmd|"), "{assignments}");
}

#[test]
fn control_bytes_in_a_header_are_printed_escaped() {
    let kb = TestKb::empty();
    let file = write(
        &kb,
        "evil.csv",
        "id,\x1b]0;owned\x07\x1b[2Jnotes\n1,my card\n",
    );
    let (output, _) = mine(&kb, &file, &["--text-col", "body"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr:?}"
    );
    assert!(stderr.contains("\\u{1b}[2Jnotes"), "{stderr}");
}

#[test]
fn an_unterminated_quote_is_reported_at_its_line_not_swallowed() {
    let kb = TestKb::empty();
    let file = write(
        &kb,
        "stray.csv",
        "id,text\n1,my card is blocked\n2,\"refund please\n3,reset my pin\n4,where is my card\n",
    );
    let (output, _) = mine(&kb, &file, &[]);
    let stderr = text(&output.stderr);
    let stdout = text(&output.stdout);
    assert!(
        stderr.contains("stray.csv:3: broken quoting: a quoted field opens here and never closes"),
        "{stderr}"
    );
    assert!(stdout.contains("skipped 1 bad rows"), "{stdout}");
}

#[tokio::test]
async fn the_anonymous_cookie_is_secure_when_cookies_are() {
    let mut kb = TestKb::new();
    kb.config.secure_cookies = true;
    let home = kb.get("/").await;
    let sid = home
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("deflect_sid="))
        .expect("an anonymous session cookie")
        .to_string();
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(sid.contains(flag), "{sid}");
    }
    assert!(
        !sid.contains("Max-Age"),
        "ends with the browser session: {sid}"
    );
}

#[tokio::test]
async fn did_you_mean_never_offers_words_of_hidden_articles() {
    let mut kb = TestKb::new();
    kb.write(
        "billing/secret-plan.md",
        "---\ntitle: Quokkaprice launch\nstatus: draft\n---\n\nThe quokkaprice tier launches soon.\n",
    );
    kb.write(
        "billing/old-plan.md",
        "---\ntitle: Wombatier plan\nstatus: archived\n---\n\nThe wombatier plan is gone.\n",
    );
    let v = kb.get("/api/v1/search?q=quokkaprise").await.json();
    assert!(v["did_you_mean"].is_null(), "a draft's word: {v}");
    let v = kb.get("/api/v1/search?q=wombatiers").await.json();
    assert!(
        v["did_you_mean"].is_null(),
        "an archived article's word: {v}"
    );
    let v = kb.get("/api/v1/search?q=zebracorns").await.json();
    assert!(
        v["did_you_mean"].is_null(),
        "an internal article's word: {v}"
    );
    // Agents may read the internal article, so they get its words.
    let agent = kb
        .library()
        .index()
        .search(&SearchRequest {
            query: "zebracorns",
            locale: "en",
            category: None,
            limit: 10,
            offset: 0,
            audience: Audience::Agent,
        })
        .expect("search");
    assert_eq!(agent.did_you_mean.as_deref(), Some("zebracorn"));
    let v = kb.get("/api/v1/search?q=pasword").await.json();
    assert_eq!(v["did_you_mean"], "password", "public words still help");
}

#[tokio::test]
async fn accept_language_never_picks_a_locale_with_only_hidden_articles() {
    let mut kb = TestKb::new();
    kb.write(
        "billing/refunds.de.md",
        "---\ntitle: Erstattungen\nstatus: draft\ntranslation_of: billing/refunds\n---\n\nGeld zurück.\n",
    );
    kb.write(
        "account/intern.de.md",
        "---\ntitle: Intern\nvisibility: internal\n---\n\nNur für Agenten.\n",
    );
    let req = axum::http::Request::get("/api/v1/search?q=refund")
        .header("accept-language", "de-DE, de;q=0.9")
        .body(axum::body::Body::empty())
        .expect("request");
    let v = kb.request(req).await.json();
    assert_eq!(v["locale"], "en", "{v}");
    let req = axum::http::Request::get("/api/v1/search?q=refund")
        .header("accept-language", "fr-CH, de;q=0.9")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(kb.request(req).await.json()["locale"], "fr");
}

/// The real server on a loopback port; stops when dropped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    async fn start(kb: &mut TestKb) -> Server {
        let state = AppState::new(
            kb.library(),
            Arc::new(Templates::load(None).expect("templates")),
            kb.config.clone(),
        )
        .expect("state");
        Server::with_state(state).await
    }

    async fn with_state(state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
        }
    }

    /// Sends `POST path` and returns the status code.
    async fn post(addr: SocketAddr, path: &str, headers: &str, body: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(req.as_bytes()).await.expect("send");
        let mut out = Vec::new();
        stream.read_to_end(&mut out).await.expect("read");
        let head = String::from_utf8_lossy(&out);
        head.split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head}"))
    }

    /// Fires `n` copies of one POST at once; the status codes, sorted.
    async fn post_parallel(&self, n: usize, path: &str, headers: &str, body: &str) -> Vec<u16> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (addr, path, headers, body) = (
                    self.addr,
                    path.to_string(),
                    headers.to_string(),
                    body.to_string(),
                );
                tokio::spawn(async move { Server::post(addr, &path, &headers, &body).await })
            })
            .collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.expect("request task"));
        }
        codes.sort_unstable();
        codes
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn count(codes: &[u16], code: u16) -> usize {
    codes.iter().filter(|&&c| c == code).count()
}

const LOGIN_COOKIE: &str =
    "Cookie: deflect_login_csrf=t0k3n\r\nContent-Type: application/x-www-form-urlencoded\r\n";

fn login_body(name: &str, password: &str) -> String {
    serde_urlencoded::to_string([
        ("name", name),
        ("password", password),
        ("csrf", "t0k3n"),
        ("next", "/agent"),
    ])
    .expect("form")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_wrong_passwords_check_exactly_five() {
    let mut kb = TestKb::new();
    kb.agent("ana", Role::Agent);
    let server = Server::start(&mut kb).await;
    let codes = server
        .post_parallel(
            40,
            "/agent/login",
            LOGIN_COOKIE,
            &login_body("ana", "wrong"),
        )
        .await;
    assert_eq!(
        count(&codes, 401),
        web::LOGIN_FAILURES_PER_ACCOUNT,
        "{codes:?}"
    );
    assert_eq!(
        count(&codes, 429),
        40 - web::LOGIN_FAILURES_PER_ACCOUNT,
        "{codes:?}"
    );
    // The email names the same account: it is locked too.
    let code = Server::post(
        server.addr,
        "/agent/login",
        LOGIN_COOKIE,
        &login_body("ana@example.com", "correct horse battery"),
    )
    .await;
    assert_eq!(code, 429);
}

#[tokio::test]
async fn name_and_email_share_one_lock_and_an_address_is_capped_across_accounts() {
    let mut kb = TestKb::new();
    kb.agent("bo", Role::Agent);
    let cookie = "deflect_login_csrf=t0k3n";
    for (i, who) in ["bo", "bo@example.com", "bo", "bo@example.com", "bo"]
        .iter()
        .enumerate()
    {
        let r = kb
            .post_raw("/agent/login", Some(cookie), &login_body(who, "nope"))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = kb
        .post_raw(
            "/agent/login",
            Some(cookie),
            &login_body("bo@example.com", "correct horse battery"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "five failures by either name lock the account"
    );

    // One address trying many accounts: the per-address cap stops it
    // (the five failures on bo count too).
    let mut refused_at = None;
    for i in 0..web::LOGIN_FAILURES_PER_ADDRESS {
        let r = kb
            .post_raw(
                "/agent/login",
                Some(cookie),
                &login_body(&format!("user{i}"), "nope"),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused_at = Some(i);
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        refused_at,
        Some(web::LOGIN_FAILURES_PER_ADDRESS - web::LOGIN_FAILURES_PER_ACCOUNT)
    );
}

fn ticket_json(description: &str) -> String {
    serde_json::json!({
        "subject": "Card blocked",
        "description": description,
        "email": "jane@example.com",
    })
    .to_string()
}

const JSON: &str = "Content-Type: application/json\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_api_tickets_from_one_address_pass_exactly_the_limit() {
    let mut kb = TestKb::new();
    let limit = kb.config.tickets.per_ip_per_hour;
    let server = Server::start(&mut kb).await;
    // Field errors are sent back for a fix and do not count (one after
    // another: while one is checked it holds a place).
    for _ in 0..12 {
        let code = Server::post(server.addr, "/api/v1/tickets", JSON, &ticket_json("short")).await;
        assert_eq!(code, 400);
    }
    let codes = server
        .post_parallel(
            40,
            "/api/v1/tickets",
            JSON,
            &ticket_json("My card was blocked at the shop today."),
        )
        .await;
    assert_eq!(count(&codes, 201), limit, "{codes:?}");
    assert_eq!(count(&codes, 429), 40 - limit, "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_contact_forms_from_one_address_pass_exactly_the_limit() {
    let mut kb = TestKb::new();
    let limit = kb.config.tickets.per_ip_per_hour;
    let server = Server::start(&mut kb).await;
    let token = "a".repeat(64);
    let headers = format!(
        "Cookie: deflect_form={token}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    );
    let body = |description: &str| {
        serde_urlencoded::to_string([
            ("csrf", token.as_str()),
            ("subject", "Card blocked"),
            ("description", description),
            ("email", "jane@example.com"),
        ])
        .expect("form")
    };
    for _ in 0..12 {
        let code = Server::post(server.addr, "/contact", &headers, &body("short")).await;
        assert_eq!(code, 400, "field errors do not count");
    }
    let codes = server
        .post_parallel(
            40,
            "/contact",
            &headers,
            &body("My card was blocked at the shop today."),
        )
        .await;
    // A stored ticket answers 303 to its confirmation (post/redirect/get).
    assert_eq!(count(&codes, 303), limit, "{codes:?}");
    assert_eq!(count(&codes, 429), 40 - limit, "{codes:?}");
}

#[tokio::test]
async fn the_editor_preview_flattens_nesting_past_the_cap() {
    let mut kb = TestKb::new();
    let agent = kb.agent("ana", Role::Agent);
    let body = serde_json::json!({
        "body": format!("{} deep text\n\n{}inside{}", ">".repeat(64_000), "<div>".repeat(6_000), "</div>".repeat(6_000)),
    })
    .to_string();
    let req = axum::http::Request::post("/agent/preview")
        .header("cookie", &agent.cookie)
        .header("x-csrf-token", &agent.csrf)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .expect("request");
    let r = kb.request(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = r.json()["html"].as_str().expect("html").to_string();
    assert!(
        html.contains("deep text") && html.contains("inside"),
        "{html}"
    );
    let levels = html.matches("<blockquote>").count() + html.matches("<div>").count();
    assert!(
        levels <= 2 * deflect::articles::markdown::MAX_NESTING,
        "{levels} levels kept"
    );
}
