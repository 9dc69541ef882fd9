//! Dates and times, parsed with the `time` crate and compared in UTC: the snapshot's
//! `collected_at` (and the other RFC 3339 times plaudit reads and writes) and a waiver's
//! `expires`. The rules are in `docs/contracts-dates.md`.
//!
//! Strict: a time needs a date, a time of day with seconds, and an offset (`Z` or `±hh:mm`), which
//! is honoured; fractional seconds are kept. Nothing is guessed from a part of the text.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::format_description::{modifier, BorrowedFormatItem, Component};
use time::{Date, OffsetDateTime, UtcOffset};

/// An instant (always held in UTC).
pub type Timestamp = OffsetDateTime;

/// `YYYY-MM-DD`, the only date-only form.
const CALENDAR_DATE: &[BorrowedFormatItem<'static>] = &[
    BorrowedFormatItem::Component(Component::CalendarYearFullStandardRange(
        modifier::CalendarYearFullStandardRange::default(),
    )),
    BorrowedFormatItem::StringLiteral("-"),
    BorrowedFormatItem::Component(Component::MonthNumerical(
        modifier::MonthNumerical::default(),
    )),
    BorrowedFormatItem::StringLiteral("-"),
    BorrowedFormatItem::Component(Component::Day(modifier::Day::default())),
];

/// Why a date or time was refused. The caller names the file and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("is empty (expected {expected})")]
    Empty { expected: &'static str },
    #[error("`{value}` is not {expected}: {reason}")]
    Invalid {
        value: String,
        expected: &'static str,
        reason: String,
    },
}

const TIME_EXPECTED: &str =
    "an RFC 3339 time with an offset, such as 2026-11-30T06:00:00Z or 2026-11-30T08:00:00+02:00";
const EXPIRY_EXPECTED: &str =
    "a date (YYYY-MM-DD) or an RFC 3339 time with an offset, such as 2027-01-31 or 2027-01-31T18:00:00+01:00";

fn invalid(value: &str, expected: &'static str, reason: impl ToString) -> DateError {
    DateError::Invalid {
        value: value.to_string(),
        expected,
        reason: reason.to_string(),
    }
}

fn parse_time_as(s: &str, expected: &'static str) -> Result<Timestamp, DateError> {
    if s.trim().is_empty() {
        return Err(DateError::Empty { expected });
    }
    // RFC 3339 separates date and time with `T` (a space is allowed as a readable variant); the
    // parser takes any byte there, this contract does not.
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ') | None) {
        return Err(invalid(
            s,
            expected,
            "the date and the time must be separated by `T`",
        ));
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|e| invalid(s, expected, e))
}

/// An RFC 3339 time with its offset honoured (`2026-11-30T06:00:00Z`,
/// `2026-11-30T08:00:00.250+02:00`), as an instant in UTC.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, DateError> {
    parse_time_as(s, TIME_EXPECTED)
}

/// A waiver's `expires`: the first instant at which the waiver no longer applies. A date
/// (`2027-01-31`) is inclusive: the waiver holds to the end of that day in UTC, so it ends at
/// the next midnight UTC. An RFC 3339 time ends it at that instant.
pub fn parse_expiry(s: &str) -> Result<Timestamp, DateError> {
    if s.len() == 10 {
        let day = Date::parse(s, CALENDAR_DATE).map_err(|e| invalid(s, EXPIRY_EXPECTED, e))?;
        let next = day
            .next_day()
            .ok_or_else(|| invalid(s, EXPIRY_EXPECTED, "the date is out of range"))?;
        return Ok(next.midnight().assume_utc());
    }
    parse_time_as(s, EXPIRY_EXPECTED)
}

