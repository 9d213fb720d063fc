//! [`CatalogBuilder`]: builds and extends [`ActionCatalog`]s.

use super::{ActionCatalog, ActionEntry, ActionId, CategoryEntry, MAX_ACTIONS};
use crate::action_set::ActionSet;
use crate::error::CatalogError;
use crate::name::{ActionName, CategoryName, NameMatching};

/// One step recorded by the builder, checked when it builds.
#[derive(Debug, Clone)]
enum Item {
    Category {
        name: String,
        at: String,
    },
    Action {
        category: String,
        action: String,
        at: String,
    },
}

/// Builds an [`ActionCatalog`], or extends one.
///
/// The builder records categories and actions in order and checks them all in
/// [`build`](Self::build): names, duplicates and limits. Actions get ids in the
/// order they are added; categories keep the order they are first named in.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, NameMatching};
///
/// let catalog = ActionCatalog::builder()
///     .name_matching(NameMatching::AsciiCaseInsensitive)
///     .actions("Client", ["GetClients", "AddClient"])
///     .action("Billing", "AddCredit")
///     .build()?;
/// assert_eq!(catalog.len(), 3);
///
/// let err = ActionCatalog::builder()
///     .name_matching(NameMatching::AsciiCaseInsensitive)
///     .action("Client", "GetClients")
///     .action("Billing", "getclients")
///     .build()
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "duplicate action `getclients` in category `Billing`: already in category `Client`"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CatalogBuilder {
    base: Option<ActionCatalog>,
    matching: Option<NameMatching>,
    items: Vec<Item>,
    actions_added: usize,
    categories_added: usize,
}

impl CatalogBuilder {
    /// Starts an empty catalog with [`NameMatching::Exact`].
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::CatalogBuilder::new().build()?;
    /// assert!(catalog.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn extending(base: ActionCatalog) -> Self {
        Self {
            base: Some(base),
            ..Self::default()
        }
    }

    /// Sets the rule by which names are compared.
    ///
    /// An extension keeps its base catalog's rule; asking it for another is an
    /// error when it builds.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, NameMatching};
    ///
    /// let catalog = ActionCatalog::builder()
    ///     .name_matching(NameMatching::AsciiCaseInsensitive)
    ///     .build()?;
    /// assert_eq!(catalog.name_matching(), NameMatching::AsciiCaseInsensitive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name_matching(mut self, matching: NameMatching) -> Self {
        self.matching = Some(matching);
        self
    }

    /// Adds a category, with no action yet. Naming a category that exists is
    /// not an error.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().category("Billing").build()?;
    /// assert!(catalog.category("Billing").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn category(mut self, name: impl Into<String>) -> Self {
        let at = format!("categories[{}]", self.categories_added);
        self.categories_added += 1;
        self.items.push(Item::Category {
            name: name.into(),
            at,
        });
        self
    }

    /// Adds an action to a category, creating the category if needed.
    ///
    /// When the builder extends a catalog, an action the catalog already holds
    /// in the same category is kept as it is, so a newer full list of actions
    /// can be applied to an older catalog.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().action("Billing", "AddCredit").build()?;
    /// assert!(catalog.action_id("AddCredit").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action(mut self, category: impl Into<String>, action: impl Into<String>) -> Self {
        let at = format!("actions[{}]", self.actions_added);
        self.actions_added += 1;
        self.items.push(Item::Action {
            category: category.into(),
            action: action.into(),
            at,
        });
        self
    }

    /// Adds several actions to one category.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder()
    ///     .actions("Billing", ["AddCredit", "ApplyCredit"])
    ///     .build()?;
    /// assert_eq!(catalog.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn actions<I>(mut self, category: &str, actions: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self = self.category(category);
        for action in actions {
            self = self.action(category, action);
        }
        self
    }

    /// The matching rule the built catalog will have, as far as known now.
    pub(super) fn declared_matching(&self) -> NameMatching {
        match (&self.base, self.matching) {
            (Some(base), _) => base.matching,
            (None, matching) => matching.unwrap_or_default(),
        }
    }

    /// Records an item that comes with its own location, as from a document.
    pub(super) fn push_located(&mut self, category: &str, action: Option<&str>, at: String) {
        let category = category.to_owned();
        self.items.push(match action {
            None => Item::Category { name: category, at },
            Some(action) => Item::Action {
                category,
                action: action.to_owned(),
                at,
            },
        });
    }

    /// Checks every recorded item and builds the catalog.
    ///
    /// # Errors
    ///
    /// Returns the first problem found, in the order items were added: an
    /// invalid name ([`CatalogError::InvalidName`]), a repeated action or
    /// category under the matching rule, more than [`MAX_ACTIONS`] actions, or
    /// a change of matching rule in an extension.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, CatalogError};
    ///
    /// let err = ActionCatalog::builder().action("Billing", "Add Credit").build().unwrap_err();
    /// assert!(matches!(err, CatalogError::InvalidName { .. }));
    /// ```
    pub fn build(self) -> Result<ActionCatalog, CatalogError> {
        let mut catalog = match self.base {
            Some(base) if self.matching.is_some_and(|m| m != base.matching) => {
                return Err(CatalogError::MatchingChanged);
            }
            Some(base) => base,
            None => ActionCatalog::empty(self.matching.unwrap_or_default()),
        };
        let base_len = catalog.actions.len();
        catalog.generation = super::next_generation();
        catalog.ancestors.push(catalog.generation);
        for item in self.items {
            match item {
                Item::Category { name, at } => {
                    catalog.ensure_category(&name, at)?;
                }
                Item::Action {
                    category,
                    action,
                    at,
                } => {
                    catalog.add_action(&category, &action, at, base_len)?;
                }
            }
        }

        Ok(catalog)
    }
}

