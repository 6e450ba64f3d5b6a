//! Full-text search: a customer's words → ranked hits with highlighted
//! snippets, category counts and a "did you mean". Each query word is matched
//! three ways, each worth less than the one before: exactly (unstemmed
//! fields), by stem (title > headings > tags > summary > body), and — only for
//! words the index does not know — through the vocabulary words within a
//! typo or two ([`super::typo`]). Synonyms add their phrases as further, weaker
//! alternatives; words found next to each other earn a phrase bonus. Equal
//! scores are ordered by a hash of the article key, so results never depend
//! on index layout.

use std::cmp::Reverse;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, QueryClone, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Searcher, SegmentReader, TantivyDocument, Term};

use super::cache::HitSource;
use super::query::{Audience, FacetCount, Hit, Mode, SearchRequest, SearchResults};
use super::schema::{language_of, tokens, LangFields};
use super::typo::{corrections, max_edits, Correction};
use super::visible::{OnlyVisible, Visible};
use super::worth::Worth;
use super::{document, synonyms, Result, SearchIndex};

// Where a word appears says how much an article is about it.
const W_TITLE: f32 = 4.0;
const W_HEADINGS: f32 = 2.5;
const W_TAGS: f32 = 2.0;
const W_SUMMARY: f32 = 1.5;
const W_BODY: f32 = 1.0;
// The unstemmed word as typed, on top of its stem.
const W_EXACT_TITLE: f32 = 2.0;
const W_EXACT_BODY: f32 = 0.75;
// A corrected word counts for less than any word as typed.
const W_TYPO: [f32; 2] = [0.4, 0.2];
// A synonym counts for less than the word the customer used.
const W_SYNONYM: f32 = 0.6;
const W_PHRASE_TITLE: f32 = 3.0;
const W_PHRASE_BODY: f32 = 1.5;
/// Corrections tried per unknown word.
const CORRECTIONS: usize = 3;
/// A word in at most this many articles may be a typo of a frequent word.
const RARE: u64 = 1;
/// Most words of one query looked up for typos.
const MAX_CORRECTED_WORDS: usize = 3;

const SNIPPET_CHARS: usize = 180;

/// A document in the final order, with the passage that matched by meaning.
pub(super) struct Ranked {
    pub addr: DocAddress,
    pub score: f32,
    pub passage: Option<(usize, usize)>,
}

/// What the lexical search found.
pub(super) struct Lexical {
    pub docs: Vec<(f32, DocAddress)>,
    pub total: usize,
    pub facets: Vec<FacetCount>,
}

/// The scored part of a search and what was learnt building it.
pub(crate) struct QueryPlan {
    pub query: Box<dyn Query>,
    /// The query with unknown or rare words replaced by likely corrections.
    pub did_you_mean: Option<String>,
    /// The words searched for (as typed, stemmed and corrected), lowercased:
    /// where in a long article the snippet should come from.
    pub words: Vec<String>,
}

