//! `--since DATE`: a day (`YYYY-MM-DD`, midnight UTC) or an RFC 3339 instant, range-checked.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Why a `--since` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinceError {
    #[error(
        "`{0}` is not a date: write YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T09:00:00Z"
    )]
    Unreadable(String),
    #[error("`{0}` is out of range: give a date from 1990-01-01 up to today")]
    OutOfRange(String),
}

/// Parses `text` as a day or an instant no earlier than 1990 and no later than a day after `now`
/// (a date in the future would silently list nothing).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<FixedOffset>, SinceError> {
    let t = text.trim();
    let at = if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let midnight = day
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| SinceError::Unreadable(t.into()))?;
        Utc.from_utc_datetime(&midnight).fixed_offset()
    } else {
        DateTime::parse_from_rfc3339(t).map_err(|_| SinceError::Unreadable(t.into()))?
    };
    let earliest = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).single();
    let latest = now.checked_add_signed(chrono::TimeDelta::days(1));
    match (earliest, latest) {
        (Some(e), Some(l)) if at >= e && at <= l => Ok(at),
        _ => Err(SinceError::OutOfRange(t.into())),
    }
}

/// A Coupa timestamp (ISO-8601 with offset), if readable.
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn days_and_instants_in_range() {
        let d = parse_since("2026-01-31", now()).unwrap();
        assert_eq!(d.to_rfc3339(), "2026-01-31T00:00:00+00:00");
        let i = parse_since("2026-02-01T09:30:00+02:00", now()).unwrap();
        assert_eq!(i.to_rfc3339(), "2026-02-01T09:30:00+02:00");
        assert!(matches!(
            parse_since("2026-02-30", now()),
            Err(SinceError::Unreadable(_))
        ));
        assert!(matches!(
            parse_since("yesterday", now()),
            Err(SinceError::Unreadable(_))
        ));
        assert!(matches!(
            parse_since("1989-12-31", now()),
            Err(SinceError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_since("2026-03-03", now()),
            Err(SinceError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_since("+275760-09-13", now()),
            Err(SinceError::Unreadable(_))
        ));
        assert!(parse_timestamp("2026-01-05T10:00:00+00:00").is_some());
        assert!(parse_timestamp("soon").is_none());
    }
}