/// The current time as RFC 3339 (UTC, seconds).
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 (UTC, whole seconds).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        ymd(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Seconds since the epoch of an RFC 3339 time (fractions dropped); `None` for anything else,
/// or a time before 1970.
pub fn parse_rfc3339_secs(s: &str) -> Option<u64> {
    u64::try_from(parse_timestamp(s).ok()?.unix_timestamp()).ok()
}

/// The `SystemTime` of an RFC 3339 time (fractions kept).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let t = parse_timestamp(s).ok()?;
    let nanos = u64::try_from(t.unix_timestamp_nanos()).ok()?;
    Some(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// Milliseconds since the epoch of an RFC 3339 time; `None` for anything else.
pub fn epoch_millis(s: &str) -> Option<i64> {
    let t = parse_timestamp(s).ok()?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// Formats a day number (days since 1970-01-01) as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let day = OffsetDateTime::UNIX_EPOCH
        .checked_add(time::Duration::days(days))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date();
    ymd(day)
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        let t = parse_timestamp(s).unwrap();
        format!(
            "{}T{:02}:{:02}:{:02}.{:03}Z",
            ymd(t.date()),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }

    #[test]
    fn times_honour_their_offsets() {
        assert_eq!(utc("2026-11-30T06:00:00Z"), "2026-11-30T06:00:00.000Z");
        assert_eq!(utc("2026-11-30t06:00:00z"), "2026-11-30T06:00:00.000Z");
        assert_eq!(utc("2026-11-30 06:00:00Z"), "2026-11-30T06:00:00.000Z");
        assert_eq!(utc("2026-11-30T08:00:00+02:00"), "2026-11-30T06:00:00.000Z");
        assert_eq!(utc("2026-11-30T05:30:00-00:30"), "2026-11-30T06:00:00.000Z");
        // Across midnight both ways: the offset moves the day.
        assert_eq!(utc("2026-12-01T01:30:00+02:00"), "2026-11-30T23:30:00.000Z");
        assert_eq!(utc("2026-11-30T22:00:00-05:00"), "2026-12-01T03:00:00.000Z");
        // Fractional seconds are kept, to any number of digits.
        assert_eq!(utc("2026-11-30T06:00:00.25Z"), "2026-11-30T06:00:00.250Z");
        assert_eq!(
            utc("2026-11-30T06:00:00.123456789+00:00"),
            "2026-11-30T06:00:00.123Z"
        );
        let z = parse_rfc3339_secs("2026-11-30T06:00:00Z").unwrap();
        assert_eq!(parse_rfc3339_secs("2026-11-30T06:00:00.999Z"), Some(z));
        assert_eq!(parse_rfc3339_secs("2026-11-30T08:00:00+02:00"), Some(z));
        assert_eq!(
            epoch_millis("1970-01-01T00:00:01.5Z"),
            Some(1500),
            "milliseconds"
        );
        assert_eq!(
            rfc3339(parse_rfc3339("2026-11-30T06:00:00Z").unwrap()),
            "2026-11-30T06:00:00Z"
        );
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00.5Z"),
            Some(UNIX_EPOCH + Duration::from_millis(500))
        );
    }

    #[test]
    fn times_without_an_offset_or_outside_the_calendar_are_refused() {
        for bad in [
            "",
            "  ",
            "yesterday",
            "2026-11-30",
            "2026-11-30T06:00:00",
            "2026-11-30T06:00Z",
            "2026-11-30T06:00:00.Z",
            "2026-11-30T06:00:00+0200",
            "2026-11-30T06:00:00+02",
            "2026-11-30X06:00:00Z",
            "2026-11-30T25:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-30T06:00:00Z trailing",
            "30/11/2026 06:00:00Z",
        ] {
            let e = parse_timestamp(bad).unwrap_err();
            assert!(e.to_string().contains("RFC 3339"), "{bad}: {e}");
            assert_eq!(parse_rfc3339_secs(bad), None, "{bad}");
            assert_eq!(epoch_millis(bad), None, "{bad}");
        }
        assert!(matches!(parse_timestamp(""), Err(DateError::Empty { .. })));
        let e = parse_timestamp("2026-02-30T00:00:00Z").unwrap_err();
        assert!(e.to_string().contains("`2026-02-30T00:00:00Z`"), "{e}");
    }

    #[test]
    fn a_date_expiry_lasts_to_the_end_of_that_day_in_utc() {
        let end = parse_expiry("2027-01-31").unwrap();
        assert_eq!(end, parse_timestamp("2027-02-01T00:00:00Z").unwrap());
        // Leap years come from the calendar.
        assert_eq!(
            parse_expiry("2028-02-29").unwrap(),
            parse_timestamp("2028-03-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            parse_expiry("2026-12-31").unwrap(),
            parse_timestamp("2027-01-01T00:00:00Z").unwrap()
        );
    }

    #[test]
    fn a_time_expiry_ends_at_that_instant() {
        assert_eq!(
            parse_expiry("2027-01-31T18:00:00+01:00").unwrap(),
            parse_timestamp("2027-01-31T17:00:00Z").unwrap()
        );
        assert_eq!(
            parse_expiry("2027-01-31T00:30:00.5+02:00").unwrap(),
            parse_timestamp("2027-01-30T22:30:00.5Z").unwrap()
        );
    }

    #[test]
    fn bad_expiries_are_refused_with_the_value() {
        for bad in [
            "",
            "yesterday",
            "soon",
            "2026-13-01",
            "2026-02-30",
            "2027-02-29",
            "2026-00-10",
            "2026-1-31",
            "31/01/2027",
            "2027-01-31T12:00:00",
            "2027-01-31 ",
            "+2026-01-31",
            "20270131",
        ] {
            let e = parse_expiry(bad).unwrap_err();
            assert!(e.to_string().contains("YYYY-MM-DD"), "{bad}: {e}");
            if !bad.is_empty() {
                assert!(e.to_string().contains(&format!("`{bad}`")), "{bad}: {e}");
            }
        }
    }

    #[test]
    fn day_numbers_format_as_dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(20_787), "2026-11-30");
        assert_eq!(format_date(-1), "1969-12-31");
    }
}
