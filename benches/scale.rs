//! The authorizer at three scales, against a hand-written floor.
//!
//! - S: the real 162-action catalog, 100 roles, 10,000 credentials;
//! - M: 1,000 actions, 1,000 roles, 100,000 credentials;
//! - L: 4,000 actions, 10,000 roles, 1,000,000 credentials;
//!
//! each credential holding 1 to 4 seeded roles. The floor is the same lookup
//! written by hand: a hash map from identifier to a precomputed bitset, a
//! second from action name to bit, and one bit test.
//!
//! Run with `cargo bench --bench scale`; `API_ROLES_SCALES=S,M` runs only
//! the scales named. Memory per credential is printed to
//! standard error: the bytes a compiled authorizer keeps allocated, counted
//! by an instrumented allocator.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the bench loudly"
)]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::alloc::System;
use std::collections::HashMap as StdHashMap;
use std::hint::black_box;
use std::time::Duration;

use api_roles::{
    ActionCatalog, ActionId, ActionSet, Authorizer, Grants, NameMatching, Policy, RoleId,
    SharedAuthorizer,
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

const WHMCS: &str = include_str!("../data/whmcs_api_actions.json");

struct Scale {
    name: &'static str,
    actions: usize,
    roles: usize,
    credentials: usize,
}

const SCALES: [Scale; 3] = [
    Scale {
        name: "S",
        actions: 162,
        roles: 100,
        credentials: 10_000,
    },
    Scale {
        name: "M",
        actions: 1_000,
        roles: 1_000,
        credentials: 100_000,
    },
    Scale {
        name: "L",
        actions: 4_000,
        roles: 10_000,
        credentials: 1_000_000,
    },
];

fn catalog(scale: &Scale) -> ActionCatalog {
    let builder = ActionCatalog::builder().name_matching(NameMatching::Exact);
    let builder = if scale.actions == 162 {
        builder.json(WHMCS).expect("the real catalog")
    } else {
        let mut builder = builder;
        for i in 0..scale.actions {
            builder = builder.action(format!("Category {}", i / 25), format!("Action{i:05}"));
        }
        builder
    };
    builder.build().expect("valid catalog")
}

/// The seeded policy of a scale.
fn policy(scale: &Scale) -> (Policy, Vec<RoleId>) {
    let catalog = catalog(scale);
    let actions: Vec<String> = catalog.actions().map(|(_, a)| a.to_string()).collect();
    let categories: Vec<String> = catalog.categories().map(|c| c.name().to_string()).collect();
    let mut policy = Policy::new(catalog);
    let mut rng = SmallRng::seed_from_u64(42);
    let mut roles = Vec::with_capacity(scale.roles);
    for i in 0..scale.roles {
        let mut grants = Grants::new();
        for _ in 0..rng.random_range(1..12) {
            grants = grants.action(actions.choose(&mut rng).expect("actions").clone());
        }
        if i % 3 == 0 {
            grants = grants.category(categories.choose(&mut rng).expect("categories").clone());
        }
        if i % 97 == 0 {
            grants = grants.all();
        }
        if i % 5 == 0 {
            grants = grants.except(actions.choose(&mut rng).expect("actions").clone());
        }
        roles.push(
            policy
                .create_role(&format!("Role {i}"), grants)
                .expect("valid"),
        );
    }
    for i in 0..scale.credentials {
        let id = format!("key-{i:07}");
        let _secret = policy.create_credential(&id).expect("valid");
        let count = rng.random_range(1..=4);
        for role in roles.choose_multiple(&mut rng, count) {
            policy.assign_role(&id, *role).expect("exists");
        }
    }
    (policy, roles)
}

/// The same lookup written by hand, with the standard library's hash map
/// (SipHash-1-3, randomly keyed, as the authorizer uses), or with `S` as the
/// hasher.
struct Floor<S = std::hash::RandomState> {
    credentials: StdHashMap<String, Vec<u64>, S>,
    actions: StdHashMap<String, u32, S>,
}

impl<S: std::hash::BuildHasher + Default> Floor<S> {
    fn new(authorizer: &Authorizer) -> Self {
        let catalog = authorizer.catalog();
        let actions = catalog
            .actions()
            .map(|(id, name)| (name.to_string(), id.get()))
            .collect();
        let credentials = authorizer
            .credential_ids()
            .map(|id| {
                (
                    id.to_string(),
                    authorizer
                        .permitted_actions(id.as_str())
                        .as_words()
                        .to_vec(),
                )
            })
            .collect();
        Self {
            credentials,
            actions,
        }
    }

    #[inline]
    fn is_allowed(&self, credential: &str, action: &str) -> bool {
        let (Some(bits), Some(&bit)) = (self.credentials.get(credential), self.actions.get(action))
        else {
            return false;
        };
        bits.get(bit as usize / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }
}

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Finds a credential and an action with the wanted outcome.
fn find(authorizer: &Authorizer, allowed: bool, from: usize) -> (String, String) {
    let ids: Vec<String> = authorizer
        .credential_ids()
        .skip(from)
        .take(200)
        .map(|id| id.to_string())
        .collect();
    for id in &ids {
        for (_, action) in authorizer.catalog().actions() {
            if authorizer.is_allowed(id, action.as_str()) == allowed {
                return (id.clone(), action.to_string());
            }
        }
    }
    (ids[0].clone(), "NoSuchAction".into())
}

fn bench_scale(c: &mut Criterion, scale: &Scale) {
    let (policy, roles) = policy(scale);
    let region = Region::new(GLOBAL);
    let authorizer = policy.compile();
    let change = region.change();
    let grown = change
        .bytes_allocated
        .saturating_sub(change.bytes_deallocated);
    // Identifiers are shared with the policy, so these bytes are all beyond
    // the identifier.
    eprintln!(
        "scale {}: the compiled authorizer keeps {} bytes: {:.1} bytes per credential beyond its \
         identifier, {} distinct permission sets",
        scale.name,
        grown,
        grown as f64 / scale.credentials as f64,
        authorizer.distinct_permission_sets(),
    );

    let floor: Floor = Floor::new(&authorizer);
    let fast_floor: Floor<hashbrown::DefaultHashBuilder> = Floor::new(&authorizer);
    let (yes_id, yes_action) = find(&authorizer, true, scale.credentials / 2);
    let (no_id, no_action) = find(&authorizer, false, scale.credentials / 3);
    let handle = authorizer
        .catalog()
        .handle(&yes_action)
        .expect("in the catalog");
    let bits: ActionSet = authorizer.permitted_actions(&yes_id);
    let bit = ActionId::new(handle.id().get());
    let mut rng = SmallRng::seed_from_u64(5);
    let ids: Vec<String> = authorizer
        .credential_ids()
        .map(|id| id.to_string())
        .collect();
    let names: Vec<String> = authorizer
        .catalog()
        .actions()
        .map(|(_, a)| a.to_string())
        .collect();
    let batch: Vec<(String, String)> = (0..100)
        .map(|_| {
            (
                ids.choose(&mut rng).expect("ids").clone(),
                names.choose(&mut rng).expect("names").clone(),
            )
        })
        .collect();

    let mut group = c.benchmark_group(format!("scale/{}", scale.name));
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("authorize_allowed", |b| {
        b.iter(|| authorizer.authorize(black_box(&yes_id), black_box(&yes_action)))
    });
    group.bench_function("authorize_denied", |b| {
        b.iter(|| authorizer.authorize(black_box(&no_id), black_box(&no_action)))
    });
    group.bench_function("floor_allowed", |b| {
        b.iter(|| floor.is_allowed(black_box(&yes_id), black_box(&yes_action)))
    });
    group.bench_function("floor_denied", |b| {
        b.iter(|| floor.is_allowed(black_box(&no_id), black_box(&no_action)))
    });
    group.bench_function("floor_allowed_foldhash", |b| {
        b.iter(|| fast_floor.is_allowed(black_box(&yes_id), black_box(&yes_action)))
    });
    group.bench_function("authorize_handle", |b| {
        b.iter(|| authorizer.authorize_handle(black_box(&yes_id), black_box(handle)))
    });
    let resolved = authorizer.credential_handle(&yes_id).expect("known");
    group.bench_function("authorize_resolved", |b| {
        b.iter(|| authorizer.authorize_resolved(black_box(&resolved), black_box(handle)))
    });
    group.bench_function("bare_bit_test", |b| {
        b.iter(|| black_box(&bits).contains(black_box(bit)))
    });
    group.bench_function("batch_of_100", |b| {
        b.iter(|| authorizer.authorize_batch(batch.iter().map(|(c, a)| (c.as_str(), a.as_str()))))
    });
    group.bench_function("permitted_actions", |b| {
        b.iter(|| authorizer.permitted_actions(black_box(&yes_id)))
    });
    group.bench_function("explain", |b| {
        b.iter(|| authorizer.explain(black_box(&yes_id), black_box(&yes_action)))
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_with_input(
        BenchmarkId::new("full_compile", scale.credentials),
        &policy,
        |b, p| b.iter(|| p.compile()),
    );
    let shared = SharedAuthorizer::new(policy);
    let mut i = 0usize;
    group.sample_size(30);
    group.bench_function("one_role_edit", |b| {
        b.iter(|| {
            i += 1;
            let grants = Grants::new().action(names[i % names.len()].clone());
            shared
                .edit(|p| p.set_grants(roles[i % roles.len()], grants))
                .expect("valid")
        })
    });
    group.finish();
}

/// Runs every scale, or those named in `API_ROLES_SCALES` (such as `S,M`).
fn bench_scales(c: &mut Criterion) {
    let only = std::env::var("API_ROLES_SCALES").unwrap_or_default();
    for scale in SCALES
        .iter()
        .filter(|s| only.is_empty() || only.split(',').any(|n| n == s.name))
    {
        bench_scale(c, scale);
    }
}

criterion_group!(benches, bench_scales);
criterion_main!(benches);
