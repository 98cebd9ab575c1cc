//! The `Client` handle: options, shared state and statistics.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::sync::{Mutex, Semaphore};

use super::auth::CachedToken;
use super::decide::Rules;
use super::limiter::RateLimiter;
use super::redact::Redactor;
use super::{Connection, CoupaError};

/// Which scopes the client asks for: `plan` needs only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only [`wire::READ_SCOPES`](super::wire::READ_SCOPES).
    Read,
    /// Read scopes plus [`wire::WRITE_SCOPES`](super::wire::WRITE_SCOPES).
    ReadWrite,
    /// [`Access::ReadWrite`] plus [`wire::USER_WRITE_SCOPE`](super::wire::USER_WRITE_SCOPE):
    /// role and license writes, and group removals through the user.
    ReadWriteUsers,
}

impl Access {
    /// The scopes requested from the token endpoint.
    pub fn scopes(self) -> Vec<&'static str> {
        let mut s: Vec<&'static str> = super::wire::READ_SCOPES.to_vec();
        if matches!(self, Access::ReadWrite | Access::ReadWriteUsers) {
            s.extend_from_slice(super::wire::WRITE_SCOPES);
        }
        if self == Access::ReadWriteUsers {
            s.push(super::wire::USER_WRITE_SCOPE);
        }
        s
    }
}

impl Inner {
    /// The scopes this client asks for: its access's, without the roles scope when roles are
    /// not read.
    pub(crate) fn scopes(&self) -> Vec<&'static str> {
        let mut s = self.access.scopes();
        if !self.opts.read_roles {
            s.retain(|&scope| scope != super::wire::ROLES_SCOPE);
        }
        s
    }
}

/// Tuning for rate limiting, retries and timeouts. Defaults follow Coupa's documented limits.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Token bucket size (Coupa: 20).
    pub burst: u32,
    /// Sustained requests per second (Coupa: 25).
    pub per_second: f64,
    /// Retries per request after 429, 5xx or network errors.
    pub max_retries: u32,
    /// First backoff; doubled per retry, with jitter.
    pub base_backoff: Duration,
    /// Longest single wait, also the cap on a server's `Retry-After`.
    pub max_backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Most GET requests in flight at once; also the most id ranges a large resource is
    /// split into, read concurrently.
    pub read_concurrency: usize,
    /// How old a token must be before Coupa's refusal of it (401/403) is believed: Coupa asks
    /// for at least 5 s between issuing a token and using it. A younger token that is refused
    /// is waited out and sent again, never replaced.
    pub token_warmup: Duration,
    /// A limit on the whole run, counted from [`Client::new`]: when it passes, the request
    /// under way (or its wait) stops with [`CoupaError::DeadlineExceeded`]. `None`: no limit.
    pub deadline: Option<Duration>,
    /// Whether live reads include `/api/roles`, and so whether the token asks for its scope
    /// (`core.common.read`). A policy that declares no roles needs neither, and must not fail
    /// on a client that was never granted that scope.
    pub read_roles: bool,
    /// Whether a scoped read (a plan's) reads each part scoped or in full: by default
    /// whichever is expected to take fewer requests (the result is the same either way).
    pub read_way: super::ReadWay,
    /// Which path full reads take ([`Client::read_live_full`]): GraphQL when it proves itself
    /// (the default), REST only, or GraphQL only.
    pub read_path: super::ReadPath,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            burst: 20,
            per_second: 25.0,
            max_retries: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
            read_concurrency: 12,
            token_warmup: Duration::from_secs(5),
            deadline: None,
            read_roles: true,
            read_way: super::ReadWay::Cheaper,
            read_path: super::ReadPath::Auto,
        }
    }
}

/// What one page read reports to a progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadProgress {
    /// `users`, `groups`, `roles` or `memberships`.
    pub resource: &'static str,
    /// Records fetched so far for that resource.
    pub fetched: u64,
}

/// Counters since the client was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    pub gets: u64,
    pub posts: u64,
    pub puts: u64,
    pub deletes: u64,
    /// POSTs to `/oauth2/token` (including retried ones).
    pub token_requests: u64,
    /// Tokens successfully obtained.
    pub tokens_fetched: u64,
    /// Requests sent again after 429, 5xx, network errors or a 401.
    pub retries: u64,
    /// 429 answers seen.
    pub rate_limited: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub gets: AtomicU64,
    pub posts: AtomicU64,
    pub puts: AtomicU64,
    pub deletes: AtomicU64,
    pub token_requests: AtomicU64,
    pub tokens_fetched: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) type ProgressFn = Arc<dyn Fn(ReadProgress) + Send + Sync>;

