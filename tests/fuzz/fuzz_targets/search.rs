//! Query planning and search: any text as a search query, a suggestion
//! prefix and a locale against a small in-memory index.
#![no_main]

use std::sync::LazyLock;

use deflect::articles::{Article, ParseOptions};
use deflect::index::{Audience, SearchIndex, SearchRequest};
use libfuzzer_sys::fuzz_target;

const ARTICLES: &[(&str, &str)] = &[
    ("account/reset-password.md", "---\ntitle: Reset a forgotten password\ntags: [password, login]\n---\n\nOpen **Sign in**, choose *Forgot password* and follow the email link.\n"),
    ("billing/refunds.md", "---\ntitle: Refunds\n---\n\nRefunds reach your card in 5–10 days. Café crème, naïve façade.\n"),
    ("billing/refunds.fr.md", "---\ntitle: Remboursements\ntranslation_of: billing/refunds\n---\n\nLes remboursements arrivent sous 10 jours.\n"),
    ("internal/runbook.md", "---\ntitle: Zebracorn runbook\nvisibility: internal\n---\n\nPage the on-call engineer.\n"),
    ("billing/draft.md", "---\ntitle: Quokka plan\nstatus: draft\n---\n\nSecret quokka pricing.\n"),
];

static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| {
    let resolver = |p: &str| Some(format!("/articles/{p}"));
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

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (locale, query) = match text.split_once('\u{0}') {
        Some((l, q)) => (l, q),
        None => ("en", text.as_ref()),
    };
    for audience in [Audience::Public, Audience::Agent] {
        let _ = INDEX.search_uncached(&SearchRequest {
            query,
            locale,
            category: None,
            limit: 5,
            offset: 0,
            audience,
        });
    }
    let _ = INDEX.suggest(query, locale, 5, Audience::Public);
});
