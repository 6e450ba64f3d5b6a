//! FAQ mining end to end: the real `deflect mine` binary on small ticket
//! exports written here (`tests/fixtures/mining`), against a tiny help
//! center built in a temp dir, and the library pipeline for determinism.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deflect::mining::{self, MineOptions};

use crate::harness::{copy_dir, TestKb};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mining")
        .join(name)
}

/// A help center holding the fixture's two articles (password reset,
/// refunds) and nothing about dark mode.
fn help_center() -> TestKb {
    let kb = TestKb::empty();
    copy_dir(&fixture("articles"), kb.articles());
    kb
}

fn mine(kb: &TestKb, args: &[&str]) -> (Output, PathBuf) {
    let out = kb.dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .arg("mine")
        .args(args)
        .arg("--out")
        .arg(&out)
        .arg("--articles")
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .current_dir(kb.dir.path())
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect mine");
    (output, out)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assignments(out: &Path) -> Vec<(String, i32)> {
    let mut r = csv::Reader::from_path(out.join("assignments.csv")).expect("assignments.csv");
    r.records()
        .map(|row| {
            let row = row.expect("row");
            (row[0].to_string(), row[1].parse().expect("cluster id"))
        })
        .collect()
}

/// The fixture's tag (its true topic) of each ticket id.
fn gold() -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(fixture("zendesk.csv")).expect("fixture");
    r.records()
        .map(|row| {
            let row = row.expect("row");
            let tag = row[6].split(' ').next().unwrap_or_default().to_string();
            (row[0].to_string(), tag)
        })
        .collect()
}

#[test]
fn three_obvious_topics_come_out_and_the_one_without_an_article_is_not_covered() {
    let kb = help_center();
    let (output, out) = mine(&kb, &[fixture("zendesk.csv").to_str().expect("path")]);
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("used 45 tickets, skipped 0"), "{stdout}");

    // Each true topic is one cluster, and no two share one.
    let gold = gold();
    let mut clusters: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for (id, cluster) in assignments(&out) {
        clusters
            .entry(gold[&id].clone())
            .or_default()
            .insert(cluster);
    }
    assert_eq!(clusters.len(), 3, "{clusters:?}");
    let ids: BTreeSet<i32> = clusters.values().flatten().copied().collect();
    assert_eq!(ids.len(), 3, "{clusters:?}");
    assert!(
        clusters.values().all(|c| c.len() == 1 && !c.contains(&-1)),
        "{clusters:?}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("json"))
            .expect("report.json is JSON");
    let topics = report["topics"].as_array().expect("topics");
    assert_eq!(topics.len(), 3);
    let verdict_of = |tag: &str| -> (String, String) {
        let id = *clusters[tag].iter().next().expect("cluster");
        let t = topics
            .iter()
            .find(|t| t["id"] == id)
            .expect("topic in report");
        let article = t["coverage"]["article"]["slug"]
            .as_str()
            .unwrap_or("")
            .to_string();
        (
            t["coverage"]["verdict"]
                .as_str()
                .expect("verdict")
                .to_string(),
            article,
        )
    };
    assert_eq!(verdict_of("darkmode").0, "not_covered");
    let (v, article) = verdict_of("password");
    assert_ne!(v, "not_covered");
    assert_eq!(article, "account/reset-password");
    let (v, article) = verdict_of("refund");
    assert_ne!(v, "not_covered");
    assert_eq!(article, "billing/refunds");

    // The uncovered topic ranks first, with a title and five samples, and
    // the dark-mode tickets all came in the last weeks: it is growing.
    let first = &topics[0];
    assert_eq!(
        first["id"],
        *clusters["darkmode"].iter().next().expect("id")
    );
    assert!(
        first["title"]
            .as_str()
            .expect("title")
            .to_lowercase()
            .contains("dark"),
        "{first}"
    );
    assert_eq!(first["samples"].as_array().expect("samples").len(), 5);
    assert_eq!(first["trend"]["direction"], "growing", "{}", first["trend"]);
    // Signatures and personal data never reach the report.
    let json = std::fs::read_to_string(out.join("report.json")).expect("json");
    for leak in ["someone@example.com", "7946", "Anna Smith", "iPhone"] {
        assert!(!json.contains(leak), "{leak} leaked into report.json");
    }

    // suggestions.csv lists the topics to act on: the dark-mode one first.
    let mut s = csv::Reader::from_path(out.join("suggestions.csv")).expect("suggestions.csv");
    let rows: Vec<csv::StringRecord> = s.records().map(|r| r.expect("row")).collect();
    assert!(!rows.is_empty());
    assert_eq!(&rows[0][2], "not covered");
    assert!(
        rows[0][12].contains(" | "),
        "sample questions: {:?}",
        &rows[0]
    );

    // The page stands alone: no script, stylesheet link or remote asset.
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("<svg"), "sparklines are inline SVG");
    for banned in ["<script", "<link", "src=", "http://", "https://"] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
}

