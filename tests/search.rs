//! Search quality on small fixtures written here: ranking order, typos,
//! "did you mean", synonyms and locales.

use std::time::Duration;

use deflect::index::{Audience, SearchRequest};
use deflect::watch::Reloader;

use crate::harness::{wait_until, TestKb};

fn article(title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\n---\n{body}\n")
}

#[test]
fn exact_word_beats_stemmed_word() {
    let mut kb = TestKb::empty();
    kb.write(
        "a/stemmed.md",
        &article("Card help", "Customers pays by card every month."),
    )
    .write(
        "a/exact.md",
        &article("Card help", "Customers paying by card every month."),
    );
    assert_eq!(kb.search("paying"), ["a/exact", "a/stemmed"]);
}

#[test]
fn stemmed_word_beats_typo_correction() {
    let mut kb = TestKb::empty();
    kb.write(
        "a/typo.md",
        &article("Card help", "Customers payng by card every month."),
    )
    .write(
        "a/stemmed.md",
        &article("Card help", "Customers pays by card every month."),
    );
    // "paying" is in no article: its stem finds one, a typo correction the other.
    assert_eq!(kb.search("paying"), ["a/stemmed", "a/typo"]);
}

#[test]
fn title_beats_body_and_phrase_beats_scattered_words() {
    let mut kb = TestKb::empty();
    kb.write(
        "a/body.md",
        &article(
            "Delivery times",
            "Our shipping partners deliver in two days.",
        ),
    )
    .write(
        "a/title.md",
        &article(
            "Shipping options",
            "Our delivery partners deliver in two days.",
        ),
    );
    assert_eq!(kb.search("shipping"), ["a/title", "a/body"]);

    let mut kb = TestKb::empty();
    kb.write(
        "b/scattered.md",
        &article(
            "Account help",
            "Reset the account and choose a password later.",
        ),
    )
    .write(
        "b/phrase.md",
        &article(
            "Account help",
            "Choose the account and reset password later.",
        ),
    );
    assert_eq!(kb.search("reset password"), ["b/phrase", "b/scattered"]);
}

#[test]
fn equal_scores_come_in_the_same_order_whatever_the_index_layout() {
    let orders: Vec<Vec<String>> = [false, true]
        .iter()
        .map(|reversed| {
            let mut kb = TestKb::empty();
            let mut names: Vec<String> = (0..6).map(|i| format!("same/twin-{i}.md")).collect();
            if *reversed {
                names.reverse();
            }
            for name in &names {
                kb.write(name, &article("Twin", "Identical text about invoices."));
            }
            kb.search("invoices")
        })
        .collect();
    assert_eq!(orders[0].len(), 6);
    assert_eq!(orders[0], orders[1]);
}

#[test]
fn typos_are_forgiven_by_word_length() {
    let mut kb = TestKb::new();
    let first = |kb: &mut TestKb, q: &str| kb.search(q).first().cloned();
    assert_eq!(
        first(&mut kb, "pasword").as_deref(),
        Some("account/reset-password"),
        "one deletion"
    );
    assert_eq!(
        first(&mut kb, "pasword rseet").as_deref(),
        Some("account/reset-password"),
        "transposition"
    );
    assert_eq!(
        first(&mut kb, "authentcaton").as_deref(),
        Some("account/two-factor"),
        "two edits in a long word"
    );
    assert_eq!(
        first(&mut kb, "refnud").as_deref(),
        Some("billing/refunds"),
        "transposition is one edit"
    );
    assert!(
        kb.search("rfnud").is_empty(),
        "two edits in a six-letter word are too many"
    );
    assert!(
        kb.search("sep").is_empty(),
        "short words are never corrected (not `set`)"
    );
}

#[test]
fn words_that_exist_are_not_fuzzed() {
    let mut kb = TestKb::empty();
    kb.write("a/plan.md", &article("Plan", "Choose a plan."))
        .write("a/clan.md", &article("Clan", "Join a clan."));
    assert_eq!(kb.search("plan"), ["a/plan"]);
}

#[tokio::test]
async fn did_you_mean_offers_a_corrected_query() {
    let mut kb = TestKb::new();
    let v = kb.get("/api/v1/search?q=pasword+reset").await.json();
    assert_eq!(v["did_you_mean"], "password reset");
    assert_eq!(
        v["hits"][0]["slug"], "account/reset-password",
        "the correction is searched too"
    );
    let v = kb.get("/api/v1/search?q=password+reset").await.json();
    assert!(v["did_you_mean"].is_null());
    let page = kb.get("/search?q=pasword+reset").await;
    assert!(
        page.body.contains("href=\"/search?q=password+reset\""),
        "{}",
        page.body
    );
}

