//! The sample tenant (`sample-tenant.json`), generated deterministically from a fixed seed.
//! Regenerate with
//! `COUPA_SANDBOX_WRITE_SAMPLE=1 cargo test -p coupa-access-sandbox --lib sample_file_is_current`;
//! the same test (without the variable) fails when the committed file is out of date.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, FixedOffset, NaiveDate};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use coupa_access_core::compact::{IdSet, LicenseSet};
use coupa_access_core::model::{Group, License, Live, Membership, Role, User};

/// Coupa's standard roles (system roles) and a few custom ones.
const ROLES: &[(u64, &str, &str, bool, bool)] = &[
    (1, "Admin", "Full access to every part of Coupa", true, true),
    (2, "User", "Default role for all users", false, true),
    (
        3,
        "Buyer",
        "Manages requisitions, orders and catalogs",
        false,
        true,
    ),
    (
        4,
        "Accounts Payable",
        "Processes invoices and payments",
        false,
        true,
    ),
    (
        5,
        "Expense User",
        "Creates and submits expense reports",
        false,
        true,
    ),
    (
        6,
        "Approver",
        "Approves documents routed to them",
        false,
        true,
    ),
    (7, "Analytics", "Views dashboards and reports", false, true),
    (
        8,
        "Inventory",
        "Manages inventory and receiving",
        false,
        true,
    ),
    (9, "Contracts", "Manages contracts", false, true),
    (10, "Sourcing", "Runs sourcing events", false, true),
    (11, "Integrations", "API integrations", false, false),
    (
        12,
        "AP Supervisor",
        "Accounts payable escalations",
        false,
        false,
    ),
    (
        13,
        "Procurement Lead",
        "Procurement team leads",
        false,
        false,
    ),
];

/// Groups and projects (`true`) by id; projects sit among groups as Coupa numbers them.
const GROUPS: &[(u64, &str, &str, bool)] = &[
    (101, "AP Clerks", "Accounts payable clerks", false),
    (102, "AP Managers", "Accounts payable managers", false),
    (
        103,
        "Approvers APAC",
        "Requisition approvers, Asia-Pacific",
        false,
    ),
    (
        104,
        "Approvers EMEA",
        "Requisition approvers, Europe, Middle East and Africa",
        false,
    ),
    (
        105,
        "Approvers US",
        "Requisition approvers, United States",
        false,
    ),
    (
        106,
        "ERP Migration 2026",
        "Project: move invoices to the new ERP",
        true,
    ),
    (107, "Buyers", "Central purchasing", false),
    (108, "Category Managers", "Indirect spend categories", false),
    (109, "Contract Managers", "Contract owners", false),
    (110, "Executives", "Executive approvers", false),
    (
        111,
        "Expense Approvers EMEA",
        "Expense report approvers, EMEA",
        false,
    ),
    (
        112,
        "Expense Approvers US",
        "Expense report approvers, US",
        false,
    ),
    (
        113,
        "Finance Controllers",
        "Controllers and budget owners",
        false,
    ),
    (
        114,
        "Supplier Portal Rollout",
        "Project: supplier portal onboarding wave 2",
        true,
    ),
    (
        115,
        "Inventory Team",
        "Warehouse and inventory staff",
        false,
    ),
    (116, "IT Procurement", "Hardware and software buying", false),
    (
        117,
        "Procurement Admins",
        "Coupa administrators in procurement",
        false,
    ),
    (118, "Receiving", "Goods receipt", false),
    (119, "Sourcing Team", "Strategic sourcing", false),
    (120, "Supplier Onboarding", "Supplier enablement", false),
    (121, "Travel Desk", "Travel bookings", false),
    (122, "Treasury", "Treasury and payments", false),
    (
        123,
        "Legacy Approvers",
        "Retired approval chain (inactive)",
        false,
    ),
];

/// The named users for docs and the demo: (id, login, email, first, last).
const NAMED: &[(u64, &str, &str, &str, &str)] = &[
    (1001, "alice", "alice@acme.com", "Alice", "Smith"),
    (1002, "bob", "bob@acme.com", "Bob", "Jones"),
    (1003, "carol", "Carol@Acme.com", "Carol", "White"),
    (1004, "dave", "dave@acme.com", "Dave", "Brown"),
    (1005, "erin", "erin@acme.com", "Erin", "Davis"),
    (1006, "frank", "frank@acme.com", "Frank", "Miller"),
    (
        1007,
        "integration-bot",
        "integration-bot@acme.com",
        "Integration",
        "Bot",
    ),
];

