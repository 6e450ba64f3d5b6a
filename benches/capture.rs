//! Event capture's cost. (1) Writer throughput: events recorded through the
//! real `EventSink` into a SQLite file, timed until written. (2) Overhead on
//! the search API: the real server on loopback, 32 keep-alive connections
//! sending `/api/v1/search` requests that each record a `search` event,
//! alternating capture on and off (same index, same queries), reporting
//! requests/s, p50 and p99 and the difference. Bounded: a few seconds per
//! round. Run: `cargo bench --bench capture`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deflect::analytics::capture::EventSink;
use deflect::analytics::{Event, EventKind, Source};
use deflect::web::{self, AppState, Templates};
use deflect::{Config, Library};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const CONNECTIONS: usize = 32;
const ROUND: Duration = Duration::from_secs(6);

fn writer_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = deflect::store::Store::open(&path).unwrap();
    let sink = EventSink::start(&store, Duration::from_secs(86_400 * 365)).unwrap();
    let mut rates = Vec::new();
    for round in 0..5 {
        let n = 60_000; // below the queue's capacity: nothing is shed
        let started = Instant::now();
        for i in 0..n {
            let mut e = Event::new(
                EventKind::Search,
                &format!("session{:06}", i % 5000),
                Source::Web,
            );
            e.query = Some(format!("how do i reset my password {round} {i}"));
            e.results = Some(7);
            e.locale = Some("en".into());
            sink.record(e);
        }
        assert!(sink.flush(Duration::from_secs(60)));
        rates.push(n as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let shed = sink.stats().shed.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "event writer: median {:.0} events/s over 5 rounds of 60,000 (shed: {shed})",
        rates[2]
    );
}

/// One keep-alive connection sending requests until `until`; returns latencies.
async fn client(
    addr: std::net::SocketAddr,
    paths: Arc<Vec<String>>,
    offset: usize,
    until: Instant,
) -> Vec<Duration> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut latencies = Vec::new();
    let mut i = offset;
    while Instant::now() < until {
        let path = &paths[i % paths.len()];
        i += 1;
        let started = Instant::now();
        write
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            read.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await.unwrap();
        latencies.push(started.elapsed());
    }
    latencies
}

fn main() {
    writer_throughput();

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_test(dir.path());
    let words = [
        "invoice", "refund", "password", "login", "export", "team", "plan", "card", "bank",
        "report", "email", "mobile",
    ];
    for i in 0..1000 {
        let path = config.articles.join(format!("topic{}/a{i}.md", i % 8));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body: Vec<&str> = (0..200)
            .map(|j| words[(i * 5 + j * 7) % words.len()])
            .collect();
        std::fs::write(
            path,
            format!(
                "---\ntitle: {} {} help {i}\n---\n{}\n",
                words[i % 12],
                words[(i / 12) % 12],
                body.join(" ")
            ),
        )
        .unwrap();
    }
    let (library, _) = Library::open(&config.articles, &config.index, "en").unwrap();
    let library = Arc::new(library);
    let paths: Arc<Vec<String>> = Arc::new(
        (0..200)
            .map(|i| {
                format!(
                    "/api/v1/search?q={}+{}&source=widget&session=benchsession{:04}",
                    words[i % 12],
                    words[(i * 7) % 12],
                    i % 500
                )
            })
            .collect(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut results: Vec<(bool, f64, Duration, Duration)> = Vec::new(); // capture on?, req/s, p50, p99
    for (round, capture) in [true, false, true, false].into_iter().enumerate() {
        config.analytics.enabled = capture;
        config.store = dir.path().join(format!("store-{round}.db")).into();
        let state = AppState::new(
            library.clone(),
            Arc::new(Templates::load(None).unwrap()),
            config.clone(),
        )
        .unwrap();
        let (rps, p50, p99) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(web::serve(listener, state.clone(), std::future::pending()));
            // Warm up, then measure.
            let warm = Instant::now() + Duration::from_millis(500);
            let _ = futures_join(
                (0..CONNECTIONS).map(|c| tokio::spawn(client(addr, paths.clone(), c * 7, warm))),
            )
            .await;
            let started = Instant::now();
            let until = started + ROUND;
            let all = futures_join(
                (0..CONNECTIONS).map(|c| tokio::spawn(client(addr, paths.clone(), c * 13, until))),
            )
            .await;
            let elapsed = started.elapsed().as_secs_f64();
            server.abort();
            let mut lat: Vec<Duration> = all.into_iter().flatten().collect();
            lat.sort();
            let pick = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
            (lat.len() as f64 / elapsed, pick(0.5), pick(0.99))
        });
        if capture {
            assert!(state.events.flush(Duration::from_secs(60)));
            let s = state.events.stats();
            println!(
                "  (capture on: {} events written, {} shed)",
                s.written.load(std::sync::atomic::Ordering::Relaxed),
                s.shed.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
        println!(
            "search API, {CONNECTIONS} connections, capture {}: {rps:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            if capture { "on " } else { "off" },
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        results.push((capture, rps, p50, p99));
    }
    type Round = (bool, f64, Duration, Duration);
    let mean = |on: bool, f: &dyn Fn(&Round) -> f64| {
        let v: Vec<f64> = results.iter().filter(|r| r.0 == on).map(f).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (rps_on, rps_off) = (mean(true, &|r| r.1), mean(false, &|r| r.1));
    let (p50_on, p50_off) = (
        mean(true, &|r| r.2.as_secs_f64()),
        mean(false, &|r| r.2.as_secs_f64()),
    );
    println!(
        "capture overhead: throughput {:+.1}%, p50 latency {:+.1}% (mean of 2 rounds each; {} cores)",
        100.0 * (rps_on - rps_off) / rps_off,
        100.0 * (p50_on - p50_off) / p50_off,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.unwrap());
    }
    out
}
