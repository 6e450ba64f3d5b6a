//! The machine-readable outputs of a run, written into the `--out` folder:
//! `report.json` (the whole [`Report`]), `suggestions.csv` (one row per
//! topic to act on, in rank order) and `assignments.csv` (`ticket_id,
//! cluster_id` for every ticket used, `-1` for unclustered). Each file is
//! written to a temporary name and renamed, so a reader never sees half a
//! report. Every text cell a customer could have shaped (titles, terms,
//! sample questions, ticket ids) goes through [`neutralize`].

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Assignments, Error, Report};
use crate::csv_guard::neutralize;

/// File names in the output folder.
pub const REPORT_JSON: &str = "report.json";
pub const SUGGESTIONS_CSV: &str = "suggestions.csv";
pub const ASSIGNMENTS_CSV: &str = "assignments.csv";

/// Sample questions joined in one CSV cell.
const SAMPLE_SEPARATOR: &str = " | ";

/// Writes `report.json`.
pub fn write_json(dir: &Path, report: &Report) -> Result<PathBuf, Error> {
    write_atomic(&dir.join(REPORT_JSON), |w| {
        serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
}

/// Writes `suggestions.csv`.
pub fn write_suggestions(dir: &Path, report: &Report) -> Result<PathBuf, Error> {
    write_atomic(&dir.join(SUGGESTIONS_CSV), |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record([
            "rank",
            "cluster_id",
            "verdict",
            "suggested_title",
            "tickets",
            "share",
            "trend",
            "trend_change",
            "coverage",
            "article_slug",
            "article_title",
            "terms",
            "sample_questions",
        ])?;
        for t in report.suggestions() {
            let article = t.coverage.article.as_ref();
            out.write_record([
                t.rank.to_string(),
                t.id.to_string(),
                t.coverage.verdict.as_str().to_string(),
                neutralize(&t.title).into_owned(),
                t.tickets.to_string(),
                format!("{:.4}", t.share),
                t.trend.direction.as_str().to_string(),
                t.trend
                    .change
                    .map(|c| format!("{c:.3}"))
                    .unwrap_or_default(),
                format!("{:.3}", t.coverage.score),
                article.map(|a| a.slug.clone()).unwrap_or_default(),
                article
                    .map(|a| neutralize(&a.title).into_owned())
                    .unwrap_or_default(),
                neutralize(
                    &t.terms
                        .iter()
                        .map(|x| x.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
                .into_owned(),
                neutralize(
                    &t.samples
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join(SAMPLE_SEPARATOR),
                )
                .into_owned(),
            ])?;
        }
        out.flush()
    })
}

/// Writes `assignments.csv`.
pub fn write_assignments(dir: &Path, assignments: &Assignments) -> Result<PathBuf, Error> {
    write_atomic(&dir.join(ASSIGNMENTS_CSV), |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["ticket_id", "cluster_id"])?;
        for (ticket, topic) in assignments.ticket_ids.iter().zip(&assignments.topics) {
            out.write_record([&*neutralize(ticket), topic.to_string().as_str()])?;
        }
        out.flush()
    })
}

/// Writes `path` through `body`, atomically ([`crate::atomic_file`]).
pub fn write_atomic(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<PathBuf, Error> {
    crate::atomic_file::write(path, body).map_err(|source| Error::Write {
        path: path.display().to_string(),
        source,
    })?;
    Ok(path.to_path_buf())
}
