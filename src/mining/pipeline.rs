//! One mining run, end to end: ticket files in, a [`Report`] and the
//! ticket → topic [`Assignments`] out. Files are read on one thread while
//! the previous batch of tickets is cleaned and analyzed on the others, so
//! memory holds one batch of raw text at a time; everything after reading
//! works on distinct questions. The search index is optional: without it
//! every topic is reported unchecked ("not covered").

use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::Language;

use super::cluster::{cluster, ClusterOptions, Clustering, Progress};
use super::columns::ColumnOverrides;
use super::corpus::{Analyzers, Corpus, NO_DOC};
use super::coverage::{Checker, Coverage, Query};
use super::input::{Format, RawTicket, Row, TicketReader};
use super::label::{label, TopicLabel};
use super::meaning::Embeddings;
use super::tickets::Tickets;
use super::trend::{trend, Direction, Trend};
use super::{BadRow, Error, Report, Summary, Topic, Unclustered, MAX_BAD_ROWS};
use crate::index::schema::{language_of, LANGUAGES};
use crate::index::SearchIndex;
use crate::semantic::Model;

/// Tickets cleaned together.
const BATCH: usize = 8192;

/// How to run.
#[derive(Debug, Clone)]
pub struct MineOptions {
    /// The files' format (else from each file's extension).
    pub format: Option<Format>,
    pub columns: ColumnOverrides,
    /// Locale of the tickets: picks stemming and stop words, and the
    /// articles coverage is checked against.
    pub locale: String,
    /// Exactly this many topics, instead of finding their number.
    pub clusters: Option<usize>,
    /// Fewer tickets than this is no topic.
    pub min_cluster_size: u32,
    pub seed: u64,
    /// Cluster by the meaning of the tickets with this sentence model,
    /// instead of by their words.
    pub model: Option<Arc<Model>>,
}

impl Default for MineOptions {
    fn default() -> Self {
        MineOptions {
            format: None,
            columns: ColumnOverrides::default(),
            locale: "en".to_string(),
            clusters: None,
            min_cluster_size: 5,
            seed: 1,
            model: None,
        }
    }
}

/// The topic of every ticket used, in reading order.
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    pub ticket_ids: Vec<String>,
    /// Topic id, `-1` for unclustered.
    pub topics: Vec<i32>,
}

/// A run's results.
#[derive(Debug, Clone)]
pub struct Mined {
    pub report: Report,
    pub assignments: Assignments,
}

/// The stemmer and stop words for `locale` (`None`: the plain analyzer).
pub fn language(locale: &str) -> Option<Language> {
    let code = language_of(locale);
    LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, l)| *l)
}

