//! Slugs: the URL id of an article. Derived from the file's path unless front
//! matter sets one, and validated so that no slug, from a file or a URL, can
//! name anything outside `articles/`.

/// True for `billing/refunds`-like slugs: `/`-separated segments of lowercase
/// letters, digits, `-`, `_` and `.`, none empty, none `.` or `..`.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 512
        && slug.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && !seg.starts_with('.')
                && seg.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
                })
        })
}

/// The locale named by a file suffix: `refunds.fr.md` → `fr`, `x.pt-br.md` → `pt-br`.
pub fn locale_from_path(path: &str) -> Option<String> {
    let stem = strip_md(file_name(path));
    let (_, suffix) = stem.rsplit_once('.')?;
    let mut parts = suffix.split('-');
    let lang = parts.next()?;
    let is_lang = (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_lowercase());
    let region_ok = parts.all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphanumeric()));
    (is_lang && region_ok).then(|| suffix.to_ascii_lowercase())
}

/// The slug the editor suggests for a new article: `category/title-words`,
/// the title's words lowercased and folded to ASCII ("Réglée" → `reglee`),
/// joined by `-` and cut at a word so the address stays short. Empty when the
/// title has no letters or digits that fold to ASCII (the writer picks one).
/// `editor.js` suggests the same while the title is typed.
pub fn slug_from_title(category: &str, title: &str) -> String {
    use tantivy::tokenizer::{
        AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer, TokenStream,
    };
    const MAX_WORDS_LEN: usize = 60;
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyzer.token_stream(title);
    let mut words = String::new();
    while let Some(token) = stream.next() {
        let word: String = token
            .text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        if word.is_empty() {
            continue;
        }
        if !words.is_empty() && words.len() + 1 + word.len() > MAX_WORDS_LEN {
            break;
        }
        if !words.is_empty() {
            words.push('-');
        }
        words.push_str(&word);
    }
    let category = category.trim();
    if words.is_empty() || !is_valid_slug(category) || category.contains('/') {
        return words;
    }
    format!("{category}/{words}")
}

/// The slug of a file that sets none: its path without extension and locale
/// suffix, lowercased, with other characters turned into `-`.
pub fn derive_slug(path: &str) -> String {
    let mut base = strip_md(path);
    if locale_from_path(path).is_some() {
        base = base.rsplit_once('.').map_or(base, |(b, _)| b);
    }
    let mut slug = String::with_capacity(base.len());
    for c in base.chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' | '.' | '/' => slug.push(c),
            'A'..='Z' => slug.push(c.to_ascii_lowercase()),
            _ => {
                if !slug.ends_with('-') {
                    slug.push('-')
                }
            }
        }
    }
    let segments: Vec<String> = slug
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s.trim_start_matches('.').trim_matches('-');
            if s.is_empty() {
                "-".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    segments.join("/")
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn strip_md(path: &str) -> &str {
    for ext in [".md", ".markdown", ".MD"] {
        if let Some(base) = path.strip_suffix(ext) {
            return base;
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_suggest_short_ascii_slugs_under_their_category() {
        assert_eq!(
            slug_from_title("billing", "Get a refund"),
            "billing/get-a-refund"
        );
        assert_eq!(
            slug_from_title("", "Rembourser une commande réglée"),
            "rembourser-une-commande-reglee"
        );
        assert_eq!(
            slug_from_title("billing", "Set up 2FA (v2.0) — fast!"),
            "billing/set-up-2fa-v2-0-fast"
        );
        assert_eq!(slug_from_title("Not A Category", "Refunds"), "refunds");
        assert_eq!(
            slug_from_title("billing", "払い戻し"),
            "",
            "nothing folds to ASCII"
        );
        let long = slug_from_title("", &"word ".repeat(40));
        assert!(long.len() <= 60 && !long.ends_with('-'), "{long}");
        for title in ["../../etc/passwd", ".hidden", "a/b", "  "] {
            let slug = slug_from_title("", title);
            assert!(slug.is_empty() || is_valid_slug(&slug), "{title} → {slug}");
        }
    }

    #[test]
    fn valid_and_invalid_slugs() {
        for ok in [
            "billing/refunds",
            "a",
            "x/7.5/microsoft.powershell.core/foreach-object",
            "a_b-c",
        ] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "../etc/passwd",
            "a/../b",
            "/abs",
            "a//b",
            "a/.hidden",
            "UPPER",
            "a b",
            "a\\b",
            "a/./b",
            "%2e%2e",
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn derived_slugs() {
        let cases = [
            ("billing/refunds.md", "billing/refunds"),
            ("billing/refunds.fr.md", "billing/refunds"),
            (
                "reference/7.5/Microsoft.PowerShell.Core/ForEach-Object.md",
                "reference/7.5/microsoft.powershell.core/foreach-object",
            ),
            ("Guides/Set up SSO!.md", "guides/set-up-sso"),
            ("about_Foo.help.md", "about_foo.help"),
        ];
        for (path, slug) in cases {
            assert_eq!(derive_slug(path), slug, "{path}");
            assert!(is_valid_slug(&derive_slug(path)), "{path}");
        }
    }

    #[test]
    fn locale_suffixes() {
        assert_eq!(locale_from_path("a/b.fr.md").as_deref(), Some("fr"));
        assert_eq!(locale_from_path("a/b.pt-br.md").as_deref(), Some("pt-br"));
        assert_eq!(locale_from_path("a/b.md"), None);
        assert_eq!(locale_from_path("Microsoft.PowerShell.Core.md"), None);
        assert_eq!(locale_from_path("about_Foo.help.md"), None);
    }
}
