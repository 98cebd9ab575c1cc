//! A local Coupa-compatible API server: the demo, the tests and the benchmarks run against it.
//!
//! It emulates Coupa's REST API as `docs/coupa-api.md` describes it (from Coupa's docs and its
//! OpenAPI file), quirks included, so a client that works here has been held to Coupa's rules:
//! OAuth2 client credentials with scopes, XML unless `Accept: application/json`, dash-case JSON,
//! bare-array lists capped at 50, `field[op]=value` filters, `fields=` trimming, add-only role
//! writes, a leaky-bucket rate limit answering 429, and injectable faults.
//!
//! Layout: `state` holds the tenant, tokens and counters; `auth` the token endpoint and bearer
//! checks; `query` filters, ordering, paging and `fields=`; `format` JSON and XML; `shapes`
//! Coupa's objects as the sandbox defines them, and `render` tenant records into them; `routes`
//! one file per resource; `gate` what every request passes first (counting, latency, the
//! `limiter`'s 429, `faults`, bearer checks); `sample` the sample tenant. It does not depend on
//! the client: both follow Coupa, and a contract test holds them to each other.
#![forbid(unsafe_code)]

mod auth;
mod faults;
mod format;
mod gate;
mod graphql;
mod limiter;
mod query;
mod render;
mod routes;
mod sample;
mod shapes;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use coupa_access_core::model::Live;

pub use sample::generate_sample_tenant;

/// How the sandbox behaves: the client it accepts, its rate limit and injected faults.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The OAuth2 client id accepted by `/oauth2/token`.
    pub client_id: String,
    /// The matching client secret.
    pub client_secret: String,
    /// Scopes granted to the client; a token request may ask for any subset.
    pub scopes: Vec<String>,
    /// Leaky-bucket drain rate for API requests, per second (Coupa: 25).
    pub rate_per_second: f64,
    /// Requests the bucket holds before answering 429 (Coupa: 20).
    pub burst: u32,
    /// `None`: the bucket drains continuously. `Some(phase)`: it drains one whole request per
    /// tick of `1 / rate_per_second`, the first tick `phase` after start, as a server clock out
    /// of step with the client's would (a client pacing at exactly the rate then draws 429s).
    pub bucket_phase: Option<Duration>,
    /// Injected faults.
    pub faults: Faults,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: "sandbox-client".into(),
            client_secret: "sandbox-secret".into(),
            scopes: shapes::ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
            rate_per_second: 25.0,
            burst: 20,
            bucket_phase: None,
            faults: Faults::default(),
        }
    }
}

