//! Ticket exports: any bytes as a CSV or JSON Lines file read row by row.
//! Every row must come out as a ticket or a bad row with its line; the
//! reader must end, never panic.
#![no_main]

use std::io::Cursor;

use deflect::mining::input::{Format, Row, TicketReader};
use deflect::mining::ColumnOverrides;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let format = if first & 1 == 0 {
        Format::Csv
    } else {
        Format::Jsonl
    };
    let input = Box::new(Cursor::new(rest.to_vec()));
    let Ok(reader) = TicketReader::from_reader(input, format, &ColumnOverrides::default(), "fuzz")
    else {
        return;
    };
    for row in reader {
        match row {
            Row::Ticket(t) => assert!(t.line >= 1),
            Row::Bad(b) => assert!(b.line >= 1, "{b}"),
        }
    }
});
