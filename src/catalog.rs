//! [`ActionCatalog`]: the host's API actions, grouped by category.

mod builder;
mod json;

pub use builder::CatalogBuilder;
pub use json::MAX_CATALOG_DOCUMENT_BYTES;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use smallvec::SmallVec;

use crate::action_set::ActionSet;
use crate::index::NameIndex;
use crate::name::{ActionName, CategoryName, NameMatching};

/// The most actions a catalog may hold.
pub const MAX_ACTIONS: usize = 1 << 16;

/// The dense, stable id of an action in its catalog: its bit position in an
/// [`ActionSet`].
///
/// Ids are given in the order actions are added, starting at 0. Extending a
/// catalog appends; the ids of existing actions never move.
///
/// # Example
///
/// ```
/// use api_roles::ActionCatalog;
///
/// let catalog = ActionCatalog::builder()
///     .actions("Client", ["GetClients", "AddClient"])
///     .build()?;
/// assert_eq!(catalog.action_id("AddClient").map(|id| id.get()), Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId(u32);

impl ActionId {
    /// Wraps a raw id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::ActionId::new(3).get(), 3);
    /// ```
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// Returns the raw id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::ActionId::new(3).get(), 3);
    /// ```
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Returns the raw id as an index.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::ActionId::new(3).index(), 3);
    /// ```
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An action resolved once, for example at start-up, and checked cheaply on
/// every request with [`Authorizer::authorize_handle`].
///
/// A handle remembers the catalog it came from. It stays valid in every
/// extension of that catalog; in an unrelated catalog it is an unknown action
/// and denies.
///
/// [`Authorizer::authorize_handle`]: crate::Authorizer::authorize_handle
///
/// # Example
///
/// ```
/// use api_roles::ActionCatalog;
///
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
/// let get_clients = catalog.handle("GetClients").ok_or("not in the catalog")?;
/// assert_eq!(get_clients.id().get(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionHandle {
    /// The build of the catalog that resolved it.
    generation: u64,
    id: ActionId,
}

impl ActionHandle {
    /// Returns the action's id.
    ///
    /// # Example
    ///
    /// ```
    /// # let catalog = api_roles::ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let handle = catalog.handle("X").ok_or("missing")?;
    /// assert_eq!(catalog.action_name(handle.id()).map(|n| n.as_str()), Some("X"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(self) -> ActionId {
        self.id
    }
}

/// Gives every catalog build a generation of its own.
pub(crate) fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug, Clone)]
struct ActionEntry {
    name: ActionName,
    category: u32,
}

#[derive(Debug, Clone)]
struct CategoryEntry {
    name: CategoryName,
    actions: Vec<ActionId>,
    set: ActionSet,
}

/// The API actions of a host application, grouped into ordered categories.
///
/// Each action has a dense [`ActionId`] and belongs to one category. Names are
/// unique across the whole catalog under its [`NameMatching`] rule. A catalog
/// is built once, with [`ActionCatalog::builder`] or from a JSON document with
/// [`ActionCatalog::from_json`], and can later be extended with
/// [`ActionCatalog::to_builder`] without moving existing ids.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, NameMatching};
///
/// let catalog = ActionCatalog::builder()
///     .name_matching(NameMatching::AsciiCaseInsensitive)
///     .actions("Client", ["GetClients", "AddClient"])
///     .actions("Billing", ["AddCredit"])
///     .build()?;
/// assert_eq!(catalog.len(), 3);
/// let id = catalog.action_id("getclients").ok_or("missing")?;
/// assert_eq!(catalog.action_name(id).map(|n| n.as_str()), Some("GetClients"));
/// assert_eq!(catalog.action_category(id).map(|c| c.as_str()), Some("Client"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ActionCatalog {
    /// This build's generation.
    generation: u64,
    /// The generations of this catalog and of every catalog it extends:
    /// their action ids mean the same here.
    ancestors: SmallVec<[u64; 4]>,
    matching: NameMatching,
    actions: Vec<ActionEntry>,
    categories: Vec<CategoryEntry>,
    action_index: NameIndex,
    category_index: NameIndex,
}

