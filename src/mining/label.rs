//! Topics → what a support lead reads: each topic's size, tickets per week,
//! distinctive terms, most representative tickets, tags and a suggested
//! title. Distinctive terms are the stems and stem pairs whose share of the
//! topic's tickets most exceeds their share of all tickets (each term's
//! contribution to the topic's relative entropy), shown in the words the
//! customers used. Representative tickets are those nearest the topic's
//! centroid.

use rustc_hash::FxHashMap;

use super::cluster::Clustering;
use super::corpus::{Analyzers, Corpus, NO_DOC};
use super::tickets::Tickets;
use super::title;
use super::trend::Weeks;
use super::{Sample, TagCount};

/// Representative tickets shown per topic.
pub const SAMPLES: usize = 5;
/// Representative docs searched per topic for coverage (and read for titles).
pub const QUERIES: usize = 12;
/// Distinctive terms listed per topic.
const TERMS: usize = 6;
/// A term must be in at least this share of a topic's tickets.
const MIN_TERM_SHARE: f64 = 0.1;
/// A word in more than this share of all tickets that a topic uses less
/// than twice as often says little about it ("my", "how", and in a bank's
/// queue "card"): terms containing it are left out.
const COMMON: f64 = 0.15;
/// Tags listed per topic.
const TAGS: usize = 5;

const BIGRAM: u64 = 1 << 63;

/// A distinctive term of a topic.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Term {
    /// As the customers wrote it ("card arrived").
    pub text: String,
    /// Share of the topic's tickets that use it.
    pub share: f64,
    #[serde(skip)]
    stems: String,
}

/// What labelling says about one topic.
#[derive(Debug, Clone)]
pub struct TopicLabel {
    pub tickets: u64,
    pub weekly: Vec<u32>,
    pub terms: Vec<Term>,
    pub samples: Vec<Sample>,
    pub tags: Vec<TagCount>,
    pub title: String,
    /// Its most representative docs, best first (for coverage).
    pub queries: Vec<u32>,
    /// How much each stem says about the topic: its share of the topic's
    /// tickets times the log of how much more the topic uses it than all
    /// tickets do (stems the topic does not favour are absent).
    pub weights: FxHashMap<u32, f32>,
    /// Share of the topic's tickets, and of all tickets, using each stem of
    /// the topic.
    pub usage: FxHashMap<u32, (f32, f32)>,
}

/// Labels of every topic, and of the unclustered bucket.
#[derive(Debug, Clone)]
pub struct Labels {
    pub topics: Vec<TopicLabel>,
    pub unclustered: TopicLabel,
    pub weeks: Option<Weeks>,
    /// All tickets per week.
    pub weekly: Vec<u32>,
}

/// Labels the topics of `clustering`.
pub fn label(
    corpus: &Corpus,
    clustering: &Clustering,
    tickets: &Tickets,
    analyzers: &Analyzers,
) -> Labels {
    let k = clustering.topics;
    // Slot k holds the unclustered bucket.
    let slot = |t: i32| if t < 0 { k } else { t as usize };
    let mut docs: Vec<Vec<u32>> = vec![Vec::new(); k + 1];
    for (d, &t) in clustering.doc_topic.iter().enumerate() {
        docs[slot(t)].push(d as u32);
    }
    let weeks = tickets.date_range().map(|(a, b)| Weeks::spanning(a, b));
    let Counts {
        size,
        mut weekly,
        all_weekly,
        tags,
    } = count_tickets(corpus, clustering, tickets, weeks);
    let presence = term_presence(corpus, clustering, k);
    let total_tickets = corpus.tickets_in_docs().max(1) as f64;
    let mut analyzers = analyzers.clone();
    let mut labels: Vec<TopicLabel> = Vec::with_capacity(k + 1);
    for s in 0..=k {
        let members = central_first(corpus, clustering, docs[s].clone());
        let in_docs: u64 = members
            .iter()
            .map(|&d| u64::from(corpus.docs[d as usize].count))
            .sum();
        let terms = if s < k {
            distinctive_terms(
                corpus,
                &members,
                &presence.topics[s],
                &presence.all,
                in_docs,
                total_tickets,
            )
        } else {
            Vec::new()
        };
        let samples = samples(corpus, tickets, &members, SAMPLES);
        let queries: Vec<u32> = members.iter().copied().take(QUERIES).collect();
        let title = if s < k {
            let texts: Vec<&str> = queries
                .iter()
                .map(|&d| corpus.docs[d as usize].text.as_str())
                .collect();
            let pairs: Vec<(String, String)> = terms
                .iter()
                .map(|t| (t.stems.clone(), t.text.clone()))
                .collect();
            title::suggest(&texts, &pairs, &mut |text| analyzers.tokens(text).0)
        } else {
            "Unclustered".to_string()
        };
        let tag_counts = top_tags(&tags[s], tickets);
        let weights = if s < k {
            stem_weights(&presence.topics[s], &presence.all, in_docs, total_tickets)
        } else {
            FxHashMap::default()
        };
        let usage = if s < k {
            stem_usage(&presence.topics[s], &presence.all, in_docs, total_tickets)
        } else {
            FxHashMap::default()
        };
        labels.push(TopicLabel {
            usage,
            weights,
            tickets: size[s],
            weekly: std::mem::take(&mut weekly[s]),
            terms,
            samples,
            tags: tag_counts,
            title,
            queries,
        });
    }
    let unclustered = labels.pop().unwrap_or_else(|| TopicLabel {
        tickets: 0,
        weekly: Vec::new(),
        terms: Vec::new(),
        samples: Vec::new(),
        tags: Vec::new(),
        title: String::new(),
        queries: Vec::new(),
        weights: FxHashMap::default(),
        usage: FxHashMap::default(),
    });
    Labels {
        topics: labels,
        unclustered,
        weeks,
        weekly: all_weekly,
    }
}