#[test]
fn synonyms_expand_both_ways_and_one_way() {
    let mut kb = TestKb::empty();
    kb.write("b/refunds.md", &article("Refunds", "How refunds work."))
        .write(
            "b/cashback.md",
            &article(
                "Getting your money back",
                "We send the money back within a week.",
            ),
        )
        .write("s/2fa.md", &article("Security", "Turn on 2fa in settings."))
        .write(
            "s/tfa.md",
            &article("Sign-in codes", "Two-factor authentication adds a code."),
        );
    std::fs::write(
        &kb.config.synonyms,
        "# groups\nrefund, money back\n2fa => two-factor authentication\n",
    )
    .unwrap();
    let library = kb.library();
    assert_eq!(library.load_synonyms(&kb.config.synonyms).unwrap(), 3);
    assert_eq!(kb.search("money back"), ["b/cashback", "b/refunds"]);
    assert_eq!(kb.search("refund"), ["b/refunds", "b/cashback"]);
    assert_eq!(
        kb.search("2fa"),
        ["s/2fa", "s/tfa"],
        "one-way rule adds its right side"
    );
    assert_eq!(
        kb.search("two-factor authentication"),
        ["s/tfa"],
        "and not the reverse"
    );
}

#[test]
fn synonyms_file_is_reloaded_live_and_bad_edits_keep_the_old_set() {
    let mut kb = TestKb::empty();
    kb.write("b/refunds.md", &article("Refunds", "How refunds work."));
    let library = kb.library();
    let path = kb.config.synonyms.clone();
    let (lib, p) = (library.clone(), path.clone());
    let _reloader = Reloader::spawn(&path, Duration::from_millis(50), move || {
        let _ = lib.load_synonyms(&p);
    })
    .unwrap();
    assert!(kb.search("chargeback").is_empty());
    std::fs::write(&path, "refund, chargeback\n").unwrap();
    assert!(wait_until(Duration::from_secs(10), || kb
        .search("chargeback")
        == ["b/refunds"]));
    std::fs::write(&path, "chargeback\n").unwrap(); // invalid: a group of one
    std::thread::sleep(Duration::from_millis(400)); // give a reload the chance to (wrongly) happen
    assert_eq!(
        kb.search("chargeback"),
        ["b/refunds"],
        "the last good synonyms stay"
    );
}

#[tokio::test]
async fn search_is_restricted_to_the_visitors_locale() {
    let mut kb = TestKb::new();
    let fr = |q: &str| format!("/api/v1/search?q={q}&locale=fr");
    let v = kb.get(&fr("remboursements")).await.json();
    assert_eq!(v["hits"][0]["slug"], "billing/refunds", "French stemming");
    assert_eq!(v["hits"][0]["title"], "Politique de remboursement");
    let v = kb.get(&fr("refund")).await.json();
    assert_eq!(v["total"], 0, "no English results in French search");

    let ask = |lang: &str| {
        axum::http::Request::get("/api/v1/search?q=remboursement")
            .header("accept-language", lang)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let v = kb.request(ask("fr-CA,fr;q=0.9,en;q=0.5")).await.json();
    assert_eq!(v["locale"], "fr");
    assert_eq!(v["total"], 1);
    let v = kb.request(ask("de-DE")).await.json();
    assert_eq!(v["locale"], "en", "falls back to the default locale");
}

#[test]
fn internal_articles_are_searchable_by_agents_only() {
    let mut kb = TestKb::new();
    let search = |kb: &mut TestKb, audience| {
        kb.library()
            .index()
            .search(&SearchRequest {
                query: "zebracorn",
                locale: "en",
                category: None,
                limit: 10,
                offset: 0,
                audience,
            })
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.slug)
            .collect::<Vec<_>>()
    };
    assert!(search(&mut kb, Audience::Public).is_empty());
    assert_eq!(
        search(&mut kb, Audience::Agent),
        ["internal/escalation"],
        "drafts stay out even for agents"
    );
}

#[test]
fn repeated_searches_see_every_change_despite_the_result_cache() {
    let mut kb = TestKb::empty();
    kb.write("b/refunds.md", &article("Refunds", "How refunds work."));
    let library = kb.library();
    assert_eq!(kb.search("refund"), ["b/refunds"]);
    assert_eq!(kb.search("refund"), ["b/refunds"]);
    assert!(
        library.index().cache_usage().0 >= 1,
        "the answer was cached"
    );

    // A new article, then an edit and a removal: the same question again
    // sees each at once.
    kb.write(
        "b/money.md",
        &article("Money back", "Ask for a refund here."),
    );
    library.apply_paths(&["b/money.md".to_string()]).unwrap();
    assert_eq!(kb.search("refund"), ["b/refunds", "b/money"]);
    kb.write("b/money.md", &article("Money back", "Ask us here."));
    library.apply_paths(&["b/money.md".to_string()]).unwrap();
    assert_eq!(kb.search("refund"), ["b/refunds"]);
    kb.write("b/money.md", &article("Money back", "Ask for a refund."));
    library.apply_paths(&["b/money.md".to_string()]).unwrap();
    kb.remove("b/refunds.md");
    library.apply_paths(&["b/refunds.md".to_string()]).unwrap();
    assert_eq!(kb.search("refund"), ["b/money"]);

    // New synonyms too.
    kb.write("b/chargeback.md", &article("Chargebacks", "Disputes."));
    library
        .apply_paths(&["b/chargeback.md".to_string()])
        .unwrap();
    assert_eq!(kb.search("chargeback"), ["b/chargeback"]);
    std::fs::write(&kb.config.synonyms, "chargeback, refund\n").unwrap();
    library.load_synonyms(&kb.config.synonyms).unwrap();
    assert_eq!(kb.search("chargeback"), ["b/chargeback", "b/money"]);
}

