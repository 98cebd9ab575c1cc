//! How long to wait before retrying: exponential backoff, and a server's `Retry-After` read
//! with a range (Coupa may not send it; a proxy may send anything).

use std::time::{Duration, SystemTime};

/// The longest `Retry-After` honoured: a server asking for more is asking for too much.
pub(crate) const RETRY_AFTER_CAP: Duration = Duration::from_secs(120);

/// Exponential backoff: `base * 2^attempt`, capped at `max`, times `jitter` (clamped to
/// [0.5, 1]) so concurrent readers do not retry in lockstep.
/// Sleeps the jittered backoff for `attempt` under `opts`: the pause before looking again at (or
/// resending) a write whose outcome was unknown.
pub(crate) async fn pause(attempt: u32, opts: &crate::ClientOptions) {
    tokio::time::sleep(backoff(
        attempt,
        opts.base_backoff,
        opts.max_backoff,
        jitter(),
    ))
    .await;
}

pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.5, 1.0)
    } else {
        1.0
    };
    // In integer nanoseconds: exact, and no float rounding above what a Duration holds.
    let micro_parts = (jitter * 1_000_000.0) as u128;
    let nanos = exp.min(max).as_nanos() * micro_parts / 1_000_000;
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (nanos % 1_000_000_000) as u32)
}

/// A random backoff factor for [`backoff`].
pub(crate) fn jitter() -> f64 {
    use rand::Rng;
    rand::thread_rng().gen_range(0.5..=1.0)
}

/// `Retry-After` as a wait: delta-seconds (fractions accepted) or an HTTP date relative to
/// `now` (a date in the past is no wait), at most [`RETRY_AFTER_CAP`]. Anything else is `None`:
/// back off as if the header were absent.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for u64 is still "a very long time", which the cap answers.
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_CAP));
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = v.parse().ok()?;
        let capped = secs.min(RETRY_AFTER_CAP.as_secs_f64());
        return (capped.is_finite() && capped >= 0.0).then(|| Duration::from_secs_f64(capped));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(RETRY_AFTER_CAP),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 0..10 {
            let full = (base * 2u32.pow(attempt)).min(max);
            assert_eq!(backoff(attempt, base, max, 1.0), full);
            assert_eq!(backoff(attempt, base, max, 0.5), full / 2);
            assert_eq!(backoff(attempt, base, max, 7.0), full, "jitter is clamped");
            assert_eq!(backoff(attempt, base, max, f64::NAN), full);
        }
        // Huge settings never panic.
        assert!(backoff(u32::MAX, Duration::MAX, Duration::MAX, 1.0) > Duration::from_secs(1));
        let j = jitter();
        assert!((0.5..=1.0).contains(&j), "{j}");
    }

    #[test]
    fn retry_after_table() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        let cases: &[(&str, Option<Duration>)] = &[
            ("3", Some(Duration::from_secs(3))),
            (" 3 ", Some(Duration::from_secs(3))),
            ("0", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            ("3600", Some(RETRY_AFTER_CAP)),
            ("18446744073709551616", Some(RETRY_AFTER_CAP)),
            ("1e400", None),
            ("-1", None),
            ("NaN", None),
            ("inf", None),
            ("1.2.3", None),
            ("", None),
            ("soon", None),
            // 10 s after `now` (Wed, 21 Oct 2015 07:27:50 GMT).
            (
                "Wed, 21 Oct 2015 07:28:00 GMT",
                Some(Duration::from_secs(10)),
            ),
            ("Wed, 21 Oct 2015 07:00:00 GMT", Some(Duration::ZERO)),
            ("Wed, 21 Oct 2099 07:28:00 GMT", Some(RETRY_AFTER_CAP)),
            ("Wed, 99 Oct 2015 07:28:00 GMT", None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_retry_after(v, now), *want, "{v:?}");
        }
    }
}
