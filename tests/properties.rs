//! Property tests: arbitrary Unicode (styled letters, combining marks,
//! right-to-left text, control characters, Markdown and HTML punctuation)
//! through every text path of mining and search must never panic. Case
//! counts are bounded so the module runs in seconds; `cargo fuzz` (see the
//! README) keeps searching far longer.

use std::sync::LazyLock;

use deflect::articles::{markdown, Article, ParseOptions};
use deflect::index::{Audience, SearchIndex, SearchRequest};
use deflect::mining::clean::{clean, html_to_text};
use deflect::mining::corpus::Analyzers;
use deflect::mining::title;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Bounded runs, and no regression files written into the source tree.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Text that leans on what broke things before: multi-byte letters at every
/// offset, quoting and nesting characters, line breaks and controls.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        2 => prop::sample::select(vec![
            "𝓘", "𝔀", "é", "ß", "İ", "\u{301}", "\u{202e}", "\u{feff}", "中", "🙂", "\u{0}",
            "\u{1b}[2J", "\r\n", "\n", "\t", " ", "> ", "- ", "<div>", "</div>", "<b>", "&amp;",
            "&#x1F600;", "\"", "'", "=", "@", "+", "-", "on ", "On ", "Re: ", "Thanks,",
            "wrote:", "From: ", "[email]", "jane@example.com", "4111 1111 1111 1111", "#",
            "*", "_", "`", "[", "]", "(", ")", "|", "\\",
        ])
        .prop_map(String::from),
        1 => "[a-z]{1,12}",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|p| p.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), tricky_text()]
}

const ARTICLES: &[(&str, &str)] = &[
    (
        "account/reset-password.md",
        "---\ntitle: Reset a forgotten password\ntags: [password, login]\n---\n\nOpen **Sign in** and choose *Forgot password*. Ünïcödé café 𝓘 text.\n",
    ),
    (
        "billing/refunds.md",
        "---\ntitle: Refunds\n---\n\nRefunds reach your card in 5–10 days.\n",
    ),
    (
        "billing/refunds.fr.md",
        "---\ntitle: Remboursements\ntranslation_of: billing/refunds\n---\n\nLes remboursements arrivent sous 10 jours.\n",
    ),
    (
        "billing/draft.md",
        "---\ntitle: Quokka plan\nstatus: draft\n---\n\nSecret quokka pricing.\n",
    ),
];

fn resolver(path: &str) -> Option<String> {
    Some(format!("/articles/{}", path.trim_end_matches(".md")))
}

static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| {
    let opts = ParseOptions {
        default_locale: "en",
        resolver: &resolver,
    };
    let articles: Vec<Article> = ARTICLES
        .iter()
        .map(|(path, text)| Article::parse(path, text, &opts).expect("seed article"))
        .collect();
    let index = SearchIndex::in_memory("en").expect("index");
    index.rebuild(&articles).expect("rebuild");
    index
});

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn mining_text_paths_never_panic(raw in any_text()) {
        let cleaned = clean(&raw);
        let _ = html_to_text(&raw);
        let mut analyzers = Analyzers::new(None);
        let analyzed = analyzers.analyze(&[raw.clone(), cleaned.clone()]);
        prop_assert_eq!(analyzed.stems.len(), analyzed.words.len());
        let _ = title::rephrase(&cleaned);
        let _ = title::rephrase(&raw);
        let terms: Vec<(String, String)> = analyzed
            .stems
            .iter()
            .cloned()
            .zip(analyzed.words.iter().cloned())
            .take(4)
            .collect();
        let mut stem = |s: &str| analyzers.analyze(&[s.to_string()]).stems;
        let _ = title::suggest(&[cleaned.as_str(), raw.as_str()], &terms, &mut stem);
        // The cleaned question is one line: no line breaks survive.
        prop_assert!(!cleaned.contains('\n'));
    }

    #[test]
    fn markdown_rendering_never_panics_and_stays_sanitized(body in any_text()) {
        let r = markdown::render(&body, 1, "billing/fuzz.md", &resolver);
        prop_assert!(!r.html.to_ascii_lowercase().contains("<script"));
        let opts = ParseOptions { default_locale: "en", resolver: &resolver };
        let _ = Article::parse("billing/fuzz.md", &format!("---\ntitle: {body}\n---\n{body}"), &opts);
        let _ = Article::parse("billing/fuzz.md", &body, &opts);
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn search_paths_never_panic(query in any_text(), locale in prop_oneof![
        Just("en".to_string()), Just("fr".to_string()), any::<String>()
    ]) {
        for audience in [Audience::Public, Audience::Agent] {
            let results = INDEX.search_uncached(&SearchRequest {
                query: &query,
                locale: &locale,
                category: None,
                limit: 5,
                offset: 0,
                audience,
            });
            prop_assert!(results.is_ok(), "{:?}", results.err());
            // A draft's word is never offered back to a customer.
            if audience == Audience::Public {
                let dym = results.ok().and_then(|r| r.did_you_mean).unwrap_or_default();
                prop_assert!(!dym.contains("quokka"), "{}", dym);
            }
        }
        let _ = INDEX.suggest(&query, &locale, 5, Audience::Public);
    }
}
