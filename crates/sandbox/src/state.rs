//! Everything the sandbox holds: the tenant, issued tokens, the limiter, fault state and counters.
//! Each part has its own lock, held briefly and never across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tokio::time::Instant as TokioInstant;

use coupa_access_core::model::{Live, User};

use super::auth::Token;
use super::faults::FaultState;
use super::limiter::LeakyBucket;
use super::SandboxConfig;

/// `created-at`/`updated-at` of everything in the tenant file (which has no such timestamps).
pub(crate) const BASELINE_TIME: &str = "2025-01-06T09:00:00+00:00";

/// Now, as Coupa writes timestamps: ISO-8601 with offset, to the second.
pub(crate) fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The tenant plus what Coupa keeps that `Live` does not (update times, id sequences).
#[derive(Debug)]
pub(crate) struct Tenant {
    /// Users, groups, projects, roles and memberships, each kept sorted by id.
    pub live: Live,
    /// `updated-at` of users changed since start; others have [`BASELINE_TIME`].
    pub user_updated: BTreeMap<u64, String>,
    /// The next membership id (ids are never reused, as in Coupa).
    pub next_membership_id: u64,
}

impl Tenant {
    fn new(mut live: Live) -> Tenant {
        sort(&mut live);
        let next_membership_id = next_id(&live);
        Tenant {
            live,
            user_updated: BTreeMap::new(),
            next_membership_id,
        }
    }

    /// A user's `updated-at`.
    pub(crate) fn user_updated_at(&self, id: u64) -> &str {
        self.user_updated
            .get(&id)
            .map(String::as_str)
            .unwrap_or(BASELINE_TIME)
    }

    /// Records that a user changed now.
    pub(crate) fn touch_user(&mut self, id: u64) {
        self.user_updated.insert(id, now_iso());
    }

    /// Index of a user by id (users are sorted by id).
    pub(crate) fn user_index(&self, id: u64) -> Option<usize> {
        self.live.users.binary_search_by_key(&id, |u| u.id).ok()
    }

    /// Runs a change made behind the API, then restores order and stamps changed users.
    pub(crate) fn mutate<R>(&mut self, f: impl FnOnce(&mut Live) -> R) -> R {
        let before: HashMap<u64, User> =
            self.live.users.iter().map(|u| (u.id, u.clone())).collect();
        let r = f(&mut self.live);
        sort(&mut self.live);
        let changed: Vec<u64> = self
            .live
            .users
            .iter()
            .filter(|u| before.get(&u.id) != Some(*u))
            .map(|u| u.id)
            .collect();
        for id in changed {
            self.touch_user(id);
        }
        self.next_membership_id = self.next_membership_id.max(next_id(&self.live));
        r
    }
}

fn sort(live: &mut Live) {
    live.users.sort_by_key(|u| u.id);
    live.groups.sort_by_key(|g| g.id);
    live.projects.sort_by_key(|g| g.id);
    live.roles.sort_by_key(|r| r.id);
    live.memberships.sort_by_key(|m| m.id);
}

fn next_id(live: &Live) -> u64 {
    live.memberships.iter().map(|m| m.id).max().unwrap_or(0) + 1
}

/// State shared by every request handler.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SandboxConfig,
    tenant: Mutex<Tenant>,
    pub tokens: Mutex<HashMap<String, Token>>,
    pub limiter: Mutex<LeakyBucket>,
    pub faults: Mutex<FaultState>,
    counts: Mutex<BTreeMap<String, u64>>,
    total_api: AtomicU64,
}

/// Locks a mutex, recovering the data if a handler panicked while holding it (the sandbox is a
/// test tool: keep serving rather than cascade the panic).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(live: Live, config: SandboxConfig) -> Shared {
        let limiter = LeakyBucket::new(config.rate_per_second, config.burst, Instant::now())
            .with_phase(config.bucket_phase);
        let faults = FaultState::new(&config.faults);
        Shared {
            config,
            tenant: Mutex::new(Tenant::new(live)),
            tokens: Mutex::new(HashMap::new()),
            limiter: Mutex::new(limiter),
            faults: Mutex::new(faults),
            counts: Mutex::new(BTreeMap::new()),
            total_api: AtomicU64::new(0),
        }
    }

    /// Runs `f` with the tenant locked.
    pub(crate) fn with_tenant<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        f(&mut lock(&self.tenant))
    }

    /// Counts one request or outcome under `key`.
    pub(crate) fn count(&self, key: &str) {
        *lock(&self.counts).entry(key.to_string()).or_insert(0) += 1;
    }

    /// Counts one request to the API (anything but `/oauth2/token`).
    pub(crate) fn count_api(&self) {
        self.total_api.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.counts).clone()
    }

    pub(crate) fn total_api_requests(&self) -> u64 {
        self.total_api.load(Ordering::Relaxed)
    }

    pub(crate) fn reset_counts(&self) {
        lock(&self.counts).clear();
        self.total_api.store(0, Ordering::Relaxed);
    }

    pub(crate) fn issued_tokens(&self) -> Vec<String> {
        lock(&self.tokens).keys().cloned().collect()
    }

    pub(crate) fn expire_tokens(&self) {
        let now = TokioInstant::now();
        for t in lock(&self.tokens).values_mut() {
            t.expires_at = Some(now);
        }
    }
}
