//! Full reads through Coupa's read-only GraphQL endpoint (`POST /api/graphql`): every user
//! with roles, license flags and groups nested, keyset-paged with the REST filter syntax in
//! the `query:` argument, so memberships need no pages of their own (a REST full read spends
//! three of every four requests on them). Groups and roles are read by REST as always.
//!
//! What GraphQL does not give is read by REST, narrowly: the `owner` rows (memberships
//! filtered by `owner=true`), and, through [`Client::complete_rows`], the ids, dates and
//! repeats of the memberships a report shows. Until then a membership known only from a
//! nested list carries a placeholder id ([`FullRead::is_placeholder`]); callers replace the
//! ones they show before showing them.
//!
//! Trusted only as far as it proves (`proof`): any GraphQL error, a refused request (404,
//! 403, any failure), a field the schema lacks, a nested list that looks cut, or a REST sample
//! that disagrees makes the run read REST instead ([`ReadPath::Auto`]), said at debug level and
//! in [`FullRead::taken`]; [`ReadPath::Graphql`] makes it an error instead.
//! Facts and assumptions: `docs/coupa-api.md` (GraphQL row).

mod nested;
mod proof;
mod query;
mod wire;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use reqwest::Method;

use coupa_access_core::model::{Live, Membership, ReadPathTaken, ReadVia};

use self::nested::Nested;
use super::read::{GROUPS, GROUP_FIELDS, MEMBERSHIPS, MEMBERSHIP_FIELDS, PAGE_SIZE, ROLES, USERS};
use super::request::{Call, Kind, Outcome, Payload};
use super::scan::{join_in_order, Query, Tally, PAGES_BEFORE_PROBE};
use super::users::Distrust;
use super::wire::{WireMembership, WireRole, WireUserGroup};
use super::{convert, Client, CoupaError, ReadScope};

/// Coupa's GraphQL endpoint.
pub(crate) const GRAPHQL: &str = "/api/graphql";

/// Placeholder membership ids start here, far above any id Coupa hands out: on a GraphQL
/// read, a membership id at or above it is a placeholder (no table of them is kept).
const PLACEHOLDER_FLOOR: u64 = 1 << 62;

/// Which path a full read takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadPath {
    /// GraphQL when it proves itself this run, REST otherwise.
    #[default]
    Auto,
    /// REST only.
    Rest,
    /// GraphQL only: a read that fails its proof is an error, never a silent fallback.
    Graphql,
}

/// A full read: live state, the path it took, and (on the GraphQL path) memberships known
/// only from GraphQL's nested lists, with placeholder ids (see [`Client::complete_rows`]).
#[derive(Debug, Clone)]
pub struct FullRead {
    pub live: Live,
    pub taken: ReadPathTaken,
}

impl FullRead {
    /// True when `membership_id` is a placeholder: the row exists, its id and date are unread.
    /// Stays true after [`take_live`](Self::take_live), so a report made from the taken state
    /// can still be checked.
    pub fn is_placeholder(&self, membership_id: u64) -> bool {
        self.taken.via == ReadVia::Graphql && membership_id >= PLACEHOLDER_FLOOR
    }

    /// Takes the live state out.
    pub fn take_live(&mut self) -> Live {
        std::mem::take(&mut self.live)
    }

    /// The (user id, group id) of each placeholder among `ids`, sorted, without repeats.
    pub fn placeholder_pairs(&self, ids: impl IntoIterator<Item = u64>) -> Vec<(u64, u64)> {
        let rows = &self.live.memberships;
        let set: BTreeSet<(u64, u64)> = ids
            .into_iter()
            .filter(|id| self.is_placeholder(*id))
            // Memberships are kept sorted by id (`assemble`, `complete_rows`).
            .filter_map(|id| rows.binary_search_by_key(&id, |m| m.id).ok())
            .map(|i| (rows[i].user_id, rows[i].group_id))
            .collect();
        set.into_iter().collect()
    }
}

/// GraphQL's users and the rest of a full read, before proof.
pub(crate) struct Gql {
    /// The users, converted, with their nested pairs: after `keep_plain`, those of plain
    /// groups only, sorted.
    pub nested: Nested,
    pub groups: Vec<WireUserGroup>,
    pub roles: Vec<WireRole>,
    pub owners: Vec<WireMembership>,
    /// Ids of plain groups (not projects).
    pub plain: BTreeSet<u64>,
}

impl Client {
    /// Every user, group, role and membership, through the path the options choose
    /// ([`ClientOptions::read_path`](super::ClientOptions::read_path)): GraphQL when it proves
    /// itself, REST otherwise. This is where full reads are dispatched (`drift`, `export`, and
    /// plans that read everything).
    pub async fn read_live_full(&self) -> Result<FullRead, CoupaError> {
        self.read_live_full_or(&ReadScope::Everything).await
    }

