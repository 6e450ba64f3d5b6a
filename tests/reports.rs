//! Reports for support leads: the report of a seeded event log (a JSON
//! snapshot), `deflect report` through the real binary in its three formats,
//! `/agent/reports` and its role checks, and `/agent/synonyms` adding a rule
//! that changes what search finds.

use std::process::Command;

use deflect::analytics::report::{self, Period, ReportOptions};
use deflect::analytics::{Event, EventKind, Source};
use deflect::store::{Role, Store};

use crate::harness::TestKb;

/// 2026-01-01T00:00:00Z.
const JAN_1: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

/// One event; `detail` fills the optional fields.
fn ev(at: i64, session: &str, kind: EventKind, detail: impl FnOnce(&mut Event)) -> Event {
    let mut e = Event {
        at,
        session: session.to_string(),
        kind,
        source: Source::Web,
        query: None,
        slug: None,
        rank: None,
        results: None,
        locale: None,
        helpful: None,
        reason: None,
        comment: None,
    };
    detail(&mut e);
    e
}

fn search(at: i64, s: &str, q: &str, results: i64) -> Event {
    ev(at, s, EventKind::Search, |e| {
        e.query = Some(q.into());
        e.results = Some(results);
        e.locale = Some("en".into());
    })
}

fn click(at: i64, s: &str, q: &str, slug: &str) -> Event {
    ev(at, s, EventKind::Click, |e| {
        e.query = Some(q.into());
        e.slug = Some(slug.into());
        e.rank = Some(1);
    })
}

fn view(at: i64, s: &str, slug: &str, locale: &str) -> Event {
    ev(at, s, EventKind::View, |e| {
        e.slug = Some(slug.into());
        e.locale = Some(locale.into());
    })
}

fn vote(at: i64, s: &str, slug: &str, helpful: bool, reason: Option<&str>) -> Event {
    ev(at, s, EventKind::Vote, |e| {
        e.slug = Some(slug.into());
        e.helpful = Some(helpful);
        e.reason = reason.map(String::from);
    })
}

fn plain(at: i64, s: &str, kind: EventKind) -> Event {
    ev(at, s, kind, |_| {})
}

fn suggestion_click(at: i64, s: &str, slug: &str) -> Event {
    ev(at, s, EventKind::SuggestionClick, |e| {
        e.slug = Some(slug.into())
    })
}

