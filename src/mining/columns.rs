//! Which column of a ticket export holds what. Help desks name their columns
//! differently (Zendesk: `Id`, `Subject`, `Description`, `Created at`,
//! `Tags`; Freshdesk: `Ticket ID`, `Subject`, `Description`, `Created time`,
//! `Tags`; their APIs: `id`, `description_text`, `created_at`); [`Columns::detect`]
//! recognises these and other common names after normalising them (case,
//! `_`, spaces), and [`ColumnOverrides`] from the command line win over any
//! guess. Pure: the readers in [`super::input`] pass header names in and get
//! positions out.

use serde::Serialize;

use super::Error;

/// Column names given on the command line (`--id-col`, `--text-col`,
/// `--date-col`), matched like detected names: case and `_` do not matter.
#[derive(Debug, Clone, Default)]
pub struct ColumnOverrides {
    pub id: Option<String>,
    /// Text columns, joined in this order (subject, then body, say).
    pub text: Vec<String>,
    pub date: Option<String>,
}

/// Positions of the columns mining reads, in a header row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Columns {
    pub id: Option<usize>,
    /// At least one.
    pub text: Vec<usize>,
    pub date: Option<usize>,
    pub tags: Option<usize>,
    /// The help-center article linked when the ticket was solved.
    pub article: Option<usize>,
}

// Candidates per role, best first, as normalised by `normalize`.
const ID: &[&str] = &[
    "id",
    "ticket id",
    "ticket number",
    "ticket no",
    "ticket",
    "case id",
    "case number",
    "request id",
    "conversation id",
    "display id",
    "number",
    "key",
];
const SUBJECT: &[&str] = &["subject", "title", "summary", "topic"];
const BODY: &[&str] = &[
    "description text",
    "description",
    "body",
    "text",
    "message",
    "content",
    "question",
    "first comment",
    "comment",
    "comments",
    "details",
    "request",
    "utterance",
    "query",
];
const DATE: &[&str] = &[
    "created at",
    "created time",
    "created",
    "created date",
    "creation date",
    "date created",
    "submitted at",
    "received at",
    "opened at",
    "date",
    "timestamp",
    "time",
];
const TAGS: &[&str] = &["tags", "tag", "labels", "tag list"];
const ARTICLE: &[&str] = &[
    "linked article",
    "article",
    "article url",
    "article slug",
    "article id",
    "kb article",
    "knowledge article",
    "solution article",
    "help center article",
    "linked kb article",
];

/// `Created_At` → `created at`; `Ticket #` → `ticket`.
pub fn normalize(name: &str) -> String {
    let lowered = name.trim_start_matches('\u{feff}').to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ")
}

impl Columns {
    /// Finds the columns in `headers`; `what` names the file in errors.
    pub fn detect(
        headers: &[String],
        overrides: &ColumnOverrides,
        what: &str,
    ) -> Result<Columns, Error> {
        let names: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
        let find = |candidates: &[&str]| -> Option<usize> {
            candidates
                .iter()
                .find_map(|c| names.iter().position(|n| n == c))
        };
        let named = |name: &str| -> Result<usize, Error> {
            let wanted = normalize(name);
            names
                .iter()
                .position(|n| *n == wanted)
                .ok_or_else(|| Error::UnknownColumn {
                    file: what.to_string(),
                    column: name.to_string(),
                    headers: headers.join(", "),
                })
        };
        let text = if overrides.text.is_empty() {
            let mut text: Vec<usize> = find(SUBJECT).into_iter().collect();
            text.extend(find(BODY));
            text
        } else {
            overrides
                .text
                .iter()
                .map(|t| named(t))
                .collect::<Result<_, _>>()?
        };
        if text.is_empty() {
            return Err(Error::NoTextColumn {
                file: what.to_string(),
                headers: headers.join(", "),
            });
        }
        let id = match &overrides.id {
            Some(name) => Some(named(name)?),
            None => find(ID),
        };
        let date = match &overrides.date {
            Some(name) => Some(named(name)?),
            None => find(DATE),
        };
        Ok(Columns {
            id: id.filter(|i| !text.contains(i)),
            text,
            date,
            tags: find(TAGS),
            article: find(ARTICLE),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    fn detect(s: &str) -> Columns {
        Columns::detect(&headers(s), &ColumnOverrides::default(), "t.csv").expect("columns")
    }

    /// (header row, id, text, date, tags, article)
    type Case = (
        &'static str,
        Option<usize>,
        &'static [usize],
        Option<usize>,
        Option<usize>,
        Option<usize>,
    );

    #[test]
    fn zendesk_and_freshdesk_exports_are_recognised() {
        // (header row, id, text, date, tags, article)
        let cases: &[Case] = &[
            (
                "Id,Requester,Requester email,Subject,Tags,Status,Created at,Updated at,Description",
                Some(0), &[3, 8], Some(6), Some(4), None,
            ),
            (
                "Ticket ID,Subject,Description,Status,Priority,Source,Type,Agent,Group,Created time,Due by Time,Resolved time,Tags,Full name",
                Some(0), &[1, 2], Some(9), Some(12), None,
            ),
            (
                "id,subject,description,description_text,created_at,tags,linked_article",
                Some(0), &[1, 3], Some(4), Some(5), Some(6),
            ),
            ("text,category", None, &[0], None, None, None),
            ("\u{feff}Case Number,Body,Date", Some(0), &[1], Some(2), None, None),
        ];
        for (row, id, text, date, tags, article) in cases {
            let c = detect(row);
            assert_eq!(c.id, *id, "{row}");
            assert_eq!(c.text, *text, "{row}");
            assert_eq!(c.date, *date, "{row}");
            assert_eq!(c.tags, *tags, "{row}");
            assert_eq!(c.article, *article, "{row}");
        }
    }

    #[test]
    fn overrides_win_and_unknown_names_are_errors() {
        let h = headers("Ref,Notes,Short,When,Subject");
        let o = ColumnOverrides {
            id: Some("ref".into()),
            text: vec!["Short".into(), "NOTES".into()],
            date: Some("when".into()),
        };
        let c = Columns::detect(&h, &o, "t.csv").expect("columns");
        assert_eq!((c.id, c.text, c.date), (Some(0), vec![2, 1], Some(3)));
        let bad = ColumnOverrides {
            text: vec!["missing".into()],
            ..ColumnOverrides::default()
        };
        let err = Columns::detect(&h, &bad, "t.csv").unwrap_err().to_string();
        assert!(
            err.contains("missing") && err.contains("Ref, Notes"),
            "{err}"
        );
    }

    #[test]
    fn a_file_without_text_names_its_headers() {
        let err = Columns::detect(&headers("a,b"), &ColumnOverrides::default(), "t.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.csv") && err.contains("a, b") && err.contains("--text-col"),
            "{err}"
        );
    }
}
