//! [`Credential`]: an API credential and the roles it holds.

use std::time::SystemTime;

use smallvec::SmallVec;

use crate::name::CredentialId;
use crate::network::NetworkList;
use crate::role::RoleId;
use crate::secret::SecretHash;

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
/// let _secret = policy.create_credential("crm-sync")?;
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
    pub(crate) secret: Option<SecretHash>,
    /// The secret replaced by a rotation, and the instant it stops working.
    pub(crate) previous_secret: Option<(SecretHash, SystemTime)>,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) networks: Option<NetworkList>,
}

impl Credential {
    pub(crate) fn new(id: CredentialId, secret: Option<SecretHash>) -> Self {
        Self {
            id,
            description: None,
            enabled: true,
            roles: RoleList::new(),
            secret,
            previous_secret: None,
            expires_at: None,
            networks: None,
        }
    }

    /// Returns the public identifier.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm-sync")?;
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
    /// let _secret = policy.create_credential("crm-sync")?;
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
    /// let _secret = policy.create_credential("crm-sync")?;
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
    /// let _secret = policy.create_credential("new")?;
    /// assert!(policy.credential("new").ok_or("missing")?.roles().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roles(&self) -> &[RoleId] {
        &self.roles
    }

    /// Returns the hash of the current secret, if the credential has one.
    ///
    /// # Example
    ///
    /// ```
    /// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
    /// let secret = policy.create_credential("crm")?;
    /// assert_eq!(policy.credential("crm").and_then(|c| c.secret_hash()), Some(secret.hash()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn secret_hash(&self) -> Option<SecretHash> {
        self.secret
    }

    /// Returns the hash of the secret replaced by the last rotation and the
    /// instant from which it no longer works.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    ///
    /// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
    /// let old = policy.create_credential("crm")?;
    /// let until = SystemTime::now() + Duration::from_secs(3600);
    /// let _new = policy.rotate_secret("crm", until)?;
    /// let credential = policy.credential("crm").ok_or("missing")?;
    /// assert_eq!(credential.previous_secret(), Some((old.hash(), until)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn previous_secret(&self) -> Option<(SecretHash, SystemTime)> {
        self.previous_secret
    }

    /// Returns the instant from which the credential is expired, if any.
    ///
    /// # Example
    ///
    /// ```
    /// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// assert_eq!(policy.credential("crm").and_then(|c| c.expires_at()), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Returns the networks requests must come from, if the credential is
    /// restricted.
    ///
    /// # Example
    ///
    /// ```
    /// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("crm")?;
    /// policy.set_allowed_networks("crm", ["10.0.0.0/8"])?;
    /// let networks = policy.credential("crm").and_then(|c| c.allowed_networks());
    /// assert_eq!(networks.map(|n| n.networks().len()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_networks(&self) -> Option<&NetworkList> {
        self.networks.as_ref()
    }
}
