//! The PostgreSQL store against a real server: conformance, concurrent
//! writers, change notifications and polling between two instances, a
//! connection dropped mid-change, a newer schema and corrupt rows.
//!
//! The server comes from `API_ROLES_POSTGRES_URL`, such as
//! `postgresql://postgres@127.0.0.1:55432/api_roles_test` (`.ci/run` starts
//! one). Without it, each test that needs a server says so on standard error
//! and returns: it was not run. Each test works in a schema of its own, which
//! it drops at the end.

#![cfg(feature = "postgres")]
#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use api_roles::{
    Change, Grants, LoadError, LoadOptions, Policy, PostgresStore, RoleRecord, Store, StoreError,
    check_store,
};
use postgres::{Client, NoTls};

mod common;

use common::{catalog, conflict_then_retry, open, retry_on_conflict, seed};

const URL_VAR: &str = "API_ROLES_POSTGRES_URL";

/// The server's connection string, or `None` after saying that the test is
/// not run.
fn server(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Written past the test harness's capture, so that it shows.
            let _ = writeln!(
                std::io::stderr(),
                "{test}: skipped: {URL_VAR} is not set (not run)"
            );
            None
        }
    }
}

/// A schema of the test's own, dropped at the end.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(url: &str, tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let schema = Self {
            url: url.to_owned(),
            name: format!("t{}_{n}_{tag}", std::process::id()),
        };
        schema.sql(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            schema.name
        ));
        schema
    }

    fn store(&self) -> PostgresStore {
        PostgresStore::connect_in_schema(&self.url, &self.name).expect("connects")
    }

    fn table(&self, table: &str) -> String {
        format!("\"{}\".{table}", self.name)
    }

    fn sql(&self, statements: &str) {
        Client::connect(&self.url, NoTls)
            .and_then(|mut client| client.batch_execute(statements))
            .expect("raw sql runs");
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = Client::connect(&self.url, NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn role_record(json: &str) -> RoleRecord {
    serde_json::from_str(json).expect("valid role record")
}

#[test]
fn an_unreachable_server_is_unavailable_at_connect() {
    let started = Instant::now();
    let result =
        PostgresStore::connect("host=127.0.0.1 port=1 user=nobody dbname=none connect_timeout=5");
    let Err(StoreError::Unavailable(message)) = result.map(drop) else {
        panic!("connected to a closed port");
    };
    assert!(
        message.starts_with("cannot connect to `postgresql://127.0.0.1:1/none`"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    let bad = PostgresStore::connect_in_schema("host=127.0.0.1", "Robert'); DROP").map(drop);
    assert!(
        matches!(&bad, Err(StoreError::Unavailable(m)) if m.starts_with("invalid schema name")),
        "{bad:?}"
    );
}

#[test]
fn the_store_passes_the_conformance_suite() {
    let Some(url) = server("the_store_passes_the_conformance_suite") else {
        return;
    };
    let schemas = Mutex::new(Vec::new());
    check_store(|| {
        let schema = Schema::new(&url, "conformance");
        let store = schema.store();
        schemas.lock().expect("not poisoned").push(schema);
        Arc::new(store)
    })
    .expect("postgres store conforms");
}

#[test]
fn two_instances_editing_one_role_conflict_and_the_retry_wins() {
    let Some(url) = server("two_instances_editing_one_role_conflict_and_the_retry_wins") else {
        return;
    };
    let schema = Schema::new(&url, "conflict");
    seed(Arc::new(schema.store()));
    let first = open(Arc::new(schema.store()));
    let second = open(Arc::new(schema.store()));
    conflict_then_retry(first, second);
}

#[test]
fn concurrent_writers_lose_no_edit() {
    let Some(url) = server("concurrent_writers_lose_no_edit") else {
        return;
    };
    let schema = Schema::new(&url, "writers");
    seed(Arc::new(schema.store()));
    let edits = 15;
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let mut policy = open(Arc::new(schema.store()));
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let role = policy.role_by_name("Billing").expect("seeded").id();
                let mut conflicts = 0;
                barrier.wait();
                for i in 0..edits {
                    // Both writers edit the same role, and each adds its own.
                    conflicts += retry_on_conflict(&mut policy, name, |policy| {
                        policy
                            .describe_role(role, Some(&format!("{name}{i}")))
                            .and_then(|()| policy.create_role(&format!("{name}{i}"), Grants::new()))
                    });
                }
                conflicts
            })
        })
        .collect();
    let conflicts: usize = writers
        .into_iter()
        .map(|writer| writer.join().expect("writer finishes"))
        .sum();

    let document = schema.store().load().expect("loads");
    assert_eq!(document.roles.len(), 1 + 2 * edits, "every edit is stored");
    assert!(
        document.revision >= 3 + 4 * edits as u64,
        "{}",
        document.revision
    );
    println!("{conflicts} conflicts retried");
}

