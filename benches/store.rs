//! Store operations on SQLite and on PostgreSQL, side by side: what a ticket
//! submission, a batch of analytics events, a sign-in, a session lookup
//! (every agent request) and an outbox claim cost on each engine, as
//! p50/p99 over many runs, plus tickets per second from 8 threads at once.
//! PostgreSQL runs on a throwaway cluster on this machine (`initdb`, Unix
//! socket, fsync on, like SQLite's full sync), or at `DEFLECT_BENCH_PG`.
//!
//!     cargo bench --bench store

#[path = "../tests/pg_cluster.rs"]
mod pg_cluster;

use std::time::{Duration, Instant};

use deflect::config::StoreLocation;
use deflect::store::{Event, EventKind, NewTicket, Role, Source, Store};

fn ticket(i: usize) -> NewTicket {
    NewTicket {
        subject: format!("Card declined #{i}"),
        description: "My card was declined at checkout although it has funds.".into(),
        email: format!("c{i}@example.com"),
        category: Some("billing".into()),
        locale: "en".into(),
        session: Some(format!("s{i}")),
        source: "web".into(),
        article: None,
    }
}

/// p50 and p99 of `runs` timed calls of `f`, in milliseconds.
fn timed(runs: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn line(what: &str, (p50, p99): (f64, f64)) {
    println!("  {what:<44} p50 {p50:>7.3} ms   p99 {p99:>7.3} ms");
}

fn bench(name: &str, store: &Store) {
    println!("{name}");
    let hooks = vec!["http://127.0.0.1:9/hook".to_string()];
    line(
        "ticket submit (ticket + outbox row, 1 tx)",
        timed(1_000, |i| {
            store
                .create_ticket(&ticket(i), Some(&format!("k{i}")), &hooks, |t| {
                    format!("{{\"id\":{}}}", t.id)
                })
                .expect("ticket");
        }),
    );
    let mut writer = store.event_writer().expect("writer");
    let batch: Vec<Event> = (0..100)
        .map(|i| {
            let mut e = Event::new(EventKind::Search, &format!("s{i}"), Source::Web);
            e.query = Some("card declined".into());
            e.results = Some(3);
            e
        })
        .collect();
    line(
        "event capture (batch of 100 events, 1 tx)",
        timed(200, |_| writer.insert(&batch).expect("events")),
    );
    store
        .create_account(
            "ana",
            "ana@example.com",
            Role::Agent,
            "correct horse battery",
        )
        .expect("account");
    let mut token = String::new();
    line(
        "sign-in (argon2 check + new session)",
        timed(30, |_| {
            let a = store
                .verify_password("ana", "correct horse battery")
                .expect("verify")
                .expect("account");
            token = store.create_session(a.id).expect("session");
        }),
    );
    line(
        "session lookup (every agent request)",
        timed(2_000, |_| {
            store.session(&token).expect("lookup").expect("session");
        }),
    );
    line(
        "outbox claim + delivered",
        timed(900, |_| {
            let item = store
                .claim_due(1, Duration::from_secs(30))
                .expect("claim")
                .pop()
                .expect("a due message");
            store.delivered(&item).expect("delivered");
        }),
    );
    line(
        "rate-limit check (shared limiter)",
        timed(1_000, |i| {
            store
                .try_acquire_limit(&format!("contact|{}", i % 50), 1_000_000, 3_600_000)
                .expect("limit");
        }),
    );
    let started = Instant::now();
    let per_thread = 250;
    std::thread::scope(|s| {
        for t in 0..8 {
            let hooks = &hooks;
            s.spawn(move || {
                for i in 0..per_thread {
                    let n = 100_000 + t * per_thread + i;
                    store
                        .create_ticket(&ticket(n), None, hooks, |_| "{}".into())
                        .expect("ticket");
                }
            });
        }
    });
    let rate = (8 * per_thread) as f64 / started.elapsed().as_secs_f64();
    println!(
        "  {:<44} {rate:>7.0} tickets/s",
        "ticket submit, 8 threads at once"
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    bench(
        "SQLite (WAL, synchronous=FULL)",
        &Store::open(dir.path().join("bench.db")).expect("SQLite"),
    );

    let (url, _cluster) = match std::env::var("DEFLECT_BENCH_PG") {
        Ok(url) => (url, None),
        Err(_) => match pg_cluster::PgCluster::start_durable() {
            Some(c) => (c.store_url("bench"), Some(c)),
            None => return eprintln!("PostgreSQL skipped: no initdb (set DEFLECT_BENCH_PG)"),
        },
    };
    let store = Store::open(StoreLocation::parse(&url)).expect("PostgreSQL");
    bench("PostgreSQL (local socket, fsync on, pool of 8)", &store);
}
