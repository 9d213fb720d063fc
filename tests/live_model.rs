//! Property tests for the live authorizer: incremental snapshots against
//! full compiles, reverse queries against forward checks, and least-privilege
//! proposals against recorded usage.

#![expect(clippy::panic, reason = "a broken fixture should stop the test loudly")]

use std::collections::BTreeSet;

use api_roles::{
    ActionCatalog, Authorizer, Grants, Policy, Proposal, RoleId, SharedAuthorizer, SharedOptions,
};
use proptest::prelude::*;

const ACTIONS: [&str; 10] = ["A0", "A1", "A2", "A3", "A4", "B0", "B1", "B2", "C0", "C1"];
const CREDENTIALS: [&str; 5] = ["c0", "c1", "c2", "c3", "c4"];

fn catalog() -> ActionCatalog {
    let built = ActionCatalog::builder()
        .actions("A", ACTIONS[..5].iter().copied())
        .actions("B", ACTIONS[5..8].iter().copied())
        .actions("C", ACTIONS[8..].iter().copied())
        .build();
    built.unwrap_or_else(|err| panic!("valid catalog: {err}"))
}

#[derive(Debug, Clone)]
enum Op {
    CreateRole(Vec<usize>, Option<usize>, bool, Vec<usize>),
    SetGrants(usize, Vec<usize>),
    DeleteRole(usize),
    Assign(usize, usize),
    Unassign(usize, usize),
    Toggle(usize),
    Recreate(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let actions = || prop::collection::vec(0..ACTIONS.len(), 0..4);
    prop_oneof![
        2 => (actions(), prop::option::of(0usize..3), prop::bool::weighted(0.2), actions())
            .prop_map(|(a, c, all, e)| Op::CreateRole(a, c, all, e)),
        2 => (0usize..8, actions()).prop_map(|(r, a)| Op::SetGrants(r, a)),
        1 => (0usize..8).prop_map(Op::DeleteRole),
        4 => (0..CREDENTIALS.len(), 0usize..8).prop_map(|(c, r)| Op::Assign(c, r)),
        1 => (0..CREDENTIALS.len(), 0usize..8).prop_map(|(c, r)| Op::Unassign(c, r)),
        1 => (0..CREDENTIALS.len()).prop_map(Op::Toggle),
        1 => (0..CREDENTIALS.len()).prop_map(Op::Recreate),
    ]
}

fn names(indices: &[usize]) -> Vec<&'static str> {
    indices.iter().map(|&i| ACTIONS[i]).collect()
}

/// Applies `op` to the policy; an op that does not apply is skipped.
fn apply(policy: &mut Policy, op: &Op, n: usize) {
    let role = |policy: &Policy, r: usize| -> Option<RoleId> {
        let roles: Vec<RoleId> = policy.roles().map(|role| role.id()).collect();
        roles.get(r % roles.len().max(1)).copied()
    };
    let _ = match op {
        Op::CreateRole(actions, category, all, except) => {
            let mut grants = Grants::new().actions(names(actions));
            if let Some(c) = category {
                grants = grants.category(["A", "B", "C"][*c]);
            }
            if *all {
                grants = grants.all();
            }
            for e in names(except) {
                grants = grants.except(e);
            }
            policy.create_role(&format!("R{n}"), grants).map(drop)
        }
        Op::SetGrants(r, actions) => match role(policy, *r) {
            Some(id) => policy.set_grants(id, Grants::new().actions(names(actions))),
            None => Ok(()),
        },
        Op::DeleteRole(r) => match role(policy, *r) {
            Some(id) => policy.delete_role(id).map(drop),
            None => Ok(()),
        },
        Op::Assign(c, r) => match role(policy, *r) {
            Some(id) => policy.assign_role(CREDENTIALS[*c], id),
            None => Ok(()),
        },
        Op::Unassign(c, r) => match role(policy, *r) {
            Some(id) => policy.unassign_role(CREDENTIALS[*c], id),
            None => Ok(()),
        },
        Op::Toggle(c) => {
            let enabled = policy
                .credential(CREDENTIALS[*c])
                .is_some_and(|c| c.is_enabled());
            if enabled {
                policy.disable_credential(CREDENTIALS[*c])
            } else {
                policy.enable_credential(CREDENTIALS[*c])
            }
        }
        Op::Recreate(c) => policy
            .delete_credential(CREDENTIALS[*c])
            .and_then(|_| policy.create_credential(CREDENTIALS[*c]).map(drop)),
    };
}

fn seeded() -> Policy {
    let mut policy = Policy::new(catalog());
    for id in CREDENTIALS {
        if let Err(err) = policy.create_credential(id) {
            panic!("seeding the policy failed: {err}");
        }
    }
    policy
}

