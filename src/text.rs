//! Untrusted text made safe to print on a terminal. Header names, ticket
//! fields and file names come from files we did not write; printed raw, an
//! ESC byte in them would drive the reader's terminal (move the cursor,
//! rewrite earlier lines, set the window title). Every message of the CLI that
//! quotes input goes through [`escape_controls`] on its way out.

use std::borrow::Cow;

/// `s` with every control character except the line break written as an
/// escape (`\u{1b}`, `\t`, `\r`), so it shows instead of acting.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls (DEL, CSI `\u{9b}` included) and the bidirectional
/// overrides that reorder what a terminal shows; `\n` ends lines as meant.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_run() {
        for (input, shown) in [
            ("plain text", "plain text"),
            ("a\x1b[2Jb", "a\\u{1b}[2Jb"),
            ("tab\there", "tab\\there"),
            ("bell\x07", "bell\\u{7}"),
            ("csi\u{9b}31m", "csi\\u{9b}31m"),
            ("rtl\u{202e}gpj.exe", "rtl\\u{202e}gpj.exe"),
            ("two\nlines", "two\nlines"),
            ("café 𝓘", "café 𝓘"),
        ] {
            assert_eq!(escape_controls(input), shown, "{input:?}");
        }
    }
}
