//! Ticket cleaning and analysis: any text as a ticket goes through the
//! mining text paths (clean, analyze into stems and words, rephrase and
//! title suggestion, personal-data masking) without panicking.
#![no_main]

use deflect::mining::clean::{clean, html_to_text};
use deflect::mining::corpus::Analyzers;
use deflect::mining::title;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let cleaned = clean(&raw);
    let _ = html_to_text(&raw);
    let _ = deflect::pii::mask(&raw);
    let mut analyzers = Analyzers::new(None);
    let analyzed = analyzers.analyze(&[raw.to_string()]);
    let _ = title::rephrase(&cleaned);
    let terms: Vec<(String, String)> = analyzed
        .stems
        .iter()
        .zip(&analyzed.words)
        .take(4)
        .map(|(s, w)| (s.clone(), w.clone()))
        .collect();
    let mut stem = |s: &str| analyzers.analyze(&[s.to_string()]).stems;
    let _ = title::suggest(&[cleaned.as_str(), raw.as_ref()], &terms, &mut stem);
});
