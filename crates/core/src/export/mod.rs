//! `export`: policy YAML that reproduces today's live state (to bootstrap a policy repository).
//!
//! Pure: `export(&Live, &ExportOptions)` returns the files' names and texts; the binary checks
//! for existing files and writes them. One file per kind — `groups.yaml`, `roles.yaml`,
//! `licenses.yaml` — each written only when that kind was chosen. Members are Coupa logins,
//! sorted. Nothing is dropped silently: inactive users stay listed (marked `# inactive in
//! Coupa`, so a plan against the export changes nothing), and projects, which are not user
//! groups, are named in a comment.

mod glob;
mod scalar;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

pub use glob::Glob;
pub use scalar::scalar;

use crate::model::{
    ChangeTarget, License, Live, LiveIndex, Mode, NameKey, Unread, User, UserMatch,
};

/// What to export and how to mark it.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Groups whose name matches any of these (none: no groups file).
    pub groups: Vec<Glob>,
    /// Roles whose name matches any of these (none: no roles file).
    pub roles: Vec<Glob>,
    /// Licenses whose key (`expense`) matches any of these (none: no licenses file).
    pub licenses: Vec<Glob>,
    /// The mode written for every exported target.
    pub mode: Mode,
    /// Where the data came from (an instance URL or `snapshot:FILE`), for the header comment.
    pub source: String,
    /// When the data was read (RFC 3339), for the header comment.
    pub taken_at: String,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// File name inside the output folder: `groups.yaml`, `roles.yaml` or `licenses.yaml`.
    pub name: &'static str,
    pub text: String,
    /// Targets declared in it.
    pub targets: usize,
    /// Member entries listed in it.
    pub members: usize,
}

/// Why live state cannot be written as policy that reproduces it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("no {kind} matches `{pattern}`")]
    NoMatch { kind: &'static str, pattern: String },
    #[error(
        "{kind}s `{first}` and `{second}` are one name to a policy (names match \
         case-insensitively), so a policy cannot name both; rename one in Coupa"
    )]
    CaseClash {
        kind: &'static str,
        first: String,
        second: String,
    },
    #[error(
        "user {login} (id {id}) cannot be named unambiguously: their login and email also \
         name another user"
    )]
    Unnameable { login: String, id: u64 },
    #[error(
        "{kind} `{name}`: Coupa's user records left out `{field}` for {count} user(s) (first: \
         {first}), so who holds it is unknown"
    )]
    Unread {
        kind: &'static str,
        name: String,
        field: String,
        count: usize,
        first: String,
    },
}

/// Every problem found, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot export: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct ExportFailed(pub Vec<ExportError>);

/// What every file needs while it is written.
struct Cx<'a> {
    ix: &'a LiveIndex<'a>,
    /// How each user is named in the policy, as a YAML scalar.
    names: BTreeMap<u64, Name>,
    opts: &'a ExportOptions,
    problems: Vec<ExportError>,
}

/// A user's identity in the policy: as written, folded (for sorting and clashes) and as YAML.
struct Name {
    raw: String,
    folded: NameKey,
    yaml: String,
}

impl Name {
    fn new(identity: &str) -> Name {
        Name {
            raw: identity.to_string(),
            folded: NameKey::new(identity),
            yaml: scalar(identity),
        }
    }
}

/// One target to write: its name as Coupa spells it, notes for its key, and its holders.
struct Entry<'a> {
    name: String,
    note: Option<&'static str>,
    description: Option<&'a str>,
    holders: BTreeSet<u64>,
    /// Membership ids whose user Coupa did not return.
    unknown_users: Vec<(u64, u64)>,
    /// Groups only: the id, written when other Coupa groups share this name (`twins`).
    id: Option<u64>,
    /// Ids of groups with the same name (but for case) left out: one entry per name.
    twins: Vec<u64>,
}

/// Keeps one entry per name key (the lowest id, written with `id:`), noting the others in it:
/// a policy declares each name once, so same-named Coupa groups cannot all be exported.
fn one_per_name(entries: &mut BTreeMap<u64, Entry<'_>>) {
    let mut first: HashMap<NameKey, u64> = HashMap::new();
    let mut left_out = Vec::new();
    for (&id, e) in entries.iter() {
        match first.entry(NameKey::new(&e.name)) {
            std::collections::hash_map::Entry::Occupied(o) => left_out.push((*o.get(), id)),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
            }
        }
    }
    for (kept, twin) in left_out {
        entries.remove(&twin);
        if let Some(e) = entries.get_mut(&kept) {
            e.id = Some(kept);
            e.twins.push(twin);
        }
    }
}

