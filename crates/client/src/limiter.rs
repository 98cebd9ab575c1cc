//! One client-side token bucket shared by every request (Coupa allows 25 requests/s, burst 20).
//! A 429 pauses the whole bucket, so concurrent readers back off together instead of each
//! running into Coupa's limit again.
//!
//! It avoids 429s rather than recovering from them: Coupa's leaky bucket keeps its own clock,
//! so a client pacing at exactly the limit meets a full bucket whenever its requests arrive a
//! little early (network jitter, a bucket draining in steps at another phase), and without
//! `Retry-After` each 429 costs a backoff for every request in flight. So the bucket keeps a
//! small margin under the configured limit ([`RATE_MARGIN`], [`BURST_MARGIN`]) and adapts:
//! a 429 lowers the pace multiplicatively, and it climbs back additively to the margin
//! (AIMD, as TCP does).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The pace kept under the configured rate: 3% (24.25/s of Coupa's 25).
pub(crate) const RATE_MARGIN: f64 = 0.03;
/// The part of the configured burst left unused (2 of Coupa's 20), so early arrivals find room.
pub(crate) const BURST_MARGIN: f64 = 0.1;
/// A 429 multiplies the pace by this.
const DECREASE: f64 = 0.8;
/// The pace never drops below this fraction of the ceiling.
const LOWEST: f64 = 0.25;
/// After a decrease the pace climbs back by this fraction of the ceiling per second.
const RECOVERY_PER_SECOND: f64 = 0.05;
/// 429s answered to requests sent together count as one decrease.
const DECREASE_HOLD: Duration = Duration::from_secs(1);

