//! Step 1 of `--changed-since`: the two policies compared as declared, before Coupa is read.
//! Names and identities compare by [`NameKey`] and line positions are ignored, so moving a
//! block or re-indenting a file changes nothing; anything that may change what a target means
//! against any tenant counts (a superset of the bound comparison in `meaning`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::model::{
    Desired, EveryTarget, GroupRemovals, Kind, MaxRemovals, Member, Mode, NameKey, SodRule, Target,
    WarningCode, Writes,
};

use super::{targets_of, Changes, TargetKey};

/// A member as compared: who (by key) and the time-bound grant, if any.
type MemberForm = (NameKey, Option<(NaiveDate, Option<String>)>);

fn member(m: &Member) -> MemberForm {
    (
        NameKey::new(&m.identity),
        m.grant.as_ref().map(|g| (g.until, g.reason.clone())),
    )
}

/// One target as declared, every spelling of its name merged (as `bind` merges them).
#[derive(Debug, Default, PartialEq, Eq)]
struct TargetForm {
    /// The mode of each explicit declaration, in order (implicit ones have no say).
    modes: Vec<Mode>,
    remove_owners: bool,
    id: Option<u64>,
    /// In order: the first listing of a person is the one that counts.
    members: Vec<MemberForm>,
}

fn target_forms(d: &Desired) -> BTreeMap<TargetKey, TargetForm> {
    let mut out: BTreeMap<TargetKey, TargetForm> = BTreeMap::new();
    for (key, _, t) in targets_of(d) {
        let f = out.entry(key).or_default();
        add(f, t);
    }
    out
}

fn add(f: &mut TargetForm, t: &Target) {
    if !t.implicit {
        f.modes.push(t.mode);
    }
    f.remove_owners |= !t.implicit && t.remove_owners;
    f.id = f.id.or(t.id);
    f.members.extend(t.members.iter().map(member));
}

/// An acknowledgement as compared: the code, the user and the target, by key.
type AckForm = (WarningCode, Option<NameKey>, Option<(Kind, NameKey)>);

/// The settings as compared: every one of them affects every target.
#[derive(Debug, PartialEq)]
struct SettingsForm {
    protected: BTreeSet<NameKey>,
    max_removals: MaxRemovals,
    writes: Writes,
    group_removals: GroupRemovals,
    acknowledge: BTreeSet<AckForm>,
    expiry_window: u32,
    require_reason: bool,
}

fn settings_form(d: &Desired) -> SettingsForm {
    let s = &d.settings;
    SettingsForm {
        protected: s
            .protected_users
            .iter()
            .map(|m| NameKey::new(&m.identity))
            .collect(),
        max_removals: s.max_removals,
        writes: s.writes.clone(),
        group_removals: s.group_removals,
        acknowledge: s
            .acknowledge
            .iter()
            .map(|a| {
                (
                    a.code,
                    a.user.as_deref().map(NameKey::new),
                    a.target.as_ref().map(|(k, n)| (*k, NameKey::new(n))),
                )
            })
            .collect(),
        expiry_window: s.expiry_window(),
        require_reason: s.require_reason,
    }
}

/// A separation-of-duties rule as compared (its description says nothing).
#[derive(Debug, PartialEq, Eq)]
struct RuleForm {
    name: String,
    sides: Vec<BTreeSet<TargetKey>>,
    exceptions: Vec<(MemberForm, NaiveDate, Option<String>, Option<String>)>,
}

fn rule_form(r: &SodRule) -> RuleForm {
    RuleForm {
        name: r.name.clone(),
        sides: r.sides.iter().map(side_keys).collect(),
        exceptions: r
            .exceptions
            .iter()
            .map(|e| {
                (
                    member(&e.user),
                    e.until,
                    e.ticket.clone(),
                    e.approved_by.clone(),
                )
            })
            .collect(),
    }
}

fn side_keys(s: &crate::model::SodSide) -> BTreeSet<TargetKey> {
    s.targets
        .iter()
        .map(|(kind, name, _)| TargetKey::new(*kind, name))
        .collect()
}

/// Which targets of `head` may mean something else than in `base`: added, dropped or edited
/// targets, and every target on a side of a separation-of-duties rule that was added, dropped
/// or edited (its exceptions included). Settings that differ mean every target.
pub fn declared_changes(base: &Desired, head: &Desired) -> Changes {
    if settings_form(base) != settings_form(head) {
        return Changes::Every(EveryTarget::SettingsChanged);
    }
    let (old, new) = (target_forms(base), target_forms(head));
    let mut changed: BTreeSet<TargetKey> = old
        .keys()
        .chain(new.keys())
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect();
    let (old_rules, new_rules): (Vec<_>, Vec<_>) = (
        base.sod_rules.iter().map(|r| (r, rule_form(r))).collect(),
        head.sod_rules.iter().map(|r| (r, rule_form(r))).collect(),
    );
    let gone = |one: &[(&SodRule, RuleForm)], other: &[(&SodRule, RuleForm)]| {
        one.iter()
            .filter(|(_, f)| !other.iter().any(|(_, g)| g == f))
            .flat_map(|(r, _)| r.sides.iter().flat_map(side_keys))
            .collect::<Vec<_>>()
    };
    changed.extend(gone(&old_rules, &new_rules));
    changed.extend(gone(&new_rules, &old_rules));
    Changes::Targets(changed)
}
