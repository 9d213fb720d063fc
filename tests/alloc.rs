//! The authorize path allocates nothing: counted by an instrumented global
//! allocator. This binary holds one test, so no other test allocates while
//! it counts.

use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use api_roles::{
    ActionCatalog, Grants, NameMatching, Policy, Request, SharedAuthorizer, SharedOptions,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn authorize_is_allowed_and_the_gate_allocate_nothing() {
    let catalog = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .json(include_str!("../data/whmcs_api_actions.json"))
        .and_then(|builder| builder.build())
        .expect("the shipped catalog loads");
    let mut policy = Policy::new(catalog);
    let clerk = policy
        .create_role(
            "Clerk",
            Grants::new().category("Billing").except("AddCredit"),
        )
        .expect("valid");
    let secret = policy.create_credential("app").expect("valid");
    policy.assign_role("app", clerk).expect("exists");
    policy
        .set_allowed_networks("app", ["10.0.0.0/8", "2001:db8::/32"])
        .expect("valid");
    policy
        .set_global_networks(["10.0.0.0/8", "2001:db8::/32"])
        .expect("valid");
    let rotated = policy
        .rotate_secret("app", SystemTime::now() + Duration::from_secs(3600))
        .expect("has a secret");
    let _secret = policy.create_credential("off").expect("valid");
    policy.disable_credential("off").expect("exists");

    let authorizer = policy.compile();
    let shared =
        SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));
    let handle = authorizer
        .catalog()
        .handle("CreateInvoice")
        .expect("in the catalog");
    let app = authorizer.credential_handle("app").expect("known");
    let client = "10.1.2.3".parse().expect("valid address");
    let long = "A".repeat(4096);
    let requests = [
        Request::new("app", secret.expose(), "CreateInvoice", client),
        Request::new("app", rotated.expose(), "createinvoice", client),
        Request::new("app", "ars_wrong", "CreateInvoice", client),
        Request::new("ghost", secret.expose(), "CreateInvoice", client),
        Request::new("app", secret.expose(), "AddCredit", client),
        Request::new("app", secret.expose(), &long, client),
        Request::new(
            "app",
            secret.expose(),
            "CreateInvoice",
            "192.0.2.1".parse().expect("ip"),
        ),
    ];
    let pairs = [
        ("app", "CreateInvoice"),
        ("app", "getinvoices"),
        ("app", "AddCredit"),
        ("app", "NoSuchAction"),
        ("app", long.as_str()),
        ("off", "CreateInvoice"),
        ("ghost", "CreateInvoice"),
        (long.as_str(), "CreateInvoice"),
    ];

    // Warm up whatever is set up lazily.
    for (credential, action) in pairs {
        let _ = shared.authorize(credential, action);
    }

    let region = Region::new(GLOBAL);
    let mut allowed = 0usize;
    for _ in 0..1_000 {
        for (credential, action) in pairs {
            allowed += usize::from(
                authorizer
                    .authorize(black_box(credential), black_box(action))
                    .is_allowed(),
            );
            allowed += usize::from(authorizer.is_allowed(black_box(credential), black_box(action)));
            allowed += usize::from(
                shared
                    .authorize(black_box(credential), black_box(action))
                    .is_allowed(),
            );
            allowed += usize::from(shared.is_allowed(black_box(credential), black_box(action)));
            allowed += usize::from(authorizer.is_allowed_handle(black_box(credential), handle));
            allowed += usize::from(
                authorizer
                    .authorize_resolved(black_box(&app), handle)
                    .is_allowed(),
            );
        }
        for request in &requests {
            allowed += usize::from(authorizer.check(black_box(request)).is_allowed());
            allowed += usize::from(shared.check(black_box(request)).is_allowed());
        }
    }
    let change = region.change();
    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
    assert!(allowed > 0, "the checks ran and some allowed");
}
