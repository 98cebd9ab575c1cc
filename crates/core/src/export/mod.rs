//! `export`: policy YAML that reproduces today's live state (to bootstrap a policy repository).
//!
//! Pure: `export(&Live, &ExportOptions)` returns the files' names and texts; the binary checks
//! for existing files and writes them. One file per kind — `groups.yaml`, `roles.yaml`,
//! `licenses.yaml` — each written only when that kind was chosen. Members are Coupa logins
//! (emails where a login does not name exactly one user, or where two members' logins differ
//! only in case), sorted. Nothing is dropped silently: inactive users stay listed (marked
//! `# inactive in Coupa`, so a plan against the export changes nothing), and projects, which
//! are not user groups, are named in a comment.
//!
//! Every name is Coupa's data, and Coupa's data must never become policy:
//! - names are written as one-line scalars that read back exactly (`scalar`), with line breaks,
//!   control and bidirectional characters escaped; names too long for a YAML key (1,024
//!   characters) are written as explicit keys (`? name`);
//! - comments quoting Coupa (projects, the source and time) escape those characters as
//!   `\u{…}`, and the file says so (`text`);
//! - what a policy cannot name is left out with an [`ExportWarning`] and a comment (a group or
//!   role with a blank name: leaving a target out leaves it unmanaged), or refused
//!   ([`ExportError`]) when leaving it out would change what the file means (a member);
//! - finally the files are read back through the policy loader and planned against `live`
//!   (`verify`): unless they declare exactly what was exported, hold no `settings` and plan no
//!   change, the export is refused.

mod glob;
mod render;
mod scalar;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;
mod text;
mod verify;

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use glob::Glob;
pub use scalar::scalar;

use crate::bind;
use crate::index::{LiveIndex, UserMatch};
use crate::model::{ChangeTarget, License, Live, Mode, NameKey, Unread, User};
use text::comment;
use verify::{verify, Expected};

/// Keys written longer than this (in bytes) use YAML's explicit-key form (`? key`): an implicit
/// key may be at most 1,024 characters, and some readers count bytes.
const LONG_KEY: usize = 1000;

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
    /// What was left out of it because a policy cannot name it (also noted in the file).
    pub warnings: Vec<ExportWarning>,
}

/// Something left out of an export because a policy cannot name it. Leaving a target out
/// leaves it unmanaged, so the export still means "change nothing".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportWarning {
    /// A group or role whose name is blank: a policy key cannot be.
    BlankName { kind: &'static str, id: u64 },
}

impl std::fmt::Display for ExportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportWarning::BlankName { kind, id } => write!(
                f,
                "{kind} id {id} not exported: its name is blank, and a policy cannot name it \
                 (it stays unmanaged; rename it in Coupa to manage it)"
            ),
        }
    }
}

/// Why live state cannot be written as policy that reproduces it. Names are shown with
/// control characters escaped (they come from Coupa and reach a terminal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("no {kind} matches `{}`", comment(pattern))]
    NoMatch { kind: &'static str, pattern: String },
    #[error(
        "{kind}s `{}` and `{}` are one name to a policy (names match \
         case-insensitively), so a policy cannot name both; rename one in Coupa",
        comment(first),
        comment(second)
    )]
    CaseClash {
        kind: &'static str,
        first: String,
        second: String,
    },
    #[error(
        "user {} (id {id}) cannot be named unambiguously: their login and email also \
         name another user",
        comment(login)
    )]
    Unnameable { login: String, id: u64 },
    /// The files written do not load as policy (a bug, or a name no quoting survives).
    #[error("refused: the exported policy does not read back: {0}")]
    Unreadable(String),
    /// The files written would hold `settings`: export never writes any.
    #[error("refused: the exported policy would hold `settings`, which export never writes")]
    HoldsSettings,
    /// The files written declare other targets, members or modes than were exported.
    #[error("refused: the exported policy does not declare what was exported: {0}")]
    NotAsExported(String),
    /// The files written would not plan zero changes against the state they came from.
    #[error(
        "refused: the exported policy would not plan zero changes against the state it was \
         made from: {0}"
    )]
    NotClean(String),
    /// User records left out the field that says who holds a target: its holders would be a
    /// guess.
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
    /// How each user is named in the policy.
    names: BTreeMap<u64, Naming>,
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

/// A user's name in the policy, and another that also finds exactly them (their email), for a
/// target where the first is equal but for case to another member's.
struct Naming {
    first: Name,
    other: Option<Name>,
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

/// Drops the records whose name is blank (a policy key cannot be), with a warning each.
fn without_blank<'a, T>(
    kind: &'static str,
    chosen: Vec<&'a T>,
    name: impl Fn(&T) -> &str,
    id: impl Fn(&T) -> u64,
    warnings: &mut Vec<ExportWarning>,
) -> Vec<&'a T> {
    let (blank, named): (Vec<&T>, Vec<&T>) =
        chosen.into_iter().partition(|t| name(t).trim().is_empty());
    warnings.extend(
        blank
            .into_iter()
            .map(|t| ExportWarning::BlankName { kind, id: id(t) }),
    );
    named
}

