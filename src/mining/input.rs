//! Ticket exports in, one ticket at a time: CSV (any delimiter among `,` `;`
//! tab, quoted fields spanning lines) or JSON Lines (one ticket object per
//! line, optionally wrapped as `{"ticket": {...}}`). Files are streamed, so
//! their size does not matter. A row that cannot be used — missing text,
//! broken quoting, bytes that are not UTF-8, a line that is not JSON — comes
//! out as a [`BadRow`] with its line number instead of stopping the run.
//! Solved tickets in the store become such an export first
//! ([`write_store_export`]).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::columns::{ColumnOverrides, Columns};
use super::quotes::QuoteTracker;
use super::Error;

/// Writes the store's `tickets` to `path` as a CSV export with the columns
/// [`Columns::detect`] recognises (`id`, `created_at`, `subject`,
/// `description`, `tags` = the category), so `deflect mine --from-store`
/// runs the very pipeline a help desk's export goes through — and leaves the
/// file to look at. Returns how many tickets it wrote.
pub fn write_store_export(path: &Path, tickets: &[crate::store::Ticket]) -> Result<usize, Error> {
    let io = |source: std::io::Error| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let csv_io = |e: csv::Error| io(std::io::Error::other(e));
    let mut w = csv::Writer::from_writer(File::create(path).map_err(io)?);
    w.write_record(["id", "created_at", "subject", "description", "tags"])
        .map_err(csv_io)?;
    for t in tickets {
        w.write_record([
            t.id.to_string().as_str(),
            &t.created_at,
            &t.fields.subject,
            &t.fields.description,
            t.fields.category.as_deref().unwrap_or(""),
        ])
        .map_err(csv_io)?;
    }
    w.flush().map_err(io)?;
    Ok(tickets.len())
}

/// How a tickets file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// The format a file name implies: `.csv`/`.tsv`/`.txt` or `.jsonl`/`.ndjson`/`.json`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// One ticket as read, before cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTicket {
    /// The id column, else the ticket's row number in its file (from 1).
    pub id: String,
    /// Line of the file where the ticket starts (from 1).
    pub line: u64,
    /// The text columns' values in column order (subject, then body).
    pub parts: Vec<String>,
    pub created: Option<NaiveDate>,
    /// A date was there but could not be read.
    pub bad_date: bool,
    pub tags: Vec<String>,
    /// The help-center article linked when the ticket was solved.
    pub article: Option<String>,
}

/// A row that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// What reading one row gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Ticket(RawTicket),
    Bad(BadRow),
}

/// A stream of rows from one file.
pub struct TicketReader {
    inner: Inner,
    overrides: ColumnOverrides,
    file: String,
    /// Data rows seen so far: the default ticket id.
    rows: u64,
}

/// The csv reader over a file, its quoting followed.
type CsvReader = csv::Reader<QuoteTracker<BufReader<Box<dyn Read + Send>>>>;

enum Inner {
    Csv {
        // Boxed: the csv reader and its tracker are large, and the enum is
        // moved around as a whole.
        reader: Box<CsvReader>,
        columns: Columns,
        width: usize,
        record: csv::ByteRecord,
    },
    Jsonl {
        reader: BufReader<Box<dyn Read + Send>>,
        line: u64,
        bytes: u64,
        buf: Vec<u8>,
    },
    Done,
}

/// The fields of one row, before they make a ticket.
struct Fields {
    id: Option<String>,
    parts: Vec<String>,
    date: Option<String>,
    tags: Vec<String>,
    article: Option<String>,
}

const NOT_UTF8: &str = "not valid UTF-8 text (save the export as UTF-8)";

impl TicketReader {
    /// Opens `path` (its format from `format`, else its extension).
    pub fn open(
        path: &Path,
        format: Option<Format>,
        overrides: &ColumnOverrides,
    ) -> Result<TicketReader, Error> {
        let name = path.display().to_string();
        let format = format
            .or_else(|| Format::from_path(path))
            .ok_or_else(|| Error::UnknownFormat { file: name.clone() })?;
        let file = File::open(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        TicketReader::from_reader(Box::new(file), format, overrides, &name)
    }

    /// Reads tickets from `input`; `name` stands for it in messages.
    pub fn from_reader(
        input: Box<dyn Read + Send>,
        format: Format,
        overrides: &ColumnOverrides,
        name: &str,
    ) -> Result<TicketReader, Error> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let inner = match format {
            Format::Jsonl => Inner::Jsonl {
                reader: buffered,
                line: 0,
                bytes: 0,
                buf: Vec::new(),
            },
            Format::Csv => {
                let head = buffered.fill_buf().map_err(|source| Error::Io {
                    path: name.to_string(),
                    source,
                })?;
                let delimiter = sniff_delimiter(head);
                // Flexible: a row with the wrong number of fields is reported
                // by us, with its line, rather than ending the read.
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_reader(QuoteTracker::new(buffered, delimiter));
                let headers: Vec<String> = reader
                    .byte_headers()
                    .map_err(|e| Error::Io {
                        path: name.to_string(),
                        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                    })?
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect();
                if headers.iter().all(|h| h.trim().is_empty()) {
                    return Err(Error::Empty {
                        file: name.to_string(),
                    });
                }
                let columns = Columns::detect(&headers, overrides, name)?;
                Inner::Csv {
                    reader: Box::new(reader),
                    columns,
                    width: headers.len(),
                    record: csv::ByteRecord::new(),
                }
            }
        };
        Ok(TicketReader {
            inner,
            overrides: overrides.clone(),
            file: name.to_string(),
            rows: 0,
        })
    }

