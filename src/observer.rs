//! [`DecisionObserver`]: a hook that sees every decision of a
//! [`SharedAuthorizer`](crate::SharedAuthorizer).

use std::fmt;

use crate::decision::Decision;
use crate::role::RoleId;

/// Receives each decision a [`SharedAuthorizer`](crate::SharedAuthorizer)
/// makes, for audit logs or metrics. It never sees a secret.
///
/// `observe` runs on the request's thread, inside the authorize call: keep
/// it short and non-blocking (count, or push onto a channel). With no
/// observer installed, the authorize path does not pay for it.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use api_roles::{ActionCatalog, DecisionEvent, DecisionObserver, Grants, Policy, SharedAuthorizer};
///
/// #[derive(Default)]
/// struct Denials(AtomicU64);
///
/// impl DecisionObserver for Denials {
///     fn observe(&self, event: &DecisionEvent<'_>) {
///         if !event.decision().is_allowed() {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let catalog = ActionCatalog::builder().actions("A", ["X", "Y"]).build()?;
/// let shared = SharedAuthorizer::new(Policy::new(catalog));
/// let denials = Arc::new(Denials::default());
/// shared.set_observer(Some(denials.clone()));
/// let _ = shared.authorize("nobody", "X");
/// assert_eq!(denials.0.load(Ordering::Relaxed), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait DecisionObserver: Send + Sync {
    /// Called with each decision.
    fn observe(&self, event: &DecisionEvent<'_>);
}

/// One decision, as a [`DecisionObserver`] sees it.
///
/// # Example
///
/// See [`DecisionObserver`].
#[derive(Clone, Copy)]
pub struct DecisionEvent<'a> {
    pub(crate) credential: &'a str,
    pub(crate) action: &'a str,
    pub(crate) decision: Decision,
    pub(crate) granted_by: Option<RoleId>,
    pub(crate) revision: u64,
}

impl<'a> DecisionEvent<'a> {
    /// Returns the credential identifier as requested.
    ///
    /// # Example
    ///
    /// See [`DecisionObserver`].
    pub fn credential(&self) -> &'a str {
        self.credential
    }

    /// Returns the action as requested.
    ///
    /// # Example
    ///
    /// See [`DecisionObserver`].
    pub fn action(&self) -> &'a str {
        self.action
    }

    /// Returns the decision.
    ///
    /// # Example
    ///
    /// See [`DecisionObserver`].
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// Returns the first of the credential's roles that grants the action,
    /// for an allowed decision.
    ///
    /// # Example
    ///
    /// See [`DecisionObserver`].
    pub fn granted_by(&self) -> Option<RoleId> {
        self.granted_by
    }

    /// Returns the policy revision the decision was made at.
    ///
    /// # Example
    ///
    /// See [`DecisionObserver`].
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

impl fmt::Debug for DecisionEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionEvent")
            .field("credential", &crate::error::shown(self.credential))
            .field("action", &crate::error::shown(self.action))
            .field("decision", &self.decision)
            .field("granted_by", &self.granted_by)
            .field("revision", &self.revision)
            .finish()
    }
}
