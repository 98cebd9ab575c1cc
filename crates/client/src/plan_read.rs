//! A plan's read ([`ReadScope::Groups`](super::ReadScope::Groups) and
//! [`ReadScope::GroupsAndUsers`](super::ReadScope::GroupsAndUsers)): each part scoped or full,
//! whichever is expected to take fewer requests (`choose`), reported at debug level.
//!
//! Both ways give the same records: memberships read in full are cut down to the selected
//! groups' (exactly what the scoped read returns), and users read in full are every user (what
//! a scoped read falls back to).
//!
//! Nothing waits that need not (a scoped plan's wall time is its requests under the limiter):
//! the users and the memberships are read concurrently; lookups by login and email small
//! enough to cost less than a first page and a probe are sent at once; a few managed groups
//! are found by name and their memberships read, and then their members by id, while every
//! group is still being read (`early`); only the groups that lookup missed wait for it.

use std::collections::BTreeSet;
use std::sync::Arc;

use coupa_access_core::model::User;

use super::choose::{self, ReadWay, Way};
use super::convert::{self, Row};
use super::read::{self, user_fields, GROUPS, MEMBERSHIPS, MEMBERSHIP_FIELDS, USERS};
use super::scan::{Head, Query, Tally};
use super::scope::{self, GroupFilter, GROUPS_PER_QUERY};
use super::users::{self, Distrust, Found};
use super::wire::{WireMembership, WireUserGroup};
use super::{Client, CoupaError};

/// Lookups by name expected to take at most this many requests are sent at once: learning
/// the tenant's size first (a page and a probe) could save at most this many, and would make
/// the lookups wait.
const SEND_AT_ONCE: u64 = 20;

/// What a plan's read holds before `Live` is assembled.
pub(crate) struct Parts {
    pub users: Vec<User>,
    pub groups: Vec<WireUserGroup>,
    pub rows: Vec<Row>,
}

/// The users side after the first wave: every user, or those named (members to add).
enum UsersRead {
    All(Vec<User>),
    Named {
        found: Found,
        /// The full read's head, when it was read to decide.
        head: Option<Head<Vec<User>>>,
    },
}

fn memberships_query() -> Arc<Query> {
    Arc::new(Query::new(
        MEMBERSHIPS,
        &[("fields", MEMBERSHIP_FIELDS.to_string())],
    ))
}

fn users_query() -> Arc<Query> {
    Arc::new(Query::new(USERS, &[("fields", user_fields())]))
}

/// A membership row for a read cut down to some groups: a row naming no group belongs to none
/// of them (the scoped read drops it too), so it is kept as a row of no group, not refused.
fn row_of_some_group(w: WireMembership) -> Result<Row, String> {
    if w.user_group_id.is_none() {
        return Ok(Row::Project(None));
    }
    convert::row(w)
}

impl Client {
    /// Users (every one, or when `identities` is given those named and the members of the
    /// selected groups), every group, and the membership rows of the groups `select` picks.
    pub(crate) async fn read_for_plan(
        &self,
        select: &GroupFilter,
        identities: Option<&[String]>,
        group_names: &[String],
    ) -> Result<Parts, CoupaError> {
        let tally = Tally::new(Some("users"));
        let hints = if self.inner.opts.read_way == ReadWay::Full {
            &[][..]
        } else {
            group_names
        };
        // The users, and the groups read early with their members, go on beside the full
        // groups read: nothing of a small plan waits for it but the groups it did not find.
        let users_and_early = async {
            let (users, early) = tokio::try_join!(
                self.plan_users(identities, tally.clone()),
                self.early_memberships(select, hints),
            )?;
            let users = match users {
                UsersRead::Named { found, head: None } => {
                    let members = early.members();
                    self.members_early(found, &members, tally.clone()).await?
                }
                other => other,
            };
            Ok((users, early))
        };
        let ((users, early), (groups, rows)) =
            tokio::try_join!(users_and_early, self.plan_memberships(select, group_names),)?;
        let rows = match rows {
            Some(rows) => rows,
            None => {
                let ids = scope::group_ids_selected(&groups, select);
                let wire = self.memberships_after(&ids, early).await?;
                convert::rows(wire).map_err(read::bad_record)?
            }
        };
        let users = match users {
            UsersRead::All(users) => users,
            UsersRead::Named { found, head } => {
                self.with_members(found, head, &rows, tally).await?
            }
        };
        Ok(Parts {
            users,
            groups,
            rows,
        })
    }

