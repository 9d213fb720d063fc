//! Checks that secret parsing never panics and that no forged secret, identifier or action passes.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use api_roles::{
    ActionCatalog, Authorizer, Grants, NameMatching, Policy, Request, SECRET_LEN, SECRET_PREFIX,
    Secret,
};
use libfuzzer_sys::fuzz_target;

/// The longest error message a hostile secret may produce.
const MAX_MESSAGE_LEN: usize = 300;

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

/// A compiled policy and the secrets that really verify in it.
struct Fixture {
    authorizer: Authorizer,
    /// The instant every request is judged at.
    at: SystemTime,
    /// (credential, one of its working secrets, whether it is enabled).
    valid: Vec<(&'static str, String, bool)>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| fixture().expect("the fixture builds"));

/// Credentials with a secret, a rotated secret, no secret, and a disabled
/// one; all of them hold a role that permits every action.
fn fixture() -> Result<Fixture, Box<dyn std::error::Error>> {
    let catalog = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .actions("Client", ["GetClients"])
        .build()?;
    let mut policy = Policy::new(catalog);
    let everything = policy.create_role("Everything", Grants::all_actions())?;
    let at = SystemTime::now();
    let mut valid = Vec::new();

    let crm = policy.create_credential("crm")?;
    valid.push(("crm", crm.expose().to_owned(), true));
    let old = policy.create_credential("rotated")?;
    let new = policy.rotate_secret("rotated", at + Duration::from_secs(86_400))?;
    valid.push(("rotated", old.expose().to_owned(), true));
    valid.push(("rotated", new.expose().to_owned(), true));
    let _revoked = policy.create_credential("revoked")?;
    policy.revoke_secret("revoked")?;
    let disabled = policy.create_credential("disabled")?;
    policy.disable_credential("disabled")?;
    valid.push(("disabled", disabled.expose().to_owned(), false));
    for id in ["crm", "rotated", "revoked", "disabled"] {
        policy.assign_role(id, everything)?;
    }

    let authorizer = policy.compile();
    Ok(Fixture {
        authorizer,
        at,
        valid,
    })
}

/// Parses `text` as a secret and checks the result.
fn parse(text: &str) {
    match text.parse::<Secret>() {
        Ok(secret) => {
            assert_eq!(secret.expose(), text);
            assert_eq!(text.len(), SECRET_LEN);
            assert!(text.starts_with(SECRET_PREFIX));
            assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
            assert_eq!(secret.to_string(), "<redacted>");
        }
        Err(err) => {
            let message = err.to_string();
            assert!(message.len() < MAX_MESSAGE_LEN, "{message}");
            if text.len() == SECRET_LEN {
                assert!(!message.contains(text), "the message repeats the secret");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let Fixture {
        authorizer,
        at,
        valid,
    } = &*FIXTURE;
    parse(text);

    // The fuzzed text as a secret: nothing verifies, nothing is allowed.
    if !valid.iter().any(|(_, secret, _)| secret == text) {
        for credential in ["crm", "rotated", "revoked", "disabled", "nobody"] {
            let verified = authorizer.authenticate(credential, text, *at);
            assert!(verified.is_err(), "{credential}");
            let request = Request::new(credential, text, "GetClients", CLIENT).at(*at);
            let decision = authorizer.check(&request);
            assert!(!decision.is_allowed(), "{credential}");
            let _message = request.whmcs_error(decision);
        }
    }

    // The fuzzed text as identifier or action, with real secrets.
    for (credential, secret, enabled) in valid {
        let verified = authorizer.authenticate(text, secret, *at).is_ok();
        assert_eq!(verified, text == *credential, "{credential}");
        let request = Request::new(credential, secret, text, CLIENT).at(*at);
        let decision = authorizer.check(&request);
        let permitted = text.eq_ignore_ascii_case("GetClients");
        assert_eq!(decision.is_allowed(), *enabled && permitted, "{credential}");
        let _message = request.whmcs_error(decision);
    }
});
