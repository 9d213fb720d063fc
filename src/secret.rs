//! Credential secrets: generation, text form, hashing and comparison.
//!
//! # Text form
//!
//! A secret is `ars_` followed by 43 characters of unpadded URL-safe base64
//! (`A-Z a-z 0-9 - _`) that encode 32 bytes (256 bits) from the operating
//! system's random source: 47 ASCII characters in all. The prefix lets secret
//! scanners recognise a leaked key.
//!
//! # Hashing
//!
//! A policy keeps only the SHA-256 hash of a secret's text form. A fast hash
//! is the right tool here: the secret has 256 bits of entropy, so no amount of
//! hashing speed makes guessing it feasible, and a lookup costs one hash per
//! request. Password hashes (Argon2, bcrypt, scrypt) exist to slow down
//! guessing of low-entropy, human-chosen passwords; on a random 256-bit key
//! they add milliseconds to every API request and no security.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The prefix of every secret's text form.
pub const SECRET_PREFIX: &str = "ars_";

/// The length of a secret's text form, in bytes.
pub const SECRET_LEN: usize = SECRET_PREFIX.len() + 43;

/// The number of random bytes in a secret.
const SECRET_BYTES: usize = 32;

/// An API credential's secret, in its text form.
///
/// A secret is returned once, when it is issued; the policy keeps only its
/// [`SecretHash`]. It never appears in `Debug` or `Display` output, it cannot
/// be serialized, and its memory is wiped when it is dropped. Call
/// [`expose`](Self::expose) to show it to its owner.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Policy};
///
/// let mut policy = Policy::new(ActionCatalog::builder().build()?);
/// let secret = policy.create_credential("crm-sync")?;
/// assert!(secret.expose().starts_with("ars_"));
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
/// assert_eq!(secret.to_string(), "<redacted>");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a secret is shown only once: hand it to its owner"]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Draws a new secret from the operating system's random source.
    pub(crate) fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        getrandom::fill(bytes.as_mut())?;
        let mut text = Zeroizing::new(String::with_capacity(SECRET_LEN));
        text.push_str(SECRET_PREFIX);
        URL_SAFE_NO_PAD.encode_string(bytes.as_ref(), &mut text);
        Ok(Self(text))
    }

    /// Returns the secret's text form, to show to its owner once.
    ///
    /// # Example
    ///
    /// ```
    /// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
    /// let secret = policy.create_credential("crm-sync")?;
    /// assert_eq!(secret.expose().len(), api_roles::SECRET_LEN);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Returns the hash a policy keeps for this secret.
    ///
    /// # Example
    ///
    /// ```
    /// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
    /// let secret = policy.create_credential("crm-sync")?;
    /// assert_eq!(policy.credential("crm-sync").and_then(|c| c.secret_hash()), Some(secret.hash()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hash(&self) -> SecretHash {
        SecretHash::of_text(self.expose())
    }
}

impl FromStr for Secret {
    type Err = SecretError;

    /// Checks a secret's text form, such as one read from a host's
    /// configuration.
    fn from_str(text: &str) -> Result<Self, SecretError> {
        check_format(text)?;
        Ok(Self(Zeroizing::new(text.to_owned())))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The SHA-256 hash of a secret's text form: what a policy stores.
///
/// Two hashes are compared in constant time. `Debug` shows no byte of the
/// hash; [`as_bytes`](Self::as_bytes) and [`from_bytes`](Self::from_bytes)
/// exist for storage.
///
/// # Example
///
/// ```
/// # let mut policy = api_roles::Policy::new(api_roles::ActionCatalog::builder().build()?);
/// let secret = policy.create_credential("crm-sync")?;
/// let hash = secret.hash();
/// assert_eq!(api_roles::SecretHash::from_bytes(*hash.as_bytes()), hash);
/// assert_eq!(format!("{hash:?}"), "SecretHash(<redacted>)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Wraps a hash read back from storage.
    ///
    /// # Example
    ///
    /// ```
    /// let hash = api_roles::SecretHash::from_bytes([7; 32]);
    /// assert_eq!(hash.as_bytes(), &[7; 32]);
    /// ```
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Returns the hash's bytes, for storage.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::SecretHash::from_bytes([0; 32]).as_bytes().len(), 32);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn of_text(text: &str) -> Self {
        Self(Sha256::digest(text.as_bytes()).into())
    }

