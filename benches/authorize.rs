//! Authorize on the real WHMCS catalog with 100 roles and 10,000 credentials.
//!
//! Run with `cargo bench --bench authorize`.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the bench loudly"
)]
#![expect(
    clippy::panic,
    reason = "a broken fixture should stop the bench loudly"
)]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::hint::black_box;

use api_roles::{ActionCatalog, Authorizer, DenyReason, Grants, NameMatching, Policy, Request};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const CATALOG: &str = include_str!("../data/whmcs_api_actions.json");
const ROLES: usize = 100;
const CREDENTIALS: usize = 10_000;

/// Builds the seeded policy: 100 roles mixing action, category, all-action
/// and exception grants; 10,000 credentials holding 1 to 4 roles each.
fn policy(matching: NameMatching) -> Policy {
    let catalog = ActionCatalog::builder()
        .name_matching(matching)
        .json(CATALOG)
        .and_then(|b| b.build())
        .expect("catalog loads");
    let actions: Vec<String> = catalog.actions().map(|(_, a)| a.to_string()).collect();
    let categories: Vec<String> = catalog.categories().map(|c| c.name().to_string()).collect();
    let mut policy = Policy::new(catalog);
    let mut rng = SmallRng::seed_from_u64(7);

    let mut roles = Vec::with_capacity(ROLES);
    for i in 0..ROLES {
        let mut grants = Grants::new();
        for _ in 0..rng.random_range(0..12) {
            grants = grants.action(actions.choose(&mut rng).expect("actions").clone());
        }
        for _ in 0..rng.random_range(0..3) {
            grants = grants.category(categories.choose(&mut rng).expect("categories").clone());
        }
        if i % 25 == 0 {
            grants = grants.all();
        }
        for _ in 0..rng.random_range(0..3) {
            grants = grants.except(actions.choose(&mut rng).expect("actions").clone());
        }
        roles.push(
            policy
                .create_role(&format!("Role {i}"), grants)
                .expect("valid role"),
        );
    }
    for i in 0..CREDENTIALS {
        let id = format!("key-{i:05}");
        let _secret = policy.create_credential(&id).expect("valid credential");
        let count = rng.random_range(1..=4);
        for role in roles.choose_multiple(&mut rng, count) {
            policy.assign_role(&id, *role).expect("role exists");
        }
    }
    policy
}

/// Finds a credential and an action with the wanted outcome.
fn find(authorizer: &Authorizer, allowed: bool) -> (String, String) {
    for i in 0..CREDENTIALS {
        let id = format!("key-{i:05}");
        for (_, action) in authorizer.catalog().actions() {
            let decision = authorizer.authorize(&id, action.as_str());
            let want = if allowed {
                decision.is_allowed()
            } else {
                decision.reason() == Some(DenyReason::NotPermitted)
            };
            if want && i > CREDENTIALS / 2 {
                return (id, action.to_string());
            }
        }
    }
    panic!("the seeded policy has both outcomes")
}

fn bench_authorize(c: &mut Criterion) {
    for (label, matching) in [
        ("exact", NameMatching::Exact),
        ("case-insensitive", NameMatching::AsciiCaseInsensitive),
    ] {
        let authorizer = policy(matching).compile();
        let (allowed_key, allowed_action) = find(&authorizer, true);
        let (denied_key, denied_action) = find(&authorizer, false);
        let handle = authorizer
            .catalog()
            .handle(&allowed_action)
            .expect("in catalog");

        let mut group = c.benchmark_group(format!("authorize/{label}"));
        group.bench_function("allowed", |b| {
            b.iter(|| authorizer.authorize(black_box(&allowed_key), black_box(&allowed_action)))
        });
        group.bench_function("not_permitted", |b| {
            b.iter(|| authorizer.authorize(black_box(&denied_key), black_box(&denied_action)))
        });
        group.bench_function("unknown_credential", |b| {
            b.iter(|| authorizer.authorize(black_box("key-99999"), black_box(&allowed_action)))
        });
        group.bench_function("unknown_action", |b| {
            b.iter(|| authorizer.authorize(black_box(&allowed_key), black_box("GetClientz")))
        });
        group.bench_function("handle_allowed", |b| {
            b.iter(|| authorizer.authorize_handle(black_box(&allowed_key), black_box(handle)))
        });
        group.finish();
    }
}

/// The whole request gate: hash and verify the secret, check state and
/// networks, then the permission.
fn bench_gate(c: &mut Criterion) {
    let mut policy = policy(NameMatching::AsciiCaseInsensitive);
    let secret = policy.reset_secret("key-07000").expect("credential exists");
    let authorizer = policy.compile();
    let action = authorizer
        .catalog()
        .actions()
        .map(|(_, name)| name.to_string())
        .find(|name| authorizer.is_allowed("key-07000", name))
        .expect("the credential may do something");
    let client = "192.0.2.7".parse().expect("valid address");
    let now = std::time::SystemTime::now();

    let mut group = c.benchmark_group("gate");
    group.bench_function("allowed", |b| {
        b.iter(|| {
            let request = Request::new("key-07000", secret.expose(), &action, client).at(now);
            authorizer.check(black_box(&request))
        })
    });
    group.bench_function("wrong_secret", |b| {
        b.iter(|| {
            let request = Request::new("key-07000", "ars_wrong", &action, client).at(now);
            authorizer.check(black_box(&request))
        })
    });
    let last = if secret.expose().ends_with('A') {
        'E'
    } else {
        'A'
    };
    let wrong = format!("{}{last}", &secret.expose()[..46]);
    group.bench_function("wrong_secret_well_formed", |b| {
        b.iter(|| {
            let request = Request::new("key-07000", &wrong, &action, client).at(now);
            authorizer.check(black_box(&request))
        })
    });
    group.bench_function("unknown_credential", |b| {
        b.iter(|| {
            let request = Request::new("key-99999", secret.expose(), &action, client).at(now);
            authorizer.check(black_box(&request))
        })
    });
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let policy = policy(NameMatching::AsciiCaseInsensitive);
    c.bench_function("compile/10k_credentials_100_roles", |b| {
        b.iter(|| policy.compile())
    });
}

criterion_group!(benches, bench_authorize, bench_gate, bench_compile);
criterion_main!(benches);