/// Faults injected into API answers (never into `/oauth2/token`, except the token options and
/// `echo_requests`).
#[derive(Debug, Clone)]
pub struct Faults {
    /// Added to every API answer.
    pub latency: Duration,
    /// Fraction (0..=1) of API requests answered with `error_status`, drawn from a seeded RNG.
    pub error_rate: f64,
    /// The status of injected errors: 500 or 503.
    pub error_status: u16,
    /// Seed of the RNG behind `error_rate`, so fault patterns reproduce.
    pub seed: u64,
    /// The first N API requests answer `error_status`, deterministically (counted after the
    /// rate limit: a request answered 429 does not use one up).
    pub fail_first: u32,
    /// `Retry-After` seconds sent with 429; `None` sends no header.
    pub retry_after: Option<u64>,
    /// How long issued tokens live; zero makes them expire at once.
    pub token_lifetime: Duration,
    /// `DELETE /api/user_group_memberships/:id` answers 405, as on tenants that cannot delete.
    pub delete_disabled: bool,
    /// `DELETE /api/user_group_memberships/:id` answers this status (400, 403 or 422, say) in
    /// Coupa's error shape and deletes nothing: a refusal in other words than 405.
    pub delete_refused_status: Option<u16>,
    /// Creating a membership for these user ids answers 400 in Coupa's error shape.
    pub reject_users: BTreeSet<u64>,
    /// Tokens younger than this are refused with 401, as Coupa may refuse a token in the
    /// first seconds after issuing it (it asks for a five-second buffer).
    pub token_warmup: Duration,
    /// The `Retry-After` header text sent with 429 instead of `retry_after` (any text, for
    /// hostile values: `"-1"`, `"99999999999999999999"`, an HTTP date, garbage).
    pub retry_after_raw: Option<String>,
    /// The `expires_in` value of token answers instead of `token_lifetime`'s seconds (any
    /// JSON: `-5`, `1e300`, `"soon"`); tokens still live `token_lifetime`.
    pub token_expires_in_raw: Option<serde_json::Value>,
    /// Error answers (4xx/5xx, the token endpoint's too) quote the request back: method,
    /// path, every header including `Authorization`, and the body — as a careless proxy might.
    pub echo_requests: bool,
    /// List queries ignore every `[in]` filter (`id[in]=`, `login[in]=`, …) and answer as if it
    /// were not there, as a server that does not support the operator might: clients must
    /// notice records that do not match, never trust them.
    pub ignore_in_filters: bool,
    /// Fraction (0..=1) of API writes (anything but GET) answered with `error_status` before
    /// they change anything, drawn from the same seeded RNG (after `error_rate`).
    pub write_error_rate: f64,
    /// The next N user updates that follow a clear (`roles` or `user-groups` set to `[]` or
    /// null) of the same user answer 500 and change nothing: the failure between the two
    /// writes of a clear-then-set.
    pub fail_set_after_clear: u32,
    /// The status of those failures: 500 (the default: the client resends, the outcome is
    /// unknown) or a 4xx such as 422 (a definitive refusal, nothing resent).
    pub fail_set_after_clear_status: u16,
    /// Licenses a user update setting them false does not revoke (Coupa has been seen to keep
    /// `purchasing-user` and `contracts-user`). Default: those two.
    pub sticky_licenses: BTreeSet<coupa_access_core::model::License>,
    /// User records never carry `user-groups`, even when `fields=` asks for it (a tenant or
    /// release that does not expose the association): a missing key is unknown, not empty.
    pub hide_user_groups: bool,
    /// User updates for these user ids answer 400 in Coupa's error shape and change nothing
    /// (a refusal for one user only, e.g. a validation rule on that record).
    pub reject_user_updates: BTreeSet<u64>,
    /// Group or project ids left out of every user's `user-groups` view (a partial view: the
    /// membership rows still show them).
    pub user_groups_view_omits: BTreeSet<u64>,
    /// Clear spellings a user update accepts (200) but ignores: `{"roles": []}` and/or
    /// `{"roles": null}` (which one Coupa honours is not documented).
    pub ignored_clears: BTreeSet<ClearForm>,
    /// `user_group_id[in]=` on memberships answers only the rows of the first group listed, as
    /// a server reading one value of the list might: the other groups look empty.
    pub membership_in_first_only: bool,
    /// Every `[in]` filter is refused with 400 in Coupa's error shape, as a server without the
    /// operator might.
    pub reject_in_filters: bool,
    /// `id[lt_or_eq]=` is ignored (answered as if absent), so an id-range read runs past its
    /// upper bound.
    pub ignore_id_upper_bound: bool,
    /// Keys left out of every user record (`expense-user`, `roles`), even when `fields=` asks
    /// for them, as a tenant that does not send a field might.
    pub omit_user_fields: BTreeSet<String>,
    /// The token endpoint grants the asked scopes the client has and silently leaves out the
    /// rest instead of answering `invalid_scope`, as some OAuth2 servers do: a client without a
    /// write scope then gets a token, and its writes are answered 403.
    pub lenient_scopes: bool,
    /// A request whose token lacks the route's scope is answered 401 `insufficient_scope`
    /// instead of 403, as some servers do.
    pub missing_scope_401: bool,
    /// `invalid_scope` answers from the token endpoint do not say which scope was refused
    /// (only "The requested scope is invalid, unknown, or malformed.", as Doorkeeper-based
    /// servers answer).
    pub vague_invalid_scope: bool,
    /// `POST /api/graphql` answers 404, as on a tenant or release without the endpoint.
    pub graphql_absent: bool,
    /// GraphQL nested lists (`roles`, `userGroups` of a user, `users` of a group) hold at most
    /// this many entries, as a server capping associations might: a short list that looks whole.
    pub graphql_nested_cap: Option<usize>,
    /// GraphQL fields (camel case: `userGroups`, `purchasingUser`) missing from the schema:
    /// a query naming one gets a GraphQL error and no data.
    pub graphql_missing_fields: BTreeSet<String>,
    /// List queries ignore `owner=` filters (answered as if absent), as a server that does not
    /// filter on the attribute might: the GraphQL read's owner rows then prove nothing.
    pub ignore_owner_filter: bool,
}

