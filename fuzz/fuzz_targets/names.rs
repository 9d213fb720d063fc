//! Checks that accepted names round-trip through `as_str` and `FromStr`, and errors stay short.
#![no_main]

use std::fmt::Debug;
use std::str::FromStr;

use api_roles::{ActionName, CategoryName, CredentialId, NameError, RoleName};
use libfuzzer_sys::fuzz_target;

/// The longest error message a hostile name may produce.
const MAX_MESSAGE_LEN: usize = 300;

/// Validates `text` with `new`; returns whether it was accepted.
fn check<N>(text: &str, new: fn(&str) -> Result<N, NameError>, as_str: fn(&N) -> &str) -> bool
where
    N: FromStr<Err = NameError> + PartialEq + Debug,
{
    match new(text) {
        Ok(name) => {
            assert_eq!(as_str(&name), text);
            assert_eq!(as_str(&name).parse::<N>().as_ref(), Ok(&name));
            assert_eq!(text.parse::<N>().as_ref(), Ok(&name));
            true
        }
        Err(err) => {
            let message = err.to_string();
            assert!(
                message.len() < MAX_MESSAGE_LEN,
                "{} bytes: {message}",
                message.len()
            );
            assert_eq!(text.parse::<N>().err().as_ref(), Some(&err));
            false
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let action = check(&text, ActionName::new, ActionName::as_str);
    let category = check(&text, CategoryName::new, CategoryName::as_str);
    let role = check(&text, RoleName::new, RoleName::as_str);
    let credential = check(&text, CredentialId::new, CredentialId::as_str);

    // The rules nest as documented: an action name is also a category name
    // and a credential identifier; category and role names share one rule.
    assert_eq!(category, role);
    assert!(!action || category);
    assert!(!action || credential);
});
