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
    role_created: bool,
    credentials: Vec<CredentialId>,
}

impl LegacyUpgrade {
    /// Returns the full-access role the credentials were given, if any
    /// credential needed it.
    ///
    /// # Example
    ///
    /// See [`Policy::upgrade_legacy`].
    pub fn role(&self) -> Option<RoleId> {
        self.role
    }

    /// Returns whether the upgrade created the role (rather than reusing one
    /// made by an earlier upgrade).
    ///
    /// # Example
    ///
    /// See [`Policy::upgrade_legacy`].
    pub fn role_created(&self) -> bool {
        self.role_created
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
    ///
    /// The role is named [`LEGACY_ROLE_NAME`]; an existing role of that name
    /// that grants all actions with no exception is reused, and if the name
    /// is taken by another role a number is added. Operators then narrow each
    /// credential to what it needs. Running the upgrade again changes nothing
    /// unless new credentials without roles appeared.
    ///
    /// # Errors
    ///
    /// Returns a [`PolicyError`] only if the role cannot be created (the
    /// policy holds the most roles it may); nothing changes then.
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
    /// assert!(report.role_created());
    /// assert_eq!(report.credentials().len(), 1);
    /// assert!(policy.compile().is_allowed("old-integration", "GetClients"));
    ///
    /// assert!(policy.upgrade_legacy()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upgrade_legacy(&mut self) -> Result<LegacyUpgrade, PolicyError> {
        let roleless: Vec<CredentialId> = self
            .credentials()
            .filter(|credential| credential.roles().is_empty())
            .map(|credential| credential.id().clone())
            .collect();
        if roleless.is_empty() {
            return Ok(LegacyUpgrade::default());
        }

        let (role, role_created) = match self.existing_legacy_role() {
            Some(role) => (role, false),
            None => (
                self.create_role(&self.free_legacy_name(), Grants::all_actions())?,
                true,
            ),
        };
        for id in &roleless {
            self.assign_role(id.as_str(), role)?;
        }
        Ok(LegacyUpgrade {
            role: Some(role),
            role_created,
            credentials: roleless,
        })
    }

    /// Finds a role named like the legacy role that grants exactly all.
    fn existing_legacy_role(&self) -> Option<RoleId> {
        self.roles()
            .filter(|role| role.name().as_str().starts_with(LEGACY_ROLE_NAME))
            .find(|role| *role.grants() == Grants::all_actions())
            .map(|role| role.id())
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
    fn second_run_changes_nothing_and_later_runs_reuse_the_role() {
        let mut policy = policy();
        let _secret = policy.create_credential("old").unwrap();
        let first = policy.upgrade_legacy().unwrap();
        let snapshot = format!("{policy:?}");
        assert!(policy.upgrade_legacy().unwrap().is_empty());
        assert_eq!(format!("{policy:?}"), snapshot);

        let _secret = policy.create_credential("older").unwrap();
        let again = policy.upgrade_legacy().unwrap();
        assert!(!again.role_created());
        assert_eq!(again.role(), first.role());
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
