//! The upgrade for deployments from before roles existed.

use crate::error::PolicyError;
use crate::name::CredentialId;
use crate::policy::Policy;
use crate::role::{Grants, RoleId};

/// The name given to the generated full-access role.
pub const LEGACY_ROLE_NAME: &str = "Legacy full access";

/// What [`Policy::upgrade_legacy`] changed.
///
/// # Example
///
/// See [`Policy::upgrade_legacy`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use]
pub struct LegacyUpgrade {
    role: Option<RoleId>,
    credentials: Vec<CredentialId>,
}

impl LegacyUpgrade {
    /// Returns the full-access role the upgrade created, if any credential
    /// needed it.
    ///
    /// # Example
    ///
    /// See [`Policy::upgrade_legacy`].
    pub fn role(&self) -> Option<RoleId> {
        self.role
    }

    /// Returns the credentials that were given the role, in identifier order.
    ///
    /// # Example
    ///
    /// See [`Policy::upgrade_legacy`].
    pub fn credentials(&self) -> &[CredentialId] {
        &self.credentials
    }

    /// Returns whether the upgrade changed nothing.
    ///
    /// # Example
    ///
    /// See [`Policy::upgrade_legacy`].
    pub fn is_empty(&self) -> bool {
        self.credentials.is_empty()
    }
}

impl Policy {
    /// Gives every credential that holds no role a role that permits every
    /// action, so that integrations made before roles existed keep working.
    /// Operators then narrow each credential to what it needs.
    ///
    /// The upgrade runs once per policy, as one edit: the role (named
    /// [`LEGACY_ROLE_NAME`], or that name with a number if it is taken) and
    /// every assignment are stored together or not at all, and the policy
    /// records that the upgrade ran. Later calls change nothing, so a
    /// credential an operator narrowed to no role, or one created later and
    /// waiting for its roles, never gains full access by accident.
    ///
    /// # Errors
    ///
    /// Returns a [`PolicyError`] if the role cannot be created or the store
    /// refuses the edit; nothing changes then.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
    /// let mut policy = Policy::new(catalog);
    /// let _secret = policy.create_credential("old-integration")?;
    ///
    /// let report = policy.upgrade_legacy()?;
    /// assert_eq!(report.credentials().len(), 1);
    /// assert!(policy.compile().is_allowed("old-integration", "GetClients"));
    ///
    /// let _secret = policy.create_credential("new-integration")?;
    /// assert!(policy.upgrade_legacy()?.is_empty());
    /// assert!(!policy.compile().is_allowed("new-integration", "GetClients"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upgrade_legacy(&mut self) -> Result<LegacyUpgrade, PolicyError> {
        if self.legacy_upgraded {
            return Ok(LegacyUpgrade::default());
        }
        self.transact(|this| {
            let roleless: Vec<CredentialId> = this
                .credentials()
                .filter(|credential| credential.roles().is_empty())
                .map(|credential| credential.id().clone())
                .collect();
            this.note_settings();
            this.legacy_upgraded = true;
            if roleless.is_empty() {
                return Ok(LegacyUpgrade::default());
            }

            let role = this.create_role(&this.free_legacy_name(), Grants::all_actions())?;
            for id in &roleless {
                this.assign_role(id.as_str(), role)?;
            }
            Ok(LegacyUpgrade {
                role: Some(role),
                credentials: roleless,
            })
        })
    }

    /// Returns whether [`upgrade_legacy`](Self::upgrade_legacy) has run.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// assert!(!policy.legacy_upgraded());
    /// let _report = policy.upgrade_legacy()?;
    /// assert!(policy.legacy_upgraded());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn legacy_upgraded(&self) -> bool {
        self.legacy_upgraded
    }

    /// Returns the legacy role name, numbered if another role has it.
    fn free_legacy_name(&self) -> String {
        let mut name = LEGACY_ROLE_NAME.to_owned();
        let mut n = 2;
        while self.role_by_name(&name).is_some() {
            name = format!("{LEGACY_ROLE_NAME} {n}");
            n += 1;
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogBuilder;

    fn policy() -> Policy {
        Policy::new(
            CatalogBuilder::new()
                .actions("A", ["X", "Y"])
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn only_roleless_credentials_are_upgraded() {
        let mut policy = policy();
        let narrow = policy
            .create_role("Narrow", Grants::new().action("X"))
            .unwrap();
        let _secret = policy.create_credential("new").unwrap();
        policy.assign_role("new", narrow).unwrap();
        let _secret = policy.create_credential("old-1").unwrap();
        let _secret = policy.create_credential("old-2").unwrap();

        let report = policy.upgrade_legacy().unwrap();
        let ids: Vec<&str> = report
            .credentials()
            .iter()
            .map(CredentialId::as_str)
            .collect();
        assert_eq!(ids, ["old-1", "old-2"]);
        let auth = policy.compile();
        assert!(auth.is_allowed("old-1", "Y"));
        assert!(!auth.is_allowed("new", "Y"));
    }

    #[test]
    fn later_runs_change_nothing() {
        let mut policy = policy();
        let _secret = policy.create_credential("old").unwrap();
        let first = policy.upgrade_legacy().unwrap();
        let snapshot = format!("{policy:?}");
        assert!(policy.upgrade_legacy().unwrap().is_empty());
        assert_eq!(format!("{policy:?}"), snapshot);

        // A credential narrowed to no role, and a new one, stay without access.
        policy.unassign_role("old", first.role().unwrap()).unwrap();
        let _secret = policy.create_credential("new").unwrap();
        assert!(policy.upgrade_legacy().unwrap().is_empty());
        let auth = policy.compile();
        assert!(!auth.is_allowed("old", "X"));
        assert!(!auth.is_allowed("new", "X"));
    }

    #[test]
    fn an_upgrade_with_nothing_to_do_still_counts() {
        let mut policy = policy();
        assert!(policy.upgrade_legacy().unwrap().is_empty());
        let _secret = policy.create_credential("later").unwrap();
        assert!(policy.upgrade_legacy().unwrap().is_empty());
        assert!(policy.roles().next().is_none());
    }

    #[test]
    fn a_taken_name_gets_a_number() {
        let mut policy = policy();
        policy
            .create_role(LEGACY_ROLE_NAME, Grants::new().action("X"))
            .unwrap();
        let _secret = policy.create_credential("old").unwrap();
        let report = policy.upgrade_legacy().unwrap();
        let role = policy.role(report.role().unwrap()).unwrap();
        assert_eq!(role.name().as_str(), "Legacy full access 2");
        assert!(role.grants().is_all());
    }
}
