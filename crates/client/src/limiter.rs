//! One client-side token bucket shared by every request (Coupa allows 25 requests/s, burst 20).
//! A 429 pauses the whole bucket, so concurrent readers back off together instead of each
//! running into Coupa's limit again.

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
    paused_until: Option<Instant>,
}

/// What a caller must do before sending.
#[derive(Debug, PartialEq)]
enum Turn {
    /// A token is reserved; send after this wait.
    Go(Duration),
    /// The bucket is paused after a 429; ask again after this wait.
    Paused(Duration),
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
                paused_until: None,
            }),
        }
    }

    fn turn(&self) -> Turn {
        let mut b = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(until) = b.paused_until {
            if until > now {
                return Turn::Paused(until - now);
            }
            b.paused_until = None;
        }
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.last = b.last.max(now);
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Turn::Go(Duration::ZERO)
        } else {
            Turn::Go(Duration::from_secs_f64(-b.tokens / self.per_second))
        }
    }

    /// Waits until this caller may send one request.
    pub(crate) async fn acquire(&self) {
        loop {
            match self.turn() {
                Turn::Go(wait) => {
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return;
                }
                Turn::Paused(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Coupa answered 429: nobody sends for `d`, and the bucket restarts empty (Coupa's own
    /// bucket is full, so no burst afterwards).
    pub(crate) fn pause(&self, d: Duration) {
        let mut b = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let until = Instant::now() + d;
        let until = b.paused_until.map_or(until, |u| u.max(until));
        b.paused_until = Some(until);
        b.tokens = b.tokens.min(0.0);
        b.last = b.last.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(t: Turn) -> f64 {
        match t {
            Turn::Go(d) => d.as_secs_f64(),
            Turn::Paused(d) => panic!("paused for {d:?}"),
        }
    }

    #[test]
    fn burst_is_free_then_callers_wait_their_turn() {
        let l = RateLimiter::new(20, 25.0);
        for _ in 0..20 {
            assert_eq!(l.turn(), Turn::Go(Duration::ZERO));
        }
        // The 21st and 22nd wait about one and two refill intervals (40 ms at 25/s).
        let w1 = go(l.turn());
        let w2 = go(l.turn());
        assert!((0.03..=0.041).contains(&w1), "{w1}");
        assert!((0.07..=0.081).contains(&w2), "{w2}");
    }

    #[test]
    fn a_pause_stops_everyone_and_restarts_without_burst() {
        let l = RateLimiter::new(20, 25.0);
        l.pause(Duration::from_secs(10));
        match l.turn() {
            Turn::Paused(d) => assert!(d > Duration::from_secs(9), "{d:?}"),
            t => panic!("{t:?}"),
        }
        // A shorter pause does not shorten a longer one.
        l.pause(Duration::from_millis(1));
        assert!(matches!(l.turn(), Turn::Paused(d) if d > Duration::from_secs(9)));
    }

    #[test]
    fn after_a_pause_the_bucket_starts_empty() {
        let l = RateLimiter::new(20, 25.0);
        l.pause(Duration::ZERO);
        // The first caller after the pause waits for a refill instead of bursting.
        let w = go(l.turn());
        assert!(w > 0.03, "{w}");
    }
}
