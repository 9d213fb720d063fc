//! Checking a [`PolicyDocument`] against a catalog and building a [`Policy`].

use std::sync::Arc;

use hashbrown::HashMap;

use super::{CredentialRecord, PolicyDocument, RoleRecord, parse_hash, parse_time};
use crate::catalog::ActionCatalog;
use crate::credential::{Credential, MAX_DESCRIPTION_LEN, MAX_ROLES_PER_CREDENTIAL, RoleList};
use crate::error::{LoadError, PolicyError, Problem, shown};
use crate::name::{CredentialId, RoleName};
use crate::network::NetworkList;
use crate::policy::{MAX_CREDENTIALS, MAX_ROLES, Policy, fold};
use crate::role::{Role, RoleId};

/// The most problems a [`LoadError::Invalid`] lists.
pub const MAX_REPORTED_PROBLEMS: usize = 100;

/// What to do with a grant that names an action or category the catalog does
/// not have, as when a stored policy meets a newer catalog.
///
/// # Example
///
/// See [`LoadOptions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnknownGrants {
    /// Refuse the document, naming the role and the action (the default).
    #[default]
    Reject,
    /// Drop the grant and report a warning in the [`LoadReport`].
    Drop,
}

/// How a document is loaded.
///
/// # Example
///
/// ```
/// use api_roles::{LoadOptions, UnknownGrants};
///
/// let lenient = LoadOptions::default().unknown_grants(UnknownGrants::Drop);
/// assert_eq!(lenient, LoadOptions::lenient());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    unknown_grants: UnknownGrants,
}

impl LoadOptions {
    /// Options that drop grants naming unknown actions or categories, with a
    /// warning, instead of refusing the document.
    ///
    /// # Example
    ///
    /// See [`LoadOptions`].
    pub fn lenient() -> Self {
        Self {
            unknown_grants: UnknownGrants::Drop,
        }
    }

    /// Sets what to do with grants that name unknown actions or categories.
    ///
    /// # Example
    ///
    /// See [`LoadOptions`].
    #[must_use]
    pub fn unknown_grants(mut self, rule: UnknownGrants) -> Self {
        self.unknown_grants = rule;
        self
    }
}

/// What a load noticed without refusing the document.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, LoadOptions, Policy, PolicyDocument};
///
/// let json = r#"{"format_version": 1, "revision": 1, "settings": {"next_role_id": 2},
///   "roles": [{"id": 1, "name": "Old", "grants": {"actions": ["Retired", "Kept"]}}]}"#;
/// let document = PolicyDocument::from_json(json)?;
/// let catalog = ActionCatalog::builder().actions("A", ["Kept"]).build()?;
/// let (policy, report) = Policy::from_document(catalog, &document, &LoadOptions::lenient())?;
/// assert_eq!(
///     report.warnings()[0].to_string(),
///     "roles[0].grants.actions[0]: unknown action `Retired` in role `Old`: not in the catalog; grant dropped"
/// );
/// assert_eq!(policy.roles().next().map(|r| r.grants().action_names().count()), Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    warnings: Vec<Problem>,
}

impl LoadReport {
    /// Returns the warnings, in document order.
    ///
    /// # Example
    ///
    /// See [`LoadReport`].
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }
}

