//! Two `deflect serve` processes against one PostgreSQL database and one
//! articles folder (a shared volume), as a load balancer would see them: a
//! sign-in on one is valid on the other, a rate limit counts across both,
//! an article written on one and approved on the other is published and
//! searchable on both, a change on the shared folder is searchable on both, and 200 tickets
//! submitted to both while their webhook fails, with one replica killed
//! (`kill -9`) in the middle of a delivery and restarted, each reach the
//! receiver exactly once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deflect::config::StoreLocation;
use deflect::store::{Role, Store};

use crate::harness::{wait_until, TestKb};
use crate::pg_cluster::PgCluster;

/// A `deflect serve` child, killed on drop.
struct Replica {
    child: Child,
    addr: String,
}

impl Replica {
    fn start(kb: &TestKb, store: &str, index: &Path, webhook: &str) -> Replica {
        let mut child = Command::new(env!("CARGO_BIN_EXE_deflect"))
            .args(["serve", "--addr", "127.0.0.1:0", "--articles"])
            .arg(kb.articles())
            .arg("--index")
            .arg(index)
            .current_dir(kb.dir.path())
            .env_remove("DEFLECT_LOG")
            .env("DEFLECT_STORE", store)
            .env("DEFLECT_TICKETS__WEBHOOK", webhook)
            .env("DEFLECT_TICKETS__PER_IP_PER_HOUR", "100000")
            .env("DEFLECT_DEBOUNCE_MS", "50")
            .env("DEFLECT_STORE_CONNECTIONS", "4")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start deflect serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("serve printed its address")
                .expect("read stdout");
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.split('/').next().expect("address").to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Replica { child, addr }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL: no shutdown of any kind.
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 exchange: (status, headers, body).
fn http(addr: &str, request: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn get(addr: &str, path: &str, cookie: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    )
}

fn post(addr: &str, path: &str, cookie: &str, kind: &str, body: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The CSRF token a workspace page carries for its forms.
fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token on the page")
        .to_string()
}

/// The `Location` of a redirect.
fn location(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// Signs in on `addr` (the sign-in form's double-submit token is any value
/// sent as both cookie and field); the session cookie, or the status.
fn sign_in(addr: &str, name: &str, password: &str) -> Result<String, u16> {
    let token = "ab".repeat(32);
    let (status, head, _) = post(
        addr,
        "/agent/login",
        &format!("deflect_login_csrf={token}"),
        "application/x-www-form-urlencoded",
        &format!("csrf={token}&name={name}&password={password}&next=/agent"),
    );
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .find_map(|c| c.strip_prefix("deflect_session="))
        .map(|c| {
            format!(
                "deflect_session={}",
                c.split(';').next().unwrap_or_default()
            )
        })
        .ok_or(status)
}

/// The webhook receiver: fails (slowly, so a delivery is in flight) until
/// told to accept, then counts each delivery it accepts.
#[derive(Default)]
struct Receiver {
    failing: AtomicBool,
    attempts: Mutex<usize>,
    accepted: Mutex<HashMap<String, usize>>,
}

impl Receiver {
    fn spawn(self: &Arc<Self>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let me = Arc::clone(self);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let me = Arc::clone(&me);
                std::thread::spawn(move || me.answer(stream));
            }
        });
        format!("http://{addr}/hook")
    }

    fn answer(&self, mut stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let (mut length, mut delivery) = (0, String::new());
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if let Some(v) = lower.strip_prefix("x-deflect-delivery:") {
                delivery = v.trim().to_string();
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        *self.attempts.lock().unwrap() += 1;
        let status = if self.failing.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1500));
            "503 Service Unavailable"
        } else {
            *self.accepted.lock().unwrap().entry(delivery).or_default() += 1;
            "200 OK"
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
}