#[test]
fn snippets_start_and_end_on_whole_words() {
    let mut kb = TestKb::empty();
    // The matched word sits deep in a long body, so the snippet is cut
    // from the middle of the text on both sides.
    let filler = |n: usize, word: &str| -> String {
        (0..n)
            .map(|i| format!("{word}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let body = format!(
        "{} The reconciliation step (A & B) runs nightly. {}",
        filler(60, "alpha"),
        filler(60, "omega")
    );
    kb.write("a/long.md", &article("Nightly jobs", &body));
    // A short body is shown whole, without ellipses.
    kb.write(
        "a/short.md",
        &article("Short", "Reconciliation runs nightly."),
    );
    let results = kb
        .library()
        .index()
        .search(&SearchRequest {
            query: "reconciliation",
            locale: "en",
            category: None,
            limit: 5,
            offset: 0,
            audience: Audience::Public,
        })
        .expect("search");
    let hit = |slug: &str| {
        results
            .hits
            .iter()
            .find(|h| h.slug == slug)
            .unwrap_or_else(|| panic!("{slug} found"))
    };
    assert_eq!(
        hit("a/short").snippet_html,
        "<b>Reconciliation</b> runs nightly."
    );
    let html = &hit("a/long").snippet_html;
    assert!(html.contains("<b>reconciliation</b>"), "{html}");
    assert!(html.contains("(A &amp; B)"), "escaped: {html}");
    let inner = html
        .strip_prefix('…')
        .and_then(|h| h.strip_suffix('…'))
        .unwrap_or_else(|| panic!("ellipses at both ends: {html}"));
    // Every word shown is a whole word of the article.
    let plain = inner.replace("<b>", "").replace("</b>", "");
    for word in plain.split_whitespace() {
        let word = word.trim_end_matches('.');
        assert!(
            word.starts_with('&')
                || body
                    .split_whitespace()
                    .any(|w| w.trim_end_matches('.') == word),
            "`{word}` is part of a word: {html}"
        );
    }
}

#[test]
fn question_words_weigh_what_they_are_worth() {
    let mut kb = TestKb::empty();
    kb.write(
        "billing/refunds.md",
        &article(
            "Refund policy",
            "When we refund a charge, the money is back on your card within 5 days.",
        ),
    )
    .write(
        "sync/errors.md",
        &article(
            "Bank sync errors and how to fix them",
            "What each error code means, and the steps to get your transactions flowing again.",
        ),
    )
    .write(
        "invoices/paid.md",
        &article(
            "Record a payment",
            "Mark an invoice paid when the money arrives.",
        ),
    );
    for (slug, title) in [
        ("billing/plans", "Upgrade or downgrade your plan"),
        ("billing/cancel", "Cancel your subscription"),
        ("billing/card", "Update your card"),
        ("invoices/send", "Send an invoice"),
        ("invoices/taxes", "Add taxes to your invoices"),
        ("account/password", "Reset a forgotten password"),
    ] {
        kb.write(
            &format!("{slug}.md"),
            &article(title, "Steps for your Pebble account."),
        );
    }
    // "how", "do", "i", "get" and "my" only ask: the one title that uses
    // "how" must not ride on it past the article about money coming back.
    let found = kb.search("how do i get my money back");
    assert_eq!(found.first().map(String::as_str), Some("billing/refunds"));
    let sync = found.iter().position(|s| s == "sync/errors");
    assert!(sync.is_none_or(|p| p > 1), "{found:?}");
    assert_eq!(found.get(1).map(String::as_str), Some("invoices/paid"));

    // In an FAQ whose titles are questions, the question word still tells
    // two questions on one subject apart.
    let mut faq = TestKb::empty();
    faq.write(
        "faq/why.md",
        &article("Why do I need a mask?", "Masks stop droplets."),
    )
    .write(
        "faq/where.md",
        &article("Where do I get a mask?", "Masks are sold in pharmacies."),
    );
    assert_eq!(faq.search("why a mask")[0], "faq/why");
    assert_eq!(faq.search("where a mask")[0], "faq/where");
}
