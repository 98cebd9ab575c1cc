//! Checks a loaded policy against live Coupa: every name must resolve. Resolution is the
//! binding's ([`crate::bind::resolve`]); this turns its problems into diagnostics and adds the
//! warnings (inactive users and groups, one person listed twice).

use std::collections::{HashMap, HashSet};

use miette::Severity;

use super::cap::{cap, summary, MAX_PER_KIND};
use super::diagnostic::{sort, PolicyDiagnostic, Sources};
use super::suggest::{closest, IdentitySuggester};
use super::Code;
use crate::bind::{Place, Problem, Resolution};
use crate::index::{Listings, LiveIndex, UserMatch};
use crate::model::{
    dedupe_warnings, ChangeTarget, Desired, Group, Kind, Live, Loc, Member, SourcePos, Target,
    User, Warning, WarningCode,
};
use crate::render::printable_str;

/// The outcome of [`check`]: errors stop a plan; warnings are shown with it. Each list is
/// sorted by position, with its "and N more" summaries (one per capped code) last.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub errors: Vec<PolicyDiagnostic>,
    pub warnings: Vec<PolicyDiagnostic>,
    /// The warnings again as typed plan warnings, one per fact (an inactive user listed in
    /// several places is one fact), ordered by position.
    pub plan_warnings: Vec<Warning>,
}

impl CheckReport {
    /// True when there are no errors (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// One line per warning (`path:line:col: message`), for `Plan::warnings`.
    pub fn warning_messages(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(PolicyDiagnostic::one_line)
            .collect()
    }
}

/// Checks every user, group and role the policy names against `live`: the names the binding's
/// resolver ([`crate::bind::resolve`]) cannot resolve are errors (with "did you mean"),
/// inactive users and groups are warnings. Names match case-insensitively. Licenses need no
/// lookup: their keys were checked when loading.
///
/// At most [`MAX_PER_KIND`] diagnostics of one code are reported, followed by one saying how many
/// more there were; "did you mean" is worked out only for the ones reported.
pub fn check(desired: &Desired, live: &Live) -> CheckReport {
    let ix = LiveIndex::new(live);
    check_with(&Listings::new(desired, &ix))
}

/// [`check`] over listings already resolved (the plan use case resolves them once for the
/// check and the diff).
pub fn check_with(listings: &Listings<'_>) -> CheckReport {
    check_resolved(listings, &crate::bind::resolve(listings))
}

/// [`check`] over listings and names already resolved (the plan and drift use cases resolve
/// once for the check and the binding).
pub fn check_resolved<'a>(listings: &Listings<'a>, resolution: &Resolution<'a>) -> CheckReport {
    let desired = listings.desired;
    let sources = Sources::new(&desired.files);
    let mut cx = Checker {
        sources: &sources,
        ix: listings.ix,
        suggester: None,
        pending: Vec::new(),
        plan_warnings: Vec::new(),
        inactive: HashMap::new(),
        acknowledge: &desired.settings.acknowledge,
    };
    // Names are resolved by the binding's one resolver; its problems become diagnostics here.
    for p in &resolution.problems {
        cx.problem(p);
    }
    for (at, g) in &resolution.named_groups {
        cx.inactive_group(*at, g);
    }
    // (user id, position in the target's members, user) of each resolved member.
    let mut resolved: Vec<(u64, usize, &User)> = Vec::new();
    for kind in [Kind::Group, Kind::Role, Kind::License] {
        for (n, (t, listed)) in listings.targets(kind).enumerate() {
            resolved.clear();
            for (pos, (m, &l)) in t.members.iter().zip(listed).enumerate() {
                if let UserMatch::One(user) = listings.user(m, l) {
                    if !user.active {
                        cx.inactive_user(user, m, t);
                    }
                    resolved.push((user.id, pos, user));
                }
            }
            let target = resolution.target(kind, n, t);
            cx.same_people(target.as_ref(), t, &mut resolved);
        }
    }
    cx.finish()
}

/// A diagnostic whose "did you mean" is looked for only if it is reported.
struct Pending {
    severity: Severity,
    code: Code,
    /// The message (printable), by which repeats at one place are told apart.
    message: String,
    sort_key: (Option<usize>, usize),
    draft: Draft,
    suggest: Option<Suggest>,
}