/// Starts a second instance that waits for `app` to be allowed
/// `GetClients`, as a host's watcher would, and returns when it was.
fn watch(store: PostgresStore, timeout: Duration) -> thread::JoinHandle<Option<Instant>> {
    let store = Arc::new(store);
    let mut policy = open(store.clone());
    assert!(!policy.compile().is_allowed("app", "GetClients"));
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            store
                .wait_for_change(policy.revision(), timeout)
                .expect("waits");
            if store.revision().expect("reads") != policy.revision() {
                policy.reload(&LoadOptions::default()).expect("reloads");
                if policy.compile().is_allowed("app", "GetClients") {
                    return Some(Instant::now());
                }
            }
        }
        None
    })
}

/// Seeds a store, starts a watcher on `watcher`, and returns how long the
/// watcher took to enforce an edit made on the first instance.
fn edit_reaches_second_instance(
    schema: &Schema,
    watcher: PostgresStore,
    timeout: Duration,
) -> Duration {
    let mut first = seed(Arc::new(schema.store()));
    let waiting = watch(watcher, timeout);
    thread::sleep(Duration::from_millis(300));

    let started = Instant::now();
    let role = first.role_by_name("Billing").expect("seeded").id();
    first
        .set_grants(role, Grants::new().category("Billing").action("GetClients"))
        .expect("edit applies");
    let seen = waiting
        .join()
        .expect("watcher finishes")
        .expect("the edit reached the second instance");
    seen.saturating_duration_since(started)
}

