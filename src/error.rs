//! Error types: one enum per kind of operation.
//!
//! Messages are lowercase, carry no final period and show user input in
//! backticks, cut short and escaped so that a hostile input cannot flood a log.

use std::fmt;

use crate::role::RoleId;

/// The most bytes of user input that an error message repeats, escaped.
const SHOWN_BYTES: usize = 64;

/// Renders user input for an error message: escaped, and cut so that the
/// escaped text is at most [`SHOWN_BYTES`] bytes, whatever the input holds.
pub(crate) fn shown(input: &str) -> String {
    cut_escaped(input, SHOWN_BYTES)
}

/// Escapes `text` and cuts it, after escaping, to at most `max` bytes plus
/// an ellipsis.
fn cut_escaped(text: &str, max: usize) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let escaped = ch.escape_debug().to_string();
        if out.len() + escaped.len() > max {
            out.push_str("...");
            return out;
        }
        out.push_str(&escaped);
    }
    out
}

/// What kind of name a [`NameError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameKind {
    /// An [`ActionName`](crate::ActionName).
    Action,
    /// A [`CategoryName`](crate::CategoryName).
    Category,
    /// A [`RoleName`](crate::RoleName).
    Role,
    /// A [`CredentialId`](crate::CredentialId).
    Credential,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Action => "action name",
            Self::Category => "category name",
            Self::Role => "role name",
            Self::Credential => "credential identifier",
        })
    }
}

/// Which rule a name breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameErrorKind {
    /// The name is empty.
    #[error("it is empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes.
    #[error("it is {len} bytes long, more than the 128 allowed")]
    TooLong {
        /// The length of the rejected name in bytes.
        len: usize,
    },
    /// The name holds a character its kind does not allow.
    #[error("character `{}` at byte {at} is not allowed", ch.escape_debug())]
    InvalidChar {
        /// The rejected character.
        ch: char,
        /// Its byte offset in the name.
        at: usize,
    },
    /// The name starts or ends with a space.
    #[error("it starts or ends with a space")]
    EdgeSpace,
    /// The name holds two spaces in a row.
    #[error("two spaces in a row at byte {at}")]
    DoubleSpace {
        /// The byte offset of the second space.
        at: usize,
    },
}

/// A name that breaks its rule.
///
/// # Example
///
/// ```
/// use api_roles::{ActionName, NameErrorKind};
///
/// let err = ActionName::new("Get Clients").unwrap_err();
/// assert_eq!(err.reason(), &NameErrorKind::InvalidChar { ch: ' ', at: 3 });
/// assert_eq!(
///     err.to_string(),
///     "invalid action name `Get Clients`: character ` ` at byte 3 is not allowed"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{shown}`: {reason}")]
pub struct NameError {
    kind: NameKind,
    shown: String,
    reason: NameErrorKind,
}

impl NameError {
    pub(crate) fn new(kind: NameKind, input: &str, reason: NameErrorKind) -> Self {
        Self {
            kind,
            shown: shown(input),
            reason,
        }
    }

    /// Returns the kind of name that was rejected.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{NameKind, RoleName};
    ///
    /// assert_eq!(RoleName::new("").unwrap_err().kind(), NameKind::Role);
    /// ```
    pub fn kind(&self) -> NameKind {
        self.kind
    }

    /// Returns the rule the name breaks.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{NameErrorKind, RoleName};
    ///
    /// assert_eq!(RoleName::new("").unwrap_err().reason(), &NameErrorKind::Empty);
    /// ```
    pub fn reason(&self) -> &NameErrorKind {
        &self.reason
    }
}

/// Why an [`ActionCatalog`](crate::ActionCatalog) could not be built or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A category or action name breaks its rule.
    #[error("{at}: {source}")]
    InvalidName {
        /// Where the name stands, such as `categories[3].actions[7]`.
        at: String,
        /// The rule it breaks.
        source: NameError,
    },
    /// Two actions have the same name under the catalog's matching rule.
    #[error("duplicate action `{name}` in category `{category}`: already in category `{first}`")]
    DuplicateAction {
        /// The repeated name.
        name: String,
        /// The category of the repeat.
        category: String,
        /// The category that holds the first one.
        first: String,
    },
    /// Two categories have the same name under the catalog's matching rule.
    #[error("duplicate category `{name}`")]
    DuplicateCategory {
        /// The repeated name.
        name: String,
    },
    /// An action names a category that the catalog does not have.
    #[error("unknown category `{name}`")]
    UnknownCategory {
        /// The missing category.
        name: String,
    },
    /// An extension asked for a different matching rule than the catalog has.
    #[error("the name matching rule of a catalog cannot change when it is extended")]
    MatchingChanged,
    /// The catalog would hold more than [`MAX_ACTIONS`](crate::MAX_ACTIONS)
    /// actions.
    #[error("a catalog holds at most {max} actions")]
    TooManyActions {
        /// The limit.
        max: usize,
    },
    /// The catalog document is larger than
    /// [`MAX_CATALOG_DOCUMENT_BYTES`](crate::MAX_CATALOG_DOCUMENT_BYTES).
    #[error("the catalog document is {len} bytes, more than the {max} allowed")]
    DocumentTooLarge {
        /// The size of the document.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The catalog document is not valid JSON of the expected shape.
    #[error("invalid catalog document at line {line} column {column}: {message}")]
    Json {
        /// The line of the problem, from 1.
        line: usize,
        /// The column of the problem, from 1.
        column: usize,
        /// What is wrong, cut short.
        message: String,
    },
}