/// A diagnostic, or what it takes to build it. Kinds that can number many thousands (an
/// inactive or unknown user per listing) wait as drafts: only the first [`MAX_PER_KIND`] of a
/// kind are reported, so only those are built (a label quotes the file).
enum Draft {
    Built(PolicyDiagnostic),
    /// One label at `loc`, and the help line when there is fixed advice.
    Labelled {
        loc: Loc,
        label: String,
        help: Option<&'static str>,
    },
}

impl Pending {
    fn built(d: PolicyDiagnostic, suggest: Option<Suggest>) -> Self {
        Pending {
            severity: d.severity(),
            code: d.code(),
            message: d.message().to_string(),
            sort_key: d.sort_key(),
            draft: Draft::Built(d),
            suggest,
        }
    }

    fn build(self, sources: &Sources) -> PolicyDiagnostic {
        match self.draft {
            Draft::Built(d) => d,
            Draft::Labelled { loc, label, help } => {
                let d = PolicyDiagnostic::new(self.severity, self.code, self.message)
                    .label(sources, loc, label);
                match help {
                    Some(h) => d.help(h),
                    None => d,
                }
            }
        }
    }
}

/// What to look for a close match of.
enum Suggest {
    User(String),
    Group(String),
    Role(String),
}

/// A plan warning stating the same fact as diagnostic `d`, at its first position.
fn typed(d: &PolicyDiagnostic, code: WarningCode) -> Warning {
    let at = d.points().into_iter().next().map(|p| SourcePos {
        file: p.path,
        line: p.line,
        column: p.column,
    });
    let w = Warning::new(code, d.message()).at(at);
    match d.help_text() {
        Some(h) => w.help(h),
        None => w,
    }
}

struct Checker<'a> {
    sources: &'a Sources<'a>,
    ix: &'a LiveIndex<'a>,
    /// Built on the first unknown user reported only: most runs never need it.
    suggester: Option<IdentitySuggester<'a>>,
    pending: Vec<Pending>,
    /// The typed plan warnings for the facts warned about.
    plan_warnings: Vec<Warning>,
    /// Inactive users warned about: login (what a warning's fact names) -> (index into
    /// `plan_warnings`, where). One plan warning per user, the one listed first in file order
    /// (as sorting and deduplicating all of them would keep), without building the others.
    inactive: HashMap<&'a str, (usize, (usize, usize))>,
    /// `settings.acknowledge`: the facts whose diagnostics are not shown (the plan counts them).
    acknowledge: &'a [crate::model::Acknowledgement],
}

impl<'a> Checker<'a> {
    /// Whether the policy acknowledges the fact `w` states (`settings.acknowledge`): its
    /// diagnostics are then not shown, and the plan counts it instead of listing it.
    fn acknowledged(&self, w: &Warning) -> bool {
        let login_of = |identity: &str| match self.ix.user(identity) {
            UserMatch::One(u) => Some(u.login.to_string()),
            _ => None,
        };
        self.acknowledge.iter().any(|a| a.matches(w, &login_of))
    }

    fn push(&mut self, d: PolicyDiagnostic) {
        self.pending.push(Pending::built(d, None));
    }

    /// Pushes `d`, whose help is "did you mean" a close match of `s`, or `otherwise`.
    fn push_suggesting(&mut self, d: PolicyDiagnostic, s: Suggest) {
        self.pending.push(Pending::built(d, Some(s)));
    }

    /// Pushes a diagnostic with one label at `loc`, built only if it is reported.
    fn push_draft(
        &mut self,
        (severity, code): (Severity, Code),
        message: String,
        (loc, label): (Loc, String),
        help: Option<&'static str>,
        suggest: Option<Suggest>,
    ) {
        let sort_key = if self.sources.has(loc.file) {
            (Some(loc.file), loc.offset)
        } else {
            (None, 0)
        };
        self.pending.push(Pending {
            severity,
            code,
            message: crate::render::printable_str(&message).into_owned(),
            sort_key,
            draft: Draft::Labelled { loc, label, help },
            suggest,
        });
    }

