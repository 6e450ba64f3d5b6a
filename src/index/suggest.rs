//! As-you-type suggestions: article titles matching a partial query: the
//! titles with every complete word (stemmed) and the last, unfinished word
//! completed from the title vocabulary (most frequent completions first);
//! when no title has them all, titles with any of the words, one typo
//! allowed in words of four letters or more.

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use super::query::Audience;
use super::schema::tokens;
use super::{document, Result, SearchIndex};

/// One suggested article.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suggestion {
    pub slug: String,
    pub title: String,
    /// The title, HTML-escaped, with the typed words in `<mark>`.
    pub title_html: String,
    pub url: String,
    pub category: String,
}

/// Most completions of the last word that are tried.
const MAX_COMPLETIONS: usize = 24;
/// Words this long may be one typo off in the loose pass (shorter ones
/// would match too many other words).
const TYPO_MIN_CHARS: usize = 4;

impl SearchIndex {
    /// Up to `limit` titles for the partial query `q`: those with every
    /// typed word (the last one completed); when there are none, those with
    /// any of them, a typo allowed ("refnud" finds "Refund").
    pub fn suggest(
        &self,
        q: &str,
        locale: &str,
        limit: usize,
        audience: Audience,
    ) -> Result<Vec<Suggestion>> {
        let lang = self.fields.lang(locale).clone();
        let tokenizers = self.index.tokenizers();
        let Some(mut stem) = tokenizers.get(&lang.stem_tokenizer) else {
            return Ok(Vec::new());
        };
        // Lowercased and folded like the index, but keeping stop words: "how
        // to" is a fine start of a title prefix.
        let mut plain = super::schema::analyzer(None, false);
        let words = tokens(&mut plain, q);
        let Some((_, last)) = words.last().cloned() else {
            return Ok(Vec::new());
        };
        let finished = q.ends_with(|c: char| !c.is_alphanumeric());
        let searcher = self.searcher();
        let complete: &[(usize, String)] = if finished {
            &words
        } else {
            &words[..words.len() - 1]
        };
        // Stop words carry no signal; they are dropped rather than required.
        let stems: Vec<String> = complete
            .iter()
            .filter_map(|(_, w)| tokens(&mut stem, w).into_iter().next().map(|(_, s)| s))
            .collect();
        let completions = if finished {
            Vec::new()
        } else {
            self.completions(&searcher, lang.title_exact, &last)?
        };
        let partial = (!finished).then_some(last.as_str());
        let typed: Vec<String> = complete.iter().map(|(_, w)| w.clone()).collect();
        let prefixes: Vec<String> = partial.map(String::from).into_iter().collect();
        let mut out = Vec::new();
        for strict in [true, false] {
            // The loose pass only when no title has every word: it costs a
            // typo automaton, and its matches are weaker than any exact one.
            if !strict && !out.is_empty() {
                break;
            }
            let Some(query) = self.title_query(&lang, &stems, partial, &completions, strict) else {
                continue;
            };
            let query = self.filtered(Box::new(self.in_locale(query, locale)), None, audience);
            for (_, addr) in searcher.search(&query, &TopDocs::with_limit(limit.max(1)))? {
                if out.len() >= limit {
                    break;
                }
                let s = self.summaries.get_or_load(&searcher, addr, || {
                    let doc: TantivyDocument = searcher.doc(addr)?;
                    Ok(document::to_summary(
                        &self.fields,
                        &doc,
                        &self.default_locale,
                    ))
                })?;
                if out.iter().any(|o: &Suggestion| o.slug == s.slug) {
                    continue;
                }
                out.push(Suggestion {
                    title_html: highlight(&s.title, &typed, &prefixes),
                    slug: s.slug.clone(),
                    title: s.title.clone(),
                    url: s.url.clone(),
                    category: s.category.clone(),
                });
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The title query: `strict`, every typed word (`stems`) and one of the
    /// unfinished word's `completions`; loose, any of them, where a word of
    /// four letters or more may be one typo off (the unfinished word as a
    /// prefix). `None` when there is nothing to look for.
    fn title_query(
        &self,
        lang: &super::schema::LangFields,
        stems: &[String],
        partial: Option<&str>,
        completions: &[String],
        strict: bool,
    ) -> Option<Box<dyn Query>> {
        let term = |field, w: &str| Term::from_field_text(field, w);
        let exact = |field, w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(term(field, w), IndexRecordOption::WithFreqs))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let each = if strict { Occur::Must } else { Occur::Should };
        for w in stems {
            let q: Box<dyn Query> = if strict || w.chars().count() < TYPO_MIN_CHARS {
                exact(lang.title, w)
            } else {
                Box::new(FuzzyTermQuery::new(term(lang.title, w), 1, true))
            };
            clauses.push((each, q));
        }
        if let Some(partial) = partial {
            let mut any: Vec<(Occur, Box<dyn Query>)> = completions
                .iter()
                .map(|w| (Occur::Should, exact(lang.title_exact, w)))
                .collect();
            if !strict && partial.chars().count() >= TYPO_MIN_CHARS {
                let fuzzy = FuzzyTermQuery::new_prefix(term(lang.title_exact, partial), 1, true);
                any.push((Occur::Should, Box::new(fuzzy)));
            }
            if any.is_empty() {
                if strict {
                    return None;
                }
            } else {
                clauses.push((each, Box::new(BooleanQuery::new(any))));
            }
        }
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    /// `query` restricted to `locale` (which adds nothing to the score).
    fn in_locale(&self, query: Box<dyn Query>, locale: &str) -> BooleanQuery {
        let locale_q: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.locale, locale),
            IndexRecordOption::Basic,
        ));
        BooleanQuery::new(vec![
            (Occur::Must, query),
            (
                Occur::Must,
                Box::new(tantivy::query::ConstScoreQuery::new(locale_q, 0.0)),
            ),
        ])
    }

