//! The policy file format as documented structs, for the JSON Schema (draft-07) that editors use
//! (`coupa-access schema`, `policies/policy.schema.json`). Loading does not go through these
//! structs (it needs positions for diagnostics, see `convert`); a test keeps their field names
//! equal to the fields the loader accepts, so the schema and the loader cannot drift apart.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::License;

/// One coupa-access policy file. Every `*.yaml`/`*.yml` file under the policies folder is read
/// and merged; only the groups, roles and licenses declared somewhere are managed.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "coupa-access policy file")]
pub struct PolicyDocument {
    /// Coupa user groups, by name. A group declared here is managed: members not listed are
    /// removed unless `mode: additive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<BTreeMap<String, Option<GroupEntry>>>,
    /// Coupa roles, by name. Role changes are reported, not written, unless
    /// `settings.writes` includes `roles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeMap<String, Option<TargetEntry>>>,
    /// Coupa licenses, by key without the `-user` suffix (`expense` is the `expense-user` flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<BTreeMap<License, Option<TargetEntry>>>,
    /// The same facts written per person: login or email → what they hold. A group, role or
    /// license named only here is managed additively (people gain it, nobody loses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<BTreeMap<String, Option<UserEntry>>>,
    /// Settings for the whole policy set; at most one file may hold them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsEntry>,
    /// Compliance rules checked on every plan (on each person's holdings after it) and by
    /// `drift`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RulesEntry>,
}

/// Compliance rules.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesEntry {
    /// Separation-of-duties rules: a person holding something from two or more sides of a rule
    /// is a conflict. A plan that creates one is refused; one that already exists is a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation_of_duties: Option<Vec<SodRuleEntry>>,
}

/// One separation-of-duties rule.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SodRuleEntry {
    /// The rule's name, shown with every conflict it finds.
    pub name: String,
    /// Why the rule exists, for reviewers and auditors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// At least two sides; no group, role or license on two of them. Holding something from two
    /// or more sides is a conflict.
    pub sides: Vec<SodSideEntry>,
    /// People allowed to hold the conflict until a day (inclusive, UTC); an expired exception
    /// counts as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<Vec<SodExceptionEntry>>,
}

/// One side of a rule: existing group and role names, license keys.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SodSideEntry {
    /// Group names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Role names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// License keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Vec<License>>,
}

/// A person allowed to hold a rule's conflict, for a time.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SodExceptionEntry {
    /// The person's login or email (must be a Coupa user).
    pub user: String,
    /// The exception's last day, inclusive (UTC): `2027-03-31`, or an RFC 3339 time.
    pub until: String,
    /// The ticket that records the approval, named in plan warnings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// A managed group.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// Free text for reviewers; not written to Coupa.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `authoritative` (the default): members not listed are removed. `additive`: listed members
    /// are added and nobody is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeEntry>,
    /// Who holds it: Coupa logins or emails, matched case-insensitively, each listed once;
    /// an entry may be a time-bound grant (`{ user: bob, until: 2026-12-31, reason: "..." }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberEntry>>,
    /// `true`: group owners (`owner: true` in Coupa) not listed are removed like anyone else.
    /// Default `false`: an owner's membership is kept, with a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_owners: Option<bool>,
    /// The Coupa id of the group, needed only when two Coupa groups share this name: it says
    /// which one the entry manages. The group with this id must have this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

/// A managed role or license.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    /// Free text for reviewers; not written to Coupa.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `authoritative` (the default): members not listed are removed. `additive`: listed members
    /// are added and nobody is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeEntry>,
    /// Who holds it: Coupa logins or emails, matched case-insensitively, each listed once;
    /// an entry may be a time-bound grant (`{ user: bob, until: 2026-12-31, reason: "..." }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberEntry>>,
}

/// A member: a login or email, or a time-bound grant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MemberEntry {
    /// A login or email.
    Identity(String),
    /// A time-bound grant.
    Grant(MemberGrantEntry),
}

/// A member whose access ends: up to and including `until` the entry is a normal member; from
/// the day after it grants nothing, in any mode (a holder loses it even from an additive
/// target).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberGrantEntry {
    /// The login or email.
    pub user: String,
    /// The last day of access, inclusive (UTC): `2026-12-31`, or an RFC 3339 time (its UTC day).
    pub until: String,
    /// Why the access is granted (a ticket, a purpose); required when
    /// `settings.require_reason` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A group or role a person holds: its name, or a time-bound grant of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NamedEntry {
    /// The name.
    Name(String),
    /// A time-bound grant.
    Grant(NamedGrantEntry),
}