#[test]
fn two_replicas_act_as_one_deflect() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    let url = cluster.store_url("deflect");
    let kb = TestKb::new();
    let store = Store::open(StoreLocation::parse(&url)).expect("store");
    store
        .create_account(
            "ana",
            "ana@example.com",
            Role::Lead,
            "correct horse battery",
        )
        .unwrap();
    let receiver = Arc::new(Receiver::default());
    receiver.failing.store(true, Ordering::SeqCst);
    let hook = receiver.spawn();
    let index = |n: &str| kb.dir.path().join(format!("index-{n}"));
    let mut a = Replica::start(&kb, &url, &index("a"), &hook);
    let b = Replica::start(&kb, &url, &index("b"), &hook);

    // A sign-in on A is a session on B, and B accepts its CSRF token.
    let cookie = sign_in(&a.addr, "ana", "correct horse battery").expect("signed in on A");
    let (status, _, page) = get(&b.addr, "/agent/tickets", &cookie);
    assert_eq!(status, 200, "B knows A's session: {page}");
    let csrf = csrf_of(&page);

    // 200 tickets, alternately to A and B, while the webhook fails.
    let mut ids = Vec::new();
    for i in 0..200 {
        let to = if i % 2 == 0 { &a.addr } else { &b.addr };
        let body = format!(
            r#"{{"subject":"Ticket {i}","description":"Case {i} needs help.","email":"c{i}@example.com"}}"#
        );
        let (status, _, reply) = post(to, "/api/v1/tickets", "", "application/json", &body);
        assert!(
            status == 201 || status == 200,
            "ticket {i}: {status} {reply}"
        );
        let json: serde_json::Value = serde_json::from_str(&reply).expect("JSON");
        ids.push(json["id"].as_i64().expect("ticket id"));
        if i == 100 {
            // Both replicas are delivering (and failing); kill A while one of
            // its attempts is in flight, then let the receiver recover.
            assert!(wait_until(Duration::from_secs(20), || *receiver
                .attempts
                .lock()
                .unwrap()
                >= 3));
            a.kill();
            receiver.failing.store(false, Ordering::SeqCst);
            a = Replica::start(&kb, &url, &index("a"), &hook);
        }
    }
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        200
    );

    // Every ticket arrives; none twice. (A's killed claim waits out its
    // 30 s lease; failed attempts their backoff.)
    let delivered = wait_until(Duration::from_secs(120), || {
        receiver.accepted.lock().unwrap().len() >= 200 && store.undelivered_count().unwrap() == 0
    });
    let accepted = receiver.accepted.lock().unwrap().clone();
    assert!(delivered, "{} of 200 delivered", accepted.len());
    let twice: Vec<_> = accepted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(accepted.len(), 200);

    // An action on B with the session from A lands in the shared store.
    let (status, _, reply) = post(
        &b.addr,
        &format!("/agent/tickets/{}/solve", ids[0]),
        &cookie,
        "application/x-www-form-urlencoded",
        &format!("csrf={csrf}"),
    );
    assert!(
        status == 303 || status == 200,
        "solve on B: {status} {reply}"
    );
    let solved = store.ticket(ids[0]).unwrap().unwrap();
    assert_eq!(solved.status, deflect::store::TicketStatus::Solved);
    // `deflect mine --from-store` reads the solved tickets from PostgreSQL.
    let mined = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["mine", "--from-store", "--since", "1d", "--out"])
        .arg(kb.dir.path().join("mined"))
        .arg("--articles")
        .arg(kb.articles())
        .arg("--index")
        .arg(index("a"))
        .current_dir(kb.dir.path())
        .env("DEFLECT_STORE", &url)
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect mine");
    let said = String::from_utf8_lossy(&mined.stdout);
    assert!(
        said.contains("read 1 solved tickets from the store"),
        "{said}{}",
        String::from_utf8_lossy(&mined.stderr)
    );

    // A publication through the review workflow, written on A and
    // approved on B, is searchable on both.
    store
        .create_account("bo", "bo@example.com", Role::Agent, "correct horse battery")
        .unwrap();
    let bo = sign_in(&b.addr, "bo", "correct horse battery").expect("bo signed in on B");
    let form = |addr: &str, path: &str, cookie: &str, fields: &str| {
        let token = csrf_of(&get(addr, "/agent", cookie).2);
        post(
            addr,
            path,
            cookie,
            "application/x-www-form-urlencoded",
            &format!("csrf={token}&{fields}"),
        )
    };
    let (status, head, body) = form(
        &a.addr,
        "/agent/articles/new",
        &cookie,
        "title=Gift+cards&slug=billing%2Fgift-cards&category=billing&summary=Buy+and+redeem.&visibility=public&body=Redeem+a+wallabycard+at+checkout.",
    );
    assert_eq!(status, 303, "{body}");
    let id = location(&head)
        .strip_prefix("/agent/revisions/")
        .and_then(|r| r.split(['/', '?']).next())
        .and_then(|n| n.parse::<i64>().ok())
        .expect("revision id");
    for (addr, who, action) in [
        (&a.addr, &cookie, "submit"),
        (&b.addr, &bo, "approve"),
        (&a.addr, &cookie, "publish"),
    ] {
        let (status, _, body) = form(addr, &format!("/agent/revisions/{id}/{action}"), who, "");
        assert_eq!(status, 303, "{action}: {body}");
    }
    let published = Instant::now();
    let found = wait_until(Duration::from_secs(10), || {
        get(&b.addr, "/api/v1/search?q=wallabycard", "")
            .2
            .contains("billing/gift-cards")
    });
    assert!(found, "published on A, searchable on B");
    eprintln!(
        "publish on A → searchable on B in {:?}",
        published.elapsed()
    );

    // Failed sign-ins count across replicas: five on A and B together, then
    // both refuse.
    for i in 0..5 {
        let to = if i % 2 == 0 { &a.addr } else { &b.addr };
        assert_eq!(
            sign_in(to, "ana", "wrong password!"),
            Err(401),
            "attempt {i}"
        );
    }
    assert_eq!(sign_in(&b.addr, "ana", "wrong password!"), Err(429));
    assert_eq!(sign_in(&a.addr, "ana", "correct horse battery"), Err(429));

    // A change on the shared folder is searchable on both replicas.
    kb.write(
        "billing/wallaby.md",
        "---\ntitle: Wallaby passes\n---\nRedeem a wallabypass at checkout.\n",
    );
    let started = Instant::now();
    for r in [&a, &b] {
        let found = wait_until(Duration::from_secs(10), || {
            get(&r.addr, "/api/v1/search?q=wallabypass", "")
                .2
                .contains("billing/wallaby")
        });
        assert!(found, "searchable on {}", r.addr);
    }
    eprintln!(
        "shared folder → searchable on both in {:?}",
        started.elapsed()
    );

    // Both replicas' events land in one table, and `deflect report` reads
    // them from PostgreSQL.
    let searched = |store: &Store| {
        let mut n = 0;
        store
            .scan_events(0, i64::MAX, |e| {
                n += (e.query.as_deref() == Some("wallabypass")) as usize
            })
            .unwrap();
        n
    };
    assert!(
        wait_until(Duration::from_secs(10), || searched(&store) >= 2),
        "searches on A and B recorded"
    );
    let report = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["report", "--format", "json", "--since", "1d"])
        .current_dir(kb.dir.path())
        .env("DEFLECT_STORE", &url)
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect report");
    let json = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(json.contains("wallabypass"), "{json}");

    // Health names the shared engine.
    let (_, _, health) = get(&b.addr, "/healthz", "");
    assert!(health.contains(r#""engine":"postgres""#), "{health}");

    // The database goes down: store-backed pages answer 503 with a
    // message, search and articles still serve, and health says degraded.
    cluster.stop();
    let (status, _, page) = get(&b.addr, "/agent/tickets", &cookie);
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("database cannot be reached"), "{page}");
    // The agent is not signed out: the page offers itself again, not a sign-in.
    assert!(
        page.contains(r#"href="/agent/tickets">Try again"#),
        "{page}"
    );
    assert!(!page.contains(r#"href="/agent/login""#), "{page}");
    // A sign-in can be neither checked nor counted: 503, not a refusal.
    assert_eq!(sign_in(&a.addr, "ana", "correct horse battery"), Err(503));
    let ticket = r#"{"subject":"Down","description":"Is it down?","email":"d@example.com"}"#;
    let (status, _, reply) = post(&a.addr, "/api/v1/tickets", "", "application/json", ticket);
    assert_eq!(status, 503, "{reply}");
    assert!(reply.contains(r#""code":"unavailable""#), "{reply}");
    let (status, _, found) = get(&a.addr, "/api/v1/search?q=wallabypass", "");
    assert_eq!(status, 200);
    assert!(found.contains("billing/wallaby"), "{found}");
    assert_eq!(get(&b.addr, "/articles/billing/wallaby", "").0, 200);
    let (_, _, health) = get(&b.addr, "/healthz", "");
    assert!(health.contains(r#""status":"degraded""#), "{health}");
    // It comes back: so do the replicas, without a restart.
    cluster.restart();
    let back = wait_until(Duration::from_secs(15), || {
        get(&b.addr, "/agent/tickets", &cookie).0 == 200
    });
    assert!(back, "B serves the workspace again");
    let (status, _, reply) = post(&a.addr, "/api/v1/tickets", "", "application/json", ticket);
    assert!(status == 201, "{reply}");
}