    /// Removes repeats, sorts, caps each kind and only then looks for suggestions.
    fn finish(mut self) -> CheckReport {
        let (mut errors, mut warnings): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.pending)
                .into_iter()
                .partition(|p| p.severity == Severity::Error);
        let mut report = CheckReport::default();
        for (severity, list, out) in [
            (Severity::Error, &mut errors, &mut report.errors),
            (Severity::Warning, &mut warnings, &mut report.warnings),
        ] {
            // Per-user members share the key's Loc, so one unknown person named for several
            // targets would repeat; keep one diagnostic per place and message.
            let mut seen = HashSet::new();
            list.retain(|p| seen.insert((p.sort_key, p.message.clone())));
            list.sort_by_key(|p| p.sort_key);
            let (kept, left_out) = cap(std::mem::take(list), |p| p.code, MAX_PER_KIND);
            for mut p in kept {
                let suggest = p.suggest.take();
                let d = p.build(self.sources);
                let d = match suggest {
                    Some(s) => {
                        let help = self.suggestion(&s);
                        d.help(help)
                    }
                    None => d,
                };
                out.push(d);
            }
            sort(out);
            for (code, n) in left_out {
                out.push(summary(severity, code, n));
            }
        }
        // Positionless first, then by file and position, like the diagnostics.
        let mut plan_warnings = std::mem::take(&mut self.plan_warnings);
        fn key(w: &Warning) -> Option<(&str, usize, usize)> {
            w.at.as_ref().map(|p| (p.file.as_str(), p.line, p.column))
        }
        plan_warnings.sort_by(|a, b| key(a).cmp(&key(b)));
        report.plan_warnings = dedupe_warnings(plan_warnings);
        report
    }

    /// The help line of an unknown name: a close match, or how names are matched.
    fn suggestion(&mut self, s: &Suggest) -> String {
        let found = match s {
            Suggest::User(identity) => {
                let ix = self.ix;
                self.suggester
                    .get_or_insert_with(|| IdentitySuggester::new(ix.identities()))
                    .suggest(identity)
            }
            Suggest::Group(name) => {
                closest(name, self.ix.live.groups.iter().map(|g| g.name.as_str()))
            }
            Suggest::Role(name) => {
                closest(name, self.ix.live.roles.iter().map(|r| r.name.as_str()))
            }
        };
        match (found, s) {
            (Some(found), _) => format!("did you mean `{found}`?"),
            (None, Suggest::User(_)) => "write the user's Coupa login or email".into(),
            (None, Suggest::Group(_)) => {
                "group names must match a user group in Coupa (case-insensitively)".into()
            }
            (None, Suggest::Role(_)) => {
                "role names must match a role in Coupa (case-insensitively)".into()
            }
        }
    }

    /// Pushes a warning diagnostic and the typed plan warning for the same fact.
    fn warn(&mut self, d: PolicyDiagnostic, w: Warning) {
        if !self.acknowledged(&w) {
            self.push(d);
        }
        self.plan_warnings.push(w);
    }

    fn at(&self, d: PolicyDiagnostic, loc: Loc, label: &str) -> PolicyDiagnostic {
        d.label(self.sources, loc, label)
    }

    /// The diagnostic of one problem the resolver found.
    fn problem(&mut self, p: &Problem) {
        match p {
            Problem::AmbiguousName {
                at,
                kind,
                name,
                found,
            } => self.ambiguous_name(name, *at, kind.word(), found),
            Problem::GroupIdMismatch {
                at, name, id, live, ..
            } => self.wrong_group_id(name, *at, *id, Some(live)),
            Problem::UnknownGroupId { at, name, id } => self.wrong_group_id(name, *at, *id, None),
            Problem::GroupIsProject { at, project, .. } => {
                let d = PolicyDiagnostic::error(
                    Code::ProjectNotGroup,
                    format!("`{project}` is a project, not a user group"),
                );
                let d = self
                    .at(d, *at, "a project")
                    .help("coupa-access manages user groups; manage project members in Coupa");
                self.push(d);
            }
            Problem::UnknownGroup { at, name } => {
                let d =
                    PolicyDiagnostic::error(Code::UnknownGroup, format!("unknown group `{name}`"));
                let d = self.at(d, *at, "no such group in Coupa");
                self.push_suggesting(d, Suggest::Group(name.clone()));
            }
            Problem::UnknownRole { at, name } => {
                let d =
                    PolicyDiagnostic::error(Code::UnknownRole, format!("unknown role `{name}`"));
                let d = self.at(d, *at, "no such role in Coupa");
                self.push_suggesting(d, Suggest::Role(name.clone()));
            }
            Problem::UnreadField {
                at,
                kind,
                target,
                field,
                count,
                first,
            } => {
                let d = PolicyDiagnostic::error(
                    Code::UnreadField,
                    format!(
                        "{} `{target}`: Coupa's user records left out `{field}` for {count} user(s) (first: {first}), so whether they hold it is unknown",
                        kind.word()
                    ),
                );
                let d = self.at(d, *at, "holders unknown").help(format!(
                    "coupa-access never reads a missing `{field}` as \"not held\" (that would miss removals and show false additions); ask the Coupa admin why the API leaves it out for this OAuth2 client, or stop managing this {} until it is sent",
                    kind.word(),
                ));
                self.push(d);
            }
            Problem::AmbiguousUser {
                at,
                identity,
                users,
                ..
            } => {
                let users: Vec<String> = users
                    .iter()
                    .map(|(login, email)| format!("`{login}` (email {email})"))
                    .collect();
                let d = PolicyDiagnostic::error(
                    Code::AmbiguousUser,
                    format!(
                        "`{identity}` matches {} users: {}",
                        count_word(users.len()),
                        list(&users, "and")
                    ),
                );
                let d = self
                    .at(d, *at, "ambiguous")
                    .help("write the login of the user you mean");
                self.push(d);
            }
            Problem::SupplierAccount { at, identity, .. } => {
                let d = PolicyDiagnostic::error(
                    Code::SupplierAccount,
                    format!("`{identity}` is a Coupa Supplier Portal account, not an employee"),
                );
                let d = self
                    .at(d, *at, "a supplier account")
                    .help("supplier accounts cannot be given groups, roles or licenses; name the employee's login or email");
                self.push(d);
            }
            Problem::UnknownUser {
                at,
                identity,
                place,
            } => {
                let (code, message) = match place {
                    Place::Target { .. } | Place::Exception { .. } => {
                        (Code::UnknownUser, format!("unknown user `{identity}`"))
                    }
                    Place::Protected => (
                        Code::UnknownProtectedUser,
                        format!("unknown user `{identity}` in `protected_users`"),
                    ),
                    Place::Reviewer { account } => (
                        Code::UnknownReviewer,
                        format!(
                            "unknown user `{identity}` for reviewer `{account}` in `reviewers`"
                        ),
                    ),
                };
                self.push_draft(
                    (Severity::Error, code),
                    message,
                    (*at, "no such login or email in Coupa".into()),
                    None,
                    Some(Suggest::User(identity.clone())),
                );
            }
        }
    }

    /// Live records that the name matches equally well (equal but for case, none spelled as
    /// written, or spelled exactly alike), every one of them named. Ids tell them apart; a
    /// group entry can say which one it means with `id:`.
    fn ambiguous_name(&mut self, name: &str, at: Loc, what: &str, found: &[(String, u64)]) {
        let listed: Vec<String> = found
            .iter()
            .map(|(name, id)| format!("`{name}` (id {id})"))
            .collect();
        let d = PolicyDiagnostic::error(
            Code::AmbiguousName,
            format!(
                "`{name}` matches {} {what}s in Coupa: {}",
                count_word(found.len()),
                list(&listed, "and")
            ),
        );
        let ids: Vec<String> = found.iter().map(|(_, id)| format!("`id: {id}`")).collect();
        let mut spellings: Vec<String> = Vec::new();
        for (name, _) in found {
            let quoted = format!("`{name}`");
            if !spellings.contains(&quoted) {
                spellings.push(quoted);
            }
        }
        let n = count_word(found.len());
        let help = match (what, spellings.len() == 1) {
            ("group", true) => format!(
                "{n} Coupa groups have this exact name: add {} under `{name}:` to say which one this entry manages, or rename them in Coupa",
                list(&ids, "or"),
            ),
            ("group", false) => format!(
                "write the name exactly as Coupa spells it: {}; or add {} under `{name}:`",
                list(&spellings, "or"),
                list(&ids, "or"),
            ),
            (_, true) => format!(
                "{n} Coupa {what}s have this exact name: rename all but one in Coupa (a policy names {what}s by name only)"
            ),
            (_, false) => format!(
                "write the name exactly as Coupa spells it: {}",
                list(&spellings, "or")
            ),
        };
        let d = self.at(d, at, "ambiguous").help(help);
        self.push(d);
    }

    /// The ids of the live groups this name matches (case-insensitively), for help lines.
    fn group_ids_named(&self, name: &str) -> String {
        let ids: Vec<String> = self
            .ix
            .groups_matching(name)
            .iter()
            .map(|g| format!("id {}", g.id))
            .collect();
        if ids.is_empty() {
            format!("no Coupa group is named `{name}`")
        } else {
            format!("Coupa groups named `{name}`: {}", ids.join(", "))
        }
    }

    /// An entry naming its group by `id:` that does not hold: no such group (`live` is
    /// `None`), or one named `live`.
    fn wrong_group_id(&mut self, name: &str, at: Loc, id: u64, live: Option<&str>) {
        let (code, message, label) = match live {
            Some(live) => (
                Code::GroupIdMismatch,
                format!("group id {id} is `{live}` in Coupa, not `{name}`"),
                "named otherwise in Coupa",
            ),
            None => (
                Code::UnknownGroupId,
                format!("no user group in Coupa has id {id} (given for `{name}`)"),
                "no group with this id",
            ),
        };
        let help = format!(
            "`id:` must be the id of a Coupa group with this name; {}",
            self.group_ids_named(name)
        );
        let d = PolicyDiagnostic::error(code, message);
        let d = self.at(d, at, label).help(help);
        self.push(d);
    }

    /// Warns that a group the policy names (at `at`) is inactive.
    fn inactive_group(&mut self, at: Loc, g: &Group) {
        if g.active {
            return;
        }
        let d = PolicyDiagnostic::warning(
            Code::InactiveGroup,
            format!("group `{}` is inactive in Coupa", g.name),
        );
        let d = self
            .at(d, at, "inactive group")
            .help("members are still managed; reactivate the group or remove it from the policy");
        let w = typed(&d, WarningCode::InactiveGroup).about_target(ChangeTarget::Group {
            id: g.id,
            name: g.name.clone(),
        });
        self.warn(d, w);
    }

    /// Warns about each person listed twice for `t` (which resolved to `target`) under
    /// different identities (the loader removed repeats of one identity), in member order,
    /// pointing at their first listing. `resolved` holds (user id, member position, user) of
    /// `t`'s resolved members.
    fn same_people(
        &mut self,
        target: Option<&ChangeTarget>,
        t: &Target,
        resolved: &mut [(u64, usize, &User)],
    ) {
        resolved.sort_unstable_by_key(|&(id, pos, _)| (id, pos));
        let mut again: Vec<(usize, usize, &User)> = Vec::new();
        for run in resolved.chunk_by(|a, b| a.0 == b.0) {
            let first = run[0].1;
            again.extend(run[1..].iter().map(|&(_, pos, u)| (pos, first, u)));
        }
        again.sort_unstable_by_key(|&(pos, _, _)| pos);
        for (pos, first, user) in again {
            self.same_person(target, t, user, &t.members[pos], &t.members[first]);
        }
    }

    /// Warns about one person listed twice for `t` under different identities.
    fn same_person(
        &mut self,
        target: Option<&ChangeTarget>,
        t: &Target,
        user: &User,
        again: &Member,
        first: &Member,
    ) {
        let d = PolicyDiagnostic::warning(
            Code::SamePersonTwice,
            format!(
                "`{}` and `{}` are the same user (`{}`), both listed for `{}`",
                first.identity, again.identity, user.login, t.name
            ),
        );
        let d = self.at(d, again.loc, "listed again here");
        let d = self
            .at(d, first.loc, "first listed here")
            .help("list each person once");
        let mut w = typed(&d, WarningCode::SamePersonTwice).about_user(&user.login);
        w.target = target.cloned();
        self.warn(d, w);
    }

    /// Warns that `u`, listed as `m` for `t`, is inactive: a diagnostic per listing, and one
    /// plan warning per user (the fact is the user's state), at the first listing.
    fn inactive_user(&mut self, u: &'a User, m: &Member, t: &Target) {
        const HELP: &str = "reactivate the user in Coupa or remove them from the policy";
        let message = format!("user `{}` is inactive in Coupa", m.identity);
        let at = (m.loc.file, m.loc.offset);
        let earlier = match self.inactive.get(u.login.as_str()) {
            Some(&(_, first)) => at < first,
            None => true,
        };
        let w = Warning::new(WarningCode::InactiveUser, printable_str(&message))
            .at(self.sources.pos(m.loc))
            .help(HELP)
            .about_user(&u.login);
        let acknowledged = self.acknowledged(&w);
        if earlier {
            match self.inactive.get_mut(u.login.as_str()) {
                Some((i, first)) => {
                    self.plan_warnings[*i] = w;
                    *first = at;
                }
                None => {
                    self.inactive
                        .insert(&u.login, (self.plan_warnings.len(), at));
                    self.plan_warnings.push(w);
                }
            }
        }
        if acknowledged {
            return;
        }
        self.push_draft(
            (Severity::Warning, Code::InactiveUser),
            message,
            (m.loc, format!("inactive; listed for `{}`", t.name)),
            Some(HELP),
            None,
        );
    }
}

