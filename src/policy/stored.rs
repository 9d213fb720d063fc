//! A policy kept in a [`Store`]: opening, reloading and exporting.

use std::sync::Arc;

use super::Policy;
use crate::catalog::ActionCatalog;
use crate::document::{
    FORMAT_VERSION, LoadOptions, LoadReport, PolicyDocument, RoleRecord, SettingsRecord,
};
use crate::error::LoadError;
use crate::store::Store;

impl Policy {
    /// Opens the policy kept in `store`, checking it against `catalog`.
    ///
    /// From then on every successful edit is written to the store before it
    /// takes effect; an edit the store refuses changes nothing and returns
    /// [`PolicyError::Store`](crate::PolicyError::Store). An empty store
    /// gives an empty policy.
    ///
    /// # Errors
    ///
    /// Returns [`LoadError::Store`] when the store cannot be read and
    /// [`LoadError::Invalid`] when its content does not fit the catalog.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use api_roles::{ActionCatalog, Grants, LoadOptions, MemoryStore, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let store = Arc::new(MemoryStore::new());
    /// let (mut policy, _) = Policy::open(catalog.clone(), store.clone(), &LoadOptions::default())?;
    /// policy.create_role("Everything", Grants::all_actions())?;
    /// assert_eq!(policy.revision(), 1);
    ///
    /// let (again, _) = Policy::open(catalog, store, &LoadOptions::default())?;
    /// assert!(again.role_by_name("Everything").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(
        catalog: impl Into<Arc<ActionCatalog>>,
        store: Arc<dyn Store>,
        options: &LoadOptions,
    ) -> Result<(Self, LoadReport), LoadError> {
        let document = store.load()?;
        let (mut policy, report) = Self::from_document(catalog, &document, options)?;
        policy.store = Some(store);
        Ok((policy, report))
    }

    /// Reads the store again and replaces this policy's roles, credentials
    /// and settings with what it holds. On any error the policy is left as
    /// it was.
    ///
    /// # Errors
    ///
    /// As [`Policy::open`]. A policy with no store reloads nothing.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use api_roles::{ActionCatalog, Grants, LoadOptions, MemoryStore, Policy};
    ///
    /// let catalog = ActionCatalog::builder().build()?;
    /// let store = Arc::new(MemoryStore::new());
    /// let (mut first, _) = Policy::open(catalog.clone(), store.clone(), &LoadOptions::default())?;
    /// let (mut second, _) = Policy::open(catalog, store, &LoadOptions::default())?;
    /// first.create_role("Made elsewhere", Grants::new())?;
    /// second.reload(&LoadOptions::default())?;
    /// assert!(second.role_by_name("Made elsewhere").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload(&mut self, options: &LoadOptions) -> Result<LoadReport, LoadError> {
        let Some(store) = self.store.clone() else {
            return Ok(LoadReport::default());
        };
        let document = store.load()?;
        let (mut fresh, report) = Self::from_document(self.catalog.clone(), &document, options)?;
        fresh.store = Some(store);
        fresh.clock = self.clock.clone();
        *self = fresh;
        Ok(report)
    }

    /// Returns the policy's revision: the store revision it was loaded at or
    /// last wrote. A policy without a store counts its own committed edits
    /// from 0.
    ///
    /// # Example
    ///
    /// See [`Policy::open`].
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Returns the store edits are written to, if any.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// assert!(Policy::new(ActionCatalog::builder().build()?).store().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.store.as_ref()
    }

    /// Returns the whole policy as a document: roles by id, credentials by
    /// identifier, grants and role assignments by name.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_role("Empty", Grants::new())?;
    /// let document = policy.to_document();
    /// assert_eq!(document.roles[0].name, "Empty");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_document(&self) -> PolicyDocument {
        let mut document = PolicyDocument::empty();
        document.format_version = FORMAT_VERSION;
        document.revision = self.revision;
        document.settings = self.settings_record();
        document.roles = self.roles.values().map(RoleRecord::from_role).collect();
        document.credentials = self
            .credentials
            .values()
            .map(|credential| self.credential_record(credential))
            .collect();
        document
    }

    /// Returns the whole policy as JSON. Exporting, importing and exporting
    /// again gives the same bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, LoadOptions, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let json = Policy::new(catalog.clone()).export_json();
    /// let (copy, _) = Policy::from_json(catalog, &json, &LoadOptions::default())?;
    /// assert_eq!(copy.export_json(), json);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn export_json(&self) -> String {
        self.to_document().to_json()
    }

    pub(crate) fn settings_record(&self) -> SettingsRecord {
        SettingsRecord {
            next_role_id: self.next_role_id,
            global_networks: self
                .networks
                .as_ref()
                .map(|list| list.networks().iter().map(ToString::to_string).collect()),
            legacy_upgraded: self.legacy_upgraded,
        }
    }
}
