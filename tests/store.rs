//! Storage through the public API: the shipped stores, bad stored data,
//! write-through, documents across catalogs, and crash safety.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_roles::{
    AccessDiff, ActionCatalog, Change, DocumentError, FileStore, Grants, LoadError, LoadOptions,
    MemoryStore, NameMatching, Policy, PolicyDocument, PolicyError, Store, StoreError, check_store,
};

const WHMCS: &str = include_str!("../data/whmcs_api_actions.json");

fn whmcs() -> ActionCatalog {
    ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .json(WHMCS)
        .and_then(|builder| builder.build())
        .expect("the shipped catalog loads")
}

fn small_catalog() -> ActionCatalog {
    ActionCatalog::builder()
        .actions("Billing", ["AddCredit", "CreateInvoice"])
        .actions("Client", ["GetClients"])
        .build()
        .expect("valid catalog")
}

fn open(catalog: &ActionCatalog, store: Arc<dyn Store>) -> Policy {
    let (policy, report) =
        Policy::open(catalog.clone(), store, &LoadOptions::default()).expect("store opens");
    assert!(report.warnings().is_empty());
    policy
}

#[test]
fn both_shipped_stores_pass_the_conformance_suite() {
    check_store(|| Arc::new(MemoryStore::new())).expect("memory store conforms");
    let dir = tempfile::tempdir().expect("temp dir");
    let counter = Mutex::new(0);
    check_store(|| {
        let mut n = counter.lock().expect("not poisoned");
        *n += 1;
        let path = dir.path().join(format!("policy-{n}.json"));
        Arc::new(FileStore::open(path).expect("new file store"))
    })
    .expect("file store conforms");
}

/// A policy document with one role and one credential, as JSON.
fn good_document() -> String {
    let mut policy = Policy::new(small_catalog());
    let role = policy
        .create_role("Billing", Grants::new().category("Billing"))
        .expect("valid");
    let _secret = policy.create_credential("app").expect("valid");
    policy.assign_role("app", role).expect("exists");
    policy.export_json()
}

#[test]
fn bad_stored_files_are_refused_with_their_place_and_left_alone() {
    let good = good_document();
    let with = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_owned(),
            "invalid policy document at line",
        ),
        ("empty", String::new(), "the policy document is empty"),
        (
            "newer version",
            with("\"format_version\": 1", "\"format_version\": 2"),
            "unsupported policy document format version `2`",
        ),
        (
            "unknown field",
            with(
                "\"enabled\": true",
                "\"enabled\": true, \"colour\": \"red\"",
            ),
            "unknown field `colour`",
        ),
        (
            "missing role",
            with(
                "\"roles\": [\n        \"Billing\"",
                "\"roles\": [\n        \"Biling\"",
            ),
            "credentials[0].roles[0]: unknown role `Biling`",
        ),
        (
            "unknown action",
            with(
                "\"categories\": [",
                "\"actions\": [\"GetClient\"], \"categories\": [",
            ),
            "roles[0].grants.actions[0]: unknown action `GetClient` in role `Billing`: not in the catalog",
        ),
        (
            "unknown category",
            with(
                "\"Billing\"\n        ]",
                "\"Billing\", \"Domains\"\n        ]",
            ),
            "roles[0].grants.categories[1]: unknown category `Domains` in role `Billing`",
        ),
    ];

    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content, expected) in cases {
        let path = dir.path().join(format!("{}.json", name.replace(' ', "-")));
        fs::write(&path, &content).expect("write");
        let result = FileStore::open(&path)
            .map_err(LoadError::from)
            .and_then(|store| {
                Policy::open(small_catalog(), Arc::new(store), &LoadOptions::default())
            });
        let err = result.err().unwrap_or_else(|| panic!("{name}: accepted"));
        let message = err.to_string();
        assert!(message.contains(expected), "{name}: {message}");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            content,
            "{name}: file changed"
        );
    }
}

#[test]
fn duplicate_role_names_name_both_places() {
    let json = r#"{"format_version": 1, "revision": 3, "settings": {"next_role_id": 3},
      "roles": [{"id": 1, "name": "Billing"}, {"id": 2, "name": "billing"}]}"#;
    let document = PolicyDocument::from_json(json).expect("well-formed");
    let catalog = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .build()
        .expect("valid");
    let err = Policy::from_document(catalog, &document, &LoadOptions::default())
        .expect_err("duplicate under the case rule");
    assert_eq!(
        err.to_string(),
        "invalid policy document: roles[1].name: duplicate role name `billing`: role #1 has it \
         already"
    );
}

