//! Coupa's rate limit: a leaky bucket (25 requests/second, burst 20) answering 429 when full.

use std::time::Instant;

/// A leaky bucket: each admitted request adds one unit; the level drains at `rate` per second;
/// a request that would take the level above `burst` is refused.
#[derive(Debug, Clone)]
pub struct LeakyBucket {
    rate: f64,
    burst: f64,
    level: f64,
    last: Instant,
}

impl LeakyBucket {
    pub fn new(rate_per_second: f64, burst: u32, now: Instant) -> LeakyBucket {
        LeakyBucket {
            rate: rate_per_second.max(0.0),
            burst: f64::from(burst.max(1)),
            level: 0.0,
            last: now,
        }
    }

    /// Admits a request arriving at `now`, or refuses it (a 429) without filling the bucket.
    pub fn admit(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.level = (self.level - elapsed * self.rate).max(0.0);
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
    fn steady_rate_at_the_limit_is_never_refused() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(25.0, 20, t0);
        for i in 0..1000u64 {
            assert!(b.admit(t0 + Duration::from_millis(40 * i)), "request {i}");
        }
    }
}
