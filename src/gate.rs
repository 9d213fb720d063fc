//! The request gate: [`Request`] and [`Authorizer::check`].

use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::authorizer::Authorizer;
use crate::decision::{Decision, DenyReason};
use crate::network::NetworkList;
use crate::secret::{SecretHash, hash_presented};

/// What the gate keeps per credential, apart from permissions: the secret's
/// hash inline, and the rarer state boxed, so that most credentials cost 40
/// bytes here.
#[derive(Clone, Default)]
pub(crate) struct CompiledAuth {
    pub(crate) secret: Option<SecretHash>,
    pub(crate) extra: Option<Box<AuthExtra>>,
}

/// A rotated secret, an expiry or an allow-list.
#[derive(Clone, Default)]
pub(crate) struct AuthExtra {
    pub(crate) previous: Option<(SecretHash, SystemTime)>,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) networks: Option<NetworkList>,
}

impl CompiledAuth {
    fn previous(&self) -> Option<(SecretHash, SystemTime)> {
        self.extra.as_ref().and_then(|extra| extra.previous)
    }
}

/// Compared against when no real hash is there, so that every request does
/// the same work.
const DECOY: SecretHash = SecretHash::from_bytes([0xa5; 32]);

/// An incoming API request, as the gate sees it.
///
/// `Debug` shows every field but the secret.
///
/// # Example
///
/// ```
/// use api_roles::Request;
///
/// let request = Request::new("crm-sync", "ars_not-a-real-secret", "GetClients", "192.0.2.7".parse()?);
/// assert!(!format!("{request:?}").contains("not-a-real"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Request<'a> {
    credential: &'a str,
    secret: &'a str,
    action: &'a str,
    client: IpAddr,
    /// `None`: judged at the authorizer's clock's now.
    at: Option<SystemTime>,
}

impl<'a> Request<'a> {
    /// Creates a request, judged at the time of the check by the clock of the
    /// policy the authorizer was compiled from, unless [`at`](Self::at) sets
    /// another time.
    ///
    /// # Example
    ///
    /// See [`Request`].
    pub fn new(credential: &'a str, secret: &'a str, action: &'a str, client: IpAddr) -> Self {
        Self {
            credential,
            secret,
            action,
            client,
            at: None,
        }
    }

    /// Sets the time the request is judged at, for hosts with their own clock
    /// and for tests.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use api_roles::Request;
    ///
    /// let request = Request::new("id", "secret", "GetClients", "::1".parse()?)
    ///     .at(SystemTime::UNIX_EPOCH);
    /// assert_eq!(request.time(), Some(SystemTime::UNIX_EPOCH));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn at(mut self, at: SystemTime) -> Self {
        self.at = Some(at);
        self
    }

    /// Returns the credential identifier.
    ///
    /// # Example
    ///
    /// ```
    /// let request = api_roles::Request::new("id", "secret", "GetClients", "::1".parse()?);
    /// assert_eq!(request.credential(), "id");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credential(&self) -> &'a str {
        self.credential
    }

    /// Returns the action.
    ///
    /// # Example
    ///
    /// ```
    /// let request = api_roles::Request::new("id", "secret", "GetClients", "::1".parse()?);
    /// assert_eq!(request.action(), "GetClients");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action(&self) -> &'a str {
        self.action
    }

    /// Returns the client address.
    ///
    /// # Example
    ///
    /// ```
    /// let request = api_roles::Request::new("id", "secret", "GetClients", "::1".parse()?);
    /// assert!(request.client().is_loopback());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self) -> IpAddr {
        self.client
    }

    /// Returns the time set with [`at`](Self::at), if any.
    ///
    /// # Example
    ///
    /// See [`Request::at`].
    pub fn time(&self) -> Option<SystemTime> {
        self.at
    }

    /// Renders a denial as the WHMCS API error text for this request, or
    /// returns `None` for an allowed request. See
    /// [`DenyReason::whmcs_message`].
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{Decision, DenyReason, Request};
    ///
    /// let request = Request::new("id", "secret", "GetClients", "192.0.2.7".parse()?);
    /// let decision = Decision::Denied(DenyReason::UnknownCredential);
    /// assert_eq!(request.whmcs_error(decision).as_deref(), Some("Invalid or missing credentials"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn whmcs_error(&self, decision: Decision) -> Option<String> {
        decision
            .reason()
            .map(|reason| reason.whmcs_message(self.action, self.client))
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("credential", &self.credential)
            .field("secret", &"<redacted>")
            .field("action", &self.action)
            .field("client", &self.client)
            .field("at", &self.at)
            .finish()
    }
}

