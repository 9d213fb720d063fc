//! [`Role`], [`RoleId`] and [`Grants`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::action_set::ActionSet;
use crate::catalog::ActionCatalog;
use crate::error::PolicyError;
use crate::name::{ActionName, CategoryName, RoleName};

/// The id of a role in a [`Policy`](crate::Policy).
///
/// Ids are given in increasing order and never reused, even after the role is
/// deleted, so a stale id can never point at another role.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, Policy};
///
/// let mut policy = Policy::new(ActionCatalog::builder().build()?);
/// let first = policy.create_role("First", Grants::new())?;
/// policy.delete_role(first)?;
/// let second = policy.create_role("First", Grants::new())?;
/// assert_ne!(first, second);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleId(u64);

impl RoleId {
    /// Wraps a raw id, as read back from storage.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::RoleId::new(7).get(), 7);
    /// ```
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// Returns the raw id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::RoleId::new(7).get(), 7);
    /// ```
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RoleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a role permits, kept by name and kind rather than as bits.
///
/// A role permits its explicit actions, every action of its categories, and,
/// with [`all`](Self::all), every action of the catalog, minus its exceptions.
/// Category and all-action grants cover actions the catalog gains later. An
/// empty `Grants` permits nothing.
///
/// Names are checked against the catalog when the grants are given to a
/// [`Policy`](crate::Policy), which stores them in the catalog's spelling.
///
/// # Example
///
/// ```
/// use api_roles::Grants;
///
/// // All of Billing, and GetClients, except refunds.
/// let grants = Grants::new()
///     .category("Billing")
///     .action("GetClients")
///     .except("RefundPayment");
/// assert_eq!(grants.exception_names().collect::<Vec<_>>(), ["RefundPayment"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct Grants {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    categories: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    all: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    except: Vec<String>,
}

impl Grants {
    /// Creates grants that permit nothing.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::Grants::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates grants that permit every action, now and later.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::Grants::all_actions().is_all());
    /// ```
    pub fn all_actions() -> Self {
        Self::new().all()
    }

    /// Adds one action.
    ///
    /// # Example
    ///
    /// ```
    /// let grants = api_roles::Grants::new().action("GetClients");
    /// assert_eq!(grants.action_names().collect::<Vec<_>>(), ["GetClients"]);
    /// ```
    pub fn action(mut self, name: impl Into<String>) -> Self {
        self.actions.push(name.into());
        self
    }

    /// Adds several actions.
    ///
    /// # Example
    ///
    /// ```
    /// let grants = api_roles::Grants::new().actions(["GetClients", "GetInvoices"]);
    /// assert_eq!(grants.action_names().count(), 2);
    /// ```
    pub fn actions<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.actions.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds a whole category, including actions it gains later.
    ///
    /// # Example
    ///
    /// ```
    /// let grants = api_roles::Grants::new().category("Billing");
    /// assert_eq!(grants.category_names().collect::<Vec<_>>(), ["Billing"]);
    /// ```
    pub fn category(mut self, name: impl Into<String>) -> Self {
        self.categories.push(name.into());
        self
    }

    /// Adds every action of the catalog, including actions it gains later.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::Grants::new().all().is_all());
    /// ```
    pub fn all(mut self) -> Self {
        self.all = true;
        self
    }

    /// Removes an action from what the other grants permit. An exception always
    /// wins within its role; another role may still permit the action.
    ///
    /// # Example
    ///
    /// ```
    /// let grants = api_roles::Grants::new().category("Billing").except("RefundPayment");
    /// assert_eq!(grants.exception_names().count(), 1);
    /// ```
    pub fn except(mut self, name: impl Into<String>) -> Self {
        self.except.push(name.into());
        self
    }

