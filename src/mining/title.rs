//! A suggested article title for a topic, from its own tickets: the sentence
//! among the most representative tickets that best covers the topic's
//! distinctive terms (a question of moderate length preferred), rephrased
//! from the customer's voice to the help center's ("How do I freeze my
//! card?" → "How to freeze your card"). When no sentence fits, the title
//! names the topic's terms. Rules only: no model, nothing downloaded.

use std::sync::LazyLock;

use regex::Regex;

/// Words a title sentence should have at least and at most.
const WORDS: (usize, usize) = (3, 14);
/// Longest title, in characters.
const MAX_CHARS: usize = 90;

const QUESTION_WORDS: &[&str] = &[
    "how", "why", "what", "when", "where", "which", "who", "can", "could", "is", "are", "do",
    "does", "did", "will", "would", "should", "may", "am", "was", "were", "has", "have",
];

fn re(pattern: &str) -> Regex {
    // Invariant: the patterns are literals covered by the unit tests.
    Regex::new(pattern).expect("valid built-in pattern")
}

static SENTENCE: LazyLock<Regex> = LazyLock::new(|| re(r"[^.!?]+[.!?]*"));
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:ok(?:ay)?|so|well|please|pls|hey|also|and|but)[\s,]+|(?:can|could|would)\s+you\s+(?:please\s+)?(?:tell|help|show)\s+me\s+|i\s+(?:would\s+like|want|need|wanted|'d\s+like)\s+to\s+know\s+|i'?m\s+(?:wondering|curious)\s+|i\s+was\s+wondering\s+|do\s+you\s+know\s+|tell\s+me\s+|help\s+me\s+(?:to\s+)?)+",
    )
});
static HOW_DO_I: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^how\s+(?:do|can|could|should|would|will|may|might)\s+(?:i|we)\s+"));
static WHAT_DO_I: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^what\s+(?:do|should|can)\s+(?:i|we)\s+do\s+(?:if|when)\s+"));
static FIRST_PERSON: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:am i|was i|i'm|i am|i was|i've|i have|i'd|i|me|my|mine|myself|we|our|us)\b")
});

/// A title from the topic's representative texts (best first) and its
/// distinctive terms (stemmed, best first, with a readable form each).
pub fn suggest(
    texts: &[&str],
    terms: &[(String, String)],
    stem: &mut dyn FnMut(&str) -> Vec<String>,
) -> String {
    let term_rank = |s: &str| terms.iter().position(|(t, _)| t == s);
    let mut best: Option<(f64, String)> = None;
    for (rank, text) in texts.iter().enumerate() {
        for m in SENTENCE.find_iter(text) {
            let sentence = m.as_str().trim();
            let words = sentence.split_whitespace().count();
            if words < WORDS.0 || words > WORDS.1 || sentence.contains('[') {
                continue;
            }
            let stems = stem(sentence);
            let mut covered: Vec<usize> = stems.iter().filter_map(|s| term_rank(s)).collect();
            covered.sort_unstable();
            covered.dedup();
            // Top terms count most; a question reads best as a title; the
            // most representative texts come first.
            let coverage: f64 = covered.iter().map(|&r| 1.0 / (1.0 + r as f64)).sum();
            let question = is_question(sentence);
            let score = coverage + if question { 0.5 } else { 0.0 }
                - 0.05 * rank as f64
                - 0.02 * (words as f64 - 8.0).abs();
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, sentence.to_string()));
            }
        }
    }
    match best {
        Some((score, sentence)) if score > 0.5 => rephrase(&sentence),
        _ => from_terms(terms),
    }
}

