//! Which documents of one searcher an audience may see, as one bitmap per
//! segment, and document frequencies counted over those documents only. The
//! term dictionary holds the words of every indexed article, drafts,
//! archived and internal ones included; typo corrections ("did you mean")
//! and the "is this word known" test ask [`Visible::doc_freq`] instead, so a
//! customer is never offered, or told of, a word found only in an article
//! they may not read.

use tantivy::query::{EnableScoring, Query};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, Term, TERMINATED};

use super::Result;

/// Documents visible to one audience, per segment of a searcher.
pub struct Visible {
    /// Per segment (in `searcher.segment_readers()` order), per document.
    segments: Vec<Vec<bool>>,
}

impl Visible {
    /// The live documents of `searcher` that `filter` matches.
    pub fn new(searcher: &Searcher, filter: &dyn Query) -> Result<Visible> {
        let weight = filter.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let mut bits = vec![false; segment.max_doc() as usize];
            let alive = segment.alive_bitset();
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    bits[doc as usize] = true;
                }
                doc = scorer.advance();
            }
            segments.push(bits);
        }
        Ok(Visible { segments })
    }

    /// Visible documents holding `text` in `field`, counted up to `cap` (a
    /// caller asking "none, one, or common?" stops early on common words).
    pub fn doc_freq(&self, searcher: &Searcher, field: Field, text: &str, cap: u64) -> Result<u64> {
        let term = Term::from_field_text(field, text);
        let mut n = 0;
        for (segment, bits) in searcher.segment_readers().iter().zip(&self.segments) {
            let inverted = segment.inverted_index(field)?;
            let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if bits.get(doc as usize).copied().unwrap_or(false) {
                    n += 1;
                    if n >= cap {
                        return Ok(n);
                    }
                }
                doc = postings.advance();
            }
        }
        Ok(n)
    }
}
