//! Ticket text → the customer's question alone. A ticket as exported holds
//! much that is not the question: HTML, the quoted thread it replied to,
//! greetings, sign-offs and signatures, auto-generated lines ("please type
//! your reply above this line", confidentiality notices) and personal data.
//! [`clean`] removes all of it and masks personal data ([`super::pii`]); the
//! result is what the reports show and what the features are made from.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::pii;

fn re(pattern: &str) -> Regex {
    // Invariant: the patterns are literals covered by the unit tests.
    Regex::new(pattern).expect("valid built-in pattern")
}

static HTML_HINT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)</?[a-z][a-z0-9]*[^<>]*>|&[a-z]+;|&#\d+;"));
static HTML_DROP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<blockquote\b.*?</blockquote\s*>|<div[^>]*\b(?:gmail_quote|moz-cite-prefix|OutlookMessageHeader)\b.*$|<!--.*?-->",
    )
});
static HTML_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6]|ul|ol|table)\s*>|<(?:p|div|li|tr)\b[^>]*>")
});
static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"<[^<>]*>"));
static ENTITY: LazyLock<Regex> = LazyLock::new(|| re(r"&(#x?[0-9a-fA-F]+|[a-zA-Z]+);"));

// A line from which everything below is a quoted or forwarded message, a
// signature or a legal notice.
static CUT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(?:
        -{2,}\s*(?:original\s+message|forwarded\s+message|reply\s+above\s+this\s+line)\b.*
      | begin\s+forwarded\s+message\s*:?
      | _{8,}
      | -{8,}
      | --\s*
      | —\s*
      | (?:this|the\s+information\s+in\s+this)\s+(?:e-?mail|message|communication)\b.*\b(?:confidential|privileged|intended\s+(?:solely|only))\b.*
      | (?:disclaimer|confidentiality\s+notice)\s*:.*
    )$")
});
// "On Mon, 3 Jun 2024, Jane <jane@example.com> wrote:" and its translations;
// mail clients may wrap it over two lines.
static WROTE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:on\b.{0,250}\bwrote|le\b.{0,250}\ba\s+écrit|am\b.{0,250}\bschrieb|el\b.{0,250}\bescribió|op\b.{0,250}\bschreef)\s*:?\s*$",
    )
});
static HEADER_FROM: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^(?:from|von|de)\s*:\s*\S"));
static HEADER_NEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^(?:sent|date|to|subject|cc|gesendet|envoyé|an|à|objet|betreff)\s*:")
});
// Lines that carry nothing and are dropped where they stand.
static DROP_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(?:
        sent\s+from\s+my\s+\S+.*
      | sent\s+(?:from|via)\s+(?:yahoo|mail|outlook|gmail)\b.*
      | get\s+outlook\s+for\s+\S+
      | \#\#-.*-\#\#
      | please\s+(?:type|write)\s+your\s+reply\s+above\s+this\s+line.*
      | \[cid:[^\]]*\]
      | (?:this\s+)?(?:ticket|request|message)\s+(?:was\s+)?(?:created|submitted|sent)\s+(?:via|from|through)\s+.*
      | submitted\s+(?:via|from|through)\s+(?:the\s+)?(?:web|contact|support)\s+form.*
    )$")
});
// A line that closes the message: it and everything below (name, title,
// phone) go.
static SIGN_OFF_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:many\s+|thanks\s+and\s+)?(?:thanks|thank\s+you|thx)(?:\s+(?:a\s+lot|so\s+much|very\s+much|in\s+advance|again))?(?:\s+for\s+(?:your|the|any)\s+(?:help|time|support|assistance))?|(?:best|kind|warm|warmest|many)?\s*regards|best(?:\s+wishes)?|cheers|sincerely|yours\s+(?:sincerely|truly|faithfully)|all\s+the\s+best|br|cordialement|mit\s+freundlichen\s+grüßen)\s*[,.!]*\s*$",
    )
});
// A line that only greets: "Hi team,", "Dear Sir or Madam,", "Hello!".
static GREETING_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:hi|hello|hey|hiya|howdy|greetings|dear|good\s+(?:morning|afternoon|evening|day)|to\s+whom\s+it\s+may\s+concern)(?:\s+[\w'.-]+){0,3}\s*[,!:.]+|(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day))(?:\s+[\w'.-]+)?)\s*$",
    )
});
// A greeting opening the first sentence: "Hi, my card…", "Hello there! I…".
static GREETING_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day))(?:\s+(?:there|team|all|everyone|guys|folks|support))?(?:\s*[,!.:;-]+\s*|\s+)|dear\s+[^,\n]{1,40},\s*)",
    )
});
// A thank-you closing the last sentence: "… please help. Thanks, Anna".
static SIGN_OFF_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|\s+)(?i:many\s+thanks|thanks(?:\s+(?:a\s+lot|so\s+much|in\s+advance|again))?|thank\s+you(?:\s+(?:so|very)\s+much)?(?:\s+in\s+advance)?|thx|(?:best|kind|warm)?\s*regards|cheers|best\s+wishes|sincerely)(?i:\s+for\s+(?:your|the|any)\s+(?:help|time|support|assistance))?[\s,.!]*(?:\p{Lu}\p{Ll}+(?:\s+\p{Lu}\p{Ll}+)?)?[\s.!]*$",
    )
});
static REPLY_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:(?:re|fw|fwd|aw|sv|tr|wg)\s*:\s*)+"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| re(r"\s+"));