/// Per topic (the last slot: the unclustered bucket): tickets, tickets per
/// week, and ticket tags.
struct Counts {
    size: Vec<u64>,
    weekly: Vec<Vec<u32>>,
    all_weekly: Vec<u32>,
    tags: Vec<FxHashMap<u32, u64>>,
}

fn count_tickets(
    corpus: &Corpus,
    clustering: &Clustering,
    tickets: &Tickets,
    weeks: Option<Weeks>,
) -> Counts {
    let k = clustering.topics;
    let n_weeks = weeks.map_or(0, |w| w.count);
    let mut c = Counts {
        size: vec![0u64; k + 1],
        weekly: vec![vec![0u32; n_weeks]; k + 1],
        all_weekly: vec![0u32; n_weeks],
        tags: vec![FxHashMap::default(); k + 1],
    };
    for (t, &d) in corpus.ticket_doc.iter().enumerate() {
        let topic = if d == NO_DOC {
            -1
        } else {
            clustering.doc_topic[d as usize]
        };
        let s = if topic < 0 { k } else { topic as usize };
        c.size[s] += 1;
        if let (Some(w), Some(date)) = (weeks, tickets.created[t]) {
            let i = w.index(date);
            c.weekly[s][i] += 1;
            c.all_weekly[i] += 1;
        }
        for &tag in tickets.tags_of(t) {
            *c.tags[s].entry(tag).or_insert(0) += 1;
        }
    }
    c
}

/// A topic's docs, nearest the centroid first (the unclustered bucket: by
/// volume), ties by size then id.
fn central_first(corpus: &Corpus, clustering: &Clustering, mut members: Vec<u32>) -> Vec<u32> {
    members.sort_by(|&a, &b| {
        let (da, db) = (&corpus.docs[a as usize], &corpus.docs[b as usize]);
        clustering.doc_similarity[b as usize]
            .total_cmp(&clustering.doc_similarity[a as usize])
            .then(db.count.cmp(&da.count))
            .then(a.cmp(&b))
    });
    members
}

