//! FAQ mining end to end: the real `deflect mine` binary on small ticket
//! exports written here (`tests/fixtures/mining`), against a tiny help
//! center built in a temp dir, and the library pipeline for determinism;
//! then mined topics into review drafts, from the CLI and from
//! `/agent/mining`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deflect::mining::{self, MineOptions};
use deflect::store::Role;

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
    mine_with_env(kb, args, &[])
}

fn mine_with_env(kb: &TestKb, args: &[&str], env: &[(&str, &str)]) -> (Output, PathBuf) {
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
        .envs(env.iter().copied())
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
    for banned in ["<script", "<link", "src="] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    // Opened from disk, its links lead to the help center (where `serve`
    // listens, without `public_url`), and back to the workspace.
    assert!(html.contains("href=\"http://localhost:8080/agent/mining\""));
    for (at, _) in html.match_indices("http") {
        assert!(
            html[..at].ends_with("href=\"") && html[at..].starts_with("http://localhost:8080/"),
            "{}",
            &html[at.saturating_sub(20)..(at + 60).min(html.len())]
        );
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

/// A topic's draft, as the store holds it.
fn drafts_titled(store: &deflect::store::Store, word: &str) -> Vec<deflect::store::Revision> {
    store
        .accounts()
        .expect("accounts")
        .iter()
        .flat_map(|a| store.drafts_of(a.id).expect("drafts"))
        .filter(|r| r.fields.title.to_lowercase().contains(word))
        .collect()
}

#[tokio::test]
async fn drafts_from_mined_topics_are_not_public_and_go_through_review() {
    let mut kb = help_center();
    {
        let store = deflect::store::Store::open(&kb.config.store).expect("store");
        for name in ["alice", "bob"] {
            store
                .create_account(
                    name,
                    &format!("{name}@example.com"),
                    Role::Agent,
                    "correct horse battery",
                )
                .expect("account");
        }
    }
    let store_path = kb.config.store.display();
    let mine_drafts = |kb: &TestKb| {
        let (output, _) = mine_with_env(
            kb,
            &[
                fixture("zendesk.csv").to_str().expect("path"),
                "--drafts",
                "--assign",
                "alice",
                "--assign",
                "bob",
            ],
            &[("DEFLECT_STORE", &store_path)],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let stdout = mine_drafts(&kb);
    assert!(
        stdout.contains("1 drafts created, 0 made before, for 1 topics not covered"),
        "{stdout}"
    );

    // The dark-mode topic (no article) became alice's draft; the covered
    // topics got none.
    let state = kb.state();
    let drafts = drafts_titled(&state.store, "");
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    let draft = &drafts[0];
    assert!(
        draft.fields.title.to_lowercase().contains("dark"),
        "{draft:?}"
    );
    assert_eq!(draft.author, "alice");
    assert_eq!(draft.state, deflect::store::RevisionState::Draft);
    assert!(draft.slug.starts_with("general/"), "{}", draft.slug);
    // The sample questions are in a comment for the writer, which the
    // renderer drops.
    let body = &draft.fields.body;
    assert!(body.starts_with("<!--\nFAQ mining (run 1"), "{body}");
    let sample = body
        .lines()
        .find_map(|l| l.strip_prefix("- "))
        .expect("a sample question");
    assert!(sample.to_lowercase().contains("dark"), "{sample}");
    let catalog = deflect::articles::load::Catalog::new("en");
    let html = deflect::articles::markdown::render(body, 1, "x.md", &catalog).html;
    assert!(
        !html.contains("FAQ mining") && !html.contains(sample),
        "{html}"
    );

    // Not public: neither the page, the API nor search shows it.
    assert_eq!(kb.get(&format!("/{}", draft.slug)).await.status, 404);
    assert_eq!(
        kb.get(&format!("/api/v1/articles/{}", draft.slug))
            .await
            .status,
        404
    );
    assert!(kb.search("dark mode").is_empty());

    // The lead sees the run and the draft at /agent/mining, with the full
    // report a click away; agents do not.
    let lead = kb.agent("lena", Role::Lead);
    let page = kb.get_as("/agent/mining", &lead).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Draft by alice"), "{}", page.body);
    assert!(page.body.contains("Run 1"), "{}", page.body);
    let report = kb.get_as("/agent/mining/report", &lead).await;
    assert_eq!(report.status, 200);
    assert!(report.body.contains("<svg"), "sparklines");
    let json = kb.get_as("/agent/mining/report.json", &lead).await;
    assert_eq!(json.json()["summary"]["tickets"], 45);
    // A topic's closest article that is not a match says so on the page too.
    let closest = json.json()["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .filter(|t| !t["coverage"]["article"].is_null() && t["coverage"]["confident"] == false)
        .count();
    assert!(
        closest > 0,
        "the dark-mode topic has only a closest article"
    );
    assert_eq!(
        page.body.matches("(closest, not a match)").count(),
        closest,
        "{}",
        page.body
    );
    let agent = kb.agent("andy", Role::Agent);
    assert_eq!(kb.get_as("/agent/mining", &agent).await.status, 403);

    // Peer review as usual: alice cannot approve her own draft.
    let reviewer = state
        .store
        .account_by_name("bob")
        .expect("bob")
        .expect("bob");
    let author = state.store.account_by_name("alice").expect("a").expect("a");
    // A mined draft starts as a hidden comment: nothing to review yet.
    assert!(state
        .workflow
        .submit(&author, draft.id, &["bob".to_string()])
        .is_err());
    let rev = state.store.revision(draft.id).expect("draft");
    let mut fields = rev.fields.clone();
    fields
        .body
        .push_str("\nOpen Settings → Appearance and choose Dark.\n");
    state
        .workflow
        .save(&author, draft.id, rev.version, fields)
        .expect("write the draft");
    state
        .workflow
        .submit(&author, draft.id, &["bob".to_string()])
        .expect("submit");
    assert!(state.workflow.approve(&author, draft.id, "").is_err());
    state
        .workflow
        .approve(&reviewer, draft.id, "ok")
        .expect("approve");

    // Mining again links the topic to the open revision: no second draft.
    drop(state);
    let mut kb = kb.reopen();
    let stdout = mine_drafts(&kb);
    assert!(
        stdout.contains("0 drafts created, 1 made before"),
        "{stdout}"
    );
    let state = kb.state();
    assert_eq!(drafts_titled(&state.store, "").len(), 1);
}

#[tokio::test]
async fn leads_draft_mined_topics_from_the_page_round_robin_or_for_anyone_to_claim() {
    let mined = mining::mine(
        &[fixture("zendesk.csv")],
        &MineOptions::default(),
        None,
        &|_, _, _| {},
    )
    .expect("mine");
    let report = &mined.report;
    assert_eq!(report.not_covered().count(), 3);
    let ids: Vec<String> = report.topics.iter().map(|t| t.id.to_string()).collect();

    let mut kb = help_center();
    let lead = kb.agent("lena", Role::Lead);
    let _alice = kb.agent("alice", Role::Agent);
    let _bob = kb.agent("bob", Role::Agent);
    let state = kb.state();
    // No run yet: the page says how to make one.
    let empty = kb.get_as("/agent/mining", &lead).await;
    assert!(
        empty.body.contains("deflect mine tickets.csv"),
        "{}",
        empty.body
    );
    let run = state
        .store
        .save_mining_run(&serde_json::to_string(report).expect("json"))
        .expect("save run")
        .to_string();

    // Bad forms are refused with a message, and make nothing.
    let mut fields = vec![("run", run.as_str())];
    let no_topic = kb.post_as("/agent/mining/drafts", &lead, &fields).await;
    assert_eq!(no_topic.status, 400);
    assert!(
        no_topic.body.contains("at least one topic"),
        "{}",
        no_topic.body
    );
    let stale = kb
        .post_as(
            "/agent/mining/drafts",
            &lead,
            &[("run", "0"), ("topic", &ids[0])],
        )
        .await;
    assert_eq!(stale.status, 409);
    let unknown = kb
        .post_as(
            "/agent/mining/drafts",
            &lead,
            &[("run", &run), ("topic", &ids[0]), ("assign", "nobody")],
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("nobody"), "{}", unknown.body);
    let forged = kb
        .post_raw(
            "/agent/mining/drafts",
            Some(&lead.cookie),
            &format!("run={run}&topic={}", ids[0]),
        )
        .await;
    assert_eq!(forged.status, 403);
    let agent = kb.agent("andy", Role::Agent);
    let not_lead = kb
        .post_as(
            "/agent/mining/drafts",
            &agent,
            &[("run", &run), ("topic", &ids[0])],
        )
        .await;
    assert_eq!(not_lead.status, 403);
    assert!(drafts_titled(&state.store, "").is_empty());

    // Two topics for alice and bob in turn, the third for anyone.
    fields.extend([("topic", ids[0].as_str()), ("topic", ids[1].as_str())]);
    fields.extend([("assign", "alice"), ("assign", "bob")]);
    let made = kb.post_as("/agent/mining/drafts", &lead, &fields).await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(made.location(), "/agent/mining?drafted=2");
    let made = kb
        .post_as(
            "/agent/mining/drafts",
            &lead,
            &[("run", &run), ("topic", &ids[2])],
        )
        .await;
    assert_eq!(made.location(), "/agent/mining?drafted=1");
    let authors: Vec<String> = report
        .topics
        .iter()
        .map(|t| {
            let d = drafts_titled(&state.store, &t.title.to_lowercase());
            assert_eq!(d.len(), 1, "{}: {d:?}", t.title);
            d[0].author.clone()
        })
        .collect();
    assert_eq!(authors, ["alice", "bob", deflect::store::UNASSIGNED]);
    // Asking again makes nothing new.
    let again = kb
        .post_as(
            "/agent/mining/drafts",
            &lead,
            &[("run", &run), ("topic", &ids[2])],
        )
        .await;
    assert_eq!(again.location(), "/agent/mining?drafted=0");

    // The unassigned draft waits on every agent's dashboard; whoever saves
    // it becomes its author, and so cannot approve it.
    let dashboard = kb.get_as("/agent", &agent).await;
    assert!(
        dashboard.body.contains("Topics waiting for a writer"),
        "{}",
        dashboard.body
    );
    let open = drafts_titled(&state.store, &report.topics[2].title.to_lowercase()).remove(0);
    let andy = state.store.account_by_name("andy").expect("a").expect("a");
    let mut fields = open.fields.clone();
    fields
        .body
        .push_str("Switch it on under Settings → Appearance.\n");
    let saved = state
        .workflow
        .save(&andy, open.id, open.version, fields)
        .expect("save");
    assert_eq!(saved.author, "andy");
    assert_eq!(state.store.writing_queue(10, 0).expect("queue").1, 0);
    state.workflow.submit(&andy, open.id, &[]).expect("submit");
    assert!(state.workflow.approve(&andy, open.id, "").is_err());
}

#[tokio::test]
async fn the_writing_queue_puts_the_most_needed_first_pages_and_is_claimed_once() {
    let mut kb = help_center();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let state = kb.state();
    // 25 drafts, created in an order that is not their priority.
    let ranks: Vec<usize> = (0..25).map(|i| (i * 7) % 25 + 1).collect();
    let ids = crate::harness::queue_mined_drafts(&state, &ranks);
    let by_rank: std::collections::BTreeMap<usize, i64> = ranks.into_iter().zip(ids).collect();

    let first = kb.get_as("/agent/queue", &ana).await;
    assert_eq!(first.status, 200);
    let order: Vec<usize> = first
        .body
        .match_indices("Mined topic ranked ")
        .filter_map(|(at, m)| {
            let rest = &first.body[at + m.len()..];
            rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap()]
                .parse()
                .ok()
        })
        .collect();
    // Each title appears in the link and in the claim button's label.
    let order: Vec<usize> = order.chunks(2).map(|c| c[0]).collect();
    assert_eq!(
        order,
        (1..=20).collect::<Vec<_>>(),
        "highest priority first, 20 a page"
    );
    assert!(first.body.contains("Page 1 of 2"), "{}", first.body);
    let second = kb.get_as("/agent/queue?page=2", &ana).await;
    assert_eq!(second.body.matches("Mined topic ranked ").count(), 5 * 2);

    // The dashboard shows the count and the first three only.
    let dashboard = kb.get_as("/agent", &bo).await;
    assert!(
        dashboard.body.contains("See the whole queue (25)"),
        "{}",
        dashboard.body
    );
    assert_eq!(dashboard.body.matches("/claim\"").count(), 3);

    // Claimed once: ana becomes the author; bo is told who has it.
    let top = by_rank[&1];
    let claimed = kb
        .post_as(&format!("/agent/revisions/{top}/claim"), &ana, &[])
        .await;
    assert_eq!(claimed.status, 303, "{}", claimed.body);
    assert_eq!(
        claimed.location(),
        format!("/agent/revisions/{top}/edit?done=claimed")
    );
    assert_eq!(state.store.revision(top).unwrap().author, "ana");
    let late = kb
        .post_as(&format!("/agent/revisions/{top}/claim"), &bo, &[])
        .await;
    assert_eq!(late.status, 400);
    assert!(
        late.body.contains("This draft was claimed by ana already"),
        "{}",
        late.body
    );
    let (_, left) = state.store.writing_queue(20, 0).unwrap();
    assert_eq!(left, 24);
    let claim_get = kb
        .get_as(&format!("/agent/revisions/{}/claim", by_rank[&2]), &bo)
        .await;
    assert_ne!(claim_get.status, 200, "no claim by GET");
}
