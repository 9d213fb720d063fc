//! Two host instances share one PostgreSQL database: an operator's edit on
//! the first is enforced by the second as soon as the change notification
//! arrives.
//!
//! ```sh
//! API_ROLES_POSTGRES_URL=postgresql://postgres@127.0.0.1:55432/api_roles_test \
//!     cargo run --features postgres --example two_instances
//! ```
//!
//! The example keeps its policy in the schema `api_roles_example`, which it
//! empties first. Each instance has its own store, and so its own
//! connections, as two processes behind a load balancer would.

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use api_roles::{
    ActionCatalog, Change, Decision, Grants, LoadOptions, NameMatching, Policy, PolicyDocument,
    PostgresStore, Store,
};

type BoxError = Box<dyn Error + Send + Sync>;

const SCHEMA: &str = "api_roles_example";
const CREDENTIAL: &str = "invoicing-app";
const ACTION: &str = "GetClients";

fn main() -> Result<(), BoxError> {
    let Ok(url) = std::env::var("API_ROLES_POSTGRES_URL") else {
        println!(
            "API_ROLES_POSTGRES_URL is not set: this example needs a PostgreSQL server, \
             such as postgresql://postgres@127.0.0.1:5432/postgres; nothing was run"
        );
        return Ok(());
    };
    let catalog = Arc::new(
        ActionCatalog::builder()
            .name_matching(NameMatching::AsciiCaseInsensitive)
            .json(include_str!("../data/whmcs_api_actions.json"))?
            .build()?,
    );

    // Instance A, where the operator works: start from an empty policy.
    let store_a = Arc::new(PostgresStore::connect_in_schema(&url, SCHEMA)?);
    store_a.apply(
        store_a.revision()?,
        &[Change::Replace(PolicyDocument::empty())],
    )?;
    let (mut operator, _) = Policy::open(Arc::clone(&catalog), store_a, &LoadOptions::default())?;
    let clerk = operator.create_role("Billing clerk", Grants::new().category("Billing"))?;
    drop(operator.create_credential(CREDENTIAL)?);
    operator.assign_role(CREDENTIAL, clerk)?;
    println!("instance A: role `Billing clerk` given to `{CREDENTIAL}`");

    // Instance B, serving requests: its watcher reloads on every change.
    let (events, seen) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let instance_b = {
        let (catalog, url, stop) = (Arc::clone(&catalog), url.clone(), Arc::clone(&stop));
        thread::spawn(move || serve(&url, catalog, &stop, &events))
    };
    let (revision, decision) = seen.recv_timeout(Duration::from_secs(30))?;
    println!("instance B: revision {revision}: `{CREDENTIAL}` calls {ACTION}: {decision:?}");

    // The operator lets the credential read clients too.
    let started = Instant::now();
    operator.set_grants(clerk, Grants::new().category("Billing").action(ACTION))?;
    println!(
        "instance A: `{ACTION}` granted to `Billing clerk` (revision {})",
        operator.revision()
    );
    let (revision, decision) = seen.recv_timeout(Duration::from_secs(30))?;
    let took = started.elapsed();
    println!("instance B: revision {revision}: `{CREDENTIAL}` calls {ACTION}: {decision:?}");
    println!("the edit was enforced on instance B {took:.1?} after instance A made it");

    stop.store(true, Ordering::Relaxed);
    instance_b
        .join()
        .map_err(|_| "instance B stopped unexpectedly")??;
    if decision != Decision::Allowed {
        return Err("instance B did not enforce the edit".into());
    }
    Ok(())
}

/// Instance B: opens the shared policy, compiles it, and recompiles after
/// every change it is told about; sends each compiled decision for the
/// credential to `events`.
fn serve(
    url: &str,
    catalog: Arc<ActionCatalog>,
    stop: &AtomicBool,
    events: &mpsc::Sender<(u64, Decision)>,
) -> Result<(), BoxError> {
    let store = Arc::new(PostgresStore::connect_in_schema(url, SCHEMA)?);
    let (mut policy, _) = Policy::open(catalog, store.clone(), &LoadOptions::default())?;
    let mut authorizer = policy.compile();
    events.send((policy.revision(), authorizer.authorize(CREDENTIAL, ACTION)))?;

    while !stop.load(Ordering::Relaxed) {
        store.wait_for_change(policy.revision(), Duration::from_secs(1))?;
        if store.revision()? == policy.revision() {
            continue;
        }
        policy.reload(&LoadOptions::default())?;
        authorizer = policy.compile();
        // Requests are answered from `authorizer`, without touching the store.
        events.send((policy.revision(), authorizer.authorize(CREDENTIAL, ACTION)))?;
    }
    Ok(())
}