    /// Compares in constant time.
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// Hashes a presented secret, or returns `None` if it is not in the text form.
pub(crate) fn hash_presented(text: &str) -> Option<SecretHash> {
    check_format(text).ok()?;
    Some(SecretHash::of_text(text))
}

/// What is wrong with a secret's text form.
///
/// The message never repeats the secret.
///
/// # Example
///
/// ```
/// use api_roles::{Secret, SecretError};
///
/// let err = "ars_short".parse::<Secret>().unwrap_err();
/// assert_eq!(err, SecretError::WrongLength { len: 9 });
/// assert_eq!(err.to_string(), "invalid secret: it is 9 bytes long, not 47");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret is empty.
    #[error("invalid secret: it is empty")]
    Empty,
    /// The secret is not [`SECRET_LEN`] bytes long.
    #[error("invalid secret: it is {len} bytes long, not 47")]
    WrongLength {
        /// Its length in bytes.
        len: usize,
    },
    /// The secret does not start with [`SECRET_PREFIX`].
    #[error("invalid secret: it does not start with `ars_`")]
    MissingPrefix,
    /// The secret holds a character outside the URL-safe base64 alphabet.
    #[error("invalid secret: byte {at} is not a URL-safe base64 character")]
    InvalidChar {
        /// The byte offset of the first bad character.
        at: usize,
    },
    /// The secret's last character encodes bits a real secret never has.
    #[error("invalid secret: it does not encode 32 bytes")]
    NotCanonical,
}

fn check_format(text: &str) -> Result<(), SecretError> {
    if text.is_empty() {
        return Err(SecretError::Empty);
    }
    if text.len() != SECRET_LEN {
        return Err(SecretError::WrongLength { len: text.len() });
    }
    let Some(body) = text.strip_prefix(SECRET_PREFIX) else {
        return Err(SecretError::MissingPrefix);
    };
    let bad = body
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    if let Some(pos) = bad {
        return Err(SecretError::InvalidChar {
            at: SECRET_PREFIX.len() + pos,
        });
    }
    let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    match URL_SAFE_NO_PAD.decode_slice(body, bytes.as_mut()) {
        Ok(SECRET_BYTES) => Ok(()),
        _ => Err(SecretError::NotCanonical),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_well_formed_and_distinct() {
        let a = Secret::generate().unwrap();
        let b = Secret::generate().unwrap();
        assert_eq!(a.expose().len(), SECRET_LEN);
        assert!(check_format(a.expose()).is_ok());
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn malformed_secrets_get_their_error() {
        let good = Secret::generate().unwrap();
        let good = good.expose();
        assert_eq!(check_format(""), Err(SecretError::Empty));
        assert_eq!(
            check_format("ars_abc"),
            Err(SecretError::WrongLength { len: 7 })
        );
        let huge = "a".repeat(5 << 20);
        assert_eq!(
            check_format(&huge),
            Err(SecretError::WrongLength { len: 5 << 20 })
        );
        let prefix = format!("xyz_{}", &good[4..]);
        assert_eq!(check_format(&prefix), Err(SecretError::MissingPrefix));
        let bad_char = format!("{}+{}", &good[..10], &good[11..]);
        assert_eq!(
            check_format(&bad_char),
            Err(SecretError::InvalidChar { at: 10 })
        );
        let non_ascii = format!("{}é{}", &good[..10], &good[12..]);
        assert_eq!(
            check_format(&non_ascii),
            Err(SecretError::InvalidChar { at: 10 })
        );
        // 'B' sets a trailing bit that 32 bytes never produce after 42 'A's.
        let loose = format!("ars_{}B", "A".repeat(42));
        assert_eq!(check_format(&loose), Err(SecretError::NotCanonical));
    }

    #[test]
    fn hashes_compare_by_value() {
        let hash = SecretHash::of_text("x");
        assert_eq!(hash, SecretHash::of_text("x"));
        assert_ne!(hash, SecretHash::of_text("y"));
    }
}
