//! Batch checks and reverse queries.

use super::Authorizer;
use crate::action_set::ActionSet;
use crate::decision::Decision;
use crate::name::CredentialId;
use crate::role::RoleId;

impl Authorizer {
    /// Decides many (credential, action) pairs against this one snapshot.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Decision, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X", "Y"]).build()?);
    /// let role = policy.create_role("X only", Grants::new().action("X"))?;
    /// let _secret = policy.create_credential("k")?;
    /// policy.assign_role("k", role)?;
    /// let decisions = policy.compile().authorize_batch([("k", "X"), ("k", "Y")]);
    /// assert_eq!(decisions[0], Decision::Allowed);
    /// assert!(!decisions[1].is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorize_batch<'a, I>(&self, requests: I) -> Vec<Decision>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        requests
            .into_iter()
            .map(|(credential, action)| self.authorize(credential, action))
            .collect()
    }

    /// Returns every credential that [`authorize`](Self::authorize) allows to
    /// call `action`, in identifier order. An unknown action gives none.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X", "Y"]).build()?);
    /// let role = policy.create_role("X only", Grants::new().action("X"))?;
    /// for id in ["a", "b", "c"] {
    ///     let _secret = policy.create_credential(id)?;
    /// }
    /// policy.assign_role("a", role)?;
    /// policy.assign_role("c", role)?;
    /// policy.disable_credential("c")?;
    /// let authorizer = policy.compile();
    /// let who: Vec<&str> = authorizer.credentials_permitted("X").iter().map(|id| id.as_str()).collect();
    /// assert_eq!(who, ["a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials_permitted(&self, action: &str) -> Vec<&CredentialId> {
        let Some(action) = self.catalog.action_id(action) else {
            return Vec::new();
        };
        let holding: Vec<bool> = self.sets.iter().map(|set| set.contains(action)).collect();
        let mut ids: Vec<&CredentialId> = self
            .live()
            .filter(|(_, perm)| perm.enabled && holding.get(perm.set as usize) == Some(&true))
            .map(|(entry, _)| &entry.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Returns every role whose grants permit `action`, in id order.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X", "Y"]).build()?);
    /// let all = policy.create_role("All", Grants::all_actions())?;
    /// let _y = policy.create_role("Y only", Grants::new().action("Y"))?;
    /// assert_eq!(policy.compile().roles_granting("X"), [all]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roles_granting(&self, action: &str) -> Vec<RoleId> {
        let Some(action) = self.catalog.action_id(action) else {
            return Vec::new();
        };
        let mut ids: Vec<RoleId> = self
            .roles
            .iter()
            .filter(|(_, role)| role.set.contains(action))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Returns the actions a role's grants permit in this snapshot's
    /// catalog, or `None` for an unknown role.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, Policy};
    ///
    /// let mut policy = Policy::new(ActionCatalog::builder().actions("A", ["X", "Y"]).build()?);
    /// let all = policy.create_role("All", Grants::all_actions().except("Y"))?;
    /// assert_eq!(policy.compile().role_actions(all).map(|set| set.len()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn role_actions(&self, role: RoleId) -> Option<&ActionSet> {
        self.roles.get(&role).map(|role| &role.set)
    }

    /// Returns the roles a credential holds, in assignment order.
    pub(crate) fn roles_of(&self, credential: &str) -> Option<&[RoleId]> {
        self.entry(credential)
            .map(|entry| self.roles_of_entry(entry))
    }

    /// Returns the actions the credential used since usage recording began,
    /// or `None` when usage is not recorded for it.
    pub(crate) fn used_actions(&self, credential: &str) -> Option<ActionSet> {
        self.entry(credential)?
            .usage
            .as_ref()
            .map(|usage| usage.to_set())
    }

    /// Forgets every recorded use.
    pub(crate) fn clear_usage(&self) {
        for usage in self.live().filter_map(|(entry, _)| entry.usage.as_ref()) {
            usage.clear();
        }
    }
}
