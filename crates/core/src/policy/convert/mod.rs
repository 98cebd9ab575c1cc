//! Turns parsed policy files into one merged [`Desired`], collecting every problem on the way.
//!
//! Two passes: first every file's `groups:`, `roles:`, `licenses:` and `settings:`, so that the
//! per-person `users:` form (second pass) sees every declared target whatever file it is in.

use std::collections::HashMap;

use miette::Severity;

use super::diagnostic::{PolicyDiagnostic, Sources};
use super::suggest::closest;
use super::yaml::{self, Node, Value};
use super::Code;
use crate::model::{
    Declared, Desired, Grant, Kind, License, Loc, NameKey, PolicyFile, Settings, Target,
};

mod rules;
mod seen;
mod settings;
mod targets;
#[cfg(test)]
mod tests;

pub(crate) const TOP_LEVEL: &[&str] =
    &["groups", "roles", "licenses", "users", "settings", "rules"];
pub(crate) const RULES_FIELDS: &[&str] = &["separation_of_duties"];
pub(crate) const SOD_RULE_FIELDS: &[&str] = &["name", "description", "sides", "exceptions"];
pub(crate) const SOD_SIDE_FIELDS: &[&str] = &["groups", "roles", "licenses"];
pub(crate) const SOD_EXCEPTION_FIELDS: &[&str] = &["user", "until", "ticket", "approved_by"];
pub(crate) const TARGET_FIELDS: &[&str] = &["description", "mode", "members"];
/// Groups take one more field than roles and licenses.
pub(crate) const GROUP_FIELDS: &[&str] = &["description", "mode", "members", "remove_owners", "id"];
/// A time-bound entry of `members`, and of a person's `groups`/`roles`/`licenses`.
pub(crate) const GRANT_FIELDS_USER: &[&str] = &["user", "until", "reason"];
pub(crate) const GRANT_FIELDS_NAME: &[&str] = &["name", "until", "reason"];
pub(crate) const USER_FIELDS: &[&str] = &["groups", "roles", "licenses"];
pub(crate) const SETTINGS_FIELDS: &[&str] = &[
    "protected_users",
    "max_removals",
    "writes",
    "group_removals",
    "acknowledge",
    "expiry_warning_days",
    "require_reason",
    "reviewers",
];
pub(crate) const ACKNOWLEDGE_FIELDS: &[&str] =
    &["code", "user", "group", "role", "license", "reason"];
pub(crate) const MAX_REMOVALS_FIELDS: &[&str] = &["total", "per_group_fraction"];

/// The slot of a kind's targets in the loader's per-kind tables.
fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Group => 0,
        Kind::Role => 1,
        Kind::License => 2,
    }
}