impl SearchIndex {
    /// Runs `req`, or answers it from the cache of recent results. A query
    /// with no searchable word (empty, or only stop words) matches nothing.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        let key = super::cache::Key::of(req);
        let (cached, generation) = self.cache.get(&key);
        if let Some(results) = cached {
            return Ok((*results).clone());
        }
        let results = self.search_uncached(req)?;
        self.cache
            .insert(key, std::sync::Arc::new(results.clone()), generation);
        Ok(results)
    }

    /// [`SearchIndex::search`] without the cache: hybrid when a sentence
    /// model is configured, by words otherwise.
    pub fn search_uncached(&self, req: &SearchRequest) -> Result<SearchResults> {
        self.search_with(req, self.default_mode())
    }

    /// How searches rank unless told otherwise: hybrid when a sentence
    /// model is configured, by words otherwise.
    pub fn default_mode(&self) -> Mode {
        match self.semantic {
            Some(_) => Mode::Hybrid,
            None => Mode::Lexical,
        }
    }

    /// Runs `req` ranked as `mode` says, uncached (`deflect eval` compares
    /// the modes). Without a model every mode ranks by words.
    pub fn search_with(&self, req: &SearchRequest, mode: Mode) -> Result<SearchResults> {
        let searcher = self.searcher();
        let mut results = SearchResults {
            query: req.query.to_string(),
            locale: req.locale.to_string(),
            total: 0,
            limit: req.limit,
            offset: req.offset,
            hits: Vec::new(),
            facets: Vec::new(),
            did_you_mean: None,
        };
        let Some(mut plan) = self.plan(&searcher, req.query, req.locale, req.audience)? else {
            return Ok(results);
        };
        results.did_you_mean = plan.did_you_mean.take();
        let shown = self.visible_in(&searcher, req.audience, req.locale)?;
        let ranked = match self.semantic.as_ref().filter(|_| mode != Mode::Lexical) {
            None => {
                let lexical = self.lexical(&searcher, &plan, req, shown, req.limit, req.offset)?;
                results.total = lexical.total;
                results.facets = lexical.facets;
                lexical
                    .docs
                    .into_iter()
                    .map(|(score, addr)| Ranked {
                        addr,
                        score,
                        passage: None,
                    })
                    .collect()
            }
            Some(semantic) => {
                self.hybrid(&searcher, &plan, req, shown, semantic, mode, &mut results)?
            }
        };
        self.fill_hits(&searcher, &plan, req.locale, ranked, &mut results)?;
        Ok(results)
    }

    /// The best `limit` documents after `offset` by words, with the number
    /// of matches and the matches per category.
    pub(super) fn lexical(
        &self,
        searcher: &Searcher,
        plan: &QueryPlan,
        req: &SearchRequest,
        shown: Arc<Visible>,
        limit: usize,
        offset: usize,
    ) -> Result<Lexical> {
        let top = top_docs(limit, offset);
        let mut facets = FacetCollector::for_field("category_facet");
        facets.add_facet("/");
        let (docs, total, facets) = match req.category {
            None => {
                let only = OnlyVisible::new(shown, (top, Count, facets));
                let (docs, total, counts) = searcher.search(plan.query.as_ref(), &only)?;
                (docs, total, to_facet_counts(&counts))
            }
            Some(category) => {
                let only = OnlyVisible::new(Arc::clone(&shown), facets);
                let counts = searcher.search(plan.query.as_ref(), &only)?;
                let in_category = BooleanQuery::new(vec![
                    (Occur::Must, plan.query.box_clone()),
                    (
                        Occur::Must,
                        self.filter_term(self.fields.category, category),
                    ),
                ]);
                let only = OnlyVisible::new(shown, (top, Count));
                let (docs, total) = searcher.search(&in_category, &only)?;
                (docs, total, to_facet_counts(&counts))
            }
        };
        let docs = docs
            .into_iter()
            .map(|((score, _), addr)| (score, addr))
            .collect();
        Ok(Lexical {
            docs,
            total,
            facets,
        })
    }

    /// A hit's summary and text, from the generation's cache or the store.
    pub(super) fn hit_source(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
    ) -> Result<Arc<HitSource>> {
        self.hits.get_or_load(searcher, addr, || {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = doc
                .get_first(self.fields.text)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let summary = document::to_summary(&self.fields, &doc, &self.default_locale);
            Ok(HitSource::new(summary, text))
        })
    }

    /// Turns ranked documents into hits with snippets. The snippet shows
    /// where the searched words are; a hit found by meaning whose words do
    /// not appear shows the passage that matched instead.
    fn fill_hits(
        &self,
        searcher: &Searcher,
        plan: &QueryPlan,
        locale: &str,
        ranked: Vec<Ranked>,
        results: &mut SearchResults,
    ) -> Result<()> {
        let lang = self.fields.lang(locale);
        let mut snippets = SnippetGenerator::create(searcher, plan.query.as_ref(), lang.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let finder = first_word_finder(&plan.words);
        for Ranked {
            addr,
            score,
            passage,
        } in ranked
        {
            let hit = self.hit_source(searcher, addr)?;
            let s = hit.summary.clone();
            let text = hit.text();
            let window = snippet_window(&text, finder.as_ref());
            let snippet = snippets.snippet(window);
            let snippet_html = if !snippet.highlighted().is_empty() {
                whole_words_html(&text, window, &snippet)
            } else {
                passage.map_or_else(String::new, |(start, end)| {
                    passage_snippet(&text, start, end)
                })
            };
            results.hits.push(Hit {
                slug: s.slug,
                locale: s.locale,
                title: s.title,
                summary: s.summary,
                category: s.category,
                url: s.url,
                score,
                snippet_html,
            });
        }
        Ok(())
    }

    /// The documents (of every locale) that `audience` may see.
    pub(super) fn visible(&self, searcher: &Searcher, audience: Audience) -> Result<Arc<Visible>> {
        self.visible.get_or_load(searcher, audience, || {
            Visible::new(searcher, &self.filtered(Box::new(AllQuery), None, audience))
        })
    }

    /// The documents of `locale` that `audience` may see.
    pub(super) fn visible_in(
        &self,
        searcher: &Searcher,
        audience: Audience,
        locale: &str,
    ) -> Result<Arc<Visible>> {
        self.visible_in
            .get_or_load(searcher, (audience, locale.to_string()), || {
                let in_locale = Box::new(self.locale_query(locale));
                Visible::new(searcher, &self.filtered(in_locale, None, audience))
            })
    }

    /// The likely corrections of `word`. The walk depends only on the word,
    /// the vocabulary and who may see it, and a word misspelt once is
    /// misspelt again: it is remembered for this generation.
    fn typos_of(
        &self,
        searcher: &Searcher,
        visible: &Visible,
        lang: &LangFields,
        audience: Audience,
        word: &str,
    ) -> Result<Arc<Vec<Correction>>> {
        let key = (audience, lang.body_exact, word.to_string());
        self.typos.get_or_load(searcher, key, || {
            let fields = [lang.title_exact, lang.body_exact];
            corrections(searcher, visible, &fields, word, CORRECTIONS)
        })
    }

    /// Builds the scored query for `q` in `locale`, or `None` when the words
    /// leave nothing to search for.
    pub(crate) fn plan(
        &self,
        searcher: &Searcher,
        q: &str,
        locale: &str,
        audience: Audience,
    ) -> Result<Option<QueryPlan>> {
        let lang = self.fields.lang(locale);
        let tokenizers = self.index.tokenizers();
        let (Some(mut stem), Some(mut exact)) = (
            tokenizers.get(&lang.stem_tokenizer),
            tokenizers.get(&lang.exact_tokenizer),
        ) else {
            return Ok(None);
        };
        let exact_tokens = tokens(&mut exact, q);
        let stem_tokens = tokens(&mut stem, q);
        let synonyms = self.synonyms();
        let alternatives = synonyms.expand(&synonyms::words(q));
        if exact_tokens.is_empty() && alternatives.is_empty() {
            return Ok(None);
        }
        let visible = self.visible(searcher, audience)?;
        let worth = Worth::new(searcher, language_of(locale));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut replacements: Vec<(String, String)> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut corrected_words = 0;
        let mut corrected_any = false;
        for (pos, word) in &exact_tokens {
            let stemmed = stem_tokens
                .iter()
                .find(|(p, _)| p == pos)
                .map(|(_, s)| s.as_str());
            let mut ways =
                word_clauses(lang, word, stemmed, 1.0, worth.asks(word).then_some(&worth));
            // Counted over what `audience` may read: a word found only in a
            // draft is unknown to a customer, and is never offered to them.
            let df = visible.doc_freq(searcher, lang.body_exact, word, RARE + 1)?
                + visible.doc_freq(searcher, lang.title_exact, word, RARE + 1)?;
            // Typo lookups cost an automaton each: a long message full of
            // unknown words (names, slang) gets the first few corrected; a
            // rare word is only second-guessed in a short query.
            let unknown = df == 0 && corrected_words < MAX_CORRECTED_WORDS;
            let rare = df > 0 && df <= RARE && exact_tokens.len() <= 4;
            if (unknown || rare) && max_edits(word) > 0 {
                corrected_words += 1;
                let found = self.typos_of(searcher, &visible, lang, audience, word)?;
                if df == 0 {
                    // An unknown word: search its likely corrections instead.
                    for c in found.iter() {
                        let stemmed_c = tokens(&mut stem, &c.word)
                            .into_iter()
                            .next()
                            .map(|(_, s)| s);
                        let weight = W_TYPO[usize::from(c.distance.clamp(1, 2) - 1)];
                        let asks = worth.asks(&c.word).then_some(&worth);
                        ways.extend(word_clauses(
                            lang,
                            &c.word,
                            stemmed_c.as_deref(),
                            weight,
                            asks,
                        ));
                        words.push(c.word.clone());
                    }
                }
                // Offer a correction for an unknown word, or for a rare one
                // that looks like a typo of a much more common word.
                if let Some(best) = found
                    .first()
                    .filter(|c| df == 0 || c.doc_freq >= 10 * df.max(1))
                {
                    replacements.push((word.clone(), best.word.clone()));
                    corrected_any = true;
                }
            }
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(ways))));
        }
        for phrase in &alternatives {
            if let Some((q, words)) = phrase_clause(lang, &mut stem, phrase) {
                // A phrase stands for one idea: weigh it like one word.
                let weight = W_SYNONYM / words as f32;
                clauses.push((Occur::Should, Box::new(BoostQuery::new(q, weight))));
            }
        }
        clauses.extend(phrase_bonus(lang, &exact_tokens));
        let did_you_mean = corrected_any
            .then(|| corrected_query(q, &replacements))
            .filter(|c| c != &q.to_lowercase());
        words.extend(exact_tokens.iter().map(|(_, w)| w.clone()));
        words.extend(stem_tokens.iter().map(|(_, w)| w.clone()));
        Ok(Some(QueryPlan {
            query: Box::new(BooleanQuery::new(clauses)),
            did_you_mean,
            words,
        }))
    }
}

