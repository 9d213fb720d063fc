//! The live authorizer through the public API: concurrent reads during
//! edits, immediate effect, reloads from another process, revisions, usage
//! and least privilege, and the observer.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use api_roles::{
    ActionCatalog, Decision, DecisionEvent, DecisionObserver, FileStore, Grants, LoadOptions,
    Policy, PolicyError, Proposal, RoleId, SharedAuthorizer, SharedOptions,
};

const ACTIONS: [&str; 8] = [
    "GetClients",
    "AddClient",
    "DeleteClient",
    "AddCredit",
    "CreateInvoice",
    "GetInvoices",
    "OpenTicket",
    "CloseTicket",
];
const CREDENTIALS: [&str; 6] = ["k0", "k1", "k2", "k3", "k4", "k5"];

fn catalog() -> ActionCatalog {
    ActionCatalog::builder()
        .actions("Client", ACTIONS[..3].iter().copied())
        .actions("Billing", ACTIONS[3..6].iter().copied())
        .actions("Support", ACTIONS[6..].iter().copied())
        .build()
        .expect("valid catalog")
}

/// Every (credential, action) decision of a snapshot, compiled from scratch.
type Table = Vec<Decision>;

fn table(policy: &Policy) -> Table {
    let authorizer = policy.compile();
    let mut out = Vec::new();
    for credential in CREDENTIALS.iter().chain(["ghost"].iter()) {
        for action in ACTIONS {
            out.push(authorizer.authorize(credential, action));
        }
    }
    out
}

/// A deterministic edit, number `i`, of the kinds operators make.
fn edit(policy: &mut Policy, i: usize, roles: &mut Vec<RoleId>) -> Result<(), PolicyError> {
    let credential = CREDENTIALS[i % CREDENTIALS.len()];
    let action = ACTIONS[(i * 7) % ACTIONS.len()];
    match i % 8 {
        0 => {
            let grants = match i % 3 {
                0 => Grants::new().category(["Client", "Billing", "Support"][i % 3]),
                1 => Grants::new().action(action),
                _ => Grants::all_actions().except(action),
            };
            roles.push(policy.create_role(&format!("Role {i}"), grants)?);
        }
        1 | 2 => {
            if let Some(&role) = roles.get(i % roles.len().max(1)) {
                let _ = policy.assign_role(credential, role);
            }
        }
        3 => {
            if let Some(&role) = roles.get((i / 3) % roles.len().max(1)) {
                policy.set_grants(role, Grants::new().action(action).category("Support"))?;
            }
        }
        4 => {
            let held = policy.credential(credential).map(|c| c.roles().to_vec());
            if let Some(&role) = held.as_deref().and_then(|r| r.first()) {
                policy.unassign_role(credential, role)?;
            }
        }
        5 => {
            if roles.len() > 3 {
                let role = roles.remove(i % roles.len());
                policy.delete_role(role)?;
            }
        }
        6 => {
            if i % 4 == 2 {
                policy.disable_credential(credential)?;
            } else {
                policy.enable_credential(credential)?;
            }
        }
        _ => {
            if policy.delete_credential(credential).is_err() || i.is_multiple_of(5) {
                let _secret = policy.create_credential(credential)?;
            }
        }
    }
    Ok(())
}

fn seeded_policy() -> Policy {
    let mut policy = Policy::new(catalog());
    for id in CREDENTIALS {
        let _secret = policy.create_credential(id).expect("valid");
    }
    policy
}