/// How a user update spells a clear of `roles` or `user-groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClearForm {
    /// `[]`
    EmptyList,
    /// `null`
    Null,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency: Duration::ZERO,
            error_rate: 0.0,
            error_status: 503,
            seed: 0,
            fail_first: 0,
            retry_after: Some(1),
            token_lifetime: Duration::from_secs(86_399),
            delete_disabled: false,
            delete_refused_status: None,
            reject_users: BTreeSet::new(),
            token_warmup: Duration::ZERO,
            retry_after_raw: None,
            token_expires_in_raw: None,
            echo_requests: false,
            ignore_in_filters: false,
            write_error_rate: 0.0,
            fail_set_after_clear: 0,
            fail_set_after_clear_status: 500,
            sticky_licenses: [
                coupa_access_core::model::License::Purchasing,
                coupa_access_core::model::License::Contracts,
            ]
            .into_iter()
            .collect(),
            hide_user_groups: false,
            reject_user_updates: BTreeSet::new(),
            user_groups_view_omits: BTreeSet::new(),
            ignored_clears: BTreeSet::new(),
            membership_in_first_only: false,
            reject_in_filters: false,
            ignore_id_upper_bound: false,
            omit_user_fields: BTreeSet::new(),
            lenient_scopes: false,
            missing_scope_401: false,
            vague_invalid_scope: false,
            graphql_absent: false,
            graphql_nested_cap: None,
            graphql_missing_fields: BTreeSet::new(),
            ignore_owner_filter: false,
        }
    }
}

/// A running sandbox. Dropping it leaves the server running until the runtime ends; call
/// [`Sandbox::shutdown`] to stop it gracefully.
pub struct Sandbox {
    shared: Arc<state::Shared>,
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Binds `addr` (use port 0 for a free port) and serves `tenant` until shut down.
    pub async fn start(
        tenant: Live,
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> std::io::Result<Sandbox> {
        let shared = Arc::new(state::Shared::new(tenant, config));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = routes::router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Sandbox {
            shared,
            addr,
            stop,
            task,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The tenant as it is now, after any writes.
    pub fn live(&self) -> Live {
        self.shared.with_tenant(|t| t.live.clone())
    }

    /// Changes the tenant behind the API's back (as an admin in the Coupa UI would).
    /// Changed users get a new `updated-at`.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut Live) -> R) -> R {
        self.shared.with_tenant(|t| t.mutate(f))
    }

    /// Sets how many more user updates that follow a clear fail (see
    /// [`Faults::fail_set_after_clear`]): zero lets the next run go through.
    pub fn set_fail_set_after_clear(&self, n: u32) {
        state::lock(&self.shared.faults).set_fail_set_after_clear(n);
    }

    /// Requests by route template (`"GET /api/users"`, `"DELETE /api/user_group_memberships/:id"`,
    /// `"POST /oauth2/token"`), plus `"429"` (rate-limited answers) and `"fault"` (injected errors).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.counts()
    }

    /// Every request received except those to `/oauth2/token`, answered or refused.
    pub fn total_api_requests(&self) -> u64 {
        self.shared.total_api_requests()
    }

    /// Zeroes the request counters.
    pub fn reset_counts(&self) {
        self.shared.reset_counts()
    }

    /// Every access token issued so far (tests prove none of them leaks into output).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.issued_tokens()
    }

    /// Makes every token issued so far expired, as if a day had passed.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The shipped sample tenant: ~300 users, ~20 groups, a project, Coupa's standard roles.
pub fn sample_tenant() -> Live {
    serde_json::from_str(include_str!("sample-tenant.json"))
        .expect("the committed sample-tenant.json is a valid Live snapshot")
}
