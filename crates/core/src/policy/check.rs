//! Checks a loaded policy against live Coupa: every name must resolve.

use std::collections::{HashMap, HashSet};

use miette::Severity;

use super::cap::{cap, summary, MAX_PER_KIND};
use super::diagnostic::{sort, PolicyDiagnostic, Sources};
use super::suggest::{closest, IdentitySuggester};
use super::Code;
use crate::index::{Listings, LiveIndex, NameMatch, UserMatch};
use crate::model::{
    dedupe_warnings, ChangeTarget, Desired, Kind, License, Live, Loc, Member, Mode, SourcePos,
    Target, Unread, User, Warning, WarningCode,
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

/// Resolves every user, group and role the policy names against `live`: unknown or ambiguous
/// names are errors (with "did you mean"), inactive users and groups are warnings. Names match
/// case-insensitively. Licenses need no lookup: their keys were checked when loading.
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
    for g in desired.groups.values() {
        cx.group(g);
    }
    for r in desired.roles.values() {
        cx.role(r);
    }
    // (user id, position in the target's members, user) of each resolved member.
    let mut resolved: Vec<(u64, usize, &User)> = Vec::new();
    for kind in [Kind::Group, Kind::Role, Kind::License] {
        for (t, listed) in listings.targets(kind) {
            resolved.clear();
            for (pos, (m, &l)) in t.members.iter().zip(listed).enumerate() {
                if let Some(user) = cx.member(m, Some(t), listings.user(m, l)) {
                    resolved.push((user.id, pos, user));
                }
            }
            cx.unread(kind, t, &resolved);
            cx.same_people(kind, t, &mut resolved);
        }
    }
    for (m, l) in listings.protected() {
        cx.member(m, None, listings.user(m, l));
    }
    // `settings.reviewers`: a mapping to nobody would let a self-approval pass unseen.
    for r in &desired.settings.reviewers {
        let found = listings.ix.user(&r.person.identity);
        match found {
            UserMatch::One(_) => {}
            UserMatch::None if listings.ix.supplier(&r.person.identity).is_none() => cx.push_draft(
                (Severity::Error, Code::UnknownReviewer),
                format!(
                    "unknown user `{}` for reviewer `{}` in `reviewers`",
                    r.person.identity, r.account
                ),
                (r.person.loc, "no such login or email in Coupa".into()),
                None,
                Some(Suggest::User(r.person.identity.to_string())),
            ),
            _ => {
                cx.member(&r.person, None, found);
            }
        }
    }
    // Separation-of-duties rules: every side's names, every exception's person.
    for rule in &desired.sod_rules {
        for side in &rule.sides {
            for (kind, name, at) in &side.targets {
                let t = Target {
                    name: name.clone(),
                    loc: *at,
                    ..Target::default()
                };
                match kind {
                    Kind::Group => cx.group(&t),
                    Kind::Role => cx.role(&t),
                    Kind::License => {}
                }
            }
        }
        for ex in &rule.exceptions {
            let found = listings.ix.user(&ex.user.identity);
            if !matches!(found, UserMatch::One(_)) {
                let t = Target {
                    name: rule.name.clone(),
                    ..Target::default()
                };
                cx.member(&ex.user, Some(&t), found);
            }
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

    /// The live target a declaration names, for warnings about it.
    fn resolved(&self, kind: Kind, t: &Target) -> Option<ChangeTarget> {
        match kind {
            Kind::Group => self
                .ix
                .group_named(&t.name, t.id)
                .one()
                .map(|g| ChangeTarget::Group {
                    id: g.id,
                    name: g.name.clone(),
                }),
            Kind::Role => self.ix.role(&t.name).map(|r| ChangeTarget::Role {
                id: r.id,
                name: r.name.clone(),
            }),
            Kind::License => License::from_key(&t.name).map(ChangeTarget::License),
        }
    }

    fn at(&self, d: PolicyDiagnostic, loc: Loc, label: &str) -> PolicyDiagnostic {
        d.label(self.sources, loc, label)
    }

    /// Live records that the name matches equally well (equal but for case, none spelled as
    /// written, or spelled exactly alike), every one of them named. Ids tell them apart; a
    /// group entry can say which one it means with `id:`.
    fn ambiguous_name(&mut self, t: &Target, what: &str, found: &[(&str, u64)]) {
        let listed: Vec<String> = found
            .iter()
            .map(|(name, id)| format!("`{name}` (id {id})"))
            .collect();
        let d = PolicyDiagnostic::error(
            Code::AmbiguousName,
            format!(
                "`{}` matches {} {what}s in Coupa: {}",
                t.name,
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
                "{n} Coupa groups have this exact name: add {} under `{}:` to say which one this entry manages, or rename them in Coupa",
                list(&ids, "or"),
                t.name
            ),
            ("group", false) => format!(
                "write the name exactly as Coupa spells it: {}; or add {} under `{}:`",
                list(&spellings, "or"),
                list(&ids, "or"),
                t.name
            ),
            (_, true) => format!(
                "{n} Coupa {what}s have this exact name: rename all but one in Coupa (a policy names {what}s by name only)"
            ),
            (_, false) => format!(
                "write the name exactly as Coupa spells it: {}",
                list(&spellings, "or")
            ),
        };
        let d = self.at(d, t.loc, "ambiguous").help(help);
        self.push(d);
    }

    /// A role or license that Coupa's user records left out for users whose holding matters:
    /// every user when the target is authoritative (anyone may lose it), the listed members
    /// when it only adds. Unknown is never read as "not held": that would miss removals.
    fn unread(&mut self, kind: Kind, t: &Target, members: &[(u64, usize, &User)]) {
        if kind == Kind::Group {
            return;
        }
        let Some(target) = self.resolved(kind, t) else {
            return;
        };
        let found = if t.mode == Mode::Authoritative && !t.implicit {
            Unread::among(&self.ix.live.users, &target)
        } else {
            Unread::among(members.iter().map(|m| m.2), &target)
        };
        let Some((count, first)) = found else {
            return;
        };
        let field = Unread::field(&target);
        let d = PolicyDiagnostic::error(
            Code::UnreadField,
            format!(
                "{} `{}`: Coupa's user records left out `{field}` for {count} user(s) (first: {}), so whether they hold it is unknown",
                if kind == Kind::Role { "role" } else { "license" },
                t.name,
                first.login
            ),
        );
        let d = self.at(d, t.loc, "holders unknown").help(format!(
            "coupa-access never reads a missing `{field}` as \"not held\" (that would miss removals and show false additions); ask the Coupa admin why the API leaves it out for this OAuth2 client, or stop managing this {} until it is sent",
            if kind == Kind::Role { "role" } else { "license" },
        ));
        self.push(d);
    }

    /// The ids of the live groups this name matches (case-insensitively), for help lines.
    fn group_ids_named(&self, name: &str) -> String {
        let key = crate::model::NameKey::new(name);
        let ids: Vec<String> = self
            .ix
            .live
            .groups
            .iter()
            .filter(|g| crate::model::NameKey::new(&g.name) == key)
            .map(|g| format!("id {}", g.id))
            .collect();
        if ids.is_empty() {
            format!("no Coupa group is named `{name}`")
        } else {
            format!("Coupa groups named `{name}`: {}", ids.join(", "))
        }
    }

    /// An entry naming its group by `id:` that does not hold: no such group, or another name.
    fn wrong_group_id(&mut self, t: &Target, id: u64) {
        let found = self.ix.live.groups.iter().find(|g| g.id == id);
        let (code, message, label) = match found {
            Some(g) => (
                Code::GroupIdMismatch,
                format!("group id {id} is `{}` in Coupa, not `{}`", g.name, t.name),
                "named otherwise in Coupa",
            ),
            None => (
                Code::UnknownGroupId,
                format!(
                    "no user group in Coupa has id {id} (given for `{}`)",
                    t.name
                ),
                "no group with this id",
            ),
        };
        let help = format!(
            "`id:` must be the id of a Coupa group with this name; {}",
            self.group_ids_named(&t.name)
        );
        let d = PolicyDiagnostic::error(code, message);
        let d = self.at(d, t.loc, label).help(help);
        self.push(d);
    }

    fn group(&mut self, t: &Target) {
        match (self.ix.group_named(&t.name, t.id), t.id) {
            (NameMatch::Ambiguous(..), _) => {
                let found: Vec<(&str, u64)> = self
                    .ix
                    .groups_matching(&t.name)
                    .into_iter()
                    .map(|g| (g.name.as_str(), g.id))
                    .collect();
                self.ambiguous_name(t, "group", &found);
                return;
            }
            (NameMatch::None, Some(id)) => {
                self.wrong_group_id(t, id);
                return;
            }
            (NameMatch::One(g), _) => {
                if !g.active {
                    let d = PolicyDiagnostic::warning(
                        Code::InactiveGroup,
                        format!("group `{}` is inactive in Coupa", g.name),
                    );
                    let d = self.at(d, t.loc, "inactive group").help(
                        "members are still managed; reactivate the group or remove it from the policy",
                    );
                    let w =
                        typed(&d, WarningCode::InactiveGroup).about_target(ChangeTarget::Group {
                            id: g.id,
                            name: g.name.clone(),
                        });
                    self.warn(d, w);
                }
                return;
            }
            (NameMatch::None, None) => {}
        }
        if let Some(p) = self.ix.project(&t.name) {
            let d = PolicyDiagnostic::error(
                Code::ProjectNotGroup,
                format!("`{}` is a project, not a user group", p.name),
            );
            let d = self
                .at(d, t.loc, "a project")
                .help("coupa-access manages user groups; manage project members in Coupa");
            self.push(d);
            return;
        }
        let d = PolicyDiagnostic::error(Code::UnknownGroup, format!("unknown group `{}`", t.name));
        let d = self.at(d, t.loc, "no such group in Coupa");
        self.push_suggesting(d, Suggest::Group(t.name.clone()));
    }

    fn role(&mut self, t: &Target) {
        match self.ix.role_match(&t.name) {
            NameMatch::One(_) => return,
            NameMatch::Ambiguous(..) => {
                let found: Vec<(&str, u64)> = self
                    .ix
                    .roles_matching(&t.name)
                    .into_iter()
                    .map(|r| (r.name.as_str(), r.id))
                    .collect();
                return self.ambiguous_name(t, "role", &found);
            }
            NameMatch::None => {}
        }
        let d = PolicyDiagnostic::error(Code::UnknownRole, format!("unknown role `{}`", t.name));
        let d = self.at(d, t.loc, "no such role in Coupa");
        self.push_suggesting(d, Suggest::Role(t.name.clone()));
    }

    /// Warns about each person listed twice for `t` under different identities (the loader
    /// removed repeats of one identity), in member order, pointing at their first listing.
    /// `resolved` holds (user id, member position, user) of `t`'s resolved members.
    fn same_people(&mut self, kind: Kind, t: &Target, resolved: &mut [(u64, usize, &User)]) {
        resolved.sort_unstable_by_key(|&(id, pos, _)| (id, pos));
        let mut again: Vec<(usize, usize, &User)> = Vec::new();
        for run in resolved.chunk_by(|a, b| a.0 == b.0) {
            let first = run[0].1;
            again.extend(run[1..].iter().map(|&(_, pos, u)| (pos, first, u)));
        }
        again.sort_unstable_by_key(|&(pos, _, _)| pos);
        for (pos, first, user) in again {
            self.same_person(kind, t, user, &t.members[pos], &t.members[first]);
        }
    }

    /// Warns about one person listed twice for `t` under different identities.
    fn same_person(&mut self, kind: Kind, t: &Target, user: &User, again: &Member, first: &Member) {
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
        w.target = self.resolved(kind, t);
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

    /// Reports problems with one member, `found` being whom it names; returns the user when
    /// there is exactly one.
    /// `target` is `None` for `protected_users`, where an inactive user is no concern.
    fn member(
        &mut self,
        m: &Member,
        target: Option<&Target>,
        found: UserMatch<'a>,
    ) -> Option<&'a User> {
        match found {
            UserMatch::One(u) => {
                if let (false, Some(t)) = (u.active, target) {
                    self.inactive_user(u, m, t);
                }
                Some(u)
            }
            UserMatch::Ambiguous(..) => {
                let users: Vec<String> = self
                    .ix
                    .users_matching(&m.identity)
                    .iter()
                    .map(|u| format!("`{}` (email {})", u.login, u.email))
                    .collect();
                let d = PolicyDiagnostic::error(
                    Code::AmbiguousUser,
                    format!(
                        "`{}` matches {} users: {}",
                        m.identity,
                        count_word(users.len()),
                        list(&users, "and")
                    ),
                );
                let d = self
                    .at(d, m.loc, "ambiguous")
                    .help("write the login of the user you mean");
                self.push(d);
                None
            }
            UserMatch::None if self.ix.supplier(&m.identity).is_some() => {
                let d = PolicyDiagnostic::error(
                    Code::SupplierAccount,
                    format!(
                        "`{}` is a Coupa Supplier Portal account, not an employee",
                        m.identity
                    ),
                );
                let d = self
                    .at(d, m.loc, "a supplier account")
                    .help("supplier accounts cannot be given groups, roles or licenses; name the employee's login or email");
                self.push(d);
                None
            }
            UserMatch::None => {
                let (code, message) = match target {
                    Some(_) => (Code::UnknownUser, format!("unknown user `{}`", m.identity)),
                    None => (
                        Code::UnknownProtectedUser,
                        format!("unknown user `{}` in `protected_users`", m.identity),
                    ),
                };
                self.push_draft(
                    (Severity::Error, code),
                    message,
                    (m.loc, "no such login or email in Coupa".into()),
                    None,
                    Some(Suggest::User(m.identity.to_string())),
                );
                None
            }
        }
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
