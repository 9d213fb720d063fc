//! [`MemoryStore`]: a store in the process's memory.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::{Change, Store};
use crate::document::PolicyDocument;
use crate::error::StoreError;

/// A store that keeps the policy in memory: for tests, and for hosts that
/// rebuild their policy at every start.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use api_roles::{ActionCatalog, LoadOptions, MemoryStore, Policy};
///
/// let store = Arc::new(MemoryStore::new());
/// let catalog = ActionCatalog::builder().build()?;
/// let (mut policy, _) = Policy::open(catalog, store.clone(), &LoadOptions::default())?;
/// let _secret = policy.create_credential("crm")?;
/// assert_eq!(store.load()?.credentials.len(), 1);
/// # use api_roles::Store;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct MemoryStore {
    document: Mutex<Option<PolicyDocument>>,
    /// Wakes [`Store::wait_for_change`] on every commit.
    changed: Condvar,
}

impl MemoryStore {
    /// Creates an empty store.
    ///
    /// # Example
    ///
    /// See [`MemoryStore`].
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<PolicyDocument>> {
        self.document
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let revision = self.lock().as_ref().map_or(0, |document| document.revision);
        f.debug_struct("MemoryStore")
            .field("revision", &revision)
            .finish_non_exhaustive()
    }
}

impl Store for MemoryStore {
    fn load(&self) -> Result<PolicyDocument, StoreError> {
        Ok(self.lock().clone().unwrap_or_else(PolicyDocument::empty))
    }

    fn revision(&self) -> Result<u64, StoreError> {
        Ok(self.lock().as_ref().map_or(0, |document| document.revision))
    }

    fn apply(&self, base: u64, changes: &[Change]) -> Result<u64, StoreError> {
        let mut guard = self.lock();
        let mut document = guard.clone().unwrap_or_else(PolicyDocument::empty);
        let revision = document.commit(base, changes)?;
        *guard = Some(document);
        self.changed.notify_all();
        Ok(revision)
    }

    /// Returns as soon as a commit moves the revision past `revision`.
    fn wait_for_change(&self, revision: u64, timeout: Duration) -> Result<(), StoreError> {
        let guard = self.lock();
        let _ = self
            .changed
            .wait_timeout_while(guard, timeout, |document| {
                document.as_ref().map_or(0, |d| d.revision) <= revision
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(())
    }
}
