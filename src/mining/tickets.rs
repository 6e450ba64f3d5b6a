//! What mining keeps of every ticket once its text has gone into the corpus:
//! its id (for `assignments.csv` and sample references), creation date (for
//! trends), tags and linked article (for coverage). Compact on purpose — a
//! million tickets cost tens of megabytes here.

use chrono::NaiveDate;

use super::corpus::Vocab;
use super::input::RawTicket;

/// Per-ticket facts, in reading order (the order of `Corpus::ticket_doc`).
#[derive(Debug, Default)]
pub struct Tickets {
    pub ids: Vec<String>,
    pub created: Vec<Option<NaiveDate>>,
    /// Tags of ticket `t`: `tag_ids[tag_offsets[t]..tag_offsets[t + 1]]`.
    tag_offsets: Vec<u32>,
    tag_ids: Vec<u32>,
    pub tags: Vocab,
    /// (ticket, article as given) for tickets solved with a linked article.
    pub articles: Vec<(u32, String)>,
}

impl Tickets {
    /// Records `t` as the next ticket.
    pub fn push(&mut self, t: &RawTicket) {
        if self.tag_offsets.is_empty() {
            self.tag_offsets.push(0);
        }
        let n = self.ids.len() as u32;
        self.ids.push(t.id.clone());
        self.created.push(t.created);
        for tag in &t.tags {
            let id = self.tags.intern(tag);
            self.tag_ids.push(id);
        }
        self.tag_offsets.push(self.tag_ids.len() as u32);
        if let Some(a) = &t.article {
            self.articles.push((n, a.clone()));
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Tag ids of ticket `t`.
    pub fn tags_of(&self, t: usize) -> &[u32] {
        match (self.tag_offsets.get(t), self.tag_offsets.get(t + 1)) {
            (Some(&a), Some(&b)) => &self.tag_ids[a as usize..b as usize],
            _ => &[],
        }
    }

    /// First and last creation dates.
    pub fn date_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let mut dates = self.created.iter().flatten();
        let first = *dates.next()?;
        Some(dates.fold((first, first), |(lo, hi), &d| (lo.min(d), hi.max(d))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ids_tags_dates_and_links() {
        let mut t = Tickets::default();
        let d = NaiveDate::from_ymd_opt(2024, 6, 3);
        for (id, tags, created, article) in [
            ("a", vec!["x", "y"], d, None),
            ("b", vec![], None, Some("billing/refunds")),
            ("c", vec!["y"], NaiveDate::from_ymd_opt(2024, 5, 1), None),
        ] {
            t.push(&RawTicket {
                id: id.into(),
                line: 1,
                parts: vec!["q".into()],
                created,
                bad_date: false,
                tags: tags.into_iter().map(String::from).collect(),
                article: article.map(String::from),
            });
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.tags_of(0).len(), 2);
        assert!(t.tags_of(1).is_empty());
        assert_eq!(t.tags.text(t.tags_of(2)[0]), "y");
        assert_eq!(t.articles, [(1, "billing/refunds".to_string())]);
        assert_eq!(
            t.date_range(),
            Some((
                NaiveDate::from_ymd_opt(2024, 5, 1).expect("date"),
                d.expect("date")
            ))
        );
    }
}
