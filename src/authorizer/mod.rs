//! [`Authorizer`]: a compiled, immutable snapshot of a policy.

use std::fmt;
use std::sync::Arc;

use hashbrown::HashMap;

use crate::action_set::ActionSet;
use crate::catalog::{ActionCatalog, ActionHandle, ActionId};
use crate::clock::Clock;
use crate::credential::RoleList;
use crate::decision::{Decision, DenyReason, Explanation, GrantKind, RoleGrant};
use crate::gate::CompiledAuth;
use crate::index::NameIndex;
use crate::name::CredentialId;
use crate::network::NetworkList;
use crate::observer::{DecisionEvent, DecisionObserver};
use crate::policy::Policy;
use crate::role::{Role, RoleId};
use crate::usage::UsageBits;

mod chunked;
mod compile;
mod reverse;

pub(crate) use compile::Compiler;

use chunked::Chunked;

/// What the authorizer keeps per credential, apart from its permissions.
#[derive(Clone)]
pub(crate) struct CompiledCredential {
    id: CredentialId,
    perm: Perm,
    /// Index into [`Authorizer::combos`]: the roles it holds, in order.
    combo: u32,
    /// Which actions the credential used, when usage is recorded.
    usage: Option<Arc<UsageBits>>,
}

/// A credential's permissions: the part that role edits change.
#[derive(Clone, Copy, Default)]
pub(crate) struct Perm {
    /// Index into [`Authorizer::sets`].
    set: u32,
    enabled: bool,
}

/// A role as compiled: its grants and the actions they permit.
#[derive(Clone)]
pub(crate) struct CompiledRole {
    role: Role,
    set: ActionSet,
}

/// A compiled snapshot of a [`Policy`] that answers authorization requests.
///
/// Each credential's permissions, the union of its roles' actions, are
/// computed once when the authorizer is compiled. Credentials that end up
/// with the same permissions share one [`ActionSet`], so memory follows the
/// number of distinct permission sets rather than the number of credentials.
///
/// An `Authorizer` is immutable, `Send` and `Sync`: share it between threads
/// behind an [`Arc`]. [`authorize`](Self::authorize) and
/// [`is_allowed`](Self::is_allowed) never fail, never panic, never allocate
/// and take no lock: unknown input is denied, with a reason.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Decision, DenyReason, Grants, Policy};
///
/// let catalog = ActionCatalog::builder()
///     .actions("Client", ["GetClients", "DeleteClient"])
///     .build()?;
/// let mut policy = Policy::new(catalog);
/// let reader = policy.create_role("Reader", Grants::new().action("GetClients"))?;
/// let _secret = policy.create_credential("crm")?;
/// policy.assign_role("crm", reader)?;
/// let authorizer = policy.compile();
///
/// assert_eq!(authorizer.authorize("crm", "GetClients"), Decision::Allowed);
/// assert_eq!(
///     authorizer.authorize("crm", "DeleteClient"),
///     Decision::Denied(DenyReason::NotPermitted)
/// );
/// assert_eq!(
///     authorizer.authorize("crm", "DropDatabase"),
///     Decision::Denied(DenyReason::UnknownAction)
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Authorizer {
    catalog: Arc<ActionCatalog>,
    /// The policy revision this snapshot was compiled at.
    revision: u64,
    /// Credential identifier to slot.
    index: Arc<NameIndex>,
    /// Credentials by slot; `None` where one was deleted.
    entries: Chunked<Option<CompiledCredential>>,
    /// Secrets, expiry and networks by slot; read only by the request gate.
    auth: Chunked<CompiledAuth>,
    /// Distinct permission sets; credentials point into it.
    sets: Chunked<ActionSet>,
    /// Distinct lists of roles; credentials point into it.
    combos: Chunked<RoleList>,
    /// The roles as compiled, for explanations and reverse queries.
    roles: Arc<HashMap<RoleId, Arc<CompiledRole>>>,
    global_networks: Option<NetworkList>,
    /// The policy's clock, for requests that carry no time.
    clock: Arc<dyn Clock>,
    /// Sees decisions made through a [`SharedAuthorizer`](crate::SharedAuthorizer).
    observer: Option<Arc<dyn DecisionObserver>>,
    /// Whether credentials carry usage records.
    tracks_usage: bool,
}