#[test]
fn an_edit_reaches_a_second_instance_by_notification() {
    let Some(url) = server("an_edit_reaches_a_second_instance_by_notification") else {
        return;
    };
    let schema = Schema::new(&url, "notify");
    let watcher = schema.store();
    // A 30-second wait that returns within 2 seconds was woken by the notification.
    let took = edit_reaches_second_instance(&schema, watcher, Duration::from_secs(30));
    println!("enforced by the second instance after {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn an_edit_reaches_a_second_instance_by_polling_without_notifications() {
    let Some(url) = server("an_edit_reaches_a_second_instance_by_polling_without_notifications")
    else {
        return;
    };
    let schema = Schema::new(&url, "poll");
    let watcher = schema.store().without_notifications();
    let started = Instant::now();
    watcher
        .wait_for_change(0, Duration::from_millis(300))
        .expect("waits");
    assert!(started.elapsed() >= Duration::from_millis(300), "it sleeps");

    let took = edit_reaches_second_instance(&schema, watcher, Duration::from_millis(500));
    println!("enforced by the second instance after {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_connection_dropped_mid_change_leaves_nothing_and_the_store_recovers() {
    let Some(url) = server("a_connection_dropped_mid_change_leaves_nothing_and_the_store_recovers")
    else {
        return;
    };
    let schema = Schema::new(&url, "dropped");
    let store = Arc::new(schema.store());
    let mut policy = open(store.clone());
    policy.create_role("One", Grants::new()).expect("valid");
    policy.create_role("Two", Grants::new()).expect("valid");
    let before = store.load().expect("loads");
    let authorizer = policy.compile();

    // Another session holds role 2, so the change stops after writing role 1.
    let mut holder = Client::connect(&url, NoTls).expect("connects");
    let mut hold = holder.transaction().expect("begins");
    hold.execute(
        &format!(
            "SELECT id FROM {} WHERE id = 2 FOR UPDATE",
            schema.table("api_roles_roles")
        ),
        &[],
    )
    .expect("locks role 2");
    let changes = [
        Change::PutRole(role_record(r#"{"id": 1, "name": "One changed"}"#)),
        Change::PutRole(role_record(r#"{"id": 2, "name": "Two changed"}"#)),
    ];
    let victim = {
        let store = Arc::clone(&store);
        let changes = changes.clone();
        thread::spawn(move || store.apply(2, &changes))
    };

    // Terminate the writer's backend while it waits, mid-change.
    let mut killer = Client::connect(&url, NoTls).expect("connects");
    let pattern = format!("%{}%", schema.table("api_roles_roles"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut terminated = false;
    while !terminated && Instant::now() < deadline {
        let rows = killer
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE $1",
                &[&pattern],
            )
            .expect("queries");
        terminated = !rows.is_empty();
        thread::sleep(Duration::from_millis(20));
    }
    assert!(terminated, "the writer never waited on role 2");
    let result = victim.join().expect("writer finishes");
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    hold.rollback().expect("rolls back");

    // Nothing half-applied: role 1 was written before the drop, and is not there.
    assert_eq!(schema.store().load().expect("loads"), before);
    assert!(
        authorizer.catalog().handle("GetClients").is_some(),
        "the snapshot still serves"
    );

    // The same store connects again on the next call.
    assert_eq!(store.revision().expect("reconnects"), 2);
    assert_eq!(store.apply(2, &changes).expect("applies"), 3);
    policy.reload(&LoadOptions::default()).expect("reloads");
    assert!(policy.role_by_name("One changed").is_some());
    policy
        .create_role("Three", Grants::new())
        .expect("edits work again");
}

#[test]
fn a_newer_schema_version_is_unsupported() {
    let Some(url) = server("a_newer_schema_version_is_unsupported") else {
        return;
    };
    let schema = Schema::new(&url, "newer");
    let store = schema.store();
    seed(Arc::new(schema.store()));
    schema.sql(&format!(
        "UPDATE {} SET version = 2",
        schema.table("api_roles_schema")
    ));

    let opened = PostgresStore::connect_in_schema(&url, &schema.name).map(drop);
    let Err(StoreError::Unsupported(message)) = opened else {
        panic!("a newer schema opened: {opened:?}");
    };
    assert!(message.contains("schema version 2"), "{message}");
    assert!(matches!(store.load(), Err(StoreError::Unsupported(_))));
    let write = store.apply(3, &[Change::DeleteCredential { id: "app".into() }]);
    assert!(
        matches!(write, Err(StoreError::Unsupported(_))),
        "{write:?}"
    );

    schema.sql(&format!(
        "UPDATE {} SET version = 1",
        schema.table("api_roles_schema")
    ));
    assert_eq!(store.load().expect("readable again").credentials.len(), 1);
}

#[test]
fn corrupt_rows_are_reported_with_their_place_and_left_alone() {
    let Some(url) = server("corrupt_rows_are_reported_with_their_place_and_left_alone") else {
        return;
    };
    let cases = [
        (
            "UPDATE {roles} SET record = '{\"id\": 1, \"name\": ' WHERE id = 1",
            "table api_roles_roles, id 1` is unreadable: invalid policy document at line 1",
        ),
        (
            "UPDATE {roles} SET record = '{\"id\": 7, \"name\": \"Billing\"}' WHERE id = 1",
            "table api_roles_roles, id 1` is unreadable: invalid policy document at line 0 column 0: the record has id 7",
        ),
        (
            "UPDATE {credentials} SET record = '{\"id\": \"app\", \"colour\": 1}'",
            "table api_roles_credentials, id `app`` is unreadable",
        ),
    ];
    for (statement, expected) in cases {
        let schema = Schema::new(&url, "corrupt");
        let store = Arc::new(schema.store());
        seed(store.clone());
        schema.sql(
            &statement
                .replace("{roles}", &schema.table("api_roles_roles"))
                .replace("{credentials}", &schema.table("api_roles_credentials")),
        );

        let err = store.load().expect_err(statement);
        assert!(
            matches!(err, StoreError::Corrupt { .. }),
            "{statement}: {err:?}"
        );
        assert!(err.to_string().contains(expected), "{statement}: {err}");
        let opened = Policy::open(catalog(), store.clone(), &LoadOptions::default());
        assert!(
            matches!(opened, Err(LoadError::Store(StoreError::Corrupt { .. }))),
            "{statement}: {:?}",
            opened.map(drop)
        );
        assert_eq!(store.load().expect_err("still corrupt"), err, "{statement}");
    }
}
