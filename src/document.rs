//! The policy document: the versioned import, export and storage format.
//!
//! A document names everything: grants name actions and categories, and
//! credentials name their roles. Nothing refers to a bit position, so a
//! document loads correctly against a catalog whose actions are listed in
//! another order.

mod import;

pub use import::{LoadOptions, LoadReport, MAX_REPORTED_PROBLEMS, UnknownGrants};

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::credential::Credential;
use crate::error::DocumentError;
use crate::role::{Grants, Role};
use crate::secret::SecretHash;

/// The format version this release reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The largest policy document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// A whole policy: settings, roles and credentials, with the revision it was
/// taken at.
///
/// Roles are listed by id and credentials by identifier, so the same policy
/// always serializes to the same bytes.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Grants, LoadOptions, Policy, PolicyDocument};
///
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
/// let mut policy = Policy::new(catalog.clone());
/// let reader = policy.create_role("Reader", Grants::new().action("GetClients"))?;
/// let _secret = policy.create_credential("crm")?;
/// policy.assign_role("crm", reader)?;
///
/// let json = policy.to_document().to_json();
/// let document = PolicyDocument::from_json(&json)?;
/// let (copy, report) = Policy::from_document(catalog, &document, &LoadOptions::default())?;
/// assert!(report.warnings().is_empty());
/// assert_eq!(copy.to_document().to_json(), json);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PolicyDocument {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The store revision this document was taken at; 0 for a policy that
    /// was never stored.
    pub revision: u64,
    /// Policy-wide settings.
    #[serde(default)]
    pub settings: SettingsRecord,
    /// The roles, by id.
    #[serde(default)]
    pub roles: Vec<RoleRecord>,
    /// The credentials, by identifier.
    #[serde(default)]
    pub credentials: Vec<CredentialRecord>,
}

/// Policy-wide settings in a [`PolicyDocument`].
///
/// # Example
///
/// ```
/// let settings = api_roles::SettingsRecord::default();
/// assert_eq!(settings.next_role_id, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SettingsRecord {
    /// The id the next role will get; above every id ever given.
    pub next_role_id: u64,
    /// The policy-wide allow-list of client networks, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_networks: Option<Vec<String>>,
    /// Whether the legacy upgrade has run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub legacy_upgraded: bool,
}

impl Default for SettingsRecord {
    fn default() -> Self {
        Self {
            next_role_id: 1,
            global_networks: None,
            legacy_upgraded: false,
        }
    }
}

/// A role in a [`PolicyDocument`].
///
/// # Example
///
/// ```
/// let json = r#"{"id": 3, "name": "Reader", "grants": {"actions": ["GetClients"]}}"#;
/// let role: api_roles::RoleRecord = serde_json::from_str(json)?;
/// assert_eq!(role.name, "Reader");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RoleRecord {
    /// The role's id.
    pub id: u64,
    /// The role's name.
    pub name: String,
    /// The role's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the role permits, by name.
    #[serde(default)]
    pub grants: Grants,
}

/// A credential in a [`PolicyDocument`]. It holds the hash of its secret,
/// never the secret.
///
/// # Example
///
/// ```
/// let json = r#"{"id": "crm", "enabled": true, "roles": ["Reader"]}"#;
/// let credential: api_roles::CredentialRecord = serde_json::from_str(json)?;
/// assert_eq!(credential.roles, ["Reader"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CredentialRecord {
    /// The public identifier.
    pub id: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the credential is enabled.
    pub enabled: bool,
    /// The names of the roles it holds, in assignment order.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The SHA-256 hash of the current secret, in lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_sha256: Option<String>,
    /// The secret replaced by a rotation, while it still works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecretRecord>,
    /// The expiry instant, in RFC 3339 form (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The credential's allow-list of client networks, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
}

/// A secret replaced by a rotation, in a [`CredentialRecord`].
///
/// # Example
///
/// ```
/// let json = format!(r#"{{"sha256": "{}", "valid_until": "2030-01-01T00:00:00Z"}}"#, "0".repeat(64));
/// let previous: api_roles::PreviousSecretRecord = serde_json::from_str(&json)?;
/// assert_eq!(previous.valid_until, "2030-01-01T00:00:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PreviousSecretRecord {
    /// The SHA-256 hash of the old secret, in lower-case hex.
    pub sha256: String,
    /// The instant from which the old secret stops working, RFC 3339 (UTC).
    pub valid_until: String,
}

/// Shows whether a hash is there, not the hash.
fn redacted(hash: &Option<String>) -> Option<&'static str> {
    hash.as_ref().map(|_| "<redacted>")
}

impl fmt::Debug for CredentialRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRecord")
            .field("id", &self.id)
            .field("description", &self.description)
            .field("enabled", &self.enabled)
            .field("roles", &self.roles)
            .field("secret_sha256", &redacted(&self.secret_sha256))
            .field("previous_secret", &self.previous_secret)
            .field("expires_at", &self.expires_at)
            .field("networks", &self.networks)
            .finish()
    }
}

impl fmt::Debug for PreviousSecretRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreviousSecretRecord")
            .field("sha256", &"<redacted>")
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// Only the format version, read before the rest of a document.
#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<serde_json::Value>,
}

