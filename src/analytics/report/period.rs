//! The period a report covers: `[since, until)` in ms, UTC, parsed from the
//! command line (`--since 30d`, `--until 2026-02-01`) or picked on the page
//! (the last 7, 30 or 90 days), and the previous period of equal length.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use super::ReportError;
use crate::analytics::deflection::MS_PER_DAY;

/// A time range `[since, until)` in ms since the epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since: i64,
    pub until: i64,
}

impl Period {
    /// `[since, until)`; `since` must come first.
    pub fn new(since: i64, until: i64) -> Result<Period, ReportError> {
        if since >= until {
            return Err(ReportError::Period(format!(
                "the period is empty: {} is not before {}",
                iso(since),
                iso(until)
            )));
        }
        Ok(Period { since, until })
    }

    /// The `days` whole UTC days that end with today (`now`'s day).
    pub fn last_days(days: i64, now: DateTime<Utc>) -> Period {
        let until = (now.timestamp_millis().div_euclid(MS_PER_DAY) + 1) * MS_PER_DAY;
        Period {
            since: until - days.max(1) * MS_PER_DAY,
            until,
        }
    }

    /// The command line's `--since` and `--until`: `since` is an interval
    /// back from `until` (`30d`, `12w`, `6m`, `1y`) or a date (`2026-01-01`);
    /// `until` a date (exclusive: the period ends at its midnight, UTC) or an
    /// RFC 3339 time, by default the end of today.
    pub fn parse(
        since: &str,
        until: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Period, ReportError> {
        let until = match until {
            None => Period::last_days(1, now).until,
            Some(u) => parse_time(u).ok_or_else(|| {
                ReportError::Period(format!(
                    "`--until {u}` is not a date such as 2026-02-01 (the period ends at its midnight, UTC)"
                ))
            })?,
        };
        let since = match crate::config::Interval::parse(since).map(|i| i.0) {
            Some(d) => until - d.num_milliseconds(),
            None => parse_time(since).ok_or_else(|| {
                ReportError::Period(format!(
                    "`--since {since}` is neither an interval such as 30d, 12w, 6m or 1y nor a date such as 2026-01-01"
                ))
            })?,
        };
        Period::new(since, until)
    }

    /// The period of equal length just before this one.
    pub fn previous(&self) -> Period {
        Period {
            since: self.since - (self.until - self.since),
            until: self.since,
        }
    }

    /// Day numbers (`at / MS_PER_DAY`) the period touches.
    pub(super) fn day_numbers(&self) -> std::ops::Range<i64> {
        self.since.div_euclid(MS_PER_DAY)..(self.until - 1).div_euclid(MS_PER_DAY) + 1
    }
}

/// A date (midnight UTC) or an RFC 3339 time, in ms.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                .timestamp_millis(),
        );
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `ms` as `2026-01-05T10:11:12Z`.
pub(super) fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Day number → `2026-01-05`.
pub(super) fn date(day: i64) -> String {
    Utc.timestamp_millis_opt(day * MS_PER_DAY)
        .single()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A period as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    /// Start (inclusive), RFC 3339.
    pub since: String,
    /// End (exclusive), RFC 3339.
    pub until: String,
    pub first_day: String,
    pub last_day: String,
    pub days: i64,
}

impl From<Period> for PeriodInfo {
    fn from(p: Period) -> PeriodInfo {
        let days = p.day_numbers();
        PeriodInfo {
            since: iso(p.since),
            until: iso(p.until),
            first_day: date(days.start),
            last_day: date(days.end - 1),
            days: days.end - days.start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN_1: i64 = 1_767_225_600_000;

    fn now() -> DateTime<Utc> {
        // 2026-01-10T15:30:00Z
        Utc.timestamp_millis_opt(JAN_1 + 9 * MS_PER_DAY + 15 * 3_600_000 + 1_800_000)
            .single()
            .unwrap()
    }

    /// `(since, until)` in ms.
    type Range = (i64, i64);

    #[test]
    fn periods_from_the_command_line() {
        let day = MS_PER_DAY;
        // (--since, --until, [since, until) in ms or an error)
        let cases: [(&str, Option<&str>, Option<Range>); 7] = [
            // Default until: the end of today.
            ("7d", None, Some((JAN_1 + 3 * day, JAN_1 + 10 * day))),
            (
                "2w",
                Some("2026-01-08"),
                Some((JAN_1 - 7 * day, JAN_1 + 7 * day)),
            ),
            (
                "2026-01-01",
                Some("2026-01-08"),
                Some((JAN_1, JAN_1 + 7 * day)),
            ),
            (
                "2026-01-01",
                Some("2026-01-02T12:00:00Z"),
                Some((JAN_1, JAN_1 + day + 12 * 3_600_000)),
            ),
            ("soon", None, None),
            ("30d", Some("tomorrow"), None),
            // Empty: since is not before until.
            ("2026-01-08", Some("2026-01-08"), None),
        ];
        for (since, until, want) in cases {
            let got = Period::parse(since, until, now())
                .ok()
                .map(|p| (p.since, p.until));
            assert_eq!(got, want, "--since {since} --until {until:?}");
        }
        let err = Period::parse("soon", None, now()).unwrap_err().to_string();
        assert!(err.contains("`--since soon`"), "{err}");
    }

    #[test]
    fn previous_period_and_days() {
        let p = Period::last_days(7, now());
        assert_eq!(p.until, JAN_1 + 10 * MS_PER_DAY);
        assert_eq!(
            p.previous(),
            Period {
                since: p.since - 7 * MS_PER_DAY,
                until: p.since
            }
        );
        let info = PeriodInfo::from(p);
        assert_eq!(
            (info.first_day.as_str(), info.last_day.as_str(), info.days),
            ("2026-01-04", "2026-01-10", 7)
        );
        // A period that starts mid-day touches the day it starts in.
        let info = PeriodInfo::from(Period {
            since: JAN_1 + 3_600_000,
            until: JAN_1 + MS_PER_DAY + 1,
        });
        assert_eq!(info.days, 2);
    }
}
