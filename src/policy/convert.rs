//! Turns parsed policy files into one merged [`Desired`], collecting every problem on the way.
//!
//! Two passes: first every file's `groups:`, `roles:`, `licenses:` and `settings:`, so that the
//! per-person `users:` form (second pass) sees every declared target whatever file it is in.

use std::collections::{BTreeMap, HashMap};

use miette::Severity;

use super::diagnostic::{PolicyDiagnostic, Sources};
use super::suggest::closest;
use super::yaml::{self, Node, Value};
use crate::model::{
    fold, Desired, License, Loc, MaxRemovals, Member, Mode, PolicyFile, Settings, Target,
};

const TOP_LEVEL: &[&str] = &["groups", "roles", "licenses", "users", "settings"];
const TARGET_FIELDS: &[&str] = &["description", "mode", "members"];
const USER_FIELDS: &[&str] = &["groups", "roles", "licenses"];
const SETTINGS_FIELDS: &[&str] = &["protected_users", "max_removals"];
const MAX_REMOVALS_FIELDS: &[&str] = &["total", "per_group_fraction"];

/// Which kind of target a section declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Group,
    Role,
    License,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::License => "license",
        }
    }
    fn index(self) -> usize {
        self as usize
    }
}

/// A target being assembled, with who is already in it (folded identity -> where it was listed).
struct Entry {
    target: Target,
    seen: HashMap<String, Loc>,
}

/// Reads, validates and merges policy files (any order; they are sorted by path here).
pub(crate) fn convert(mut files: Vec<PolicyFile>) -> Result<Desired, Vec<PolicyDiagnostic>> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let sources = Sources::new(&files);
    let mut cx = Cx {
        sources: &sources,
        diags: Vec::new(),
        targets: [Vec::new(), Vec::new(), Vec::new()],
        by_name: [HashMap::new(), HashMap::new(), HashMap::new()],
        settings: Settings::default(),
        settings_loc: None,
    };

    let mut users_sections: Vec<(usize, Node)> = Vec::new();
    for (file, f) in files.iter().enumerate() {
        let docs = match yaml::parse(&f.text) {
            Ok(docs) => docs,
            Err(e) => {
                // libyaml reports an unexpected end at the very end of the text, where miette
                // draws no label; point at the last written character instead.
                let end = f.text.trim_end().len();
                let offset = if e.offset >= end {
                    end.saturating_sub(1)
                } else {
                    e.offset
                };
                let loc = Loc {
                    file,
                    offset,
                    len: 1,
                };
                let d = PolicyDiagnostic::error(
                    "policy::yaml_syntax",
                    format!("invalid YAML: {}", e.message),
                )
                .label(&sources, loc, "here")
                .help("fix the YAML syntax; nothing else in this file was read");
                cx.diags.push(d);
                continue;
            }
        };
        for doc in docs {
            cx.top_level(file, doc, &mut users_sections);
        }
    }
    for (file, node) in &users_sections {
        cx.users(*file, node);
    }

    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    let [groups, roles, licenses] = cx.targets;
    let keyed = |v: Vec<Entry>| -> BTreeMap<String, Target> {
        v.into_iter()
            .map(|e| (e.target.name.clone(), e.target))
            .collect()
    };
    Ok(Desired {
        groups: keyed(groups),
        roles: keyed(roles),
        licenses: licenses
            .into_iter()
            .filter_map(|e| License::from_key(&e.target.name).map(|l| (l, e.target)))
            .collect(),
        settings: cx.settings,
        policy_digest: digest(&files),
        files,
    })
}