    /// `found` plus the users of `members` it lacks, read by id (every user when that answer
    /// cannot be trusted).
    async fn members_early(
        &self,
        mut found: Found,
        members: &BTreeSet<u64>,
        tally: Arc<Tally>,
    ) -> Result<UsersRead, CoupaError> {
        let missing: BTreeSet<u64> = members
            .iter()
            .copied()
            .filter(|id| !found.contains_key(id))
            .collect();
        if missing.is_empty() {
            return Ok(UsersRead::Named { found, head: None });
        }
        match self.users_by_id(&missing, tally.clone()).await? {
            Ok(more) => {
                found.extend(more);
                Ok(UsersRead::Named { found, head: None })
            }
            Err(Distrust(why)) => {
                tracing::debug!(reason = %why, "scoped user read not used; reading every user");
                Ok(UsersRead::All(self.all_users_from(None, tally).await?))
            }
        }
    }

    /// Every user, or (with `identities`) those named, when that is expected to be cheaper.
    async fn plan_users(
        &self,
        identities: Option<&[String]>,
        tally: Arc<Tally>,
    ) -> Result<UsersRead, CoupaError> {
        let Some(identities) = identities else {
            let all = self.scan_into(users_query(), tally, convert::user).await?;
            return Ok(UsersRead::All(all));
        };
        let named = users::named_requests(identities);
        let head = if named <= SEND_AT_ONCE && self.inner.opts.read_way != ReadWay::Full {
            tracing::debug!(
                part = "users",
                way = "scoped",
                scoped_requests = named,
                "few names: looked up at once"
            );
            None
        } else {
            let head = self
                .head(users_query(), tally.clone(), 1, convert::user)
                .await?;
            let full = head.rest_requests(self.inner.opts.read_concurrency);
            let way = Way::pick(self.inner.opts.read_way, named, full);
            tracing::debug!(
                part = "users",
                way = way.name(),
                scoped_requests = named,
                full_requests = full,
                users = head.estimated_records(),
                names = identities.len(),
                "plan read: users by name or every user"
            );
            if way == Way::Full {
                let all = self.finish_scan(head, convert::user).await?;
                return Ok(UsersRead::All(all));
            }
            Some(head)
        };
        match self.users_named(identities, tally.clone()).await? {
            Ok(found) => Ok(UsersRead::Named { found, head }),
            Err(Distrust(why)) => {
                tracing::debug!(reason = %why, "scoped user read not used; reading every user");
                Ok(UsersRead::All(self.all_users_from(head, tally).await?))
            }
        }
    }

    /// Every user, going on from `head` when there is one.
    async fn all_users_from(
        &self,
        head: Option<Head<Vec<User>>>,
        tally: Arc<Tally>,
    ) -> Result<Vec<User>, CoupaError> {
        match head {
            Some(head) => self.finish_scan(head, convert::user).await,
            None => self.scan_into(users_query(), tally, convert::user).await,
        }
    }

    /// `found` plus the members of `rows` it lacks, read by id — or every user, when reading
    /// them by id is expected to cost more than the rest of the full read, or cannot be
    /// trusted.
    async fn with_members(
        &self,
        mut found: Found,
        head: Option<Head<Vec<User>>>,
        rows: &[Row],
        tally: Arc<Tally>,
    ) -> Result<Vec<User>, CoupaError> {
        let missing: BTreeSet<u64> = rows
            .iter()
            .filter_map(Row::user_id)
            .filter(|id| !found.contains_key(id))
            .collect();
        if !missing.is_empty() {
            let go_full = head.as_ref().is_some_and(|head| {
                let by_id = users::by_id_requests(&missing);
                let full = head.rest_requests(self.inner.opts.read_concurrency);
                let way = Way::pick(self.inner.opts.read_way, by_id, full);
                tracing::debug!(
                    part = "members",
                    way = way.name(),
                    scoped_requests = by_id,
                    full_requests = full,
                    members = missing.len(),
                    "plan read: members by id or every user"
                );
                way == Way::Full
            });
            if go_full {
                return self.all_users_from(head, tally).await;
            }
            match self.users_by_id(&missing, tally.clone()).await? {
                Ok(more) => found.extend(more),
                Err(Distrust(why)) => {
                    tracing::debug!(reason = %why, "scoped user read not used; reading every user");
                    return self.all_users_from(head, tally).await;
                }
            }
        }
        convert::users(found.into_values()).map_err(read::bad_record)
    }