    /// Bytes consumed so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Csv { reader, .. } => reader.position().byte(),
            Inner::Jsonl { bytes, .. } => *bytes,
            Inner::Done => 0,
        }
    }

    fn bad(&self, line: u64, reason: impl Into<String>) -> Row {
        Row::Bad(BadRow {
            file: self.file.clone(),
            line,
            reason: reason.into(),
        })
    }

    fn next_csv(&mut self) -> Option<Row> {
        let Inner::Csv {
            reader,
            columns,
            width,
            record,
        } = &mut self.inner
        else {
            return None;
        };
        let next_line = reader.position().line() + 1;
        let read = reader.read_byte_record(record);
        // A quote that never closed swallowed every line after it into this
        // record: say so at the quote's line rather than pass it as a ticket.
        let tracker = reader.get_ref();
        if let Some((line, lines)) = tracker.unclosed_quote() {
            if !matches!(read, Ok(false)) && reader.position().byte() == tracker.bytes() {
                self.inner = Inner::Done;
                self.rows += 1;
                let span = if lines == 1 {
                    "the rest of this line was".to_string()
                } else {
                    format!("the {lines} lines from here to the end of the file were")
                };
                return Some(self.bad(
                    line,
                    format!(
                        "broken quoting: a quoted field opens here and never closes, so {span} read as one field; add the missing `\"` and run again"
                    ),
                ));
            }
        }
        let outcome: Result<(u64, Fields), (u64, String)> = match read {
            Ok(false) => {
                self.inner = Inner::Done;
                return None;
            }
            Err(e) => {
                let line = e.position().map_or(next_line, csv::Position::line);
                if let csv::ErrorKind::Io(io) = e.kind() {
                    let reason = format!("read error, stopped here: {io}");
                    self.inner = Inner::Done;
                    return Some(self.bad(line, reason));
                }
                Err((line, format!("unreadable row: {e}")))
            }
            Ok(true) => {
                let line = record.position().map_or(next_line, csv::Position::line);
                if record.len() == *width {
                    csv_fields(record, columns)
                        .map(|f| (line, f))
                        .ok_or_else(|| (line, NOT_UTF8.to_string()))
                } else {
                    Err((
                        line,
                        format!(
                            "{} fields where the header has {width} (broken quoting?)",
                            record.len()
                        ),
                    ))
                }
            }
        };
        self.rows += 1;
        Some(match outcome {
            Ok((line, fields)) => self.ticket(line, fields),
            Err((line, reason)) => self.bad(line, reason),
        })
    }

    fn next_jsonl(&mut self) -> Option<Row> {
        loop {
            let Inner::Jsonl {
                reader,
                line,
                bytes,
                buf,
            } = &mut self.inner
            else {
                return None;
            };
            buf.clear();
            match reader.read_until(b'\n', buf) {
                Ok(0) => {
                    self.inner = Inner::Done;
                    return None;
                }
                Ok(n) => {
                    *line += 1;
                    *bytes += n as u64;
                }
                Err(e) => {
                    let at = *line + 1;
                    self.inner = Inner::Done;
                    return Some(self.bad(at, format!("read error, stopped here: {e}")));
                }
            }
            let at = *line;
            let parsed = match std::str::from_utf8(buf) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => serde_json::from_str::<Value>(text.trim()),
                Err(_) => {
                    self.rows += 1;
                    return Some(self.bad(at, NOT_UTF8));
                }
            };
            self.rows += 1;
            let object = match parsed {
                Ok(Value::Object(o)) => unwrap_single(o),
                Ok(_) => return Some(self.bad(at, "not a JSON object")),
                Err(e) => return Some(self.bad(at, format!("not JSON: {e}"))),
            };
            return Some(match json_fields(&object, &self.overrides, &self.file) {
                Ok(fields) => self.ticket(at, fields),
                Err(reason) => self.bad(at, reason),
            });
        }
    }

    fn ticket(&self, line: u64, f: Fields) -> Row {
        if f.parts.iter().all(|p| p.trim().is_empty()) {
            return self.bad(line, "no text");
        }
        let date = f.date.filter(|d| !d.trim().is_empty());
        let created = date.as_deref().and_then(parse_date);
        Row::Ticket(RawTicket {
            id: f
                .id
                .map(|i| i.trim().to_string())
                .filter(|i| !i.is_empty())
                .unwrap_or_else(|| self.rows.to_string()),
            line,
            parts: f.parts,
            bad_date: date.is_some() && created.is_none(),
            created,
            tags: f.tags,
            article: f
                .article
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
        })
    }
}

