//! Personal data out of ticket text: emails, URLs, card, IBAN, phone and
//! order/reference numbers become placeholders (`[email]`, `[url]`, `[card]`,
//! `[account]`, `[phone]`, `[number]`). Used on mined ticket text (the
//! placeholders reach the reports, so no customer is identified there, but not
//! the features, so two tickets about one refund never differ by their order
//! numbers) and on search queries before they are stored as analytics events.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Every placeholder [`mask`] writes.
pub const PLACEHOLDERS: &[&str] = &[
    "[email]",
    "[url]",
    "[card]",
    "[account]",
    "[phone]",
    "[number]",
];

/// Compiles one of the literal patterns below.
fn re(pattern: &str) -> Regex {
    // Invariant: the patterns are literals covered by the unit tests, so a
    // failure here is a programming error caught by `cargo test`.
    Regex::new(pattern).expect("valid built-in pattern")
}

static URL: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\b(?:https?://|www\.)[^\s<>"']*[^\s<>"'.,;:!?)\]]"#));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"));
// 13–19 digits, optionally grouped by spaces or dashes.
static CARD: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d(?:[ -]?\d){12,18}\b"));
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"));
// An optional country code, then 2+ groups of digits with separators; the
// digit count is checked in code.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}\b|\+\d{8,15}\b")
});
static DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})\b"));
// Order, ticket and reference numbers: `#123`, 5+ digit runs, or codes that
// mix letters with 3+ digits (`ORD-12345`, `AB123456`).
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"#\d{3,}\b|\b\d{5,}\b|\b[A-Za-z]{1,6}[-_]?\d{3,}[A-Za-z0-9-]*\b|\b\d{3,}[-_]?[A-Za-z]{1,6}\d+[A-Za-z0-9-]*\b",
    )
});

/// `text` with personal data replaced by placeholders.
pub fn mask(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    // URLs first: they may hold emails and digits.
    replace(&mut out, &URL, |_| "[url]".into());
    replace(&mut out, &EMAIL, |_| "[email]".into());
    // IBANs before cards: their digit groups look like a card number.
    replace(&mut out, &IBAN, |_| "[account]".into());
    replace(&mut out, &CARD, |c| {
        let m = &c[0];
        if is_card(m) {
            "[card]".into()
        } else {
            m.to_string()
        }
    });
    replace(&mut out, &PHONE, |c| {
        let m = &c[0];
        let digits = m.bytes().filter(u8::is_ascii_digit).count();
        if (8..=15).contains(&digits) && !DATE.is_match(m) {
            "[phone]".into()
        } else {
            m.to_string()
        }
    });
    replace(&mut out, &NUMBER, |_| "[number]".into());
    out
}

/// Whether `token` is one of the placeholders [`mask`] writes.
pub fn is_placeholder(token: &str) -> bool {
    PLACEHOLDERS.contains(&token)
}

fn replace(text: &mut Cow<'_, str>, re: &Regex, f: impl Fn(&Captures) -> String) {
    if let Cow::Owned(s) = re.replace_all(text, |c: &Captures| f(c)) {
        *text = Cow::Owned(s);
    }
}

/// A card number: 13–19 digits grouped in fours (how people write them), or
/// any 13–19 digits passing the Luhn check.
fn is_card(m: &str) -> bool {
    let digits: Vec<u32> = m.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let groups: Vec<&str> = m.split([' ', '-']).filter(|g| !g.is_empty()).collect();
    let grouped_in_fours =
        groups.len() >= 3 && groups[..groups.len() - 1].iter().all(|g| g.len() == 4);
    grouped_in_fours || luhn(&digits)
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_personal_data_becomes_its_placeholder() {
        let cases = [
            (
                "mail me at jane.doe+x@example.co.uk please",
                "mail me at [email] please",
            ),
            ("see https://shop.example.com/o?id=5&x=1.", "see [url]."),
            ("www.example.org/help is down", "[url] is down"),
            (
                "card 4111 1111 1111 1111 was declined",
                "card [card] was declined",
            ),
            ("card 4111-1111-1111-1111", "card [card]"),
            ("number 4012888888881881 failed", "number [card] failed"),
            ("call +44 20 7946 0958 today", "call [phone] today"),
            ("call (555) 123-4567", "call [phone]"),
            ("ring 555.123.4567 now", "ring [phone] now"),
            ("order #48213 never came", "order [number] never came"),
            ("order ORD-998877 is late", "order [number] is late"),
            ("ref 1234567 please", "ref [number] please"),
            (
                "IBAN GB29 NWBK 6016 1331 9268 19 wrong",
                "IBAN [account] wrong",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(mask(input), want, "input: {input}");
        }
    }

    #[test]
    fn ordinary_numbers_and_dates_stay() {
        let cases = [
            "I was charged £25.00 twice",
            "my 4 digit PIN is blocked",
            "it happened on 2024-03-05",
            "top up of 100 euros on 12/03/2024",
            "since 2023 I get no statements",
        ];
        for input in cases {
            assert_eq!(mask(input), input);
        }
    }

    #[test]
    fn placeholders_are_recognised() {
        assert!(PLACEHOLDERS.iter().all(|p| is_placeholder(p)));
        assert!(!is_placeholder("email"));
    }
}
