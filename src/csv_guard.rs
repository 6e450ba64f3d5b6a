//! CSV injection guard, the one place that decides whether a cell of text
//! could start a spreadsheet formula. Every CSV deflect writes (the mining
//! outputs, the reports, ticket exports) passes text that a customer or agent
//! typed through [`neutralize`] before it becomes a cell.

use std::borrow::Cow;

/// Characters that make Excel, LibreOffice or Google Sheets read a cell as a
/// formula (OWASP's list: `=`, `+`, `-`, `@`, tab, carriage return).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` made safe to open in a spreadsheet: text that starts like a formula
/// gets a leading `'`, which spreadsheets show instead of running it.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_never_start_a_formula() {
        for (typed, cell) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1 refund", "'+1 refund"),
            ("-x", "'-x"),
            ("@sum", "'@sum"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("refund", "refund"),
            ("a=1", "a=1"),
            ("", ""),
        ] {
            assert_eq!(neutralize(typed), cell);
        }
    }
}