#[test]
fn freshdesk_columns_are_recognised() {
    let kb = help_center();
    let (output, out) = mine(
        &kb,
        &[
            fixture("freshdesk.csv").to_str().expect("path"),
            "--min-cluster-size",
            "1",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let ids: Vec<String> = assignments(&out).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["F-1", "F-2"]);
    let report = std::fs::read_to_string(out.join("report.json")).expect("json");
    assert!(
        report.contains("\"first_date\": \"2024-06-03\""),
        "{report}"
    );
    // HTML in the description is gone; the tags were read.
    assert!(report.contains("Why is my card blocked?"), "{report}");
    assert!(report.contains("\"tag\": \"cards\""), "{report}");
}

#[test]
fn bad_rows_are_counted_and_reported_with_their_lines() {
    let kb = help_center();
    let (output, out) = mine(
        &kb,
        &[
            fixture("bad_rows.csv").to_str().expect("path"),
            "--no-coverage",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert!(
        stdout.contains("read 8 rows: used 4 tickets, skipped 4 bad rows"),
        "{stdout}"
    );
    for (line, reason) in [
        (3, "no text"),
        (4, "broken quoting"),
        (5, "UTF-8"),
        (10, "broken quoting"),
    ] {
        let want = format!("bad_rows.csv:{line}: ");
        let found = stderr
            .lines()
            .any(|l| l.contains(&want) && l.contains(reason));
        assert!(found, "no `{want}…{reason}` in:\n{stderr}");
    }
    let ids: Vec<String> = assignments(&out).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["1", "5", "6", "7"]);
}

#[test]
fn explicit_columns_override_detection_and_unknown_ones_fail_clearly() {
    let kb = help_center();
    let tickets = kb.dir.path().join("odd.csv");
    std::fs::write(
        &tickets,
        "ref,notes,when\nA1,reset my password please,2024-06-03\nA2,password reset link broken,2024-06-04\n",
    )
    .expect("write");
    let path = tickets.to_str().expect("path");
    let (output, out) = mine(
        &kb,
        &[
            path,
            "--id-col",
            "REF",
            "--text-col",
            "notes",
            "--date-col",
            "when",
            "--min-cluster-size",
            "1",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let ids: Vec<String> = assignments(&out).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["A1", "A2"]);
    let (output, _) = mine(&kb, &[path, "--text-col", "body"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no column named `body`") && stderr.contains("ref, notes, when"),
        "{stderr}"
    );
}

#[test]
fn the_same_seed_gives_the_same_topics() {
    let run = |seed: u64| {
        let opts = MineOptions {
            seed,
            ..MineOptions::default()
        };
        mining::mine(&[fixture("zendesk.csv")], &opts, None, &|_, _, _| {}).expect("mine")
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(a.assignments.topics, b.assignments.topics);
    assert_eq!(a.assignments.ticket_ids, b.assignments.ticket_ids);
    assert_eq!(
        serde_json::to_string(&a.report).expect("json"),
        serde_json::to_string(&b.report).expect("json")
    );
    assert_eq!(a.report.summary.tickets, 45);
    // Without an index nothing is covered: every topic is a suggestion.
    assert_eq!(a.report.not_covered().count(), a.report.topics.len());
}