    /// Title words starting with `prefix`, most frequent first.
    fn completions(
        &self,
        searcher: &tantivy::Searcher,
        field: tantivy::schema::Field,
        prefix: &str,
    ) -> Result<Vec<String>> {
        let mut found: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()?;
            while stream.advance() {
                let Ok(word) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !word.starts_with(prefix) {
                    break;
                }
                *found.entry(word.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
        let mut words: Vec<(String, u64)> = found.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        words.truncate(MAX_COMPLETIONS);
        Ok(words.into_iter().map(|(w, _)| w).collect())
    }
}

/// Escapes `title` and marks the words that were typed in full and the
/// beginnings of words that start with a typed prefix.
fn highlight(title: &str, words: &[String], prefixes: &[String]) -> String {
    let mut out = String::with_capacity(title.len() + 16);
    let mut rest = title;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| c.is_alphanumeric())
            .unwrap_or(rest.len());
        out.push_str(&crate::templates::escape_html(&rest[..start]));
        rest = &rest[start..];
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let folded = fold(word);
        let marked = if words
            .iter()
            .any(|w| folded == *w || (w.len() >= 3 && folded.starts_with(w.as_str())))
        {
            word.len()
        } else if let Some(p) = prefixes.iter().find(|p| folded.starts_with(p.as_str())) {
            // Mark as many characters of the original word as the prefix has.
            word.char_indices()
                .nth(p.chars().count())
                .map_or(word.len(), |(i, _)| i)
        } else {
            0
        };
        if marked > 0 {
            out.push_str("<mark>");
            out.push_str(&crate::templates::escape_html(&word[..marked]));
            out.push_str("</mark>");
        }
        out.push_str(&crate::templates::escape_html(&word[marked..]));
        rest = &rest[end..];
    }
    out
}

fn fold(word: &str) -> String {
    let mut analyzer = super::schema::analyzer(None, false);
    tokens(&mut analyzer, word)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_prefix_and_words_and_escapes() {
        assert_eq!(
            highlight("Reset a <forgotten> password", &[], &["pas".into()]),
            "Reset a &lt;forgotten&gt; <mark>pas</mark>sword"
        );
        assert_eq!(
            highlight("Reset a password", &["reset".into()], &["pa".into()]),
            "<mark>Reset</mark> a <mark>pa</mark>ssword"
        );
    }
}
