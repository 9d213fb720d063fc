//! Scripts shared by the database store tests.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture should stop the test loudly"
)]

use std::sync::Arc;

use api_roles::{ActionCatalog, Grants, LoadOptions, Policy, PolicyError, Store, StoreError};

pub(crate) fn catalog() -> ActionCatalog {
    ActionCatalog::builder()
        .actions("Billing", ["AddCredit", "CreateInvoice"])
        .actions("Client", ["GetClients"])
        .build()
        .expect("valid catalog")
}

pub(crate) fn open(store: Arc<dyn Store>) -> Policy {
    Policy::open(catalog(), store, &LoadOptions::default())
        .expect("store opens")
        .0
}

/// Seeds a role `Billing` (id 1) and a credential `app` holding it, at
/// revision 3.
pub(crate) fn seed(store: Arc<dyn Store>) -> Policy {
    let mut policy = open(store);
    let role = policy
        .create_role("Billing", Grants::new().category("Billing"))
        .expect("valid");
    drop(policy.create_credential("app").expect("valid"));
    policy.assign_role("app", role).expect("exists");
    policy
}

/// Two instances of one seeded store edit the same role: the second is
/// behind and gets a conflict, reloads, and its retry applies; neither edit
/// is lost.
pub(crate) fn conflict_then_retry(mut first: Policy, mut second: Policy) {
    let role = first.role_by_name("Billing").expect("seeded").id();
    first
        .describe_role(role, Some("Invoices only"))
        .expect("first writer wins");
    let stale = second.rename_role(role, "Invoicing");
    assert!(
        matches!(
            stale,
            Err(PolicyError::Store(StoreError::Conflict {
                expected: 3,
                found: 4
            }))
        ),
        "{stale:?}"
    );
    assert_eq!(second.role(role).expect("kept").name().as_str(), "Billing");

    second.reload(&LoadOptions::default()).expect("reloads");
    second
        .rename_role(role, "Invoicing")
        .expect("the retry applies");
    first.reload(&LoadOptions::default()).expect("reloads");
    let role = first.role(role).expect("kept");
    assert_eq!(role.name().as_str(), "Invoicing");
    assert_eq!(role.description(), Some("Invoices only"), "no edit is lost");
}

/// Runs `edit` until it is not refused for a revision conflict, reloading
/// after each conflict; returns how many conflicts it met. Any other error
/// fails the test.
pub(crate) fn retry_on_conflict<T>(
    policy: &mut Policy,
    name: &str,
    mut edit: impl FnMut(&mut Policy) -> Result<T, PolicyError>,
) -> usize {
    let mut conflicts = 0;
    loop {
        match edit(policy) {
            Ok(_) => return conflicts,
            Err(PolicyError::Store(StoreError::Conflict { .. })) => {
                conflicts += 1;
                policy.reload(&LoadOptions::default()).expect("reloads");
            }
            Err(err) => panic!("writer {name}: {err}"),
        }
    }
}
