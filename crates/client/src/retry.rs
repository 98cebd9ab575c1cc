//! When and how long to wait before retrying.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Exponential backoff with jitter: `base * 2^attempt`, capped at `max`, then a random
/// fraction between half and all of it so concurrent readers do not retry in lockstep.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let capped = exp.min(max);
    let factor = rand::thread_rng().gen_range(0.5..=1.0);
    capped.mul_f64(factor)
}

/// `Retry-After` in seconds, when present and numeric (Coupa may not send it).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// How long to wait after a 429: the server's `Retry-After` when given (capped at `max`,
/// so a huge value cannot stall a run), else backoff.
pub(crate) fn after_429(
    headers: &HeaderMap,
    attempt: u32,
    base: Duration,
    max: Duration,
) -> Duration {
    match retry_after(headers) {
        Some(d) => d.min(max),
        None => backoff(attempt, base, max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 0..10 {
            let d = backoff(attempt, base, max);
            let full = (base * 2u32.pow(attempt)).min(max);
            assert!(d <= full && d >= full / 2, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        assert_eq!(
            after_429(&h, 0, Duration::from_millis(1), Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