impl ActionCatalog {
    /// Starts building a catalog.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder()
    ///     .category("Empty for now")
    ///     .action("Client", "GetClients")
    ///     .build()?;
    /// assert_eq!(catalog.categories().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> CatalogBuilder {
        CatalogBuilder::new()
    }

    /// Starts a builder that extends this catalog: existing actions keep their
    /// ids, new actions are appended, and the result shares this catalog's
    /// history, so [`ActionHandle`]s resolved here stay valid there. Two
    /// different extensions of one catalog do not accept each other's
    /// handles.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionCatalog;
    ///
    /// let v1 = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
    /// let v2 = v1.to_builder().actions("Client", ["GetClients", "AddClient"]).build()?;
    /// assert_eq!(v2.action_id("GetClients"), v1.action_id("GetClients"));
    /// assert_eq!(v2.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_builder(&self) -> CatalogBuilder {
        CatalogBuilder::extending(self.clone())
    }

    fn empty(matching: NameMatching) -> Self {
        Self {
            generation: 0,
            ancestors: SmallVec::new(),
            matching,
            actions: Vec::new(),
            categories: Vec::new(),
            action_index: NameIndex::new(matching),
            category_index: NameIndex::new(matching),
        }
    }

    /// Returns the rule by which names are compared.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, NameMatching};
    ///
    /// let catalog = ActionCatalog::builder().build()?;
    /// assert_eq!(catalog.name_matching(), NameMatching::Exact);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name_matching(&self) -> NameMatching {
        self.matching
    }

    /// Returns the number of actions.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X", "Y"]).build()?;
    /// assert_eq!(catalog.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Returns whether the catalog holds no action.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::ActionCatalog::builder().build()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Returns the id of the action named `name` under the matching rule.
    ///
    /// Any string is accepted; one that is not an action name is simply not
    /// found.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// assert!(catalog.action_id("X").is_some());
    /// assert!(catalog.action_id("x").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn action_id(&self, name: &str) -> Option<ActionId> {
        self.action_index
            .get(name, |pos| self.actions[pos as usize].name.as_str())
            .map(ActionId)
    }

    /// Resolves `name` to a handle for fast repeated checks.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// assert!(catalog.handle("X").is_some());
    /// assert!(catalog.handle("Y").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle(&self, name: &str) -> Option<ActionHandle> {
        self.action_id(name).map(|id| ActionHandle {
            generation: self.generation,
            id,
        })
    }

    /// Returns the id of `handle` if it was resolved in this catalog or one
    /// it extends, and
    /// names one of its actions.
    #[inline]
    pub(crate) fn resolve_handle(&self, handle: ActionHandle) -> Option<ActionId> {
        let known =
            handle.generation == self.generation || self.ancestors.contains(&handle.generation);
        (known && handle.id.index() < self.actions.len()).then_some(handle.id)
    }

    /// Returns the name of an action.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionId;
    ///
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// assert_eq!(catalog.action_name(ActionId::new(0)).map(|n| n.as_str()), Some("X"));
    /// assert_eq!(catalog.action_name(ActionId::new(1)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action_name(&self, id: ActionId) -> Option<&ActionName> {
        self.actions.get(id.index()).map(|entry| &entry.name)
    }

    /// Returns the name of an action's category.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionId;
    ///
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// assert_eq!(catalog.action_category(ActionId::new(0)).map(|c| c.as_str()), Some("A"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action_category(&self, id: ActionId) -> Option<&CategoryName> {
        let entry = self.actions.get(id.index())?;
        Some(&self.categories[entry.category as usize].name)
    }

    /// Returns every action with its id, in id order.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X", "Y"]).build()?;
    /// let names: Vec<&str> = catalog.actions().map(|(_, name)| name.as_str()).collect();
    /// assert_eq!(names, ["X", "Y"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn actions(&self) -> impl ExactSizeIterator<Item = (ActionId, &ActionName)> + '_ {
        self.actions
            .iter()
            .enumerate()
            .map(|(i, entry)| (ActionId(i as u32), &entry.name))
    }

    /// Returns the categories in their order.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder()
    ///     .actions("Client", ["GetClients"])
    ///     .actions("Billing", ["AddCredit", "GetInvoices"])
    ///     .build()?;
    /// let sizes: Vec<(&str, usize)> =
    ///     catalog.categories().map(|c| (c.name().as_str(), c.len())).collect();
    /// assert_eq!(sizes, [("Client", 1), ("Billing", 2)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn categories(&self) -> impl ExactSizeIterator<Item = Category<'_>> + '_ {
        self.categories.iter().map(move |entry| Category {
            catalog: self,
            entry,
        })
    }

    /// Returns the category named `name` under the matching rule.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// let billing = catalog.category("Billing").ok_or("missing")?;
    /// assert_eq!(billing.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn category(&self, name: &str) -> Option<Category<'_>> {
        let pos = self.category_pos(name)?;
        Some(Category {
            catalog: self,
            entry: &self.categories[pos as usize],
        })
    }

    fn category_pos(&self, name: &str) -> Option<u32> {
        self.category_index
            .get(name, |pos| self.categories[pos as usize].name.as_str())
    }

    /// Returns the set of every action in the catalog.
    ///
    /// # Example
    ///
    /// ```
    /// let catalog = api_roles::ActionCatalog::builder().actions("A", ["X", "Y"]).build()?;
    /// assert_eq!(catalog.all_actions().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn all_actions(&self) -> ActionSet {
        ActionSet::full(self.actions.len())
    }
}