/// Whether `sentence` asks something.
fn is_question(sentence: &str) -> bool {
    let first = sentence
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_lowercase();
    sentence.ends_with('?')
        || QUESTION_WORDS.contains(&first.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// The customer's sentence in the help center's voice.
pub fn rephrase(sentence: &str) -> String {
    let s = sentence
        .trim()
        .trim_end_matches(['.', '!', ',', ';', ':'])
        .trim();
    let s = FILLER.replace(s, "");
    let (s, how_to) = if HOW_DO_I.is_match(&s) {
        (HOW_DO_I.replace(&s, "How to ").into_owned(), true)
    } else if WHAT_DO_I.is_match(&s) {
        (WHAT_DO_I.replace(&s, "What to do if ").into_owned(), true)
    } else {
        (s.into_owned(), false)
    };
    let s = FIRST_PERSON.replace_all(&s, |c: &regex::Captures| {
        let w = c[0].to_lowercase();
        let to = match w.as_str() {
            "i'm" | "i am" => "you're",
            "i was" => "you were",
            "was i" => "were you",
            "am i" => "are you",
            "i've" => "you've",
            "i have" => "you have",
            "i'd" => "you'd",
            "i" | "we" => "you",
            "me" | "us" => "you",
            "my" | "our" => "your",
            "mine" => "yours",
            _ => "yourself",
        };
        to.to_string()
    });
    let mut s = s.trim().to_string();
    if how_to {
        s = s.trim_end_matches('?').trim().to_string();
    }
    if s.chars().count() > MAX_CHARS {
        let cut: String = s.chars().take(MAX_CHARS).collect();
        s = match cut.rfind(' ') {
            Some(i) => format!("{}…", &cut[..i]),
            None => cut,
        };
    }
    capitalize(&s)
}

/// Words that can be distinctive of a topic's tickets (customers write
/// "even" and "still" when annoyed) but name nothing a title could be about.
const NOT_A_SUBJECT: &[&str] = &[
    "again", "already", "also", "always", "anymore", "anyone", "anything", "even", "ever", "get",
    "got", "help", "hi", "hello", "just", "much", "need", "never", "now", "only", "please",
    "really", "still", "thank", "thanks", "today", "yet", "want", "way", "yes",
];

/// "Questions about card, arrive and track" from the top terms that name
/// something (a pair counts when both its words do).
fn from_terms(terms: &[(String, String)]) -> String {
    let names_something = |w: &str| {
        w.split_whitespace()
            .all(|word| !NOT_A_SUBJECT.contains(&word.to_lowercase().as_str()))
    };
    let words: Vec<&str> = terms
        .iter()
        .map(|(_, w)| w.as_str())
        .filter(|w| names_something(w))
        .take(3)
        .collect();
    match words.as_slice() {
        [] => "Other questions".to_string(),
        [one] => format!("Questions about {one}"),
        [rest @ .., last] => format!("Questions about {} and {last}", rest.join(", ")),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_sentences_become_titles() {
        let cases = [
            ("How do I activate my card?", "How to activate your card"),
            ("how can i change my PIN", "How to change your PIN"),
            ("Why was my card declined?", "Why was your card declined?"),
            ("Why was I charged a fee?", "Why were you charged a fee?"),
            ("Can you tell me how I can top up?", "How you can top up?"),
            (
                "I want to know why I was charged twice.",
                "Why you were charged twice",
            ),
            (
                "What should I do if my card is stolen?",
                "What to do if your card is stolen",
            ),
            ("Please, where is my refund?", "Where is your refund?"),
        ];
        for (input, want) in cases {
            assert_eq!(rephrase(input), want, "{input}");
        }
    }

    #[test]
    fn the_sentence_covering_the_terms_wins() {
        let terms = vec![
            ("card".to_string(), "card".to_string()),
            ("arriv".to_string(), "arrived".to_string()),
        ];
        let mut stem = |s: &str| -> Vec<String> {
            s.to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| {
                    if w.starts_with("arriv") {
                        "arriv".into()
                    } else {
                        w.to_string()
                    }
                })
                .collect()
        };
        let texts = [
            "I ordered it weeks ago. When will my card arrive?",
            "Still nothing here, is it lost",
        ];
        assert_eq!(
            suggest(&texts, &terms, &mut stem),
            "When will your card arrive?"
        );
        assert_eq!(
            suggest(&["ok"], &terms, &mut stem),
            "Questions about card and arrived"
        );
    }

    #[test]
    fn titles_from_terms_name_things_not_fillers() {
        let terms: Vec<(String, String)> = ["card", "even", "dispute", "still", "charge"]
            .iter()
            .map(|w| (w.to_string(), w.to_string()))
            .collect();
        assert_eq!(
            from_terms(&terms),
            "Questions about card, dispute and charge"
        );
        let fillers: Vec<(String, String)> = ["even", "just still"]
            .iter()
            .map(|w| (w.to_string(), w.to_string()))
            .collect();
        assert_eq!(from_terms(&fillers), "Other questions");
    }
}
