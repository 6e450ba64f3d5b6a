//! Tickets per week and whether a topic is growing. Weeks start on Monday
//! and run from the first to the last dated ticket of the run, so every
//! topic's series lines up. A topic's trend is its share of all tickets in
//! the most recent weeks against the weeks before: comparing shares rather
//! than counts keeps a partial last week, or a busy season for the whole
//! queue, from passing for a trend. A change is called a trend only when it
//! is large ([`GROWING`], [`SHRINKING`]) *and* unlikely to be chance for the
//! counts involved: given the topic's tickets in both windows, the number
//! in the recent one is binomial under "no change" (each ticket falls in
//! the recent window as often as the queue's tickets do), and the two-sided
//! binomial test must reject that at [`SIGNIFICANCE`]. With 90 topics of
//! tickets dated at random, a plain 25 % threshold calls dozens of trends;
//! the test calls about one.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Weeks compared at each end (fewer when the run spans fewer weeks).
const WINDOW: usize = 4;
/// Relative change in share that counts as growing or shrinking.
const GROWING: f64 = 0.25;
const SHRINKING: f64 = -0.2;
/// Tickets of the topic needed in the two windows to call a trend.
const MIN_TICKETS: u32 = 8;
/// Largest chance of seeing a change at least as large with no trend at
/// all (two-sided): 1 %, so that a run of a hundred topics calls about one
/// trend by chance.
pub const SIGNIFICANCE: f64 = 0.01;

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
    // Under "no change", a ticket of the topic falls in the recent window as
    // often as any ticket of the queue does.
    let expected = all_recent as f64 / (all_recent + all_before) as f64;
    let chance = binomial_two_sided(topic_recent, topic_recent + topic_before, expected);
    if share_before == 0.0 {
        return Trend {
            weekly,
            direction: if chance < SIGNIFICANCE {
                Direction::Growing
            } else {
                Direction::Steady
            },
            change: None,
        };
    }
    let change = share_recent / share_before - 1.0;
    let direction = if chance >= SIGNIFICANCE {
        Direction::Steady
    } else if change >= GROWING {
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

/// The chance, for a binomial count of `n` trials at success rate `p`, of
/// an outcome at most as likely as `k` (the two-sided exact test). Exact
/// up to a few thousand trials; beyond, the normal approximation with a
/// continuity correction, which is then within far less than the
/// significance level.
pub fn binomial_two_sided(k: u64, n: u64, p: f64) -> f64 {
    if n == 0 || p <= 0.0 || p >= 1.0 {
        return 1.0;
    }
    if n > 5000 {
        let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
        let z = ((k as f64 - mean).abs() - 0.5).max(0.0) / sd;
        return erfc(z / std::f64::consts::SQRT_2).min(1.0);
    }
    // Probabilities in log space: ln C(n, i) + i ln p + (n − i) ln(1 − p).
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut ln_choose = 0.0;
    let mut log_pmf = Vec::with_capacity(n as usize + 1);
    for i in 0..=n {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        log_pmf.push(ln_choose + i as f64 * lp + (n - i) as f64 * lq);
    }
    let at = log_pmf[k.min(n) as usize];
    // A relative tolerance so that outcomes as likely as `k` count.
    let total: f64 = log_pmf
        .iter()
        .filter(|&&l| l <= at + 1e-9)
        .map(|l| l.exp())
        .sum();
    total.min(1.0)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit,
/// relative error under 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
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
        // The same tripling on a handful of tickets could be chance.
        let few = trend(vec![1, 0, 0, 1, 1, 1, 2, 2], &all);
        assert_eq!(few.direction, Direction::Steady, "{few:?}");
        assert!(few.change.is_some_and(|c| c > 1.0));
        // A partial last week of the whole queue is no trend.
        let partial = [100, 100, 100, 100, 100, 100, 100, 20];
        let t = trend(vec![5, 5, 5, 5, 5, 5, 5, 1], &partial);
        assert_eq!(t.direction, Direction::Steady);
        assert_eq!(trend(vec![9, 9], &[10, 10]).direction, Direction::Steady);
        assert_eq!(trend(vec![9], &[10]).direction, Direction::Unknown);
    }

    #[test]
    fn the_binomial_test_matches_reference_values() {
        // scipy.stats.binomtest(k, n, p).pvalue
        let cases = [
            (7, 10, 0.5, 0.34375),
            (9, 10, 0.5, 0.021_484_375),
            (3, 20, 0.5, 0.002_576_828),
            (0, 5, 0.5, 0.0625),
            (5, 10, 0.5, 1.0),
        ];
        for (k, n, p, want) in cases {
            let got = binomial_two_sided(k, n, p);
            assert!((got - want).abs() < 1e-6, "{k}/{n} at {p}: {got} vs {want}");
        }
        // The normal approximation takes over smoothly.
        let exact = binomial_two_sided(2600, 5000, 0.5);
        let approx = binomial_two_sided(2601 * 2, 10_002, 0.5);
        assert!(exact < 0.01 && approx < 0.001, "{exact} {approx}");
        assert!((binomial_two_sided(5001, 10_002, 0.5) - 1.0).abs() < 0.05);
    }

    #[test]
    fn tickets_dated_at_random_show_almost_no_trends() {
        // 90 topics of 20 to 200 tickets, each dated uniformly over 12 weeks.
        let mut rng = crate::mining::rng::Rng::new(3);
        let weeks = 12;
        let topics: Vec<Vec<u32>> = (0..90)
            .map(|i| {
                let mut w = vec![0u32; weeks];
                for _ in 0..(20 + i * 2) {
                    w[rng.below(weeks)] += 1;
                }
                w
            })
            .collect();
        let mut all = vec![0u32; weeks];
        for t in &topics {
            for (a, x) in all.iter_mut().zip(t) {
                *a += x;
            }
        }
        let called = topics
            .iter()
            .filter(|t| {
                matches!(
                    trend(t.to_vec(), &all).direction,
                    Direction::Growing | Direction::Shrinking
                )
            })
            .count();
        assert!(called <= 3, "{called} of 90 random topics called a trend");
    }
}