    /// Returns the explicitly granted action names.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::Grants::new().action("X").action_names().count(), 1);
    /// ```
    pub fn action_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.actions.iter().map(String::as_str)
    }

    /// Returns the granted category names.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::Grants::new().category("C").category_names().count(), 1);
    /// ```
    pub fn category_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.categories.iter().map(String::as_str)
    }

    /// Returns whether every action is granted.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!api_roles::Grants::new().is_all());
    /// ```
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// Returns the names of the excepted actions.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::Grants::new().except("X").exception_names().count(), 1);
    /// ```
    pub fn exception_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.except.iter().map(String::as_str)
    }

    /// Returns whether the grants permit nothing because they name nothing.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::Grants::new().except("X").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.categories.is_empty() && !self.all
    }

    /// Checks every name against `catalog` and returns the grants in the
    /// catalog's spelling, with repeats removed.
    pub(crate) fn resolve(&self, catalog: &ActionCatalog) -> Result<Self, PolicyError> {
        let (grants, mut problems) = self.resolve_all(catalog);
        match problems.is_empty() {
            true => Ok(grants),
            false => Err(problems.swap_remove(0)),
        }
    }

    /// Resolves what it can and returns every problem, in document order;
    /// names with a problem are left out of the result.
    pub(crate) fn resolve_all(&self, catalog: &ActionCatalog) -> (Self, Vec<PolicyError>) {
        let mut problems = Vec::new();
        let grants = Self {
            actions: resolve_actions(catalog, &self.actions, "actions", &mut problems),
            categories: resolve_categories(catalog, &self.categories, &mut problems),
            all: self.all,
            except: resolve_actions(catalog, &self.except, "except", &mut problems),
        };
        (grants, problems)
    }

    /// Computes the actions these grants permit in `catalog`. Names the catalog
    /// does not hold permit nothing.
    pub(crate) fn effective(&self, catalog: &ActionCatalog) -> ActionSet {
        let mut set = if self.all {
            catalog.all_actions()
        } else {
            ActionSet::new()
        };
        set.extend(
            self.actions
                .iter()
                .filter_map(|name| catalog.action_id(name)),
        );
        for category in self
            .categories
            .iter()
            .filter_map(|name| catalog.category(name))
        {
            set.union_with(category.action_set());
        }
        for id in self
            .except
            .iter()
            .filter_map(|name| catalog.action_id(name))
        {
            set.remove(id);
        }
        set
    }
}

/// Resolves action names to their catalog spelling, in order, without
/// repeats; records a problem for each name that is invalid or unknown.
fn resolve_actions(
    catalog: &ActionCatalog,
    names: &[String],
    field: &str,
    problems: &mut Vec<PolicyError>,
) -> Vec<String> {
    let mut seen = ActionSet::new();
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let at = || format!("grants.{field}[{i}]");
        if let Err(source) = ActionName::new(name) {
            problems.push(PolicyError::InvalidGrant { at: at(), source });
            continue;
        }
        let Some(id) = catalog.action_id(name) else {
            let name = name.clone();
            problems.push(PolicyError::UnknownAction { name, at: at() });
            continue;
        };
        if seen.insert(id) {
            let canonical = catalog.action_name(id).map(ToString::to_string);
            out.push(canonical.unwrap_or_else(|| name.clone()));
        }
    }
    out
}

/// Resolves category names to their catalog spelling, in order, without
/// repeats; records a problem for each name that is invalid or unknown.
fn resolve_categories(
    catalog: &ActionCatalog,
    names: &[String],
    problems: &mut Vec<PolicyError>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let at = || format!("grants.categories[{i}]");
        if let Err(source) = CategoryName::new(name) {
            problems.push(PolicyError::InvalidGrant { at: at(), source });
            continue;
        }
        let Some(category) = catalog.category(name) else {
            let name = name.clone();
            problems.push(PolicyError::UnknownCategory { name, at: at() });
            continue;
        };
        let canonical = category.name().as_str();
        if !out.iter().any(|seen| seen == canonical) {
            out.push(canonical.to_owned());
        }
    }
    out
}

/// A role: a named set of grants that credentials are assigned.
///
/// Roles are made and changed through a [`Policy`](crate::Policy).
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, Policy};
///
/// let catalog = ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
/// let mut policy = Policy::new(catalog);
/// let id = policy.create_role("Billing clerk", Grants::new().category("Billing"))?;
/// policy.describe_role(id, Some("Keeps invoices in order"))?;
/// let role = policy.role(id).ok_or("missing")?;
/// assert_eq!(role.name().as_str(), "Billing clerk");
/// assert_eq!(role.description(), Some("Keeps invoices in order"));
/// assert_eq!(role.grants().category_names().collect::<Vec<_>>(), ["Billing"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub(crate) id: RoleId,
    pub(crate) name: RoleName,
    pub(crate) description: Option<String>,
    pub(crate) grants: Grants,
}

