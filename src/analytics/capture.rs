//! Event capture that never slows a request: handlers hand events to a
//! bounded channel ([`EventSink::record`] never blocks), and one writer thread
//! drains it in batches into the store through the store's
//! [`EventWriter`](crate::store::EventWriter) — one transaction per batch. When the channel is full the event is shed and
//! counted, so overload costs analytics, never latency. The writer also
//! purges events past the retention period.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Event;
use crate::store::{EventWriter, Store};

/// Events waiting for the writer; more are shed.
const CAPACITY: usize = 65_536;
/// Most events in one transaction.
const BATCH: usize = 4_096;
/// Longest an event waits for its batch.
const LINGER: Duration = Duration::from_millis(200);

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct CaptureStats {
    pub captured: AtomicU64,
    pub shed: AtomicU64,
    pub written: AtomicU64,
    pub failed: AtomicU64,
}

/// Where handlers send events.
#[derive(Clone)]
pub struct EventSink {
    tx: Option<SyncSender<Event>>,
    stats: Arc<CaptureStats>,
}

impl EventSink {
    /// A sink that drops everything (analytics off).
    pub fn disabled() -> EventSink {
        EventSink {
            tx: None,
            stats: Arc::default(),
        }
    }

    /// Starts the writer thread on `store`; events older than `retention`
    /// are purged at start and every hour.
    pub fn start(store: &Store, retention: Duration) -> crate::store::Result<EventSink> {
        let writer = store.event_writer()?;
        let (tx, rx) = sync_channel(CAPACITY);
        let stats: Arc<CaptureStats> = Arc::default();
        let writer_stats = Arc::clone(&stats);
        std::thread::Builder::new()
            .name("deflect-events".into())
            .spawn(move || write_loop(writer, rx, &writer_stats, retention))
            .map_err(|e| {
                crate::store::Error::Invalid(format!("cannot start the event writer: {e}"))
            })?;
        Ok(EventSink {
            tx: Some(tx),
            stats,
        })
    }

    /// Queues an event; never blocks (a full queue sheds it).
    pub fn record(&self, event: Event) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(event) {
            Ok(()) => {
                self.stats.captured.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.shed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Waits (up to `timeout`) until every captured event is written; for
    /// tests and shutdown.
    pub fn flush(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            let s = &self.stats;
            let done = s.written.load(Ordering::Relaxed) + s.failed.load(Ordering::Relaxed);
            if done >= s.captured.load(Ordering::Relaxed) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }
}

fn write_loop(
    mut writer: EventWriter,
    rx: Receiver<Event>,
    stats: &CaptureStats,
    retention: Duration,
) {
    let mut last_purge: Option<Instant> = None;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if last_purge.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            let before = chrono::Utc::now().timestamp_millis() - retention.as_millis() as i64;
            match writer.purge(before) {
                Ok(n) if n > 0 => tracing::info!(purged = n, "old analytics events purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!("purging old events failed: {e}"),
            }
            last_purge = Some(Instant::now());
        }
        // Block for the first event, then gather what arrives within LINGER.
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(e) => batch.push(e),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let deadline = Instant::now() + LINGER;
        while batch.len() < BATCH {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        match writer.insert(&batch) {
            Ok(()) => stats.written.fetch_add(n, Ordering::Relaxed),
            Err(e) => {
                tracing::error!("{n} analytics events lost: {e}");
                stats.failed.fetch_add(n, Ordering::Relaxed)
            }
        };
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{EventKind, Source};

    #[test]
    fn events_are_batched_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = crate::store::Store::open(&path).unwrap();
        let sink = EventSink::start(&store, Duration::from_secs(86_400)).unwrap();
        for i in 0..1000 {
            let mut e = Event::new(EventKind::Search, &format!("s{}", i % 7), Source::Web);
            e.query = Some(format!("q{i}"));
            sink.record(e);
        }
        assert!(sink.flush(Duration::from_secs(10)));
        let mut n = 0;
        store.scan_events(0, i64::MAX, |_| n += 1).unwrap();
        assert_eq!(n, 1000);
        assert_eq!(sink.stats().shed.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_disabled_sink_records_nothing() {
        let sink = EventSink::disabled();
        sink.record(Event::new(EventKind::View, "s", Source::Web));
        assert_eq!(sink.stats().captured.load(Ordering::Relaxed), 0);
        assert!(!sink.is_enabled());
    }
}
