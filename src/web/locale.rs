//! Choosing the visitor's locale: the URL prefix when there is one, else the
//! best match of the `Accept-Language` header among the locales that have
//! articles, else the default locale.

/// The best of `available` for an `Accept-Language` header value: exact tags
/// first, then the same language (`fr-CH` → `fr`, `fr` → `fr-ca`), in the
/// order of the header's quality values. `None` when nothing fits.
pub fn negotiate(header: &str, available: &[String]) -> Option<String> {
    let mut wanted: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase().replace('_', "-");
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.trim().parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            (!tag.is_empty() && tag != "*" && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, tag) in &wanted {
        if let Some(hit) = available.iter().find(|a| *a == tag) {
            return Some(hit.clone());
        }
        let primary = tag.split('-').next().unwrap_or(tag);
        if let Some(hit) = available
            .iter()
            .find(|a| a.split('-').next() == Some(primary))
        {
            return Some(hit.clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_table() {
        let available: Vec<String> = ["en", "fr", "pt-br"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cases = [
            ("fr-CH, fr;q=0.9, en;q=0.8", Some("fr")),
            ("de, en;q=0.5", Some("en")),
            ("pt-PT", Some("pt-br")),
            ("en;q=0.1, fr;q=0.9", Some("fr")),
            ("de, ja", None),
            ("", None),
            ("*", None),
            ("fr;q=0", None),
            ("garbage;;;q=x", None),
        ];
        for (header, expected) in cases {
            assert_eq!(
                negotiate(header, &available).as_deref(),
                expected,
                "{header:?}"
            );
        }
    }
}
