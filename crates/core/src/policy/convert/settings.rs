//! The one `settings:` block.

use std::collections::HashMap;

use super::{loc, Cx, ACKNOWLEDGE_FIELDS, MAX_REMOVALS_FIELDS, SETTINGS_FIELDS};
use crate::model::{
    writes_kind, Acknowledgement, GroupRemovals, Kind, License, Loc, MaxRemovals, Member, NameKey,
    Reviewer, WarningCode, Writes,
};
use crate::policy::diagnostic::PolicyDiagnostic;
use crate::policy::suggest::closest;
use crate::policy::yaml::{Node, Value};
use crate::policy::Code;

impl Cx<'_> {
    pub(super) fn settings(&mut self, file: usize, key: &Node, body: &Node) {
        let at = loc(file, key);
        if let Some(first) = self.settings.at {
            let d = PolicyDiagnostic::error(
                Code::DuplicateSettings,
                "`settings` is written more than once",
            )
            .label(self.sources, at, "settings again here")
            .label(self.sources, first, "first settings here")
            .help("keep all settings in one block in one file");
            self.diags.push(d);
            return;
        }
        self.settings.at = Some(at);
        let pairs = self.map(file, body, "`settings`", None);
        for (field, _, value) in self.fields(file, pairs, SETTINGS_FIELDS, "`settings`") {
            if field == "protected_users" {
                let mut seen: HashMap<NameKey, Loc> = HashMap::new();
                for (identity, at) in self.list(file, value, "`protected_users`") {
                    if let Some(&first) = seen.get(&NameKey::new(&identity)) {
                        let d = PolicyDiagnostic::error(
                            Code::DuplicateMember,
                            format!("`{identity}` is listed twice in `protected_users`"),
                        )
                        .label(self.sources, at, "listed again here")
                        .label(self.sources, first, "first listed here")
                        .help("list each person once");
                        self.diags.push(d);
                        continue;
                    }
                    seen.insert(NameKey::new(&identity), at);
                    self.settings.protected_users.push(Member {
                        identity: identity.into(),
                        loc: at,
                        grant: None,
                    });
                }
            } else if field == "require_reason" {
                self.settings.require_reason = self.flag(file, value, field);
            } else if field == "expiry_warning_days" {
                match &value.value {
                    Value::Scalar(s) if !value.quoted && s.trim().parse::<u32>().is_ok() => {
                        self.settings.expiry_warning_days = s.trim().parse().ok();
                    }
                    _ => self.error(
                        Code::BadSetting,
                        "`expiry_warning_days` must be a whole number of days".into(),
                        loc(file, value),
                        "not a number of days",
                        Some("how many days before a grant or exception ends plans warn, e.g. `expiry_warning_days: 14`".into()),
                    ),
                }
            } else if field == "reviewers" {
                self.settings.reviewers = self.reviewers(file, value);
            } else if field == "group_removals" {
                self.group_removals(file, value);
            } else if field == "acknowledge" {
                self.settings.acknowledge = self.acknowledge(file, value);
            } else if field == "writes" {
                self.settings.writes = self.writes(file, value);
            } else {
                self.settings.max_removals = self.max_removals(file, value);
            }
        }
    }

    /// `acknowledge: [{ code: inactive_user, user: bob }, …]`: known warnings the policy
    /// accepts. Each entry names an acknowledgeable code and its subject (a user for the codes
    /// about users, a group for `inactive_group`); every problem is reported.
    fn acknowledge(&mut self, file: usize, node: &Node) -> Vec<Acknowledgement> {
        const EXAMPLE: &str = "write `acknowledge: [{ code: inactive_user, user: bob }]`";
        let items = match &node.value {
            Value::Null(_) => return Vec::new(),
            Value::Seq(items) => items,
            _ => {
                self.wrong_type(file, node, "`acknowledge`", "a list", Some(EXAMPLE.into()));
                return Vec::new();
            }
        };
        let codes = WarningCode::ACKNOWLEDGEABLE.map(WarningCode::word);
        let mut out = Vec::new();
        for item in items {
            let at = loc(file, item);
            if let Value::Null(_) = item.value {
                self.error(
                    Code::EmptyEntry,
                    "empty entry in `acknowledge`".into(),
                    at,
                    "empty entry",
                    Some(EXAMPLE.into()),
                );
                continue;
            }
            let pairs = self.map(
                file,
                item,
                "each entry of `acknowledge`",
                Some(EXAMPLE.into()),
            );
            let (mut code, mut user, mut target) = (None, None, None);
            let mut broken = !matches!(item.value, Value::Map(_));
            let context = "an `acknowledge` entry";
            for (field, key, value) in self.fields(file, pairs, ACKNOWLEDGE_FIELDS, context) {
                let text = match &value.value {
                    Value::Scalar(s) if !s.trim().is_empty() => s.trim().to_string(),
                    Value::Null(_) if field == "reason" => continue,
                    _ => {
                        let what = if field == "reason" { "text" } else { "a name" };
                        self.wrong_type(file, value, &format!("`{field}`"), what, None);
                        broken = true;
                        continue;
                    }
                };
                let value_at = loc(file, value);
                match field {
                    "code" => match WarningCode::ACKNOWLEDGEABLE
                        .into_iter()
                        .find(|c| c.word() == text)
                    {
                        Some(c) => code = Some(c),
                        None => {
                            let help = match closest(&text, codes) {
                                Some(s) => format!("did you mean `{s}`? Acknowledgeable codes: {}", codes.join(", ")),
                                None => format!(
                                    "acknowledgeable codes: {}; warnings about what a plan changes (guards, API users, roles) are always shown",
                                    codes.join(", ")
                                ),
                            };
                            self.error(
                                Code::BadAcknowledgement,
                                format!("`{text}` is not a warning code that can be acknowledged"),
                                value_at,
                                "not acknowledgeable",
                                Some(help),
                            );
                            broken = true;
                        }
                    },
                    "user" => user = Some(text),
                    "reason" => {}
                    kind_word => {
                        if target.is_some() {
                            self.error(
                                Code::BadAcknowledgement,
                                "an `acknowledge` entry names one group, role or license".into(),
                                loc(file, key),
                                "a second target",
                                Some("write one entry per target".into()),
                            );
                            broken = true;
                            continue;
                        }
                        let kind = match kind_word {
                            "group" => Kind::Group,
                            "role" => Kind::Role,
                            _ => Kind::License,
                        };
                        if kind == Kind::License && License::from_key(&text).is_none() {
                            let keys = License::ALL.map(License::key);
                            self.error(
                                Code::UnknownLicense,
                                format!("unknown license `{text}`"),
                                value_at,
                                "not a license",
                                Some(format!("licenses are: {}", keys.join(", "))),
                            );
                            broken = true;
                            continue;
                        }
                        target = Some((kind, text));
                    }
                }
            }
            if broken {
                continue;
            }
            let Some(code) = code else {
                self.error(
                    Code::BadAcknowledgement,
                    "an `acknowledge` entry needs a `code`".into(),
                    at,
                    "no code",
                    Some(format!("acknowledgeable codes: {}", codes.join(", "))),
                );
                continue;
            };
            let missing = if code.is_about_a_user() && user.is_none() {
                Some(("user", "user: LOGIN"))
            } else if code == WarningCode::InactiveGroup
                && !matches!(target, Some((Kind::Group, _)))
            {
                Some(("group", "group: NAME"))
            } else {
                None
            };
            if let Some((what, example)) = missing {
                self.error(
                    Code::BadAcknowledgement,
                    format!(
                        "acknowledging `{}` needs the {what} it is about",
                        code.word()
                    ),
                    at,
                    &format!("no {what}"),
                    Some(format!(
                        "add `{example}`: an acknowledgement names one fact, never a whole code"
                    )),
                );
                continue;
            }
            out.push(Acknowledgement {
                code,
                user,
                target,
                loc: at,
            });
        }
        out
    }

    /// `reviewers: { octocat: alice@acme.com }`: review accounts and the people they belong
    /// to. Every problem is reported; an account written twice (in any letter case) is one.
    fn reviewers(&mut self, file: usize, node: &Node) -> Vec<Reviewer> {
        const HELP: &str = "map each code-review login to the person's Coupa login or email, e.g. `reviewers: { octocat: alice@acme.com }`";
        let pairs = self.map(file, node, "`reviewers`", Some(HELP.into()));
        let mut seen: HashMap<NameKey, Loc> = HashMap::new();
        let mut out = Vec::new();
        for (key, value) in pairs {
            let Some(account) = self.key(file, key) else {
                continue;
            };
            let account = account.trim().to_string();
            let person = match &value.value {
                Value::Scalar(s) if !s.trim().is_empty() => s.trim().to_string(),
                _ => {
                    let what = format!("the person of reviewer `{account}`");
                    self.wrong_type(file, value, &what, "a login or email", Some(HELP.into()));
                    continue;
                }
            };
            let at = loc(file, key);
            if let Some(&first) = seen.get(&NameKey::new(&account)) {
                let d = PolicyDiagnostic::error(
                    Code::DuplicateKey,
                    format!("reviewer `{account}` is mapped twice in `reviewers`"),
                )
                .label(self.sources, at, "mapped again here")
                .label(self.sources, first, "first mapped here")
                .help("map each review account to one person");
                self.diags.push(d);
                continue;
            }
            seen.insert(NameKey::new(&account), at);
            out.push(Reviewer {
                account,
                person: Member {
                    identity: person.into(),
                    loc: loc(file, value),
                    grant: None,
                },
            });
        }
        out
    }

    /// `writes: [groups, roles, licenses]`: which kinds apply writes. Every entry is checked,
    /// and all problems reported; a listed kind twice is harmless.
    fn writes(&mut self, file: usize, node: &Node) -> Writes {
        let mut kinds = Vec::new();
        for (word, at) in self.list(file, node, "`writes`") {
            match writes_kind(word.trim()) {
                Some(k) => kinds.push(k),
                None => {
                    let words = ["groups", "roles", "licenses"];
                    let help = match closest(word.trim(), words) {
                        Some(s) => format!("write `{s}`; apply can write: groups, roles, licenses"),
                        None => "apply can write: groups, roles, licenses (e.g. `writes: [groups, roles]`)".to_string(),
                    };
                    self.error(
                        Code::UnknownWriteKind,
                        format!("`{word}` is not something apply can write"),
                        at,
                        "not groups, roles or licenses",
                        Some(help),
                    );
                }
            }
        }
        Writes::of(kinds)
    }

    /// `group_removals: delete | user_groups`.
    fn group_removals(&mut self, file: usize, node: &Node) {
        let choices = [GroupRemovals::Delete, GroupRemovals::UserGroups];
        let word = match &node.value {
            Value::Scalar(s) => s.trim().to_string(),
            _ => String::new(),
        };
        match choices.into_iter().find(|c| c.word() == word) {
            Some(c) => self.settings.group_removals = c,
            None => self.error(
                Code::BadSetting,
                "`group_removals` must be `delete` or `user_groups`".into(),
                loc(file, node),
                "not delete or user_groups",
                Some("`delete` (the default) removes memberships with DELETE; `user_groups` removes through each user's user-groups, cleared and set again, for tenants that refuse DELETE".into()),
            ),
        }
    }

    /// An explicit `max_removals` replaces the default guard entirely (what it leaves unset is
    /// unlimited).
    fn max_removals(&mut self, file: usize, node: &Node) -> MaxRemovals {
        let mut out = MaxRemovals::NONE;
        let help =
            Some("write `max_removals: { total: 25, per_group_fraction: 0.25 }`".to_string());
        let pairs = self.map(file, node, "`max_removals`", help);
        for (field, _, value) in self.fields(file, pairs, MAX_REMOVALS_FIELDS, "`max_removals`") {
            let text = match &value.value {
                Value::Null(_) => continue,
                // `"10"` is a string in YAML; reading it as 10 would hide a typed-in mistake.
                Value::Scalar(s) if value.quoted => {
                    let help = Some(format!("write the number without quotes: `{field}: {s}`"));
                    self.wrong_type(file, value, &format!("`{field}`"), "a number", help);
                    continue;
                }
                Value::Scalar(s) => s.trim().to_string(),
                _ => {
                    self.wrong_type(file, value, &format!("`{field}`"), "a number", None);
                    continue;
                }
            };
            let at = loc(file, value);
            if field == "total" {
                self.settings.max_removals_at.total = Some(at);
                match text.parse::<i64>() {
                    Ok(n) if n >= 0 => out.total = Some(n as usize),
                    Ok(_) => self.error(
                        Code::BadSetting,
                        "`total` must not be negative".into(),
                        at,
                        "negative",
                        Some(
                            "the most removals one plan may make, e.g. `total: 25`; 0 allows none"
                                .into(),
                        ),
                    ),
                    Err(_) => self.error(
                        Code::BadSetting,
                        "`total` must be a whole number".into(),
                        at,
                        "not a whole number",
                        Some("the most removals one plan may make, e.g. `total: 25`".into()),
                    ),
                }
            } else {
                self.settings.max_removals_at.per_group_fraction = Some(at);
                let help = Some("a fraction from 0 to 1 of one group's current members, e.g. `0.25` for a quarter".to_string());
                match text.parse::<f64>() {
                    Ok(f) if (0.0..=1.0).contains(&f) => out.per_group_fraction = Some(f),
                    Ok(_) => self.error(
                        Code::BadSetting,
                        "`per_group_fraction` must be between 0 and 1".into(),
                        at,
                        "outside 0..=1",
                        help,
                    ),
                    Err(_) => self.error(
                        Code::BadSetting,
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