/// A target being assembled, with who is already in it.
struct Entry {
    target: Target,
    seen: seen::Seen,
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
        sod_rules: Vec::new(),
    };

    let mut users_sections: Vec<(usize, Node)> = Vec::new();
    for (file, f) in files.iter().enumerate() {
        let docs = match yaml::parse(&f.text) {
            Ok(docs) => docs,
            Err(e) => {
                // An unexpected end is reported at the very end of the text, where miette
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
                    Code::YamlSyntax,
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
    cx.require_reasons();

    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    let [groups, roles, licenses] = cx.targets;
    // Keyed by name key: twins were refused above (`DuplicateTarget`), so each target is
    // the one declaration of its name.
    let keyed = |v: Vec<Entry>| -> Declared {
        v.into_iter()
            .map(|mut e| {
                // Lists grown one `users:` entry at a time keep no spare room.
                e.target.members.shrink_to_fit();
                e.target
            })
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
        sod_rules: cx.sod_rules,
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
    sources: &'s Sources<'s>,
    diags: Vec<PolicyDiagnostic>,
    /// Per kind (group, role, license), in the order first named.
    targets: [Vec<Entry>; 3],
    /// Per kind: folded name -> index into `targets`.
    by_name: [HashMap<NameKey, usize>; 3],
    settings: Settings,
    sod_rules: Vec<crate::model::SodRule>,
}

fn loc(file: usize, node: &Node) -> Loc {
    Loc {
        file,
        offset: node.span.offset,
        len: node.span.len,
    }
}

impl Cx<'_> {
    fn error(&mut self, code: Code, message: String, at: Loc, label: &str, help: Option<String>) {
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
            Code::WrongType,
            message,
            loc(file, node),
            &format!("expected {expected}"),
            help,
        );
    }

    /// The pairs of a mapping; nothing (null) counts as an empty mapping.
    fn map<'n, 't>(
        &mut self,
        file: usize,
        node: &'n Node<'t>,
        what: &str,
        help: Option<String>,
    ) -> &'n [(Node<'t>, Node<'t>)] {
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
            // YAML 1.1's merge key: silently merging (or reading `<<` as a name) would change
            // who is a member without anybody seeing it.
            Value::Scalar(s) if s == "<<" && !key.quoted => {
                self.error(
                    Code::MergeKey,
                    "merge keys (`<<`) are not supported".into(),
                    loc(file, key),
                    "merge key",
                    Some(
                        "write the keys out in full; an alias (`*name`) can still stand for a whole value"
                            .into(),
                    ),
                );
                None
            }
            Value::Scalar(s) | Value::Null(s) if !s.trim().is_empty() => Some(s.to_string()),
            _ => {
                self.error(
                    Code::BadKey,
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
    fn fields<'n, 't>(
        &mut self,
        file: usize,
        pairs: &'n [(Node<'t>, Node<'t>)],
        allowed: &'static [&'static str],
        context: &str,
    ) -> Vec<(&'static str, &'n Node<'t>, &'n Node<'t>)> {
        let mut out: Vec<(&'static str, &'n Node<'t>, &'n Node<'t>)> = Vec::new();
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
                let (message, label) = if allowed == TOP_LEVEL {
                    (format!("unknown top-level key `{name}`"), "unknown key")
                } else {
                    (
                        format!("unknown field `{name}` in {context}"),
                        "unknown field",
                    )
                };
                self.error(Code::UnknownField, message, loc(file, k), label, Some(help));
                continue;
            };
            if let Some((_, first, _)) = out.iter().find(|(f, _, _)| *f == field) {
                let d = PolicyDiagnostic::error(
                    Code::DuplicateKey,
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

    /// A list of names where an entry may also be a time-bound grant: a mapping of `key` (the
    /// name: `user` in `members`, `name` in a person's `groups`/`roles`/`licenses`), `until`
    /// and `reason`. Plain names come back without a grant.
    fn grant_list(
        &mut self,
        file: usize,
        node: &Node,
        what: &str,
        key: &'static str,
    ) -> Vec<(String, Loc, Option<Box<Grant>>)> {
        let Value::Seq(items) = &node.value else {
            return self
                .list(file, node, what)
                .into_iter()
                .map(|(n, l)| (n, l, None))
                .collect();
        };
        let mut out = Vec::new();
        for item in items {
            if let Value::Map(pairs) = &item.value {
                let allowed: &'static [&'static str] = if key == "user" {
                    GRANT_FIELDS_USER
                } else {
                    GRANT_FIELDS_NAME
                };
                let context = format!("an entry of {what}");
                let (mut name, mut until, mut reason) = (None, None, None);
                for (field, _, value) in self.fields(file, pairs, allowed, &context) {
                    match field {
                        "until" => until = self.date(file, value),
                        "reason" => match &value.value {
                            Value::Scalar(s) if !s.trim().is_empty() => {
                                reason = Some(s.trim().to_string())
                            }
                            _ => self.wrong_type(file, value, "`reason`", "text", None),
                        },
                        _ => match &value.value {
                            Value::Scalar(s) if !s.trim().is_empty() => {
                                name = Some((s.trim().to_string(), loc(file, value)))
                            }
                            _ => self.wrong_type(file, value, &format!("`{key}`"), "a name", None),
                        },
                    }
                }
                let Some((name, at)) = name else {
                    self.error(
                        Code::MissingField,
                        format!("an entry of {what} has no `{key}`"),
                        loc(file, item),
                        "no name",
                        Some(format!(
                            "write `{{ {key}: ..., until: 2026-12-31, reason: \"...\" }}`"
                        )),
                    );
                    continue;
                };
                let grant = until.map(|(until, until_at)| {
                    Box::new(Grant {
                        until,
                        reason,
                        loc: until_at,
                    })
                });
                out.push((name, at, grant));
            } else {
                let single = Node {
                    value: Value::Seq(vec![item.clone()]),
                    ..item.clone()
                };
                out.extend(
                    self.list(file, &single, what)
                        .into_iter()
                        .map(|(n, l)| (n, l, None)),
                );
            }
        }
        out
    }

    /// A date: `2026-12-31` (a day) or an RFC 3339 time (its UTC day), with where it was written.
    fn date(&mut self, file: usize, node: &Node) -> Option<(chrono::NaiveDate, Loc)> {
        let at = loc(file, node);
        if let Value::Scalar(s) = &node.value {
            let s = s.trim();
            if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                return Some((d, at));
            }
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                return Some((t.with_timezone(&chrono::Utc).date_naive(), at));
            }
        }
        self.error(
            Code::BadDate,
            "`until` must be a date (`2026-12-31`) or an RFC 3339 time".into(),
            at,
            "not a date",
            Some("the last day of access, inclusive (UTC), e.g. `until: 2026-12-31`".into()),
        );
        None
    }

    /// With `settings.require_reason`, every time-bound grant must say why.
    fn require_reasons(&mut self) {
        if !self.settings.require_reason {
            return;
        }
        let mut missing = Vec::new();
        for entries in &self.targets {
            for e in entries {
                for m in &e.target.members {
                    if let Some(g) = m.grant.as_ref().filter(|g| g.reason.is_none()) {
                        missing.push((m.identity.to_string(), e.target.name.clone(), g.loc));
                    }
                }
            }
        }
        for (who, target, at) in missing {
            self.error(
                Code::MissingReason,
                format!("the grant of `{target}` to `{who}` has no `reason`"),
                at,
                "time-bound grant without a reason",
                Some(
                    "`settings.require_reason` is on: add `reason: \"...\"` (a ticket, a purpose)"
                        .into(),
                ),
            );
        }
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
                        Value::Null(s) if !s.is_empty() => self.error(
                            Code::EmptyEntry,
                            format!("`{s}` in {what} means nothing in YAML"),
                            loc(file, item),
                            "read as empty",
                            Some(format!("if `{s}` is a name, quote it: `'{s}'`")),
                        ),
                        Value::Scalar(_) | Value::Null(_) => self.error(
                            Code::EmptyEntry,
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

    fn top_level<'t>(&mut self, file: usize, doc: Node<'t>, users: &mut Vec<(usize, Node<'t>)>) {
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
                "rules" => self.rules(file, value),
                _ => self.settings(file, key, value),
            }
        }
    }
}