/// Memberships of the first 40 users, fixed so a demo policy can name them.
/// Supplier Portal accounts (id, login, email): never matched to policy identities.
const SUPPLIERS: &[(u64, &str, &str)] = &[
    (1301, "acme-paper-supplier", "alice@acme.com"),
    (1302, "northwind-sales", "sales@northwind.example"),
];

/// (group, user) memberships whose user is an owner (admin) of the group.
const OWNERS: &[(u64, u64)] = &[(101, 1001), (107, 1017), (113, 1023)];

const FIXED_MEMBERS: &[(u64, &[u64])] = &[
    (101, &[1001, 1002, 1005, 1010, 1011, 1020]),
    (102, &[1005, 1012]),
    (104, &[1003, 1004, 1013, 1014]),
    (105, &[1004, 1015, 1016]),
    (107, &[1001, 1006, 1017, 1018, 1019]),
    (108, &[1038, 1039]),
    (109, &[1006, 1026]),
    (110, &[1027, 1028]),
    (112, &[1004, 1005, 1021, 1022]),
    (113, &[1023, 1024]),
    (116, &[1035, 1036]),
    (117, &[1003, 1006, 1007]),
    (118, &[1031, 1032, 1033, 1034]),
    (119, &[1029, 1030]),
    (120, &[1040]),
    (121, &[1037]),
    (122, &[1025]),
    (123, &[1002]),
];

/// Extra roles and licenses of the named users.
fn named_access(id: u64) -> (&'static [u64], &'static [License]) {
    use License::*;
    match id {
        1001 => (&[3, 4], &[Purchasing, Expense]),
        1002 => (&[5], &[Expense]),
        1003 => (&[1], &[Purchasing, Expense, Contracts, Analytics]),
        1004 => (&[6], &[Expense]),
        1005 => (&[4, 12], &[Expense, Invoicing]),
        1006 => (&[3, 13], &[Purchasing, Sourcing, Contracts]),
        1007 => (&[1, 11], &[]),
        _ => (&[], &[]),
    }
}

const FIRST: &[&str] = &[
    "Aaron",
    "Beatriz",
    "Chen",
    "Daniela",
    "Emeka",
    "Fatima",
    "Giulia",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Katarzyna",
    "Liam",
    "Mei",
    "Nikolai",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Anders",
    "Bianca",
    "Carlos",
    "Deepa",
    "Elena",
    "Felix",
    "Grace",
    "Hannah",
    "Ivan",
    "Julia",
    "Kenji",
    "Lucia",
    "Mateo",
    "Nora",
];

const LAST: &[&str] = &[
    "Garcia",
    "Müller",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Novak",
    "Dubois",
    "Kowalski",
    "Silva",
    "Johansson",
    "Ahmed",
    "O'Brien",
    "Kim",
    "Larsen",
    "Moreau",
    "Fischer",
    "Ivanova",
    "Santos",
    "Haddad",
    "Nguyen",
    "Berg",
    "Costa",
    "Wagner",
    "Lopez",
    "Andersen",
    "Ferrari",
    "Yilmaz",
];

/// Groups the generated users beyond the first 40 join at random: big, open-ended groups.
const BIG_GROUPS: &[u64] = &[103, 104, 105, 111, 112, 115, 118, 121];