/// The bonus for words found next to each other (one word between them
/// allowed), in the title and in the body; none for a one-word query.
fn phrase_bonus(
    lang: &LangFields,
    exact_tokens: &[(usize, String)],
) -> Vec<(Occur, Box<dyn Query>)> {
    let Some(&(first, _)) = exact_tokens.first().filter(|_| exact_tokens.len() >= 2) else {
        return Vec::new();
    };
    [
        (lang.title_exact, W_PHRASE_TITLE),
        (lang.body_exact, W_PHRASE_BODY),
    ]
    .into_iter()
    .map(|(field, weight)| {
        let terms: Vec<(usize, Term)> = exact_tokens
            .iter()
            .map(|(p, w)| (p - first, Term::from_field_text(field, w)))
            .collect();
        let phrase = PhraseQuery::new_with_offset_and_slop(terms, 1);
        let clause: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(phrase), weight));
        (Occur::Should, clause)
    })
    .collect()
}

/// The ways one word can match: exactly, and by its stem, scaled by `scale`
/// and, for a question word, by what it is worth in each field.
fn word_clauses(
    lang: &LangFields,
    word: &str,
    stemmed: Option<&str>,
    scale: f32,
    question_word: Option<&Worth>,
) -> Vec<(Occur, Box<dyn Query>)> {
    let mut ways = vec![
        (lang.title_exact, word, W_EXACT_TITLE),
        (lang.body_exact, word, W_EXACT_BODY),
    ];
    if let Some(stemmed) = stemmed {
        ways.extend([
            (lang.title, stemmed, W_TITLE),
            (lang.headings, stemmed, W_HEADINGS),
            (lang.tags, stemmed, W_TAGS),
            (lang.summary, stemmed, W_SUMMARY),
            (lang.body, stemmed, W_BODY),
        ]);
    }
    if let Some(worth) = question_word {
        // In a title that is itself a question the word keeps its weight.
        let title = worth.factor(&Term::from_field_text(lang.title_exact, word));
        ways.push((
            lang.question,
            word,
            (W_EXACT_TITLE + W_TITLE) * (1.0 - title),
        ));
    }
    ways.into_iter()
        .filter(|&(_, _, weight)| weight > 0.0)
        .map(|(field, text, weight)| {
            let term = Term::from_field_text(field, text);
            let worth = match question_word {
                Some(worth) if field != lang.question => worth.factor(&term),
                _ => 1.0,
            };
            should(
                TermQuery::new(term, IndexRecordOption::WithFreqs),
                weight * scale * worth,
            )
        })
        .collect()
}

