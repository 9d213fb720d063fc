//! The live authorizer: checks while a writer publishes, incremental edits
//! at 100,000 credentials, and batches.
//!
//! Run with `cargo bench --bench live`.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the bench loudly"
)]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api_roles::{ActionCatalog, Grants, NameMatching, Policy, RoleId, SharedAuthorizer};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const CATALOG: &str = include_str!("../data/whmcs_api_actions.json");

/// The real catalog, `roles` seeded roles, and `credentials` credentials
/// holding 1 to 4 roles each.
fn policy(roles: usize, credentials: usize) -> (Policy, Vec<RoleId>, Vec<String>) {
    let catalog = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .json(CATALOG)
        .and_then(|b| b.build())
        .expect("catalog loads");
    let actions: Vec<String> = catalog.actions().map(|(_, a)| a.to_string()).collect();
    let categories: Vec<String> = catalog.categories().map(|c| c.name().to_string()).collect();
    let mut policy = Policy::new(catalog);
    let mut rng = SmallRng::seed_from_u64(11);
    let mut ids = Vec::with_capacity(roles);
    for i in 0..roles {
        let mut grants = Grants::new();
        for _ in 0..rng.random_range(1..10) {
            grants = grants.action(actions.choose(&mut rng).expect("actions").clone());
        }
        if i % 3 == 0 {
            grants = grants.category(categories.choose(&mut rng).expect("categories").clone());
        }
        ids.push(
            policy
                .create_role(&format!("Role {i}"), grants)
                .expect("valid"),
        );
    }
    for i in 0..credentials {
        let id = format!("key-{i:06}");
        let _secret = policy.create_credential(&id).expect("valid");
        let count = rng.random_range(1..=4);
        for role in ids.choose_multiple(&mut rng, count) {
            policy.assign_role(&id, *role).expect("exists");
        }
    }
    (policy, ids, actions)
}

fn bench_under_writes(c: &mut Criterion) {
    let (policy, roles, actions) = policy(100, 10_000);
    let shared = Arc::new(SharedAuthorizer::new(policy));
    let action = actions[17].clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (shared, stop) = (shared.clone(), stop.clone());
        let (role, actions) = (roles[0], actions.clone());
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let grants = Grants::new().action(actions[i % actions.len()].clone());
                shared
                    .edit(|policy| policy.set_grants(role, grants))
                    .expect("valid");
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    c.bench_function("live/authorize_while_publishing_100_per_s", |b| {
        b.iter(|| shared.authorize(black_box("key-004711"), black_box(&action)))
    });
    c.bench_function("live/authorize_quiet", |b| {
        let quiet = SharedAuthorizer::new(shared.with_policy(Policy::clone));
        b.iter(|| quiet.authorize(black_box("key-004711"), black_box(&action)))
    });
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer stops");
}

fn bench_edits(c: &mut Criterion) {
    let (policy, roles, actions) = policy(1_000, 100_000);
    let shared = SharedAuthorizer::new(policy);
    let mut i = 0usize;
    c.bench_function("live/role_edit_at_100k_credentials", |b| {
        b.iter(|| {
            i += 1;
            let grants = Grants::new().action(actions[i % actions.len()].clone());
            shared
                .edit(|policy| policy.set_grants(roles[7], grants))
                .expect("valid")
        })
    });
    c.bench_function("live/disable_one_credential_at_100k_credentials", |b| {
        b.iter(|| {
            i += 1;
            let id = format!("key-{:06}", i % 100_000);
            shared
                .edit(|policy| policy.disable_credential(&id))
                .expect("valid")
        })
    });

    let mut rng = SmallRng::seed_from_u64(3);
    let pairs: Vec<(String, String)> = (0..100)
        .map(|_| {
            let id = format!("key-{:06}", rng.random_range(0..100_000));
            (id, actions.choose(&mut rng).expect("actions").clone())
        })
        .collect();
    c.bench_function("live/batch_of_100", |b| {
        b.iter(|| shared.authorize_batch(pairs.iter().map(|(c, a)| (c.as_str(), a.as_str()))))
    });
}

criterion_group!(benches, bench_under_writes, bench_edits);
criterion_main!(benches);