/// A topic's most used ticket tags, most first (ties by name), at most `TAGS`.
fn top_tags(tags: &FxHashMap<u32, u64>, tickets: &Tickets) -> Vec<TagCount> {
    let mut counts: Vec<TagCount> = tags
        .iter()
        .map(|(&tag, &count)| TagCount {
            tag: tickets.tags.text(tag).to_string(),
            count,
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
    counts.truncate(TAGS);
    counts
}

/// For each stem (not bigram) of a topic: the share of the topic's tickets
/// that use it, and the share of all tickets.
fn stem_usage(
    topic: &FxHashMap<u64, u64>,
    all: &FxHashMap<u64, u64>,
    in_docs: u64,
    total_tickets: f64,
) -> FxHashMap<u32, (f32, f32)> {
    let n = in_docs.max(1) as f64;
    topic
        .iter()
        .filter(|(&key, _)| key & BIGRAM == 0)
        .map(|(&key, &c)| {
            let everywhere = all.get(&key).copied().unwrap_or(c) as f64;
            (
                key as u32,
                ((c as f64 / n) as f32, (everywhere / total_tickets) as f32),
            )
        })
        .collect()
}

/// Tickets using each term, per topic and overall.
struct Presence {
    topics: Vec<FxHashMap<u64, u64>>,
    all: FxHashMap<u64, u64>,
}

fn term_presence(corpus: &Corpus, clustering: &Clustering, k: usize) -> Presence {
    let mut topics = vec![FxHashMap::default(); k];
    let mut all = FxHashMap::default();
    let mut keys: Vec<u64> = Vec::new();
    for (d, doc) in corpus.docs.iter().enumerate() {
        keys.clear();
        keys.extend(doc.stems.iter().map(|&s| u64::from(s)));
        keys.extend(
            doc.stems
                .windows(2)
                .map(|w| BIGRAM | u64::from(w[0]) << 32 | u64::from(w[1])),
        );
        keys.sort_unstable();
        keys.dedup();
        let t = clustering.doc_topic[d];
        for &key in &keys {
            *all.entry(key).or_insert(0) += u64::from(doc.count);
            if t >= 0 {
                *topics[t as usize].entry(key).or_insert(0) += u64::from(doc.count);
            }
        }
    }
    Presence { topics, all }
}

fn stem_weights(
    topic: &FxHashMap<u64, u64>,
    all: &FxHashMap<u64, u64>,
    size: u64,
    total: f64,
) -> FxHashMap<u32, f32> {
    let size = size.max(1) as f64;
    topic
        .iter()
        .filter(|(&key, _)| key & BIGRAM == 0)
        .filter_map(|(&key, &n)| {
            let p = n as f64 / size;
            let q = all.get(&key).copied().unwrap_or(n) as f64 / total;
            (p > q).then(|| (key as u32, (p * (p / q).ln()) as f32))
        })
        .collect()
}

fn distinctive_terms(
    corpus: &Corpus,
    members: &[u32],
    topic: &FxHashMap<u64, u64>,
    all: &FxHashMap<u64, u64>,
    size: u64,
    total: f64,
) -> Vec<Term> {
    let size = size.max(1) as f64;
    let mut scored: Vec<(f64, u64, f64)> = topic
        .iter()
        .filter_map(|(&key, &n)| {
            let p = n as f64 / size;
            let q = all.get(&key).copied().unwrap_or(n) as f64 / total;
            (p >= MIN_TERM_SHARE && p > q).then(|| (p * (p / q).ln(), key, p))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<(u64, f64)> = Vec::new();
    let parts = |key: u64| -> Vec<u64> {
        if key & BIGRAM != 0 {
            vec![(key >> 32) & 0x7fff_ffff, key & 0xffff_ffff]
        } else {
            vec![key]
        }
    };
    for (_, key, p) in scored {
        if chosen.len() == TERMS {
            break;
        }
        // A pair says more than its words: skip words already in a chosen
        // pair, and pairs whose words are both chosen.
        let mine = parts(key);
        let common = |k: &u64| {
            let q = all.get(k).copied().unwrap_or(0) as f64 / total;
            let p = topic.get(k).copied().unwrap_or(0) as f64 / size;
            q > COMMON && p < 2.0 * q
        };
        if mine.iter().any(common) {
            continue;
        }
        let covered = |k: &u64| chosen.iter().any(|(c, _)| parts(*c).contains(k));
        if key & BIGRAM == 0 && covered(&key) {
            continue;
        }
        if key & BIGRAM != 0 && mine.iter().all(|k| chosen.iter().any(|(c, _)| *c == *k)) {
            continue;
        }
        chosen.push((key, p));
    }
    chosen
        .into_iter()
        .map(|(key, share)| {
            let stems: Vec<u32> = parts(key).into_iter().map(|s| s as u32).collect();
            Term {
                text: surface(corpus, members, &stems),
                share,
                stems: stems
                    .iter()
                    .map(|&s| corpus.stems.text(s))
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect()
}

/// The words customers most often wrote for the stem sequence `stems`.
fn surface(corpus: &Corpus, members: &[u32], stems: &[u32]) -> String {
    let mut forms: FxHashMap<Vec<u32>, u64> = FxHashMap::default();
    for &d in members {
        let doc = &corpus.docs[d as usize];
        for (i, window) in doc.stems.windows(stems.len()).enumerate() {
            if window == stems {
                *forms
                    .entry(doc.words[i..i + stems.len()].to_vec())
                    .or_insert(0) += u64::from(doc.count);
            }
        }
    }
    let best = forms
        .into_iter()
        .map(|(words, n)| {
            let text: Vec<&str> = words.iter().map(|&w| corpus.words.text(w)).collect();
            (n, text.join(" "))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
    best.map(|(_, t)| t).unwrap_or_else(|| {
        stems
            .iter()
            .map(|&s| corpus.stems.text(s))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Up to `n` samples from `members` (best first), one per distinct text.
fn samples(corpus: &Corpus, tickets: &Tickets, members: &[u32], n: usize) -> Vec<Sample> {
    let mut out: Vec<Sample> = Vec::with_capacity(n);
    for &d in members {
        if out.len() == n {
            break;
        }
        let doc = &corpus.docs[d as usize];
        if out.iter().any(|s| s.text.eq_ignore_ascii_case(&doc.text)) {
            continue;
        }
        out.push(Sample {
            ticket_id: tickets.ids[doc.first_ticket as usize].clone(),
            text: doc.text.clone(),
            tickets: doc.count,
        });
    }
    out
}