impl ActionCatalog {
    /// Returns the position of category `name`, adding it if it is new.
    fn ensure_category(&mut self, name: &str, at: String) -> Result<u32, CatalogError> {
        if let Some(pos) = self.category_pos(name) {
            return Ok(pos);
        }
        let name = CategoryName::new(name).map_err(|source| CatalogError::InvalidName {
            at: format!("{at}.category"),
            source,
        })?;
        let pos = self.categories.len() as u32;
        let entry = CategoryEntry {
            name,
            actions: Vec::new(),
            set: ActionSet::new(),
        };
        self.categories.push(entry);
        let categories = &self.categories;
        self.category_index
            .insert(categories[pos as usize].name.as_str(), pos, |p| {
                categories[p as usize].name.as_str()
            });

        Ok(pos)
    }

    /// Appends action `name` to `category`, unless an extension re-lists an
    /// action of its base in the same category.
    fn add_action(
        &mut self,
        category: &str,
        name: &str,
        at: String,
        base_len: usize,
    ) -> Result<(), CatalogError> {
        let name = ActionName::new(name).map_err(|source| CatalogError::InvalidName {
            at: at.clone(),
            source,
        })?;
        let cat = self.ensure_category(category, at)?;
        if let Some(existing) = self.action_id(name.as_str()) {
            let first = self.actions[existing.index()].category;
            if existing.index() < base_len && first == cat {
                return Ok(());
            }
            return Err(CatalogError::DuplicateAction {
                name: name.to_string(),
                category: self.categories[cat as usize].name.to_string(),
                first: self.categories[first as usize].name.to_string(),
            });
        }
        if self.actions.len() >= MAX_ACTIONS {
            return Err(CatalogError::TooManyActions { max: MAX_ACTIONS });
        }

        let id = ActionId(self.actions.len() as u32);
        self.actions.push(ActionEntry {
            name,
            category: cat,
        });
        let entry = &mut self.categories[cat as usize];
        entry.actions.push(id);
        entry.set.insert(id);
        let actions = &self.actions;
        self.action_index
            .insert(actions[id.index()].name.as_str(), id.get(), |p| {
                actions[p as usize].name.as_str()
            });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NameErrorKind;

    #[test]
    fn ids_follow_insertion_order_across_categories() {
        let catalog = CatalogBuilder::new()
            .action("B", "b1")
            .action("A", "a1")
            .action("B", "b2")
            .build()
            .unwrap();
        let ids: Vec<u32> = ["b1", "a1", "b2"]
            .iter()
            .map(|n| catalog.action_id(n).unwrap().get())
            .collect();
        assert_eq!(ids, [0, 1, 2]);
        let b = catalog.category("B").unwrap();
        assert_eq!(
            b.actions().map(|(id, _)| id.get()).collect::<Vec<_>>(),
            [0, 2]
        );
    }

    #[test]
    fn duplicates_across_categories_are_refused() {
        let err = CatalogBuilder::new()
            .action("A", "X")
            .action("B", "X")
            .build()
            .unwrap_err();
        assert!(matches!(err, CatalogError::DuplicateAction { .. }), "{err}");
        let err = CatalogBuilder::new()
            .action("A", "X")
            .action("A", "X")
            .build()
            .unwrap_err();
        assert!(matches!(err, CatalogError::DuplicateAction { .. }), "{err}");
    }

    #[test]
    fn case_rule_decides_duplicates() {
        let exact = CatalogBuilder::new()
            .action("A", "x")
            .action("A", "X")
            .build()
            .unwrap();
        assert_eq!(exact.len(), 2);
        let folded = CatalogBuilder::new()
            .name_matching(NameMatching::AsciiCaseInsensitive)
            .action("A", "x")
            .action("A", "X")
            .build();
        assert!(folded.is_err());
        let folded = CatalogBuilder::new()
            .name_matching(NameMatching::AsciiCaseInsensitive)
            .action("Billing", "x")
            .action("billing", "y")
            .build()
            .unwrap();
        assert_eq!(folded.categories().count(), 1);
    }

    #[test]
    fn invalid_names_say_where() {
        let err = CatalogBuilder::new()
            .action("A", "ok")
            .action("A", "not ok")
            .build()
            .unwrap_err();
        let CatalogError::InvalidName { at, source } = &err else {
            panic!("{err}")
        };
        assert_eq!(at, "actions[1]");
        assert_eq!(
            source.reason(),
            &NameErrorKind::InvalidChar { ch: ' ', at: 3 }
        );
        let err = CatalogBuilder::new()
            .action("Bad  Cat", "x")
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "actions[0].category: invalid category name `Bad  Cat`: two spaces in a row at byte 4"
        );
    }