impl PolicyDocument {
    /// Creates the document of an empty policy.
    ///
    /// # Example
    ///
    /// ```
    /// let document = api_roles::PolicyDocument::empty();
    /// assert_eq!(document.revision, 0);
    /// assert!(document.roles.is_empty());
    /// ```
    pub fn empty() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            revision: 0,
            settings: SettingsRecord::default(),
            roles: Vec::new(),
            credentials: Vec::new(),
        }
    }

    /// Parses a document from JSON.
    ///
    /// # Errors
    ///
    /// Returns [`DocumentError::TooLarge`] for more than
    /// [`MAX_DOCUMENT_BYTES`], [`DocumentError::UnsupportedVersion`] for a
    /// format version other than [`FORMAT_VERSION`], and
    /// [`DocumentError::Syntax`], with line and column, for truncated JSON,
    /// unknown fields or wrong types. The content is checked against a catalog
    /// by [`Policy::from_document`](crate::Policy::from_document).
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{DocumentError, PolicyDocument};
    ///
    /// let err = PolicyDocument::from_json(r#"{"format_version": 9, "revision": 0}"#).unwrap_err();
    /// assert!(matches!(err, DocumentError::UnsupportedVersion { .. }));
    /// assert!(PolicyDocument::from_json(r#"{"format_version": 1, "revision": 0"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, DocumentError> {
        if json.len() > MAX_DOCUMENT_BYTES {
            return Err(DocumentError::TooLarge {
                len: json.len(),
                max: MAX_DOCUMENT_BYTES,
            });
        }
        if json.trim().is_empty() {
            return Err(DocumentError::Empty);
        }
        let probe: VersionProbe = serde_json::from_str(json).map_err(syntax)?;
        match probe.format_version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(FORMAT_VERSION)) => {
            }
            Some(other) => {
                return Err(DocumentError::UnsupportedVersion {
                    found: other.to_string(),
                });
            }
            None => return Err(DocumentError::MissingVersion),
        }

        serde_json::from_str(json).map_err(syntax)
    }

    /// Serializes the document as pretty-printed JSON with a final newline.
    /// The same document always gives the same bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let json = api_roles::PolicyDocument::empty().to_json();
    /// assert!(json.starts_with("{\n  \"format_version\": 1,"));
    /// ```
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

fn syntax(err: serde_json::Error) -> DocumentError {
    DocumentError::Syntax {
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    }
}

/// Formats an instant for a document.
pub(crate) fn format_time(at: SystemTime) -> String {
    humantime::format_rfc3339_nanos(at).to_string()
}

/// Reads an instant from a document.
pub(crate) fn parse_time(text: &str) -> Option<SystemTime> {
    if !text.is_ascii() {
        return None;
    }
    humantime::parse_rfc3339(text).ok()
}

/// Formats a secret hash for a document.
pub(crate) fn format_hash(hash: &SecretHash) -> String {
    hex::encode(hash.as_bytes())
}

/// Reads a secret hash from a document: 64 lower-case hex digits.
pub(crate) fn parse_hash(text: &str) -> Option<SecretHash> {
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(SecretHash::from_bytes(bytes))
}

impl RoleRecord {
    pub(crate) fn from_role(role: &Role) -> Self {
        Self {
            id: role.id().get(),
            name: role.name().to_string(),
            description: role.description().map(str::to_owned),
            grants: role.grants().clone(),
        }
    }
}

impl CredentialRecord {
    /// Records `credential`, naming its roles with `role_name`.
    pub(crate) fn from_credential<'a>(
        credential: &Credential,
        role_name: impl Fn(crate::role::RoleId) -> Option<&'a str>,
    ) -> Self {
        Self {
            id: credential.id().to_string(),
            description: credential.description().map(str::to_owned),
            enabled: credential.is_enabled(),
            roles: credential
                .roles()
                .iter()
                .filter_map(|&role| role_name(role).map(str::to_owned))
                .collect(),
            secret_sha256: credential.secret_hash().as_ref().map(format_hash),
            previous_secret: credential.previous_secret().map(|(hash, until)| {
                PreviousSecretRecord {
                    sha256: format_hash(&hash),
                    valid_until: format_time(until),
                }
            }),
            expires_at: credential.expires_at().map(format_time),
            networks: credential
                .allowed_networks()
                .map(|list| list.networks().iter().map(ToString::to_string).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_nanosecond() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::new(1_800_000_000, 123_456_789);
        let text = format_time(at);
        assert_eq!(text, "2027-01-15T08:00:00.123456789Z");
        assert_eq!(parse_time(&text), Some(at));
        assert_eq!(parse_time("2027-01-15T08:00:00+02:00"), None);
        assert_eq!(parse_time("é"), None);
    }

    #[test]
    fn hashes_round_trip_in_lower_case_hex() {
        let hash = SecretHash::from_bytes([0xab; 32]);
        let text = format_hash(&hash);
        assert_eq!(text, "ab".repeat(32));
        assert_eq!(parse_hash(&text), Some(hash));
        assert_eq!(parse_hash(&"AB".repeat(32)), None);
        assert_eq!(parse_hash("abcd"), None);
        assert_eq!(parse_hash(&"zz".repeat(32)), None);
    }

    #[test]
    fn malformed_documents_get_their_error() {
        assert_eq!(PolicyDocument::from_json(""), Err(DocumentError::Empty));
        assert_eq!(
            PolicyDocument::from_json("{}"),
            Err(DocumentError::MissingVersion)
        );
        let v2 = r#"{"format_version": 2, "revision": 0, "new_thing": []}"#;
        assert_eq!(
            PolicyDocument::from_json(v2),
            Err(DocumentError::UnsupportedVersion { found: "2".into() })
        );
        let unknown = r#"{"format_version": 1, "revision": 0, "extra": 1}"#;
        let err = PolicyDocument::from_json(unknown).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
        let truncated = &PolicyDocument::empty().to_json()[..30];
        assert!(matches!(
            PolicyDocument::from_json(truncated),
            Err(DocumentError::Syntax { .. })
        ));
    }
}
