//! Validated names: actions, categories, roles and credential identifiers.
//!
//! Every name that enters the crate from outside is checked once and then
//! carried as a newtype, the way `http::Method` is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{NameError, NameErrorKind, NameKind};

/// The longest name, in bytes, of an action, category or role, and the longest
/// credential identifier.
pub const MAX_NAME_LEN: usize = 128;

/// How names in a catalog are compared.
///
/// The rule is a catalog setting and holds on every path: catalog lookups,
/// role grants, role names, imports and [`Authorizer::authorize`].
///
/// [`Authorizer::authorize`]: crate::Authorizer::authorize
///
/// # Example
///
/// ```
/// use api_roles::NameMatching;
///
/// assert!(NameMatching::AsciiCaseInsensitive.matches("GetClients", "getclients"));
/// assert!(!NameMatching::Exact.matches("GetClients", "getclients"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatching {
    /// Names match only when they are byte-for-byte equal (the default).
    #[default]
    Exact,
    /// Names match when they are equal after ASCII lower-casing, the way WHMCS
    /// accepts `getclients` for `GetClients`.
    AsciiCaseInsensitive,
}

impl NameMatching {
    /// Returns whether `a` and `b` are the same name under this rule.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::NameMatching;
    ///
    /// assert!(NameMatching::Exact.matches("Billing", "Billing"));
    /// ```
    pub fn matches(self, a: &str, b: &str) -> bool {
        match self {
            Self::Exact => a == b,
            Self::AsciiCaseInsensitive => a.eq_ignore_ascii_case(b),
        }
    }

    /// Feeds `name` to `state` so that names equal under this rule hash equally.
    pub(crate) fn hash_into<H: std::hash::Hasher>(self, name: &str, state: &mut H) {
        match self {
            Self::Exact => state.write(name.as_bytes()),
            Self::AsciiCaseInsensitive if name.len() <= MAX_NAME_LEN => {
                let mut buf = [0u8; MAX_NAME_LEN];
                let folded = &mut buf[..name.len()];
                folded.copy_from_slice(name.as_bytes());
                folded.make_ascii_lowercase();
                state.write(folded);
            }
            Self::AsciiCaseInsensitive => {
                // Longer than any valid name: never equal to one, so any
                // consistent hash will do.
                for chunk in name.as_bytes().chunks(MAX_NAME_LEN) {
                    let mut buf = [0u8; MAX_NAME_LEN];
                    let folded = &mut buf[..chunk.len()];
                    folded.copy_from_slice(chunk);
                    folded.make_ascii_lowercase();
                    state.write(folded);
                }
            }
        }
        state.write_u8(0xff);
    }
}