    /// As [`read_live_full`](Self::read_live_full), but when REST is read, only what
    /// `fallback` needs (a plan's scoped read): a plan never costs more than before because
    /// GraphQL could not be used.
    pub async fn read_live_full_or(&self, fallback: &ReadScope) -> Result<FullRead, CoupaError> {
        let path = self.inner.opts.read_path;
        if path == ReadPath::Rest {
            return self
                .rest_full(fallback, "the read path is set to rest")
                .await;
        }
        match self.graphql_full().await? {
            Ok(read) => Ok(read),
            Err(Distrust(why)) if path == ReadPath::Graphql => Err(CoupaError::Decode {
                method: "POST".into(),
                path: GRAPHQL.into(),
                detail: format!(
                    "the GraphQL read did not prove itself ({why}); the read path is set to \
                     graphql, so REST is not read instead"
                ),
            }),
            Err(Distrust(why)) => {
                tracing::debug!(reason = %why, "GraphQL read not used; reading REST");
                self.rest_full(fallback, &why).await
            }
        }
    }

    /// The REST full read, with the reason it was taken.
    async fn rest_full(&self, scope: &ReadScope, reason: &str) -> Result<FullRead, CoupaError> {
        Ok(FullRead {
            live: self.read_live_scoped(scope).await?,
            taken: ReadPathTaken {
                via: ReadVia::Rest,
                reason: Some(reason.to_string()),
            },
        })
    }

    /// The GraphQL full read, proven; distrusted when anything about it is doubtful.
    async fn graphql_full(&self) -> Result<Result<FullRead, Distrust>, CoupaError> {
        let roles = async {
            if self.inner.opts.read_roles {
                self.read_all::<WireRole>(Some("roles"), ROLES, &[]).await
            } else {
                Ok(Vec::new())
            }
        };
        let group_params = [("fields", GROUP_FIELDS.to_string())];
        let groups = self.read_all::<WireUserGroup>(Some("groups"), GROUPS, &group_params);
        let (users, roles, groups, owners) =
            tokio::try_join!(self.gql_users(), roles, groups, self.owner_rows())?;
        let (mut nested, owners) = match (users, owners) {
            (Ok(u), Ok(o)) => (u, o),
            (Err(d), _) | (_, Err(d)) => return Ok(Err(d)),
        };
        let plain = groups
            .iter()
            .filter(|g| convert::is_plain_group(g))
            .filter_map(|g| g.id)
            .collect();
        nested.keep_plain(&plain);
        let gql = Gql {
            nested,
            groups,
            roles,
            owners,
            plain,
        };
        if let Err(d) = self.prove(&gql).await? {
            return Ok(Err(d));
        }
        Ok(Ok(assemble(gql)?))
    }

    /// Every user through GraphQL: a few keyset pages, then (for a large tenant) the ids left
    /// split into ranges read concurrently, as the REST scan does.
    async fn gql_users(&self) -> Result<Result<Nested, Distrust>, CoupaError> {
        let tally = Tally::new(Some("users"));
        let head = match self
            .gql_range(0, None, Some(PAGES_BEFORE_PROBE), &tally)
            .await?
        {
            Ok(h) => h,
            Err(d) => return Ok(Err(d)),
        };
        let (mut out, last, done) = head;
        if done {
            return Ok(Ok(out));
        }
        // A large tenant: check the first pages before reading the rest.
        if let Err(d) = self.prove_head(&out).await? {
            return Ok(Err(d));
        }
        // The highest user id, by REST (one request), to split the rest into ranges.
        let q = Query::new(USERS, &[]);
        #[derive(serde::Deserialize)]
        struct IdOnly {
            id: Option<u64>,
        }
        let probe: Vec<IdOnly> = self.get_json(&q.highest()).await?;
        let max = probe.iter().filter_map(|r| r.id).max().unwrap_or(last);
        let n = if max > last {
            let first = out.users.first().map_or(1, |u| u.id);
            super::scan::range_count(
                out.users.len() as u64,
                first,
                last,
                max,
                self.inner.opts.read_concurrency,
            )
        } else {
            1
        };
        let ranges = super::scan::split_ranges(last, max.max(last + 1), n, 1);
        let count = ranges.len();
        let reads = ranges.into_iter().enumerate().map(|(i, (lo, hi))| {
            // The last range is unbounded: it ends at an empty page like any keyset read.
            let upto = (i + 1 < count).then_some(hi);
            let (c, t) = (self.clone(), tally.clone());
            async move { c.gql_range(lo, upto, None, &t).await }
        });
        for part in join_in_order(reads).await? {
            match part {
                Ok((users, _, _)) => out.append(users),
                Err(d) => return Ok(Err(d)),
            }
        }
        Ok(Ok(out))
    }

