//! Scoped or full: a plan's read never costs more requests than reading the whole tenant.
//!
//! A scoped read pays per managed group and per named person; a policy that manages every
//! group (an `export`) pays more that way than a full read would. Before each part of a plan's
//! read, its requests are estimated both ways from what is known by then — the policy (how
//! many groups it manages, the names it lists) and the tenant's size, learned from the first
//! page and the highest id of users and memberships (a full read's own first requests, so
//! nothing is wasted when it is taken) — and the cheaper way is taken. Both ways give the same
//! `Live` for the plan (see `plan_read`), so the choice changes the cost, never the plan.

use super::read::PAGE_SIZE;

/// Full pages a scan reads before it probes for its highest id (`scan::PAGES_BEFORE_PROBE`).
const HEAD_PAGES: u64 = 3;

/// Requests a fresh scan of `records` records takes: three pages and a probe, then id ranges
/// (at least eight pages each, at most `concurrency`), each ending on a partial page about
/// half the time, the last on an empty one.
pub(crate) fn scan_requests(records: u64, concurrency: usize) -> u64 {
    let page = PAGE_SIZE as u64;
    if records < HEAD_PAGES * page {
        return records / page + 1;
    }
    HEAD_PAGES + 1 + rest_requests(records - HEAD_PAGES * page, concurrency)
}

/// Requests the rest of a scan takes after its head and probe, with `records` left.
pub(crate) fn rest_requests(records: u64, concurrency: usize) -> u64 {
    let pages = records.div_ceil(PAGE_SIZE as u64);
    let ranges = (pages / 8).clamp(1, concurrency.max(1) as u64);
    pages + ranges.div_ceil(2) + 1
}

/// Requests the scoped membership read takes: `groups` groups in lists of `per_query`, each
/// list a scan of its share of `rows`.
pub(crate) fn chunked_requests(groups: u64, per_query: u64, rows: u64, concurrency: usize) -> u64 {
    if groups == 0 {
        return 0;
    }
    let chunks = groups.div_ceil(per_query.max(1));
    chunks * scan_requests(rows.div_ceil(chunks), concurrency)
}

/// Which way a plan's read goes ([`ClientOptions::read_way`](super::ClientOptions::read_way)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadWay {
    /// Each part scoped or full, whichever is expected to take fewer requests.
    #[default]
    Cheaper,
    /// Always scoped: what the choice is measured against (tests, benchmarks).
    Scoped,
    /// Always full, cut down to the scope: the other side of the choice (tests, benchmarks).
    Full,
}

/// Which way a part of the read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    Scoped,
    Full,
}

impl Way {
    /// Scoped unless it is expected to cost more than the full read (a tie stays scoped: it
    /// holds less), or as `read_way` forces.
    pub(crate) fn pick(read_way: ReadWay, scoped: u64, full: u64) -> Way {
        match read_way {
            ReadWay::Scoped => Way::Scoped,
            ReadWay::Full => Way::Full,
            ReadWay::Cheaper if scoped > full => Way::Full,
            ReadWay::Cheaper => Way::Scoped,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Way::Scoped => "scoped",
            Way::Full => "full",
        }
    }
}

/// The membership rows of `selected` of `groups` plain groups, out of `rows` in all, when
/// they are spread evenly (what is known before reading them).
pub(crate) fn share(rows: u64, selected: u64, groups: u64) -> u64 {
    if groups == 0 {
        return 0;
    }
    (u128::from(rows) * u128::from(selected.min(groups))).div_ceil(u128::from(groups)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_scans_cost_their_pages_and_large_ones_a_little_more() {
        assert_eq!(scan_requests(0, 12), 1);
        assert_eq!(scan_requests(49, 12), 1);
        assert_eq!(scan_requests(50, 12), 2);
        assert_eq!(scan_requests(149, 12), 3);
        let big = scan_requests(15_000, 12);
        assert!((301..=315).contains(&big), "{big}");
    }

    #[test]
    fn an_exported_policy_costs_more_scoped_and_a_small_one_less() {
        // 5,000 users, 200 groups, 15,000 memberships, every group managed.
        let full = scan_requests(15_000, 12);
        let scoped = chunked_requests(200, 25, share(15_000, 200, 200), 12);
        assert_eq!(
            Way::pick(ReadWay::Cheaper, scoped, full),
            Way::Full,
            "{scoped} vs {full}"
        );
        // 3 of 2,000 groups of a 300,000-membership tenant.
        let full = scan_requests(300_000, 12);
        let scoped = chunked_requests(3, 25, share(300_000, 3, 2_000), 12);
        assert!(scoped < 20, "{scoped}");
        assert_eq!(Way::pick(ReadWay::Cheaper, scoped, full), Way::Scoped);
        assert_eq!(chunked_requests(0, 25, 0, 12), 0);
        assert_eq!(share(10, 3, 0), 0);
    }
}