/// Builds the policy files for what `opts` selects.
pub fn export(live: &Live, opts: &ExportOptions) -> Result<Vec<ExportFile>, ExportFailed> {
    let ix = LiveIndex::new(live);
    let mut cx = Cx {
        ix: &ix,
        names: identities(&ix),
        opts,
        problems: Vec::new(),
    };
    let mut files = Vec::new();

    if !opts.groups.is_empty() {
        let chosen = choose(
            "group",
            &opts.groups,
            &live.groups,
            |g| &g.name,
            &mut cx.problems,
        );
        let mut entries: BTreeMap<u64, Entry<'_>> = chosen
            .iter()
            .map(|g| {
                let e = Entry {
                    name: g.name.clone(),
                    note: (!g.active).then_some("inactive in Coupa"),
                    description: g.description.as_deref(),
                    holders: BTreeSet::new(),
                    unknown_users: Vec::new(),
                    id: None,
                    twins: Vec::new(),
                };
                (g.id, e)
            })
            .collect();
        one_per_name(&mut entries);
        for m in &live.memberships {
            if let Some(e) = entries.get_mut(&m.group_id) {
                if ix.user_by_id(m.user_id).is_some() {
                    e.holders.insert(m.user_id);
                } else {
                    e.unknown_users.push((m.id, m.user_id));
                }
            }
        }
        // A pattern that names only projects did match something: they are noted below.
        cx.problems.retain(|p| {
            !matches!(p, ExportError::NoMatch { kind: "group", pattern }
                if live.projects.iter().any(|pr| Glob::new(pattern).matches(&pr.name)))
        });
        let projects: Vec<&str> = live
            .projects
            .iter()
            .filter(|p| opts.groups.iter().any(|g| g.matches(&p.name)))
            .map(|p| p.name.as_str())
            .collect();
        let mut header = String::new();
        if !projects.is_empty() {
            let _ = writeln!(
                header,
                "# Projects (Coupa user groups of type Project) are not exported: {}.",
                projects.join(", ")
            );
        }
        files.push(render(
            "groups.yaml",
            "groups",
            &header,
            entries.into_values().collect(),
            &mut cx,
        ));
    }

    if !opts.roles.is_empty() {
        let chosen = choose(
            "role",
            &opts.roles,
            &live.roles,
            |r| &r.name,
            &mut cx.problems,
        );
        let mut entries: BTreeMap<u64, Entry<'_>> = chosen
            .iter()
            .map(|r| {
                let e = Entry {
                    name: r.name.clone(),
                    note: r.omnipotent.then_some("omnipotent: holds every permission"),
                    description: None,
                    holders: BTreeSet::new(),
                    unknown_users: Vec::new(),
                    id: None,
                    twins: Vec::new(),
                };
                (r.id, e)
            })
            .collect();
        for u in &live.users {
            for id in &u.roles {
                if let Some(e) = entries.get_mut(id) {
                    e.holders.insert(u.id);
                }
            }
        }
        for r in &chosen {
            let target = ChangeTarget::Role {
                id: r.id,
                name: r.name.clone(),
            };
            unread(&live.users, "role", &target, &mut cx.problems);
        }
        files.push(render(
            "roles.yaml",
            "roles",
            "# Roles are reported by `plan`, not written by `apply` (yet).\n",
            entries.into_values().collect(),
            &mut cx,
        ));
    }

    if !opts.licenses.is_empty() {
        let keys: Vec<License> = License::ALL.to_vec();
        let chosen = choose(
            "license",
            &opts.licenses,
            &keys,
            |l| l.key(),
            &mut cx.problems,
        );
        for l in &chosen {
            unread(
                &live.users,
                "license",
                &ChangeTarget::License(**l),
                &mut cx.problems,
            );
        }
        let entries = chosen
            .iter()
            .map(|l| Entry {
                name: l.key().to_string(),
                note: None,
                description: None,
                holders: live
                    .users
                    .iter()
                    .filter(|u| u.licenses.contains(l))
                    .map(|u| u.id)
                    .collect(),
                unknown_users: Vec::new(),
                id: None,
                twins: Vec::new(),
            })
            .collect();
        files.push(render(
            "licenses.yaml",
            "licenses",
            "# Licenses are reported by `plan`, not written by `apply` (yet).\n",
            entries,
            &mut cx,
        ));
    }

    if cx.problems.is_empty() {
        Ok(files)
    } else {
        Err(ExportFailed(cx.problems))
    }
}

/// A problem when a user record left `target`'s field out: its holders would be a guess.
fn unread(
    users: &[User],
    kind: &'static str,
    target: &ChangeTarget,
    problems: &mut Vec<ExportError>,
) {
    if let Some((count, first)) = Unread::among(users, target) {
        problems.push(ExportError::Unread {
            kind,
            name: target.name().to_string(),
            field: Unread::field(target),
            count,
            first: first.login.clone(),
        });
    }
}

/// How each user is named in the policy, as a YAML scalar: the login when it finds exactly
/// them, else the email.
fn identities(ix: &LiveIndex<'_>) -> BTreeMap<u64, Name> {
    let mut out = BTreeMap::new();
    for u in &ix.live.users {
        let finds_them =
            |s: &str| !s.is_empty() && matches!(ix.user(s), UserMatch::One(v) if v.id == u.id);
        if finds_them(&u.login) {
            out.insert(u.id, Name::new(&u.login));
        } else if finds_them(&u.email) {
            out.insert(u.id, Name::new(&u.email));
        }
        // Users nobody can name are a problem only when a chosen target lists them (`render`).
    }
    out
}

