//! [`LeastPrivilegeReport`]: narrowing credentials to what they use.

use std::fmt;

use crate::action_set::ActionSet;
use crate::authorizer::Authorizer;
use crate::name::{ActionName, CredentialId};
use crate::policy::Policy;
use crate::role::{Grants, RoleId};

/// For each credential, what it holds but never used, and a narrower set of
/// roles that covers exactly what it used.
///
/// This is how operators move the full-access credentials made by
/// [`Policy::upgrade_legacy`] to narrow roles: record usage for a while, then
/// apply the proposals.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, Policy, Proposal, SharedAuthorizer, SharedOptions};
///
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients", "DeleteClient"]).build()?;
/// let mut policy = Policy::new(catalog);
/// let reader = policy.create_role("Reader", Grants::new().action("GetClients"))?;
/// let _secret = policy.create_credential("old-crm")?;
/// let _report = policy.upgrade_legacy()?;
///
/// let shared = SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));
/// assert!(shared.is_allowed("old-crm", "GetClients"));
///
/// let report = shared.least_privilege();
/// let advice = &report.credentials()[0];
/// assert_eq!(advice.unused()[0].as_str(), "DeleteClient");
/// assert_eq!(advice.proposal(), &Proposal::ExistingRoles(vec![reader]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeastPrivilegeReport {
    credentials: Vec<CredentialAdvice>,
}

/// One credential's line in a [`LeastPrivilegeReport`].
///
/// # Example
///
/// See [`LeastPrivilegeReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialAdvice {
    credential: CredentialId,
    used: Vec<ActionName>,
    unused: Vec<ActionName>,
    proposal: Proposal,
}

/// What a credential's roles could be narrowed to.
///
/// # Example
///
/// See [`LeastPrivilegeReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proposal {
    /// The credential used nothing: consider disabling it.
    NothingUsed,
    /// These existing roles together permit exactly what it used. Found
    /// greedily: small, though not always the smallest possible.
    ExistingRoles(Vec<RoleId>),
    /// No set of existing roles permits exactly what it used; a new role with
    /// these grants does.
    NewRole(Grants),
}

impl CredentialAdvice {
    /// Returns the credential.
    ///
    /// # Example
    ///
    /// See [`LeastPrivilegeReport`].
    pub fn credential(&self) -> &CredentialId {
        &self.credential
    }

    /// Returns the actions it holds and used, in catalog order.
    ///
    /// # Example
    ///
    /// See [`LeastPrivilegeReport`].
    pub fn used(&self) -> &[ActionName] {
        &self.used
    }

    /// Returns the actions it holds but never used, in catalog order.
    ///
    /// # Example
    ///
    /// See [`LeastPrivilegeReport`].
    pub fn unused(&self) -> &[ActionName] {
        &self.unused
    }

    /// Returns the proposed narrowing.
    ///
    /// # Example
    ///
    /// See [`LeastPrivilegeReport`].
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }
}

impl LeastPrivilegeReport {
    /// Returns one line per credential with recorded usage, in identifier
    /// order.
    ///
    /// # Example
    ///
    /// See [`LeastPrivilegeReport`].
    pub fn credentials(&self) -> &[CredentialAdvice] {
        &self.credentials
    }

    pub(crate) fn build(policy: &Policy, snapshot: &Authorizer) -> Self {
        let catalog = snapshot.catalog();
        let names = |set: &ActionSet| -> Vec<ActionName> {
            set.iter()
                .filter_map(|id| catalog.action_name(id).cloned())
                .collect()
        };
        let mut credentials = Vec::new();
        for id in snapshot.credential_ids() {
            let Some(recorded) = snapshot.used_actions(id.as_str()) else {
                continue;
            };
            let held = held_actions(snapshot, id.as_str());
            let used = &recorded & &held;
            let proposal = propose(policy, snapshot, &used, &names);
            credentials.push(CredentialAdvice {
                credential: id.clone(),
                used: names(&used),
                unused: names(&(&held - &used)),
                proposal,
            });
        }
        Self { credentials }
    }
}

/// The actions a credential's roles permit, whether or not it is enabled.
fn held_actions(snapshot: &Authorizer, credential: &str) -> ActionSet {
    let mut held = ActionSet::new();
    for role in snapshot.roles_of(credential).unwrap_or_default() {
        if let Some(set) = snapshot.role_actions(*role) {
            held.union_with(set);
        }
    }
    held
}

/// Covers `used` greedily with roles that permit nothing outside it, or
/// proposes a new role of exactly `used`.
fn propose(
    policy: &Policy,
    snapshot: &Authorizer,
    used: &ActionSet,
    names: &impl Fn(&ActionSet) -> Vec<ActionName>,
) -> Proposal {
    if used.is_empty() {
        return Proposal::NothingUsed;
    }
    let candidates: Vec<(RoleId, &ActionSet)> = policy
        .roles()
        .filter_map(|role| snapshot.role_actions(role.id()).map(|set| (role.id(), set)))
        .filter(|(_, set)| !set.is_empty() && set.is_subset(used))
        .collect();

    let mut covered = ActionSet::new();
    let mut chosen = Vec::new();
    while covered != *used {
        let best = candidates
            .iter()
            .map(|(id, set)| (*id, (*set - &covered).len(), *set))
            .filter(|(_, gain, _)| *gain > 0)
            .max_by_key(|(id, gain, _)| (*gain, std::cmp::Reverse(*id)));
        let Some((id, _, set)) = best else {
            let actions = names(used).into_iter().map(|name| name.to_string());
            return Proposal::NewRole(Grants::new().actions(actions));
        };
        covered.union_with(set);
        chosen.push(id);
    }
    chosen.sort_unstable();
    Proposal::ExistingRoles(chosen)
}

impl fmt::Display for LeastPrivilegeReport {
    /// One line per credential: what it used, what it holds unused, and the
    /// proposal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for advice in &self.credentials {
            write!(
                f,
                "{}: used {}, unused {}: ",
                advice.credential,
                advice.used.len(),
                advice.unused.len()
            )?;
            match &advice.proposal {
                Proposal::NothingUsed => writeln!(f, "used nothing; consider disabling it")?,
                Proposal::ExistingRoles(roles) => {
                    let roles: Vec<String> = roles.iter().map(ToString::to_string).collect();
                    writeln!(f, "narrow to roles {}", roles.join(", "))?;
                }
                Proposal::NewRole(grants) => {
                    let actions: Vec<&str> = grants.action_names().collect();
                    writeln!(f, "narrow to a new role of {}", actions.join(", "))?;
                }
            }
        }
        Ok(())
    }
}