/// `sha256:<hex>` over each file's path, a NUL, its length (u64 little-endian) and its text,
/// in path order — so renaming or moving a file changes the digest too.
pub(crate) fn digest(files: &[PolicyFile]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update([0u8]);
        h.update((f.text.len() as u64).to_le_bytes());
        h.update(f.text.as_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

struct Cx<'s> {
    sources: &'s Sources,
    diags: Vec<PolicyDiagnostic>,
    /// Per kind (group, role, license), in the order first named.
    targets: [Vec<Entry>; 3],
    /// Per kind: folded name -> index into `targets`.
    by_name: [HashMap<String, usize>; 3],
    settings: Settings,
    settings_loc: Option<Loc>,
}

fn loc(file: usize, node: &Node) -> Loc {
    Loc {
        file,
        offset: node.span.offset,
        len: node.span.len,
    }
}

impl Cx<'_> {
    fn error(
        &mut self,
        code: &'static str,
        message: String,
        at: Loc,
        label: &str,
        help: Option<String>,
    ) {
        let mut d =
            PolicyDiagnostic::new(Severity::Error, code, message).label(self.sources, at, label);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.diags.push(d);
    }

    fn wrong_type(
        &mut self,
        file: usize,
        node: &Node,
        what: &str,
        expected: &str,
        help: Option<String>,
    ) {
        let message = format!("{what} must be {expected}, not {}", node.type_name());
        self.error(
            "policy::wrong_type",
            message,
            loc(file, node),
            &format!("expected {expected}"),
            help,
        );
    }

    /// The pairs of a mapping; nothing (null) counts as an empty mapping.
    fn map<'n>(
        &mut self,
        file: usize,
        node: &'n Node,
        what: &str,
        help: Option<String>,
    ) -> &'n [(Node, Node)] {
        match &node.value {
            Value::Map(pairs) => pairs,
            Value::Null(_) => &[],
            _ => {
                self.wrong_type(file, node, what, "a mapping", help);
                &[]
            }
        }
    }

    /// A key as text, or `None` (reported) when it is not a plain value.
    fn key(&mut self, file: usize, key: &Node) -> Option<String> {
        match &key.value {
            Value::Scalar(s) | Value::Null(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => {
                self.error(
                    "policy::bad_key",
                    "a key must be a non-empty name".into(),
                    loc(file, key),
                    "this key",
                    None,
                );
                None
            }
        }
    }

    /// Known fields of a mapping, reporting unknown and repeated ones.
    fn fields<'n>(
        &mut self,
        file: usize,
        pairs: &'n [(Node, Node)],
        allowed: &'static [&'static str],
        context: &str,
    ) -> Vec<(&'static str, &'n Node, &'n Node)> {
        let mut out: Vec<(&'static str, &'n Node, &'n Node)> = Vec::new();
        for (k, v) in pairs {
            let Some(name) = self.key(file, k) else {
                continue;
            };
            let Some(field) = allowed.iter().copied().find(|a| *a == name) else {
                let help = match closest(&name, allowed.iter().copied()) {
                    Some(s) => format!(
                        "did you mean `{s}`? {context} accepts: {}",
                        allowed.join(", ")
                    ),
                    None => format!("{context} accepts: {}", allowed.join(", ")),
                };
                let message = if allowed == TOP_LEVEL {
                    format!("unknown top-level key `{name}`")
                } else {
                    format!("unknown field `{name}` in {context}")
                };
                self.error(
                    "policy::unknown_field",
                    message,
                    loc(file, k),
                    "unknown field",
                    Some(help),
                );
                continue;
            };
            if let Some((_, first, _)) = out.iter().find(|(f, _, _)| *f == field) {
                let d = PolicyDiagnostic::error(
                    "policy::duplicate_key",
                    format!("`{field}` is written twice in {context}"),
                )
                .label(self.sources, loc(file, k), "written again here")
                .label(self.sources, loc(file, first), "first written here")
                .help("keep one of them");
                self.diags.push(d);
                continue;
            }
            out.push((field, k, v));
        }
        out
    }

    /// A list of names (members, or the groups/roles/licenses of one user). A single value where
    /// a list belongs is an error: silently accepting it invites `members: alice, bob`.
    fn list(&mut self, file: usize, node: &Node, what: &str) -> Vec<(String, Loc)> {
        match &node.value {
            Value::Null(_) => Vec::new(),
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Scalar(s) if !s.trim().is_empty() => {
                            out.push((s.trim().to_string(), loc(file, item)))
                        }
                        Value::Scalar(_) | Value::Null(_) => self.error(
                            "policy::empty_entry",
                            format!("empty entry in {what}"),
                            loc(file, item),
                            "empty entry",
                            Some("remove it, or write a name".into()),
                        ),
                        _ => self.wrong_type(
                            file,
                            item,
                            &format!("each entry of {what}"),
                            "a name",
                            None,
                        ),
                    }
                }
                out
            }
            Value::Scalar(s) => {
                let help = Some(format!("write a list: `[{s}]`"));
                self.wrong_type(file, node, what, "a list", help);
                Vec::new()
            }
            Value::Map(_) => {
                self.wrong_type(file, node, what, "a list", None);
                Vec::new()
            }
        }
    }

    fn top_level(&mut self, file: usize, doc: Node, users: &mut Vec<(usize, Node)>) {
        let help = Some(format!(
            "a policy file is a mapping with any of: {}",
            TOP_LEVEL.join(", ")
        ));
        let pairs = self.map(file, &doc, "a policy file", help);
        for (name, key, value) in self.fields(file, pairs, TOP_LEVEL, "a policy file") {
            match name {
                "groups" => self.declare(Kind::Group, file, value),
                "roles" => self.declare(Kind::Role, file, value),
                "licenses" => self.declare(Kind::License, file, value),
                "users" => users.push((file, value.clone())),
                _ => self.settings(file, key, value),
            }
        }
    }

    /// Checks a license key, suggesting the right spelling.
    fn license_key(&mut self, name: &str, at: Loc) -> bool {
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
            "policy::unknown_license",
            format!("unknown license `{name}`"),
            at,
            "not a license",
            Some(help),
        );
        false
    }

    fn declare(&mut self, kind: Kind, file: usize, section: &Node) {
        let what = format!("`{}s`", kind.noun());
        let help = Some(format!(
            "write `{}s:` followed by indented names",
            kind.noun()
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
            let folded = fold(&name);
            let duplicate = self.by_name[kind.index()].get(&folded).copied();
            if let Some(i) = duplicate {
                let first = self.targets[kind.index()][i].target.loc;
                let d = PolicyDiagnostic::error(
                    "policy::duplicate_target",
                    format!("{} `{name}` is declared twice", kind.noun()),
                )
                .label(self.sources, at, "declared again here")
                .label(self.sources, first, "first declared here")
                .help("declare each one once (names match case-insensitively); merge the entries");
                self.diags.push(d);
                // Its body is still checked below (every problem in one run), then discarded.
            }
            let context = format!("{} `{name}`", kind.noun());
            let help = Some(format!("write `{name}: {{ members: [...] }}`"));
            let body_pairs = self.map(file, body, &context, help);
            let mut target = Target {
                name: name.clone(),
                loc: at,
                ..Target::default()
            };
            let mut members = Vec::new();
            for (field, _, value) in self.fields(file, body_pairs, TARGET_FIELDS, &context) {
                match field {
                    "description" => match &value.value {
                        Value::Null(_) => {}
                        Value::Scalar(s) => target.description = Some(s.clone()),
                        _ => self.wrong_type(file, value, "`description`", "text", None),
                    },
                    "mode" => target.mode = self.mode(file, value),
                    _ => members = self.list(file, value, "`members`"),
                }
            }
            let index = self.targets[kind.index()].len();
            self.targets[kind.index()].push(Entry {
                target,
                seen: HashMap::new(),
            });
            if duplicate.is_none() {
                self.by_name[kind.index()].insert(folded, index);
            }
            for (identity, at) in members {
                self.add_member(kind, index, identity, at, at, "listed again here");
            }
        }
    }

    fn mode(&mut self, file: usize, node: &Node) -> Mode {
        match &node.value {
            Value::Scalar(s) if s == "authoritative" => Mode::Authoritative,
            Value::Scalar(s) if s == "additive" => Mode::Additive,
            _ => {
                let written = match &node.value {
                    Value::Scalar(s) => s.as_str(),
                    _ => "",
                };
                let help = match closest(written, ["authoritative", "additive"]) {
                    Some(s) => format!("did you mean `{s}`? `mode` is `authoritative` (the default) or `additive`"),
                    None => "`mode` is `authoritative` (the default: members not listed are removed) or `additive` (nobody is removed)".into(),
                };
                self.error(
                    "policy::bad_mode",
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
    fn add_member(
        &mut self,
        kind: Kind,
        index: usize,
        identity: String,
        member_at: Loc,
        label_at: Loc,
        again: &str,
    ) {
        let entry = &mut self.targets[kind.index()][index];
        let key = fold(&identity);
        if let Some(&first) = entry.seen.get(&key) {
            let d = PolicyDiagnostic::error(
                "policy::duplicate_member",
                format!("`{identity}` is listed twice for {} `{}`", kind.noun(), entry.target.name),
            )
            .label(self.sources, label_at, again)
            .label(self.sources, first, "first listed here")
            .help("list each person once per group, role or license (identities match case-insensitively)");
            self.diags.push(d);
            return;
        }
        entry.seen.insert(key, label_at);
        entry.target.members.push(Member {
            identity,
            loc: member_at,
        });
    }

    /// Second pass: the per-person form. A target named here that no section declares becomes an
    /// implicit, additive target.
    fn users(&mut self, file: usize, section: &Node) {
        let help = Some("write `users:` followed by indented logins or emails".to_string());
        let pairs = self.map(file, section, "`users`", help);
        let mut seen_here: HashMap<String, Loc> = HashMap::new();
        for (key, body) in pairs {
            let Some(identity) = self.key(file, key) else {
                continue;
            };
            let identity = identity.trim().to_string();
            let at = loc(file, key);
            if let Some(&first) = seen_here.get(&fold(&identity)) {
                let d = PolicyDiagnostic::error(
                    "policy::duplicate_key",
                    format!("`{identity}` is written twice in `users`"),
                )
                .label(self.sources, at, "written again here")
                .label(self.sources, first, "first written here")
                .help("merge the two entries");
                self.diags.push(d);
                continue;
            }
            seen_here.insert(fold(&identity), at);
            let context = format!("user `{identity}`");
            let help = Some(format!("write `{identity}: {{ groups: [...] }}`"));
            let body_pairs = self.map(file, body, &context, help);
            for (field, _, value) in self.fields(file, body_pairs, USER_FIELDS, &context) {
                let kind = match field {
                    "groups" => Kind::Group,
                    "roles" => Kind::Role,
                    _ => Kind::License,
                };
                for (name, name_at) in self.list(file, value, &format!("`{field}`")) {
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
                    );
                }
            }
        }
    }

    /// The index of the target `name`, creating an implicit one when none is declared.
    fn implicit(&mut self, kind: Kind, name: &str, at: Loc) -> usize {
        let folded = fold(name);
        if let Some(&i) = self.by_name[kind.index()].get(&folded) {
            return i;
        }
        let index = self.targets[kind.index()].len();
        self.targets[kind.index()].push(Entry {
            target: Target {
                name: name.to_string(),
                mode: Mode::Additive,
                description: None,
                members: Vec::new(),
                loc: at,
                implicit: true,
            },
            seen: HashMap::new(),
        });
        self.by_name[kind.index()].insert(folded, index);
        index
    }

    fn settings(&mut self, file: usize, key: &Node, body: &Node) {
        let at = loc(file, key);
        if let Some(first) = self.settings_loc {
            let d = PolicyDiagnostic::error(
                "policy::duplicate_settings",
                "`settings` is written more than once",
            )
            .label(self.sources, at, "settings again here")
            .label(self.sources, first, "first settings here")
            .help("keep all settings in one block in one file");
            self.diags.push(d);
            return;
        }
        self.settings_loc = Some(at);
        let pairs = self.map(file, body, "`settings`", None);
        for (field, _, value) in self.fields(file, pairs, SETTINGS_FIELDS, "`settings`") {
            if field == "protected_users" {
                let mut seen: HashMap<String, Loc> = HashMap::new();
                for (identity, at) in self.list(file, value, "`protected_users`") {
                    if let Some(&first) = seen.get(&fold(&identity)) {
                        let d = PolicyDiagnostic::error(
                            "policy::duplicate_member",
                            format!("`{identity}` is listed twice in `protected_users`"),
                        )
                        .label(self.sources, at, "listed again here")
                        .label(self.sources, first, "first listed here")
                        .help("list each person once");
                        self.diags.push(d);
                        continue;
                    }
                    seen.insert(fold(&identity), at);
                    self.settings
                        .protected_users
                        .push(Member { identity, loc: at });
                }
            } else {
                self.settings.max_removals = self.max_removals(file, value);
            }
        }
    }

    fn max_removals(&mut self, file: usize, node: &Node) -> MaxRemovals {
        let mut out = MaxRemovals::default();
        let help =
            Some("write `max_removals: { total: 25, per_group_fraction: 0.25 }`".to_string());
        let pairs = self.map(file, node, "`max_removals`", help);
        for (field, _, value) in self.fields(file, pairs, MAX_REMOVALS_FIELDS, "`max_removals`") {
            let text = match &value.value {
                Value::Null(_) => continue,
                Value::Scalar(s) => s.trim().to_string(),
                _ => {
                    self.wrong_type(file, value, &format!("`{field}`"), "a number", None);
                    continue;
                }
            };
            let at = loc(file, value);
            if field == "total" {
                match text.parse::<i64>() {
                    Ok(n) if n >= 0 => out.total = Some(n as usize),
                    Ok(_) => self.error(
                        "policy::bad_setting",
                        "`total` must not be negative".into(),
                        at,
                        "negative",
                        Some(
                            "the most removals one plan may make, e.g. `total: 25`; 0 allows none"
                                .into(),
                        ),
                    ),
                    Err(_) => self.error(
                        "policy::bad_setting",
                        "`total` must be a whole number".into(),
                        at,
                        "not a whole number",
                        Some("the most removals one plan may make, e.g. `total: 25`".into()),
                    ),
                }
            } else {
                let help = Some("a fraction from 0 to 1 of one group's current members, e.g. `0.25` for a quarter".to_string());
                match text.parse::<f64>() {
                    Ok(f) if (0.0..=1.0).contains(&f) => out.per_group_fraction = Some(f),
                    Ok(_) => self.error(
                        "policy::bad_setting",
                        "`per_group_fraction` must be between 0 and 1".into(),
                        at,
                        "outside 0..=1",
                        help,
                    ),
                    Err(_) => self.error(
                        "policy::bad_setting",
                        "`per_group_fraction` must be a number".into(),
                        at,
                        "not a number",
                        help,
                    ),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Desired, Vec<PolicyDiagnostic>> {
        convert(vec![PolicyFile {
            path: "p/a.yaml".into(),
            text: text.into(),
        }])
    }

    fn messages(text: &str) -> Vec<String> {
        match one(text) {
            Ok(d) => panic!("expected errors, got {d:?}"),
            Err(ds) => ds.iter().map(|d| d.message().to_string()).collect(),
        }
    }

    fn helps(text: &str) -> Vec<String> {
        one(text)
            .unwrap_err()
            .iter()
            .map(|d| d.help_text().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn mode_defaults_to_authoritative_and_rejects_other_words() {
        let d = one("groups:\n  A: {}\n  B: { mode: additive }\n").unwrap();
        assert_eq!(d.groups["A"].mode, Mode::Authoritative);
        assert_eq!(d.groups["B"].mode, Mode::Additive);
        assert_eq!(
            messages("groups:\n  A: { mode: Additive }\n"),
            ["invalid `mode`"]
        );
        assert!(
            helps("groups:\n  A: { mode: Additive }\n")[0].starts_with("did you mean `additive`?")
        );
        assert!(helps("groups:\n  A: { mode: [x] }\n")[0].starts_with("`mode` is `authoritative`"));
    }

    #[test]
    fn license_keys_are_checked_with_suggestions() {
        assert_eq!(
            messages("licenses:\n  spend-guard-user: {}\n"),
            ["unknown license `spend-guard-user`"]
        );
        assert!(helps("licenses:\n  spend-guard-user: {}\n")[0].starts_with("write `spend-guard`;"));
        assert!(helps("licenses:\n  expens: {}\n")[0].starts_with("write `expense`;"));
        assert!(helps("licenses:\n  lunch: {}\n")[0].starts_with("licenses are: purchasing"));
        assert_eq!(
            messages("users:\n  bob: { licenses: [expense-user] }\n"),
            ["unknown license `expense-user`"]
        );
    }

    #[test]
    fn unknown_fields_list_what_is_allowed() {
        assert_eq!(
            messages("groups:\n  A: { owner: x }\n"),
            ["unknown field `owner` in group `A`"]
        );
        assert_eq!(
            helps("groups:\n  A: { owner: x }\n"),
            ["group `A` accepts: description, mode, members"]
        );
        assert_eq!(
            messages("settings:\n  max_removal: {}\n"),
            ["unknown field `max_removal` in `settings`"]
        );
        assert_eq!(
            messages("settings:\n  max_removals: { totl: 1 }\n"),
            ["unknown field `totl` in `max_removals`"]
        );
        assert_eq!(messages("groupz: {}\n"), ["unknown top-level key `groupz`"]);
    }

    #[test]
    fn a_field_written_twice_is_an_error() {
        assert_eq!(
            messages("groups:\n  A:\n    members: [a]\n    members: [b]\n"),
            ["`members` is written twice in group `A`"]
        );
        assert_eq!(
            messages("users:\n  bob: {}\n  BOB: {}\n"),
            ["`BOB` is written twice in `users`"]
        );
    }

    #[test]
    fn settings_values_are_validated() {
        let d = one("settings:\n  max_removals: { total: 0, per_group_fraction: 1 }\n").unwrap();
        assert_eq!(d.settings.max_removals.total, Some(0));
        assert_eq!(d.settings.max_removals.per_group_fraction, Some(1.0));
        let d = one("settings:\n  max_removals: { total: ~ }\n").unwrap();
        assert_eq!(d.settings.max_removals, MaxRemovals::default());
        assert_eq!(
            messages("settings:\n  max_removals: { total: 2.5 }\n"),
            ["`total` must be a whole number"]
        );
        assert_eq!(
            messages("settings:\n  max_removals: { per_group_fraction: 25% }\n"),
            ["`per_group_fraction` must be a number"]
        );
        assert_eq!(
            messages("settings:\n  max_removals: { per_group_fraction: -0.1 }\n"),
            ["`per_group_fraction` must be between 0 and 1"]
        );
        assert_eq!(
            messages("settings:\n  max_removals: 25\n"),
            ["`max_removals` must be a mapping, not a single value"]
        );
        assert_eq!(
            messages("settings:\n  protected_users: [bot, Bot]\n"),
            ["`Bot` is listed twice in `protected_users`"]
        );
    }

    #[test]
    fn settings_twice_in_one_file_is_an_error() {
        assert_eq!(
            messages("settings: {}\n---\nsettings: {}\n"),
            ["`settings` is written more than once"]
        );
    }

    #[test]
    fn documents_in_one_file_merge_and_anchors_can_share_lists() {
        let d =
            one("groups:\n  A: { members: &team [x, y] }\n---\ngroups:\n  B: { members: *team }\n")
                .unwrap();
        assert_eq!(d.groups["B"].members, d.groups["A"].members);
    }

    #[test]
    fn names_that_look_like_null_or_numbers_are_still_names() {
        let d = one("groups:\n  Null: {}\n  2024: { members: [1234, ~x] }\n").unwrap();
        assert!(d.groups.contains_key("Null"));
        let ids: Vec<&str> = d.groups["2024"]
            .members
            .iter()
            .map(|m| m.identity.as_str())
            .collect();
        assert_eq!(ids, ["1234", "~x"]);
    }

    #[test]
    fn a_person_named_twice_for_one_target_via_users_is_a_duplicate() {
        let ds = convert(vec![
            PolicyFile {
                path: "p/a.yaml".into(),
                text: "users:\n  bob: { groups: [G] }\n".into(),
            },
            PolicyFile {
                path: "p/b.yaml".into(),
                text: "users:\n  Bob: { groups: [g] }\n".into(),
            },
        ])
        .unwrap_err();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message(), "`Bob` is listed twice for group `G`");
    }

    #[test]
    fn the_top_level_must_be_a_mapping() {
        assert_eq!(
            messages("- groups\n"),
            ["a policy file must be a mapping, not a list"]
        );
        let d = one("# nothing yet\n").unwrap();
        assert!(d.groups.is_empty());
        let d = one("~\n").unwrap();
        assert!(d.groups.is_empty());
    }
}
