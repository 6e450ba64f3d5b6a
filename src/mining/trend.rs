//! Tickets per week and whether a topic is growing. Weeks start on Monday
//! and run from the first to the last dated ticket of the run, so every
//! topic's series lines up. A topic's trend is its share of all tickets in
//! the most recent weeks against the weeks before: comparing shares rather
//! than counts keeps a partial last week, or a busy season for the whole
//! queue, from passing for a trend.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Weeks compared at each end (fewer when the run spans fewer weeks).
const WINDOW: usize = 4;
/// Relative change in share that counts as growing or shrinking.
const GROWING: f64 = 0.25;
const SHRINKING: f64 = -0.2;
/// Tickets of the topic needed in the two windows to call a trend.
const MIN_TICKETS: u32 = 8;

/// The Monday starting the week of `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// The weeks of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weeks {
    /// Monday of the first week.
    pub first: NaiveDate,
    pub count: usize,
}

impl Weeks {
    /// The weeks spanning `first..=last`.
    pub fn spanning(first: NaiveDate, last: NaiveDate) -> Weeks {
        let first = week_start(first);
        let count = ((week_start(last) - first).num_days() / 7 + 1).max(1) as usize;
        Weeks { first, count }
    }

    /// Index of the week holding `date` (clamped to the span).
    pub fn index(&self, date: NaiveDate) -> usize {
        let days = (date - self.first).num_days().max(0) as usize;
        (days / 7).min(self.count - 1)
    }

    /// Monday of week `i`.
    pub fn start(&self, i: usize) -> NaiveDate {
        self.first + chrono::Days::new(7 * i as u64)
    }
}

/// Where a topic is heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Growing,
    Shrinking,
    Steady,
    /// Too few dated tickets or weeks to tell.
    Unknown,
}

impl Direction {
    /// A word for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Growing => "growing",
            Direction::Shrinking => "shrinking",
            Direction::Steady => "steady",
            Direction::Unknown => "unknown",
        }
    }
}

/// A topic's tickets per week and its direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Tickets per week, aligned with the run's [`Weeks`] (empty without dates).
    pub weekly: Vec<u32>,
    pub direction: Direction,
    /// Relative change of the topic's share of all tickets, recent weeks
    /// against the weeks before (`0.5` = half as large again); `None` when
    /// unknown or when the topic is new.
    pub change: Option<f64>,
}

/// The trend of a topic with `weekly` tickets, out of `all` tickets per week.
pub fn trend(weekly: Vec<u32>, all: &[u32]) -> Trend {
    let n = weekly.len();
    let window = WINDOW.min(n / 2);
    let unknown = |weekly| Trend {
        weekly,
        direction: Direction::Unknown,
        change: None,
    };
    if window == 0 {
        return unknown(weekly);
    }
    let sum = |xs: &[u32]| xs.iter().map(|&x| u64::from(x)).sum::<u64>();
    let (recent, before) = (n - window..n, n - 2 * window..n - window);
    let (topic_recent, topic_before) = (sum(&weekly[recent.clone()]), sum(&weekly[before.clone()]));
    let (all_recent, all_before) = (sum(&all[recent]), sum(&all[before]));
    if topic_recent + topic_before < u64::from(MIN_TICKETS) || all_recent == 0 || all_before == 0 {
        return unknown(weekly);
    }
    let share_recent = topic_recent as f64 / all_recent as f64;
    let share_before = topic_before as f64 / all_before as f64;
    if share_before == 0.0 {
        return Trend {
            weekly,
            direction: Direction::Growing,
            change: None,
        };
    }
    let change = share_recent / share_before - 1.0;
    let direction = if change >= GROWING {
        Direction::Growing
    } else if change <= SHRINKING {
        Direction::Shrinking
    } else {
        Direction::Steady
    };
    Trend {
        weekly,
        direction,
        change: Some(change),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_index_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let weeks = Weeks::spanning(d(2024, 6, 5), d(2024, 6, 20));
        assert_eq!(weeks.first, d(2024, 6, 3));
        assert_eq!(weeks.count, 3);
        assert_eq!(weeks.index(d(2024, 6, 9)), 0);
        assert_eq!(weeks.index(d(2024, 6, 10)), 1);
        assert_eq!(weeks.start(2), d(2024, 6, 17));
    }

    #[test]
    fn trends_compare_shares_of_recent_weeks() {
        let all = [100, 100, 100, 100, 100, 100, 100, 100];
        // (topic per week, direction)
        let cases: &[(&[u32], Direction)] = &[
            (&[2, 2, 2, 2, 6, 6, 6, 6], Direction::Growing),
            (&[6, 6, 6, 6, 2, 2, 2, 2], Direction::Shrinking),
            (&[5, 5, 5, 5, 5, 5, 5, 5], Direction::Steady),
            (&[0, 0, 0, 0, 3, 3, 3, 3], Direction::Growing),
            (&[1, 0, 0, 1, 0, 1, 0, 0], Direction::Unknown),
        ];
        for (weekly, want) in cases {
            assert_eq!(trend(weekly.to_vec(), &all).direction, *want, "{weekly:?}");
        }
        // A partial last week of the whole queue is no trend.
        let partial = [100, 100, 100, 100, 100, 100, 100, 20];
        let t = trend(vec![5, 5, 5, 5, 5, 5, 5, 1], &partial);
        assert_eq!(t.direction, Direction::Steady);
        assert_eq!(trend(vec![9, 9], &[10, 10]).direction, Direction::Steady);
        assert_eq!(trend(vec![9], &[10]).direction, Direction::Unknown);
    }
}