impl Role {
    /// Returns the role's id.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Empty", Grants::new())?;
    /// assert_eq!(policy.role(id).map(|r| r.id()), Some(id));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> RoleId {
        self.id
    }

    /// Returns the role's name.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Empty", Grants::new())?;
    /// assert_eq!(policy.role(id).map(|r| r.name().as_str()), Some("Empty"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &RoleName {
        &self.name
    }

    /// Returns the role's description, if it has one.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Empty", Grants::new())?;
    /// assert_eq!(policy.role(id).and_then(|r| r.description()), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Returns the role's grants, in the catalog's spelling.
    ///
    /// # Example
    ///
    /// ```
    /// # use api_roles::{ActionCatalog, Grants, Policy};
    /// # let mut policy = Policy::new(ActionCatalog::builder().build()?);
    /// let id = policy.create_role("Everything", Grants::all_actions())?;
    /// assert!(policy.role(id).is_some_and(|r| r.grants().is_all()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grants(&self) -> &Grants {
        &self.grants
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogBuilder;
    use crate::name::NameMatching;

    fn catalog(matching: NameMatching) -> ActionCatalog {
        CatalogBuilder::new()
            .name_matching(matching)
            .actions("Billing", ["AddCredit", "RefundPayment", "GetInvoices"])
            .actions("Client", ["GetClients"])
            .category("Later")
            .build()
            .unwrap()
    }

    fn names(catalog: &ActionCatalog, set: &ActionSet) -> Vec<String> {
        set.iter()
            .map(|id| catalog.action_name(id).unwrap().to_string())
            .collect()
    }

    #[test]
    fn effective_set_is_union_minus_exceptions() {
        let catalog = catalog(NameMatching::Exact);
        let grants = Grants::new()
            .category("Billing")
            .action("GetClients")
            .except("RefundPayment");
        let set = grants.effective(&catalog);
        assert_eq!(
            names(&catalog, &set),
            ["AddCredit", "GetInvoices", "GetClients"]
        );
        assert!(Grants::new().effective(&catalog).is_empty());
        assert!(
            Grants::new()
                .category("Later")
                .effective(&catalog)
                .is_empty()
        );
        let everything_but = Grants::all_actions()
            .except("GetClients")
            .effective(&catalog);
        assert_eq!(everything_but.len(), 3);
    }

    #[test]
    fn resolve_canonicalises_and_dedupes() {
        let catalog = catalog(NameMatching::AsciiCaseInsensitive);
        let grants = Grants::new()
            .actions(["getclients", "GetClients"])
            .category("billing")
            .except("refundpayment")
            .resolve(&catalog)
            .unwrap();
        assert_eq!(grants.action_names().collect::<Vec<_>>(), ["GetClients"]);
        assert_eq!(grants.category_names().collect::<Vec<_>>(), ["Billing"]);
        assert_eq!(
            grants.exception_names().collect::<Vec<_>>(),
            ["RefundPayment"]
        );
    }

    #[test]
    fn resolve_reports_locations() {
        let catalog = catalog(NameMatching::Exact);
        let err = Grants::new()
            .actions(["AddCredit", "GetClient"])
            .resolve(&catalog)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown action `GetClient` at grants.actions[1]: not in the catalog"
        );
        let err = Grants::new()
            .category("Nope")
            .resolve(&catalog)
            .unwrap_err();
        assert!(matches!(err, PolicyError::UnknownCategory { .. }));
        let err = Grants::new()
            .except("bad name")
            .resolve(&catalog)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("grants.except[0]: invalid action name")
        );
        let err = Grants::new()
            .action("getclients")
            .resolve(&catalog)
            .unwrap_err();
        assert!(
            matches!(err, PolicyError::UnknownAction { .. }),
            "exact rule holds"
        );
    }
}