/// A synonym phrase: every one of its words must match (by stem, any field);
/// also returns its number of words.
fn phrase_clause(
    lang: &LangFields,
    stem: &mut TextAnalyzer,
    phrase: &[String],
) -> Option<(Box<dyn Query>, usize)> {
    let words = tokens(stem, &phrase.join(" "));
    if words.is_empty() {
        return None;
    }
    let must: Vec<(Occur, Box<dyn Query>)> = words
        .iter()
        .map(|(_, w)| -> (Occur, Box<dyn Query>) {
            let ways: Vec<(Occur, Box<dyn Query>)> = word_clauses(lang, w, Some(w), 1.0, None)
                .into_iter()
                .skip(2)
                .collect();
            (Occur::Must, Box::new(BooleanQuery::new(ways)))
        })
        .collect();
    let n = must.len();
    Some((Box::new(BooleanQuery::new(must)), n))
}

/// Characters of an article's text the snippet is picked from: highlighting
/// tokenizes and stems every word it sees, so a long reference page would
/// cost milliseconds per hit. The window starts a little before the first
/// place a searched word (or stem, a prefix of it) appears; what it holds
/// beyond that is room to pick the densest 180 characters.
const SNIPPET_WINDOW: usize = 640;

/// Finds the first searched word in an article's text, ASCII case ignored,
/// in one pass that stops there (no lowercased copy of a long text).
fn first_word_finder(words: &[String]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        // Built for one search and run on ten texts: a DFA would cost more
        // to build than it saves.
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(shortest_prefixes(words))
        .ok()
}

