//! FAQ mining: resolved tickets → the help-center articles to write next.
//! A pipeline of plain functions, seeded so a run is reproducible:
//! read ([`input`], [`columns`]) → clean ([`clean`], [`pii`]) → collapse
//! near-duplicates ([`corpus`]) → featurize ([`features`]) → cluster
//! ([`knn`] or, with a sentence model, [`meaning`]; [`louvain`], [`cluster`]) → label ([`label`], [`title`],
//! [`trend`]) → check coverage against the search index ([`coverage`]).
//! [`pipeline::mine`] runs it into a [`Report`], which [`output`] and
//! [`html`] write out; `deflect mine` drives it. [`drafts`] turns the
//! [`Report::not_covered`] topics into review drafts, each with its
//! suggested title and sample questions.

pub mod clean;
pub mod cluster;
pub mod columns;
pub mod corpus;
pub mod coverage;
pub mod drafts;
pub mod features;
pub mod html;
pub mod input;
pub mod knn;
pub mod label;
pub mod louvain;
pub mod meaning;
pub mod output;
pub mod pipeline;
pub mod quality;
pub mod quotes;
pub mod rng;
pub mod tickets;
pub mod title;
pub mod trend;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use columns::ColumnOverrides;
pub use coverage::{ArticleMatch, Coverage, Verdict};
pub use input::{BadRow, Format};
pub use label::Term;
pub use pipeline::{mine, Assignments, MineOptions, Mined};
pub use trend::{Direction, Trend};

/// Errors of a mining run. Bad rows are not errors: they are counted in the
/// report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: no header row")]
    Empty { file: String },
    #[error("{file}: unknown format — name the file .csv or .jsonl, or pass --format csv|jsonl")]
    UnknownFormat { file: String },
    #[error("{file}: no text column among: {headers} — name one with --text-col")]
    NoTextColumn { file: String, headers: String },
    #[error("{file}: no column named `{column}`; its columns are: {headers}")]
    UnknownColumn {
        file: String,
        column: String,
        headers: String,
    },
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    #[error("cannot render the HTML report: {0}")]
    Template(String),
}

/// Everything a run found: what `report.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub summary: Summary,
    /// Topics, the most in need of an article first.
    pub topics: Vec<Topic>,
    /// Tickets that fit no topic.
    pub unclustered: Unclustered,
    /// Monday of each week that [`Trend::weekly`] counts (empty when no
    /// ticket had a readable date).
    pub weeks: Vec<NaiveDate>,
    /// All tickets per week.
    pub weekly: Vec<u32>,
}

impl Report {
    /// Topics no article answers, the most pressing first: what to write.
    pub fn not_covered(&self) -> impl Iterator<Item = &Topic> {
        self.topics
            .iter()
            .filter(|t| t.coverage.verdict == Verdict::NotCovered)
    }

    /// Topics to act on (not covered, or partly covered), in rank order.
    pub fn suggestions(&self) -> impl Iterator<Item = &Topic> {
        self.topics
            .iter()
            .filter(|t| t.coverage.verdict != Verdict::Covered)
    }
}

/// How the run went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub files: Vec<String>,
    /// Rows read (tickets and bad rows).
    pub rows: u64,
    /// Tickets used.
    pub tickets: u64,
    /// Bad rows skipped.
    pub skipped: u64,
    /// The first bad rows, with their lines ([`MAX_BAD_ROWS`] at most).
    pub bad_rows: Vec<BadRow>,
    /// Tickets with no words left once greetings, quotes and signatures went.
    pub empty: u64,
    /// Tickets whose date could not be read (used without one).
    pub unreadable_dates: u64,
    /// Distinct questions once near-duplicates collapsed.
    pub distinct: u64,
    /// Distinct questions clustered through the similarity graph.
    pub sampled: u64,
    pub topics: usize,
    pub unclustered: u64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub locale: String,
    pub seed: u64,
    /// `--clusters`, when given.
    pub clusters: Option<usize>,
    pub min_cluster_size: u32,
    /// Whether coverage was checked against a help center.
    pub coverage_checked: bool,
    /// Whether tickets were clustered (and coverage judged) by a sentence
    /// model's reading of their meaning rather than by their words.
    #[serde(default)]
    pub by_meaning: bool,
}

/// Bad rows listed in a report (all are counted).
pub const MAX_BAD_ROWS: usize = 1000;

/// One topic: a group of tickets asking the same thing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Topic {
    /// The cluster id of `assignments.csv` (0 is the largest topic).
    pub id: i32,
    /// Position in the report (1 is the most pressing).
    pub rank: usize,
    /// A suggested article title.
    pub title: String,
    pub tickets: u64,
    /// Share of all tickets used.
    pub share: f64,
    pub trend: Trend,
    /// Distinctive terms, most distinctive first.
    pub terms: Vec<Term>,
    /// The most representative tickets: the sample questions for a writer.
    pub samples: Vec<Sample>,
    pub tags: Vec<TagCount>,
    pub coverage: Coverage,
    /// Tickets left unanswered by the help center, weighted by the trend:
    /// what the ranking sorts by.
    pub priority: f64,
}

/// A representative ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Id of the first ticket with this question.
    pub ticket_id: String,
    /// Its cleaned text (personal data masked).
    pub text: String,
    /// Tickets asking it in (nearly) these words.
    pub tickets: u32,
}

/// How often a tag was on a topic's tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagCount {
    pub tag: String,
    pub count: u64,
}

/// The tickets that fit no topic.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unclustered {
    pub tickets: u64,
    pub share: f64,
    /// The most frequent of them.
    pub samples: Vec<Sample>,
    pub weekly: Vec<u32>,
}