/// A credential resolved once, for example per connection, and checked
/// with [`Authorizer::authorize_resolved`] at the cost of a bit test.
///
/// A handle stays correct across snapshots: if the credential moved or was
/// deleted, the check falls back to a lookup by identifier.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Decision, Grants, Policy};
///
/// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
/// let x = catalog.handle("X").ok_or("missing")?;
/// let mut policy = Policy::new(catalog);
/// let all = policy.create_role("All", Grants::all_actions())?;
/// let _secret = policy.create_credential("key")?;
/// policy.assign_role("key", all)?;
/// let authorizer = policy.compile();
/// let key = authorizer.credential_handle("key").ok_or("unknown")?;
/// assert_eq!(authorizer.authorize_resolved(&key, x), Decision::Allowed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialHandle {
    slot: u32,
    id: CredentialId,
}

impl CredentialHandle {
    /// Returns the credential's identifier.
    ///
    /// # Example
    ///
    /// See [`CredentialHandle`].
    pub fn id(&self) -> &CredentialId {
        &self.id
    }
}

/// A decision with the credential and action it was made for.
pub(crate) struct Traced<'a> {
    pub(crate) decision: Decision,
    entry: Option<&'a CompiledCredential>,
    action: Option<ActionId>,
}

impl Authorizer {
    /// Compiles `policy`. [`Policy::compile`] is the usual way to call it.
    pub(crate) fn compile(policy: &Policy) -> Self {
        Compiler::full(policy, false, None, None).into_snapshot()
    }