/// The customer's question in `raw`, on one line, personal data masked;
/// empty when nothing is left.
pub fn clean(raw: &str) -> String {
    let text = if HTML_HINT.is_match(raw) {
        Cow::Owned(html_to_text(raw))
    } else {
        Cow::Borrowed(raw)
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if is_cut(&lines, i) {
            break;
        }
        if line.is_empty() || line.starts_with('>') || DROP_LINE.is_match(line) {
            continue;
        }
        if !kept.is_empty() && SIGN_OFF_LINE.is_match(line) {
            break;
        }
        if kept.is_empty() && GREETING_LINE.is_match(line) {
            continue;
        }
        kept.push(line);
    }
    let joined = kept.join(" ");
    let joined = REPLY_PREFIX.replace(&joined, "");
    let joined = GREETING_PREFIX.replace(&joined, "");
    let joined = SIGN_OFF_TAIL.replace(&joined, "");
    let masked = pii::mask(&joined);
    let out = SPACES.replace_all(masked.trim(), " ");
    // A lone sign-off or greeting leaves only punctuation behind.
    if out.chars().any(char::is_alphanumeric) {
        out.into_owned()
    } else {
        String::new()
    }
}

/// Whether line `i` starts quoted, forwarded or signature matter.
fn is_cut(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if CUT.is_match(line) || WROTE.is_match(line) {
        return true;
    }
    // "On … <jane@" / "example.com> wrote:" wrapped over two lines.
    // `get`, not `[..3]`: byte 3 may fall inside a character (styled
    // letters such as "𝓘" take four bytes).
    if line.len() > 3 && line.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("on ")) {
        if let Some(next) = lines.get(i + 1) {
            if WROTE.is_match(&format!("{line} {next}")) {
                return true;
            }
        }
    }
    // An Outlook header block: "From: …" followed by "Sent:"/"To:"/….
    HEADER_FROM.is_match(line)
        && lines[i + 1..]
            .iter()
            .take(4)
            .any(|l| HEADER_NEXT.is_match(l))
}

/// Plain text of an HTML body: quoted blocks, scripts and styles dropped,
/// block ends turned into line breaks, tags removed, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let text = HTML_DROP.replace_all(html, "\n");
    let text = HTML_BREAK.replace_all(&text, "\n");
    let text = HTML_TAG.replace_all(&text, "");
    ENTITY
        .replace_all(&text, |c: &regex::Captures| {
            decode_entity(&c[1]).unwrap_or_else(|| c[0].to_string())
        })
        .into_owned()
}

