//! Role-based authorization for API credentials.
//!
//! A host application that exposes an API keeps a catalog of its actions,
//! grouped by category. Operators define roles, each permitting some actions,
//! and assign credentials one or more roles. A request is allowed when any of
//! the credential's roles permits the action; everything else is denied.
//!
//! - [`ActionCatalog`]: the host's actions, each with a dense [`ActionId`].
//! - [`Grants`] and [`Role`]: what a role permits, kept by name: actions,
//!   whole categories, all actions, and exceptions.
//! - [`Credential`]: a public identifier and the roles it holds.
//! - [`Policy`]: catalog, roles and credentials; every edit validated.
//! - [`Authorizer`]: a compiled snapshot that answers [`Decision`]s in
//!   nanoseconds, from bitset-encoded permissions ([`ActionSet`]).
//!
//! # Example
//!
//! ```
//! use api_roles::{ActionCatalog, Decision, DenyReason, Grants, NameMatching, Policy};
//!
//! let catalog = ActionCatalog::builder()
//!     .name_matching(NameMatching::AsciiCaseInsensitive)
//!     .json(include_str!("../data/whmcs_api_actions.json"))?
//!     .build()?;
//! let mut policy = Policy::new(catalog);
//!
//! let clerk = policy.create_role(
//!     "Billing clerk",
//!     Grants::new().category("Billing").action("GetClients").except("AddCredit"),
//! )?;
//! let _secret = policy.create_credential("invoicing-app")?;
//! policy.assign_role("invoicing-app", clerk)?;
//!
//! let authorizer = policy.compile();
//! assert_eq!(authorizer.authorize("invoicing-app", "AddInvoicePayment"), Decision::Allowed);
//! assert_eq!(authorizer.authorize("invoicing-app", "getclients"), Decision::Allowed);
//! assert_eq!(
//!     authorizer.authorize("invoicing-app", "AddCredit"),
//!     Decision::Denied(DenyReason::NotPermitted)
//! );
//! assert_eq!(
//!     authorizer.authorize("someone-else", "GetClients"),
//!     Decision::Denied(DenyReason::UnknownCredential)
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! - **Deny by default.** Unknown credentials, disabled credentials, unknown
//!   actions and actions no role permits are denied, each with its
//!   [`DenyReason`].
//! - **Any role.** A credential's permissions are the union of its roles'.
//! - **Symbolic grants.** A category grant covers every action the category
//!   holds, including actions added to it later; an all-actions grant covers
//!   every action of the catalog, now and later.
//! - **Exceptions win within their role.** A role's exceptions are removed
//!   from what its other grants permit; another role of the same credential
//!   may still permit the action.
//! - **Name matching** is a catalog setting ([`NameMatching`]) and holds
//!   everywhere: lookups, grants, role names and authorization. Credential
//!   identifiers are always compared exactly.
//!
//! # Features
//!
//! - `sqlite`: `SqliteStore`, a store in a SQLite database file, with
//!   SQLite compiled in (`rusqlite`, bundled).
//! - `postgres`: `PostgresStore`, a store in a PostgreSQL database, with
//!   change notifications (`LISTEN`/`NOTIFY`) between instances.
//! - `fast-hash`: hash the credential and action lookups with foldhash
//!   instead of randomly keyed SipHash-1-3. Checks by strings get faster, but
//!   foldhash resists hash flooding only minimally: use it only where
//!   credential identifiers and action names are not chosen by attackers, or
//!   processes are short-lived.
//!
//! All are off by default.

#![forbid(unsafe_code)]

mod action_set;
mod authorizer;
mod catalog;
mod clock;
mod credential;
mod decision;
mod diff;
mod document;
mod error;
mod gate;
mod index;
mod least_privilege;
mod legacy;
mod live;
mod name;
mod network;
mod observer;
mod policy;
mod role;
mod secret;
mod store;
mod usage;

pub use action_set::{ActionSet, Iter};
pub use authorizer::{Authorizer, CredentialHandle};
pub use catalog::{
    ActionCatalog, ActionHandle, ActionId, CatalogBuilder, Category, MAX_ACTIONS,
    MAX_CATALOG_DOCUMENT_BYTES,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use credential::{Credential, MAX_DESCRIPTION_LEN, MAX_ROLES_PER_CREDENTIAL};
pub use decision::{Decision, DenyReason, Explanation, GrantKind, RoleGrant};
pub use diff::{AccessChange, AccessDiff};
pub use document::{
    CredentialRecord, FORMAT_VERSION, LoadOptions, LoadReport, MAX_DOCUMENT_BYTES,
    MAX_REPORTED_PROBLEMS, PolicyDocument, PreviousSecretRecord, RoleRecord, SettingsRecord,
    UnknownGrants,
};
pub use error::{
    CatalogError, DocumentError, LoadError, NameError, NameErrorKind, NameKind, PolicyError,
    Problem, StoreError,
};
pub use gate::Request;
pub use least_privilege::{CredentialAdvice, LeastPrivilegeReport, Proposal};
pub use legacy::{LEGACY_ROLE_NAME, LegacyUpgrade};
pub use live::{Edited, SharedAuthorizer, SharedOptions, Watcher};
pub use name::{ActionName, CategoryName, CredentialId, MAX_NAME_LEN, NameMatching, RoleName};
pub use network::{MAX_NETWORKS, NetworkList};
pub use observer::{DecisionEvent, DecisionObserver};
pub use policy::{MAX_CREDENTIALS, MAX_ROLES, Policy};
pub use role::{Grants, Role, RoleId};
pub use secret::{SECRET_LEN, SECRET_PREFIX, Secret, SecretError, SecretHash};
#[cfg(feature = "postgres")]
pub use store::PostgresStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{Change, ConformanceFailure, FileStore, MemoryStore, Store, check_store};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
