//! Inputs found by the fuzz targets in `fuzz/`, minimized, kept as tests.

use api_roles::{ActionCatalog, ActionName, CategoryName, CredentialId, NetworkList, RoleName};

/// The longest error message a hostile input may produce, as the fuzz targets
/// check.
const MAX_MESSAGE_LEN: usize = 300;

fn assert_short(message: &str) {
    assert!(
        message.len() < MAX_MESSAGE_LEN,
        "{} bytes: {message}",
        message.len()
    );
}

/// Found by `fuzz/fuzz_targets/names.rs`: input was cut to 64 characters
/// before it was escaped, so each control character grew to `\u{15}` (6
/// bytes) and a 38-byte name gave a 300-byte message.
#[test]
fn name_errors_stay_short_with_control_characters() {
    let found = format!("{}0{}", "\u{15}".repeat(30), "\u{15}".repeat(7));
    let worst = "\u{10ffff}".repeat(100);
    for input in [found.as_str(), worst.as_str()] {
        assert_short(&ActionName::new(input).unwrap_err().to_string());
        assert_short(&CategoryName::new(input).unwrap_err().to_string());
        assert_short(&RoleName::new(input).unwrap_err().to_string());
        assert_short(&CredentialId::new(input).unwrap_err().to_string());
    }
}

/// Found by `fuzz/fuzz_targets/networks.rs`: the same cut in
/// `PolicyError::InvalidNetwork`, from a 58-byte entry.
#[test]
fn network_errors_stay_short_with_control_characters() {
    let found = format!("{}5.028", "\u{3}".repeat(53));
    let err = NetworkList::parse([found.as_str()]).unwrap_err();
    assert_short(&err.to_string());
}

/// Found by `fuzz/fuzz_targets/networks.rs`: `::/80` holds the IPv4-mapped
/// range, so its broadcast address `::ffff:ffff:ffff` is the IPv4 address
/// `255.255.255.255`, which the list compared only against IPv4 networks.
#[test]
fn ipv6_networks_holding_mapped_addresses_contain_them() {
    let list = NetworkList::parse(["::/80"]).unwrap();
    for addr in [
        "::ffff:ffff:ffff",
        "255.255.255.255",
        "::ffff:10.0.0.1",
        "10.0.0.1",
        "::1",
    ] {
        assert!(list.contains(addr.parse().unwrap()), "{addr}");
    }
    assert!(!list.contains("2001:db8::1".parse().unwrap()));
    let v4 = NetworkList::parse(["10.0.0.0/8"]).unwrap();
    assert!(v4.contains("::ffff:10.1.1.1".parse().unwrap()));
    assert!(!v4.contains("::10.1.1.1".parse().unwrap()));
}

/// The same cut in JSON errors, which repeat offending strings.
#[test]
fn catalog_document_errors_stay_short_with_control_characters() {
    let hostile = "\\u0003".repeat(200);
    let document = format!(r#"{{"categories": "{hostile}"}}"#);
    assert_short(&ActionCatalog::from_json(&document).unwrap_err().to_string());
}
