//! Laws of the authorizer, as property tests: grants only add, exceptions
//! win within their role, empty roles grant nothing, and documents keep
//! every decision.

use std::collections::BTreeSet;

use api_roles::{ActionCatalog, Authorizer, Grants, LoadOptions, Policy, RoleId};
use proptest::prelude::*;

const ACTIONS: [&str; 9] = ["A0", "A1", "A2", "B0", "B1", "B2", "C0", "C1", "C2"];
const CATEGORIES: [&str; 3] = ["A", "B", "C"];
const CREDENTIALS: [&str; 4] = ["k0", "k1", "k2", "k3"];

/// One role's grants, by index.
#[derive(Debug, Clone)]
struct Spec {
    actions: Vec<usize>,
    categories: Vec<usize>,
    all: bool,
    except: Vec<usize>,
}

impl Spec {
    fn grants(&self) -> Grants {
        let mut grants = Grants::new().actions(self.actions.iter().map(|&i| ACTIONS[i]));
        for &c in &self.categories {
            grants = grants.category(CATEGORIES[c]);
        }
        for &e in &self.except {
            grants = grants.except(ACTIONS[e]);
        }
        if self.all { grants.all() } else { grants }
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(0..ACTIONS.len(), 0..4),
        prop::collection::vec(0..CATEGORIES.len(), 0..2),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..ACTIONS.len(), 0..3),
    )
        .prop_map(|(actions, categories, all, except)| Spec {
            actions,
            categories,
            all,
            except,
        })
}

/// Roles and, per credential, the roles it holds (by index).
fn world() -> impl Strategy<Value = (Vec<Spec>, Vec<Vec<usize>>)> {
    prop::collection::vec(spec(), 1..5).prop_flat_map(|roles| {
        let n = roles.len();
        let holdings = prop::collection::vec(prop::collection::btree_set(0..n, 0..=n), 4);
        (
            Just(roles),
            holdings.prop_map(|h| h.into_iter().map(|s| s.into_iter().collect()).collect()),
        )
    })
}

fn build(roles: &[Spec], holdings: &[Vec<usize>]) -> Result<(Policy, Vec<RoleId>), TestCaseError> {
    let catalog = ActionCatalog::builder()
        .actions("A", ACTIONS[..3].iter().copied())
        .actions("B", ACTIONS[3..6].iter().copied())
        .actions("C", ACTIONS[6..].iter().copied())
        .build()
        .map_err(|err| TestCaseError::fail(err.to_string()))?;
    let mut policy = Policy::new(catalog);
    let fail = |err: api_roles::PolicyError| TestCaseError::fail(err.to_string());
    let ids = roles
        .iter()
        .enumerate()
        .map(|(i, spec)| policy.create_role(&format!("R{i}"), spec.grants()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    for (credential, held) in CREDENTIALS.iter().zip(holdings) {
        let _secret = policy.create_credential(credential).map_err(fail)?;
        for &role in held {
            policy.assign_role(credential, ids[role]).map_err(fail)?;
        }
    }
    Ok((policy, ids))
}

/// Every (credential, action) pair each credential may call.
fn access(authorizer: &Authorizer) -> BTreeSet<(&'static str, &'static str)> {
    let mut out = BTreeSet::new();
    for credential in CREDENTIALS {
        for action in ACTIONS {
            if authorizer.is_allowed(credential, action) {
                out.insert((credential, action));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn adding_a_grant_never_removes_access(
        (roles, holdings) in world(),
        pick in any::<prop::sample::Index>(),
        kind in 0..3usize,
        target in 0..ACTIONS.len(),
    ) {
        let (mut policy, ids) = build(&roles, &holdings)?;
        let before = access(&policy.compile());
        let r = pick.index(roles.len());
        let mut wider = roles[r].clone();
        match kind {
            0 => wider.actions.push(target),
            1 => wider.categories.push(target % CATEGORIES.len()),
            _ => wider.all = true,
        }
        policy.set_grants(ids[r], wider.grants()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let after = access(&policy.compile());
        prop_assert!(before.is_subset(&after), "lost {:?}", before.difference(&after).collect::<Vec<_>>());
    }

    #[test]
    fn removing_a_grant_or_adding_an_exception_never_adds_access(
        (roles, holdings) in world(),
        pick in any::<prop::sample::Index>(),
        kind in 0..4usize,
        target in 0..ACTIONS.len(),
    ) {
        let (mut policy, ids) = build(&roles, &holdings)?;
        let before = access(&policy.compile());
        let r = pick.index(roles.len());
        let mut narrower = roles[r].clone();
        match kind {
            0 => { narrower.actions.pop(); }
            1 => { narrower.categories.pop(); }
            2 => narrower.all = false,
            _ => narrower.except.push(target),
        }
        policy.set_grants(ids[r], narrower.grants()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let after = access(&policy.compile());
        prop_assert!(after.is_subset(&before), "gained {:?}", after.difference(&before).collect::<Vec<_>>());
    }

    #[test]
    fn an_exception_always_wins_inside_its_role((roles, holdings) in world()) {
        let (policy, ids) = build(&roles, &holdings)?;
        let authorizer = policy.compile();
        for (spec, id) in roles.iter().zip(&ids) {
            let set = authorizer.role_actions(*id).cloned().unwrap_or_default();
            for &e in &spec.except {
                let action = authorizer.catalog().action_id(ACTIONS[e]);
                prop_assert!(action.is_some_and(|a| !set.contains(a)), "{} in role {}", ACTIONS[e], id);
            }
        }
    }

    #[test]
    fn an_empty_role_grants_nothing(
        (roles, holdings) in world(),
        except in prop::collection::vec(0..ACTIONS.len(), 0..3),
    ) {
        let (mut policy, _) = build(&roles, &holdings)?;
        let empty = Grants::new().actions(Vec::<String>::new());
        let empty = except.iter().fold(empty, |g, &e| g.except(ACTIONS[e]));
        let role = policy.create_role("Empty", empty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _secret = policy
            .create_credential("only-empty")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        policy.assign_role("only-empty", role).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let authorizer = policy.compile();
        prop_assert!(authorizer.role_actions(role).is_some_and(|set| set.is_empty()));
        prop_assert!(authorizer.permitted_actions("only-empty").is_empty());
    }

    #[test]
    fn export_then_import_preserves_every_decision((roles, holdings) in world()) {
        let (policy, _) = build(&roles, &holdings)?;
        let json = policy.export_json();
        let (imported, report) =
            Policy::from_json(policy.catalog().clone(), &json, &LoadOptions::default())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(report.warnings().is_empty());
        prop_assert_eq!(imported.export_json(), json);
        let (a, b) = (policy.compile(), imported.compile());
        for credential in CREDENTIALS.iter().chain(["ghost"].iter()) {
            for action in ACTIONS {
                prop_assert_eq!(a.authorize(credential, action), b.authorize(credential, action));
            }
        }
    }
}