/// Builds the sample tenant. Deterministic: the same code always gives the same tenant.
pub fn generate_sample_tenant() -> Live {
    let mut rng = SmallRng::seed_from_u64(0xC0_0BA);
    let roles = ROLES
        .iter()
        .map(|&(id, name, description, omnipotent, system_role)| Role {
            id,
            name: name.into(),
            description: Some(description.into()),
            omnipotent,
            system_role,
        })
        .collect();
    let (groups, projects): (Vec<_>, Vec<_>) = GROUPS.iter().partition(|g| !g.3);
    let group = |&&(id, name, description, _): &&(u64, &str, &str, bool)| Group {
        id,
        name: name.into(),
        description: Some(description.into()),
        active: id != 123,
    };
    let groups: Vec<Group> = groups.iter().map(group).collect();
    let projects: Vec<Group> = projects.iter().map(group).collect();

    let mut users: Vec<User> = NAMED
        .iter()
        .map(|&(id, login, email, first, last)| {
            let (roles, licenses) = named_access(id);
            User {
                id,
                login: login.into(),
                email: email.into(),
                firstname: Some(first.into()),
                lastname: Some(last.into()),
                fullname: Some(format!("{first} {last}").into()),
                active: true,
                roles: roles.iter().copied().chain([2]).collect(),
                licenses: licenses.iter().copied().collect(),
                supplier: false,
                // The integration's own account, as Coupa marks API users.
                api_user: id == 1007,
                unread: Default::default(),
            }
        })
        .collect();
    let mut taken: BTreeSet<String> = users.iter().map(|u| u.login.to_lowercase()).collect();
    for id in 1008..=1300u64 {
        users.push(generated_user(id, &mut rng, &mut taken));
    }
    // Coupa Supplier Portal accounts are listed by /api/users too; one shares alice's email.
    for &(id, login, email) in SUPPLIERS {
        users.push(User {
            supplier: true,
            ..User::new(id, login, email)
        });
    }

    let mut pairs: Vec<(u64, u64)> = FIXED_MEMBERS
        .iter()
        .flat_map(|&(g, us)| us.iter().map(move |&u| (u, g)))
        .collect();
    for id in 1041..=1300u64 {
        let n = [0, 0, 1, 1, 1, 2, 2, 3][rng.gen_range(0..8)];
        let mut mine = BTreeSet::new();
        while mine.len() < n {
            mine.insert(BIG_GROUPS[rng.gen_range(0..BIG_GROUPS.len())]);
        }
        pairs.extend(mine.into_iter().map(|g| (id, g)));
    }
    give_group_roles(&mut users, &pairs);

    // Membership ids grow with creation time, as in Coupa.
    let start = NaiveDate::from_ymd_opt(2023, 1, 9)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .expect("valid date");
    let mut dated: Vec<(i64, u64, u64)> = pairs
        .into_iter()
        .map(|(u, g)| (rng.gen_range(0..3 * 365 * 24 * 3600), u, g))
        .collect();
    dated.sort();
    let offset = FixedOffset::west_opt(8 * 3600).expect("valid offset");
    let memberships = dated
        .into_iter()
        .enumerate()
        .map(|(i, (secs, user_id, group_id))| {
            let t = (start + Duration::seconds(secs))
                .and_utc()
                .with_timezone(&offset);
            Membership {
                id: 5001 + i as u64,
                user_id,
                group_id,
                created_at: Some(t.format("%Y-%m-%dT%H:%M:%S%:z").to_string().into()),
                owner: OWNERS.contains(&(group_id, user_id)),
                participant: None,
            }
        })
        .collect();

    Live {
        users,
        groups,
        projects,
        roles,
        memberships,
    }
}

fn generated_user(id: u64, rng: &mut SmallRng, taken: &mut BTreeSet<String>) -> User {
    let first = FIRST[rng.gen_range(0..FIRST.len())];
    let last = LAST[rng.gen_range(0..LAST.len())];
    let ascii_last: String = last
        .chars()
        .map(|c| if c == 'ü' { 'u' } else { c })
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let base = format!("{}.{}", first.to_lowercase(), ascii_last.to_lowercase());
    let mut stem = base.clone();
    let mut n = 2;
    while taken.contains(&stem) {
        stem = format!("{base}{n}");
        n += 1;
    }
    taken.insert(stem.clone());
    let style = rng.gen_range(0..10);
    // Half the emails keep the capitals HR typed; some logins are the email itself.
    let email = if style < 5 {
        format!("{}@Acme.com", capitalise_like(&stem, first, &ascii_last))
    } else {
        format!("{stem}@acme.com")
    };
    let login = if style >= 8 {
        email.to_lowercase()
    } else {
        stem
    };
    let active = if id <= 1040 {
        id != 1020
    } else {
        rng.gen_range(0..100) >= 8
    };
    let mut licenses = LicenseSet::new();
    if rng.gen_range(0..100) < 85 {
        licenses.insert(License::Expense);
    }
    if rng.gen_range(0..100) < 30 {
        licenses.insert(License::Purchasing);
    }
    if rng.gen_range(0..100) < 5 {
        licenses.insert(License::Analytics);
    }
    if rng.gen_range(0..100) < 10 {
        licenses.insert(License::Travel);
    }
    let mut roles = IdSet::from([2]);
    if licenses.contains(&License::Expense) {
        roles.insert(5);
    }
    User {
        id,
        login,
        email,
        firstname: Some(first.into()),
        lastname: Some(last.into()),
        fullname: Some(format!("{first} {last}").into()),
        active,
        roles,
        licenses,
        supplier: false,
        api_user: false,
        unread: Default::default(),
    }
}