/// The records matching any pattern, sorted by name; a pattern matching nothing and names
/// equal but for case are problems.
fn choose<'a, T>(
    kind: &'static str,
    patterns: &[Glob],
    items: &'a [T],
    name: impl Fn(&T) -> &str,
    problems: &mut Vec<ExportError>,
) -> Vec<&'a T> {
    for p in patterns {
        if !items.iter().any(|t| p.matches(name(t))) {
            problems.push(ExportError::NoMatch {
                kind,
                pattern: p.as_str().to_string(),
            });
        }
    }
    let mut chosen: Vec<&T> = items
        .iter()
        .filter(|t| patterns.iter().any(|p| p.matches(name(t))))
        .collect();
    chosen.sort_by(|a, b| (NameKey::new(name(a)), name(a)).cmp(&(NameKey::new(name(b)), name(b))));
    // Groups sharing a name are exported once, by id (`one_per_name`); roles cannot be.
    for pair in chosen.windows(2).filter(|_| kind != "group") {
        if NameKey::new(name(pair[0])) == NameKey::new(name(pair[1])) {
            problems.push(ExportError::CaseClash {
                kind,
                first: name(pair[0]).to_string(),
                second: name(pair[1]).to_string(),
            });
        }
    }
    chosen
}

/// One file: header comments, the section key, and each target with its sorted members.
fn render(
    file: &'static str,
    section: &str,
    header: &str,
    entries: Vec<Entry<'_>>,
    cx: &mut Cx<'_>,
) -> ExportFile {
    let Cx {
        ix,
        names,
        opts,
        problems,
    } = cx;
    // The editors' modeline first: the schema sits beside the policies (`coupa-access schema`).
    let mut text = String::from("# yaml-language-server: $schema=policy.schema.json\n");
    let _ = writeln!(
        text,
        "# Exported by coupa-access {} from {} at {}.",
        env!("CARGO_PKG_VERSION"),
        opts.source,
        opts.taken_at
    );
    text.push_str(
        "# Members are Coupa logins, sorted. Users inactive in Coupa are listed and marked, so a\n\
         # plan against this file changes nothing; delete their lines to take their access away.\n",
    );
    text.push_str(header);
    if entries.is_empty() {
        let _ = writeln!(text, "{section}: {{}}");
    } else {
        let _ = writeln!(text, "{section}:");
    }
    let mut members_total = 0;
    let targets = entries.len();
    for e in entries {
        let _ = write!(text, "  {}:", scalar(&e.name));
        if let Some(note) = e.note {
            let _ = write!(text, "  # {note}");
        }
        text.push('\n');
        if let Some(id) = e.id {
            let _ = writeln!(text, "    id: {id}");
        }
        if !e.twins.is_empty() {
            let ids: Vec<String> = e.twins.iter().map(|t| format!("id {t}")).collect();
            let _ = writeln!(
                text,
                "    # not exported: {}, with the same name in Coupa (a policy declares each name once; rename one in Coupa to manage both)",
                ids.join(", ")
            );
        }
        if let Some(d) = e.description.filter(|d| !d.is_empty()) {
            let _ = writeln!(text, "    description: {}", scalar(d));
        }
        if opts.mode == Mode::Additive {
            text.push_str("    mode: additive\n");
        }
        for (mid, uid) in &e.unknown_users {
            let _ = writeln!(
                text,
                "    # membership {mid} names user id {uid}, which Coupa did not return"
            );
        }
        let mut members: Vec<(&User, &Name)> = Vec::with_capacity(e.holders.len());
        for u in e.holders.iter().filter_map(|id| ix.user_by_id(*id)) {
            match names.get(&u.id) {
                Some(n) => members.push((u, n)),
                None => {
                    let problem = ExportError::Unnameable {
                        login: u.login.clone(),
                        id: u.id,
                    };
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
            }
        }
        members.sort_by(|(_, a), (_, b)| (&a.folded, &a.raw).cmp(&(&b.folded, &b.raw)));
        for pair in members.windows(2) {
            if pair[0].1.folded == pair[1].1.folded {
                problems.push(ExportError::CaseClash {
                    kind: "login",
                    first: pair[0].1.raw.clone(),
                    second: pair[1].1.raw.clone(),
                });
            }
        }
        if members.is_empty() {
            text.push_str("    members: []\n");
            continue;
        }
        text.push_str("    members:\n");
        for (u, name) in members {
            members_total += 1;
            let _ = write!(text, "      - {}", name.yaml);
            if !u.active {
                text.push_str("  # inactive in Coupa");
            }
            text.push('\n');
        }
    }
    ExportFile {
        name: file,
        text,
        targets,
        members: members_total,
    }
}
