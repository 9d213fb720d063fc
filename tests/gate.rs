//! The request gate through the public API: secrets, rotation, expiry,
//! networks, redaction and WHMCS error texts.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use api_roles::{
    ActionCatalog, Authorizer, Decision, DenyReason, Grants, ManualClock, NameMatching, Policy,
    PolicyError, Request, Secret, SecretError,
};

const T0: Duration = Duration::from_secs(1_800_000_000);

fn epoch(offset: Duration) -> SystemTime {
    SystemTime::UNIX_EPOCH + offset
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test addresses are valid")
}

struct Fixture {
    policy: Policy,
    clock: Arc<ManualClock>,
    secret: Secret,
}

/// A policy with one credential `app` that may call `GetClients`.
fn fixture() -> Fixture {
    let catalog = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .actions("Client", ["GetClients", "DeleteClient"])
        .build()
        .expect("valid catalog");
    let clock = Arc::new(ManualClock::new(epoch(T0)));
    let mut policy = Policy::new(catalog).with_clock(clock.clone());
    let reader = policy
        .create_role("Reader", Grants::new().action("GetClients"))
        .expect("valid role");
    let secret = policy.create_credential("app").expect("valid credential");
    policy.assign_role("app", reader).expect("role exists");
    Fixture {
        policy,
        clock,
        secret,
    }
}

fn check(authorizer: &Authorizer, secret: &str, at: SystemTime) -> Decision {
    authorizer.check(&Request::new("app", secret, "GetClients", ip("192.0.2.10")).at(at))
}

fn denied(reason: DenyReason) -> Decision {
    Decision::Denied(reason)
}

#[test]
fn only_the_exact_secret_verifies() {
    let f = fixture();
    let authorizer = f.policy.compile();
    let good = f.secret.expose();
    let now = epoch(T0);
    assert_eq!(check(&authorizer, good, now), Decision::Allowed);

    let flip = |s: &str, at: usize| -> String {
        let mut bytes = s.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).expect("ascii stays utf-8")
    };
    let last_changed = flip(good, good.len() - 1);
    let first_changed = flip(good, 0);
    let appended = format!("{good}A");
    let megabytes = "A".repeat(4 << 20);
    for wrong in [
        last_changed.as_str(),
        first_changed.as_str(),
        appended.as_str(),
        "",
        megabytes.as_str(),
    ] {
        assert_eq!(
            check(&authorizer, wrong, now),
            denied(DenyReason::WrongSecret)
        );
        assert_eq!(
            authorizer.authenticate("app", wrong, now),
            Err(DenyReason::WrongSecret)
        );
    }
    assert_eq!(
        authorizer.authenticate("ghost", good, now),
        Err(DenyReason::UnknownCredential)
    );
}

#[test]
fn disabled_credentials_are_denied_after_the_secret_check() {
    let mut f = fixture();
    f.policy.disable_credential("app").expect("exists");
    let authorizer = f.policy.compile();
    let now = epoch(T0);
    assert_eq!(
        check(&authorizer, f.secret.expose(), now),
        denied(DenyReason::CredentialDisabled)
    );
    // Without the secret, nobody learns that the credential is disabled.
    assert_eq!(check(&authorizer, "", now), denied(DenyReason::WrongSecret));
}

#[test]
fn expiry_takes_effect_at_the_exact_instant() {
    let mut f = fixture();
    let expiry = epoch(T0 + Duration::from_secs(3600));
    f.policy
        .set_expiry("app", Some(expiry))
        .expect("in the future");
    let authorizer = f.policy.compile();
    let secret = f.secret.expose();
    let just_before = expiry - Duration::from_nanos(1);
    assert_eq!(check(&authorizer, secret, just_before), Decision::Allowed);
    assert_eq!(
        check(&authorizer, secret, expiry),
        denied(DenyReason::CredentialExpired)
    );
    assert_eq!(
        check(&authorizer, secret, expiry + Duration::from_secs(1)),
        denied(DenyReason::CredentialExpired)
    );
}

#[test]
fn rotation_keeps_the_old_secret_until_the_grace_instant() {
    let mut f = fixture();
    let grace = epoch(T0 + Duration::from_secs(600));
    let new = f.policy.rotate_secret("app", grace).expect("has a secret");
    let authorizer = f.policy.compile();
    let (old, new) = (f.secret.expose(), new.expose());
    let before = grace - Duration::from_secs(1);
    let after = grace + Duration::from_secs(1);

    assert_eq!(check(&authorizer, old, before), Decision::Allowed);
    assert_eq!(check(&authorizer, new, before), Decision::Allowed);
    assert_eq!(
        check(&authorizer, old, grace),
        denied(DenyReason::WrongSecret)
    );
    assert_eq!(check(&authorizer, new, grace), Decision::Allowed);
    assert_eq!(
        check(&authorizer, old, after),
        denied(DenyReason::WrongSecret)
    );
    assert_eq!(check(&authorizer, new, after), Decision::Allowed);
}