/// The words (of two bytes or more) that no other word starts: wherever
/// `refunds` occurs, `refund` does too, so only the start of the first
/// match matters and a stem makes its longer forms redundant.
fn shortest_prefixes(words: &[String]) -> Vec<&str> {
    let mut sorted: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| w.len() >= 2)
        .collect();
    sorted.sort_unstable();
    // In sorted order every word between a prefix and a word it starts
    // also starts with it, so comparing with the last word kept suffices.
    let mut kept: Vec<&str> = Vec::with_capacity(sorted.len());
    for w in sorted {
        if !kept.last().is_some_and(|k| w.starts_with(k)) {
            kept.push(w);
        }
    }
    kept
}

/// The part of `text` worth making a snippet from.
fn snippet_window<'a>(text: &'a str, finder: Option<&AhoCorasick>) -> &'a str {
    if text.len() <= SNIPPET_WINDOW {
        return text;
    }
    let first = finder.and_then(|f| f.find(text)).map_or(0, |m| m.start());
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(first.saturating_sub(SNIPPET_WINDOW / 5));
    let end = floor((start + SNIPPET_WINDOW).min(text.len()));
    &text[start..end]
}

/// `q` lowercased with each word of `replacements` swapped for its correction.
fn corrected_query(q: &str, replacements: &[(String, String)]) -> String {
    let mut analyzer = super::schema::analyzer(None, false);
    let mut out: Vec<String> = Vec::new();
    for (_, word) in tokens(&mut analyzer, q) {
        let replaced = replacements
            .iter()
            .find(|(from, _)| *from == word)
            .map(|(_, to)| to.clone());
        out.push(replaced.unwrap_or(word));
    }
    out.join(" ")
}

/// Top documents by score, equal scores ordered by the article key's hash.
fn top_docs(
    limit: usize,
    offset: usize,
) -> impl tantivy::collector::Collector<Fruit = Vec<((f32, Reverse<u64>), DocAddress)>> {
    TopDocs::with_limit(limit.max(1))
        .and_offset(offset)
        .tweak_score(move |segment: &SegmentReader| {
            let tiebreak = segment.fast_fields().u64("tiebreak").ok();
            move |doc, score: f32| {
                (
                    score,
                    Reverse(tiebreak.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)),
                )
            }
        })
}

fn should(q: TermQuery, weight: f32) -> (Occur, Box<dyn Query>) {
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(q), weight)),
    )
}

/// Matches per category for `query`.
pub fn facet_counts(searcher: &Searcher, query: &dyn Query) -> Result<Vec<FacetCount>> {
    let mut facets = FacetCollector::for_field("category_facet");
    facets.add_facet("/");
    Ok(to_facet_counts(&searcher.search(query, &facets)?))
}

fn to_facet_counts(counts: &tantivy::collector::FacetCounts) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = counts
        .get("/")
        .map(|(facet, count)| FacetCount {
            category: facet
                .to_path()
                .last()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            count,
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.cmp(&b.category))
    });
    out
}

