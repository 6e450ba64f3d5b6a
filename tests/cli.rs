//! The real `deflect` binary.

use std::process::{Command, Output};

use crate::harness::TestKb;

fn deflect(kb: &TestKb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(args)
        .arg("--articles")
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .current_dir(kb.dir.path())
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn check_passes_on_a_clean_help_center() {
    let kb = TestKb::new();
    let out = deflect(&kb, &["check"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("8 articles OK"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_reports_every_problem_with_file_and_line_and_fails() {
    let kb = TestKb::new();
    kb.write(
        "billing/broken.md",
        "---\ntitle: Broken\ntags:\n  - %\n---\n",
    )
    .write(
        "billing/untitled.md",
        "---\nsummary: nothing\n---\nno title here\n",
    )
    .write(
        "billing/dupe.md",
        "---\ntitle: Dupe\nslug: billing/refunds\n---\n",
    )
    .write(
        "billing/links.md",
        "---\ntitle: Links\n---\n\nSee [gone](gone.md).\n",
    );
    let out = deflect(&kb, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        stdout.contains("billing/broken.md:4: invalid YAML"),
        "{stdout}"
    );
    assert!(
        stdout.contains("billing/untitled.md:1: missing `title`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("billing/refunds.md:1: slug `billing/refunds` is already used by")
            || stdout.contains("billing/dupe.md"),
        "{stdout}"
    );
    assert!(
        stdout.contains("billing/links.md:5: link to `gone.md` points at no article"),
        "{stdout}"
    );
}

#[test]
fn index_prints_counts_and_skipped_files() {
    let kb = TestKb::new();
    kb.write("broken.md", "+++\ntitle = \n+++\n");
    let out = deflect(&kb, &["index"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("indexed 8 articles"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("skipped 1 files"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("broken.md:2: invalid TOML"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_first_index_is_created_without_a_warning() {
    let kb = TestKb::new();
    let fresh = kb.dir.path().join("fresh-index");
    let out = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["index", "--articles"])
        .arg(kb.articles())
        .arg("--index")
        .arg(&fresh)
        .current_dir(kb.dir.path())
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("WARN"),
        "a new index is not a problem: {stderr}"
    );
    assert!(text(&out.stdout).contains("indexed 8 articles"));
}

#[test]
fn search_json_has_the_api_shape() {
    let kb = TestKb::new();
    let out = deflect(
        &kb,
        &[
            "search", "how", "do", "i", "get", "a", "refund", "--json", "--limit", "3",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["query"], "how do i get a refund");
    assert_eq!(v["hits"][0]["slug"], "billing/refunds");
    assert!(v["hits"].as_array().unwrap().len() <= 3);
    for key in ["total", "facets", "limit", "offset"] {
        assert!(!v[key].is_null(), "{key}");
    }
    let out = deflect(&kb, &["search", "refund", "--category", "account"]);
    assert!(out.status.success());
    assert!(!text(&out.stdout).contains("Refund policy"));
}

#[test]
fn bad_arguments_and_missing_folders_fail_clearly() {
    let kb = TestKb::new();
    let out = deflect(&kb, &["search", "refund", "--limit", "0"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
    let out = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["check", "--articles", "/nonexistent/articles"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("articles folder /nonexistent/articles not found"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_file_and_env_are_applied() {
    let kb = TestKb::new();
    let toml = format!(
        "articles = {:?}\nindex = {:?}\n",
        kb.articles().display().to_string(),
        kb.config.index.display().to_string()
    );
    std::fs::write(kb.dir.path().join("deflect.toml"), toml).unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_deflect"));
        cmd.args(["search", "refund", "--json"])
            .current_dir(kb.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[]);
    assert!(
        out.status.success(),
        "config file names the folders: {}",
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["hits"][0]["slug"], "billing/refunds");
    let out = run(&[("DEFLECT_ARTICLES", "/nonexistent/from-env")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/from-env"),
        "env overrides the file: {}",
        text(&out.stderr)
    );
}

const GOLDEN: &str = r#"{"query": "forgot my password", "expected": ["account/reset-password"]}
{"query": "money back", "expected": ["billing/refunds"]}
{"query": "download invoice pdf", "expected": ["billing/invoices", "account/two-factor"]}
{"query": "quantum physics", "expected": ["getting-started/welcome"]}
"#;

#[test]
fn eval_prints_hand_checked_metrics_and_misses() {
    let kb = TestKb::new();
    let golden = kb.dir.path().join("golden.jsonl");
    std::fs::write(&golden, GOLDEN).unwrap();
    let out = deflect(&kb, &["eval", golden.to_str().unwrap(), "--k", "5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // Ranks of the first expected article: 1, 1, 1, none → MRR = P@1 = 3/4.
    // Recall@5: 1 + 1 + 1/2 (two-factor is not found for "download invoice pdf") + 0.
    assert!(
        stdout.contains(
            "4 queries  MRR 0.750  P@1 0.750  Recall@5 0.625  Recall@10 0.625  Success@5 0.750"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 queries miss their article in the top 5"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"quantum physics\" → getting-started/welcome (not in the top 100)"),
        "{stdout}"
    );

    let out = deflect(&kb, &["eval", golden.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranks: Vec<serde_json::Value> = v["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["rank"].clone())
        .collect();
    assert_eq!(
        ranks,
        [
            serde_json::json!(1),
            serde_json::json!(1),
            serde_json::json!(1),
            serde_json::Value::Null
        ]
    );
    assert_eq!(v["metrics"]["mrr"], 0.75);
}

#[test]
fn check_with_queries_guards_recall() {
    let kb = TestKb::new();
    let golden = kb.dir.path().join("golden.jsonl");
    std::fs::write(&golden, GOLDEN).unwrap();
    let g = golden.to_str().unwrap();
    let out = deflect(&kb, &["check", "--queries", g, "--min-recall-at", "5=0.6"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = deflect(
        &kb,
        &[
            "check",
            "--queries",
            g,
            "--min-recall-at",
            "5=0.9",
            "--min-recall-at",
            "10=0.5",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Recall@5 is 0.625, below the required 0.900"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Recall@10"),
        "the other bar holds: {stdout}"
    );
    let out = deflect(&kb, &["check", "--queries", g, "--min-recall-at", "3=0.9"]);
    assert_eq!(out.status.code(), Some(2), "recall is measured at 5 and 10");
    std::fs::write(&golden, "{\"query\": \"x\"}\n").unwrap();
    let out = deflect(&kb, &["check", "--queries", g]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("golden.jsonl:1: missing field `expected`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_validates_the_synonyms_file() {
    let kb = TestKb::new();
    std::fs::write(
        kb.dir.path().join("synonyms.txt"),
        "refund, money back\nlonely\n",
    )
    .unwrap();
    let out = deflect(&kb, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("synonyms.txt:2: a group needs at least two"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn agent_accounts_from_the_command_line() {
    let kb = TestKb::new();
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_deflect"))
            .args(args)
            .current_dir(kb.dir.path())
            .env("DEFLECT_STORE", kb.dir.path().join("team.db"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "agent",
            "add",
            "ana",
            "--email",
            "ana@example.com",
            "--role",
            "lead",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created ana <ana@example.com> as lead"));
    let out = run(
        &[
            "agent",
            "add",
            "bo",
            "--email",
            "bo@example.com",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("at least 10 characters"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["agent", "disable", "ana"], "");
    assert!(out.status.success());
    let out = run(&["agent", "list"], "");
    assert!(
        text(&out.stdout).contains("ana") && text(&out.stdout).contains("disabled"),
        "{}",
        text(&out.stdout)
    );
    let store = deflect::store::Store::open(kb.dir.path().join("team.db")).unwrap();
    assert!(
        store
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_none(),
        "disabled accounts cannot sign in"
    );
}

#[test]
fn review_baseline_adopts_the_folder_by_an_admin_and_a_new_store_imports_it() {
    use deflect::analytics::report::articles_needing_attention;
    use deflect::review::baseline;
    use deflect::store::{Role, Store};

    let mut kb = TestKb::new();
    {
        let store = Store::open(&kb.config.store).unwrap();
        store
            .create_account(
                "root",
                "root@example.com",
                Role::Admin,
                "correct horse battery",
            )
            .unwrap();
        store
            .create_account(
                "ana",
                "ana@example.com",
                Role::Agent,
                "correct horse battery",
            )
            .unwrap();
    }
    let out = deflect(&kb, &["review", "baseline", "--by", "ana"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("only an enabled admin"),
        "{}",
        text(&out.stderr)
    );

    let manifest = kb.articles().join(baseline::MANIFEST);
    let out = deflect(&kb, &["review", "baseline", "--by", "root", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("would adopt billing/refunds (en)"),
        "{}",
        text(&out.stdout)
    );
    assert!(!manifest.exists(), "a dry run writes nothing");

    let out = deflect(&kb, &["review", "baseline", "--by", "root"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let adopted: usize = said
        .split("adopted ")
        .last()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    let listed = said
        .lines()
        .filter(|l| l.ends_with("(en)") || l.ends_with("(fr)"))
        .count();
    assert!(adopted >= 5 && adopted == listed, "{said}");
    assert!(said.contains("0 were reviewed already"), "{said}");
    let written = std::fs::read_to_string(&manifest).unwrap();
    assert!(written.contains("adopted_by = \"root\""), "{written}");
    {
        let store = Store::open(&kb.config.store).unwrap();
        assert!(store.has_approvals().unwrap());
        let again = deflect(&kb, &["review", "baseline", "--by", "root"]);
        assert!(
            text(&again.stdout).contains(&format!(
                "adopted 0 article(s) as reviewed by root; {adopted} were reviewed already"
            )),
            "{}",
            text(&again.stdout)
        );
    }

    // A clone of the folder with a new store: the first start imports the
    // manifest, and a file edited by hand since is unreviewed again.
    std::fs::remove_file(kb.config.store.path().unwrap()).unwrap();
    let refunds = kb.articles().join("billing/refunds.md");
    let edited = std::fs::read_to_string(&refunds).unwrap() + "\nEdited by hand.\n";
    std::fs::write(&refunds, edited).unwrap();
    let state = kb.state();
    assert_eq!(
        baseline::import_on_first_start(&state.store, state.library.root()).unwrap(),
        adopted
    );
    let attention = articles_needing_attention(
        state.library.index(),
        &state.store,
        chrono::Duration::days(36500),
        chrono::Utc::now(),
    )
    .unwrap();
    let unreviewed: Vec<&str> = attention
        .unreviewed
        .iter()
        .map(|a| a.slug.as_str())
        .collect();
    assert_eq!(unreviewed, ["billing/refunds"]);
    assert_eq!(
        baseline::import_on_first_start(&state.store, state.library.root()).unwrap(),
        0,
        "a store with approvals never reads the manifest again"
    );
}