    /// GraphQL keyset pages of users in `(after, upto]` until an empty page or the page holding
    /// `upto` (or, with `probe_after`, that many full pages): the users, the last id, and
    /// whether the range is done. Every page is checked as a REST page is.
    async fn gql_range(
        &self,
        after: u64,
        upto: Option<u64>,
        probe_after: Option<usize>,
        tally: &Tally,
    ) -> Result<Result<(Nested, u64, bool), Distrust>, CoupaError> {
        let q = Query::new(GRAPHQL, &[]);
        let mut out = Nested::default();
        let mut last = after;
        let mut pages = 0;
        loop {
            let page = match self.gql_post(&query::users_page(last, upto)).await? {
                Ok(p) => p,
                Err(d) => return Ok(Err(d)),
            };
            pages += 1;
            if page.is_empty() {
                return Ok(Ok((out, last, true)));
            }
            if page.len() > PAGE_SIZE {
                return Ok(Err(Distrust(format!(
                    "a GraphQL page held {} users, more than the {PAGE_SIZE} asked for",
                    page.len()
                ))));
            }
            last = match super::scan::check_page(&q, &page, last, upto) {
                Ok(l) => l,
                Err(e) => return Ok(Err(Distrust(format!("GraphQL paging: {e}")))),
            };
            tally.add(self, page.len());
            let full = page.len() >= PAGE_SIZE;
            // Converted now: only this page is ever held in the wire shape.
            if let Err(d) = out.add_page(page) {
                return Ok(Err(d));
            }
            if upto == Some(last) {
                return Ok(Ok((out, last, true)));
            }
            if full && probe_after.is_some_and(|n| pages >= n) {
                return Ok(Ok((out, last, false)));
            }
        }
    }

    /// One GraphQL request; anything but a usable answer is a distrust, except a passed
    /// deadline, which ends the run.
    async fn gql_post(
        &self,
        body: &str,
    ) -> Result<Result<Vec<wire::GqlUser>, Distrust>, CoupaError> {
        let call = Call {
            method: Method::POST,
            path_and_query: GRAPHQL,
            body: Payload::Json(body.to_string()),
            // A query only reads: safe to resend after a 5xx or a lost answer.
            kind: Kind::Read,
        };
        let answer = match self.inner.execute(&call).await {
            Ok(Outcome::Answered(a)) => a,
            Ok(Outcome::Unknown(d)) => return Ok(Err(Distrust(d))),
            Err(e @ CoupaError::DeadlineExceeded { .. }) => return Err(e),
            Err(e) => return Ok(Err(Distrust(format!("POST {GRAPHQL} failed: {e}")))),
        };
        if !answer.status.is_success() {
            return Ok(Err(Distrust(format!(
                "POST {GRAPHQL} answered {}",
                answer.status
            ))));
        }
        Ok(wire::users(&answer.body).map_err(|e| Distrust(self.inner.redact(&e))))
    }

    /// The owner rows (`owner=true`), by REST: GraphQL's nested lists do not say who owns a
    /// group. A row that is not an owner's means the filter was ignored.
    async fn owner_rows(&self) -> Result<Result<Vec<WireMembership>, Distrust>, CoupaError> {
        let rows = match self
            .read_all::<WireMembership>(
                None,
                MEMBERSHIPS,
                &[
                    ("owner", "true".to_string()),
                    ("fields", MEMBERSHIP_FIELDS.to_string()),
                ],
            )
            .await
        {
            Ok(rows) => rows,
            Err(e) if super::scope::refused_filter(&e) => {
                return Ok(Err(Distrust(format!("owner=true was refused: {e}"))))
            }
            Err(e) => return Err(e),
        };
        if let Some(m) = rows.iter().find(|m| m.owner != Some(true)) {
            return Ok(Err(Distrust(format!(
                "owner=true answered membership {}, which is not an owner's (the filter was ignored)",
                m.id.unwrap_or_default()
            ))));
        }
        Ok(Ok(rows))
    }

