//! The request state machine's rules: given what one attempt ended with, what happens next.
//! Pure — no I/O, no clock, no randomness (`now` and `jitter` are inputs) — so every rule is
//! table-tested here; `request` executes the decisions for reads, writes and token requests.

use std::time::{Duration, SystemTime};

use super::retry::{backoff, parse_retry_after};

/// How an attempt failed before an answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// The host name does not resolve.
    Dns,
    /// Nothing accepts connections at the address.
    Refused,
    /// The TLS handshake failed (not a TLS server, or a certificate problem).
    Tls,
    /// Any other failure to connect (unreachable network, connect timeout).
    Connect,
    /// Sent, but no answer within the timeout.
    Timeout,
    /// The connection broke after the request may have been sent.
    Broken,
}

impl Transport {
    /// The request never reached the server, so even a write may be sent again.
    pub(crate) fn before_sending(self) -> bool {
        matches!(
            self,
            Transport::Dns | Transport::Refused | Transport::Tls | Transport::Connect
        )
    }
}

/// What one attempt ended with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Happened<'a> {
    /// An HTTP answer, with its `Retry-After` header text if any.
    Answer {
        status: u16,
        retry_after: Option<&'a str>,
    },
    /// No answer.
    Failed(Transport),
}

/// The bearer token an attempt carried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenFacts {
    /// Time since the token was issued.
    pub age: Duration,
    /// This request fetched this token to replace one Coupa refused.
    pub refetched: bool,
}

/// Everything the decision depends on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Situation<'a> {
    pub happened: Happened<'a>,
    /// Retries already spent on 429, 5xx and network failures.
    pub retries: u32,
    /// A write: a 5xx or a lost answer may mean it happened, so it is never blindly resent.
    pub write: bool,
    /// The bearer token sent; `None` for the token request itself.
    pub token: Option<TokenFacts>,
    /// Wall-clock now, for a `Retry-After` given as an HTTP date.
    pub now: SystemTime,
    /// A random factor in [0.5, 1] that spreads the backoffs of concurrent requests.
    pub jitter: f64,
}

/// The limits the rules apply (from `ClientOptions`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// Retries after 429, 5xx and timeouts.
    pub max_retries: u32,
    /// Retries after a failure to connect (DNS, refused, TLS): a wrong address stays wrong.
    pub connect_retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How old a token must be before a refusal of it means anything (Coupa asks for 5 s).
    pub warmup: Duration,
}

/// A little past the warm-up, so the retry does not land on its edge.
pub(crate) const WARMUP_SLACK: Duration = Duration::from_millis(250);

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The answer is final: hand it to the caller, who reads its status.
    Done,
    /// Send again after this wait.
    BackOff(Duration),
    /// 429: the shared limiter pauses every request for this long, then this one is resent.
    PauseEveryone(Duration),
    /// The token is too young to judge: wait this long and resend with the same token.
    WarmUp(Duration),
    /// The token was refused: get a new one and resend.
    Reauthenticate,
    /// A write may or may not have happened; the caller must look before resending.
    OutcomeUnknown,
    /// Give up.
    Fail(Failure),
}

/// Why a request is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 429 or 5xx after every retry.
    Exhausted,
    /// No answer after every retry.
    Unreachable,
    /// A token fetched for this request was refused too, after its warm-up.
    Unauthorized,
}

/// The rule book. See the module tests for every case.
pub(crate) fn decide(s: &Situation<'_>, r: &Rules) -> Decision {
    match s.happened {
        Happened::Answer {
            status,
            retry_after,
        } => answered(s, r, status, retry_after),
        Happened::Failed(t) => failed(s, r, t),
    }
}

