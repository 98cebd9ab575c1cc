//! What each list endpoint's reads amounted to: pages requested, records kept and whether
//! every keyset scan of it ran to its end. `snapshot` writes this into its manifest.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One list endpoint's reads since the client was built.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListingRead {
    /// The endpoint (`/api/users`), without its query.
    pub endpoint: String,
    /// Pages requested (each answer read once; retries are counted in `ClientStats`).
    pub requests: u64,
    /// Records returned by scans that ran to their end.
    pub records: u64,
    /// Keyset scans that ran to their end (an empty page, or the last page of a bounded range
    /// whose neighbours cover the rest). A scan that cannot fails the read instead.
    pub scans_completed: u64,
}

/// The log behind [`ListingRead`], shared by every clone of a client.
#[derive(Debug, Default)]
pub(crate) struct Listings {
    by_endpoint: Mutex<BTreeMap<String, (u64, u64, u64)>>,
}

impl Listings {
    /// One page (or single GET) of `endpoint` requested.
    pub(crate) fn request(&self, endpoint: &str) {
        let mut m = self.by_endpoint.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(endpoint.to_string()).or_default().0 += 1;
    }

    /// A scan of `endpoint` ran to its end with `records`.
    pub(crate) fn completed(&self, endpoint: &str, records: usize) {
        let mut m = self.by_endpoint.lock().unwrap_or_else(|p| p.into_inner());
        let e = m.entry(endpoint.to_string()).or_default();
        e.1 += records as u64;
        e.2 += 1;
    }

    pub(crate) fn snapshot(&self) -> Vec<ListingRead> {
        let m = self.by_endpoint.lock().unwrap_or_else(|p| p.into_inner());
        m.iter()
            .map(|(endpoint, &(requests, records, scans))| ListingRead {
                endpoint: endpoint.clone(),
                requests,
                records,
                scans_completed: scans,
            })
            .collect()
    }
}
