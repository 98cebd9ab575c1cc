//! Coupa's rate limit: a leaky bucket (25 requests/second, burst 20) answering 429 when full.
//! It drains continuously, or (with a phase) one whole request per tick of `1/rate` seconds at
//! ticks offset from the client's schedule, as a server's own clock would: a client pacing at
//! exactly the rate then still meets a full bucket now and then.

use std::time::{Duration, Instant};

/// A leaky bucket: each admitted request adds one unit; the level drains at `rate` per second;
/// a request that would take the level above `burst` is refused.
#[derive(Debug, Clone)]
pub(crate) struct LeakyBucket {
    rate: f64,
    burst: f64,
    level: f64,
    last: Instant,
    /// Discrete draining: the first tick this long after `start`, then one every `1/rate`.
    phase: Option<Duration>,
    start: Instant,
}

impl LeakyBucket {
    pub(crate) fn new(rate_per_second: f64, burst: u32, now: Instant) -> LeakyBucket {
        LeakyBucket {
            rate: rate_per_second.max(0.0),
            burst: f64::from(burst.max(1)),
            level: 0.0,
            last: now,
            phase: None,
            start: now,
        }
    }

    /// The same bucket draining one unit per tick, the first tick `phase` after `now`.
    pub(crate) fn with_phase(mut self, phase: Option<Duration>) -> LeakyBucket {
        self.phase = phase;
        self
    }

    /// Ticks of the discrete bucket up to and including `t`.
    fn ticks(&self, phase: Duration, t: Instant) -> f64 {
        let first = self.start + phase;
        if t < first {
            return 0.0;
        }
        ((t - first).as_secs_f64() * self.rate + 1e-9).floor() + 1.0
    }

    /// Admits a request arriving at `now`, or refuses it (a 429) without filling the bucket.
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        let drained = match self.phase {
            None => now.saturating_duration_since(self.last).as_secs_f64() * self.rate,
            Some(p) if now > self.last => self.ticks(p, now) - self.ticks(p, self.last),
            Some(_) => 0.0,
        };
        self.level = (self.level - drained).max(0.0);
        self.last = self.last.max(now);
        if self.level + 1.0 > self.burst + 1e-9 {
            return false;
        }
        self.level += 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_is_admitted_then_refused_until_it_drains() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(10.0, 3, t0);
        assert!(b.admit(t0));
        assert!(b.admit(t0));
        assert!(b.admit(t0));
        assert!(!b.admit(t0));
        // 100 ms at 10/s drains exactly one unit.
        assert!(b.admit(t0 + Duration::from_millis(100)));
        assert!(!b.admit(t0 + Duration::from_millis(100)));
        // After a long pause the whole burst is available again.
        let later = t0 + Duration::from_secs(10);
        assert!((0..3).all(|_| b.admit(later)));
        assert!(!b.admit(later));
    }

    #[test]
    fn a_phased_bucket_drains_whole_requests_at_its_ticks() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // 25/s: a tick every 40 ms, the first 30 ms in.
        let mut b = LeakyBucket::new(25.0, 2, t0).with_phase(Some(ms(30)));
        assert!(b.admit(t0) && b.admit(t0));
        assert!(!b.admit(t0 + ms(29)), "no tick yet");
        assert!(b.admit(t0 + ms(30)), "the first tick drained one");
        assert!(!b.admit(t0 + ms(69)));
        assert!(b.admit(t0 + ms(70)));
        // A client pacing at exactly 40 ms, 10 ms before each tick, after filling the bucket,
        // is refused; the same client 2% slower soon is not.
        let mut b = LeakyBucket::new(25.0, 20, t0).with_phase(Some(ms(30)));
        assert!((0..20).all(|_| b.admit(t0)));
        let refused = (1..=50u64)
            .filter(|i| !b.admit(t0 + ms(40 * i - 20)))
            .count();
        assert!(refused > 0);
        let mut b = LeakyBucket::new(25.0, 20, t0).with_phase(Some(ms(30)));
        assert!((0..18).all(|_| b.admit(t0)));
        let refused = (1..=500u64)
            .filter(|i| !b.admit(t0 + Duration::from_micros(40_800 * i)))
            .count();
        assert_eq!(refused, 0);
    }

    #[test]
    fn steady_rate_at_the_limit_is_never_refused() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(25.0, 20, t0);
        for i in 0..1000u64 {
            assert!(b.admit(t0 + Duration::from_millis(40 * i)), "request {i}");
        }
    }
}
