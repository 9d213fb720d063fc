//! [`check_store`]: the conformance suite any [`Store`] can run.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Change, MemoryStore, Store};
use crate::catalog::ActionCatalog;
use crate::clock::ManualClock;
use crate::document::{LoadOptions, PolicyDocument};
use crate::error::StoreError;
use crate::policy::Policy;
use crate::role::Grants;

/// A step of [`check_store`] that a store got wrong.
///
/// # Example
///
/// See [`check_store`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store conformance: {step}: {message}")]
pub struct ConformanceFailure {
    step: &'static str,
    message: String,
}

impl ConformanceFailure {
    /// Returns the step that failed.
    ///
    /// # Example
    ///
    /// See [`check_store`].
    pub fn step(&self) -> &'static str {
        self.step
    }
}

fn fail(step: &'static str, message: impl Into<String>) -> ConformanceFailure {
    ConformanceFailure {
        step,
        message: message.into(),
    }
}

fn ensure(
    step: &'static str,
    ok: bool,
    message: impl FnOnce() -> String,
) -> Result<(), ConformanceFailure> {
    if ok {
        Ok(())
    } else {
        Err(fail(step, message()))
    }
}

fn store_err(step: &'static str) -> impl Fn(StoreError) -> ConformanceFailure {
    move |err| fail(step, err.to_string())
}

/// Runs the store contract against stores made by `new_store`, which must
/// return a new, empty store each time it is called.
///
/// It checks that an empty store loads as revision 0, that changes apply
/// atomically and bump the revision by one, that a change based on an old
/// revision is refused and changes nothing, and that a script of policy
/// edits and reloads leaves exactly the state it leaves in a
/// [`MemoryStore`].
///
/// # Errors
///
/// Returns the first step the store got wrong.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use api_roles::{MemoryStore, check_store};
///
/// check_store(|| Arc::new(MemoryStore::new()))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_store(new_store: impl Fn() -> Arc<dyn Store>) -> Result<(), ConformanceFailure> {
    check_revisions(new_store())?;
    // Secrets are random, so their hashes differ from run to run.
    let reference = without_hashes(run_script(Arc::new(MemoryStore::new()))?);
    let result = without_hashes(run_script(new_store())?);
    ensure("script", result == reference, || {
        format!(
            "the store ends in another state than a memory store:\n{result}\nexpected:\n{reference}"
        )
    })
}

/// Empty load, apply, revision and conflict rules.
fn check_revisions(store: Arc<dyn Store>) -> Result<(), ConformanceFailure> {
    let step = "empty store";
    let empty = store.load().map_err(store_err(step))?;
    ensure(step, empty == PolicyDocument::empty(), || {
        format!("loads as {empty:?}")
    })?;
    ensure(
        step,
        store.revision().map_err(store_err(step))? == 0,
        || "revision is not 0".into(),
    )?;

    let step = "apply";
    let mut settings = PolicyDocument::empty().settings;
    settings.next_role_id = 7;
    let revision = store
        .apply(0, &[Change::PutSettings(settings.clone())])
        .map_err(store_err(step))?;
    ensure(step, revision == 1, || {
        format!("first change gave revision {revision}, not 1")
    })?;
    let loaded = store.load().map_err(store_err(step))?;
    ensure(
        step,
        loaded.revision == 1 && loaded.settings == settings,
        || format!("loads as {loaded:?}"),
    )?;

    let step = "conflict";
    let stale = store.apply(0, &[Change::Replace(PolicyDocument::empty())]);
    ensure(
        step,
        matches!(
            stale,
            Err(StoreError::Conflict {
                expected: 0,
                found: 1
            })
        ),
        || format!("a change based on revision 0 at revision 1 gave {stale:?}"),
    )?;
    let after = store.load().map_err(store_err(step))?;
    ensure(step, after == loaded, || {
        "a refused change altered the store".into()
    })
}

