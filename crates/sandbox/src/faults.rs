//! Injected server errors: the first N requests, then a seeded random fraction; a fraction of
//! writes; and the update that follows a clear of the same user.

use std::collections::BTreeSet;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::Faults;

/// Decides, request by request, whether to answer with an injected error.
#[derive(Debug)]
pub(crate) struct FaultState {
    fail_first_left: u32,
    error_rate: f64,
    write_error_rate: f64,
    rng: SmallRng,
    fail_set_after_clear_left: u32,
    /// Users whose last update was a clear.
    cleared: BTreeSet<u64>,
}

impl FaultState {
    pub(crate) fn new(faults: &Faults) -> FaultState {
        FaultState {
            fail_first_left: faults.fail_first,
            error_rate: faults.error_rate.clamp(0.0, 1.0),
            write_error_rate: faults.write_error_rate.clamp(0.0, 1.0),
            rng: SmallRng::seed_from_u64(faults.seed),
            fail_set_after_clear_left: faults.fail_set_after_clear,
            cleared: BTreeSet::new(),
        }
    }

    /// Sets how many more updates after a clear fail.
    pub(crate) fn set_fail_set_after_clear(&mut self, n: u32) {
        self.fail_set_after_clear_left = n;
    }

    /// True when this write (a request that is not a GET) gets the injected error.
    pub(crate) fn should_fail_write(&mut self) -> bool {
        self.write_error_rate > 0.0 && self.rng.gen_bool(self.write_error_rate)
    }

    /// Called for every user update before it is applied: true when it must fail because it
    /// follows a clear of the same user (and `fail_set_after_clear` has some left). `clears`
    /// says whether this update is itself a clear.
    pub(crate) fn fails_after_clear(&mut self, user_id: u64, clears: bool) -> bool {
        let follows_clear = self.cleared.contains(&user_id);
        if follows_clear && !clears && self.fail_set_after_clear_left > 0 {
            self.fail_set_after_clear_left -= 1;
            return true;
        }
        if clears {
            self.cleared.insert(user_id);
        } else {
            self.cleared.remove(&user_id);
        }
        false
    }

    /// True when this request gets the injected error. The same seed gives the same sequence.
    pub(crate) fn should_fail(&mut self) -> bool {
        if self.fail_first_left > 0 {
            self.fail_first_left -= 1;
            return true;
        }
        self.error_rate > 0.0 && self.rng.gen_bool(self.error_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(f: &Faults, n: usize) -> Vec<bool> {
        let mut s = FaultState::new(f);
        (0..n).map(|_| s.should_fail()).collect()
    }

    #[test]
    fn fail_first_then_seeded_rate_reproduces() {
        let f = Faults {
            fail_first: 2,
            error_rate: 0.3,
            seed: 7,
            ..Faults::default()
        };
        let a = pattern(&f, 200);
        assert!(a[0] && a[1]);
        assert_eq!(a, pattern(&f, 200));
        let failures = a[2..].iter().filter(|&&x| x).count();
        assert!((30..90).contains(&failures), "{failures} of 198 at 30%");
        assert!(!pattern(&Faults::default(), 100).contains(&true));
    }

    #[test]
    fn the_update_after_a_clear_fails_n_times() {
        let mut s = FaultState::new(&Faults {
            fail_set_after_clear: 1,
            ..Faults::default()
        });
        assert!(!s.fails_after_clear(7, false), "no clear before");
        assert!(!s.fails_after_clear(7, true));
        assert!(!s.fails_after_clear(8, false), "another user");
        assert!(s.fails_after_clear(7, false), "the set after the clear");
        assert!(!s.fails_after_clear(7, false), "only once");
        assert!(!s.fails_after_clear(7, true));
        assert!(!s.fails_after_clear(7, false), "none left");
    }
}