fn answered(s: &Situation<'_>, r: &Rules, status: u16, retry_after: Option<&str>) -> Decision {
    if matches!(status, 401 | 403) {
        let Some(token) = s.token else {
            // The token endpoint itself refused: the credentials or scopes are wrong.
            return Decision::Done;
        };
        if token.age < r.warmup {
            // Coupa may refuse a token in its first seconds: that says nothing about it yet.
            return Decision::WarmUp(r.warmup - token.age + WARMUP_SLACK);
        }
        return match status {
            401 if token.refetched => Decision::Fail(Failure::Unauthorized),
            401 => Decision::Reauthenticate,
            // 403 from a token old enough to judge: a missing scope, for the caller to name.
            _ => Decision::Done,
        };
    }
    if status == 429 {
        // Coupa's limiter answers before doing anything, so even a write may be resent.
        if s.retries >= r.max_retries {
            return Decision::Fail(Failure::Exhausted);
        }
        let wait = retry_after
            .and_then(|v| parse_retry_after(v, s.now))
            .map(|d| d.min(r.max_backoff))
            .unwrap_or_else(|| wait(s, r));
        return Decision::PauseEveryone(wait);
    }
    if (500..=599).contains(&status) {
        if s.write {
            return Decision::OutcomeUnknown;
        }
        if s.retries >= r.max_retries {
            return Decision::Fail(Failure::Exhausted);
        }
        return Decision::BackOff(wait(s, r));
    }
    Decision::Done
}

fn failed(s: &Situation<'_>, r: &Rules, t: Transport) -> Decision {
    if s.write && !t.before_sending() {
        return Decision::OutcomeUnknown;
    }
    let budget = if t.before_sending() {
        r.connect_retries.min(r.max_retries)
    } else {
        r.max_retries
    };
    if s.retries >= budget {
        return Decision::Fail(Failure::Unreachable);
    }
    Decision::BackOff(wait(s, r))
}