/// The fields of a CSV record; `None` when one of them is not UTF-8.
fn csv_fields(record: &csv::ByteRecord, columns: &Columns) -> Option<Fields> {
    let get = |i: usize| std::str::from_utf8(record.get(i).unwrap_or_default()).ok();
    let opt = |i: Option<usize>| -> Option<Option<String>> {
        match i {
            Some(i) => get(i).map(|s| Some(s.to_string())),
            None => Some(None),
        }
    };
    Some(Fields {
        parts: columns
            .text
            .iter()
            .map(|&i| get(i).map(str::to_string))
            .collect::<Option<_>>()?,
        id: opt(columns.id)?,
        date: opt(columns.date)?,
        tags: opt(columns.tags)?
            .map(|t| split_tags(&t))
            .unwrap_or_default(),
        article: opt(columns.article)?,
    })
}

/// The fields of a JSON ticket, or why it has none.
fn json_fields(
    object: &Map<String, Value>,
    overrides: &ColumnOverrides,
    file: &str,
) -> Result<Fields, String> {
    let keys: Vec<String> = object.keys().cloned().collect();
    let columns = match Columns::detect(&keys, overrides, file) {
        Ok(c) => c,
        Err(Error::NoTextColumn { .. }) => {
            return Err("no text field (name one with --text-col)".into())
        }
        Err(e) => return Err(e.to_string()),
    };
    let value = |i: Option<usize>| i.and_then(|i| object.get(&keys[i]));
    let get = |i: Option<usize>| value(i).and_then(to_text);
    let tags = match value(columns.tags) {
        Some(Value::Array(items)) => items.iter().filter_map(to_text).collect(),
        Some(v) => to_text(v).map(|t| split_tags(&t)).unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(Fields {
        id: get(columns.id),
        parts: columns.text.iter().filter_map(|&i| get(Some(i))).collect(),
        date: get(columns.date),
        tags,
        article: get(columns.article),
    })
}

impl Iterator for TicketReader {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self.inner {
            Inner::Csv { .. } => self.next_csv(),
            Inner::Jsonl { .. } => self.next_jsonl(),
            Inner::Done => None,
        }
    }
}

/// `{"ticket": {...}}` → the inner object (the Zendesk and Freshdesk APIs
/// wrap records so).
fn unwrap_single(o: Map<String, Value>) -> Map<String, Value> {
    if o.len() == 1 && o.values().all(Value::is_object) {
        if let Some((_, Value::Object(inner))) = o.into_iter().next() {
            return inner;
        }
        return Map::new();
    }
    o
}

fn to_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(to_text).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        Value::Null | Value::Object(_) => None,
    }
}