/// Checks `name` against the rule for `kind`.
fn validate(kind: NameKind, name: &str) -> Result<(), NameError> {
    let fail = |reason| Err(NameError::new(kind, name, reason));
    if name.is_empty() {
        return fail(NameErrorKind::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return fail(NameErrorKind::TooLong { len: name.len() });
    }
    let spaces_inside = matches!(kind, NameKind::Category | NameKind::Role);
    let mut previous_space = false;
    for (at, ch) in name.char_indices() {
        let allowed = match kind {
            NameKind::Credential => ch.is_ascii_graphic(),
            _ => ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.' | ':'),
        };
        if ch == ' ' && spaces_inside {
            if at == 0 || at == name.len() - 1 {
                return fail(NameErrorKind::EdgeSpace);
            }
            if previous_space {
                return fail(NameErrorKind::DoubleSpace { at });
            }
            previous_space = true;
            continue;
        }
        previous_space = false;
        if !allowed {
            return fail(NameErrorKind::InvalidChar { ch, at });
        }
    }

    Ok(())
}

macro_rules! validated_name {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            /// Validates `name` and wraps it.
            ///
            /// # Errors
            ///
            /// Returns a [`NameError`] that says which rule the name breaks and
            /// where.
            ///
            /// # Example
            ///
            /// ```
            #[doc = concat!("use api_roles::", stringify!($name), ";")]
            ///
            #[doc = concat!("let name = ", stringify!($name), "::new(\"", $example, "\")?;")]
            #[doc = concat!("assert_eq!(name.as_str(), \"", $example, "\");")]
            #[doc = concat!("assert!(", stringify!($name), "::new(\"\").is_err());")]
            /// # Ok::<(), api_roles::NameError>(())
            /// ```
            pub fn new(name: &str) -> Result<Self, NameError> {
                validate($kind, name)?;
                Ok(Self(name.into()))
            }

            /// Returns the name as a string slice.
            ///
            /// # Example
            ///
            /// ```
            #[doc = concat!("let name: api_roles::", stringify!($name), " = \"", $example, "\".parse()?;")]
            #[doc = concat!("assert_eq!(name.as_str(), \"", $example, "\");")]
            /// # Ok::<(), api_roles::NameError>(())
            /// ```
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = NameError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = NameError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl $name {
            /// Returns whether both hold the very same allocation: a cheap
            /// test that implies equality.
            #[allow(dead_code, reason = "used for some of the name types only")]
            #[inline]
            pub(crate) fn same_allocation(&self, other: &Self) -> bool {
                std::sync::Arc::ptr_eq(&self.0, &other.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::new(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

validated_name!(
    /// The name of an API action, such as `GetClients`.
    ///
    /// 1 to 128 bytes of ASCII letters, digits and `_ - . :`.
    ActionName,
    NameKind::Action,
    "GetClients"
);

validated_name!(
    /// The name of a category of actions, such as `Project Management`.
    ///
    /// The action-name rule, plus single spaces between words.
    CategoryName,
    NameKind::Category,
    "Project Management"
);

validated_name!(
    /// The name of a role, such as `Billing clerk`.
    ///
    /// The same rule as a [`CategoryName`]. Role names are unique in a policy
    /// under the catalog's [`NameMatching`] rule.
    RoleName,
    NameKind::Role,
    "Billing clerk"
);

validated_name!(
    /// The public identifier of an API credential.
    ///
    /// 1 to 128 bytes of printable ASCII without whitespace. Identifiers are
    /// always compared exactly, whatever the catalog's [`NameMatching`] rule.
    CredentialId,
    NameKind::Credential,
    "billing-sync-01"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_follow_the_rule() {
        for ok in ["GetClients", "a", "x.y:z-w_1", &"A".repeat(128)] {
            assert!(ActionName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Get Clients",
            "Get/Clients",
            "Gét",
            &"A".repeat(129),
            "tab\there",
        ] {
            assert!(ActionName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn category_names_allow_single_inner_spaces() {
        assert!(CategoryName::new("Project Management").is_ok());
        let err = CategoryName::new("Project  Management").unwrap_err();
        assert_eq!(err.reason(), &NameErrorKind::DoubleSpace { at: 8 });
        assert_eq!(
            CategoryName::new(" Billing").unwrap_err().reason(),
            &NameErrorKind::EdgeSpace
        );
        assert_eq!(
            CategoryName::new("Billing ").unwrap_err().reason(),
            &NameErrorKind::EdgeSpace
        );
        assert!(CategoryName::new("Bill\u{a0}ing").is_err());
    }

    #[test]
    fn credential_ids_are_printable_ascii_without_whitespace() {
        assert!(CredentialId::new("k3Y!~#").is_ok());
        for bad in ["", "a b", "a\nb", "ключ", &"k".repeat(129)] {
            assert!(CredentialId::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let err = ActionName::new("Get/Clients").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid action name `Get/Clients`: character `/` at byte 3 is not allowed"
        );
        let err = RoleName::new(&"x".repeat(10_000)).unwrap_err();
        assert!(
            err.to_string().len() < 200,
            "long input is not echoed whole"
        );
    }

    #[test]
    fn case_folding_hash_agrees_with_matching() {
        use std::hash::{BuildHasher, Hasher};
        let state = hashbrown::DefaultHashBuilder::default();
        let hash = |m: NameMatching, s: &str| {
            let mut h = state.build_hasher();
            m.hash_into(s, &mut h);
            h.finish()
        };
        let long = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-AbCdEfGhIj";
        let insensitive = NameMatching::AsciiCaseInsensitive;
        assert_eq!(
            hash(insensitive, long),
            hash(insensitive, &long.to_ascii_lowercase())
        );
        assert_ne!(
            hash(NameMatching::Exact, long),
            hash(NameMatching::Exact, "abc")
        );
    }

    #[test]
    fn serde_validates() {
        let name: ActionName = serde_json::from_str("\"GetClients\"").unwrap();
        assert_eq!(name.as_str(), "GetClients");
        assert!(serde_json::from_str::<ActionName>("\"Get Clients\"").is_err());
    }
}