/// A week of help-center traffic (2026-01-01 to 2026-01-07) and a little of
/// the week before, in time order, every timestamp fixed.
fn seeded_log() -> Vec<Event> {
    let prev = JAN_1 - 4 * DAY;
    let d2 = JAN_1 + DAY + 9 * 60 * MINUTE;
    let d4 = JAN_1 + 3 * DAY + 14 * 60 * MINUTE;
    let m = |base: i64, n: i64| base + n * MINUTE;
    let mut events = vec![
        // The previous week: one good search, one ticket.
        search(m(prev, 0), "p1", "refund", 2),
        click(m(prev, 1), "p1", "refund", "billing/refunds"),
        plain(m(prev, 2), "p2", EventKind::ContactOpen),
        plain(m(prev, 3), "p2", EventKind::TicketSubmit),
        // s1 finds the refund policy and likes it.
        search(m(d2, 0), "s1", "Refund policy", 3),
        click(m(d2, 1), "s1", "refund policy", "billing/refunds"),
        view(m(d2, 1), "s1", "billing/refunds", "en"),
        vote(m(d2, 2), "s1", "billing/refunds", true, None),
        // s2 finds nothing for "chargeback", then a suggestion answers it.
        search(m(d2, 3), "s2", "chargeback", 0),
        search(m(d2, 4), "s2", "Chargeback!", 0),
        plain(m(d2, 5), "s2", EventKind::ContactOpen),
        plain(m(d2, 6), "s2", EventKind::SuggestionShown),
        suggestion_click(m(d2, 7), "s2", "billing/refunds"),
        plain(m(d2, 8), "s2", EventKind::Deflected),
        // s3 ignores the results, reads the invoices article, dislikes it
        // and files a ticket.
        search(m(d2, 9), "s3", "invoice pdf", 2),
        view(m(d2, 10), "s3", "billing/invoices", "en"),
        vote(m(d2, 11), "s3", "billing/invoices", false, Some("outdated")),
        plain(m(d2, 12), "s3", EventKind::ContactOpen),
        plain(m(d2, 13), "s3", EventKind::TicketSubmit),
        // s4 resets a password, finds it unclear, files a ticket.
        search(m(d2, 14), "s4", "reset password", 4),
        click(m(d2, 15), "s4", "reset password", "account/reset-password"),
        view(m(d2, 15), "s4", "account/reset-password", "en"),
        vote(
            m(d2, 16),
            "s4",
            "account/reset-password",
            false,
            Some("unclear"),
        ),
        plain(m(d2, 17), "s4", EventKind::TicketSubmit),
        // s5 ignores the results, opens the form, follows a suggestion and
        // leaves (deflected).
        search(m(d4, 0), "s5", "2fa", 3),
        view(m(d4, 0), "s5", "account/two-factor", "en"),
        plain(m(d4, 1), "s5", EventKind::ContactOpen),
        plain(m(d4, 2), "s5", EventKind::SuggestionShown),
        suggestion_click(m(d4, 3), "s5", "account/two-factor"),
        // s6: no results, two opens, a ticket.
        search(m(d4, 4), "s6", "zebra", 0),
        plain(m(d4, 5), "s6", EventKind::ContactOpen),
        plain(m(d4, 6), "s6", EventKind::ContactOpen),
        plain(m(d4, 7), "s6", EventKind::TicketSubmit),
        // s7 reads the French refund policy after a search nobody clicks.
        search(m(d4, 8), "s7", "remboursement", 1),
        view(m(d4, 9), "s7", "billing/refunds", "fr"),
        ev(m(d4, 10), "s7", EventKind::Vote, |e| {
            e.slug = Some("billing/refunds".into());
            e.locale = Some("fr".into());
            e.helpful = Some(false);
        }),
        // ...and says why, in words.
        ev(m(d4, 11), "s7", EventKind::Vote, |e| {
            e.slug = Some("billing/refunds".into());
            e.locale = Some("fr".into());
            e.helpful = Some(false);
            e.reason = Some("other".into());
            e.comment = Some("Rien sur les cartes cadeaux".into());
        }),
    ];
    events.sort_by_key(|e| e.at);
    events
}

fn seed(kb: &TestKb, events: &[Event]) {
    let store = Store::open(&kb.config.store).expect("open store");
    store.insert_events(events).expect("insert events");
}

#[test]
fn report_json_of_a_seeded_event_log() {
    let mut kb = TestKb::new();
    seed(&kb, &seeded_log());
    let library = kb.library();
    let conn = report::open_events(&kb.config.store).expect("events");
    let report = report::build(
        &conn,
        ReportOptions {
            period: Period::new(JAN_1, JAN_1 + 7 * DAY).expect("period"),
            default_locale: "en",
            rows: 20,
            index: Some(library.index()),
            attention: None,
        },
    )
    .expect("report");
    // The headline numbers, by hand from the log above.
    let t = &report.totals.current;
    assert_eq!((t.sessions, t.ticket_sessions), (7, 3));
    assert_eq!(report.summary.self_service_score.current, Some(2.3333));
    // 5 opens: s2 deflected, s3 ticket, s5 abandoned after a click, s6 ×2.
    assert_eq!((t.contact_opens, t.deflected_opens), (5, 2));
    assert_eq!(report.summary.contact_deflection_rate.current, Some(0.4));
    // 8 searches: 2 clicked, 3 with no results, 3 with no clicks.
    assert_eq!(
        (
            t.searches,
            t.successful_searches,
            t.no_result_searches,
            t.no_click_searches
        ),
        (8, 2, 3, 3)
    );
    assert_eq!(report.summary.search_success_rate.current, Some(0.25));
    assert_eq!(report.summary.search_success_rate.previous, Some(1.0));
    // A search with results nobody clicked names the article it finds
    // first, and editing that article comes first.
    let twofa = report
        .no_click_searches
        .iter()
        .find(|r| r.query == "2fa")
        .expect("2fa row");
    let top = twofa.top_result.as_ref().expect("top result");
    assert_eq!(top.slug, "account/two-factor");
    assert_eq!(
        twofa.actions[0].url,
        "/agent/edit?slug=account%2Ftwo-factor&locale=en"
    );
    let json = serde_json::to_value(&report).expect("json");
    insta::assert_json_snapshot!(json);
}