/// A time-bound grant in the per-person form: up to and including `until` the person holds
/// it; from the day after it grants nothing, in any mode.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedGrantEntry {
    /// The group or role name.
    pub name: String,
    /// The last day of access, inclusive (UTC): `2027-01-15`, or an RFC 3339 time (its UTC day).
    pub until: String,
    /// Why the access is granted (a ticket, a purpose); required when
    /// `settings.require_reason` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A license a person holds: its key, or a time-bound grant of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LicenseItem {
    /// The license key.
    Key(License),
    /// A time-bound grant.
    Grant(LicenseGrantEntry),
}

/// A time-bound license grant in the per-person form.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseGrantEntry {
    /// The license key.
    pub name: License,
    /// The last day of access, inclusive (UTC): `2027-01-15`, or an RFC 3339 time (its UTC day).
    pub until: String,
    /// Why the access is granted (a ticket, a purpose); required when
    /// `settings.require_reason` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How members that the policy does not list are treated.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModeEntry {
    /// Members not listed are removed.
    Authoritative,
    /// Listed members are added; nobody is removed.
    Additive,
}

/// What one person holds, by name.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Group names; an entry may be a time-bound grant (`{ name: Treasury, until: 2027-01-15 }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<NamedEntry>>,
    /// Role names; an entry may be a time-bound grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<NamedEntry>>,
    /// License keys; an entry may be a time-bound grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Vec<LicenseItem>>,
}

/// Settings for the whole policy set.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsEntry {
    /// Logins or emails never removed from anything (e.g. the integration's own account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_users: Option<Vec<String>>,
    /// Removal guards: a plan over them is refused unless `--allow-removals N` names its exact
    /// number of removals. Absent: the default guard applies (a plan may remove at most 25% of
    /// a group's current members, but a group may always lose up to 3). Written: it replaces
    /// the default entirely (`{ per_group_fraction: 1 }` lifts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_removals: Option<MaxRemovalsEntry>,
    /// Which kinds of change `apply` writes; the others are planned and reported only.
    /// Absent: `[groups]`. Role removals are made by clearing the user's roles and setting
    /// the rest again (Coupa's user update only adds), under a local journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Vec<WriteKindEntry>>,
    /// How apply removes group members: `delete` (the default; DELETE on the membership, and
    /// after a refusal through the user when apply may update users) or `user_groups` (through
    /// each user's `user-groups`, cleared and set again under the journal, for tenants that
    /// refuse DELETE; apply then asks for `core.user.write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_removals: Option<GroupRemovalsEntry>,
    /// Days before a time-bound grant's `until` (or a separation-of-duties exception's) that
    /// plans warn. Absent: 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub expiry_warning_days: Option<u32>,
    /// `true`: every time-bound grant must give a `reason` (an error otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_reason: Option<bool>,
    /// Who each code-review account is: `{ octocat: alice@acme.com }` maps a GitHub (or
    /// GitLab) login to a person's Coupa login or email. With `apply --approvals FILE`, a
    /// grant approved only by the person who receives it (self-approval) is refused. Every
    /// person must be a Coupa user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<BTreeMap<String, String>>,
    /// Known warnings the policy accepts, so every later plan counts them instead of repeating
    /// them (the JSON plan still lists them, under `acknowledged`). Each entry names one fact:
    /// a code and its subject, e.g. `{ code: inactive_user, user: bob, reason: "kept until
    /// the leaver process ends" }`. Warnings about what a plan changes (guards, API users,
    /// roles) cannot be acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<Vec<AcknowledgeEntry>>,
}

/// One acknowledged warning: its code and what it is about.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeEntry {
    /// The warning's code, as in the plan JSON.
    pub code: Option<AcknowledgeCode>,
    /// The login or email of the user the warning is about; required for every code but
    /// `inactive_group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The group it is about: required for `inactive_group`; for the other codes it narrows
    /// the entry to that group. One of `group`, `role` and `license` at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The role it is about (narrows the entry to that role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The license it is about (narrows the entry to that license).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
    /// Why it is acknowledged, for reviewers; not used by the tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A warning code that can be acknowledged: standing facts about whom the policy lists.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcknowledgeCode {
    /// A listed user is inactive in Coupa.
    InactiveUser,
    /// A managed group is inactive in Coupa.
    InactiveGroup,
    /// One person is listed twice for one target under two identities.
    SamePersonTwice,
    /// A protected user was kept where the policy would have removed them.
    ProtectedUserKept,
    /// A group owner not listed was kept.
    OwnerKept,
    /// A user holds several live memberships of one group.
    DuplicateMembership,
}

/// How apply removes group members.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupRemovalsEntry {
    /// `DELETE /api/user_group_memberships/:id`.
    Delete,
    /// Through the user's `user-groups`, cleared and set again.
    UserGroups,
}