impl CatalogError {
    pub(crate) fn from_json(err: serde_json::Error) -> Self {
        Self::Json {
            line: err.line(),
            column: err.column(),
            message: json_message(&err),
        }
    }
}

/// The message of a JSON error, without its position, cut short: serde
/// repeats offending strings in full.
pub(crate) fn json_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let text = match text.rfind(" at line ") {
        Some(pos) => &text[..pos],
        None => &text,
    };
    cut_escaped(text, 160)
}

/// Why an edit of a [`Policy`](crate::Policy) was refused.
///
/// A refused edit changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A role name or credential identifier breaks its rule.
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// Another role already has this name under the catalog's matching rule.
    #[error("duplicate role name `{name}`: role {existing} has it already")]
    DuplicateRoleName {
        /// The rejected name.
        name: String,
        /// The role that holds it.
        existing: RoleId,
    },
    /// No role has this id (it never existed, or it was deleted).
    #[error("unknown role {0}")]
    UnknownRole(RoleId),
    /// A grant names an action the catalog does not have.
    #[error("unknown action `{name}` at {at}: not in the catalog")]
    UnknownAction {
        /// The name as given.
        name: String,
        /// Where it stands, such as `grants.actions[1]`.
        at: String,
    },
    /// A grant names a category the catalog does not have.
    #[error("unknown category `{name}` at {at}: not in the catalog")]
    UnknownCategory {
        /// The name as given.
        name: String,
        /// Where it stands, such as `grants.categories[0]`.
        at: String,
    },
    /// A grant names an action or category that is not a valid name.
    #[error("{at}: {source}")]
    InvalidGrant {
        /// Where it stands, such as `grants.except[2]`.
        at: String,
        /// The rule it breaks.
        source: NameError,
    },
    /// A description is longer than
    /// [`MAX_DESCRIPTION_LEN`](crate::MAX_DESCRIPTION_LEN) bytes.
    #[error("description is {len} bytes long, more than the {max} allowed")]
    DescriptionTooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No credential has this identifier.
    #[error("unknown credential `{0}`")]
    UnknownCredential(String),
    /// A credential with this identifier exists already.
    #[error("duplicate credential `{0}`")]
    DuplicateCredential(String),
    /// The credential holds this role already.
    #[error("credential `{credential}` holds role {role} already")]
    RoleAlreadyAssigned {
        /// The credential.
        credential: String,
        /// The role.
        role: RoleId,
    },
    /// The credential does not hold this role.
    #[error("credential `{credential}` does not hold role {role}")]
    RoleNotAssigned {
        /// The credential.
        credential: String,
        /// The role.
        role: RoleId,
    },
    /// The credential holds [`MAX_ROLES_PER_CREDENTIAL`] roles already.
    ///
    /// [`MAX_ROLES_PER_CREDENTIAL`]: crate::MAX_ROLES_PER_CREDENTIAL
    #[error("credential `{credential}` holds {max} roles, the most allowed")]
    TooManyRoles {
        /// The credential.
        credential: String,
        /// The limit.
        max: usize,
    },
    /// The credential has no secret to rotate.
    #[error("credential `{0}` has no secret to rotate")]
    NoSecret(String),
    /// A rotation's grace period ends at or before the current time.
    #[error("the old secret of credential `{0}` must stay valid until a later instant")]
    GraceNotInFuture(String),
    /// An expiry instant is at or before the current time.
    #[error("the expiry of credential `{0}` has already passed")]
    ExpiryInPast(String),
    /// A network allow-list entry is not a network in CIDR form or an address.
    #[error("{at}: invalid network `{input}`")]
    InvalidNetwork {
        /// Where it stands, such as `networks[2]`.
        at: String,
        /// The entry as given.
        input: String,
    },
    /// An allow-list holds more than [`MAX_NETWORKS`](crate::MAX_NETWORKS)
    /// networks.
    #[error("an allow-list holds at most {max} networks")]
    TooManyNetworks {
        /// The limit.
        max: usize,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    RandomSource(String),
    /// An instant is before 1970 or after the year 9999.
    #[error("the instant for credential `{0}` is out of range")]
    TimeOutOfRange(String),
    /// The store refused or failed to record the edit; the policy is
    /// unchanged.
    #[error("the edit was not stored: {0}")]
    Store(#[from] StoreError),
    /// The policy holds the most roles or credentials it may.
    #[error("the policy holds {max} {what}, the most allowed")]
    Full {
        /// `roles` or `credentials`.
        what: &'static str,
        /// The limit.
        max: usize,
    },
}

/// Why a policy document could not be read.
///
/// # Example
///
/// ```
/// use api_roles::{DocumentError, PolicyDocument};
///
/// assert_eq!(PolicyDocument::from_json("  "), Err(DocumentError::Empty));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document is empty.
    #[error("the policy document is empty")]
    Empty,
    /// The document is larger than
    /// [`MAX_DOCUMENT_BYTES`](crate::MAX_DOCUMENT_BYTES).
    #[error("the policy document is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its size in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The document has no `format_version`.
    #[error("the policy document has no `format_version`")]
    MissingVersion,
    /// The document's format version is not one this release reads.
    #[error("unsupported policy document format version `{found}`: this release reads version 1")]
    UnsupportedVersion {
        /// The version found, as written.
        found: String,
    },
    /// The document is not JSON of the expected shape: truncated, an unknown
    /// field, a wrong type.
    #[error("invalid policy document at line {line} column {column}: {message}")]
    Syntax {
        /// The line of the problem, from 1.
        line: usize,
        /// The column of the problem, from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// One problem found while checking a document, with its place.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, LoadError, LoadOptions, Policy, PolicyDocument};
///
/// let json = r#"{"format_version": 1, "revision": 4,
///   "settings": {"next_role_id": 2},
///   "roles": [{"id": 1, "name": "Billing", "grants": {"actions": ["GetClient"]}}]}"#;
/// let document = PolicyDocument::from_json(json)?;
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
/// let Err(LoadError::Invalid { problems }) =
///     Policy::from_document(catalog, &document, &LoadOptions::default())
/// else {
///     panic!("the unknown action is refused");
/// };
/// assert_eq!(
///     problems[0].to_string(),
///     "roles[0].grants.actions[0]: unknown action `GetClient` in role `Billing`: not in the catalog"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct Problem {
    pub(crate) at: String,
    pub(crate) message: String,
}

impl Problem {
    /// Returns where the problem is, such as `roles[3].grants.actions[1]`.
    ///
    /// # Example
    ///
    /// See [`Problem`].
    pub fn at(&self) -> &str {
        &self.at
    }

    /// Returns what is wrong.
    ///
    /// # Example
    ///
    /// See [`Problem`].
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Renders up to three problems and how many more there are.
fn summarize(problems: &[Problem]) -> String {
    let mut text: Vec<String> = problems.iter().take(3).map(ToString::to_string).collect();
    if problems.len() > 3 {
        text.push(format!("and {} more problems", problems.len() - 3));
    }
    text.join("; ")
}

/// Why a policy could not be loaded or imported. Nothing was changed.
///
/// # Example
///
/// See [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The document could not be read.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The document was read but does not fit the catalog or breaks a rule;
    /// every problem found is listed, up to
    /// [`MAX_REPORTED_PROBLEMS`](crate::MAX_REPORTED_PROBLEMS).
    #[error("invalid policy document: {}", summarize(problems))]
    Invalid {
        /// The problems, in document order.
        problems: Vec<Problem>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a store operation failed.
///
/// Store errors carry text rather than the underlying error values, so that
/// they can be cloned, compared and sent between threads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stored revision is not the one the change was based on: another
    /// writer committed first. Reload and retry.
    #[error(
        "revision conflict: the change was based on revision {expected} but the store is at {found}"
    )]
    Conflict {
        /// The revision the change was based on.
        expected: u64,
        /// The revision in the store.
        found: u64,
    },
    /// The stored document cannot be read; it is left as it is.
    #[error("stored policy `{location}` is unreadable: {source}")]
    Corrupt {
        /// The file or table.
        location: String,
        /// What is wrong with it.
        source: DocumentError,
    },
    /// Another process holds the store's lock.
    #[error("store `{location}` is locked by another process")]
    Locked {
        /// The file or table.
        location: String,
    },
    /// Reading or writing failed.
    #[error("cannot {operation} `{location}`: {message}")]
    Io {
        /// What was being done, such as `write` or `rename`.
        operation: &'static str,
        /// The file, directory or database.
        location: String,
        /// The system's message.
        message: String,
    },
    /// The store cannot be reached, such as a database that is down.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store holds data this release does not understand.
    #[error("store holds data this release does not understand: {0}")]
    Unsupported(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_cuts_and_escapes() {
        assert_eq!(shown("a\nb"), "a\\nb");
        let long = "é".repeat(100);
        assert_eq!(shown(&long), format!("{}...", "é".repeat(32)));
        let hostile = "\u{10ffff}".repeat(100);
        assert!(shown(&hostile).len() <= SHOWN_BYTES + 3);
    }
}