fn decode_entity(name: &str) -> Option<String> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" | "lsquo" => '\'',
        "rdquo" | "ldquo" => '"',
        "hellip" => '…',
        "ndash" | "mdash" => '-',
        "euro" => '€',
        "pound" => '£',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, &str)]) {
        for (input, want) in cases {
            assert_eq!(clean(input), *want, "input: {input:?}");
        }
    }

    #[test]
    fn quoted_replies_and_forwards_are_cut() {
        check(&[
            (
                "My refund is still missing.\n\nOn Mon, 3 Jun 2024 at 10:02, Support <help@example.com> wrote:\n> We have issued your refund.",
                "My refund is still missing.",
            ),
            (
                "Still no card.\nOn Tue, Jun 4, 2024 at 9:00 AM Pebble Support <\nsupport@example.com> wrote:\n> Hello",
                "Still no card.",
            ),
            ("Any news?\n> previous message\n> more", "Any news?"),
            (
                "See below.\n-----Original Message-----\nFrom: Support\nSent: Monday\nOld text",
                "See below.",
            ),
            (
                "Why was I charged twice?\nFrom: Pebble <billing@example.com>\nSent: 3 June 2024\nTo: me\nSubject: Receipt",
                "Why was I charged twice?",
            ),
            ("Le problème persiste.\nLe lun. 3 juin 2024, Support a écrit :\n> Bonjour", "Le problème persiste."),
            ("Forwarding this.\n---------- Forwarded message ---------\nFrom: bank", "Forwarding this."),
        ]);
    }

    #[test]
    fn greetings_sign_offs_and_signatures_go() {
        check(&[
            (
                "Hi team,\nMy card has not arrived yet.\nThanks,\nAnna Smith\nACME Ltd",
                "My card has not arrived yet.",
            ),
            ("Hello, how do I reset my PIN?", "how do I reset my PIN?"),
            ("Hi my card is blocked", "my card is blocked"),
            (
                "Dear Sir or Madam,\nplease close my account.\nKind regards\nJohn",
                "please close my account.",
            ),
            (
                "Where is my refund? Thanks in advance, Anna",
                "Where is my refund?",
            ),
            (
                "Where is my refund? Thank you so much!",
                "Where is my refund?",
            ),
            (
                "Can I change my address?\n-- \nJohn Doe | CEO | +1 555 123 4567",
                "Can I change my address?",
            ),
            ("Top up failed.\n\nSent from my iPhone", "Top up failed."),
            (
                "Good morning! The app keeps crashing.",
                "The app keeps crashing.",
            ),
            (
                "Thanks for the quick reply. Is the fee refundable?",
                "Thanks for the quick reply. Is the fee refundable?",
            ),
            ("Thanks!", ""),
        ]);
    }

    #[test]
    fn html_and_boilerplate_are_removed() {
        check(&[
            (
                "<p>Hi,</p><p>I can&#39;t log in &amp; the <b>reset</b> link fails.</p><div class=\"gmail_quote\">On Mon wrote: old</div>",
                "I can't log in & the reset link fails.",
            ),
            ("##- Please type your reply above this line -##\nMy PIN is locked.", "My PIN is locked."),
            (
                "Cancel my plan.\nThis email and any attachments are confidential and intended solely for the addressee.",
                "Cancel my plan.",
            ),
            ("Re: Fwd: RE: card not working", "card not working"),
            ("<style>p{color:red}</style>Statement missing<br>for May", "Statement missing for May"),
        ]);
    }

    #[test]
    fn multibyte_letters_at_any_offset_do_not_panic() {
        check(&[
            ("𝓘 𝔀𝓪𝓷𝓽 𝓬𝓪𝓷𝓬𝓮𝓵 𝓸𝓻𝓭𝓮𝓻", "𝓘 𝔀𝓪𝓷𝓽 𝓬𝓪𝓷𝓬𝓮𝓵 𝓸𝓻𝓭𝓮𝓻"),
            (
                "é€ how do I pay?\nOn 𝓜𝓸𝓷 Jane",
                "é€ how do I pay? On 𝓜𝓸𝓷 Jane",
            ),
            ("Öl\nØn\n𝔒n Monday", "Öl Øn 𝔒n Monday"),
        ]);
    }

    #[test]
    fn personal_data_is_masked_in_the_question() {
        check(&[
            (
                "My email is jane@example.com, why no mail?",
                "My email is [email], why no mail?",
            ),
            ("Card 4111 1111 1111 1111 declined", "Card [card] declined"),
            ("Call me on +44 20 7946 0958", "Call me on [phone]"),
            ("Order #55123 never arrived", "Order [number] never arrived"),
        ]);
    }
}