/// Zendesk separates tags with spaces, Freshdesk with commas.
fn split_tags(s: &str) -> Vec<String> {
    s.split([',', ';', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The delimiter of a CSV file: whichever of `,` `;` tab occurs most in its
/// first line outside quotes.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in first {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// A creation date as help desks export it: RFC 3339, `2024-06-03 10:00:00`
/// (any time or zone after the date is ignored), `2024/06/03`, `03/06/2024`
/// (day first when the first number is over 12, else month first as in US
/// exports) or Unix seconds or milliseconds.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.date_naive());
    }
    let numbers: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .take(3)
        .collect();
    if numbers.len() == 1 && s.chars().all(|c| c.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        let secs = match s.len() {
            9 | 10 => n,
            12..=13 => n / 1000,
            _ => return None,
        };
        return DateTime::from_timestamp(secs, 0).map(|d| d.date_naive());
    }
    if numbers.len() < 3 {
        return None;
    }
    let n: Vec<u32> = numbers
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = if numbers[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if numbers[2].len() == 4 {
        if n[0] > 12 {
            (n[2], n[1], n[0])
        } else {
            (n[2], n[0], n[1])
        }
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, format: Format) -> Vec<Row> {
        let input: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        TicketReader::from_reader(input, format, &ColumnOverrides::default(), "t")
            .expect("reader")
            .collect()
    }

    #[test]
    fn dates_in_export_formats() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let cases = [
            ("2024-06-03T10:22:33Z", d(2024, 6, 3)),
            ("2024-06-03 10:22:33 +0200", d(2024, 6, 3)),
            ("2024/06/03", d(2024, 6, 3)),
            ("25/12/2023 08:00", d(2023, 12, 25)),
            ("06/03/2024", d(2024, 6, 3)),
            ("1717400000", d(2024, 6, 3)),
            ("1717400000000", d(2024, 6, 3)),
            ("yesterday", None),
            ("2024-13-40", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_date(s), want, "{s}");
        }
    }

    #[test]
    fn csv_with_quoted_newlines_semicolons_and_tags() {
        let text = "Ticket ID;Subject;Description;Created time;Tags\n7;Card;\"line one\nline two; still\";2024-06-03;billing, card\n";
        let got = rows(text, Format::Csv);
        let Row::Ticket(t) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(t.id, "7");
        assert_eq!(t.parts, ["Card", "line one\nline two; still"]);
        assert_eq!(t.created, NaiveDate::from_ymd_opt(2024, 6, 3));
        assert_eq!(t.tags, ["billing", "card"]);
        assert_eq!(t.line, 2);
    }

    #[test]
    fn bad_csv_rows_are_reported_with_their_lines() {
        let mut bytes =
            b"id,text,date\n1,fine,2024-01-01\n2,,2024-01-01\n3,too,many,fields\n".to_vec();
        bytes.extend_from_slice(b"4,caf\xe9 latin-1,2024-01-01\n5,ok again,someday\n");
        let input: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes));
        let got: Vec<Row> =
            TicketReader::from_reader(input, Format::Csv, &ColumnOverrides::default(), "t.csv")
                .expect("reader")
                .collect();
        let bad: Vec<(u64, &str)> = got
            .iter()
            .filter_map(|r| match r {
                Row::Bad(b) => Some((b.line, b.reason.as_str())),
                Row::Ticket(_) => None,
            })
            .collect();
        assert_eq!(bad.len(), 3, "{got:?}");
        assert_eq!(bad[0], (3, "no text"));
        assert_eq!(bad[1].0, 4);
        assert!(bad[1].1.contains("broken quoting"));
        assert_eq!(bad[2].0, 5);
        assert!(bad[2].1.contains("UTF-8"));
        let Some(Row::Ticket(last)) = got.last() else {
            panic!("{got:?}")
        };
        assert!(last.bad_date && last.created.is_none());
    }

    #[test]
    fn an_unterminated_quote_is_reported_at_its_line_not_swallowed() {
        let text = "id,text,date\n1,my card is blocked,2024-01-01\n2,\"refund please,2024-01-02\n3,reset my pin,2024-01-03\n4,where is my card,2024-01-04\n";
        let got = rows(text, Format::Csv);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(matches!(&got[0], Row::Ticket(t) if t.id == "1"), "{got:?}");
        let Row::Bad(bad) = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(bad.line, 3);
        assert!(
            bad.reason.contains("never closes") && bad.reason.contains("3 lines"),
            "{bad:?}"
        );
        // Quoted fields that do close, over several lines, are still fine.
        let fine = rows(
            "id,text\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\"\n",
            Format::Csv,
        );
        assert!(fine.iter().all(|r| matches!(r, Row::Ticket(_))), "{fine:?}");
    }

    #[test]
    fn jsonl_objects_wrapped_or_not_and_bad_lines() {
        let text = "{\"ticket\":{\"id\":11,\"subject\":\"Refund\",\"description_text\":\"Where is it?\",\"created_at\":\"2024-06-03T10:00:00Z\",\"tags\":[\"billing\",\"refund\"]}}\n\n{\"id\":12,\"body\":\"hello\"}\nnot json\n{\"id\":13}\n";
        let got = rows(text, Format::Jsonl);
        assert_eq!(got.len(), 4);
        let Row::Ticket(t) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(t.id, "11");
        assert_eq!(t.parts, ["Refund", "Where is it?"]);
        assert_eq!(t.tags, ["billing", "refund"]);
        assert!(matches!(&got[1], Row::Ticket(t) if t.id == "12" && t.line == 3));
        assert!(matches!(&got[2], Row::Bad(b) if b.line == 4 && b.reason.starts_with("not JSON")));
        assert!(matches!(&got[3], Row::Bad(b) if b.line == 5));
    }

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(Format::from_path(Path::new("a/b.CSV")), Some(Format::Csv));
        assert_eq!(
            Format::from_path(Path::new("x.ndjson")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("x.xlsx")), None);
    }
}