#[test]
fn reset_and_revoke_end_old_secrets_at_once() {
    let mut f = fixture();
    let grace = epoch(T0 + Duration::from_secs(600));
    let rotated = f.policy.rotate_secret("app", grace).expect("has a secret");
    let reset = f.policy.reset_secret("app").expect("exists");
    let authorizer = f.policy.compile();
    let now = epoch(T0);
    assert_eq!(
        check(&authorizer, f.secret.expose(), now),
        denied(DenyReason::WrongSecret)
    );
    assert_eq!(
        check(&authorizer, rotated.expose(), now),
        denied(DenyReason::WrongSecret)
    );
    assert_eq!(check(&authorizer, reset.expose(), now), Decision::Allowed);

    f.policy.revoke_secret("app").expect("exists");
    let authorizer = f.policy.compile();
    assert_eq!(
        check(&authorizer, reset.expose(), now),
        denied(DenyReason::WrongSecret)
    );
}

#[test]
fn per_credential_allow_lists_cover_ipv4_and_ipv6() {
    let mut f = fixture();
    f.policy
        .set_allowed_networks("app", ["192.0.2.0/28", "2001:db8:10::/48"])
        .expect("valid networks");
    let authorizer = f.policy.compile();
    let secret = f.secret.expose();
    let from = |client: &str| {
        authorizer.check(&Request::new("app", secret, "GetClients", ip(client)).at(epoch(T0)))
    };
    assert_eq!(from("192.0.2.15"), Decision::Allowed);
    assert_eq!(from("::ffff:192.0.2.1"), Decision::Allowed);
    assert_eq!(from("192.0.2.16"), denied(DenyReason::AddressNotAllowed));
    assert_eq!(from("2001:db8:10:ffff::1"), Decision::Allowed);
    assert_eq!(
        from("2001:db8:11::1"),
        denied(DenyReason::AddressNotAllowed)
    );
}

#[test]
fn the_global_allow_list_applies_to_everyone_first() {
    let mut f = fixture();
    f.policy
        .set_global_networks(["10.0.0.0/8", "fd00::/8"])
        .expect("valid networks");
    let authorizer = f.policy.compile();
    let secret = f.secret.expose();
    let from = |credential: &str, client: &str| {
        authorizer.check(&Request::new(credential, secret, "GetClients", ip(client)).at(epoch(T0)))
    };
    assert_eq!(from("app", "10.20.30.40"), Decision::Allowed);
    assert_eq!(from("app", "fd12::1"), Decision::Allowed);
    assert_eq!(
        from("app", "192.0.2.1"),
        denied(DenyReason::AddressNotAllowed)
    );
    assert_eq!(
        from("app", "fe80::1"),
        denied(DenyReason::AddressNotAllowed)
    );
    assert_eq!(
        from("ghost", "192.0.2.1"),
        denied(DenyReason::AddressNotAllowed)
    );
    assert_eq!(
        from("ghost", "10.0.0.1"),
        denied(DenyReason::UnknownCredential)
    );
}

#[test]
fn the_gate_ends_with_the_permission_check() {
    let f = fixture();
    let authorizer = f.policy.compile();
    let secret = f.secret.expose();
    let ask = |action: &str| {
        authorizer.check(&Request::new("app", secret, action, ip("192.0.2.1")).at(epoch(T0)))
    };
    assert_eq!(ask("getclients"), Decision::Allowed);
    assert_eq!(ask("DeleteClient"), denied(DenyReason::NotPermitted));
    assert_eq!(ask("DropTables"), denied(DenyReason::UnknownAction));
    // The permission-only path agrees, and ignores the secret entirely.
    assert!(authorizer.is_allowed("app", "GetClients"));
}