fn wait(s: &Situation<'_>, r: &Rules) -> Duration {
    backoff(s.retries, r.base_backoff, r.max_backoff, s.jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;

    const RULES: Rules = Rules {
        max_retries: 3,
        connect_retries: 1,
        base_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(10),
        warmup: Duration::from_secs(5),
    };

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn old() -> Option<TokenFacts> {
        Some(TokenFacts {
            age: secs(60),
            refetched: false,
        })
    }

    fn situation(happened: Happened<'_>) -> Situation<'_> {
        Situation {
            happened,
            retries: 0,
            write: false,
            token: old(),
            now: SystemTime::UNIX_EPOCH + secs(1_000_000_000),
            jitter: 1.0,
        }
    }

    fn status(code: u16) -> Happened<'static> {
        Happened::Answer {
            status: code,
            retry_after: None,
        }
    }

    #[test]
    fn final_answers_are_done() {
        for code in [200, 201, 204, 301, 400, 404, 405, 409, 422] {
            assert_eq!(decide(&situation(status(code)), &RULES), Done, "{code}");
            let write = Situation {
                write: true,
                ..situation(status(code))
            };
            assert_eq!(decide(&write, &RULES), Done, "write {code}");
        }
    }

    #[test]
    fn server_errors_back_off_for_reads_and_are_unknown_for_writes() {
        let cases = [
            (0, false, BackOff(Duration::from_millis(100))),
            (2, false, BackOff(Duration::from_millis(400))),
            (3, false, Fail(Failure::Exhausted)),
            (0, true, OutcomeUnknown),
            (3, true, OutcomeUnknown),
        ];
        for code in [500, 502, 503, 599] {
            for (retries, write, want) in cases {
                let s = Situation {
                    retries,
                    write,
                    ..situation(status(code))
                };
                assert_eq!(decide(&s, &RULES), want, "{code} {retries} {write}");
            }
        }
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let s = Situation {
            jitter: 0.5,
            ..situation(status(503))
        };
        assert_eq!(decide(&s, &RULES), BackOff(Duration::from_millis(50)));
        let rules = Rules {
            max_retries: 100,
            ..RULES
        };
        let s = Situation {
            retries: 60,
            ..situation(status(503))
        };
        assert_eq!(decide(&s, &rules), BackOff(secs(10)));
    }

    #[test]
    fn a_429_pauses_everyone_even_for_writes() {
        let with = |v: &'static str| Happened::Answer {
            status: 429,
            retry_after: Some(v),
        };
        let cases = [
            (status(429), PauseEveryone(Duration::from_millis(100))),
            (with("2"), PauseEveryone(secs(2))),
            (with("0"), PauseEveryone(Duration::ZERO)),
            // Capped by max_backoff (10 s here).
            (with("3600"), PauseEveryone(secs(10))),
            (with("99999999999999999999999"), PauseEveryone(secs(10))),
            // An HTTP date 3 s after `now`.
            (
                with("Sun, 09 Sep 2001 01:46:43 GMT"),
                PauseEveryone(secs(3)),
            ),
            // A date in the past: go now.
            (
                with("Sat, 01 Jan 2000 00:00:00 GMT"),
                PauseEveryone(Duration::ZERO),
            ),
            // Garbage is as if absent.
            (with("soon"), PauseEveryone(Duration::from_millis(100))),
            (with("-5"), PauseEveryone(Duration::from_millis(100))),
            (with(""), PauseEveryone(Duration::from_millis(100))),
        ];
        for write in [false, true] {
            for (h, want) in cases {
                let s = Situation {
                    write,
                    ..situation(h)
                };
                assert_eq!(decide(&s, &RULES), want, "{h:?} write={write}");
            }
        }
        let s = Situation {
            retries: 3,
            ..situation(with("1"))
        };
        assert_eq!(decide(&s, &RULES), Fail(Failure::Exhausted));
    }

    #[test]
    fn refusals_of_a_young_token_are_waited_out_with_the_same_token() {
        for code in [401, 403] {
            for refetched in [false, true] {
                for write in [false, true] {
                    let s = Situation {
                        write,
                        token: Some(TokenFacts {
                            age: secs(1),
                            refetched,
                        }),
                        ..situation(status(code))
                    };
                    assert_eq!(
                        decide(&s, &RULES),
                        WarmUp(secs(4) + WARMUP_SLACK),
                        "{code} refetched={refetched} write={write}"
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_of_an_old_token() {
        let token = |refetched| {
            Some(TokenFacts {
                age: secs(5),
                refetched,
            })
        };
        let cases = [
            (401, token(false), Reauthenticate),
            (401, token(true), Fail(Failure::Unauthorized)),
            (403, token(false), Done),
            (403, token(true), Done),
            // The token request itself: wrong credentials or scope, for the caller to say.
            (401, None, Done),
            (403, None, Done),
        ];
        for (code, token, want) in cases {
            let s = Situation {
                token,
                ..situation(status(code))
            };
            assert_eq!(decide(&s, &RULES), want, "{code} {token:?}");
        }
    }

    #[test]
    fn transport_failures() {
        use Transport::*;
        let cases = [
            // (failure, retries, write, decision)
            (Timeout, 0, false, BackOff(Duration::from_millis(100))),
            (Timeout, 3, false, Fail(Failure::Unreachable)),
            (Broken, 1, false, BackOff(Duration::from_millis(200))),
            (Timeout, 0, true, OutcomeUnknown),
            (Broken, 0, true, OutcomeUnknown),
            // Connection-level failures: few retries, and writes may be resent (never sent).
            (Refused, 0, false, BackOff(Duration::from_millis(100))),
            (Refused, 1, false, Fail(Failure::Unreachable)),
            (Dns, 1, true, Fail(Failure::Unreachable)),
            (Tls, 0, true, BackOff(Duration::from_millis(100))),
            (Connect, 0, true, BackOff(Duration::from_millis(100))),
            (Connect, 1, false, Fail(Failure::Unreachable)),
        ];
        for (t, retries, write, want) in cases {
            let s = Situation {
                retries,
                write,
                ..situation(Happened::Failed(t))
            };
            assert_eq!(decide(&s, &RULES), want, "{t:?} {retries} {write}");
        }
    }
}
