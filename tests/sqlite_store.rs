//! The SQLite store through the public API: conformance, concurrent writers
//! on one file, a newer schema, corrupt rows and a file that is not a
//! database.

#![cfg(feature = "sqlite")]
#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use std::path::Path;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use api_roles::{
    Change, FileStore, Grants, LoadError, LoadOptions, MemoryStore, Policy, PolicyDocument,
    SqliteStore, Store, StoreError, check_store,
};
use rusqlite::Connection;

mod common;

use common::{catalog, conflict_then_retry, open, retry_on_conflict, seed};

/// A store at `path` holding one role, `Billing` (id 1), and one credential,
/// `app`, that holds it.
fn seeded(path: &Path) -> Arc<SqliteStore> {
    let store = Arc::new(SqliteStore::open(path).expect("opens"));
    seed(store.clone());
    store
}

fn sql(path: &Path, statement: &str) {
    Connection::open(path)
        .and_then(|connection| connection.execute_batch(statement))
        .expect("raw sql runs");
}

#[test]
fn in_memory_and_file_stores_pass_the_conformance_suite() {
    check_store(|| Arc::new(SqliteStore::open_in_memory().expect("in memory")))
        .expect("in-memory sqlite store conforms");

    let dir = tempfile::tempdir().expect("temp dir");
    let counter = Mutex::new(0);
    check_store(|| {
        let mut n = counter.lock().expect("not poisoned");
        *n += 1;
        Arc::new(SqliteStore::open(dir.path().join(format!("policy-{n}.db"))).expect("opens"))
    })
    .expect("file sqlite store conforms");
}

#[test]
fn the_same_edits_store_the_same_document_as_the_memory_and_file_stores() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stores: [Arc<dyn Store>; 3] = [
        Arc::new(MemoryStore::new()),
        Arc::new(FileStore::open(dir.path().join("policy.json")).expect("opens")),
        Arc::new(SqliteStore::open(dir.path().join("policy.db")).expect("opens")),
    ];
    let mut documents = Vec::new();
    for store in stores {
        let mut policy = open(store.clone());
        let reader = policy
            .create_role("Reader", Grants::new().action("GetClients"))
            .expect("valid");
        policy
            .create_role(
                "Billing",
                Grants::new().category("Billing").except("AddCredit"),
            )
            .expect("valid");
        drop(policy.create_credential("crm").expect("valid"));
        drop(policy.create_credential("old").expect("valid"));
        policy.assign_role("crm", reader).expect("exists");
        policy.describe_role(reader, Some("Looks")).expect("exists");
        drop(policy.delete_credential("old").expect("exists"));
        policy.set_global_networks(["10.0.0.0/8"]).expect("valid");
        let mut document = store.load().expect("loads");
        for credential in &mut document.credentials {
            credential.secret_sha256 = None;
        }
        documents.push(document.to_json());
    }
    assert_eq!(documents[0], documents[1], "file store");
    assert_eq!(documents[0], documents[2], "sqlite store");
}

#[test]
fn two_connections_editing_one_role_conflict_and_the_retry_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.db");
    seeded(&path);
    let first = open(Arc::new(SqliteStore::open(&path).expect("opens")));
    let second = open(Arc::new(SqliteStore::open(&path).expect("opens")));
    conflict_then_retry(first, second);
}

#[test]
fn concurrent_writers_on_one_file_lose_no_edit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.db");
    seeded(&path);
    let edits = 20;
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let path = path.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let mut policy = open(Arc::new(SqliteStore::open(&path).expect("opens")));
                let mut conflicts = 0;
                barrier.wait();
                for i in 0..edits {
                    conflicts += retry_on_conflict(&mut policy, name, |policy| {
                        policy.create_role(&format!("{name}{i}"), Grants::new())
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

    let document = SqliteStore::open(&path)
        .expect("opens")
        .load()
        .expect("loads");
    assert_eq!(document.roles.len(), 1 + 2 * edits, "every edit is stored");
    assert_eq!(document.revision, 3 + 2 * edits as u64);
    println!("{conflicts} conflicts retried");
}

#[test]
fn a_newer_schema_version_is_unsupported_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.db");
    let store = seeded(&path);
    sql(&path, "UPDATE api_roles_schema SET version = 2");

    let opened = SqliteStore::open(&path).map(drop);
    let Err(StoreError::Unsupported(message)) = opened else {
        panic!("a newer schema opened: {opened:?}");
    };
    assert!(message.contains("schema version 2"), "{message}");
    assert!(matches!(store.load(), Err(StoreError::Unsupported(_))));
    assert!(matches!(store.revision(), Err(StoreError::Unsupported(_))));
    let write = store.apply(3, &[Change::DeleteCredential { id: "app".into() }]);
    assert!(
        matches!(write, Err(StoreError::Unsupported(_))),
        "{write:?}"
    );

    sql(&path, "UPDATE api_roles_schema SET version = 1");
    assert_eq!(store.load().expect("readable again").credentials.len(), 1);
}

#[test]
fn corrupt_rows_are_reported_with_their_place_and_left_alone() {
    let cases = [
        (
            "UPDATE api_roles_roles SET record = '{\"id\": 1, \"name\": ' WHERE id = 1",
            "table api_roles_roles, id 1` is unreadable: invalid policy document at line 1",
        ),
        (
            "UPDATE api_roles_roles SET record = '{\"id\": 7, \"name\": \"Billing\"}' WHERE id = 1",
            "table api_roles_roles, id 1` is unreadable: invalid policy document at line 0 column 0: the record has id 7",
        ),
        (
            "UPDATE api_roles_credentials SET record = '{\"id\": \"app\", \"colour\": 1}'",
            "table api_roles_credentials, id `app`` is unreadable",
        ),
        (
            "UPDATE api_roles_roles SET record = x'00ff' WHERE id = 1",
            "table api_roles_roles, id 1` is unreadable",
        ),
        (
            "UPDATE api_roles_state SET settings = '[]'",
            "table api_roles_state, settings` is unreadable",
        ),
        (
            "DELETE FROM api_roles_state",
            "table api_roles_state` is unreadable: invalid policy document at line 0 column 0: the revision row is missing",
        ),
    ];
    for (statement, expected) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("policy.db");
        let store = seeded(&path);
        sql(&path, statement);

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
        let again = store.load().expect_err("still corrupt");
        assert_eq!(again, err, "{statement}: the row was changed");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.db");
    let content = "this is not a SQLite database, and it is long enough to have a header\n";
    std::fs::write(&path, content).expect("write");

    let opened = SqliteStore::open(&path).map(drop);
    assert!(matches!(opened, Err(StoreError::Io { .. })), "{opened:?}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), content);
}

#[test]
fn a_waiting_instance_sees_another_connections_commit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.db");
    let writer = seeded(&path);
    let watcher = SqliteStore::open(&path).expect("opens");
    let revision = watcher.revision().expect("reads");

    let started = Instant::now();
    watcher
        .wait_for_change(revision, Duration::from_millis(200))
        .expect("waits");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "no change yet"
    );

    let waiting = thread::spawn(move || {
        let started = Instant::now();
        watcher
            .wait_for_change(revision, Duration::from_secs(10))
            .expect("waits");
        (started.elapsed(), watcher.revision().expect("reads"))
    });
    thread::sleep(Duration::from_millis(100));
    let next = writer
        .apply(revision, &[Change::Replace(PolicyDocument::empty())])
        .expect("applies");
    let (waited, seen) = waiting.join().expect("watcher finishes");
    assert_eq!(seen, next);
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
}
