//! Injected server errors: the first N requests, then a seeded random fraction.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::Faults;

/// Decides, request by request, whether to answer with an injected error.
#[derive(Debug)]
pub struct FaultState {
    fail_first_left: u32,
    error_rate: f64,
    rng: SmallRng,
}

impl FaultState {
    pub fn new(faults: &Faults) -> FaultState {
        FaultState {
            fail_first_left: faults.fail_first,
            error_rate: faults.error_rate.clamp(0.0, 1.0),
            rng: SmallRng::seed_from_u64(faults.seed),
        }
    }

    /// True when this request gets the injected error. The same seed gives the same sequence.
    pub fn should_fail(&mut self) -> bool {
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
}
