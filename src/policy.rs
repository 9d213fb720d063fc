//! [`Policy`]: the validated state of catalog, roles and credentials.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use hashbrown::HashMap;

use crate::authorizer::Authorizer;
use crate::catalog::ActionCatalog;
use crate::clock::{Clock, SystemClock};
use crate::credential::{Credential, MAX_DESCRIPTION_LEN, MAX_ROLES_PER_CREDENTIAL};
use crate::error::PolicyError;
use crate::name::{CredentialId, NameMatching, RoleName};
use crate::network::NetworkList;
use crate::role::{Grants, Role, RoleId};
use crate::secret::Secret;
use crate::store::Store;

mod journal;
mod stored;

use journal::Journal;
pub(crate) use journal::Touched;

/// The most roles a policy may hold.
pub const MAX_ROLES: usize = 1 << 20;

/// The most credentials a policy may hold.
pub const MAX_CREDENTIALS: usize = 1 << 24;

/// The catalog, roles and credentials of a host, and the only way to change
/// them.
///
/// Every edit checks its input first and either applies whole or returns a
/// [`PolicyError`] and changes nothing. [`Policy::compile`] turns the policy
/// into an [`Authorizer`] that answers requests.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, Policy};
///
/// let catalog = ActionCatalog::builder()
///     .actions("Billing", ["AddCredit", "RefundPayment"])
///     .actions("Client", ["GetClients"])
///     .build()?;
/// let mut policy = Policy::new(catalog);
/// let clerk = policy.create_role(
///     "Billing clerk",
///     Grants::new().category("Billing").except("RefundPayment"),
/// )?;
/// let _secret = policy.create_credential("invoicing-app")?;
/// policy.assign_role("invoicing-app", clerk)?;
///
/// let authorizer = policy.compile();
/// assert!(authorizer.is_allowed("invoicing-app", "AddCredit"));
/// assert!(!authorizer.is_allowed("invoicing-app", "RefundPayment"));
///
/// // A failed edit changes nothing.
/// assert!(policy.set_grants(clerk, Grants::new().action("NoSuchAction")).is_err());
/// assert!(policy.compile().is_allowed("invoicing-app", "AddCredit"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    pub(crate) catalog: Arc<ActionCatalog>,
    pub(crate) roles: BTreeMap<RoleId, Role>,
    /// Role names folded by the catalog's matching rule.
    pub(crate) role_names: HashMap<Box<str>, RoleId>,
    pub(crate) credentials: BTreeMap<CredentialId, Credential>,
    pub(crate) next_role_id: u64,
    /// The policy-wide allow-list of client networks.
    pub(crate) networks: Option<NetworkList>,
    /// Whether [`Policy::upgrade_legacy`] has run.
    pub(crate) legacy_upgraded: bool,
    pub(crate) clock: Arc<dyn Clock>,
    /// The revision of the store this policy was loaded from or last wrote.
    pub(crate) revision: u64,
    /// Where edits are written before they take effect.
    pub(crate) store: Option<Arc<dyn Store>>,
    /// What the edit in progress touched, to persist or roll back.
    journal: Option<Journal>,
    /// What committed edits touched, for incremental compiling.
    touched: Touched,
}