#[test]
fn readers_only_ever_see_whole_edits() {
    const EDITS: usize = 3000;
    let mut shadow = seeded_policy();
    let shared = Arc::new(SharedAuthorizer::new(shadow.clone()));
    let tables: Arc<RwLock<HashMap<u64, Table>>> = Arc::default();
    tables
        .write()
        .expect("lock")
        .insert(shared.revision(), table(&shadow));
    let done = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicU64::new(0));

    let readers: Vec<_> = (0..3)
        .map(|r| {
            let (shared, tables, done, checked) = (
                shared.clone(),
                tables.clone(),
                done.clone(),
                checked.clone(),
            );
            std::thread::spawn(move || {
                let mut n = r;
                while !done.load(Ordering::Relaxed) {
                    n += 1;
                    // A snapshot answers exactly as a full compile of its revision.
                    let snapshot = shared.snapshot();
                    let expected = loop {
                        if let Some(t) = tables.read().expect("lock").get(&snapshot.revision()) {
                            break t.clone();
                        }
                        std::thread::yield_now();
                    };
                    let c = n % (CREDENTIALS.len() + 1);
                    let credential = CREDENTIALS.get(c).copied().unwrap_or("ghost");
                    let a = (n / 7) % ACTIONS.len();
                    let got = snapshot.authorize(credential, ACTIONS[a]);
                    assert_eq!(
                        got,
                        expected[c * ACTIONS.len() + a],
                        "rev {}",
                        snapshot.revision()
                    );

                    // A check through the shared handle answers as a revision
                    // between the ones published before and after it.
                    let before = shared.revision();
                    let got = shared.authorize(credential, ACTIONS[a]);
                    let after = shared.revision();
                    while !tables.read().expect("lock").contains_key(&after) {
                        std::thread::yield_now();
                    }
                    let tables = tables.read().expect("lock");
                    let possible = (before..=after)
                        .filter_map(|rev| tables.get(&rev))
                        .any(|t| t[c * ACTIONS.len() + a] == got);
                    assert!(
                        possible,
                        "{credential} {} in {before}..={after}",
                        ACTIONS[a]
                    );
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let mut roles = Vec::new();
    let mut shared_roles = Vec::new();
    for i in 0..EDITS {
        // The table for the next revision exists before the edit is published.
        let mut next = shadow.clone();
        if edit(&mut next, i, &mut roles.clone()).is_err() {
            continue;
        }
        let next_table = table(&next);
        let outcome = shared.edit(|policy| edit(policy, i, &mut shared_roles));
        let revision = outcome.expect("the same edit succeeds").revision;
        edit(&mut shadow, i, &mut roles).expect("the same edit succeeds");
        tables.write().expect("lock").insert(revision, next_table);
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().expect("reader passed");
    }
    assert!(checked.load(Ordering::Relaxed) > 1000);

    // Once the writer stops, every decision is the final state's.
    let final_table = table(&shadow);
    let snapshot = shared.snapshot();
    for (c, credential) in CREDENTIALS.iter().chain(["ghost"].iter()).enumerate() {
        for (a, action) in ACTIONS.iter().enumerate() {
            assert_eq!(
                shared.authorize(credential, action),
                final_table[c * ACTIONS.len() + a]
            );
            assert_eq!(
                snapshot.authorize(credential, action),
                final_table[c * ACTIONS.len() + a]
            );
        }
    }
}

#[test]
fn the_next_check_on_any_thread_sees_a_delete_or_disable() {
    let shared = Arc::new(SharedAuthorizer::new(seeded_policy()));
    let role = shared
        .edit(|policy| {
            let role = policy.create_role("All", Grants::all_actions())?;
            policy.assign_role("k0", role)?;
            policy.assign_role("k1", role)?;
            Ok(role)
        })
        .expect("valid")
        .value;
    let other = |credential: &'static str| {
        let shared = shared.clone();
        std::thread::spawn(move || shared.is_allowed(credential, "GetClients"))
            .join()
            .expect("thread")
    };
    assert!(other("k0"));

    shared
        .edit(|policy| policy.delete_role(role).map(drop))
        .expect("deleted");
    assert!(!other("k0"));
    assert!(!shared.is_allowed("k1", "GetClients"));

    let again = shared
        .edit(|policy| {
            let role = policy.create_role("Again", Grants::all_actions())?;
            policy.assign_role("k1", role)
        })
        .expect("valid");
    assert!(other("k1"));
    shared
        .edit(|policy| policy.disable_credential("k1"))
        .expect("disabled");
    assert!(!other("k1"));
    assert!(shared.revision() > again.revision);
}

#[test]
fn a_failed_edit_publishes_nothing() {
    let shared = SharedAuthorizer::new(seeded_policy());
    let revision = shared.revision();
    let result = shared.edit(|policy| {
        let role = policy.create_role("All", Grants::all_actions())?;
        policy.assign_role("k0", role)?;
        policy.assign_role("no-such-credential", role)
    });
    assert!(result.is_err());
    assert_eq!(shared.revision(), revision);
    assert!(!shared.is_allowed("k0", "GetClients"));
    assert!(shared.with_policy(|policy| policy.role_by_name("All").is_none()));
}

#[test]
fn wait_for_revision_returns_when_reached_and_times_out_otherwise() {
    let shared = Arc::new(SharedAuthorizer::new(seeded_policy()));
    let target = shared.revision() + 1;
    let waiter = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.wait_for_revision(target, Duration::from_secs(10)))
    };
    std::thread::sleep(Duration::from_millis(20));
    shared
        .edit(|policy| policy.create_role("R", Grants::new()))
        .expect("valid");
    assert!(waiter.join().expect("waiter"));

    let start = Instant::now();
    assert!(!shared.wait_for_revision(target + 5, Duration::from_millis(50)));
    assert!(start.elapsed() >= Duration::from_millis(50));
}

const CHILD_ENV: &str = "API_ROLES_LIVE_TEST_FILE";

/// Runs in a child process: adds a role and a credential to the file store.
#[test]
#[ignore = "helper process for the watcher test"]
fn other_process_edits_the_store() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Arc::new(FileStore::open(&path).expect("opens"));
    let (mut policy, _) = Policy::open(catalog(), store, &LoadOptions::default()).expect("loads");
    let role = policy
        .create_role("From the other process", Grants::new().category("Billing"))
        .expect("stored");
    policy.assign_role("k0", role).expect("stored");
}