    /// Replaces the placeholder rows of `pairs` (user id, group id) with Coupa's own rows,
    /// read by REST: per pair (`user_id` and `user_group_id`), or the whole group when that
    /// costs fewer requests. A pair REST no longer shows is dropped (it was removed since).
    pub async fn complete_rows(
        &self,
        read: &mut FullRead,
        pairs: &[(u64, u64)],
    ) -> Result<(), CoupaError> {
        let mut by_group: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
        let asked: BTreeSet<(u64, u64)> = pairs.iter().copied().collect();
        for m in &read.live.memberships {
            if read.is_placeholder(m.id) && asked.contains(&(m.user_id, m.group_id)) {
                by_group.entry(m.group_id).or_default().insert(m.user_id);
            }
        }
        if by_group.is_empty() {
            return Ok(());
        }
        let mut sizes: BTreeMap<u64, usize> = BTreeMap::new();
        for m in &read.live.memberships {
            *sizes.entry(m.group_id).or_default() += 1;
        }
        // Each narrow read costs a page and the empty page after it.
        let mut reads = Vec::new();
        for (g, users) in by_group {
            let whole = sizes.get(&g).copied().unwrap_or(0) / PAGE_SIZE + 2;
            if 2 * users.len() >= whole {
                reads.push((g, None));
            } else {
                reads.extend(users.into_iter().map(|u| (g, Some(u))));
            }
        }
        let jobs = reads.clone().into_iter().map(|(g, u)| {
            let c = self.clone();
            async move {
                let mut params = vec![("user_group_id", g.to_string())];
                if let Some(u) = u {
                    params.push(("user_id", u.to_string()));
                }
                params.push(("fields", MEMBERSHIP_FIELDS.to_string()));
                c.scan::<WireMembership>(
                    Arc::new(Query::new(MEMBERSHIPS, &params)),
                    Tally::new(None),
                )
                .await
            }
        });
        let answers = join_in_order(jobs).await?;
        for ((g, u), rows) in reads.into_iter().zip(answers) {
            let covers = |m_user: u64, m_group: u64| m_group == g && u.is_none_or(|u| u == m_user);
            read.live
                .memberships
                .retain(|m| !covers(m.user_id, m.group_id));
            for w in rows {
                let m = convert::membership(w).map_err(|detail| CoupaError::Decode {
                    method: "GET".into(),
                    path: MEMBERSHIPS.into(),
                    detail,
                })?;
                if covers(m.user_id, m.group_id) {
                    read.live.memberships.push(m);
                }
            }
        }
        read.live.memberships.sort_by_key(|m| m.id);
        Ok(())
    }
}

/// Live state from a proven GraphQL read: the owner rows as read, every other (user, group)
/// pair of the nested lists as a model row with a placeholder id, made straight from the
/// compact pairs.
fn assemble(gql: Gql) -> Result<FullRead, CoupaError> {
    let Gql {
        nested,
        groups,
        roles,
        owners,
        plain: _,
    } = gql;
    let Nested { users, pairs, .. } = nested;
    let owned: BTreeSet<(u64, u64)> = owners
        .iter()
        .filter_map(|m| Some((m.user_id?, m.user_group_id?)))
        .collect();
    let decode = |(path, detail): convert::BadIn| CoupaError::Decode {
        method: "GET".into(),
        path: path.into(),
        detail,
    };
    let mut rows = convert::rows(owners).map_err(decode)?;
    rows.reserve_exact(pairs.len());
    // `pairs` is sorted: placeholder ids follow (user, group) order.
    let placeholders = pairs.into_iter().filter(|p| !owned.contains(p));
    for (i, (user_id, group_id)) in placeholders.enumerate() {
        rows.push(convert::Row::Plain(Membership {
            id: PLACEHOLDER_FLOOR + i as u64,
            user_id,
            group_id,
            created_at: None,
            owner: false,
            participant: None,
        }));
    }
    let mut live = convert::live(users, groups, roles, rows).map_err(decode)?;
    live.memberships.sort_by_key(|m| m.id);
    Ok(FullRead {
        live,
        taken: ReadPathTaken {
            via: ReadVia::Graphql,
            reason: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(via: ReadVia, ids: &[u64]) -> FullRead {
        let memberships = ids
            .iter()
            .map(|&id| Membership {
                id,
                user_id: id % 100,
                group_id: 7,
                created_at: None,
                owner: false,
                participant: None,
            })
            .collect();
        FullRead {
            live: Live {
                memberships,
                ..Live::default()
            },
            taken: ReadPathTaken { via, reason: None },
        }
    }

    #[test]
    fn placeholders_are_the_graphql_reads_ids_from_the_floor_up() {
        let p = PLACEHOLDER_FLOOR;
        let mut gql = read(ReadVia::Graphql, &[5, p + 1, p + 3]);
        assert!(!gql.is_placeholder(5));
        assert!(gql.is_placeholder(p + 1));
        // Looked up in the rows: an id no row has gives no pair; repeats give one.
        assert_eq!(
            gql.placeholder_pairs([5, p + 3, p + 2, p + 3, p + 1]),
            vec![((p + 1) % 100, 7), ((p + 3) % 100, 7)]
        );
        // Still known after the state is taken (a plan checks its ids then).
        gql.take_live();
        assert!(gql.is_placeholder(p + 3));
        // A REST read has none, whatever its ids.
        let rest = read(ReadVia::Rest, &[p + 1]);
        assert!(!rest.is_placeholder(p + 1));
        assert!(rest.placeholder_pairs([p + 1]).is_empty());
    }
}