impl Policy {
    /// Creates a policy with no role and no credential over `catalog`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let policy = Policy::new(ActionCatalog::builder().build()?);
    /// assert_eq!(policy.roles().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(catalog: ActionCatalog) -> Self {
        Self::with_shared_catalog(Arc::new(catalog))
    }

    /// Creates a policy over a catalog shared with other policies.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let catalog = Arc::new(ActionCatalog::builder().build()?);
    /// let a = Policy::with_shared_catalog(Arc::clone(&catalog));
    /// let b = Policy::with_shared_catalog(catalog);
    /// assert!(Arc::ptr_eq(a.catalog(), b.catalog()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_shared_catalog(catalog: Arc<ActionCatalog>) -> Self {
        Self {
            catalog,
            roles: BTreeMap::new(),
            role_names: HashMap::new(),
            credentials: BTreeMap::new(),
            next_role_id: 1,
            networks: None,
            legacy_upgraded: false,
            clock: Arc::new(SystemClock),
            revision: 0,
            store: None,
            journal: None,
            touched: Touched::default(),
        }
    }

    /// Replaces the clock the policy reads when an edit depends on the time.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::{Duration, SystemTime};
    /// use api_roles::{ActionCatalog, ManualClock, Policy};
    ///
    /// let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH));
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?).with_clock(clock.clone());
    /// let _secret = policy.create_credential("crm")?;
    /// // One second after the epoch is in the future for this policy.
    /// policy.set_expiry("crm", Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1)))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Returns the policy's clock.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let policy = Policy::new(ActionCatalog::builder().build()?);
    /// assert!(policy.clock().now() > std::time::SystemTime::UNIX_EPOCH);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Returns the catalog.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let policy = Policy::new(ActionCatalog::builder().actions("A", ["X"]).build()?);
    /// assert_eq!(policy.catalog().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn catalog(&self) -> &Arc<ActionCatalog> {
        &self.catalog
    }

    /// Compiles the policy into an [`Authorizer`].
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let authorizer = Policy::new(ActionCatalog::builder().build()?).compile();
    /// assert!(!authorizer.is_allowed("anyone", "Anything"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(&self) -> Authorizer {
        Authorizer::compile(self)
    }

    // ---- roles ---------------------------------------------------------

    /// Returns the role with id `id`.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Auditor", Grants::new())?;
    /// assert_eq!(policy.role(id).map(|r| r.name().as_str()), Some("Auditor"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn role(&self, id: RoleId) -> Option<&Role> {
        self.roles.get(&id)
    }

    /// Returns the role named `name` under the catalog's matching rule.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Auditor", Grants::new())?;
    /// assert_eq!(policy.role_by_name("Auditor").map(|r| r.id()), Some(id));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        let id = self.role_names.get(&*fold(self.matching(), name))?;
        self.roles.get(id)
    }

    /// Returns the roles in id order.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_role("A", Grants::new())?;
    /// policy.create_role("B", Grants::new())?;
    /// let names: Vec<&str> = policy.roles().map(|r| r.name().as_str()).collect();
    /// assert_eq!(names, ["A", "B"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &Role> + '_ {
        self.roles.values()
    }

    /// Creates a role and returns its id.
    ///
    /// # Errors
    ///
    /// Refuses an invalid name, a name another role has under the catalog's
    /// matching rule, grants that name unknown actions or categories, and a
    /// policy that holds [`MAX_ROLES`] roles already.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy, PolicyError};
    ///
    /// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
    /// let mut policy = Policy::new(catalog);
    /// policy.create_role("Support desk", Grants::new().category("Client"))?;
    /// let err = policy.create_role("Support desk", Grants::new()).unwrap_err();
    /// assert!(matches!(err, PolicyError::DuplicateRoleName { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_role(&mut self, name: &str, grants: Grants) -> Result<RoleId, PolicyError> {
        self.transact(|this| {
            if this.roles.len() >= MAX_ROLES {
                return Err(PolicyError::Full {
                    what: "roles",
                    max: MAX_ROLES,
                });
            }
            let name = this.check_role_name(name, None)?;
            let grants = grants.resolve(&this.catalog)?;

            let id = RoleId::new(this.next_role_id);
            this.note_settings();
            this.note_role(id);
            this.next_role_id += 1;
            this.role_names
                .insert(fold(this.matching(), name.as_str()), id);
            this.roles.insert(
                id,
                Role {
                    id,
                    name,
                    description: None,
                    grants,
                },
            );
            Ok(id)
        })
    }

    /// Renames a role.
    ///
    /// # Errors
    ///
    /// Refuses an unknown role, an invalid name, and a name another role has.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Support", Grants::new())?;
    /// policy.rename_role(id, "Support desk")?;
    /// assert!(policy.role_by_name("Support").is_none());
    /// assert!(policy.role_by_name("Support desk").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rename_role(&mut self, id: RoleId, name: &str) -> Result<(), PolicyError> {
        self.transact(|this| {
            let old = this.role_or_err(id)?.name.clone();
            let name = this.check_role_name(name, Some(id))?;

            let matching = this.matching();
            this.note_role(id);
            this.note_holders(id);
            this.role_names.remove(&*fold(matching, old.as_str()));
            this.role_names.insert(fold(matching, name.as_str()), id);
            this.note_role(id);
            if let Some(role) = this.roles.get_mut(&id) {
                role.name = name;
            }
            Ok(())
        })
    }

    /// Sets or clears a role's description.
    ///
    /// # Errors
    ///
    /// Refuses an unknown role and a description over
    /// [`MAX_DESCRIPTION_LEN`] bytes.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Support", Grants::new())?;
    /// policy.describe_role(id, Some("First-line support"))?;
    /// policy.describe_role(id, None)?;
    /// assert_eq!(policy.role(id).and_then(|r| r.description()), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_role(
        &mut self,
        id: RoleId,
        description: Option<&str>,
    ) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.role_or_err(id)?;
            let description = check_description(description)?;

            this.note_role(id);
            if let Some(role) = this.roles.get_mut(&id) {
                role.description = description;
            }
            Ok(())
        })
    }

    /// Replaces a role's grants.
    ///
    /// # Errors
    ///
    /// Refuses an unknown role, and grants that name invalid or unknown
    /// actions or categories; the error gives the place, such as
    /// `grants.actions[1]`.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().actions("Client", ["GetClients"]).build()?);
    /// let id = policy.create_role("Support", Grants::new())?;
    /// policy.set_grants(id, Grants::new().action("GetClients"))?;
    /// let err = policy.set_grants(id, Grants::new().action("GetClient")).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "unknown action `GetClient` at grants.actions[0]: not in the catalog"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_grants(&mut self, id: RoleId, grants: Grants) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.role_or_err(id)?;
            let grants = grants.resolve(&this.catalog)?;

            this.note_role(id);
            if let Some(role) = this.roles.get_mut(&id) {
                role.grants = grants;
            }
            Ok(())
        })
    }

    /// Deletes a role, removes it from every credential that held it, and
    /// returns it. Its id is never given to another role.
    ///
    /// # Errors
    ///
    /// Refuses an unknown role.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().actions("Client", ["GetClients"]).build()?);
    /// let id = policy.create_role("Support", Grants::new().category("Client"))?;
    /// let _secret = policy.create_credential("helpdesk")?;
    /// policy.assign_role("helpdesk", id)?;
    /// policy.delete_role(id)?;
    /// assert!(policy.credential("helpdesk").ok_or("missing")?.roles().is_empty());
    /// assert!(!policy.compile().is_allowed("helpdesk", "GetClients"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_role(&mut self, id: RoleId) -> Result<Role, PolicyError> {
        self.transact(|this| {
            this.role_or_err(id)?;
            this.note_role(id);
            this.note_holders(id);
            let role = this.roles.remove(&id).ok_or(PolicyError::UnknownRole(id))?;

            this.role_names
                .remove(&*fold(this.matching(), role.name.as_str()));
            for credential in this.credentials.values_mut() {
                credential.roles.retain(|held| *held != id);
            }
            Ok(role)
        })
    }

    // ---- credentials ---------------------------------------------------

    /// Returns the credential with identifier `id`.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm-sync")?;
    /// assert!(policy.credential("crm-sync").is_some());
    /// assert!(policy.credential("CRM-SYNC").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credential(&self, id: &str) -> Option<&Credential> {
        self.credentials.get(id)
    }

    /// Returns the credentials in identifier order.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("b")?;
    /// let _secret = policy.create_credential("a")?;
    /// let ids: Vec<&str> = policy.credentials().map(|c| c.id().as_str()).collect();
    /// assert_eq!(ids, ["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials(&self) -> impl ExactSizeIterator<Item = &Credential> + '_ {
        self.credentials.values()
    }

    /// Creates an enabled credential with no role and returns its secret.
    ///
    /// The secret is shown only here; the policy keeps its hash.
    ///
    /// # Errors
    ///
    /// Refuses an invalid identifier, one that exists already, and a policy
    /// that holds [`MAX_CREDENTIALS`] credentials already; returns
    /// [`PolicyError::RandomSource`] if the operating system cannot supply
    /// random bytes.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let secret = policy.create_credential("crm-sync")?;
    /// println!("your new API secret, shown once: {}", secret.expose());
    /// assert!(policy.create_credential("crm-sync").is_err());
    /// assert!(policy.create_credential("has space").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_credential(&mut self, id: &str) -> Result<Secret, PolicyError> {
        self.transact(|this| {
            let id = CredentialId::new(id)?;
            if this.credentials.contains_key(&id) {
                return Err(PolicyError::DuplicateCredential(id.to_string()));
            }
            if this.credentials.len() >= MAX_CREDENTIALS {
                return Err(PolicyError::Full {
                    what: "credentials",
                    max: MAX_CREDENTIALS,
                });
            }
            let secret = new_secret()?;

            this.note_credential(id.as_str());
            this.credentials
                .insert(id.clone(), Credential::new(id, Some(secret.hash())));
            Ok(secret)
        })
    }

    /// Deletes a credential and returns it.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("old")?;
    /// policy.delete_credential("old")?;
    /// assert!(policy.delete_credential("old").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_credential(&mut self, id: &str) -> Result<Credential, PolicyError> {
        self.transact(|this| {
            this.note_credential(id);
            this.credentials
                .remove(id)
                .ok_or_else(|| unknown_credential(id))
        })
    }

    /// Sets or clears a credential's description.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential and a description over
    /// [`MAX_DESCRIPTION_LEN`] bytes.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// assert!(policy.describe_credential("crm", Some(&"x".repeat(2000))).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_credential(
        &mut self,
        id: &str,
        description: Option<&str>,
    ) -> Result<(), PolicyError> {
        self.transact(|this| {
            let description = check_description(description)?;
            this.credential_mut(id)?.description = description;
            Ok(())
        })
    }

    /// Enables a credential. Enabling an enabled credential changes nothing.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// policy.disable_credential("crm")?;
    /// policy.enable_credential("crm")?;
    /// assert!(policy.credential("crm").ok_or("missing")?.is_enabled());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enable_credential(&mut self, id: &str) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.credential_mut(id)?.enabled = true;
            Ok(())
        })
    }

    /// Disables a credential: it is denied everything until enabled again.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy, Decision, DenyReason};
    /// # let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X"]).build()?);
    /// let all = policy.create_role("All", Grants::all_actions())?;
    /// let _secret = policy.create_credential("crm")?;
    /// policy.assign_role("crm", all)?;
    /// policy.disable_credential("crm")?;
    /// assert_eq!(
    ///     policy.compile().authorize("crm", "X"),
    ///     Decision::Denied(DenyReason::CredentialDisabled)
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn disable_credential(&mut self, id: &str) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.credential_mut(id)?.enabled = false;
            Ok(())
        })
    }

    /// Assigns a role to a credential.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential or role, a role the credential holds
    /// already, and a credential that holds [`MAX_ROLES_PER_CREDENTIAL`] roles.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let role = policy.create_role("Reader", Grants::new())?;
    /// let _secret = policy.create_credential("crm")?;
    /// policy.assign_role("crm", role)?;
    /// assert!(policy.assign_role("crm", role).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assign_role(&mut self, credential: &str, role: RoleId) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.role_or_err(role)?;
            let entry = this.credential_mut(credential)?;
            if entry.roles.contains(&role) {
                return Err(PolicyError::RoleAlreadyAssigned {
                    credential: credential.into(),
                    role,
                });
            }
            if entry.roles.len() >= MAX_ROLES_PER_CREDENTIAL {
                return Err(PolicyError::TooManyRoles {
                    credential: credential.into(),
                    max: MAX_ROLES_PER_CREDENTIAL,
                });
            }

            entry.roles.push(role);
            Ok(())
        })
    }

    /// Takes a role away from a credential.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential and a role the credential does not hold.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let role = policy.create_role("Reader", Grants::new())?;
    /// let _secret = policy.create_credential("crm")?;
    /// policy.assign_role("crm", role)?;
    /// policy.unassign_role("crm", role)?;
    /// assert!(policy.unassign_role("crm", role).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unassign_role(&mut self, credential: &str, role: RoleId) -> Result<(), PolicyError> {
        self.transact(|this| {
            let entry = this.credential_mut(credential)?;
            let Some(pos) = entry.roles.iter().position(|held| *held == role) else {
                return Err(PolicyError::RoleNotAssigned {
                    credential: credential.into(),
                    role,
                });
            };

            entry.roles.remove(pos);
            Ok(())
        })
    }

    // ---- secrets, expiry and networks -----------------------------------

    /// Replaces a credential's secret at once and returns the new one. Any
    /// secret kept valid by an earlier rotation stops working too.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential; returns [`PolicyError::RandomSource`]
    /// if the operating system cannot supply random bytes.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let leaked = policy.create_credential("crm")?;
    /// let fresh = policy.reset_secret("crm")?;
    /// assert_ne!(leaked.hash(), fresh.hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset_secret(&mut self, id: &str) -> Result<Secret, PolicyError> {
        self.transact(|this| {
            this.credential_mut(id)?;
            let secret = new_secret()?;

            let credential = this.credential_mut(id)?;
            credential.secret = Some(secret.hash());
            credential.previous_secret = None;
            Ok(secret)
        })
    }

    /// Issues a new secret for a credential while the current one keeps
    /// working until `old_valid_until`, so integrations can roll over without
    /// downtime. From that instant on only the new secret works.
    ///
    /// A credential keeps at most one old secret: rotating again while an
    /// earlier grace period runs ends that earlier secret at once.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential, one with no secret
    /// ([`PolicyError::NoSecret`]), and an instant that is not after the
    /// policy clock's now ([`PolicyError::GraceNotInFuture`]).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _old = policy.create_credential("crm")?;
    /// let new = policy.rotate_secret("crm", SystemTime::now() + Duration::from_secs(86_400))?;
    /// assert_eq!(policy.credential("crm").and_then(|c| c.secret_hash()), Some(new.hash()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate_secret(
        &mut self,
        id: &str,
        old_valid_until: SystemTime,
    ) -> Result<Secret, PolicyError> {
        self.transact(|this| {
            let now = this.clock.now();
            let Some(old) = this.credential_mut(id)?.secret else {
                return Err(PolicyError::NoSecret(crate::error::shown(id)));
            };
            if old_valid_until <= now {
                return Err(PolicyError::GraceNotInFuture(crate::error::shown(id)));
            }
            let secret = new_secret()?;

            let credential = this.credential_mut(id)?;
            credential.secret = Some(secret.hash());
            credential.previous_secret = Some((old, old_valid_until));
            Ok(secret)
        })
    }

    /// Removes every secret of a credential: no secret verifies until
    /// [`reset_secret`](Self::reset_secret) issues a new one.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// policy.revoke_secret("crm")?;
    /// assert!(policy.credential("crm").is_some_and(|c| c.secret_hash().is_none()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke_secret(&mut self, id: &str) -> Result<(), PolicyError> {
        self.transact(|this| {
            let credential = this.credential_mut(id)?;
            credential.secret = None;
            credential.previous_secret = None;
            Ok(())
        })
    }

    /// Sets or clears the instant from which a credential is expired.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential and an instant that is not after the
    /// policy clock's now ([`PolicyError::ExpiryInPast`]).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("contractor")?;
    /// let in_30_days = SystemTime::now() + Duration::from_secs(30 * 86_400);
    /// policy.set_expiry("contractor", Some(in_30_days))?;
    /// assert!(policy.set_expiry("contractor", Some(SystemTime::UNIX_EPOCH)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_expiry(
        &mut self,
        id: &str,
        expires_at: Option<SystemTime>,
    ) -> Result<(), PolicyError> {
        self.transact(|this| {
            let now = this.clock.now();
            let credential = this.credential_mut(id)?;
            if expires_at.is_some_and(|at| at <= now) {
                return Err(PolicyError::ExpiryInPast(crate::error::shown(id)));
            }

            credential.expires_at = expires_at;
            Ok(())
        })
    }

    /// Restricts a credential to client addresses in `networks` (CIDR form,
    /// or bare addresses). An empty list accepts no address.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential and entries that are not networks, with
    /// their place ([`PolicyError::InvalidNetwork`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// policy.set_allowed_networks("crm", ["10.0.0.0/8", "2001:db8::/32"])?;
    /// assert!(policy.set_allowed_networks("crm", ["10.0.0.0/40"]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_allowed_networks<I>(&mut self, id: &str, networks: I) -> Result<(), PolicyError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.transact(|this| {
            this.credential_mut(id)?;
            let networks = NetworkList::parse(networks)?;

            this.credential_mut(id)?.networks = Some(networks);
            Ok(())
        })
    }

    /// Lifts a credential's network restriction.
    ///
    /// # Errors
    ///
    /// Refuses an unknown credential.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// policy.set_allowed_networks("crm", ["10.0.0.0/8"])?;
    /// policy.clear_allowed_networks("crm")?;
    /// assert!(policy.credential("crm").is_some_and(|c| c.allowed_networks().is_none()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_allowed_networks(&mut self, id: &str) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.credential_mut(id)?.networks = None;
            Ok(())
        })
    }

    /// Restricts every credential to client addresses in `networks`, like the
    /// global API allow-list of WHMCS. A credential's own list applies on top.
    ///
    /// # Errors
    ///
    /// Refuses entries that are not networks, with their place.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.set_global_networks(["192.0.2.0/24"])?;
    /// assert_eq!(policy.global_networks().map(|n| n.networks().len()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_global_networks<I>(&mut self, networks: I) -> Result<(), PolicyError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.transact(|this| {
            let networks = NetworkList::parse(networks)?;
            this.note_settings();
            this.networks = Some(networks);
            Ok(())
        })
    }

    /// Lifts the policy-wide network restriction.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.set_global_networks(["192.0.2.0/24"])?;
    /// policy.clear_global_networks()?;
    /// assert!(policy.global_networks().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_global_networks(&mut self) -> Result<(), PolicyError> {
        self.transact(|this| {
            this.note_settings();
            this.networks = None;
            Ok(())
        })
    }

    /// Returns the policy-wide allow-list, if any.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// let policy = Policy::new(ActionCatalog::builder().build()?);
    /// assert!(policy.global_networks().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn global_networks(&self) -> Option<&NetworkList> {
        self.networks.as_ref()
    }

    // ---- helpers -------------------------------------------------------

    pub(crate) fn matching(&self) -> NameMatching {
        self.catalog.name_matching()
    }

    fn role_or_err(&self, id: RoleId) -> Result<&Role, PolicyError> {
        self.roles.get(&id).ok_or(PolicyError::UnknownRole(id))
    }

    /// Returns a credential for editing, noting it in the journal first.
    fn credential_mut(&mut self, id: &str) -> Result<&mut Credential, PolicyError> {
        self.note_credential(id);
        self.credentials
            .get_mut(id)
            .ok_or_else(|| unknown_credential(id))
    }

    /// Validates a role name and checks that no role but `renaming` has it.
    fn check_role_name(
        &self,
        name: &str,
        renaming: Option<RoleId>,
    ) -> Result<RoleName, PolicyError> {
        let name = RoleName::new(name)?;
        match self.role_names.get(&*fold(self.matching(), name.as_str())) {
            Some(&existing) if Some(existing) != renaming => Err(PolicyError::DuplicateRoleName {
                name: name.to_string(),
                existing,
            }),
            _ => Ok(name),
        }
    }
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("catalog", &self.catalog)
            .field("roles", &self.roles)
            .field("credentials", &self.credentials)
            .field("next_role_id", &self.next_role_id)
            .field("global_networks", &self.networks)
            .field("legacy_upgraded", &self.legacy_upgraded)
            .field("clock", &self.clock)
            .field("revision", &self.revision)
            .field("stored", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

/// Returns the key under which `name` is unique for `matching`.
pub(crate) fn fold(matching: NameMatching, name: &str) -> Box<str> {
    match matching {
        NameMatching::Exact => name.into(),
        NameMatching::AsciiCaseInsensitive => name.to_ascii_lowercase().into(),
    }
}

fn new_secret() -> Result<Secret, PolicyError> {
    Secret::generate().map_err(|err| PolicyError::RandomSource(err.to_string()))
}

fn unknown_credential(id: &str) -> PolicyError {
    PolicyError::UnknownCredential(crate::error::shown(id))
}

fn check_description(description: Option<&str>) -> Result<Option<String>, PolicyError> {
    match description {
        Some(text) if text.len() > MAX_DESCRIPTION_LEN => Err(PolicyError::DescriptionTooLong {
            len: text.len(),
            max: MAX_DESCRIPTION_LEN,
        }),
        other => Ok(other.map(str::to_owned)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::CatalogBuilder;

    /// Billing (AddCredit, RefundPayment) and Client (GetClients).
    pub(crate) fn policy(matching: NameMatching) -> Policy {
        let catalog = CatalogBuilder::new()
            .name_matching(matching)
            .actions("Billing", ["AddCredit", "RefundPayment"])
            .actions("Client", ["GetClients"])
            .build()
            .unwrap();
        Policy::new(catalog)
    }

    #[test]
    fn role_names_are_unique_under_the_case_rule() {
        let mut exact = policy(NameMatching::Exact);
        exact.create_role("Support", Grants::new()).unwrap();
        assert!(exact.create_role("support", Grants::new()).is_ok());

        let mut folded = policy(NameMatching::AsciiCaseInsensitive);
        let id = folded.create_role("Support", Grants::new()).unwrap();
        let err = folded.create_role("SUPPORT", Grants::new()).unwrap_err();
        assert_eq!(
            err,
            PolicyError::DuplicateRoleName {
                name: "SUPPORT".into(),
                existing: id
            }
        );
        assert_eq!(folded.role_by_name("support").map(Role::id), Some(id));
        folded.rename_role(id, "SUPPORT").unwrap();
        assert_eq!(folded.role(id).unwrap().name().as_str(), "SUPPORT");
    }

    #[test]
    fn failed_edits_change_nothing() {
        let mut policy = policy(NameMatching::Exact);
        let id = policy
            .create_role("Billing", Grants::new().category("Billing"))
            .unwrap();
        let _secret = policy.create_credential("app").unwrap();
        policy.assign_role("app", id).unwrap();
        let before = format!("{policy:?}");

        assert!(policy.create_role("Bad  Name", Grants::new()).is_err());
        assert!(
            policy
                .create_role("Fine", Grants::new().action("Nope"))
                .is_err()
        );
        assert!(policy.rename_role(id, " lead").is_err());
        assert!(policy.rename_role(RoleId::new(99), "x").is_err());
        assert!(
            policy
                .set_grants(id, Grants::new().action("AddCredit").category("No"))
                .is_err()
        );
        assert!(policy.describe_role(id, Some(&"d".repeat(1025))).is_err());
        assert!(policy.assign_role("app", id).is_err());
        assert!(policy.assign_role("ghost", id).is_err());
        assert!(policy.unassign_role("app", RoleId::new(99)).is_err());
        assert!(policy.create_credential("app").is_err());
        assert!(policy.delete_role(RoleId::new(99)).is_err());
        assert_eq!(format!("{policy:?}"), before);
    }

    #[test]
    fn role_ids_are_never_reused() {
        let mut policy = policy(NameMatching::Exact);
        let a = policy.create_role("A", Grants::new()).unwrap();
        policy.delete_role(a).unwrap();
        let b = policy.create_role("A", Grants::new()).unwrap();
        assert!(b > a);
        assert!(policy.role(a).is_none());
    }

    #[test]
    fn roles_per_credential_are_limited() {
        let mut policy = policy(NameMatching::Exact);
        let _secret = policy.create_credential("app").unwrap();
        for i in 0..MAX_ROLES_PER_CREDENTIAL {
            let id = policy.create_role(&format!("R{i}"), Grants::new()).unwrap();
            policy.assign_role("app", id).unwrap();
        }
        let extra = policy.create_role("Extra", Grants::new()).unwrap();
        let err = policy.assign_role("app", extra).unwrap_err();
        assert!(matches!(err, PolicyError::TooManyRoles { .. }));
    }

    #[test]
    fn descriptions_are_bounded_in_bytes() {
        let mut policy = policy(NameMatching::Exact);
        let id = policy.create_role("A", Grants::new()).unwrap();
        let exactly = "é".repeat(MAX_DESCRIPTION_LEN / 2);
        policy.describe_role(id, Some(&exactly)).unwrap();
        let over = format!("{exactly}x");
        assert!(matches!(
            policy.describe_role(id, Some(&over)),
            Err(PolicyError::DescriptionTooLong {
                len: 1025,
                max: 1024
            })
        ));
    }
}
