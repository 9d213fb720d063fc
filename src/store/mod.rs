//! Storage: the [`Store`] trait, the [`Change`]s a policy writes, and the
//! shipped stores.

mod conformance;
mod file;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use conformance::{ConformanceFailure, check_store};
pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::document::{CredentialRecord, PolicyDocument, RoleRecord, SettingsRecord};
use crate::error::StoreError;

/// Where a [`Policy`](crate::Policy) keeps its roles and credentials.
///
/// Implement it over a host's own database, and run [`check_store`] against
/// it in a test.
///
/// # Contract
///
/// A store keeps one [`PolicyDocument`] and a revision number.
///
/// - **Load** returns the whole document as last committed, with its
///   revision; an empty store returns [`PolicyDocument::empty`] (revision 0).
/// - **Apply** takes the revision the changes were based on and a list of
///   [`Change`]s. If the stored revision is not that revision, it must refuse
///   with [`StoreError::Conflict`] and change nothing. Otherwise it must apply
///   every change or none (atomically, as seen by every reader, including
///   after a crash), store the revision `base + 1`, and return it.
/// - **Revisions** grow by one with every committed change and never go
///   back, so a process can tell that it is behind by comparing numbers.
/// - An implementation must never return a partly applied document, never
///   replace unreadable data with an empty document, never lower the
///   revision, and never keep or log a secret: documents hold only hashes.
///
/// Stores are read when a policy opens or reloads and written on edits,
/// never on the authorize path.
///
/// # Example
///
/// ```
/// use api_roles::{Change, MemoryStore, PolicyDocument, Store};
///
/// let store = MemoryStore::new();
/// assert_eq!(store.revision()?, 0);
/// let mut document = PolicyDocument::empty();
/// document.settings.next_role_id = 5;
/// assert_eq!(store.apply(0, &[Change::Replace(document)])?, 1);
/// assert_eq!(store.load()?.settings.next_role_id, 5);
/// assert!(store.apply(0, &[]).is_err(), "based on an old revision");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Store: Send + Sync + fmt::Debug {
    /// Returns the stored document and its revision.
    ///
    /// # Errors
    ///
    /// Returns a [`StoreError`] when the store cannot be read or holds
    /// something unreadable.
    fn load(&self) -> Result<PolicyDocument, StoreError>;

    /// Returns the stored revision; 0 for an empty store.
    ///
    /// # Errors
    ///
    /// Returns a [`StoreError`] when the store cannot be read.
    fn revision(&self) -> Result<u64, StoreError>;

    /// Applies `changes` atomically if the stored revision is `base`, and
    /// returns the new revision, `base + 1`.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::Conflict`] when the stored revision is not
    /// `base`, and other [`StoreError`]s when the store cannot be written; in
    /// every case nothing was changed.
    fn apply(&self, base: u64, changes: &[Change]) -> Result<u64, StoreError>;

    /// Waits until the stored revision may have moved past `revision`, or
    /// until `timeout` has passed, whichever comes first. Callers check
    /// [`revision`](Self::revision) afterwards, so returning early is always
    /// allowed.
    ///
    /// The default sleeps for `timeout`, which makes watchers poll. A store
    /// that can be told about commits (a database's change notifications, a
    /// file watcher) returns as soon as one arrives.
    ///
    /// # Errors
    ///
    /// Returns a [`StoreError`] when the store cannot be reached; the default
    /// never fails.
    fn wait_for_change(&self, revision: u64, timeout: Duration) -> Result<(), StoreError> {
        let _ = revision;
        std::thread::sleep(timeout);
        Ok(())
    }
}

/// One change to a stored policy, as written by a [`Policy`](crate::Policy)
/// edit. Records are whole: a change replaces the record with the same key.
///
/// # Example
///
/// ```
/// use api_roles::{Change, PolicyDocument};
///
/// let mut document = PolicyDocument::empty();
/// let role = serde_json::from_str(r#"{"id": 1, "name": "Reader"}"#)?;
/// document.apply(&[Change::PutRole(role)]);
/// assert_eq!(document.roles.len(), 1);
/// document.apply(&[Change::DeleteRole { id: 1 }]);
/// assert!(document.roles.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Replaces the settings.
    PutSettings(SettingsRecord),
    /// Adds or replaces the role with this record's id.
    PutRole(RoleRecord),
    /// Removes a role.
    DeleteRole {
        /// The role's id.
        id: u64,
    },
    /// Adds or replaces the credential with this record's identifier.
    PutCredential(CredentialRecord),
    /// Removes a credential.
    DeleteCredential {
        /// The credential's identifier.
        id: String,
    },
    /// Replaces the whole document, as an import does.
    Replace(PolicyDocument),
}

impl PolicyDocument {
    /// Applies `changes` as a store does: only if this document is at
    /// revision `base`, then moves to `base + 1` and returns it.
    pub(crate) fn commit(&mut self, base: u64, changes: &[Change]) -> Result<u64, StoreError> {
        if self.revision != base {
            return Err(StoreError::Conflict {
                expected: base,
                found: self.revision,
            });
        }
        self.apply(changes);
        self.revision = base + 1;
        Ok(self.revision)
    }

    /// Applies `changes` in order, keeping roles sorted by id and credentials
    /// by identifier. The revision is left to the caller.
    ///
    /// # Example
    ///
    /// See [`Change`].
    pub fn apply(&mut self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::PutSettings(settings) => self.settings = settings.clone(),
                Change::PutRole(role) => {
                    match self.roles.binary_search_by_key(&role.id, |r| r.id) {
                        Ok(pos) => self.roles[pos] = role.clone(),
                        Err(pos) => self.roles.insert(pos, role.clone()),
                    }
                }
                Change::DeleteRole { id } => {
                    if let Ok(pos) = self.roles.binary_search_by_key(id, |r| r.id) {
                        self.roles.remove(pos);
                    }
                }
                Change::PutCredential(credential) => {
                    match self
                        .credentials
                        .binary_search_by(|c| c.id.cmp(&credential.id))
                    {
                        Ok(pos) => self.credentials[pos] = credential.clone(),
                        Err(pos) => self.credentials.insert(pos, credential.clone()),
                    }
                }
                Change::DeleteCredential { id } => {
                    if let Ok(pos) = self.credentials.binary_search_by(|c| c.id.cmp(id)) {
                        self.credentials.remove(pos);
                    }
                }
                Change::Replace(document) => {
                    let revision = self.revision;
                    *self = document.clone();
                    self.revision = revision;
                }
            }
        }
    }
}
