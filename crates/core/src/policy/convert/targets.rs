//! Declared targets (`groups:`, `roles:`, `licenses:`) and the per-person `users:` form.

use std::collections::HashMap;

use super::seen::Seen;
use super::{loc, slot, Cx, Entry, Kind, GROUP_FIELDS, TARGET_FIELDS, USER_FIELDS};
use crate::model::{Grant, License, Loc, Member, Mode, NameKey, Target};
use crate::policy::diagnostic::PolicyDiagnostic;
use crate::policy::suggest::closest;
use crate::policy::yaml::{Node, Value};
use crate::policy::Code;

impl Cx<'_> {
    /// Checks a license key, suggesting the right spelling.
    pub(super) fn license_key(&mut self, name: &str, at: Loc) -> bool {
        if License::from_key(name).is_some() {
            return true;
        }
        let keys = License::ALL.map(License::key);
        let stripped = name
            .strip_suffix("-user")
            .filter(|s| License::from_key(s).is_some());
        let help = match stripped.or_else(|| closest(name, keys)) {
            Some(s) => format!("write `{s}`; licenses are: {}", keys.join(", ")),
            None => format!("licenses are: {}", keys.join(", ")),
        };
        self.error(
            Code::UnknownLicense,
            format!("unknown license `{name}`"),
            at,
            "not a license",
            Some(help),
        );
        false
    }

    pub(super) fn declare(&mut self, kind: Kind, file: usize, section: &Node) {
        let what = format!("`{}s`", kind.word());
        let help = Some(format!(
            "write `{}s:` followed by indented names",
            kind.word()
        ));
        let pairs = self.map(file, section, &what, help);
        for (key, body) in pairs {
            let Some(name) = self.key(file, key) else {
                continue;
            };
            if kind == Kind::License && !self.license_key(&name, loc(file, key)) {
                continue;
            }
            let at = loc(file, key);
            let folded = NameKey::new(&name);
            let duplicate = self.by_name[slot(kind)].get(&folded).copied();
            // Where the "declared twice" diagnostic is, to name a mode conflict in its help.
            let twice_at = self.diags.len();
            if let Some(i) = duplicate {
                let first = self.targets[slot(kind)][i].target.loc;
                let d = PolicyDiagnostic::error(
                    Code::DuplicateTarget,
                    format!("{} `{name}` is declared twice", kind.word()),
                )
                .label(self.sources, at, "declared again here")
                .label(self.sources, first, "first declared here")
                .help("declare each one once (names match case-insensitively); merge the entries");
                self.diags.push(d);
                // Its body is still checked below (every problem in one run), then discarded.
            }
            // Problems in the body are reported as they are; "no members" only for a body
            // that is otherwise sound (an unknown `membrs:` is the real problem).
            let problems_before = self.diags.len();
            let context = format!("{} `{name}`", kind.word());
            let help = Some(format!("write `{name}: {{ members: [...] }}`"));
            let body_pairs = self.map(file, body, &context, help);
            let mut target = Target {
                name: name.clone(),
                loc: at,
                ..Target::default()
            };
            let mut members = Vec::new();
            // Whether `members` is written with a value (a list, even `[]`): a target left
            // without one would, read as empty, plan the removal of everyone in it.
            let mut members_written = false;
            let filtered;
            let (allowed, body_pairs): (_, &[(Node, Node)]) = if kind == Kind::Group {
                (GROUP_FIELDS, body_pairs)
            } else if body_pairs.iter().any(|(k, _)| is_remove_owners(k)) {
                filtered = self.without_remove_owners(file, kind, &context, body_pairs);
                (TARGET_FIELDS, &filtered)
            } else {
                (TARGET_FIELDS, body_pairs)
            };
            for (field, _, value) in self.fields(file, body_pairs, allowed, &context) {
                match field {
                    "remove_owners" => target.remove_owners = self.flag(file, value, field),
                    "id" => target.id = self.group_id(file, value),
                    "description" => match &value.value {
                        Value::Null(_) => {}
                        Value::Scalar(s) => target.description = Some(s.to_string()),
                        _ => self.wrong_type(file, value, "`description`", "text", None),
                    },
                    "mode" => target.mode = self.mode(file, value),
                    _ => {
                        members_written = !matches!(value.value, Value::Null(_));
                        members = self.grant_list(file, value, "`members`", "user");
                    }
                }
            }
            if let Some(i) = duplicate {
                let first = self.targets[slot(kind)][i].target.mode;
                // A body with problems (an invalid `mode`) says nothing sure about its mode.
                if first != target.mode && self.diags.len() == problems_before {
                    self.conflicting_modes(twice_at, first, target.mode);
                }
            }
            if !members_written
                && target.mode == Mode::Authoritative
                && self.diags.len() == problems_before
            {
                self.empty_target(kind, &name, at, body);
            }
            let index = self.targets[slot(kind)].len();
            target.members.reserve_exact(members.len());
            self.targets[slot(kind)].push(Entry {
                target,
                seen: Seen::with_capacity(members.len()),
            });
            if duplicate.is_none() {
                self.by_name[slot(kind)].insert(folded, index);
            }
            for (identity, at, grant) in members {
                self.add_member(kind, index, identity, at, at, "listed again here", grant);
            }
        }
    }

    /// Says in the "declared twice" diagnostic at `at` that the two declarations also
    /// disagree on the mode: whether unlisted members are removed is for one entry to decide.
    fn conflicting_modes(&mut self, at: usize, first: Mode, again: Mode) {
        let word = |m: Mode| match m {
            Mode::Authoritative => "authoritative",
            Mode::Additive => "additive",
        };
        let d = self.diags.remove(at).help(format!(
            "declare each one once (names match case-insensitively): the first is {}, this one {}, so whether members not listed are removed is unclear; merge the entries under one `mode`",
            word(first),
            word(again)
        ));
        self.diags.insert(at, d);
    }

    /// An authoritative target declared without `members` (no body, `{}`, or `members:` with
    /// nothing after it): read as an empty list it would remove everyone, which is almost
    /// never what was meant, so it must be said with `members: []`.
    fn empty_target(&mut self, kind: Kind, name: &str, at: Loc, body: &Node) {
        let what = match &body.value {
            Value::Null(_) => "has no body",
            _ => "lists no `members`",
        };
        self.error(
            Code::EmptyTarget,
            format!(
                "{} `{name}` {what}: as written, the plan would remove everyone from it",
                kind.word()
            ),
            at,
            "no members written",
            Some(format!(
                "list its members; to empty it on purpose write `members: []`, or `mode: additive` to manage only additions (`{name}: {{ members: [] }}`)"
            )),
        );
    }

    /// The pairs of a role's or license's body without `remove_owners`, which is reported
    /// with its own error (it means something for groups, so "unknown field" would mislead).
    fn without_remove_owners<'t>(
        &mut self,
        file: usize,
        kind: Kind,
        context: &str,
        pairs: &[(Node<'t>, Node<'t>)],
    ) -> Vec<(Node<'t>, Node<'t>)> {
        let mut out = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            if is_remove_owners(k) {
                self.error(
                    Code::RemoveOwnersNotGroup,
                    format!("`remove_owners` applies only to groups, not to {context}"),
                    loc(file, k),
                    "groups only",
                    Some(format!(
                        "remove it: {}s have no owners; {context} accepts: {}",
                        kind.word(),
                        TARGET_FIELDS.join(", ")
                    )),
                );
                continue;
            }
            out.push((k.clone(), v.clone()));
        }
        out
    }

    /// A `true`/`false` field; anything else is reported (and reads as `false`, the safe side).
    pub(super) fn flag(&mut self, file: usize, node: &Node, field: &str) -> bool {
        match &node.value {
            Value::Scalar(s) if !node.quoted && s == "true" => true,
            Value::Scalar(s) if !node.quoted && s == "false" => false,
            _ => {
                let help = Some(format!("write `{field}: true` or `{field}: false`"));
                self.wrong_type(file, node, &format!("`{field}`"), "true or false", help);
                false
            }
        }
    }

    /// A group's Coupa id: a whole number from 1, unquoted.
    fn group_id(&mut self, file: usize, node: &Node) -> Option<u64> {
        let help = || Some("the Coupa id of the group meant, e.g. `id: 123`".to_string());
        match &node.value {
            Value::Scalar(s) if !node.quoted => match s.trim().parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    self.error(
                        Code::WrongType,
                        "`id` must be a whole number from 1".into(),
                        loc(file, node),
                        "not a group id",
                        help(),
                    );
                    None
                }
            },
            Value::Scalar(s) => {
                let help = Some(format!("write the id without quotes: `id: {s}`"));
                self.wrong_type(file, node, "`id`", "a whole number", help);
                None
            }
            _ => {
                self.wrong_type(file, node, "`id`", "a whole number", help());
                None
            }
        }
    }

    fn mode(&mut self, file: usize, node: &Node) -> Mode {
        match &node.value {
            Value::Scalar(s) if s == "authoritative" => Mode::Authoritative,
            Value::Scalar(s) if s == "additive" => Mode::Additive,
            _ => {
                let written = match &node.value {
                    Value::Scalar(s) => s,
                    _ => "",
                };
                let help = match closest(written, ["authoritative", "additive"]) {
                    Some(s) => format!("did you mean `{s}`? `mode` is `authoritative` (the default) or `additive`"),
                    None => "`mode` is `authoritative` (the default: members not listed are removed) or `additive` (nobody is removed)".into(),
                };
                self.error(
                    Code::BadMode,
                    "invalid `mode`".into(),
                    loc(file, node),
                    "not a mode",
                    Some(help),
                );
                Mode::Authoritative
            }
        }
    }

    /// Adds a member, reporting it when the same identity is already in that target.
    /// `label_at` is where to point for a duplicate (for the `users:` form: the target's name in
    /// that person's list), `member_at` is the member's own `Loc`.
    #[allow(clippy::too_many_arguments)]
    fn add_member(
        &mut self,
        kind: Kind,
        index: usize,
        identity: String,
        member_at: Loc,
        label_at: Loc,
        again: &str,
        grant: Option<Box<Grant>>,
    ) {
        let entry = &mut self.targets[slot(kind)][index];
        let members = &entry.target.members;
        if let Err(first) = entry.seen.add(members, &identity, member_at, label_at) {
            let d = PolicyDiagnostic::error(
                Code::DuplicateMember,
                format!("`{identity}` is listed twice for {} `{}`", kind.word(), entry.target.name),
            )
            .label(self.sources, label_at, again)
            .label(self.sources, first, "first listed here")
            .help("list each person once per group, role or license (identities match case-insensitively)");
            self.diags.push(d);
            return;
        }
        entry.target.members.push(Member {
            identity: identity.into(),
            loc: member_at,
            grant,
        });
    }

    /// Second pass: the per-person form. A target named here that no section declares becomes an
    /// implicit, additive target.
    pub(super) fn users(&mut self, file: usize, section: &Node) {
        let help = Some("write `users:` followed by indented logins or emails".to_string());
        let pairs = self.map(file, section, "`users`", help);
        let mut seen_here: HashMap<NameKey, Loc> = HashMap::new();
        for (key, body) in pairs {
            let Some(identity) = self.key(file, key) else {
                continue;
            };
            let identity = identity.trim().to_string();
            let at = loc(file, key);
            if let Some(&first) = seen_here.get(&NameKey::new(&identity)) {
                let d = PolicyDiagnostic::error(
                    Code::DuplicateKey,
                    format!("`{identity}` is written twice in `users`"),
                )
                .label(self.sources, at, "written again here")
                .label(self.sources, first, "first written here")
                .help("merge the two entries");
                self.diags.push(d);
                continue;
            }
            seen_here.insert(NameKey::new(&identity), at);
            let context = format!("user `{identity}`");
            let help = Some(format!("write `{identity}: {{ groups: [...] }}`"));
            let body_pairs = self.map(file, body, &context, help);
            for (field, _, value) in self.fields(file, body_pairs, USER_FIELDS, &context) {
                let kind = match field {
                    "groups" => Kind::Group,
                    "roles" => Kind::Role,
                    _ => Kind::License,
                };
                for (name, name_at, grant) in
                    self.grant_list(file, value, &format!("`{field}`"), "name")
                {
                    if kind == Kind::License && !self.license_key(&name, name_at) {
                        continue;
                    }
                    let index = self.implicit(kind, &name, name_at);
                    self.add_member(
                        kind,
                        index,
                        identity.clone(),
                        at,
                        name_at,
                        "listed again here, via `users`",
                        grant,
                    );
                }
            }
        }
    }

    /// The index of the target `name`, creating an implicit one when none is declared.
    fn implicit(&mut self, kind: Kind, name: &str, at: Loc) -> usize {
        let folded = NameKey::new(name);
        if let Some(&i) = self.by_name[slot(kind)].get(&folded) {
            return i;
        }
        let index = self.targets[slot(kind)].len();
        self.targets[slot(kind)].push(Entry {
            target: Target {
                name: name.to_string(),
                mode: Mode::Additive,
                description: None,
                members: Vec::new(),
                loc: at,
                implicit: true,
                remove_owners: false,
                id: None,
            },
            seen: Seen::default(),
        });
        self.by_name[slot(kind)].insert(folded, index);
        index
    }
}

/// A `remove_owners` key.
fn is_remove_owners(key: &Node) -> bool {
    matches!(&key.value, Value::Scalar(s) if s == "remove_owners")
}
