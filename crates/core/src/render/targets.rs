//! Changes grouped the ways renderers show them: by target and by person.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{Action, Change, ChangeTarget, NameKey, Plan};

/// All changes to one group, role or license, in plan order.
pub(super) struct TargetChanges<'a> {
    pub target: &'a ChangeTarget,
    /// Every change here is written.
    pub applies: bool,
    /// Some change here is written (a held-back role removal makes a target mixed).
    pub any_applies: bool,
    pub privileged: bool,
    pub changes: Vec<&'a Change>,
    /// Index of each of `changes` in `Plan::changes`.
    pub indices: Vec<usize>,
    /// Users with more than one change of the same action here (duplicated live memberships).
    repeated: HashSet<(Action, u64)>,
}

impl TargetChanges<'_> {
    /// Some changes here are written and some reported only: each reported one is marked.
    pub(super) fn mixed(&self) -> bool {
        self.any_applies && !self.applies
    }

    /// `group "AP Clerks" (id 12)`, `role "Admin" (id 1)`, `license "expense"`.
    pub(super) fn title(&self) -> String {
        match self.target.id() {
            Some(id) => format!("{} (id {id})", self.target.describe()),
            None => self.target.describe(),
        }
    }

    pub(super) fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// How to show a change's user: the login, plus the membership id when the same user has
    /// several removals here (duplicated live memberships).
    pub(super) fn user_label(&self, c: &Change) -> String {
        let dup = self.repeated.contains(&(c.action, c.user_id));
        let label = match (dup, c.membership_id) {
            (true, Some(id)) => format!("{} (membership {id})", c.user),
            _ => c.user.clone(),
        };
        match &c.expired {
            Some(e) => format!("{label} ({})", e.label()),
            None => label,
        }
    }
}

/// Groups changes by (kind, target), keeping the order in which targets first appear (plans
/// are sorted by kind and target already).
pub(super) fn by_target(plan: &Plan) -> Vec<TargetChanges<'_>> {
    let mut out: Vec<TargetChanges<'_>> = Vec::new();
    let mut index: HashMap<&ChangeTarget, usize> = HashMap::new();
    for (n, c) in plan.changes.iter().enumerate() {
        let i = *index.entry(&c.target).or_insert_with(|| {
            out.push(TargetChanges {
                target: &c.target,
                applies: c.applies,
                any_applies: false,
                privileged: false,
                changes: Vec::new(),
                indices: Vec::new(),
                repeated: HashSet::new(),
            });
            out.len() - 1
        });
        let t = &mut out[i];
        t.privileged |= c.privileged;
        t.applies &= c.applies;
        t.any_applies |= c.applies;
        t.changes.push(c);
        t.indices.push(n);
    }
    for t in &mut out {
        let mut seen = HashSet::new();
        for c in &t.changes {
            if !seen.insert((c.action, c.user_id)) {
                t.repeated.insert((c.action, c.user_id));
            }
        }
    }
    out
}

/// Changes per person, people ordered by login (case-insensitively), changes in plan order.
pub(super) fn by_person(plan: &Plan) -> Vec<(&str, Vec<&Change>)> {
    let mut people: BTreeMap<(NameKey, &str), Vec<&Change>> = BTreeMap::new();
    for c in &plan.changes {
        people
            .entry((NameKey::new(&c.user), &c.user))
            .or_default()
            .push(c);
    }
    people
        .into_iter()
        .map(|((_, login), changes)| (login, changes))
        .collect()
}