/// A Coupa API client. Cheap to clone: clones share the token, rate limiter and counters.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    pub(crate) progress: Option<ProgressFn>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub conn: Connection,
    pub access: Access,
    pub opts: ClientOptions,
    pub limiter: RateLimiter,
    pub token: Mutex<Option<CachedToken>>,
    pub read_slots: Semaphore,
    pub counters: Counters,
    /// Requests and completed scans per list endpoint (the snapshot manifest's listings).
    pub listings: crate::listings::Listings,
    pub redactor: Redactor,
    /// When [`ClientOptions::deadline`] runs out.
    pub deadline_at: Option<tokio::time::Instant>,
    /// The clear spelling that worked last (0: `[]`, 1: `null`).
    pub clear_spelling: std::sync::atomic::AtomicU8,
}

/// Retries after a failure to connect (DNS, refused, TLS handshake).
const CONNECT_RETRIES: u32 = 2;

impl Inner {
    /// The request loop's limits.
    pub(crate) fn rules(&self) -> Rules {
        let o = &self.opts;
        Rules {
            max_retries: o.max_retries,
            // A wrong address stays wrong: a quick retry or two, not the full budget.
            connect_retries: CONNECT_RETRIES,
            base_backoff: o.base_backoff,
            max_backoff: o.max_backoff,
            warmup: o.token_warmup,
        }
    }

    /// `text` (from a server or an error chain) fit for a message: without the client secret
    /// or any token issued to this client, control characters made visible, shortened.
    pub(crate) fn redact(&self, text: &str) -> String {
        super::error::quote(text, &self.redactor)
    }

    /// A server's body fit for a message (see [`describe_body`](super::error::describe_body)).
    pub(crate) fn describe(&self, body: &[u8]) -> String {
        super::error::describe_body(body, &self.redactor)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("domain", &self.inner.conn.domain)
            .field("client_id", &self.inner.conn.client_id)
            .field("access", &self.inner.access)
            .field("opts", &self.inner.opts)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; no request is sent until the first call.
    pub fn new(
        conn: Connection,
        access: Access,
        opts: ClientOptions,
    ) -> Result<Client, CoupaError> {
        let http = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(15)))
            // A redirect from Coupa means a wrong domain or a login page, never data: surface it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("coupa-access/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CoupaError::Setup(e.without_url().to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                limiter: RateLimiter::new(opts.burst, opts.per_second),
                read_slots: Semaphore::new(opts.read_concurrency.max(1)),
                token: Mutex::new(None),
                counters: Counters::default(),
                listings: Default::default(),
                redactor: Redactor::new(conn.client_secret.expose_secret()),
                deadline_at: opts
                    .deadline
                    .and_then(|d| tokio::time::Instant::now().checked_add(d)),
                conn,
                access,
                opts,
                clear_spelling: std::sync::atomic::AtomicU8::new(0),
            }),
            progress: None,
        })
    }

    /// The scopes this client asks for (whether it may update users).
    pub fn access(&self) -> Access {
        self.inner.access
    }

    /// The normalised instance address, e.g. `https://acme.coupahost.com`.
    pub fn domain(&self) -> &str {
        &self.inner.conn.domain
    }

    /// The key that seals this client's apply journal entries on this instance (see
    /// [`apply::journal`](crate::apply::journal)): derived from the client secret, never shown.
    pub fn journal_key(&self) -> crate::apply::journal::JournalKey {
        let c = &self.inner.conn;
        crate::apply::journal::JournalKey::derive(
            &c.client_id,
            c.client_secret.expose_secret(),
            &c.domain,
        )
    }

    /// Called after every page read; the binary draws a progress bar with it.
    pub fn set_progress(&mut self, p: Arc<dyn Fn(ReadProgress) + Send + Sync>) {
        self.progress = Some(p);
    }

    /// Request counters so far.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ClientStats {
            gets: g(&c.gets),
            posts: g(&c.posts),
            puts: g(&c.puts),
            deletes: g(&c.deletes),
            token_requests: g(&c.token_requests),
            tokens_fetched: g(&c.tokens_fetched),
            retries: g(&c.retries),
            rate_limited: g(&c.rate_limited),
        }
    }

    /// Every list endpoint read so far: requests, records, and whether its scans ran to
    /// their end.
    pub fn listings(&self) -> Vec<crate::ListingRead> {
        self.inner.listings.snapshot()
    }

    pub(crate) fn report(&self, resource: &'static str, fetched: u64) {
        if let Some(p) = &self.progress {
            p(ReadProgress { resource, fetched });
        }
    }
}
