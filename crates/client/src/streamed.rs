//! A full read whose large resources (users and membership rows) go into runs a caller's
//! [`Spool`] opens as their pages arrive, instead of into `Live`: `snapshot` writes them to
//! disk, so its memory does not grow with the tenant. Groups and roles (a few thousand at
//! most) are held as usual; so is the set of groups' ids that says which rows to keep.

use std::collections::BTreeSet;
use std::sync::Arc;

use coupa_access_core::model::{Group, Membership, Role, User};

use super::convert::{self, Row};
use super::read::{bad_record, user_fields, GROUP_FIELDS, MEMBERSHIPS, MEMBERSHIP_FIELDS, USERS};
use super::scan::{Query, Tally};
use super::spool::{Run, Spool};
use super::wire::WireUserGroup;
use super::{Client, CoupaError};

/// What [`Client::read_everything_into`] read: `Live`'s content, users and memberships as
/// runs. The users of the runs one after the other are `Live::users`; the memberships of
/// the runs one after the other that [`keeps`](Streamed::keeps) are `Live::memberships`.
pub struct Streamed<UR, MR> {
    /// Users, in runs whose records in order ascend by id.
    pub users: Vec<UR>,
    pub groups: Vec<Group>,
    pub projects: Vec<Group>,
    /// Empty when roles are not read (`ClientOptions::read_roles`).
    pub roles: Vec<Role>,
    /// Membership rows of every group not called a project by its rows, in runs whose records
    /// in order ascend by id. Only those [`keeps`](Streamed::keeps) are part of the read.
    pub memberships: Vec<MR>,
    group_ids: BTreeSet<u64>,
}

impl<UR, MR> Streamed<UR, MR> {
    /// Whether a membership row belongs in the read (its group is a plain group: not a
    /// project, not a group created after the groups were listed), as `read_live` keeps it.
    pub fn keeps(&self, m: &Membership) -> bool {
        self.group_ids.contains(&m.group_id)
    }
}

impl Client {
    /// Every user, group, role (when read) and membership, as
    /// [`read_live`](Client::read_live) reads them, with users and memberships kept in runs
    /// `users` and `memberships` open as each page arrives. Nothing is returned unless the
    /// whole read succeeded; runs of a failed read are dropped.
    pub async fn read_everything_into<SU, SM>(
        &self,
        users: Arc<SU>,
        memberships: Arc<SM>,
    ) -> Result<Streamed<SU::Run, SM::Run>, CoupaError>
    where
        SU: Spool<User>,
        SM: Spool<Membership>,
    {
        let users_q = Arc::new(Query::new(USERS, &[("fields", user_fields())]));
        let rows_q = Arc::new(Query::new(
            MEMBERSHIPS,
            &[("fields", MEMBERSHIP_FIELDS.to_string())],
        ));
        let group_params = [("fields", GROUP_FIELDS.to_string())];
        let (users, groups, rows, roles) = tokio::try_join!(
            self.scan_spooled(users_q, Tally::new(Some("users")), convert::user, users),
            self.read_all::<WireUserGroup>(Some("groups"), super::read::GROUPS, &group_params),
            self.scan_spooled(
                rows_q,
                Tally::new(Some("memberships")),
                convert::row,
                Arc::new(Rows(memberships)),
            ),
            self.read_roles(),
        )?;
        let mut project_ids = BTreeSet::new();
        let memberships = rows
            .into_iter()
            .map(|r| {
                project_ids.extend(r.projects);
                r.plain
            })
            .collect();
        let (groups, projects) = convert::split_groups(groups, &project_ids).map_err(bad_record)?;
        let roles = convert::roles(roles).map_err(bad_record)?;
        Ok(Streamed {
            users,
            group_ids: groups.iter().map(|g| g.id).collect(),
            groups,
            projects,
            roles,
            memberships,
        })
    }
}

/// Membership rows into a caller's spool of memberships: a plain row goes to its run, a
/// project's row leaves only its group id (that group is a project).
struct Rows<S>(Arc<S>);

struct RowRun<R> {
    plain: R,
    projects: BTreeSet<u64>,
}

impl<S: Spool<Membership>> Spool<Row> for Rows<S> {
    type Run = RowRun<S::Run>;
    fn run(&self) -> Result<Self::Run, String> {
        Ok(RowRun {
            plain: self.0.run()?,
            projects: BTreeSet::new(),
        })
    }
}

impl<R: Run<Membership>> Run<Row> for RowRun<R> {
    fn push(&mut self, record: Row) -> Result<(), String> {
        match record {
            Row::Plain(m) => self.plain.push(m),
            Row::Project(g) => {
                self.projects.extend(g);
                Ok(())
            }
        }
    }
}
