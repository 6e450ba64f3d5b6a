//! Which documents of one searcher an audience may see, as one bitmap per
//! segment, and document frequencies counted over those documents only. The
//! term dictionary holds the words of every indexed article, drafts,
//! archived and internal ones included; typo corrections ("did you mean")
//! and the "is this word known" test ask [`Visible::doc_freq`] instead, so a
//! customer is never offered, or told of, a word found only in an article
//! they may not read.
//!
//! Searches filter with it too ([`OnlyVisible`]): testing a bit per matching
//! document is far cheaper than intersecting every query with the postings
//! of the status, visibility and locale terms, and it leaves scores as they
//! are (those filter terms scored 0).

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, Term, TERMINATED};

use super::Result;

/// Documents visible to one audience, per segment of a searcher.
pub struct Visible {
    /// Per segment (in `searcher.segment_readers()` order), per document.
    segments: Vec<Arc<[bool]>>,
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
            segments.push(bits.into());
        }
        Ok(Visible { segments })
    }

    /// Whether the document at `addr` is visible.
    pub fn contains(&self, addr: tantivy::DocAddress) -> bool {
        self.segments
            .get(addr.segment_ord as usize)
            .and_then(|bits| bits.get(addr.doc_id as usize))
            .copied()
            .unwrap_or(false)
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

/// A collector that passes on only the documents of a [`Visible`] set.
pub struct OnlyVisible<C> {
    visible: Arc<Visible>,
    inner: C,
}

impl<C> OnlyVisible<C> {
    pub fn new(visible: Arc<Visible>, inner: C) -> Self {
        OnlyVisible { visible, inner }
    }
}

impl<C: Collector> Collector for OnlyVisible<C> {
    type Fruit = C::Fruit;
    type Child = OnlyVisibleSegment<C::Child>;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(OnlyVisibleSegment {
            // A segment the set was not built from (it cannot happen: both
            // come from one searcher) shows nothing rather than everything.
            bits: self
                .visible
                .segments
                .get(ord as usize)
                .cloned()
                .unwrap_or_else(|| Arc::from(Vec::new())),
            inner: self.inner.for_segment(ord, segment)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<Self::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<C::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

/// [`OnlyVisible`] in one segment.
pub struct OnlyVisibleSegment<S> {
    bits: Arc<[bool]>,
    inner: S,
}

impl<S: SegmentCollector> SegmentCollector for OnlyVisibleSegment<S> {
    type Fruit = S::Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.bits.get(doc as usize).copied().unwrap_or(false) {
            self.inner.collect(doc, score);
        }
    }

    fn harvest(self) -> S::Fruit {
        self.inner.harvest()
    }
}