/// A token bucket. Each caller reserves one token; when the bucket is empty the reservation
/// goes into debt and the caller sleeps until its token would have refilled, which keeps
/// callers in arrival order without a queue.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    burst: f64,
    /// The highest pace: the configured rate less [`RATE_MARGIN`].
    ceiling: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
    /// The pace now, requests per second (the ceiling unless a 429 lowered it).
    rate: f64,
    /// When the pace was last lowered.
    lowered_at: Option<Instant>,
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
        RateLimiter::with_margins(burst, per_second, RATE_MARGIN, BURST_MARGIN)
    }

    /// A limiter keeping these margins under the configured limit (tests compare against none).
    fn with_margins(
        burst: u32,
        per_second: f64,
        rate_margin: f64,
        burst_margin: f64,
    ) -> RateLimiter {
        let burst = f64::from(burst.max(1));
        let burst = (burst - (burst * burst_margin).floor()).max(1.0);
        let per_second = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            1.0
        };
        let ceiling = per_second * (1.0 - rate_margin);
        RateLimiter {
            burst,
            ceiling,
            state: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
                paused_until: None,
                rate: ceiling,
                lowered_at: None,
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
        // Refill at the pace of the interval, then climb back towards the ceiling.
        b.tokens = (b.tokens + elapsed * b.rate).min(self.burst);
        b.rate = (b.rate + elapsed * RECOVERY_PER_SECOND * self.ceiling).min(self.ceiling);
        b.last = b.last.max(now);
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Turn::Go(Duration::ZERO)
        } else {
            Turn::Go(Duration::from_secs_f64(-b.tokens / b.rate))
        }
    }

    /// The pace now, requests per second.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).rate
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

    /// Coupa answered 429: nobody sends for `d`, the bucket restarts empty (Coupa's own
    /// bucket is full, so no burst afterwards), and the pace drops (once for 429s answered to
    /// requests sent together).
    pub(crate) fn pause(&self, d: Duration) {
        let mut b = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if b.lowered_at
            .is_none_or(|at| now.saturating_duration_since(at) >= DECREASE_HOLD)
        {
            b.rate = (b.rate * DECREASE).max(self.ceiling * LOWEST);
            b.lowered_at = Some(now);
        }
        let until = now + d;
        let until = b.paused_until.map_or(until, |u| u.max(until));
        b.paused_until = Some(until);
        b.tokens = b.tokens.min(0.0);
        b.last = b.last.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn go(t: Turn) -> f64 {
        match t {
            Turn::Go(d) => d.as_secs_f64(),
            Turn::Paused(d) => panic!("paused for {d:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn burst_is_free_then_callers_wait_their_turn_a_little_under_the_limit() {
        let l = RateLimiter::new(20, 25.0);
        // 18 of Coupa's 20 go at once.
        for _ in 0..18 {
            assert_eq!(l.turn(), Turn::Go(Duration::ZERO));
        }
        // The next two wait about one and two refill intervals: 41.2 ms at 24.25/s.
        let w1 = go(l.turn());
        let w2 = go(l.turn());
        assert!((0.041..=0.042).contains(&w1), "{w1}");
        assert!((0.082..=0.083).contains(&w2), "{w2}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_lowers_the_pace_once_per_volley_and_it_climbs_back() {
        let l = RateLimiter::new(20, 25.0);
        let ceiling = 25.0 * (1.0 - RATE_MARGIN);
        l.pause(Duration::ZERO);
        l.pause(Duration::ZERO);
        assert!((l.rate() - ceiling * DECREASE).abs() < 1e-9, "{}", l.rate());
        tokio::time::advance(DECREASE_HOLD).await;
        l.pause(Duration::ZERO);
        assert!((l.rate() - ceiling * DECREASE * DECREASE).abs() < 1e-9);
        // Never below the lowest pace, however many 429s.
        for _ in 0..50 {
            tokio::time::advance(DECREASE_HOLD).await;
            l.pause(Duration::ZERO);
        }
        assert!((l.rate() - ceiling * LOWEST).abs() < 1e-9);
        // Climbing back: 5% of the ceiling per second, up to the ceiling and no further.
        tokio::time::advance(Duration::from_secs(5)).await;
        let _ = l.turn();
        assert!(
            (l.rate() - ceiling * (LOWEST + 0.25)).abs() < 1e-6,
            "{}",
            l.rate()
        );
        tokio::time::advance(Duration::from_secs(60)).await;
        let _ = l.turn();
        assert!((l.rate() - ceiling).abs() < 1e-9);
    }

    /// A server's leaky bucket draining one request per tick at a phase of its own (as the
    /// sandbox's `bucket_phase` does), against clients sending through this limiter, on the
    /// paused clock: requests arrive after a latency with up to 10 ms of seeded jitter, and the
    /// server's clock runs 1% slow. Returns the 429s answered and the wall time.
    async fn simulate(limiter: Arc<RateLimiter>, requests: usize, phase_ms: u64) -> (usize, f64) {
        use rand::{Rng, SeedableRng};
        let start = Instant::now();
        let server = Arc::new(Mutex::new((0.0f64, start, 0usize)));
        // A server clock 1% slow: its 25/s drains 24.75 a second of the client's.
        let rate = 24.75;
        let burst = 20.0;
        let ticks = move |t: Instant| -> f64 {
            let first = start + Duration::from_millis(phase_ms);
            if t < first {
                0.0
            } else {
                ((t - first).as_secs_f64() * rate + 1e-9).floor() + 1.0
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        let rng = Arc::new(Mutex::new(rand::rngs::SmallRng::seed_from_u64(phase_ms)));
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // 24 requests in flight at most: enough to spend the whole burst at once.
        for _ in 0..24 {
            let (l, server, rng, next) =
                (limiter.clone(), server.clone(), rng.clone(), next.clone());
            tasks.spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                    loop {
                        l.acquire().await;
                        let jitter = rng.lock().unwrap().gen_range(0..10_000u64);
                        tokio::time::sleep(Duration::from_micros(50_000 + jitter)).await;
                        let admitted = {
                            let mut s = server.lock().unwrap();
                            let now = Instant::now();
                            let drained = ticks(now) - ticks(s.1);
                            s.0 = (s.0 - drained).max(0.0);
                            s.1 = s.1.max(now);
                            if s.0 + 1.0 > burst + 1e-9 {
                                s.2 += 1;
                                false
                            } else {
                                s.0 += 1.0;
                                true
                            }
                        };
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        if admitted {
                            break;
                        }
                        // No Retry-After: the client's own backoff (first retry, 250-500 ms).
                        l.pause(Duration::from_millis(400));
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let refused = server.lock().unwrap().2;
        (refused, start.elapsed().as_secs_f64())
    }

    #[tokio::test(start_paused = true)]
    async fn the_margin_avoids_the_429s_exact_pacing_draws_from_a_bucket_at_another_phase() {
        let mut exact_refused = 0;
        for phase in 0..40 {
            let exact = Arc::new(RateLimiter::with_margins(20, 25.0, 0.0, 0.0));
            exact_refused += simulate(exact, 300, phase).await.0;
            let (refused, wall) = simulate(Arc::new(RateLimiter::new(20, 25.0)), 300, phase).await;
            assert_eq!(refused, 0, "phase {phase} ms: answers of 429");
            // Within 5% of the floor: (300 - 20) requests at 25/s, plus one latency.
            let floor = 280.0 / 25.0;
            assert!(wall >= floor, "{wall}");
            assert!(
                wall <= floor * 1.05 + 0.1,
                "phase {phase}: {wall:.2}s vs {floor:.2}s"
            );
        }
        assert!(
            exact_refused >= 3,
            "exact pacing drew {exact_refused} answers of 429"
        );
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