#[test]
fn the_watcher_picks_up_another_process_edit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.json");
    let store = Arc::new(FileStore::open(&path).expect("opens"));
    let (mut policy, _) = Policy::open(catalog(), store, &LoadOptions::default()).expect("loads");
    let _secret = policy.create_credential("k0").expect("stored");
    let shared = Arc::new(SharedAuthorizer::new(policy));
    let watcher = shared
        .watch(Duration::from_millis(20))
        .expect("has a store");
    assert!(!shared.is_allowed("k0", "AddCredit"));

    let status = Command::new(std::env::current_exe().expect("test binary"))
        .args(["other_process_edits_the_store", "--exact", "--ignored"])
        .env(CHILD_ENV, &path)
        .output()
        .expect("child runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    assert!(shared.wait_for_revision(3, Duration::from_secs(5)));
    assert!(shared.is_allowed("k0", "AddCredit"));
    assert!(watcher.take_error().is_none());
    drop(watcher);

    // On demand, without a watcher.
    let store = Arc::new(FileStore::open(&path).expect("opens"));
    let (mut elsewhere, _) =
        Policy::open(catalog(), store, &LoadOptions::default()).expect("loads");
    elsewhere.disable_credential("k0").expect("stored");
    assert!(shared.refresh().expect("reloads"));
    assert!(!shared.is_allowed("k0", "AddCredit"));
}

#[derive(Default)]
struct Audit {
    events: std::sync::Mutex<Vec<String>>,
}

impl DecisionObserver for Audit {
    fn observe(&self, event: &DecisionEvent<'_>) {
        self.events.lock().expect("lock").push(format!(
            "{} {} {} {:?} r{}",
            event.credential(),
            event.action(),
            event.decision(),
            event.granted_by(),
            event.revision()
        ));
    }
}

#[test]
fn the_observer_sees_each_decision_with_its_granting_role() {
    let shared = SharedAuthorizer::new(seeded_policy());
    let role = shared
        .edit(|policy| {
            let role = policy.create_role("Billing", Grants::new().category("Billing"))?;
            policy.assign_role("k0", role)?;
            Ok(role)
        })
        .expect("valid")
        .value;
    let audit = Arc::new(Audit::default());
    shared.set_observer(Some(audit.clone()));
    assert!(shared.is_allowed("k0", "AddCredit"));
    assert!(!shared.is_allowed("k0", "GetClients"));
    let _ = shared.authorize_batch([("ghost", "AddCredit")]);
    let events = audit.events.lock().expect("lock").clone();
    let revision = shared.revision();
    assert_eq!(
        events,
        [
            format!("k0 AddCredit allowed Some({role:?}) r{revision}"),
            format!("k0 GetClients denied: action not permitted None r{revision}"),
            format!("ghost AddCredit denied: unknown credential None r{revision}"),
        ]
    );

    shared.set_observer(None);
    assert!(shared.is_allowed("k0", "AddCredit"));
    assert_eq!(audit.events.lock().expect("lock").len(), 3);
}

#[test]
fn usage_narrows_a_legacy_credential_to_existing_or_new_roles() {
    let mut policy = seeded_policy();
    let reader = policy
        .create_role(
            "Reader",
            Grants::new().actions(["GetClients", "GetInvoices"]),
        )
        .expect("valid");
    let support = policy
        .create_role("Support", Grants::new().category("Support"))
        .expect("valid");
    let _report = policy.upgrade_legacy().expect("upgrades");
    let shared =
        SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));

    // k0 reads; k1 reads and handles tickets; k2 does something no role fits.
    for (credential, action) in [
        ("k0", "GetClients"),
        ("k0", "GetInvoices"),
        ("k0", "GetClients"),
        ("k1", "GetClients"),
        ("k1", "GetInvoices"),
        ("k1", "OpenTicket"),
        ("k1", "CloseTicket"),
        ("k2", "AddCredit"),
        ("k2", "GetClients"),
    ] {
        assert!(shared.is_allowed(credential, action));
    }
    let report = shared.least_privilege();
    let advice: HashMap<&str, &Proposal> = report
        .credentials()
        .iter()
        .map(|a| (a.credential().as_str(), a.proposal()))
        .collect();
    assert_eq!(advice["k0"], &Proposal::ExistingRoles(vec![reader]));
    assert_eq!(
        advice["k1"],
        &Proposal::ExistingRoles(vec![reader, support])
    );
    let Proposal::NewRole(grants) = advice["k2"] else {
        panic!("k2 needs a new role: {:?}", advice["k2"]);
    };
    let mut actions: Vec<&str> = grants.action_names().collect();
    actions.sort_unstable();
    assert_eq!(actions, ["AddCredit", "GetClients"]);
    assert_eq!(advice["k3"], &Proposal::NothingUsed);
    let k0 = &report.credentials()[0];
    assert_eq!(k0.unused().len(), ACTIONS.len() - 2);

    // Usage survives an edit and a catalog change, and can be cleared.
    shared
        .edit(|policy| policy.describe_credential("k0", Some("CRM")))
        .expect("valid");
    let grown = catalog()
        .to_builder()
        .action("Client", "MergeClients")
        .build()
        .expect("valid");
    shared
        .replace_catalog(grown, &LoadOptions::default())
        .expect("fits");
    assert_eq!(shared.least_privilege().credentials()[0].used().len(), 2);
    shared.clear_usage();
    assert_eq!(
        shared.least_privilege().credentials()[0].proposal(),
        &Proposal::NothingUsed
    );
}
