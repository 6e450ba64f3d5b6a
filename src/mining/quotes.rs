//! Follows CSV quoting in the bytes the csv reader pulls from a ticket
//! export, so a file that ends inside a quoted field is noticed. The csv
//! crate accepts such a file without complaint and reads everything after
//! the stray `"` as one field: one unterminated quote on line 2 would turn a
//! 10,000-row export into "read 1 rows". [`QuoteTracker`] sits between the
//! file and the csv reader, mirrors csv-core's quoting rules byte by byte
//! (RFC 4180: a quote opens a field only at its start, `""` inside is an
//! escaped quote) and tells on which line the quote that never closed opened.

use std::io::{self, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: an escaped quote or the field's end.
    QuoteInQuoted,
}

/// A reader that passes bytes through and follows their quoting.
pub struct QuoteTracker<R> {
    inner: R,
    delimiter: u8,
    state: State,
    /// Line breaks seen so far.
    lines: u64,
    /// Bytes passed through so far.
    bytes: u64,
    /// Line (from 1) where the current quoted field opened.
    opened_at: u64,
    /// The last byte passed through.
    last: u8,
    eof: bool,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

impl<R: Read> QuoteTracker<R> {
    /// Follows `inner`, a CSV file whose fields are split by `delimiter`.
    pub fn new(inner: R, delimiter: u8) -> QuoteTracker<R> {
        QuoteTracker {
            inner,
            delimiter,
            state: State::FieldStart,
            lines: 0,
            bytes: 0,
            opened_at: 0,
            last: 0,
            eof: false,
        }
    }

    /// When the whole file has been read and it ended inside a quoted
    /// field: the line where that field's quote opened, and the number of
    /// lines from there to the end.
    pub fn unclosed_quote(&self) -> Option<(u64, u64)> {
        (self.eof && self.state == State::Quoted)
            .then(|| (self.opened_at, self.total_lines() + 1 - self.opened_at))
    }

    /// Lines read, a last one without a line break included.
    fn total_lines(&self) -> u64 {
        self.lines + u64::from(self.last != b'\n' && self.bytes > 0)
    }

    /// Bytes passed through so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn step(&mut self, b: u8) {
        use State::*;
        // A UTF-8 byte-order mark before the header is not part of a field.
        if self.bytes < 3 && b == BOM[self.bytes as usize] && self.state == FieldStart {
            return;
        }
        if b == b'\n' {
            self.lines += 1;
        }
        self.state = match (self.state, b) {
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (QuoteInQuoted, b'"') => Quoted,
            (FieldStart, b'"') => {
                self.opened_at = self.lines + 1;
                Quoted
            }
            (_, b'\n' | b'\r') => FieldStart,
            (_, d) if d == self.delimiter => FieldStart,
            _ => Unquoted,
        };
    }
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        }
        for &b in &buf[..n] {
            self.step(b);
            self.bytes += 1;
            self.last = b;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unclosed(text: &str) -> Option<(u64, u64)> {
        let mut t = QuoteTracker::new(text.as_bytes(), b',');
        io::copy(&mut t, &mut io::sink()).expect("read");
        t.unclosed_quote()
    }

    #[test]
    fn quotes_that_never_close_are_found_with_their_line() {
        for (text, want) in [
            ("id,text\n1,fine\n2,\"also fine\"\n", None),
            ("id,text\n1,\"two\nlines\"\n2,x\n", None),
            ("id,text\n1,\"say \"\"hi\"\"\"\n", None),
            ("id,text\n1,a\"b\n2,c\n", None),
            ("\u{feff}\"id\",\"text\"\n1,x\n", None),
            ("id,text\n1,\"open\n2,x\n3,y\n", Some((2, 3))),
            ("id,text\n1,x\n2,\"open", Some((3, 1))),
            ("id,text\r\n1,\"ok\"\"\r\n2,x\r\n", Some((2, 2))),
        ] {
            assert_eq!(unclosed(text), want, "{text:?}");
        }
    }
}