/// Collects problems and warnings while a document is checked.
#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    more: usize,
    warnings: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, at: impl Into<String>, message: impl Into<String>) {
        if self.problems.len() < MAX_REPORTED_PROBLEMS {
            self.problems.push(Problem {
                at: at.into(),
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }

    fn finish(self) -> Result<LoadReport, LoadError> {
        if self.problems.is_empty() {
            return Ok(LoadReport {
                warnings: self.warnings,
            });
        }
        Err(LoadError::Invalid {
            problems: self.problems,
        })
    }
}

impl Policy {
    /// Builds a policy from a document, checking every part of it against
    /// `catalog` first. Problems are reported all at once, each with its
    /// place, such as ``roles[3].grants.actions[1]: unknown action `GetClient`
    /// in role `Billing`: not in the catalog``.
    ///
    /// # Errors
    ///
    /// Returns [`LoadError::Invalid`] listing the problems; nothing is built.
    ///
    /// # Example
    ///
    /// See [`PolicyDocument`](crate::PolicyDocument).
    pub fn from_document(
        catalog: impl Into<Arc<ActionCatalog>>,
        document: &PolicyDocument,
        options: &LoadOptions,
    ) -> Result<(Self, LoadReport), LoadError> {
        let mut policy = Self::with_shared_catalog(catalog.into());
        let mut check = Checker::default();

        policy.networks = document
            .settings
            .global_networks
            .as_ref()
            .and_then(|list| networks(&mut check, "settings.global_networks", list));
        policy.next_role_id = document.settings.next_role_id;
        policy.legacy_upgraded = document.settings.legacy_upgraded;
        policy.revision = document.revision;
        load_roles(&mut policy, &mut check, &document.roles, options);
        load_credentials(&mut policy, &mut check, &document.credentials);

        let report = check.finish()?;
        Ok((policy, report))
    }

    /// Builds a policy from a JSON document; see
    /// [`PolicyDocument::from_json`] and [`Policy::from_document`].
    ///
    /// # Errors
    ///
    /// Returns [`LoadError::Document`] for a document that cannot be read and
    /// [`LoadError::Invalid`] for one that does not fit the catalog.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, LoadOptions, Policy};
    ///
    /// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let json = Policy::new(catalog.clone()).export_json();
    /// let (policy, _) = Policy::from_json(catalog, &json, &LoadOptions::default())?;
    /// assert_eq!(policy.roles().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(
        catalog: impl Into<Arc<ActionCatalog>>,
        json: &str,
        options: &LoadOptions,
    ) -> Result<(Self, LoadReport), LoadError> {
        let document = PolicyDocument::from_json(json)?;
        Self::from_document(catalog, &document, options)
    }
}

fn load_roles(
    policy: &mut Policy,
    check: &mut Checker,
    roles: &[RoleRecord],
    options: &LoadOptions,
) {
    if roles.len() > MAX_ROLES {
        check.problem(
            "roles",
            format!("{} roles, more than the {MAX_ROLES} allowed", roles.len()),
        );
        return;
    }
    let matching = policy.matching();
    let mut first_at: HashMap<u64, usize> = HashMap::new();
    for (i, record) in roles.iter().enumerate() {
        let at = format!("roles[{i}]");
        if let Some(first) = first_at.insert(record.id, i) {
            check.problem(
                format!("{at}.id"),
                format!("duplicate role id {}: also roles[{first}]", record.id),
            );
            continue;
        }
        if record.id == 0 || record.id >= policy.next_role_id {
            check.problem(
                format!("{at}.id"),
                format!(
                    "role id {} is not between 1 and settings.next_role_id ({})",
                    record.id, policy.next_role_id
                ),
            );
        }
        let name = match RoleName::new(&record.name) {
            Ok(name) => name,
            Err(err) => {
                check.problem(format!("{at}.name"), err.to_string());
                continue;
            }
        };
        let key = fold(matching, name.as_str());
        if let Some(existing) = policy.role_names.get(&key) {
            check.problem(
                format!("{at}.name"),
                format!("duplicate role name `{name}`: role {existing} has it already"),
            );
            continue;
        }
        if let Some(text) = &record.description
            && text.len() > MAX_DESCRIPTION_LEN
        {
            check.problem(format!("{at}.description"), too_long(text.len()));
        }

        let (grants, grant_problems) = record.grants.resolve_all(&policy.catalog);
        for problem in grant_problems {
            grant_problem(check, &at, &name, problem, options);
        }
        let id = RoleId::new(record.id);
        policy.role_names.insert(key, id);
        let description = record.description.clone();
        policy.roles.insert(
            id,
            Role {
                id,
                name,
                description,
                grants,
            },
        );
    }
}

/// Reports a grant problem, or warns about it in lenient mode.
fn grant_problem(
    check: &mut Checker,
    at: &str,
    role: &RoleName,
    problem: PolicyError,
    options: &LoadOptions,
) {
    let (place, message, droppable) = match problem {
        PolicyError::UnknownAction { name, at: place } => (
            place,
            format!(
                "unknown action `{}` in role `{role}`: not in the catalog",
                shown(&name)
            ),
            true,
        ),
        PolicyError::UnknownCategory { name, at: place } => (
            place,
            format!(
                "unknown category `{}` in role `{role}`: not in the catalog",
                shown(&name)
            ),
            true,
        ),
        PolicyError::InvalidGrant { at: place, source } => (place, source.to_string(), false),
        other => (String::from("grants"), other.to_string(), false),
    };
    let at = format!("{at}.{place}");
    if droppable && options.unknown_grants == UnknownGrants::Drop {
        check.warnings.push(Problem {
            at,
            message: format!("{message}; grant dropped"),
        });
    } else {
        check.problem(at, message);
    }
}

fn load_credentials(policy: &mut Policy, check: &mut Checker, credentials: &[CredentialRecord]) {
    if credentials.len() > MAX_CREDENTIALS {
        check.problem(
            "credentials",
            format!(
                "{} credentials, more than the {MAX_CREDENTIALS} allowed",
                credentials.len()
            ),
        );
        return;
    }
    for (i, record) in credentials.iter().enumerate() {
        let at = format!("credentials[{i}]");
        let id = match CredentialId::new(&record.id) {
            Ok(id) => id,
            Err(err) => {
                check.problem(format!("{at}.id"), err.to_string());
                continue;
            }
        };
        if policy.credentials.contains_key(&id) {
            check.problem(format!("{at}.id"), format!("duplicate credential `{id}`"));
            continue;
        }
        let credential = load_credential(policy, check, &at, id, record);
        policy.credentials.insert(credential.id.clone(), credential);
    }
}

fn load_credential(
    policy: &Policy,
    check: &mut Checker,
    at: &str,
    id: CredentialId,
    record: &CredentialRecord,
) -> Credential {
    let mut credential = Credential::new(id, None);
    credential.enabled = record.enabled;
    if let Some(text) = &record.description {
        if text.len() > MAX_DESCRIPTION_LEN {
            check.problem(format!("{at}.description"), too_long(text.len()));
        }
        credential.description = Some(text.clone());
    }
    credential.roles = roles(policy, check, at, &record.roles);

    if let Some(text) = &record.secret_sha256 {
        credential.secret = parse_hash(text);
        if credential.secret.is_none() {
            check.problem(
                format!("{at}.secret_sha256"),
                "not 64 lower-case hex digits",
            );
        }
    }
    if let Some(previous) = &record.previous_secret {
        let hash = parse_hash(&previous.sha256);
        let until = parse_time(&previous.valid_until);
        if hash.is_none() {
            check.problem(
                format!("{at}.previous_secret.sha256"),
                "not 64 lower-case hex digits",
            );
        }
        if until.is_none() {
            check.problem(
                format!("{at}.previous_secret.valid_until"),
                not_a_time(&previous.valid_until),
            );
        }
        credential.previous_secret = hash.zip(until);
    }
    if let Some(text) = &record.expires_at {
        credential.expires_at = parse_time(text);
        if credential.expires_at.is_none() {
            check.problem(format!("{at}.expires_at"), not_a_time(text));
        }
    }
    if let Some(list) = &record.networks {
        credential.networks = networks(check, &format!("{at}.networks"), list);
    }
    credential
}

/// Resolves role names to ids under the catalog's matching rule.
fn roles(policy: &Policy, check: &mut Checker, at: &str, names: &[String]) -> RoleList {
    if names.len() > MAX_ROLES_PER_CREDENTIAL {
        check.problem(
            format!("{at}.roles"),
            format!(
                "{} roles, more than the {MAX_ROLES_PER_CREDENTIAL} allowed",
                names.len()
            ),
        );
        return RoleList::new();
    }
    let mut out = RoleList::new();
    for (j, name) in names.iter().enumerate() {
        let Some(&role) = policy.role_names.get(&fold(policy.matching(), name)) else {
            check.problem(
                format!("{at}.roles[{j}]"),
                format!("unknown role `{}`", shown(name)),
            );
            continue;
        };
        if out.contains(&role) {
            check.problem(
                format!("{at}.roles[{j}]"),
                format!("role `{}` is listed twice", shown(name)),
            );
            continue;
        }
        out.push(role);
    }
    out
}

fn networks(check: &mut Checker, at: &str, list: &[String]) -> Option<NetworkList> {
    match NetworkList::parse(list) {
        Ok(list) => Some(list),
        Err(PolicyError::InvalidNetwork { at: place, input }) => {
            let index = place.trim_start_matches("networks");
            check.problem(format!("{at}{index}"), format!("invalid network `{input}`"));
            None
        }
        Err(other) => {
            check.problem(at, other.to_string());
            None
        }
    }
}

fn too_long(len: usize) -> String {
    format!("description is {len} bytes long, more than the {MAX_DESCRIPTION_LEN} allowed")
}

fn not_a_time(text: &str) -> String {
    format!("`{}` is not an RFC 3339 UTC instant", shown(text))
}