    /// Returns the policy revision this snapshot was compiled at.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// policy.create_role("One", Grants::new())?;
    /// assert_eq!(policy.compile().revision(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Returns the catalog the authorizer was compiled against.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let policy = Policy::new(ActionCatalog::builder().actions("A", ["X"]).build()?);
    /// assert_eq!(policy.compile().catalog().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn catalog(&self) -> &Arc<ActionCatalog> {
        &self.catalog
    }

    /// Returns the number of credentials.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("a")?;
    /// assert_eq!(policy.compile().credential_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credential_count(&self) -> usize {
        self.live().count()
    }

    /// Returns the identifiers of every credential, in identifier order.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let _secret = policy.create_credential("b")?;
    /// let _secret = policy.create_credential("a")?;
    /// let authorizer = policy.compile();
    /// let ids: Vec<&str> = authorizer.credential_ids().map(|id| id.as_str()).collect();
    /// assert_eq!(ids, ["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credential_ids(&self) -> impl Iterator<Item = &CredentialId> + '_ {
        let mut ids: Vec<&CredentialId> = self.live().map(|(entry, _)| &entry.id).collect();
        ids.sort_unstable();
        ids.into_iter()
    }

    /// The credentials with their permissions, in slot order.
    fn live(&self) -> impl Iterator<Item = (&CompiledCredential, Perm)> + '_ {
        self.entries
            .iter()
            .flatten()
            .map(|entry| (entry, entry.perm))
    }

    /// Returns the number of distinct permission sets the credentials share.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X"]).build()?);
    /// let all = policy.create_role("All", Grants::all_actions())?;
    /// for i in 0..100 {
    ///     let id = format!("key-{i}");
    ///     let _secret = policy.create_credential(&id)?;
    ///     policy.assign_role(&id, all)?;
    /// }
    /// // The empty set, and the set of every action.
    /// assert_eq!(policy.compile().distinct_permission_sets(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn distinct_permission_sets(&self) -> usize {
        self.sets.len()
    }

    /// Returns the slot of `credential`.
    #[inline]
    pub(crate) fn position(&self, credential: &str) -> Option<usize> {
        let name_at = |p: u32| {
            self.entries
                .get(p as usize)
                .and_then(Option::as_ref)
                .map_or("", |e| e.id.as_str())
        };
        self.index.get(credential, name_at).map(|pos| pos as usize)
    }

    #[inline]
    fn slot(&self, pos: usize) -> Option<&CompiledCredential> {
        self.entries.get(pos).and_then(Option::as_ref)
    }

    /// The roles a compiled credential holds, in order.
    pub(crate) fn roles_of_entry(&self, entry: &CompiledCredential) -> &[RoleId] {
        self.combos
            .get(entry.combo as usize)
            .map_or(&[], |roles| roles.as_slice())
    }

    #[inline]
    pub(crate) fn entry(&self, credential: &str) -> Option<&CompiledCredential> {
        self.slot(self.position(credential)?)
    }

    pub(crate) fn auth(&self, pos: usize) -> Option<&CompiledAuth> {
        self.auth.get(pos)
    }

    pub(crate) fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }

    pub(crate) fn global_networks(&self) -> Option<&NetworkList> {
        self.global_networks.as_ref()
    }

    pub(crate) fn is_enabled_at(&self, pos: usize) -> bool {
        self.slot(pos).is_some_and(|entry| entry.perm.enabled)
    }

    /// The permission step of the gate for the credential at `pos`.
    #[inline]
    pub(crate) fn permission_at(&self, pos: usize, action: &str) -> Decision {
        let Some(entry) = self.slot(pos) else {
            return Decision::Denied(DenyReason::UnknownCredential);
        };
        self.permission(entry.perm, self.catalog.action_id(action))
    }

    #[inline]
    fn permission(&self, perm: Perm, action: Option<ActionId>) -> Decision {
        let Some(action) = action else {
            return Decision::Denied(DenyReason::UnknownAction);
        };
        let set = self.sets.get(perm.set as usize);
        if set.is_some_and(|set| set.contains(action)) {
            Decision::Allowed
        } else {
            Decision::Denied(DenyReason::NotPermitted)
        }
    }

    #[inline]
    fn decide(&self, credential: &str, action: impl FnOnce() -> Option<ActionId>) -> Decision {
        self.trace(credential, action).decision
    }

    /// Decides, and keeps what hooks need: the credential and the action.
    #[inline]
    pub(crate) fn trace(
        &self,
        credential: &str,
        action: impl FnOnce() -> Option<ActionId>,
    ) -> Traced<'_> {
        let Some(entry) = self.entry(credential) else {
            let decision = Decision::Denied(DenyReason::UnknownCredential);
            return Traced {
                decision,
                entry: None,
                action: None,
            };
        };
        let perm = entry.perm;
        if !perm.enabled {
            let decision = Decision::Denied(DenyReason::CredentialDisabled);
            return Traced {
                decision,
                entry: Some(entry),
                action: None,
            };
        }
        let action = action();
        let decision = self.permission(perm, action);
        Traced {
            decision,
            entry: Some(entry),
            action,
        }
    }

    /// Records a traced decision's use and tells the observer, if any.
    pub(crate) fn after(&self, traced: &Traced<'_>, credential: &str, action: &str) {
        let (Some(entry), true) = (traced.entry, traced.decision.is_allowed()) else {
            return self.notify(traced, credential, action);
        };
        if let (Some(usage), Some(id)) = (&entry.usage, traced.action) {
            usage.record(id);
        }
        self.notify(traced, credential, action);
    }

    fn notify(&self, traced: &Traced<'_>, credential: &str, action: &str) {
        let Some(observer) = &self.observer else {
            return;
        };
        let granted_by = traced.entry.zip(traced.action).and_then(|(entry, id)| {
            let roles = self.roles_of_entry(entry).iter();
            roles
                .copied()
                .find(|role| self.roles.get(role).is_some_and(|r| r.set.contains(id)))
        });
        let granted_by = granted_by.filter(|_| traced.decision.is_allowed());
        observer.observe(&DecisionEvent {
            credential,
            action,
            decision: traced.decision,
            granted_by,
            revision: self.revision,
        });
    }

    pub(crate) fn observer(&self) -> Option<Arc<dyn DecisionObserver>> {
        self.observer.clone()
    }

    /// Returns whether decisions need [`after`](Self::after).
    #[inline]
    pub(crate) fn has_hooks(&self) -> bool {
        self.observer.is_some() || self.tracks_usage
    }

    /// Decides whether `credential` may call `action`, on permissions alone.
    ///
    /// This is the fast path for hosts that have authenticated the request
    /// already: it checks that the credential exists and is enabled and that
    /// one of its roles permits the action. It does not look at secrets,
    /// expiry or client networks; [`check`](Self::check) judges the whole
    /// request.
    ///
    /// The action name is compared under the catalog's
    /// [`NameMatching`](crate::NameMatching) rule; the credential identifier
    /// is compared exactly.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Decision, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X"]).build()?);
    /// let all = policy.create_role("All", Grants::all_actions())?;
    /// let _secret = policy.create_credential("key")?;
    /// policy.assign_role("key", all)?;
    /// assert_eq!(policy.compile().authorize("key", "X"), Decision::Allowed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn authorize(&self, credential: &str, action: &str) -> Decision {
        self.decide(credential, || self.catalog.action_id(action))
    }

    /// Decides whether `credential` may call the action behind `handle`.
    ///
    /// A handle from a catalog of another lineage is an unknown action.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Decision, Grants, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let x = catalog.handle("X").ok_or("missing")?;
    /// let mut policy = Policy::new(catalog);
    /// let all = policy.create_role("All", Grants::all_actions())?;
    /// let _secret = policy.create_credential("key")?;
    /// policy.assign_role("key", all)?;
    /// assert_eq!(policy.compile().authorize_handle("key", x), Decision::Allowed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn authorize_handle(&self, credential: &str, handle: ActionHandle) -> Decision {
        self.decide(credential, || self.catalog.resolve_handle(handle))
    }

    /// Resolves a credential once, for repeated checks with
    /// [`authorize_resolved`](Self::authorize_resolved).
    ///
    /// # Example
    ///
    /// See [`CredentialHandle`].
    pub fn credential_handle(&self, credential: &str) -> Option<CredentialHandle> {
        let slot = self.position(credential)?;
        let entry = self.slot(slot)?;
        Some(CredentialHandle {
            slot: slot as u32,
            id: entry.id.clone(),
        })
    }

    /// Decides whether the resolved credential may call the resolved action:
    /// the same answer as [`authorize`](Self::authorize), without hashing.
    ///
    /// # Example
    ///
    /// See [`CredentialHandle`].
    #[inline]
    pub fn authorize_resolved(
        &self,
        credential: &CredentialHandle,
        action: ActionHandle,
    ) -> Decision {
        let entry = match self.slot(credential.slot as usize) {
            Some(entry) if entry.id.same_allocation(&credential.id) => entry,
            _ => return self.authorize_handle(credential.id.as_str(), action),
        };
        if !entry.perm.enabled {
            return Decision::Denied(DenyReason::CredentialDisabled);
        }
        self.permission(entry.perm, self.catalog.resolve_handle(action))
    }

    /// Returns whether `credential` may call `action`: the same as
    /// [`authorize`](Self::authorize), without the reason.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let policy = Policy::new(ActionCatalog::builder().actions("A", ["X"]).build()?);
    /// assert!(!policy.compile().is_allowed("nobody", "X"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_allowed(&self, credential: &str, action: &str) -> bool {
        self.authorize(credential, action).is_allowed()
    }

    /// Returns whether `credential` may call the action behind `handle`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let x = catalog.handle("X").ok_or("missing")?;
    /// assert!(!Policy::new(catalog).compile().is_allowed_handle("nobody", x));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_allowed_handle(&self, credential: &str, handle: ActionHandle) -> bool {
        self.authorize_handle(credential, handle).is_allowed()
    }

    /// Returns every action `credential` may call: exactly the actions for
    /// which [`authorize`](Self::authorize) allows it. An unknown or disabled
    /// credential gets the empty set.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("Billing", ["A", "B", "C"]).build()?;
    /// let mut policy = Policy::new(catalog);
    /// let role = policy.create_role("Most", Grants::new().category("Billing").except("B"))?;
    /// let _secret = policy.create_credential("key")?;
    /// policy.assign_role("key", role)?;
    /// let authorizer = policy.compile();
    /// let names: Vec<&str> = authorizer
    ///     .permitted_actions("key")
    ///     .iter()
    ///     .filter_map(|id| authorizer.catalog().action_name(id))
    ///     .map(|name| name.as_str())
    ///     .collect();
    /// assert_eq!(names, ["A", "C"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn permitted_actions(&self, credential: &str) -> ActionSet {
        let perm = self.entry(credential).map(|entry| entry.perm);
        match perm {
            Some(perm) if perm.enabled => self
                .sets
                .get(perm.set as usize)
                .cloned()
                .unwrap_or_default(),
            _ => ActionSet::new(),
        }
    }

    /// Explains the decision for `credential` and `action`: every role of the
    /// credential that grants the action and how, and every role whose
    /// exception removes it.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, GrantKind, Grants, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// let mut policy = Policy::new(catalog);
    /// let admin = policy.create_role("Admin", Grants::all_actions())?;
    /// let clerk = policy.create_role("Clerk", Grants::new().action("AddCredit"))?;
    /// let _secret = policy.create_credential("key")?;
    /// policy.assign_role("key", admin)?;
    /// policy.assign_role("key", clerk)?;
    /// let explanation = policy.compile().explain("key", "AddCredit");
    /// let kinds: Vec<&GrantKind> = explanation.grants().iter().map(|g| g.kind()).collect();
    /// assert_eq!(kinds, [&GrantKind::All, &GrantKind::Action]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self, credential: &str, action: &str) -> Explanation {
        let decision = self.authorize(credential, action);
        let mut explanation = Explanation {
            decision,
            grants: Vec::new(),
            excepted_by: Vec::new(),
        };
        let (Some(entry), Some(id)) = (self.entry(credential), self.catalog.action_id(action))
        else {
            return explanation;
        };

        let held = self.roles_of_entry(entry);
        for role in held.iter().filter_map(|role| self.roles.get(role)) {
            let role = &role.role;
            match self.grant_kind(role, id) {
                Ok(Some(kind)) => explanation.grants.push(RoleGrant {
                    role: role.id(),
                    role_name: role.name().clone(),
                    kind,
                }),
                Ok(None) => {}
                Err(Excepted) => explanation.excepted_by.push(role.id()),
            }
        }
        explanation
    }

    /// Returns how `role` grants `action`, if it does.
    fn grant_kind(&self, role: &Role, action: ActionId) -> Result<Option<GrantKind>, Excepted> {
        let (Some(name), Some(category)) = (
            self.catalog.action_name(action),
            self.catalog.action_category(action),
        ) else {
            return Ok(None);
        };
        let grants = role.grants();
        let kind = if grants.action_names().any(|n| n == name.as_str()) {
            GrantKind::Action
        } else if grants.category_names().any(|c| c == category.as_str()) {
            GrantKind::Category(category.clone())
        } else if grants.is_all() {
            GrantKind::All
        } else {
            return Ok(None);
        };
        if grants.exception_names().any(|n| n == name.as_str()) {
            return Err(Excepted);
        }
        Ok(Some(kind))
    }
}