fn deflect(kb: &TestKb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(args)
        .arg("--articles")
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .current_dir(kb.dir.path())
        .env("DEFLECT_STORE", &kb.config.store)
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect")
}

#[test]
fn deflect_report_writes_json_csv_and_html() {
    let kb = TestKb::new();
    seed(&kb, &seeded_log());
    let period = ["--since", "2026-01-01", "--until", "2026-01-08"];
    let run = |format: &str| {
        let out = kb.dir.path().join(format!("report.{format}"));
        let out_arg = out.to_string_lossy().into_owned();
        let mut args = vec!["report"];
        args.extend(period);
        args.extend(["--format", format, "--out", &out_arg]);
        let res = deflect(&kb, &args);
        assert!(
            res.status.success(),
            "{}{}",
            String::from_utf8_lossy(&res.stdout),
            String::from_utf8_lossy(&res.stderr)
        );
        assert!(res.stdout.is_empty(), "--out leaves stdout empty");
        std::fs::read_to_string(out).expect("report written")
    };

    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("valid JSON");
    assert_eq!(json["period"]["first_day"], "2026-01-01");
    assert_eq!(json["period"]["last_day"], "2026-01-07");
    assert_eq!(json["summary"]["self_service_score"]["current"], 2.3333);
    assert_eq!(json["summary"]["contact_deflection_rate"]["current"], 0.4);
    assert_eq!(json["summary"]["search_success_rate"]["current"], 0.25);
    assert_eq!(json["no_result_searches"][0]["query"], "chargeback");
    assert_eq!(json["no_result_searches"][0]["count"], 2);
    assert_eq!(json["daily"].as_array().map(Vec::len), Some(7));
    // The fixture's articles were never peer-reviewed.
    let unreviewed = json["unreviewed_articles"].as_array().expect("unreviewed");
    assert!(
        unreviewed.iter().any(|a| a["slug"] == "billing/refunds"),
        "{unreviewed:?}"
    );

    let csv = run("csv");
    for section in [
        "# summary",
        "# top_searches",
        "# no_result_searches",
        "# no_click_searches",
        "# articles_by_failures",
        "# daily",
    ] {
        assert!(csv.contains(section), "{section} missing:\n{csv}");
    }
    assert!(csv.contains("search_success_rate,0.25,1,-0.75"), "{csv}");
    assert!(
        csv.contains("chargeback,2,2,2026-01-02T09:04:00Z,/agent/articles/new?title=chargeback"),
        "{csv}"
    );

    let html = run("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Deflection report"));
    assert_eq!(html.matches("<svg class=\"trend-chart\"").count(), 3);
    assert!(html.contains("/agent/synonyms?phrase=chargeback"));
    assert!(html.contains("/agent/edit?slug=account%2Freset-password&amp;locale=en"));
    for external in ["<script", "<link", "src=\"http", "@import"] {
        assert!(
            !html.contains(external),
            "{external} in a standalone report"
        );
    }

    // Without --out the report goes to stdout; the format can come from
    // --format alone.
    let mut args = vec!["report"];
    args.extend(period);
    args.extend(["--format", "json"]);
    let res = deflect(&kb, &args);
    assert!(res.status.success());
    let json: serde_json::Value = serde_json::from_slice(&res.stdout).expect("JSON on stdout");
    assert_eq!(json["totals"]["current"]["tickets"], 3);
}

#[test]
fn deflect_report_explains_a_bad_period_and_a_missing_store() {
    let kb = TestKb::new();
    seed(&kb, &[]);
    let res = deflect(&kb, &["report", "--since", "soon"]);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("`--since soon`"), "{err}");

    let res = Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["report", "--format", "json"])
        .current_dir(kb.dir.path())
        .env("DEFLECT_STORE", kb.dir.path().join("nowhere.db"))
        .env_remove("DEFLECT_LOG")
        .output()
        .expect("run deflect");
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("no analytics store at"), "{err}");
}