#[test]
fn a_hundred_megabyte_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.json");
    let file = fs::File::create(&path).expect("create");
    file.set_len(100 << 20).expect("sparse file");
    let err = FileStore::open(&path).expect_err("too large");
    assert!(matches!(
        err,
        StoreError::Corrupt { source: DocumentError::TooLarge { len, .. }, .. } if len == 100 << 20
    ));
    let huge = " ".repeat(100 << 20);
    assert!(matches!(
        PolicyDocument::from_json(&huge),
        Err(DocumentError::TooLarge { .. })
    ));
}

#[test]
fn a_file_corrupted_after_open_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.json");
    let store = Arc::new(FileStore::open(&path).expect("new store"));
    let mut policy = open(&small_catalog(), store);
    policy.create_role("First", Grants::new()).expect("stored");

    fs::write(&path, "{\"format_version\": 1, \"rev").expect("corrupt it");
    let before = format!("{policy:?}");
    let err = policy
        .create_role("Second", Grants::new())
        .expect_err("store unreadable");
    assert!(
        matches!(err, PolicyError::Store(StoreError::Corrupt { .. })),
        "{err}"
    );
    assert_eq!(format!("{policy:?}"), before);
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        "{\"format_version\": 1, \"rev"
    );
}

/// A store that can be told to fail every write.
#[derive(Debug, Default)]
struct FlakyStore {
    inner: MemoryStore,
    failing: AtomicBool,
}

impl Store for FlakyStore {
    fn load(&self) -> Result<PolicyDocument, StoreError> {
        self.inner.load()
    }

    fn revision(&self) -> Result<u64, StoreError> {
        self.inner.revision()
    }

    fn apply(&self, base: u64, changes: &[Change]) -> Result<u64, StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("connection reset".into()));
        }
        self.inner.apply(base, changes)
    }
}

#[test]
fn a_failing_store_leaves_policy_and_store_unchanged() {
    let store = Arc::new(FlakyStore::default());
    let mut policy = open(&small_catalog(), store.clone());
    let role = policy
        .create_role("Billing", Grants::new().category("Billing"))
        .expect("stored");
    let _secret = policy.create_credential("app").expect("stored");
    policy.assign_role("app", role).expect("stored");
    let policy_before = format!("{policy:?}");
    let store_before = store.load().expect("loads");

    store.failing.store(true, Ordering::SeqCst);
    let attempts: Vec<Result<(), PolicyError>> = vec![
        policy.create_role("New", Grants::new()).map(drop),
        policy.rename_role(role, "Renamed"),
        policy.delete_role(role).map(drop),
        policy.create_credential("other").map(drop),
        policy.unassign_role("app", role),
        policy
            .rotate_secret(
                "app",
                std::time::SystemTime::now() + Duration::from_secs(60),
            )
            .map(drop),
        policy.set_global_networks(["10.0.0.0/8"]),
        policy.upgrade_legacy().map(drop),
    ];
    for attempt in attempts {
        assert_eq!(
            attempt,
            Err(PolicyError::Store(StoreError::Unavailable(
                "connection reset".into()
            )))
        );
    }
    assert_eq!(format!("{policy:?}"), policy_before);
    assert_eq!(store.load().expect("loads"), store_before);
    assert!(policy.compile().is_allowed("app", "AddCredit"));

    store.failing.store(false, Ordering::SeqCst);
    policy.rename_role(role, "Renamed").expect("stored now");
}

#[test]
fn the_legacy_upgrade_is_one_atomic_write() {
    let legacy = r#"{"format_version": 1, "revision": 41, "settings": {"next_role_id": 1},
      "credentials": [
        {"id": "old-crm", "enabled": true, "secret_sha256": "0000000000000000000000000000000000000000000000000000000000000000"},
        {"id": "old-mobile", "enabled": false}
      ]}"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("legacy.json");
    fs::write(&path, legacy).expect("write");
    let store = Arc::new(FileStore::open(&path).expect("opens"));
    let mut policy = open(&whmcs(), store.clone());

    let report = policy.upgrade_legacy().expect("upgrades");
    assert_eq!(report.credentials().len(), 2);
    assert_eq!(store.revision().expect("readable"), 42);

    let reopened = open(&whmcs(), Arc::new(FileStore::open(&path).expect("opens")));
    assert!(reopened.legacy_upgraded());
    assert!(reopened.compile().is_allowed("old-crm", "DecryptPassword"));
    assert_eq!(reopened.export_json(), policy.export_json());
}