/// Every decision of `a` equals `b`'s.
fn same_decisions(a: &Authorizer, b: &Authorizer) -> Result<(), TestCaseError> {
    for credential in CREDENTIALS.iter().chain(["ghost"].iter()) {
        for action in ACTIONS.iter().chain(["Nope"].iter()) {
            prop_assert_eq!(
                a.authorize(credential, action),
                b.authorize(credential, action)
            );
        }
    }
    Ok(())
}

/// Reverse queries agree with forward checks on every pair.
fn reverse_agrees(auth: &Authorizer) -> Result<(), TestCaseError> {
    for action in ACTIONS {
        let forward: BTreeSet<&str> = CREDENTIALS
            .iter()
            .copied()
            .filter(|c| auth.is_allowed(c, action))
            .collect();
        let reverse: BTreeSet<&str> = auth
            .credentials_permitted(action)
            .iter()
            .map(|id| id.as_str())
            .collect();
        prop_assert_eq!(forward, reverse);

        let id = auth.catalog().action_id(action);
        for role in auth.roles_granting(action) {
            let set = auth.role_actions(role);
            prop_assert!(id.is_some_and(|id| set.is_some_and(|s| s.contains(id))));
        }
    }
    for credential in CREDENTIALS {
        let forward: BTreeSet<&str> = ACTIONS
            .iter()
            .copied()
            .filter(|a| auth.is_allowed(credential, a))
            .collect();
        let permitted = auth.permitted_actions(credential);
        let reverse: BTreeSet<&str> = permitted
            .iter()
            .filter_map(|id| auth.catalog().action_name(id))
            .map(|name| name.as_str())
            .collect();
        prop_assert_eq!(forward, reverse);
        let handle = auth.credential_handle(credential);
        for action in ACTIONS {
            let resolved = handle
                .as_ref()
                .zip(auth.catalog().handle(action))
                .map(|(c, a)| auth.authorize_resolved(c, a));
            if let Some(resolved) = resolved {
                prop_assert_eq!(resolved, auth.authorize(credential, action));
            }
        }
        let pairs: Vec<(&str, &str)> = ACTIONS.iter().map(|a| (credential, *a)).collect();
        let batch = auth.authorize_batch(pairs.iter().copied());
        for ((c, a), decision) in pairs.iter().zip(batch) {
            prop_assert_eq!(decision, auth.authorize(c, a));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_snapshots_equal_full_compiles(ops in prop::collection::vec(op(), 1..60)) {
        let shared = SharedAuthorizer::new(seeded());
        let mut shadow = seeded();
        let first = shared.snapshot();
        let old_handles: Vec<_> =
            CREDENTIALS.iter().filter_map(|c| first.credential_handle(c)).collect();
        for (n, op) in ops.iter().enumerate() {
            let _ = shared.edit(|policy| {
                apply(policy, op, n);
                Ok(())
            });
            apply(&mut shadow, op, n);
            let live = shared.snapshot();
            same_decisions(&live, &shadow.compile())?;
            reverse_agrees(&live)?;
            for handle in &old_handles {
                for action in ACTIONS {
                    let Some(action_handle) = live.catalog().handle(action) else { continue };
                    prop_assert_eq!(
                        live.authorize_resolved(handle, action_handle),
                        live.authorize(handle.id().as_str(), action)
                    );
                }
            }
        }
    }

    #[test]
    fn least_privilege_covers_exactly_what_was_used(
        ops in prop::collection::vec(op(), 1..30),
        uses in prop::collection::vec((0..CREDENTIALS.len(), 0..ACTIONS.len()), 0..40),
    ) {
        let mut policy = seeded();
        for (n, op) in ops.iter().enumerate() {
            apply(&mut policy, op, n);
        }
        let shared = SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));
        let mut used: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); CREDENTIALS.len()];
        for (c, a) in uses {
            if shared.is_allowed(CREDENTIALS[c], ACTIONS[a]) {
                used[c].insert(ACTIONS[a]);
            }
        }
        let snapshot = shared.snapshot();
        let report = shared.least_privilege();
        for advice in report.credentials() {
            let c = CREDENTIALS.iter().position(|id| *id == advice.credential().as_str());
            let expected = &used[c.unwrap_or(0)];
            let reported: BTreeSet<&str> = advice.used().iter().map(|n| n.as_str()).collect();
            prop_assert_eq!(&reported, expected);
            let proposed: BTreeSet<&str> = match advice.proposal() {
                Proposal::NothingUsed => BTreeSet::new(),
                Proposal::ExistingRoles(roles) => roles
                    .iter()
                    .filter_map(|role| snapshot.role_actions(*role))
                    .flat_map(|set| set.iter())
                    .filter_map(|id| snapshot.catalog().action_name(id))
                    .map(|name| name.as_str())
                    .collect(),
                Proposal::NewRole(grants) => grants.action_names().collect(),
                other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
            };
            prop_assert_eq!(&proposed, expected, "{:?}", advice.proposal());
        }
    }
}