/// A highlighted snippet as HTML, on word boundaries: tantivy cuts its
/// fragment by characters, so it can start or end inside a word ("iled,
/// saving…"). A partial word at either end is dropped, and "…" marks text
/// left out before or after. Highlights are `<b>`, the rest escaped, line
/// breaks spaces.
fn whole_words_html(text: &str, window: &str, snippet: &tantivy::snippet::Snippet) -> String {
    let fragment = snippet.fragment();
    // The fragment is a slice of the window, and the window of the text.
    let window_at = window.as_ptr() as usize - text.as_ptr() as usize;
    let at = window_at + window.find(fragment).unwrap_or(0);
    let end = at + fragment.len();
    let inside_word = |i: usize| {
        let before = text[..i].chars().next_back();
        let after = text[i..].chars().next();
        before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
    };
    let mut from = 0;
    if at > 0 && inside_word(at) {
        from = fragment
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(fragment.len());
    }
    let mut to = fragment.len();
    if end < text.len() && inside_word(end) {
        to = fragment
            .rfind(|c: char| !c.is_alphanumeric())
            .map_or(from, |i| i.max(from));
    }
    let kept = &fragment[from..to];
    let (lead, trail) = (kept.len() - kept.trim_start().len(), kept.trim_end().len());
    // From here on, offsets are in `text`: the closing punctuation right
    // after the last word ("nightly.") belongs to the snippet.
    let start = at + from + lead;
    let mut stop = at + from + trail.max(lead);
    stop += text[stop..]
        .find(|c: char| c.is_alphanumeric() || c.is_whitespace())
        .unwrap_or(text.len() - stop);
    let more = |s: &str| s.chars().any(char::is_alphanumeric);
    let mut html = String::new();
    if more(&text[..start]) {
        html.push('…');
    }
    let mut cursor = start;
    for r in snippet.highlighted() {
        let (from, to) = ((at + r.start).max(start), (at + r.end).min(stop));
        if from >= to || from < cursor {
            continue;
        }
        html.push_str(&crate::templates::escape_html(&text[cursor..from]));
        html.push_str("<b>");
        html.push_str(&crate::templates::escape_html(&text[from..to]));
        html.push_str("</b>");
        cursor = to;
    }
    html.push_str(&crate::templates::escape_html(
        &text[cursor..stop.max(cursor)],
    ));
    if more(&text[stop..]) {
        html.push('…');
    }
    readable(&html)
}

/// Plain text as a snippet reads it: table cells apart ("Monthly plan · No
/// refund", rows too), the end of a table and line ends as spaces.
fn readable(text: &str) -> String {
    let cell = crate::articles::markdown::CELL_END;
    text.replace(&format!("{cell}\n\n"), " ")
        .replace(&format!("{cell}\n"), " · ")
        .replace(cell, " · ")
        .replace(['\n', '\u{1f}'], " ")
}

/// The start of a passage as a snippet: up to `SNIPPET_CHARS` characters, cut at a word
/// boundary, HTML-escaped.
fn passage_snippet(text: &str, start: usize, end: usize) -> String {
    let Some(part) = text.get(start..end.min(text.len())) else {
        return String::new();
    };
    let part = readable(part);
    let words: Vec<&str> = part.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if w == "·" && out.is_empty() {
            continue;
        }
        if out.chars().count() + w.chars().count() + 1 > SNIPPET_CHARS {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    let out = out.trim_end_matches(" ·");
    crate::templates::escape_html(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_keep_table_cells_apart() {
        let catalog = crate::articles::load::Catalog::new("en");
        let md = "Refunds depend on the plan.\n\n| Situation | Refund? |\n|---|---|\n| Yearly plan | Full refund |\n| Monthly plan | No refund |\n\nCharged twice?\n";
        let text = crate::articles::markdown::render(md, 1, "a.md", &catalog).text;
        assert_eq!(
            readable(&text).split_whitespace().collect::<Vec<_>>().join(" "),
            "Refunds depend on the plan. Situation · Refund? · Yearly plan · Full refund · Monthly plan · No refund Charged twice?"
        );
        let passage = passage_snippet(&text, text.find("Full").unwrap() - 2, text.len());
        assert_eq!(
            passage,
            "Full refund · Monthly plan · No refund Charged twice?"
        );
    }

    #[test]
    fn prefixes_make_longer_forms_redundant() {
        let words: Vec<String> = [
            "refunds", "refund", "ab", "abc", "abd", "b", "zeta", "refund", "abx",
        ]
        .iter()
        .map(|w| w.to_string())
        .collect();
        assert_eq!(shortest_prefixes(&words), ["ab", "refund", "zeta"]);
    }
}
