//! [`Decision`], [`DenyReason`] and [`Explanation`].

use std::fmt;

use crate::name::{CategoryName, RoleName};
use crate::role::RoleId;

/// The answer to "may this credential call this action?".
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Decision, DenyReason, Policy};
///
/// let authorizer = Policy::new(ActionCatalog::builder().build()?).compile();
/// let decision = authorizer.authorize("nobody", "GetClients");
/// assert_eq!(decision, Decision::Denied(DenyReason::UnknownCredential));
/// assert!(!decision.is_allowed());
/// assert_eq!(decision.to_string(), "denied: unknown credential");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Decision {
    /// The credential may call the action.
    Allowed,
    /// The credential may not call the action, for the given reason.
    Denied(DenyReason),
}

impl Decision {
    /// Returns whether the decision allows the request.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::Decision::Allowed.is_allowed());
    /// ```
    #[inline]
    pub fn is_allowed(self) -> bool {
        matches!(self, Self::Allowed)
    }

    /// Returns why the request was denied, or `None` if it was allowed.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{Decision, DenyReason};
    ///
    /// let denied = Decision::Denied(DenyReason::NotPermitted);
    /// assert_eq!(denied.reason(), Some(DenyReason::NotPermitted));
    /// assert_eq!(Decision::Allowed.reason(), None);
    /// ```
    pub fn reason(self) -> Option<DenyReason> {
        match self {
            Self::Allowed => None,
            Self::Denied(reason) => Some(reason),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Allowed => f.write_str("allowed"),
            Self::Denied(reason) => write!(f, "denied: {reason}"),
        }
    }
}

/// Why a request was denied.
///
/// [`Authorizer::authorize`](crate::Authorizer::authorize) checks permissions
/// only, in this order: the credential must exist, be enabled, the action must
/// be in the catalog, and one of the credential's roles must permit it.
/// [`Authorizer::check`](crate::Authorizer::check), the whole request gate,
/// adds the client address, the secret and the expiry; its order is given
/// there.
///
/// # Example
///
/// ```
/// use api_roles::DenyReason;
///
/// assert_eq!(DenyReason::NotPermitted.to_string(), "action not permitted");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyReason {
    /// No credential has this identifier.
    UnknownCredential,
    /// The credential is disabled.
    CredentialDisabled,
    /// The catalog has no such action.
    UnknownAction,
    /// None of the credential's roles permits the action.
    NotPermitted,
    /// The secret presented is not the credential's (or is malformed).
    WrongSecret,
    /// The credential's expiry instant has been reached.
    CredentialExpired,
    /// The client address is outside the allowed networks.
    AddressNotAllowed,
}

impl DenyReason {
    /// Renders the reason as the WHMCS API error text, for hosts that must
    /// answer exactly as WHMCS does.
    ///
    /// | reason | text |
    /// | --- | --- |
    /// | unknown credential | `Invalid or missing credentials` |
    /// | wrong secret, disabled, expired | `Authentication Failed` |
    /// | address not allowed | `Invalid IP <client>` |
    /// | unknown action, not permitted | `Invalid Permissions: API action "<action in lower case>" is not allowed` |
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::DenyReason;
    ///
    /// let client = "192.0.2.7".parse()?;
    /// assert_eq!(
    ///     DenyReason::NotPermitted.whmcs_message("GetClients", client),
    ///     r#"Invalid Permissions: API action "getclients" is not allowed"#
    /// );
    /// assert_eq!(DenyReason::AddressNotAllowed.whmcs_message("GetClients", client), "Invalid IP 192.0.2.7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn whmcs_message(self, action: &str, client: std::net::IpAddr) -> String {
        match self {
            Self::UnknownCredential => "Invalid or missing credentials".to_owned(),
            Self::WrongSecret | Self::CredentialDisabled | Self::CredentialExpired => {
                "Authentication Failed".to_owned()
            }
            Self::AddressNotAllowed => format!("Invalid IP {client}"),
            Self::UnknownAction | Self::NotPermitted => format!(
                "Invalid Permissions: API action \"{}\" is not allowed",
                action.to_ascii_lowercase()
            ),
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownCredential => "unknown credential",
            Self::CredentialDisabled => "credential disabled",
            Self::UnknownAction => "unknown action",
            Self::NotPermitted => "action not permitted",
            Self::WrongSecret => "wrong secret",
            Self::CredentialExpired => "credential expired",
            Self::AddressNotAllowed => "client address not allowed",
        })
    }
}