/// Edits a policy on `store`, reopening it after each step, and returns the
/// final export. Any difference between the edited policy and the reopened
/// one is a failure.
fn run_script(store: Arc<dyn Store>) -> Result<PolicyDocument, ConformanceFailure> {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let catalog = Arc::new(
        ActionCatalog::builder()
            .actions("Billing", ["AddCredit", "CreateInvoice", "RefundPayment"])
            .actions("Client", ["GetClients", "AddClient"])
            .build()
            .map_err(|err| fail("catalog", err.to_string()))?,
    );
    let options = LoadOptions::default();
    let open = |step: &'static str| {
        Policy::open(Arc::clone(&catalog), Arc::clone(&store), &options)
            .map(|(policy, _)| policy.with_clock(Arc::new(ManualClock::new(start))))
            .map_err(|err| fail(step, err.to_string()))
    };
    let mut policy = open("open")?;

    type Edit = fn(&mut Policy, SystemTime) -> Result<(), crate::PolicyError>;
    let script: [(&'static str, Edit); 10] = [
        ("legacy credentials", |p, _| {
            for id in ["legacy-a", "legacy-b"] {
                drop(p.create_credential(id)?);
            }
            Ok(())
        }),
        ("legacy upgrade", |p, _| p.upgrade_legacy().map(drop)),
        ("create roles", |p, _| {
            p.create_role(
                "Billing",
                Grants::new().category("Billing").except("RefundPayment"),
            )?;
            p.create_role("Reader", Grants::new().action("GetClients"))?;
            Ok(())
        }),
        ("describe and rename", |p, _| {
            let reader = role(p, "Reader")?;
            p.describe_role(reader, Some("Looks, never touches"))?;
            p.rename_role(reader, "Read only")
        }),
        ("credentials and assignment", |p, at| {
            drop(p.create_credential("crm")?);
            p.assign_role("crm", role(p, "Read only")?)?;
            p.assign_role("crm", role(p, "Billing")?)?;
            p.set_allowed_networks("crm", ["10.0.0.0/8", "2001:db8::/32"])?;
            p.set_expiry("crm", Some(at + Duration::from_secs(86_400)))?;
            p.describe_credential("crm", Some("CRM sync"))
        }),
        ("rotation", |p, at| {
            p.rotate_secret("crm", at + Duration::from_secs(600))
                .map(drop)
        }),
        ("narrow a legacy credential", |p, _| {
            let legacy = p.credential("legacy-a").map(|c| c.roles()[0]);
            p.assign_role("legacy-a", role(p, "Read only")?)?;
            p.unassign_role(
                "legacy-a",
                legacy.ok_or(crate::PolicyError::UnknownCredential("legacy-a".into()))?,
            )?;
            p.disable_credential("legacy-b")
        }),
        ("delete a role held by a credential", |p, _| {
            p.delete_role(role(p, "Billing")?).map(drop)
        }),
        ("global networks", |p, _| {
            p.set_global_networks(["10.0.0.0/8", "fd00::/8"])
        }),
        ("delete a credential", |p, _| {
            p.delete_credential("legacy-b").map(drop)
        }),
    ];
    for (step, edit) in script {
        edit(&mut policy, start).map_err(|err| fail(step, err.to_string()))?;
        let reopened = open(step)?;
        let (edited, stored) = (policy.export_json(), reopened.export_json());
        ensure(step, edited == stored, || {
            format!("reopened as\n{stored}\nafter the edit gave\n{edited}")
        })?;
    }

    let step = "failed edit";
    let before = store.load().map_err(store_err(step))?;
    let refused = policy.create_role("Read only", Grants::new());
    ensure(step, refused.is_err(), || {
        "a duplicate role name was accepted".into()
    })?;
    ensure(
        step,
        store.load().map_err(store_err(step))? == before,
        || "a refused edit reached the store".into(),
    )?;

    let step = "stale writer";
    let mut other = open(step)?;
    policy
        .create_role("Newer", Grants::new())
        .map_err(|err| fail(step, err.to_string()))?;
    let stale = other.create_role("Lost", Grants::new());
    ensure(
        step,
        matches!(
            stale,
            Err(crate::PolicyError::Store(StoreError::Conflict { .. }))
        ),
        || format!("an edit based on an old revision gave {stale:?}"),
    )?;
    ensure(step, other.role_by_name("Lost").is_none(), || {
        "a refused edit changed the policy".into()
    })?;

    Ok(policy.to_document())
}

/// Replaces every secret hash with a marker, keeping where hashes are.
fn without_hashes(mut document: PolicyDocument) -> String {
    for credential in &mut document.credentials {
        if let Some(hash) = credential.secret_sha256.as_mut() {
            *hash = "hash".into();
        }
        if let Some(previous) = credential.previous_secret.as_mut() {
            previous.sha256 = "hash".into();
        }
    }
    document.to_json()
}

fn role(policy: &Policy, name: &str) -> Result<crate::RoleId, crate::PolicyError> {
    policy
        .role_by_name(name)
        .map(|role| role.id())
        .ok_or(crate::PolicyError::UnknownRole(crate::RoleId::new(0)))
}
