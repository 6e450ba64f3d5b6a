//! Front matter + Markdown render: any bytes as an article file must parse
//! or fail with a `ParseError`, never panic, and render in bounded time.
#![no_main]

use deflect::articles::{Article, ParseOptions};
use libfuzzer_sys::fuzz_target;

fn resolver(path: &str) -> Option<String> {
    Some(format!("/articles/{}", path.trim_end_matches(".md")))
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let opts = ParseOptions {
        default_locale: "en",
        resolver: &resolver,
    };
    let _ = Article::parse("billing/fuzz.md", source, &opts);
    // The body alone too: the editor preview renders without front matter.
    let _ = deflect::articles::markdown::render(source, 1, "billing/fuzz.md", &resolver);
});