/// The WHMCS catalog with categories and actions in reverse order.
fn reversed_whmcs() -> ActionCatalog {
    let original = whmcs();
    let mut builder = ActionCatalog::builder().name_matching(NameMatching::AsciiCaseInsensitive);
    let categories: Vec<_> = original.categories().collect();
    for category in categories.iter().rev() {
        let mut actions: Vec<String> = category.actions().map(|(_, n)| n.to_string()).collect();
        actions.reverse();
        builder = builder.actions(category.name().as_str(), actions);
    }
    builder.build().expect("valid")
}

#[test]
fn export_import_into_a_reordered_catalog_keeps_bytes_and_decisions() {
    let mut policy = Policy::new(whmcs());
    let clerk = policy
        .create_role(
            "Billing clerk",
            Grants::new()
                .category("Billing")
                .action("GetClients")
                .except("AddCredit"),
        )
        .expect("valid");
    let admin = policy
        .create_role("Admin", Grants::all_actions())
        .expect("valid");
    let _secret = policy.create_credential("clerk").expect("valid");
    let _secret = policy.create_credential("admin").expect("valid");
    let _secret = policy.create_credential("nobody").expect("valid");
    policy.assign_role("clerk", clerk).expect("exists");
    policy.assign_role("admin", admin).expect("exists");
    policy
        .set_allowed_networks("admin", ["10.0.0.0/8"])
        .expect("valid");
    policy.disable_credential("nobody").expect("exists");

    let json = policy.export_json();
    let reversed = reversed_whmcs();
    assert_ne!(
        reversed.action_id("AddCredit"),
        whmcs().action_id("AddCredit")
    );
    let (imported, _) =
        Policy::from_json(reversed, &json, &LoadOptions::default()).expect("imports");
    assert_eq!(imported.export_json(), json);

    let (before, after) = (policy.compile(), imported.compile());
    for credential in ["clerk", "admin", "nobody", "ghost"] {
        for (_, action) in before.catalog().actions() {
            assert_eq!(
                before.authorize(credential, action.as_str()),
                after.authorize(credential, action.as_str()),
                "{credential} {action}"
            );
        }
    }
    assert!(AccessDiff::between(&before, &after).is_empty());
}

#[test]
fn a_newer_catalog_without_an_action_is_refused_or_dropped_with_a_warning() {
    let old = small_catalog();
    let mut policy = Policy::new(old.clone());
    let role = policy
        .create_role(
            "Billing",
            Grants::new().action("AddCredit").action("CreateInvoice"),
        )
        .expect("valid");
    let _secret = policy.create_credential("app").expect("valid");
    policy.assign_role("app", role).expect("exists");
    let json = policy.export_json();

    let newer = ActionCatalog::builder()
        .actions("Billing", ["CreateInvoice", "CapturePayment"])
        .actions("Client", ["GetClients"])
        .build()
        .expect("valid");
    let err = Policy::from_json(newer.clone(), &json, &LoadOptions::default())
        .expect_err("strict by default");
    assert!(
        err.to_string().contains(
            "roles[0].grants.actions[0]: unknown action `AddCredit` in role `Billing`: not in the \
             catalog"
        ),
        "{err}"
    );

    let (lenient, report) =
        Policy::from_json(newer, &json, &LoadOptions::lenient()).expect("lenient");
    assert_eq!(report.warnings().len(), 1);
    assert!(report.warnings()[0].message().ends_with("grant dropped"));
    let diff = AccessDiff::between(&policy.compile(), &lenient.compile());
    assert_eq!(diff.to_string(), "app: -AddCredit\n");
}