/// `two`, `three`, … `ten`, then digits: how many records an ambiguous name matches.
fn count_word(n: usize) -> String {
    const WORDS: [&str; 11] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// `a`, `a and b`, `a, b and c` (or `or`).
fn list(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., end] => format!("{} {last} {end}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PolicyFile, User};
    use crate::policy::{load_files, render_plain};

    fn live() -> Live {
        let mut live = Live::default();
        for (id, login) in ["alice", "dave", "erin"].into_iter().enumerate() {
            let mut u = User::new(id as u64 + 1, login, &format!("{login}@acme.com"));
            u.active = login == "alice";
            live.users.push(u);
        }
        for (id, name) in ["G1", "G2", "G3"].into_iter().enumerate() {
            live.groups
                .push(crate::model::Group::new(10 + id as u64, name));
        }
        live
    }

    fn load(files: &[(&str, &str)]) -> Desired {
        load_files(
            files
                .iter()
                .map(|(path, text)| PolicyFile {
                    path: path.to_string(),
                    text: text.to_string(),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn an_inactive_user_is_one_plan_warning_at_the_first_listing_and_a_diagnostic_per_listing() {
        let d = load(&[
            ("p/b.yaml", "groups:\n  G2:\n    members: [dave, erin]\n"),
            (
                "p/a.yaml",
                "users:\n  Dave: { groups: [G3] }\ngroups:\n  G1:\n    members: [alice, dave]\n",
            ),
        ]);
        let report = check(&d, &live());
        assert!(report.is_ok(), "{:?}", report.errors);
        let shown: Vec<String> = report.warnings.iter().map(|w| w.one_line()).collect();
        let rule = "(reactivate the user in Coupa or remove them from the policy)";
        assert_eq!(
            shown,
            [
                format!("p/a.yaml:2:3: user `Dave` is inactive in Coupa {rule}"),
                format!("p/a.yaml:5:22: user `dave` is inactive in Coupa {rule}"),
                format!("p/b.yaml:3:15: user `dave` is inactive in Coupa {rule}"),
                format!("p/b.yaml:3:21: user `erin` is inactive in Coupa {rule}"),
            ]
        );
        let typed: Vec<String> = report.plan_warnings.iter().map(|w| w.one_line()).collect();
        assert_eq!(typed, [shown[0].clone(), shown[3].clone()]);
        assert_eq!(report.plan_warnings[0].user.as_deref(), Some("dave"));
        let out = render_plain(&report.warnings);
        assert!(out.contains("inactive; listed for `G3`"), "{out}");
        assert!(out.contains("inactive; listed for `G2`"), "{out}");
    }

    #[test]
    fn only_the_reported_drafts_are_built_and_the_rest_are_counted() {
        let members: Vec<String> = (0..60).map(|i| format!("nobody{i:02}")).collect();
        let text = format!("groups:\n  G1:\n    members: [{}]\n", members.join(", "));
        let d = load(&[("p/a.yaml", &text)]);
        let report = check(&d, &live());
        assert_eq!(report.errors.len(), MAX_PER_KIND + 1);
        assert_eq!(report.errors[0].message(), "unknown user `nobody00`");
        assert_eq!(report.errors[0].points()[0].column, 15);
        assert!(
            report.errors[0].help_text().is_some(),
            "reported ones get their help"
        );
        assert_eq!(
            report.errors.last().map(|e| e.message()),
            Some("and 10 more unknown users")
        );
        let out = render_plain(&report.errors[..1]);
        assert!(out.contains("no such login or email in Coupa"), "{out}");
    }
}