#[test]
fn whmcs_texts_match_each_reason() {
    let f = fixture();
    let authorizer = f.policy.compile();
    let client = ip("198.51.100.4");
    let request =
        |credential, secret, action| Request::new(credential, secret, action, client).at(epoch(T0));
    let text = |r: Request<'_>| r.whmcs_error(authorizer.check(&r));
    let good = f.secret.expose();
    assert_eq!(text(request("app", good, "GetClients")), None);
    assert_eq!(
        text(request("ghost", good, "GetClients")).as_deref(),
        Some("Invalid or missing credentials")
    );
    assert_eq!(
        text(request("app", "nope", "GetClients")).as_deref(),
        Some("Authentication Failed")
    );
    assert_eq!(
        text(request("app", good, "DeleteClient")).as_deref(),
        Some(r#"Invalid Permissions: API action "deleteclient" is not allowed"#)
    );
    assert_eq!(
        DenyReason::AddressNotAllowed.whmcs_message("GetClients", client),
        "Invalid IP 198.51.100.4"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut f = fixture();
    let before = format!("{:?}", f.policy);

    let grace_now = epoch(T0);
    assert_eq!(
        f.policy.rotate_secret("app", grace_now).map(|_| ()),
        Err(PolicyError::GraceNotInFuture("app".into()))
    );
    assert_eq!(
        f.policy.set_expiry("app", Some(epoch(T0))),
        Err(PolicyError::ExpiryInPast("app".into()))
    );
    let err = f
        .policy
        .set_allowed_networks("app", ["10.0.0.0/8", "300.1.1.1/8"])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "networks[1]: invalid network `300.1.1.1/8`"
    );
    assert!(f.policy.set_global_networks(["::/129"]).is_err());
    assert!(f.policy.rotate_secret("ghost", epoch(T0 * 2)).is_err());
    assert_eq!(format!("{:?}", f.policy), before);

    f.policy.revoke_secret("app").expect("exists");
    let revoked = format!("{:?}", f.policy);
    let err = f
        .policy
        .rotate_secret("app", epoch(T0 * 2))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err, PolicyError::NoSecret("app".into()));
    assert_eq!(err.to_string(), "credential `app` has no secret to rotate");
    assert_eq!(format!("{:?}", f.policy), revoked);

    // The clock moves; an expiry that was in the future is now in the past.
    f.clock.advance(Duration::from_secs(10));
    assert!(
        f.policy
            .set_expiry("app", Some(epoch(T0 + Duration::from_secs(5))))
            .is_err()
    );
}

#[test]
fn malformed_secrets_have_typed_errors_that_never_echo_them() {
    let good = fixture().secret;
    let good = good.expose();
    let cases = [
        (String::new(), SecretError::Empty),
        (good[..20].to_owned(), SecretError::WrongLength { len: 20 }),
        (
            "x".repeat(3 << 20),
            SecretError::WrongLength { len: 3 << 20 },
        ),
        (
            format!("{}!", &good[..46]),
            SecretError::InvalidChar { at: 46 },
        ),
        (format!("key_{}", &good[4..]), SecretError::MissingPrefix),
    ];
    for (input, expected) in cases {
        let err = input.parse::<Secret>().expect_err("malformed");
        assert_eq!(err, expected);
        if input.len() > 8 {
            assert!(!err.to_string().contains(&input[4..12]));
        }
    }
    assert!(good.parse::<Secret>().is_ok());
}

/// Every window of five bytes of `secret` that occurs in `text`.
fn leaks(secret: &str, text: &str) -> Vec<String> {
    secret
        .as_bytes()
        .windows(5)
        .filter_map(|w| std::str::from_utf8(w).ok())
        .filter(|w| text.contains(w))
        .map(str::to_owned)
        .collect()
}

#[test]
fn secrets_never_appear_in_debug_display_errors_or_serialized_forms() {
    let mut f = fixture();
    let grace = epoch(T0 + Duration::from_secs(60));
    let rotated = f.policy.rotate_secret("app", grace).expect("has a secret");
    f.policy
        .set_allowed_networks("app", ["10.0.0.0/8"])
        .expect("valid");
    let authorizer = f.policy.compile();

    for secret in [f.secret.expose(), rotated.expose()] {
        let request = Request::new("app", secret, "GetClients", ip("10.0.0.1"));
        let credential = f.policy.credential("app").expect("exists");
        let mut outputs = vec![
            format!("{:?}", f.secret),
            format!("{}", f.secret),
            format!("{rotated:?} {rotated}"),
            format!("{:?}", f.policy),
            format!("{:#?}", f.policy),
            format!("{credential:?}"),
            format!("{authorizer:?}"),
            format!("{request:?}"),
            format!("{:?}", authorizer.check(&request)),
            format!("{:?}", credential.secret_hash()),
            format!("{:?}", authorizer.explain("app", "GetClients")),
        ];
        for role in f.policy.roles() {
            outputs.push(serde_json::to_string(role.grants()).expect("serializes"));
        }
        let tweaked = format!("{}!{}", &secret[..20], &secret[21..]);
        let parse_err = tweaked.parse::<Secret>().expect_err("bad char");
        outputs.push(format!("{parse_err} {parse_err:?}"));
        for output in &outputs {
            assert_eq!(leaks(secret, output), Vec::<String>::new(), "in {output}");
        }
    }
}