/// Mines the tickets in `files`; coverage is checked against `index` when
/// there is one. `progress` hears (stage, done, total).
pub fn mine(
    files: &[PathBuf],
    opts: &MineOptions,
    index: Option<&SearchIndex>,
    progress: Progress,
) -> Result<Mined, Error> {
    let analyzers = Analyzers::new(language(&opts.locale));
    let read = read_all(files, opts, &analyzers, progress)?;
    let Read {
        corpus,
        tickets,
        mut summary,
    } = read;
    let meaning = opts
        .model
        .as_ref()
        .map(|m| Embeddings::of(&corpus, m, progress));
    let clustering = cluster(
        &corpus,
        meaning.as_ref(),
        &ClusterOptions {
            clusters: opts.clusters,
            min_cluster_size: opts.min_cluster_size,
            seed: opts.seed,
        },
        progress,
    );
    progress("labelling", 0, clustering.topics as u64);
    let labels = label(&corpus, &clustering, &tickets, &analyzers);

    // Linked articles per topic.
    let topic_of_ticket = |t: usize| -> i32 {
        match corpus.ticket_doc[t] {
            NO_DOC => -1,
            d => clustering.doc_topic[d as usize],
        }
    };
    let mut linked: Vec<FxHashMap<&str, u64>> = vec![FxHashMap::default(); clustering.topics];
    for (t, article) in &tickets.articles {
        let topic = topic_of_ticket(*t as usize);
        if topic >= 0 {
            *linked[topic as usize].entry(article.as_str()).or_insert(0) += 1;
        }
    }
    let mut checker = index.map(|i| {
        Checker::new(
            i,
            &opts.locale,
            crate::index::schema::analyzer(language(&opts.locale), true),
        )
    });
    let used = tickets.len().max(1) as f64;
    let mut topics: Vec<Topic> = Vec::with_capacity(labels.topics.len());
    for (id, l) in labels.topics.into_iter().enumerate() {
        progress("checking coverage", id as u64, clustering.topics as u64);
        let trend = trend(l.weekly.clone(), &labels.weekly);
        let coverage = match checker.as_mut() {
            Some(checker) => coverage_of(checker, &corpus, &l, &linked[id], trend.direction)?,
            None => Coverage::unchecked(),
        };
        let growth = growth(&trend);
        topics.push(Topic {
            id: id as i32,
            rank: 0,
            title: l.title,
            tickets: l.tickets,
            share: l.tickets as f64 / used,
            priority: l.tickets as f64 * (1.0 - coverage.score) * (1.0 + growth),
            trend,
            terms: l.terms,
            samples: l.samples,
            tags: l.tags,
            coverage,
        });
    }
    rank(&mut topics);
    let assignments = Assignments {
        topics: (0..tickets.len()).map(topic_of_ticket).collect(),
        ticket_ids: tickets.ids.clone(),
    };
    fill_summary(&mut summary, &assignments, &corpus, &clustering, &tickets);
    summary.coverage_checked = index.is_some();
    summary.by_meaning = meaning.is_some();
    let weeks = labels
        .weeks
        .map(|w| (0..w.count).map(|i| w.start(i)).collect())
        .unwrap_or_default();
    let u = labels.unclustered;
    Ok(Mined {
        report: Report {
            summary,
            topics,
            unclustered: Unclustered {
                tickets: u.tickets,
                share: u.tickets as f64 / used,
                samples: u.samples,
                weekly: u.weekly,
            },
            weeks,
            weekly: labels.weekly,
        },
        assignments,
    })
}

/// The run's counts once clustering is done.
fn fill_summary(
    summary: &mut Summary,
    assignments: &Assignments,
    corpus: &Corpus,
    clustering: &Clustering,
    tickets: &Tickets,
) {
    summary.distinct = corpus.docs.len() as u64;
    summary.sampled = clustering.sampled as u64;
    summary.topics = clustering.topics;
    summary.unclustered = assignments.topics.iter().filter(|&&t| t < 0).count() as u64;
    if let Some((first, last)) = tickets.date_range() {
        summary.first_date = Some(first);
        summary.last_date = Some(last);
    }
}

/// Whether an article answers the topic: its representative questions
/// searched, with the stems it uses most and the articles its tickets link.
fn coverage_of(
    checker: &mut Checker,
    corpus: &Corpus,
    l: &TopicLabel,
    linked: &FxHashMap<&str, u64>,
    direction: Direction,
) -> Result<Coverage, Error> {
    let queries = queries(corpus, l);
    let mut links: Vec<(String, u64)> = linked.iter().map(|(a, n)| (a.to_string(), *n)).collect();
    links.sort();
    let usage: FxHashMap<String, (f32, f32)> = l
        .usage
        .iter()
        .map(|(&s, &u)| (corpus.stems.text(s).to_string(), u))
        .collect();
    checker.check(&queries, &usage, &links, l.tickets, direction)
}

/// How much a trend raises a topic's priority: growing topics up to double,
/// shrinking ones down to half; a steady or unknown trend (one that may be
/// chance) changes nothing.
fn growth(trend: &Trend) -> f64 {
    match (trend.direction, trend.change) {
        (Direction::Growing, None) => 1.0,
        (Direction::Growing | Direction::Shrinking, Some(c)) => c.clamp(-0.5, 1.0),
        _ => 0.0,
    }
}