impl Authorizer {
    /// Judges a whole request: the client address, the credential and its
    /// secret, its state, and its permission for the action.
    ///
    /// The checks run in this order and the first that fails gives the
    /// reason:
    ///
    /// 1. the client address is in the policy-wide allow-list, if there is
    ///    one ([`DenyReason::AddressNotAllowed`]);
    /// 2. the credential exists ([`DenyReason::UnknownCredential`]);
    /// 3. the secret is the credential's current secret, or its previous
    ///    secret before the rotation's deadline ([`DenyReason::WrongSecret`]);
    /// 4. the credential is enabled ([`DenyReason::CredentialDisabled`]);
    /// 5. the request is before the credential's expiry instant
    ///    ([`DenyReason::CredentialExpired`]);
    /// 6. the client address is in the credential's allow-list, if it has one
    ///    ([`DenyReason::AddressNotAllowed`]);
    /// 7. the action is in the catalog ([`DenyReason::UnknownAction`]) and
    ///    one of the credential's roles permits it
    ///    ([`DenyReason::NotPermitted`]).
    ///
    /// The secret is checked before the credential's state, so that only the
    /// holder of the secret learns that a credential is disabled or expired.
    /// Every well-formed secret is hashed once and compared in constant time
    /// against two stored hashes (decoys where the credential, or its
    /// previous secret, is missing), so an unknown identifier costs the same
    /// as a known one with a wrong secret.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Decision, DenyReason, Grants, Policy, Request};
    ///
    /// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
    /// let mut policy = Policy::new(catalog);
    /// let reader = policy.create_role("Reader", Grants::new().action("GetClients"))?;
    /// let secret = policy.create_credential("crm")?;
    /// policy.assign_role("crm", reader)?;
    /// let authorizer = policy.compile();
    ///
    /// let client = "192.0.2.7".parse()?;
    /// let ok = Request::new("crm", secret.expose(), "GetClients", client);
    /// assert_eq!(authorizer.check(&ok), Decision::Allowed);
    /// let forged = Request::new("crm", "ars_guess", "GetClients", client);
    /// assert_eq!(authorizer.check(&forged), Decision::Denied(DenyReason::WrongSecret));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, request: &Request<'_>) -> Decision {
        if self
            .global_networks()
            .is_some_and(|list| !list.contains(request.client))
        {
            return Decision::Denied(DenyReason::AddressNotAllowed);
        }
        let found = self.position(request.credential);
        let auth = found.and_then(|pos| self.auth(pos));
        let now = || request.at.unwrap_or_else(|| self.now());
        if let Err(reason) = authenticate(auth, request.secret, now) {
            return Decision::Denied(reason);
        }
        let (Some(pos), Some(auth)) = (found, auth) else {
            return Decision::Denied(DenyReason::UnknownCredential);
        };

        if !self.is_enabled_at(pos) {
            return Decision::Denied(DenyReason::CredentialDisabled);
        }
        let extra = auth.extra.as_deref();
        if extra
            .and_then(|e| e.expires_at)
            .is_some_and(|at| now() >= at)
        {
            return Decision::Denied(DenyReason::CredentialExpired);
        }
        let networks = extra.and_then(|e| e.networks.as_ref());
        if networks.is_some_and(|list| !list.contains(request.client)) {
            return Decision::Denied(DenyReason::AddressNotAllowed);
        }
        self.permission_at(pos, request.action)
    }

    /// Verifies a credential's secret at time `at`: the current secret, or
    /// the previous one before its rotation deadline.
    ///
    /// # Errors
    ///
    /// Returns [`DenyReason::UnknownCredential`] or
    /// [`DenyReason::WrongSecret`]; both cost the same work. A malformed
    /// secret is a wrong secret.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use api_roles::{ActionCatalog, DenyReason, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let secret = policy.create_credential("crm")?;
    /// let authorizer = policy.compile();
    /// let now = SystemTime::now();
    /// assert_eq!(authorizer.authenticate("crm", secret.expose(), now), Ok(()));
    /// assert_eq!(authorizer.authenticate("crm", "", now), Err(DenyReason::WrongSecret));
    /// assert_eq!(
    ///     authorizer.authenticate("nobody", secret.expose(), now),
    ///     Err(DenyReason::UnknownCredential)
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authenticate(
        &self,
        credential: &str,
        secret: &str,
        at: SystemTime,
    ) -> Result<(), DenyReason> {
        let auth = self.position(credential).and_then(|pos| self.auth(pos));
        authenticate(auth, secret, || at)
    }
}

/// Verifies `secret` against `auth` with the same work whether or not the
/// credential exists.
fn authenticate(
    auth: Option<&CompiledAuth>,
    secret: &str,
    now: impl FnOnce() -> SystemTime,
) -> Result<(), DenyReason> {
    let presented = hash_presented(secret);
    let current = auth.and_then(|a| a.secret);
    let previous = auth.and_then(CompiledAuth::previous);

    let candidate = presented.unwrap_or(DECOY);
    let current_ok = candidate.ct_eq(&current.unwrap_or(DECOY)) & current.is_some();
    let previous_ok = candidate.ct_eq(&previous.map_or(DECOY, |(hash, _)| hash))
        & previous.is_some_and(|(_, until)| now() < until);
    let verified = presented.is_some() & (current_ok | previous_ok);

    match (auth, verified) {
        (None, _) => Err(DenyReason::UnknownCredential),
        (Some(_), false) => Err(DenyReason::WrongSecret),
        (Some(_), true) => Ok(()),
    }
}
