//! Group owners are kept unless the group opts in; the default removal guard.

use super::*;

/// `tenant()` with bob's Buyers membership (303) an owner row.
fn tenant_with_owner() -> Live {
    let mut live = tenant();
    for m in &mut live.memberships {
        if m.id == 303 {
            m.owner = true;
        }
    }
    live
}

#[test]
fn an_unlisted_owner_is_kept_with_one_warning() {
    let d = with_group(desired(), target("Buyers", Mode::Authoritative, &["carol"]));
    let p = diff(&d, &tenant_with_owner()).unwrap();
    assert_eq!(summary_of(&p), ["+ group Buyers carol"]);
    assert_eq!(
        warnings_of(&p),
        [(
            WarningCode::OwnerKept,
            "kept owner bob in group \"Buyers\": group owners are removed only when the group \
             sets remove_owners: true"
        )]
    );
    assert_eq!(p.warnings[0].user.as_deref(), Some("bob"));
    assert_eq!(
        p.warnings[0].target,
        Some(ChangeTarget::Group {
            id: 13,
            name: "Buyers".into()
        })
    );
}

#[test]
fn remove_owners_removes_owners_like_anyone_else() {
    let mut t = target("Buyers", Mode::Authoritative, &["carol"]);
    t.remove_owners = true;
    let p = diff(&with_group(desired(), t), &tenant_with_owner()).unwrap();
    assert_eq!(
        summary_of(&p),
        ["- group Buyers bob", "+ group Buyers carol"]
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn listed_owners_and_additive_groups_raise_no_owner_warning() {
    let listed = with_group(
        desired(),
        target("Buyers", Mode::Authoritative, &["bob", "carol"]),
    );
    let p = diff(&listed, &tenant_with_owner()).unwrap();
    assert_eq!(summary_of(&p), ["+ group Buyers carol"]);
    assert!(p.warnings.is_empty());
    let additive = with_group(desired(), target("Buyers", Mode::Additive, &["carol"]));
    let p = diff(&additive, &tenant_with_owner()).unwrap();
    assert_eq!(summary_of(&p), ["+ group Buyers carol"]);
    assert!(p.warnings.is_empty());
}

#[test]
fn owners_of_other_groups_are_removed_where_they_are_not_owners() {
    // bob owns Buyers, not AP Clerks.
    let d = with_group(
        desired(),
        target("AP Clerks", Mode::Authoritative, &["alice"]),
    );
    let p = diff(&d, &tenant_with_owner()).unwrap();
    assert_eq!(summary_of(&p), ["- group AP Clerks bob"]);
    assert!(p.warnings.is_empty());
}

#[test]
fn remove_owners_is_read_from_the_policy_and_points_at_the_group() {
    let kept = load("groups:\n  Buyers:\n    members: [carol]\n");
    let plan = make(&kept, &tenant_with_owner(), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 0);
    let w = &plan.warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].code, WarningCode::OwnerKept);
    let at = w[0].at.as_ref().unwrap();
    assert_eq!((at.line, at.column), (2, 3));

    let removed = load("groups:\n  Buyers:\n    members: [carol]\n    remove_owners: true\n");
    assert!(removed.groups["Buyers"].remove_owners);
    let plan = make(&removed, &tenant_with_owner(), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(
        summary_of_plan(&plan),
        ["- group Buyers bob", "+ group Buyers carol"]
    );
    assert!(plan.warnings.is_empty());
}

// ---- the default removal guard ------------------------------------------------------------

/// A tenant with group "Big" (id 50) of `members` members u000, u001, ...
fn big_tenant(members: u64) -> Live {
    let mut live = tenant();
    live.groups.push(group(50, "Big"));
    for i in 0..members {
        live.users.push(user(1000 + i, &format!("u{i:03}")));
        live.memberships.push(ms(5000 + i, 1000 + i, 50));
    }
    live
}

fn guard_warnings(plan: &Plan) -> Vec<String> {
    plan.warnings
        .iter()
        .filter(|w| w.code == WarningCode::GuardExceeded)
        .map(|w| w.one_line())
        .collect()
}

#[test]
fn a_one_line_policy_cannot_empty_a_63_member_group() {
    let d = load("groups:\n  Big:\n    members: [u000]\n");
    assert_eq!(d.settings.max_removals, MaxRemovals::DEFAULT_GUARD);
    let plan = make(&d, &big_tenant(63), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 62);
    assert_eq!(plan.preconditions.max_removals, MaxRemovals::DEFAULT_GUARD);
    assert_eq!(
        guard_warnings(&plan),
        [
            "apply will refuse this plan: group \"Big\" would lose 62 of 63 members (98.4%); the \
          limit is 25% or 3 members, whichever is more (the default removal guard (no \
          settings.max_removals)) (Review the removals, then rerun with --allow-removals 62 to \
          allow exactly these 62 removals. To change the limit for every plan, set \
          settings.max_removals (e.g. `max_removals: { per_group_fraction: 1 }` lifts it).)"
        ]
    );
    // Apply checks the limits the plan carries: refused, unless the exact count is allowed.
    let carried = Settings {
        max_removals: plan.preconditions.max_removals,
        ..Settings::default()
    };
    let err = check_guards(&plan, &carried, None).unwrap_err();
    assert!(err.default_guard);
    assert!(
        err.message(&crate::CliWords::for_tests())
            .starts_with("the default removal guard (no settings.max_removals) tripped:\n"),
        "{err:?}"
    );
    assert!(check_guards(&plan, &carried, Some(62)).is_ok());
}

#[test]
fn the_default_guard_allows_a_quarter_of_a_large_group() {
    // 15 of 63 is 23.8%: allowed; 16 is 25.4%: refused.
    let keep = |n: u64| {
        let names: Vec<String> = (n..63).map(|i| format!("u{i:03}")).collect();
        load(&format!(
            "groups:\n  Big:\n    members: [{}]\n",
            names.join(", ")
        ))
    };
    let plan = make(&keep(15), &big_tenant(63), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 15);
    assert!(guard_warnings(&plan).is_empty());
    let plan = make(&keep(16), &big_tenant(63), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 16);
    assert_eq!(guard_warnings(&plan).len(), 1);
}

#[test]
fn the_default_guard_floor_keeps_small_groups_manageable() {
    // 3 of 4 members (75%) is within the floor of 3; all 4 is not.
    let three = load("groups:\n  Big:\n    members: [u003]\n");
    let plan = make(&three, &big_tenant(4), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 3);
    assert!(guard_warnings(&plan).is_empty(), "{:?}", plan.warnings);
    assert!(check_guards(&plan, &Settings::default(), None).is_ok());

    let four = load("groups:\n  Big:\n    members: []\n");
    let plan = make(&four, &big_tenant(4), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 4);
    assert_eq!(guard_warnings(&plan).len(), 1);
    assert!(check_guards(&plan, &Settings::default(), None).is_err());
}

#[test]
fn explicit_settings_replace_the_default_guard() {
    let lifted = load(
        "groups:\n  Big:\n    members: [u000]\nsettings:\n  max_removals: { per_group_fraction: 1 }\n",
    );
    let plan = make(&lifted, &big_tenant(63), instance(), fixed_now())
        .unwrap()
        .plan;
    assert_eq!(plan.summary.remove, 62);
    assert!(guard_warnings(&plan).is_empty(), "{:?}", plan.warnings);
    assert!(!plan.preconditions.max_removals.default);

    // A total alone: no per-group limit and no floor any more.
    let total =
        load("groups:\n  Big:\n    members: [u000]\nsettings:\n  max_removals: { total: 100 }\n");
    assert_eq!(
        total.settings.max_removals,
        MaxRemovals {
            total: Some(100),
            ..MaxRemovals::NONE
        }
    );
    let plan = make(&total, &big_tenant(63), instance(), fixed_now())
        .unwrap()
        .plan;
    assert!(guard_warnings(&plan).is_empty());

    // An explicit fraction has no floor: 3 of 4 trips 0.25.
    let strict = load(
        "groups:\n  Big:\n    members: [u003]\nsettings:\n  max_removals: { per_group_fraction: 0.25 }\n",
    );
    let plan = make(&strict, &big_tenant(4), instance(), fixed_now())
        .unwrap()
        .plan;
    let w = guard_warnings(&plan);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("(settings.max_removals.per_group_fraction)"),
        "{w:?}"
    );
    assert!(!w[0].contains("default removal guard"), "{w:?}");
}

#[test]
fn saved_plans_carry_the_default_guard_and_old_plans_keep_theirs() {
    let d = load("groups:\n  Big:\n    members: [u000]\n");
    let plan = make(&d, &big_tenant(63), instance(), fixed_now())
        .unwrap()
        .plan;
    let json = serde_json::to_string(&plan).unwrap();
    assert!(
        json.contains("\"per_group_floor\":3") && json.contains("\"default\":true"),
        "{json}"
    );
    let back = Plan::from_json(&json).unwrap();
    assert_eq!(back.preconditions.max_removals, MaxRemovals::DEFAULT_GUARD);
    // A plan written before the default guard existed said `{}`: made under no limit.
    let old = json.replace(
        &serde_json::to_string(&MaxRemovals::DEFAULT_GUARD).unwrap(),
        "{}",
    );
    assert_ne!(old, json);
    let back = Plan::from_json(&old).unwrap();
    assert_eq!(back.preconditions.max_removals, MaxRemovals::NONE);
}