/// A kind of change `apply` can write.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WriteKindEntry {
    /// Group memberships (create and delete).
    Groups,
    /// Roles, through the user update.
    Roles,
    /// License flags, through the user update.
    Licenses,
}

/// Removal guards.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaxRemovalsEntry {
    /// At most this many removals in one plan; 0 allows none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total: Option<u64>,
    /// At most this fraction (0 to 1) of one group's current members removed at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub per_group_fraction: Option<f64>,
}

/// What only `validate` (and every command that loads policies) checks: rules a schema of one
/// file cannot state, or cannot state without marking red a file the tool accepts. Appended to
/// the schema's description so that editors show it.
pub(super) const VALIDATE_ONLY: &[&str] = &[
    "names are compared case-insensitively: a group, role or license declared twice (in any file or document), a person listed twice for one target (also as login and email), a user written twice under `users`",
    "`settings` is written in one file and one document only",
    "merge keys (`<<`) and a key written twice in one mapping are refused (a quoted `\"<<\"` is a name)",
    "numbers are written in decimal digits: `id: 0x10` or `total: 1e3` are refused",
    "every name resolves in Coupa (users, groups, roles; a project is not a group), with the plan's warnings for inactive users and groups",
];

/// The policy JSON Schema (draft-07), pretty-printed with a trailing newline.
///
/// Generated from the documented structs above, then tightened to the loader's rules where a
/// schema can state them (see [`tighten`]): editors must never mark red a file the tool
/// accepts, and should mark red what it refuses.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<PolicyDocument>();
    let mut value = serde_json::to_value(&schema).unwrap_or_default();
    tighten(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// The loader's rules that the derived schema does not say:
/// - a name (member, protected user, group of a user, acknowledged user) is any scalar with a
///   non-blank text: the loader reads a value as written, so `12` and `true` are names; `~`,
///   `null` and blanks are not;
/// - a key of `groups`, `roles` and `users` is not blank;
/// - a declared group, role or license has a body, and lists `members` (a list, `[]` to empty
///   it on purpose) unless `mode: additive`;
/// - `description` and `reason` take any scalar; fields the loader refuses empty (`mode`,
///   `remove_owners`, `id`, `group_removals`) are not nullable; a group id is from 1;
/// - a document may be empty (a file of comments, or an empty `---` document);
/// - an acknowledgement names its subject (a user, or a group for `inactive_group`) and one
///   target at most.
fn tighten(schema: &mut serde_json::Value) {
    use serde_json::json;
    let name = json!({
        "description": "A name as written: text, or a number or true/false written plainly (read as its text). Not blank, not null.",
        "anyOf": [
            { "type": "string", "pattern": "\\S" },
            { "type": ["number", "boolean"] }
        ]
    });
    let names = |nullable: bool| {
        json!({
            "type": if nullable { json!(["array", "null"]) } else { json!("array") },
            "items": { "$ref": "#/definitions/Name" },
            "uniqueItems": true
        })
    };
    let text = json!({ "type": ["string", "number", "boolean", "null"] });
    let defs = &mut schema["definitions"];
    defs["Name"] = name;
    // Replaces a property's schema, keeping its description.
    fn set(node: &mut serde_json::Value, field: &str, mut with: serde_json::Value) {
        let prop = &mut node["properties"][field];
        if let Some(d) = prop.get("description").cloned() {
            with["description"] = d;
        }
        *prop = with;
    }
    let reference = |def: &str| json!({ "allOf": [{ "$ref": format!("#/definitions/{def}") }] });
    for entry in ["GroupEntry", "TargetEntry"] {
        let e = &mut defs[entry];
        set(e, "description", text.clone());
        set(e, "members", names(true));
        set(e, "mode", reference("ModeEntry"));
        // No `members` (or `members:` left empty) would remove everyone: write `members: []`.
        e["if"] =
            json!({ "properties": { "mode": { "const": "additive" } }, "required": ["mode"] });
        e["else"] =
            json!({ "required": ["members"], "properties": { "members": { "type": "array" } } });
    }
    set(
        &mut defs["GroupEntry"],
        "remove_owners",
        json!({ "type": "boolean" }),
    );
    set(
        &mut defs["GroupEntry"],
        "id",
        json!({ "type": "integer", "minimum": 1 }),
    );
    let user = &mut defs["UserEntry"];
    set(user, "groups", names(true));
    set(user, "roles", names(true));
    set(
        user,
        "licenses",
        json!({ "type": ["array", "null"], "items": { "$ref": "#/definitions/License" }, "uniqueItems": true }),
    );
    let settings = &mut defs["SettingsEntry"];
    set(settings, "protected_users", names(true));
    set(settings, "group_removals", reference("GroupRemovalsEntry"));
    let ack = &mut defs["AcknowledgeEntry"];
    set(ack, "code", reference("AcknowledgeCode"));
    for field in ["user", "group", "role"] {
        set(ack, field, reference("Name"));
    }
    set(ack, "license", reference("License"));
    set(ack, "reason", text);
    ack["required"] = json!(["code"]);
    ack["allOf"] = json!([
        {
            "if": { "properties": { "code": { "const": "inactive_group" } } },
            "then": { "required": ["group"] },
            "else": { "required": ["user"] }
        },
        { "not": { "anyOf": [
            { "required": ["group", "role"] },
            { "required": ["group", "license"] },
            { "required": ["role", "license"] }
        ] } }
    ]);

    // Top level: declared targets have a body; keys are not blank; an empty document is fine.
    let not_blank = json!({ "pattern": "\\S" });
    let props = &mut schema["properties"];
    for (section, entry) in [("groups", "GroupEntry"), ("roles", "TargetEntry")] {
        props[section]["additionalProperties"] =
            json!({ "$ref": format!("#/definitions/{entry}") });
        props[section]["propertyNames"] = not_blank.clone();
    }
    if let Some(licenses) = props["licenses"]["properties"].as_object_mut() {
        for v in licenses.values_mut() {
            *v = json!({ "$ref": "#/definitions/TargetEntry" });
        }
    }
    props["users"]["propertyNames"] = not_blank;
    schema["type"] = json!(["object", "null"]);
    let mut description = schema["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    description.push_str("\n\nChecked only by `coupa-access validate` (and every command that reads policies), not by this schema:");
    for rule in VALIDATE_ONLY {
        description.push_str("\n- ");
        description.push_str(rule);
    }
    description.push('.');
    schema["description"] = json!(description);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::convert::{
        GRANT_FIELDS_NAME, GRANT_FIELDS_USER, GROUP_FIELDS, MAX_REMOVALS_FIELDS, RULES_FIELDS,
        SETTINGS_FIELDS, SOD_EXCEPTION_FIELDS, SOD_RULE_FIELDS, SOD_SIDE_FIELDS, TARGET_FIELDS,
        TOP_LEVEL, USER_FIELDS,
    };

    fn properties(schema: &serde_json::Value, def: Option<&str>) -> Vec<String> {
        let node = match def {
            Some(d) => &schema["definitions"][d],
            None => schema,
        };
        let mut keys: Vec<String> = node["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{def:?} has properties"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(fields: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    /// The schema names exactly the fields the loader accepts.
    #[test]
    fn schema_fields_are_the_loaders_fields() {
        let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(properties(&schema, None), sorted(TOP_LEVEL));
        assert_eq!(
            properties(&schema, Some("TargetEntry")),
            sorted(TARGET_FIELDS)
        );
        assert_eq!(
            properties(&schema, Some("GroupEntry")),
            sorted(GROUP_FIELDS)
        );
        assert_eq!(properties(&schema, Some("UserEntry")), sorted(USER_FIELDS));
        for (def, fields) in [
            ("RulesEntry", RULES_FIELDS),
            ("SodRuleEntry", SOD_RULE_FIELDS),
            ("SodSideEntry", SOD_SIDE_FIELDS),
            ("SodExceptionEntry", SOD_EXCEPTION_FIELDS),
        ] {
            assert_eq!(properties(&schema, Some(def)), sorted(fields), "{def}");
        }
        assert_eq!(
            properties(&schema, Some("MemberGrantEntry")),
            sorted(GRANT_FIELDS_USER)
        );
        assert_eq!(
            properties(&schema, Some("NamedGrantEntry")),
            sorted(GRANT_FIELDS_NAME)
        );
        assert_eq!(
            properties(&schema, Some("LicenseGrantEntry")),
            sorted(GRANT_FIELDS_NAME)
        );
        assert_eq!(
            properties(&schema, Some("SettingsEntry")),
            sorted(SETTINGS_FIELDS)
        );
        assert_eq!(
            properties(&schema, Some("MaxRemovalsEntry")),
            sorted(MAX_REMOVALS_FIELDS)
        );
        let licenses = schema["definitions"]["License"].to_string();
        for l in License::ALL {
            assert!(licenses.contains(&format!("\"{}\"", l.key())), "{licenses}");
        }
    }

    #[test]
    fn every_field_has_a_description() {
        let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
        for (name, def) in schema["definitions"].as_object().unwrap() {
            for (field, prop) in def["properties"].as_object().into_iter().flatten() {
                assert!(
                    prop.get("description").is_some(),
                    "{name}.{field} has no description"
                );
            }
        }
    }
}
