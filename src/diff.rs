//! [`AccessDiff`]: who gains and who loses which actions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::authorizer::Authorizer;
use crate::name::{ActionName, CredentialId};

/// The change in access between two compiled policies, for an operator to
/// review before applying a policy edit or a new catalog.
///
/// Actions are compared by name, so the two sides may use different catalogs.
/// A credential that exists on one side only gains or loses everything it
/// may do there. Access is what [`Authorizer::authorize`] allows: a disabled
/// credential may do nothing.
///
/// # Example
///
/// ```
/// use api_roles::{AccessDiff, ActionCatalog, Grants, Policy};
///
/// let catalog = ActionCatalog::builder().actions("Billing", ["AddCredit", "CreateInvoice"]).build()?;
/// let mut policy = Policy::new(catalog);
/// let clerk = policy.create_role("Clerk", Grants::new().action("CreateInvoice"))?;
/// let _secret = policy.create_credential("app")?;
/// policy.assign_role("app", clerk)?;
/// let before = policy.compile();
///
/// policy.set_grants(clerk, Grants::new().category("Billing"))?;
/// let diff = AccessDiff::between(&before, &policy.compile());
/// let change = &diff.changes()[0];
/// assert_eq!(change.credential().as_str(), "app");
/// assert_eq!(change.gained()[0].as_str(), "AddCredit");
/// assert!(change.lost().is_empty());
/// assert_eq!(diff.to_string(), "app: +AddCredit\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessDiff {
    changes: Vec<AccessChange>,
}

/// One credential's line in an [`AccessDiff`].
///
/// # Example
///
/// See [`AccessDiff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessChange {
    credential: CredentialId,
    gained: Vec<ActionName>,
    lost: Vec<ActionName>,
}

impl AccessChange {
    /// Returns the credential.
    ///
    /// # Example
    ///
    /// See [`AccessDiff`].
    pub fn credential(&self) -> &CredentialId {
        &self.credential
    }

    /// Returns the actions the credential may newly call, by name.
    ///
    /// # Example
    ///
    /// See [`AccessDiff`].
    pub fn gained(&self) -> &[ActionName] {
        &self.gained
    }

    /// Returns the actions the credential may no longer call, by name.
    ///
    /// # Example
    ///
    /// See [`AccessDiff`].
    pub fn lost(&self) -> &[ActionName] {
        &self.lost
    }
}

impl AccessDiff {
    /// Compares what every credential may do in `before` and in `after`.
    ///
    /// # Example
    ///
    /// See [`AccessDiff`].
    pub fn between(before: &Authorizer, after: &Authorizer) -> Self {
        let old = access(before);
        let new = access(after);
        let ids: BTreeSet<&CredentialId> = old.keys().chain(new.keys()).copied().collect();
        let empty = BTreeSet::new();
        let changes = ids
            .into_iter()
            .filter_map(|id| {
                let was = old.get(id).unwrap_or(&empty);
                let is = new.get(id).unwrap_or(&empty);
                let gained: Vec<ActionName> = is.difference(was).map(|&n| n.clone()).collect();
                let lost: Vec<ActionName> = was.difference(is).map(|&n| n.clone()).collect();
                let changed = !gained.is_empty() || !lost.is_empty();
                changed.then(|| AccessChange {
                    credential: id.clone(),
                    gained,
                    lost,
                })
            })
            .collect();
        Self { changes }
    }

    /// Returns the credentials whose access changes, in identifier order.
    ///
    /// # Example
    ///
    /// See [`AccessDiff`].
    pub fn changes(&self) -> &[AccessChange] {
        &self.changes
    }

    /// Returns whether no credential's access changes.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{AccessDiff, ActionCatalog, Policy};
    ///
    /// let authorizer = Policy::new(ActionCatalog::builder().build()?).compile();
    /// assert!(AccessDiff::between(&authorizer, &authorizer).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Every credential's permitted actions, by name.
fn access(authorizer: &Authorizer) -> BTreeMap<&CredentialId, BTreeSet<&ActionName>> {
    let catalog = authorizer.catalog();
    authorizer
        .credential_ids()
        .map(|id| {
            let names = authorizer
                .permitted_actions(id.as_str())
                .iter()
                .filter_map(|action| catalog.action_name(action))
                .collect();
            (id, names)
        })
        .collect()
}

impl fmt::Display for AccessDiff {
    /// One line per credential: `id: +Gained -Lost`, sorted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            write!(f, "{}:", change.credential)?;
            for name in &change.gained {
                write!(f, " +{name}")?;
            }
            for name in &change.lost {
                write!(f, " -{name}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
