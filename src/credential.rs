//! [`Credential`]: an API credential and the roles it holds.

use smallvec::SmallVec;

use crate::name::CredentialId;
use crate::role::RoleId;

/// The most roles one credential may hold.
pub const MAX_ROLES_PER_CREDENTIAL: usize = 64;

/// The longest description of a role or credential, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 1024;

/// The roles a credential holds; inline for up to four.
pub(crate) type RoleList = SmallVec<[RoleId; 4]>;

/// An API credential: a public identifier, a description, an enabled flag and
/// the roles it holds.
///
/// A request made with the credential is allowed when the credential is
/// enabled and any of its roles permits the action. A credential with no role
/// is denied everything. Credentials are made and changed through a
/// [`Policy`](crate::Policy).
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, Policy};
///
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
/// let mut policy = Policy::new(catalog);
/// let reader = policy.create_role("Reader", Grants::new().action("GetClients"))?;
/// policy.create_credential("crm-sync")?;
/// policy.assign_role("crm-sync", reader)?;
/// let credential = policy.credential("crm-sync").ok_or("missing")?;
/// assert!(credential.is_enabled());
/// assert_eq!(credential.roles(), [reader]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub(crate) id: CredentialId,
    pub(crate) description: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) roles: RoleList,
}

impl Credential {
    pub(crate) fn new(id: CredentialId) -> Self {
        Self {
            id,
            description: None,
            enabled: true,
            roles: RoleList::new(),
        }
    }

    /// Returns the public identifier.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_credential("crm-sync")?;
    /// let credential = policy.credential("crm-sync").ok_or("missing")?;
    /// assert_eq!(credential.id().as_str(), "crm-sync");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> &CredentialId {
        &self.id
    }

    /// Returns the description, if any.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_credential("crm-sync")?;
    /// policy.describe_credential("crm-sync", Some("CRM nightly sync"))?;
    /// let credential = policy.credential("crm-sync").ok_or("missing")?;
    /// assert_eq!(credential.description(), Some("CRM nightly sync"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Returns whether the credential is enabled. A disabled credential is
    /// denied everything.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_credential("crm-sync")?;
    /// policy.disable_credential("crm-sync")?;
    /// assert!(!policy.credential("crm-sync").ok_or("missing")?.is_enabled());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Returns the roles the credential holds, in the order they were
    /// assigned.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_credential("new")?;
    /// assert!(policy.credential("new").ok_or("missing")?.roles().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roles(&self) -> &[RoleId] {
        &self.roles
    }
}