    /// Every group, and the rows of the groups `select` picks when reading every row cut down
    /// to theirs is expected to be cheaper (`None`: the caller reads the selected groups'
    /// lists, after those read early). Only a policy of
    /// more groups than one list query holds can cost more scoped (one list query costs about
    /// what reading every row does), so only then is the full read's first page read to
    /// compare: beside the groups when the policy names that many, else after them. A few
    /// named groups are looked up by name and read early (`early`).
    async fn plan_memberships(
        &self,
        select: &GroupFilter,
        group_names: &[String],
    ) -> Result<(Vec<WireUserGroup>, Option<Vec<Row>>), CoupaError> {
        let read_way = self.inner.opts.read_way;
        let group_params = [("fields", read::GROUP_FIELDS.to_string())];
        let tally = Tally::new(Some("memberships"));
        let head_now = async {
            if group_names.len() > GROUPS_PER_QUERY && read_way != ReadWay::Scoped {
                let q = memberships_query();
                Ok(Some(
                    self.head(q, tally.clone(), 1, row_of_some_group).await?,
                ))
            } else {
                Ok(None)
            }
        };
        let (groups, head) = tokio::try_join!(
            self.read_all::<WireUserGroup>(Some("groups"), GROUPS, &group_params),
            head_now,
        )?;
        let ids = scope::group_ids_selected(&groups, select);
        let compare = match read_way {
            ReadWay::Scoped => false,
            ReadWay::Full => true,
            ReadWay::Cheaper => ids.len() > GROUPS_PER_QUERY,
        };
        let full_head = if compare {
            let head = match head {
                Some(head) => head,
                None => {
                    let q = memberships_query();
                    self.head(q, tally, 1, row_of_some_group).await?
                }
            };
            self.pick_memberships(&groups, ids.len() as u64, head)
        } else {
            tracing::debug!(
                part = "memberships",
                way = "scoped",
                groups = ids.len(),
                "plan read: the managed groups fit one list query"
            );
            None
        };
        let Some(head) = full_head else {
            return Ok((groups, None));
        };
        let keep: BTreeSet<u64> = ids.into_iter().collect();
        let mut rows = self.finish_scan(head, row_of_some_group).await?;
        rows.retain(|r| r.group_id().is_some_and(|g| keep.contains(&g)));
        rows.shrink_to_fit();
        Ok((groups, Some(rows)))
    }

    /// The full read's head when reading every row is expected to cost fewer requests than
    /// the lists of the `selected` groups (`None`: read those).
    fn pick_memberships(
        &self,
        groups: &[WireUserGroup],
        selected: u64,
        head: Head<Vec<Row>>,
    ) -> Option<Head<Vec<Row>>> {
        let plain = groups.iter().filter(|g| convert::is_plain_group(g)).count() as u64;
        let concurrency = self.inner.opts.read_concurrency;
        let total = head.estimated_records();
        let scoped = choose::chunked_requests(
            selected,
            GROUPS_PER_QUERY as u64,
            choose::share(total, selected, plain),
            concurrency,
        );
        let full = head.rest_requests(concurrency);
        let way = Way::pick(self.inner.opts.read_way, scoped, full);
        tracing::debug!(
            part = "memberships",
            way = way.name(),
            scoped_requests = scoped,
            full_requests = full,
            memberships = total,
            groups = selected,
            of_groups = plain,
            "plan read: memberships of the managed groups or every membership"
        );
        (way == Way::Full).then_some(head)
    }
}