#[tokio::test]
async fn reports_page_is_for_leads_and_admins() {
    let mut kb = TestKb::new();
    let now = chrono::Utc::now().timestamp_millis();
    seed(
        &kb,
        &[
            search(now - DAY, "w1", "chargeback", 0),
            view(now - DAY + MINUTE, "w1", "billing/refunds", "en"),
            plain(now - DAY + 2 * MINUTE, "w1", EventKind::TicketSubmit),
        ],
    );
    let agent = kb.agent("ann", Role::Agent);
    let lead = kb.agent("lee", Role::Lead);
    let admin = kb.agent("ada", Role::Admin);

    let anonymous = kb.get("/agent/reports").await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location().starts_with("/agent/login"));
    assert_eq!(kb.get_as("/agent/reports", &agent).await.status, 403);
    assert_eq!(
        kb.get_as("/agent/reports?format=json", &agent).await.status,
        403
    );

    for who in [&lead, &admin] {
        let page = kb.get_as("/agent/reports", who).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Deflection report"));
        assert!(page.body.contains("aria-current=\"page\">Last 30 days"));
        assert_eq!(page.body.matches("<svg class=\"trend-chart\"").count(), 3);
        assert!(page
            .body
            .contains("href=\"/agent/synonyms?phrase=chargeback\""));
        assert!(page
            .body
            .contains("href=\"/agent/articles/new?title=chargeback&amp;body="));
        assert!(page
            .body
            .contains("href=\"/agent/edit?slug=billing%2Frefunds&amp;locale=en\""));
    }

    let week = kb.get_as("/agent/reports?period=7d", &lead).await;
    assert!(week.body.contains("aria-current=\"page\">Last 7 days"));
    assert_eq!(
        kb.get_as("/agent/reports?period=1y", &lead).await.status,
        400
    );

    let json = kb.get_as("/agent/reports?format=json", &lead).await;
    assert_eq!(json.status, 200);
    let v = json.json();
    assert_eq!(v["totals"]["current"]["tickets"], 1);
    assert_eq!(v["articles_by_failures"][0]["slug"], "billing/refunds");
    assert_eq!(v["articles_by_failures"][0]["title"], "Refund policy");
    let csv = kb.get_as("/agent/reports?format=csv", &admin).await;
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let html = kb.get_as("/agent/reports?format=html", &admin).await;
    assert!(html.body.starts_with("<!DOCTYPE html>"));
}