/// Orders topics by priority, then size, then id, and numbers them from 1.
fn rank(topics: &mut [Topic]) {
    topics.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.tickets.cmp(&a.tickets))
            .then(a.id.cmp(&b.id))
    });
    for (i, t) in topics.iter_mut().enumerate() {
        t.rank = i + 1;
    }
}

/// A topic's representative docs as coverage queries, each stem weighted
/// by how much it says about the topic.
fn queries(corpus: &Corpus, l: &TopicLabel) -> Vec<Query> {
    l.queries
        .iter()
        .map(|&d| {
            let doc = &corpus.docs[d as usize];
            let mut ids = doc.stems.clone();
            ids.sort_unstable();
            ids.dedup();
            Query {
                text: doc.text.clone(),
                tickets: doc.count,
                stems: ids
                    .into_iter()
                    .map(|s| {
                        let w = l.weights.get(&s).copied().unwrap_or(0.0);
                        (corpus.stems.text(s).to_string(), w)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// What reading produced.
struct Read {
    corpus: Corpus,
    tickets: Tickets,
    summary: Summary,
}

/// Reads every file, one thread parsing while the others clean.
fn read_all(
    files: &[PathBuf],
    opts: &MineOptions,
    analyzers: &Analyzers,
    progress: Progress,
) -> Result<Read, Error> {
    // Open every file first: a missing file or column fails before any work.
    let mut readers = Vec::with_capacity(files.len());
    for f in files {
        readers.push(TicketReader::open(f, opts.format, &opts.columns)?);
    }
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let total_bytes: u64 = sizes.iter().sum();
    let mut summary = Summary {
        files: files.iter().map(|f| f.display().to_string()).collect(),
        rows: 0,
        tickets: 0,
        skipped: 0,
        bad_rows: Vec::new(),
        empty: 0,
        unreadable_dates: 0,
        distinct: 0,
        sampled: 0,
        topics: 0,
        unclustered: 0,
        first_date: None,
        last_date: None,
        locale: opts.locale.clone(),
        seed: opts.seed,
        clusters: opts.clusters,
        min_cluster_size: opts.min_cluster_size,
        coverage_checked: false,
        by_meaning: false,
    };
    let mut corpus = Corpus::default();
    let mut tickets = Tickets::default();
    // Two batches in flight: one being parsed, one being cleaned.
    let (send, receive) = sync_channel::<(Vec<RawTicket>, Vec<BadRow>, u64)>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut done_bytes = 0;
            for (mut reader, size) in readers.into_iter().zip(sizes) {
                let mut batch = Vec::with_capacity(BATCH);
                let mut bad = Vec::new();
                loop {
                    let row = reader.next();
                    let end = row.is_none();
                    match row {
                        Some(Row::Ticket(t)) => batch.push(t),
                        Some(Row::Bad(b)) => bad.push(b),
                        None => {}
                    }
                    if batch.len() == BATCH || end {
                        let at = done_bytes + reader.bytes_read();
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if send.send((full, std::mem::take(&mut bad), at)).is_err() {
                            return;
                        }
                    }
                    if end {
                        break;
                    }
                }
                done_bytes += size;
            }
        });
        for (batch, bad, at) in receive {
            summary.rows += (batch.len() + bad.len()) as u64;
            summary.skipped += bad.len() as u64;
            let room = MAX_BAD_ROWS.saturating_sub(summary.bad_rows.len());
            summary.bad_rows.extend(bad.into_iter().take(room));
            for t in &batch {
                tickets.push(t);
                summary.unreadable_dates += u64::from(t.bad_date);
            }
            corpus.add_batch(analyzers, &batch);
            progress("reading", at, total_bytes);
        }
    });
    summary.tickets = tickets.len() as u64;
    summary.empty = corpus.ticket_doc.iter().filter(|&&d| d == NO_DOC).count() as u64;
    Ok(Read {
        corpus,
        tickets,
        summary,
    })
}