/// `alice.smith2` written `Alice.Smith2`.
fn capitalise_like(stem: &str, first: &str, last: &str) -> String {
    let suffix = &stem[(first.len() + 1 + last.len()).min(stem.len())..];
    format!("{first}.{last}{suffix}")
}

/// Roles that go with group work (buyers are Buyers, AP clerks have Accounts Payable, ...).
fn give_group_roles(users: &mut [User], pairs: &[(u64, u64)]) {
    let by_group: BTreeMap<u64, u64> = BTreeMap::from([
        (101, 4),
        (102, 4),
        (103, 6),
        (104, 6),
        (105, 6),
        (107, 3),
        (109, 9),
        (111, 6),
        (112, 6),
        (113, 7),
        (115, 8),
        (118, 8),
        (119, 10),
    ]);
    for &(user_id, group_id) in pairs {
        let Some(&role) = by_group.get(&group_id) else {
            continue;
        };
        // The named users keep exactly the access documented for them.
        if user_id > 1007 {
            if let Some(u) = users.iter_mut().find(|u| u.id == user_id) {
                u.roles.insert(role);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coupa_access_core::index::LiveIndex;

    #[test]
    fn sample_file_is_current() {
        let text = serde_json::to_string_pretty(&generate_sample_tenant()).unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/sample-tenant.json");
        if std::env::var_os("COUPA_SANDBOX_WRITE_SAMPLE").is_some() {
            std::fs::write(path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == text,
            "sample-tenant.json is stale: regenerate it (see sample.rs)"
        );
    }

    #[test]
    fn sample_is_realistic_and_consistent() {
        let live = super::super::sample_tenant();
        assert_eq!(live.users.len(), 302);
        assert!(live.users.iter().any(|u| !u.active));
        assert_eq!(live.users.iter().filter(|u| u.supplier).count(), 2);
        assert!(!live.projects.is_empty());
        let ix = LiveIndex::new(&live);
        for name in [
            "alice",
            "bob",
            "carol@acme.com",
            "dave",
            "erin",
            "frank",
            "integration-bot",
        ] {
            assert!(
                matches!(ix.user(name), coupa_access_core::index::UserMatch::One(_)),
                "{name}"
            );
        }
        assert!(ix
            .role("admin")
            .is_some_and(|r| r.omnipotent && r.system_role));
        assert!(ix.group("AP Clerks").is_some());
        let logins: BTreeSet<_> = live.users.iter().map(|u| u.login.to_lowercase()).collect();
        assert_eq!(logins.len(), 302, "logins are unique");
        // Employees' emails are unique; one supplier account shares alice's.
        let employees = live.users.iter().filter(|u| !u.supplier);
        let emails: BTreeSet<_> = employees.map(|u| u.email.to_lowercase()).collect();
        assert_eq!(emails.len(), 300, "employee emails are unique");
        let pairs: BTreeSet<_> = live
            .memberships
            .iter()
            .map(|m| (m.user_id, m.group_id))
            .collect();
        assert_eq!(
            pairs.len(),
            live.memberships.len(),
            "no duplicate memberships"
        );
        assert!(live
            .memberships
            .iter()
            .all(|m| ix.user_by_id(m.user_id).is_some()
                && live.groups.iter().any(|g| g.id == m.group_id)));
    }
}