    #[test]
    fn extension_keeps_ids_and_lineage() {
        let v1 = CatalogBuilder::new()
            .actions("A", ["x", "y"])
            .build()
            .unwrap();
        let handle = v1.handle("y").unwrap();
        let v2 = v1
            .to_builder()
            .actions("A", ["x", "y", "z"])
            .action("B", "w")
            .build()
            .unwrap();
        assert_eq!(v2.len(), 4);
        assert_eq!(v2.action_id("y"), v1.action_id("y"));
        assert_eq!(v2.resolve_handle(handle), Some(handle.id()));
        assert!(v1.resolve_handle(v2.handle("w").unwrap()).is_none());
        let unrelated = CatalogBuilder::new()
            .actions("A", ["x", "y"])
            .build()
            .unwrap();
        assert!(unrelated.resolve_handle(handle).is_none());
    }

    #[test]
    fn extension_refuses_moving_an_action() {
        let v1 = CatalogBuilder::new().action("A", "x").build().unwrap();
        assert!(v1.to_builder().action("B", "x").build().is_err());
        let changed = v1
            .to_builder()
            .name_matching(NameMatching::AsciiCaseInsensitive)
            .build();
        assert!(matches!(changed, Err(CatalogError::MatchingChanged)));
    }

    #[test]
    fn large_catalogs_build() {
        let names: Vec<String> = (0..1000).map(|i| format!("Action{i}")).collect();
        let catalog = CatalogBuilder::new().actions("Big", names).build().unwrap();
        assert_eq!(catalog.len(), 1000);
        assert_eq!(catalog.action_id("Action999").map(ActionId::get), Some(999));
        assert_eq!(catalog.all_actions().len(), 1000);
    }
}
