//! Edits as transactions: what an edit touched, to store it or undo it.
//!
//! Every public edit of a [`Policy`] runs inside [`Policy::transact`]. Before
//! an edit changes a role, a credential or the settings, it notes the old
//! value in the journal. When the edit succeeds, the touched records become
//! the [`Change`]s written to the store; when the edit or the store fails, the
//! old values are put back, so a failed edit changes nothing, even one made of
//! several steps such as [`Policy::upgrade_legacy`].

use std::collections::BTreeMap;

use super::{Policy, fold};
use crate::credential::Credential;
use crate::document::{CredentialRecord, RoleRecord};
use crate::error::PolicyError;
use crate::name::CredentialId;
use crate::network::NetworkList;
use crate::role::{Role, RoleId};
use crate::store::Change;

/// What committed edits touched since the last
/// [`Policy::take_touched`]: what a compiled snapshot must redo.
#[derive(Debug, Clone, Default)]
pub(crate) struct Touched {
    pub(crate) roles: Vec<RoleId>,
    pub(crate) credentials: Vec<CredentialId>,
    pub(crate) settings: bool,
}

impl Touched {
    fn add(&mut self, journal: &Journal) {
        self.roles.extend(journal.roles.keys().copied());
        self.credentials.extend(journal.credentials.keys().cloned());
        self.settings |= journal.settings.is_some();
    }
}

/// The values an edit replaced, by key; `None` for what did not exist.
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    roles: BTreeMap<RoleId, Option<Role>>,
    credentials: BTreeMap<CredentialId, Option<Credential>>,
    settings: Option<(u64, Option<NetworkList>, bool)>,
}

impl Policy {
    /// Runs an edit as one transaction: on success its changes are written
    /// to the store, if any; on any failure the policy is put back as it was.
    /// Nested calls join the outer transaction.
    pub(crate) fn transact<T>(
        &mut self,
        edit: impl FnOnce(&mut Self) -> Result<T, PolicyError>,
    ) -> Result<T, PolicyError> {
        if self.journal.is_some() {
            return edit(self);
        }
        self.journal = Some(Journal::default());
        let result = edit(self);
        let journal = self.journal.take().unwrap_or_default();

        let result = result.and_then(|value| {
            self.persist(&journal)?;
            Ok(value)
        });
        match &result {
            Ok(_) => self.touched.add(&journal),
            Err(_) => self.roll_back(journal),
        }
        result
    }

    /// Returns what committed edits touched since the last call.
    pub(crate) fn take_touched(&mut self) -> Touched {
        std::mem::take(&mut self.touched)
    }

    pub(super) fn note_role(&mut self, id: RoleId) {
        if let Some(journal) = self.journal.as_mut() {
            journal
                .roles
                .entry(id)
                .or_insert_with(|| self.roles.get(&id).cloned());
        }
    }

    pub(super) fn note_credential(&mut self, id: &str) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        let Ok(key) = CredentialId::new(id) else {
            return;
        };
        journal
            .credentials
            .entry(key)
            .or_insert_with(|| self.credentials.get(id).cloned());
    }

    /// Notes every credential that holds `role`: their records name it.
    pub(super) fn note_holders(&mut self, role: RoleId) {
        let holders: Vec<CredentialId> = self
            .credentials
            .values()
            .filter(|credential| credential.roles.contains(&role))
            .map(|credential| credential.id.clone())
            .collect();
        for id in holders {
            self.note_credential(id.as_str());
        }
    }

    pub(crate) fn note_settings(&mut self) {
        if let Some(journal) = self.journal.as_mut()
            && journal.settings.is_none()
        {
            let old = (
                self.next_role_id,
                self.networks.clone(),
                self.legacy_upgraded,
            );
            journal.settings = Some(old);
        }
    }

    /// Writes what `journal` touched to the store, if the policy has one, and
    /// moves to the next revision.
    fn persist(&mut self, journal: &Journal) -> Result<(), PolicyError> {
        let changes = self.changes(journal);
        if changes.is_empty() {
            return Ok(());
        }
        self.revision = match self.store.clone() {
            Some(store) => store.apply(self.revision, &changes)?,
            None => self.revision + 1,
        };
        Ok(())
    }

    /// The records that `journal` touched, as they are now.
    fn changes(&self, journal: &Journal) -> Vec<Change> {
        let mut changes = Vec::new();
        if journal.settings.is_some() {
            changes.push(Change::PutSettings(self.settings_record()));
        }
        for id in journal.roles.keys() {
            changes.push(match self.roles.get(id) {
                Some(role) => Change::PutRole(RoleRecord::from_role(role)),
                None => Change::DeleteRole { id: id.get() },
            });
        }
        for id in journal.credentials.keys() {
            changes.push(match self.credentials.get(id) {
                Some(credential) => Change::PutCredential(self.credential_record(credential)),
                None => Change::DeleteCredential { id: id.to_string() },
            });
        }
        changes
    }

    /// Puts back every value `journal` noted.
    fn roll_back(&mut self, journal: Journal) {
        let matching = self.matching();
        for id in journal.roles.keys() {
            if let Some(current) = self.roles.remove(id) {
                self.role_names
                    .remove(&*fold(matching, current.name.as_str()));
            }
        }
        for (id, old) in journal.roles {
            if let Some(role) = old {
                self.role_names
                    .insert(fold(matching, role.name.as_str()), id);
                self.roles.insert(id, role);
            }
        }
        for (id, old) in journal.credentials {
            match old {
                Some(credential) => self.credentials.insert(id, credential),
                None => self.credentials.remove(&id),
            };
        }
        if let Some((next_role_id, networks, legacy_upgraded)) = journal.settings {
            self.next_role_id = next_role_id;
            self.networks = networks;
            self.legacy_upgraded = legacy_upgraded;
        }
    }

    pub(crate) fn credential_record(&self, credential: &Credential) -> CredentialRecord {
        CredentialRecord::from_credential(credential, |role| {
            self.roles.get(&role).map(|role| role.name.as_str())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::CatalogBuilder;
    use crate::policy::Policy;
    use crate::role::Grants;

    #[test]
    fn a_failing_step_undoes_the_steps_before_it() {
        let catalog = CatalogBuilder::new().actions("A", ["X"]).build().unwrap();
        let mut policy = Policy::new(catalog);
        let keep = policy.create_role("Keep", Grants::new()).unwrap();
        let _secret = policy.create_credential("k").unwrap();
        let before = format!("{policy:?}");

        let result = policy.transact(|p| {
            p.rename_role(keep, "Renamed")?;
            p.create_role("Fresh", Grants::all_actions())?;
            p.assign_role("k", keep)?;
            p.delete_credential("k")?;
            p.assign_role("k", keep)
        });
        assert!(result.is_err());
        assert_eq!(format!("{policy:?}"), before);
        assert!(policy.role_by_name("Keep").is_some());
        assert!(policy.role_by_name("Renamed").is_none());
        assert!(policy.role_by_name("Fresh").is_none());
    }
}