/// Builds the policy files for what `opts` selects, then reads them back and plans them against
/// `live` (see the module docs): the files come back only when they reproduce `live` exactly.
pub fn export(live: &Live, opts: &ExportOptions) -> Result<Vec<ExportFile>, ExportFailed> {
    let ix = LiveIndex::new(live);
    let mut cx = Cx {
        ix: &ix,
        names: identities(&ix),
        opts,
        problems: Vec::new(),
    };
    let mut files = Vec::new();
    let mut expected = Expected {
        mode: opts.mode,
        ..Expected::default()
    };

    if !opts.groups.is_empty() {
        let mut warnings = Vec::new();
        let chosen = choose(
            "group",
            &opts.groups,
            &live.groups,
            |g| &g.name,
            &mut cx.problems,
        );
        let chosen = without_blank("group", chosen, |g| &g.name, |g| g.id, &mut warnings);
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
        // Who holds a group is read where the planner reads it (`bind`).
        let (holders, _owners) = bind::of_groups(&ix, entries.keys().copied().collect());
        for (id, e) in entries.iter_mut() {
            for (user_id, rows) in holders.of(*id).by_user() {
                if rows[0].user == bind::NO_USER {
                    e.unknown_users.extend(
                        rows.iter()
                            .map(|h| (h.membership_id.unwrap_or_default(), user_id)),
                    );
                } else {
                    e.holders.insert(user_id);
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
        let mut header = Vec::new();
        if !projects.is_empty() {
            header.push(format!(
                "Projects (Coupa user groups of type Project) are not exported: {}.",
                projects.join(", ")
            ));
        }
        let entries: Vec<Entry<'_>> = entries.into_values().collect();
        let (file, declared) =
            render::render("groups.yaml", "groups", header, entries, warnings, &mut cx);
        expected.groups = declared;
        files.push(file);
    }

    if !opts.roles.is_empty() {
        let mut warnings = Vec::new();
        let chosen = choose(
            "role",
            &opts.roles,
            &live.roles,
            |r| &r.name,
            &mut cx.problems,
        );
        let chosen = without_blank("role", chosen, |r| &r.name, |r| r.id, &mut warnings);
        for r in &chosen {
            let target = ChangeTarget::Role {
                id: r.id,
                name: r.name.clone(),
            };
            unread(&live.users, "role", &target, &mut cx.problems);
        }
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
        let holders = bind::of_roles(&ix, entries.keys().copied().collect());
        for (id, e) in entries.iter_mut() {
            e.holders = holders
                .of(*id)
                .by_user()
                .map(|(user_id, _)| user_id)
                .collect();
        }
        let entries: Vec<Entry<'_>> = entries.into_values().collect();
        let (file, declared) = render::render(
            "roles.yaml",
            "roles",
            vec![
                "Role changes are written to Coupa only when `settings.writes` includes `roles`;"
                    .into(),
                "otherwise they are reported, not applied.".into(),
            ],
            entries,
            warnings,
            &mut cx,
        );
        expected.roles = declared;
        files.push(file);
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
        let chosen: Vec<License> = chosen.into_iter().copied().collect();
        let holders = bind::of_licenses(&ix, &chosen);
        let entries: Vec<Entry<'_>> = chosen
            .iter()
            .zip(0u64..)
            .map(|(l, n)| Entry {
                name: l.key().to_string(),
                note: None,
                description: None,
                holders: holders
                    .of(n)
                    .by_user()
                    .map(|(user_id, _)| user_id)
                    .collect(),
                unknown_users: Vec::new(),
                id: None,
                twins: Vec::new(),
            })
            .collect();
        let (file, declared) = render::render(
            "licenses.yaml",
            "licenses",
            vec![
                "License changes are written to Coupa only when `settings.writes` includes `licenses`;"
                    .into(),
                "otherwise they are reported, not applied.".into(),
            ],
            entries,
            Vec::new(),
            &mut cx,
        );
        expected.licenses = declared;
        files.push(file);
    }

    if !cx.problems.is_empty() {
        return Err(ExportFailed(cx.problems));
    }
    verify(&files, live, &expected).map_err(|e| ExportFailed(vec![e]))?;
    Ok(files)
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

/// How each user can be named in the policy: the login when it finds exactly them as the
/// loader reads it (trimmed), else the email; the email is kept as the other name.
fn identities(ix: &LiveIndex<'_>) -> BTreeMap<u64, Naming> {
    let mut out = BTreeMap::new();
    for u in &ix.live.users {
        let finds_them = |s: &str| {
            let s = s.trim();
            !s.is_empty() && matches!(ix.user(s), UserMatch::One(v) if v.id == u.id)
        };
        let login = finds_them(&u.login).then(|| Name::new(&u.login));
        let email = finds_them(&u.email).then(|| Name::new(&u.email));
        let naming = match (login, email) {
            (Some(first), other) => Naming {
                other: other.filter(|o| o.folded != first.folded),
                first,
            },
            (None, Some(first)) => Naming { first, other: None },
            // Users nobody can name are a problem only when a chosen target lists them.
            (None, None) => continue,
        };
        out.insert(u.id, naming);
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
    // Groups sharing a name are exported once, by id (`one_per_name`); roles cannot be. Blank
    // names are left out later (`without_blank`), not refused.
    for pair in chosen.windows(2).filter(|_| kind != "group") {
        if NameKey::new(name(pair[0])) == NameKey::new(name(pair[1]))
            && !name(pair[0]).trim().is_empty()
        {
            problems.push(ExportError::CaseClash {
                kind,
                first: name(pair[0]).to_string(),
                second: name(pair[1]).to_string(),
            });
        }
    }
    chosen
}
