//! Progress for logs without a terminal: a line about every interval while Coupa is read, so a
//! long CI job shows it is alive. The clock is passed in, so the timing is tested without waits.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How often a progress line is printed when stderr is not a terminal.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Counts per resource and when the last line was printed.
#[derive(Debug)]
pub struct Heartbeat {
    interval: Duration,
    start: Instant,
    last: Instant,
    counts: BTreeMap<&'static str, u64>,
}

impl Heartbeat {
    /// Starts counting at `start`, a line at most every `interval`.
    pub fn new(start: Instant, interval: Duration) -> Self {
        Heartbeat {
            interval,
            start,
            last: start,
            counts: BTreeMap::new(),
        }
    }

    /// Records `fetched` records of `resource` so far; returns the line to print when one is
    /// due at `now`.
    pub fn record(&mut self, resource: &'static str, fetched: u64, now: Instant) -> Option<String> {
        self.counts.insert(resource, fetched);
        if now.saturating_duration_since(self.last) < self.interval {
            return None;
        }
        self.last = now;
        Some(self.line(now))
    }

    /// `reading Coupa: 12000 users, 40 groups (1200 records/s, 10s elapsed)`.
    fn line(&self, now: Instant) -> String {
        let elapsed = now.saturating_duration_since(self.start);
        let total: u64 = self.counts.values().sum();
        let rate = total as f64 / elapsed.as_secs_f64().max(0.001);
        let counts = self
            .counts
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "reading Coupa: {counts} ({rate:.0} records/s, {}s elapsed)",
            elapsed.as_secs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_due_once_per_interval_with_counts_rate_and_elapsed() {
        let t0 = Instant::now();
        let mut h = Heartbeat::new(t0, INTERVAL);
        assert_eq!(h.record("users", 500, t0 + Duration::from_secs(3)), None);
        assert_eq!(h.record("users", 1_000, t0 + Duration::from_secs(9)), None);
        assert_eq!(
            h.record("users", 2_000, t0 + Duration::from_secs(10))
                .as_deref(),
            Some("reading Coupa: 2000 users (200 records/s, 10s elapsed)")
        );
        // Not again until another interval has passed since that line.
        assert_eq!(h.record("groups", 40, t0 + Duration::from_secs(19)), None);
        assert_eq!(
            h.record("groups", 40, t0 + Duration::from_secs(20))
                .as_deref(),
            Some("reading Coupa: 40 groups, 2000 users (102 records/s, 20s elapsed)")
        );
    }
}