impl fmt::Debug for ActionCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionCatalog")
            .field("name_matching", &self.matching)
            .field("actions", &self.actions.len())
            .field("categories", &self.categories.len())
            .finish_non_exhaustive()
    }
}

/// A category of a catalog: its name and its actions.
///
/// Made by [`ActionCatalog::categories`] and [`ActionCatalog::category`].
///
/// # Example
///
/// ```
/// let catalog = api_roles::ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
/// for category in catalog.categories() {
///     for (id, name) in category.actions() {
///         println!("{} {id} {name}", category.name());
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Category<'a> {
    catalog: &'a ActionCatalog,
    entry: &'a CategoryEntry,
}

impl<'a> Category<'a> {
    /// Returns the category's name.
    ///
    /// # Example
    ///
    /// ```
    /// # let catalog = api_roles::ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// assert_eq!(catalog.category("Billing").ok_or("missing")?.name().as_str(), "Billing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &'a CategoryName {
        &self.entry.name
    }

    /// Returns the number of actions in the category.
    ///
    /// # Example
    ///
    /// ```
    /// # let catalog = api_roles::ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// assert_eq!(catalog.category("Billing").ok_or("missing")?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entry.actions.len()
    }

    /// Returns whether the category holds no action.
    ///
    /// # Example
    ///
    /// ```
    /// # let catalog = api_roles::ActionCatalog::builder().category("Later").build()?;
    /// assert!(catalog.category("Later").ok_or("missing")?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entry.actions.is_empty()
    }

    /// Returns the category's actions with their ids, in the order they were
    /// added.
    ///
    /// # Example
    ///
    /// ```
    /// # let catalog = api_roles::ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// let billing = catalog.category("Billing").ok_or("missing")?;
    /// assert_eq!(billing.actions().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["AddCredit"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn actions(&self) -> impl ExactSizeIterator<Item = (ActionId, &'a ActionName)> + 'a {
        let catalog = self.catalog;
        self.entry
            .actions
            .iter()
            .map(move |&id| (id, &catalog.actions[id.index()].name))
    }

    /// Returns the category's actions as a set.
    ///
    /// # Example
    ///
    /// ```
    /// # let catalog = api_roles::ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// assert_eq!(catalog.category("Billing").ok_or("missing")?.action_set().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action_set(&self) -> &'a ActionSet {
        &self.entry.set
    }
}

impl fmt::Debug for Category<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Category")
            .field("name", &self.entry.name)
            .field("actions", &self.entry.actions.len())
            .finish()
    }
}