/// How a role grants an action.
///
/// # Example
///
/// ```
/// use api_roles::GrantKind;
///
/// assert_eq!(GrantKind::All.to_string(), "all actions");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantKind {
    /// The role names the action.
    Action,
    /// The role grants the action's whole category.
    Category(CategoryName),
    /// The role grants every action.
    All,
}

impl fmt::Display for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Action => f.write_str("the action"),
            Self::Category(name) => write!(f, "category `{name}`"),
            Self::All => f.write_str("all actions"),
        }
    }
}

/// One role's part in an [`Explanation`].
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, GrantKind, Policy};
///
/// let catalog = ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
/// let mut policy = Policy::new(catalog);
/// let clerk = policy.create_role("Clerk", Grants::new().category("Billing"))?;
/// let _secret = policy.create_credential("app")?;
/// policy.assign_role("app", clerk)?;
/// let explanation = policy.compile().explain("app", "AddCredit");
/// let grant = &explanation.grants()[0];
/// assert_eq!(grant.role(), clerk);
/// assert_eq!(grant.role_name().as_str(), "Clerk");
/// assert!(matches!(grant.kind(), GrantKind::Category(c) if c.as_str() == "Billing"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub(crate) role: RoleId,
    pub(crate) role_name: RoleName,
    pub(crate) kind: GrantKind,
}

impl RoleGrant {
    /// Returns the role's id.
    ///
    /// # Example
    ///
    /// See [`RoleGrant`].
    pub fn role(&self) -> RoleId {
        self.role
    }

    /// Returns the role's name.
    ///
    /// # Example
    ///
    /// See [`RoleGrant`].
    pub fn role_name(&self) -> &RoleName {
        &self.role_name
    }

    /// Returns how the role grants the action. A role that grants it in
    /// several ways reports the most specific: the action, then a category,
    /// then all actions.
    ///
    /// # Example
    ///
    /// See [`RoleGrant`].
    pub fn kind(&self) -> &GrantKind {
        &self.kind
    }
}

/// The decision for one request, with every role that grants the action and
/// every role whose exception removes it.
///
/// Made by [`Authorizer::explain`](crate::Authorizer::explain), for operators
/// and audit trails; [`Authorizer::authorize`](crate::Authorizer::authorize)
/// is the fast path.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Decision, Grants, Policy};
///
/// let catalog = ActionCatalog::builder().actions("Billing", ["AddCredit", "RefundPayment"]).build()?;
/// let mut policy = Policy::new(catalog);
/// let clerk = policy.create_role("Clerk", Grants::new().category("Billing").except("RefundPayment"))?;
/// let _secret = policy.create_credential("app")?;
/// policy.assign_role("app", clerk)?;
/// let explanation = policy.compile().explain("app", "RefundPayment");
/// assert!(!explanation.decision().is_allowed());
/// assert!(explanation.grants().is_empty());
/// assert_eq!(explanation.excepted_by(), [clerk]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub(crate) decision: Decision,
    pub(crate) grants: Vec<RoleGrant>,
    pub(crate) excepted_by: Vec<RoleId>,
}

impl Explanation {
    /// Returns the decision, the same as
    /// [`Authorizer::authorize`](crate::Authorizer::authorize) gives.
    ///
    /// # Example
    ///
    /// See [`Explanation`].
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// Returns the roles of the credential that grant the action, in the
    /// credential's order.
    ///
    /// They are listed for a disabled credential too, though it is denied.
    ///
    /// # Example
    ///
    /// See [`Explanation`].
    pub fn grants(&self) -> &[RoleGrant] {
        &self.grants
    }

    /// Returns the roles of the credential whose exceptions remove the action.
    ///
    /// # Example
    ///
    /// See [`Explanation`].
    pub fn excepted_by(&self) -> &[RoleId] {
        &self.excepted_by
    }
}