/// A role's exception removes the action it would otherwise grant.
struct Excepted;

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("catalog", &self.catalog)
            .field("revision", &self.revision)
            .field("credentials", &self.credential_count())
            .field("roles", &self.roles.len())
            .field("distinct_permission_sets", &self.sets.len())
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogBuilder;
    use crate::name::NameMatching;
    use crate::role::Grants;

    fn policy() -> Policy {
        crate::policy::tests::policy(NameMatching::AsciiCaseInsensitive)
    }

    #[test]
    fn reasons_come_in_order() {
        let mut policy = policy();
        let billing = policy
            .create_role("Billing", Grants::new().category("Billing"))
            .unwrap();
        let _secret = policy.create_credential("on").unwrap();
        let _secret = policy.create_credential("off").unwrap();
        policy.assign_role("on", billing).unwrap();
        policy.disable_credential("off").unwrap();
        let auth = policy.compile();
        let denied = Decision::Denied;
        assert_eq!(
            auth.authorize("nobody", "nothing"),
            denied(DenyReason::UnknownCredential)
        );
        assert_eq!(
            auth.authorize("off", "nothing"),
            denied(DenyReason::CredentialDisabled)
        );
        assert_eq!(
            auth.authorize("on", "nothing"),
            denied(DenyReason::UnknownAction)
        );
        assert_eq!(
            auth.authorize("on", "GetClients"),
            denied(DenyReason::NotPermitted)
        );
        assert_eq!(auth.authorize("on", "addcredit"), Decision::Allowed);
        assert_eq!(
            auth.authorize("ON", "AddCredit"),
            denied(DenyReason::UnknownCredential)
        );
    }

    #[test]
    fn equal_permissions_share_a_set() {
        let mut policy = policy();
        let a = policy
            .create_role("A", Grants::new().category("Billing"))
            .unwrap();
        let b = policy.create_role("B", Grants::new().actions(["AddCredit", "RefundPayment"]));
        let b = b.unwrap();
        for (i, role) in [a, b, a, b].into_iter().enumerate() {
            let id = format!("k{i}");
            let _secret = policy.create_credential(&id).unwrap();
            policy.assign_role(&id, role).unwrap();
        }
        assert_eq!(policy.compile().distinct_permission_sets(), 2);
    }

    #[test]
    fn foreign_handles_deny() {
        let mut policy = policy();
        let all = policy.create_role("All", Grants::all_actions()).unwrap();
        let _secret = policy.create_credential("k").unwrap();
        policy.assign_role("k", all).unwrap();
        let foreign = CatalogBuilder::new()
            .action("A", "AddCredit")
            .build()
            .unwrap();
        let handle = foreign.handle("AddCredit").unwrap();
        let auth = policy.compile();
        assert_eq!(
            auth.authorize_handle("k", handle),
            Decision::Denied(DenyReason::UnknownAction)
        );
        let own = auth.catalog().handle("AddCredit").unwrap();
        assert_eq!(auth.authorize_handle("k", own), Decision::Allowed);
    }

    #[test]
    fn explain_lists_grants_and_exceptions() {
        let mut policy = policy();
        let all = policy
            .create_role("All", Grants::all_actions().except("RefundPayment"))
            .unwrap();
        let billing = policy
            .create_role("Billing", Grants::new().category("Billing"))
            .unwrap();
        let _secret = policy.create_credential("k").unwrap();
        policy.assign_role("k", all).unwrap();
        policy.assign_role("k", billing).unwrap();
        let auth = policy.compile();
        let explanation = auth.explain("k", "refundpayment");
        assert!(explanation.decision().is_allowed());
        assert_eq!(explanation.excepted_by(), [all]);
        assert_eq!(explanation.grants().len(), 1);
        assert_eq!(explanation.grants()[0].role(), billing);
        assert!(auth.explain("k", "Unknown").grants().is_empty());
    }
}