#[tokio::test]
async fn adding_a_synonym_changes_search_results() {
    let mut kb = TestKb::new();
    assert!(
        !kb.search("chargeback")
            .contains(&"billing/refunds".to_string()),
        "the fixture must not find the refund policy for chargeback yet"
    );
    let lead = kb.agent("lee", Role::Lead);
    let agent = kb.agent("ann", Role::Agent);

    assert_eq!(kb.get_as("/agent/synonyms", &agent).await.status, 403);
    let form = kb.get_as("/agent/synonyms?phrase=chargeback", &lead).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("value=\"chargeback\""));

    let denied = kb
        .post_as(
            "/agent/synonyms",
            &agent,
            &[("phrase", "chargeback"), ("synonyms", "refund")],
        )
        .await;
    assert_eq!(denied.status, 403);
    let forged = kb
        .post_raw(
            "/agent/synonyms",
            Some(&lead.cookie),
            "csrf=nope&phrase=chargeback&synonyms=refund",
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(!kb.config.synonyms.exists());

    let added = kb
        .post_as(
            "/agent/synonyms",
            &lead,
            &[
                ("phrase", "chargeback"),
                ("synonyms", "refund"),
                ("direction", "one_way"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.location(), "/agent/synonyms?done=added");
    let file = std::fs::read_to_string(&kb.config.synonyms).expect("synonyms written");
    assert_eq!(file, "chargeback => refund\n");
    assert!(kb
        .search("chargeback")
        .contains(&"billing/refunds".to_string()));
    // One way: "refund" does not now find chargeback-only content; the page
    // lists the rule.
    let page = kb.get_as("/agent/synonyms?done=added", &lead).await;
    assert!(page.body.contains("<code>chargeback =&gt; refund</code>"));
    assert!(page.body.contains("Synonym added"));
}

#[tokio::test]
async fn an_invalid_synonyms_file_is_reported_by_line_and_left_alone() {
    let mut kb = TestKb::new();
    let broken = "# team synonyms\nrefund, money back\nlonely\n";
    std::fs::write(&kb.config.synonyms, broken).expect("write synonyms");
    let lead = kb.agent("lee", Role::Lead);

    let res = kb
        .post_as(
            "/agent/synonyms",
            &lead,
            &[("phrase", "chargeback"), ("synonyms", "refund")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body
            .contains("synonyms.txt:3: a group needs at least two"),
        "{}",
        res.body
    );
    // The form keeps what was typed.
    assert!(res.body.contains("value=\"chargeback\""));
    assert_eq!(
        std::fs::read_to_string(&kb.config.synonyms).expect("read"),
        broken
    );

    let res = kb
        .post_as(
            "/agent/synonyms",
            &lead,
            &[("phrase", "a, b"), ("synonyms", "c")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("one phrase"), "{}", res.body);
}

/// With a sentence model, searches whose words find nothing but whose
/// meaning is close to an article get their own table; a search the words
/// find, and one already in the no-result table, are not in it. (The test
/// model reads a text as the mean of its words' vectors: a search of stop
/// words alone is found by nothing but meaning.)
#[cfg(feature = "semantic")]
#[test]
fn searches_found_only_by_meaning_are_listed_with_their_closest_article() {
    let model = tempfile::tempdir().expect("temp dir");
    crate::semantic::write_bag_of_words_model(model.path());
    let mut kb = TestKb::empty();
    kb.config.semantic.model = model.path().to_path_buf();
    kb.write(
        "billing/csv.md",
        "---\ntitle: Export the invoice to csv\n---\nOpen the invoice list.\n",
    );
    kb.write(
        "account/password.md",
        "---\ntitle: Reset my password\n---\nChoose reset.\n",
    );
    seed(
        &kb,
        &[
            search(JAN_1 + MINUTE, "s1", "to the", 2),
            search(JAN_1 + 2 * MINUTE, "s2", "to the", 2),
            search(JAN_1 + 3 * MINUTE, "s3", "reset my password", 1),
            search(JAN_1 + 4 * MINUTE, "s4", "zzz", 0),
        ],
    );
    let library = kb.library();
    let conn = report::open_events(&kb.config.store).expect("events");
    let report = report::build(
        &conn,
        ReportOptions {
            period: Period::new(JAN_1, JAN_1 + DAY).expect("period"),
            default_locale: "en",
            rows: 20,
            index: Some(library.index()),
            attention: None,
        },
    )
    .expect("report");
    let rows = report
        .meaning_only_searches
        .as_ref()
        .expect("listed with a model");
    let queries: Vec<&str> = rows.iter().map(|r| r.query.as_str()).collect();
    assert_eq!(queries, ["to the"], "{rows:#?}");
    assert_eq!(rows[0].searches, 2);
    let closest = rows[0].closest.as_ref().expect("closest article");
    assert_eq!(closest.slug, "billing/csv");
    let kinds: Vec<String> = rows[0]
        .actions
        .iter()
        .map(|a| serde_json::to_value(a.kind).expect("json").to_string())
        .collect();
    assert_eq!(kinds, ["\"add_synonym\"", "\"edit_article\""]);

    // The HTML report shows the table.
    let templates = deflect::templates::Templates::load(None).expect("templates");
    let opts = report::HtmlOptions {
        locale: "en",
        site_name: "Help",
        link_base: "",
    };
    let html = report::render_html(&report, &templates, &opts).expect("html");
    assert!(html.contains("Found only by meaning"), "{html}");
    let csv = report::render_csv(&report).expect("csv");
    assert!(csv.contains("meaning_only_searches"), "{csv}");
}