#[test]
fn a_stale_handle_gets_a_conflict_and_succeeds_after_reload() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shared.json");
    let catalog = small_catalog();
    let mut first = open(&catalog, Arc::new(FileStore::open(&path).expect("opens")));
    let mut second = open(&catalog, Arc::new(FileStore::open(&path).expect("opens")));

    first
        .create_role("From first", Grants::new())
        .expect("stored");
    let err = second
        .create_role("From second", Grants::new())
        .expect_err("second is behind");
    assert_eq!(
        err,
        PolicyError::Store(StoreError::Conflict {
            expected: 0,
            found: 1
        })
    );
    second.reload(&LoadOptions::default()).expect("reloads");
    second
        .create_role("From second", Grants::new())
        .expect("stored");
    first.reload(&LoadOptions::default()).expect("reloads");
    assert!(first.role_by_name("From second").is_some());
    assert_eq!(first.revision(), 2);
}

#[test]
fn concurrent_writers_on_one_file_lose_no_edit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("busy.json");
    let catalog = small_catalog();
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (path, catalog) = (path.clone(), catalog.clone());
            std::thread::spawn(move || {
                let store = Arc::new(FileStore::open(&path).expect("opens"));
                let mut policy = open(&catalog, store);
                for i in 0..15 {
                    let name = format!("W{w} R{i}");
                    while let Err(err) = policy.create_role(&name, Grants::new()) {
                        assert!(matches!(
                            err,
                            PolicyError::Store(StoreError::Conflict { .. })
                        ));
                        policy.reload(&LoadOptions::default()).expect("reloads");
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer finished");
    }
    let store = FileStore::open(&path).expect("opens");
    let document = store.load().expect("loads");
    assert_eq!(document.roles.len(), 45);
    assert_eq!(document.revision, 45);
}

const CHILD_ENV: &str = "API_ROLES_CRASH_TEST_FILE";
const CREDENTIALS: usize = 300;

/// Runs in a child process started by the crash test: edits the file store
/// in a loop until it is killed. Ignored in normal runs.
#[test]
#[ignore = "helper process for saves_survive_sigkill"]
fn crash_test_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Arc::new(FileStore::open(&path).expect("opens"));
    let mut policy = open(&small_catalog(), store);
    loop {
        let next = policy.roles().count() + 1;
        policy
            .create_role(&format!("R{next}"), Grants::new().action("GetClients"))
            .expect("stored");
    }
}

/// The revision in `path`, or 0 while it cannot be read.
fn revision_of(path: &Path) -> u64 {
    FileStore::open(path)
        .and_then(|store| store.revision())
        .unwrap_or(0)
}

/// Checks that `path` holds a complete state: every credential, and exactly
/// one role per revision since `base`, named in order.
fn assert_complete(path: &Path, base: u64) -> u64 {
    let document = FileStore::open(path)
        .and_then(|store| store.load())
        .expect("the file loads after a kill");
    assert_eq!(document.credentials.len(), CREDENTIALS);
    let roles = document.revision - base;
    assert_eq!(document.roles.len() as u64, roles);
    for (i, role) in document.roles.iter().enumerate() {
        assert_eq!(role.name, format!("R{}", i + 1));
    }
    Policy::from_document(small_catalog(), &document, &LoadOptions::default())
        .expect("the document is valid");
    document.revision
}

#[test]
fn saves_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join("crash.json");
    // Many credentials make every save large, so kills land mid-write.
    let mut policy = Policy::new(small_catalog());
    for i in 0..CREDENTIALS {
        let id = format!("integration-{i:04}");
        let _secret = policy.create_credential(&id).expect("valid");
        policy
            .set_allowed_networks(&id, ["10.0.0.0/8", "2001:db8::/32"])
            .expect("valid");
    }
    let store = FileStore::open(&path).expect("opens");
    let base = store
        .apply(0, &[Change::Replace(policy.to_document())])
        .expect("setup stored");

    let exe = std::env::current_exe().expect("test binary");
    let mut last = base;
    let mut progressed = 0;
    for round in 0..200u64 {
        let mut child = Command::new(&exe)
            .args([
                "crash_test_writer",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        // Kill only once the child is saving, at a varying point of its loop.
        let started = std::time::Instant::now();
        while revision_of(&path) <= last && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros((round * 7919) % 20_000));
        child.kill().expect("SIGKILL");
        child.wait().expect("child reaped");

        let revision = assert_complete(&path, base);
        assert!(revision >= last, "the revision went back");
        progressed += u64::from(revision > last);
        last = revision;
    }
    assert!(
        progressed > 150,
        "the child wrote in only {progressed} of 200 rounds"
    );
}
