//! `rules.separation_of_duties`: rules read and checked offline (sides, exceptions); names are
//! checked against Coupa by the policy check.

use std::collections::HashMap;

use super::{loc, Cx, Kind, RULES_FIELDS, SOD_EXCEPTION_FIELDS, SOD_RULE_FIELDS, SOD_SIDE_FIELDS};
use crate::model::{self, Loc, Member, NameKey, SodException, SodRule, SodSide};
use crate::policy::diagnostic::PolicyDiagnostic;
use crate::policy::yaml::{Node, Value};
use crate::policy::Code;

impl Cx<'_> {
    pub(super) fn rules(&mut self, file: usize, body: &Node) {
        let help = Some("write `rules: { separation_of_duties: [...] }`".to_string());
        let pairs = self.map(file, body, "`rules`", help);
        for (_, _, value) in self.fields(file, pairs, RULES_FIELDS, "`rules`") {
            let items = match &value.value {
                Value::Seq(items) => items.clone(),
                Value::Null(_) => Vec::new(),
                _ => {
                    self.wrong_type(file, value, "`separation_of_duties`", "a list", None);
                    continue;
                }
            };
            for item in &items {
                if let Some(rule) = self.sod_rule(file, item) {
                    self.sod_rules.push(rule);
                }
            }
        }
    }

    fn text(&mut self, file: usize, node: &Node, field: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => {
                self.wrong_type(file, node, &format!("`{field}`"), "text", None);
                None
            }
        }
    }

    fn sod_rule(&mut self, file: usize, item: &Node) -> Option<SodRule> {
        let context = "a separation-of-duties rule";
        let help = Some("write `- { name: ..., sides: [...] }`".to_string());
        let pairs = self.map(file, item, context, help);
        let mut rule = SodRule {
            loc: loc(file, item),
            ..SodRule::default()
        };
        let mut named = false;
        let mut sides_at = None;
        for (field, key, value) in self.fields(file, pairs, SOD_RULE_FIELDS, context) {
            match field {
                "name" => {
                    if let Some(n) = self.text(file, value, field) {
                        rule.name = n;
                        rule.loc = loc(file, value);
                        named = true;
                    }
                }
                "description" => rule.description = self.text(file, value, field),
                "sides" => {
                    sides_at = Some(loc(file, key));
                    match &value.value {
                        Value::Seq(items) => {
                            for side in items {
                                rule.sides.push(self.sod_side(file, side));
                            }
                        }
                        _ => self.wrong_type(file, value, "`sides`", "a list", None),
                    }
                }
                _ => match &value.value {
                    Value::Seq(items) => {
                        for ex in items {
                            if let Some(e) = self.sod_exception(file, ex) {
                                rule.exceptions.push(e);
                            }
                        }
                    }
                    Value::Null(_) => {}
                    _ => self.wrong_type(file, value, "`exceptions`", "a list", None),
                },
            }
        }
        if !named {
            self.error(
                Code::MissingField,
                "a separation-of-duties rule has no `name`".into(),
                loc(file, item),
                "no name",
                Some("every rule has a `name`, shown when it finds a conflict".into()),
            );
        }
        if rule.sides.len() < 2 {
            self.error(
                Code::SodSides,
                format!(
                    "rule `{}` has {} side(s); a conflict needs at least two",
                    rule.name,
                    rule.sides.len()
                ),
                sides_at.unwrap_or(rule.loc),
                "fewer than two sides",
                Some("write `sides: [{ groups: [A] }, { groups: [B] }]`: holding something from two sides is a conflict".into()),
            );
        }
        let mut first: HashMap<(model::Kind, NameKey), (usize, Loc)> = HashMap::new();
        let mut twice = Vec::new();
        for (n, side) in rule.sides.iter().enumerate() {
            for (kind, name, at) in &side.targets {
                match first.get(&(*kind, NameKey::new(name))) {
                    Some(&(m, prev)) if m != n => twice.push((name.clone(), *at, prev)),
                    Some(_) => {}
                    None => {
                        first.insert((*kind, NameKey::new(name)), (n, *at));
                    }
                }
            }
        }
        for (name, at, prev) in twice {
            let d = PolicyDiagnostic::error(
                Code::SodTargetTwice,
                format!("`{name}` is on two sides of rule `{}`", rule.name),
            )
            .label(self.sources, at, "on this side")
            .label(self.sources, prev, "and on this one")
            .help("a target belongs to one side: holding it alone would be a conflict");
            self.diags.push(d);
        }
        named.then_some(rule)
    }

    fn sod_side(&mut self, file: usize, node: &Node) -> SodSide {
        let context = "a side";
        let help = Some("write `- { groups: [...], roles: [...] }`".to_string());
        let pairs = self.map(file, node, context, help);
        let mut side = SodSide {
            targets: Vec::new(),
            loc: loc(file, node),
        };
        for (field, _, value) in self.fields(file, pairs, SOD_SIDE_FIELDS, context) {
            let kind = match field {
                "groups" => Kind::Group,
                "roles" => Kind::Role,
                _ => Kind::License,
            };
            for (name, at) in self.list(file, value, &format!("`{field}`")) {
                if kind == Kind::License && !self.license_key(&name, at) {
                    continue;
                }
                side.targets.push((kind, name, at));
            }
        }
        side
    }

    fn sod_exception(&mut self, file: usize, node: &Node) -> Option<SodException> {
        let context = "an exception";
        let help = Some(
            "write `- { user: alice@acme.com, until: 2027-03-31, ticket: SOX-1234, approved_by: cfo@acme.com }`"
                .to_string(),
        );
        let pairs = self.map(file, node, context, help.clone());
        let (mut user, mut until, mut ticket, mut approved_by) = (None, None, None, None);
        for (field, _, value) in self.fields(file, pairs, SOD_EXCEPTION_FIELDS, context) {
            match field {
                "user" => {
                    user = self.text(file, value, field).map(|u| Member {
                        identity: u.into(),
                        loc: loc(file, value),
                        grant: None,
                    })
                }
                "until" => until = self.date(file, value).map(|(d, _)| d),
                "ticket" => ticket = self.text(file, value, field),
                _ => approved_by = self.text(file, value, field),
            }
        }
        match (user, until) {
            (Some(user), Some(until)) => Some(SodException {
                user,
                until,
                ticket,
                approved_by,
            }),
            (u, _) => {
                let missing = if u.is_none() { "user" } else { "until" };
                self.error(
                    Code::MissingField,
                    format!("an exception has no `{missing}`"),
                    loc(file, node),
                    "incomplete exception",
                    help,
                );
                None
            }
        }
    }
}
