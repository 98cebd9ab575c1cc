//! One client-side token bucket shared by every request (Coupa allows 25 requests/s, burst 20).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket. Each caller reserves one token; when the bucket is empty the reservation
/// goes into debt and the caller sleeps until its token would have refilled, which keeps
/// callers in arrival order without a queue.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    burst: f64,
    per_second: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    pub(crate) fn new(burst: u32, per_second: f64) -> RateLimiter {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            burst,
            per_second: if per_second > 0.0 { per_second } else { 1.0 },
            state: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    /// How long the caller must wait for its token (zero when one is available); reserves it.
    fn reserve(&self) -> Duration {
        let mut b = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.last = now;
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / self.per_second)
        }
    }

    /// Waits until this caller may send one request.
    pub(crate) async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_free_then_callers_wait_their_turn() {
        let l = RateLimiter::new(20, 25.0);
        for _ in 0..20 {
            assert_eq!(l.reserve(), Duration::ZERO);
        }
        // The 21st and 22nd wait about one and two refill intervals (40 ms at 25/s).
        let w1 = l.reserve().as_secs_f64();
        let w2 = l.reserve().as_secs_f64();
        assert!((0.03..=0.041).contains(&w1), "{w1}");
        assert!((0.07..=0.081).contains(&w2), "{w2}");
    }
}
