//! Calendar dates without a dependency: enough to compare waiver expiry dates with the day a
//! snapshot was collected.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 for a `YYYY-MM-DD` date (a longer RFC 3339 string is cut to its date).
pub fn parse_date(s: &str) -> Option<i64> {
    let d = s.get(..10)?;
    let mut parts = d.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if d.len() != 10 || !(1..=12).contains(&m) || day == 0 || day > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, day))
}

/// Today's day number from the system clock, for snapshots that do not say when they were taken.
pub fn today() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// The current time as RFC 3339 (UTC, seconds).
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 (UTC, seconds).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(days),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch of an RFC 3339 timestamp (`2026-11-30T06:00:00.123Z`,
/// `...+02:00`): the offset is honoured, fractions are dropped. `None` for anything else.
pub fn parse_rfc3339_secs(s: &str) -> Option<u64> {
    let days = parse_date(s)?;
    let rest = s.get(10..)?;
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
    let field = |r: &str, at: usize| -> Option<i64> {
        let f = r.get(at..at + 2)?;
        f.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| f.parse().ok())
            .flatten()
    };
    let (h, m, sec) = (field(rest, 0)?, field(rest, 3)?, field(rest, 6)?);
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut zone = rest.get(8..)?;
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &frac[digits..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let (oh, om) = (field(z, 1)?, field(z, 4)?);
            let o = oh * 3600 + om * 60;
            if z.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let total = days * 86_400 + h * 3600 + m * 60 + sec - offset;
    u64::try_from(total).ok()
}

/// The `SystemTime` of an RFC 3339 timestamp.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    parse_rfc3339_secs(s).map(|secs| UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Formats a day number as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps_honour_offsets_and_reject_nonsense() {
        let z = parse_rfc3339_secs("2026-11-30T06:00:00Z").unwrap();
        assert_eq!(parse_rfc3339_secs("2026-11-30T06:00:00.123Z"), Some(z));
        assert_eq!(parse_rfc3339_secs("2026-11-30T08:00:00+02:00"), Some(z));
        assert_eq!(parse_rfc3339_secs("2026-11-30T05:30:00-00:30"), Some(z));
        assert_eq!(
            rfc3339(parse_rfc3339("2026-11-30T06:00:00Z").unwrap()),
            "2026-11-30T06:00:00Z"
        );
        for bad in [
            "2026-11-30",
            "2026-11-30T06:00Z",
            "2026-11-30T25:00:00Z",
            "2026-11-30T06:00:00",
            "2026-11-30T06:00:00.Z",
            "t",
        ] {
            assert_eq!(parse_rfc3339_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_and_rejects_nonsense() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-30T04:29:07Z"), parse_date("2026-11-30"));
        assert_eq!(format_date(parse_date("2028-02-29").unwrap()), "2028-02-29");
        assert_eq!(parse_date("2027-02-29"), None);
        assert_eq!(parse_date("2027-13-01"), None);
        assert_eq!(parse_date("soon"), None);
        assert!(parse_date("2027-01-31").unwrap() > parse_date("2026-12-31").unwrap());
    }
}
