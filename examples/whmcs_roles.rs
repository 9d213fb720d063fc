//! Roles on the real WHMCS catalog of 162 API actions.
//!
//! Loads `data/whmcs_api_actions.json`, defines the roles a hosting company
//! would give its integrations, issues credentials with secrets (one rotated,
//! one expiring, one disabled, one restricted to a network), upgrades two
//! credentials from before roles existed, then sends 100,000 seeded requests
//! through the request gate and prints sample decisions with their WHMCS
//! error texts, counts per outcome and checks per second.
//!
//! The policy is kept in a file store, by default under
//! `target/whmcs-roles-example/`, or in the directory given as the first
//! argument; a second run finds the first run's roles and credentials.
//!
//! Run it with `cargo run --release --example whmcs_roles`.

use std::collections::BTreeMap;
use std::error::Error;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use api_roles::{
    ActionCatalog, Authorizer, Decision, FileStore, Grants, LEGACY_ROLE_NAME, LoadOptions,
    ManualClock, NameMatching, Policy, Proposal, Request, SharedAuthorizer, SharedOptions,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/whmcs_api_actions.json");
const DEFAULT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/whmcs-roles-example");
const REQUESTS: usize = 100_000;
const LEGACY_CRM: [&str; 5] = [
    "GetClients",
    "GetClientsDetails",
    "AddClient",
    "UpdateClient",
    "GetInvoices",
];
const LEGACY_MOBILE: [&str; 4] = [
    "GetClientsProducts",
    "GetTickets",
    "OpenTicket",
    "AddTicketReply",
];
const ROUNDS: usize = 10;

/// The example's "now": requests are judged two hours after set-up.
const SETUP: Duration = Duration::from_secs(1_800_000_000);
const HOUR: Duration = Duration::from_secs(3600);

/// A request as the host receives it.
struct Incoming {
    credential: String,
    secret: String,
    action: String,
    client: IpAddr,
}

fn main() -> Result<(), Box<dyn Error>> {
    let document = std::fs::read_to_string(CATALOG)
        .map_err(|err| format!("cannot read the catalog `{CATALOG}`: {err}"))?;
    // WHMCS accepts action names in any case, so this catalog does too.
    let catalog = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .json(&document)?
        .build()?;
    println!(
        "catalog: {} actions in {} categories",
        catalog.len(),
        catalog.categories().len()
    );

    // The policy lives in a file store, so a second run finds the first
    // run's roles and credentials.
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from);
    std::fs::create_dir_all(&dir)
        .map_err(|err| format!("cannot create `{}`: {err}", dir.display()))?;
    let store = Arc::new(FileStore::open(dir.join("policy.json"))?);
    let setup = SystemTime::UNIX_EPOCH + SETUP;
    let (policy, _) = Policy::open(catalog, store, &LoadOptions::default())?;
    let mut policy = policy.with_clock(Arc::new(ManualClock::new(setup)));

    let secrets = if policy.roles().len() == 0 {
        println!("first run: storing the policy in {}", dir.display());
        first_run(&mut policy, setup)?
    } else {
        println!(
            "found {} roles and {} credentials at revision {} in {}",
            policy.roles().len(),
            policy.credentials().len(),
            policy.revision(),
            dir.display(),
        );
        // Secrets are shown once and never stored: issue fresh ones for the demo.
        let mut secrets = BTreeMap::new();
        let ids: Vec<String> = policy.credentials().map(|c| c.id().to_string()).collect();
        for id in ids {
            let secret = policy.reset_secret(&id)?;
            secrets.insert(id, secret.expose().to_owned());
        }
        println!("issued fresh secrets for {} credentials", secrets.len());
        secrets
    };

    // Every request thread shares one live authorizer; usage recording
    // shows what each credential really uses.
    let shared =
        SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));
    let now = setup + 2 * HOUR;
    println!();
    print_samples(&shared.snapshot(), &secrets, now);

    let requests = seeded_requests(&shared.snapshot(), &secrets, REQUESTS);
    println!();
    print_counts(&shared, &requests, now);
    println!();
    narrow_legacy_credentials(&shared)?;
    println!();
    print_throughput(&shared, &requests, now);
    Ok(())
}

/// Moves the legacy full-access credentials to roles that cover exactly
/// what they used, as the least-privilege report proposes.
fn narrow_legacy_credentials(shared: &SharedAuthorizer) -> Result<(), Box<dyn Error>> {
    let report = shared.least_privilege();
    let legacy = shared.with_policy(|policy| policy.role_by_name(LEGACY_ROLE_NAME).map(|r| r.id()));
    println!("least privilege, from {REQUESTS} recorded requests:");
    for advice in report.credentials() {
        let id = advice.credential().as_str();
        let holds_legacy = legacy.is_some_and(|role| {
            shared.with_policy(|p| p.credential(id).is_some_and(|c| c.roles().contains(&role)))
        });
        if !holds_legacy {
            continue;
        }
        println!(
            "  {id}: used {} actions, holds {} it never used",
            advice.used().len(),
            advice.unused().len()
        );
        let before = shared.is_allowed(id, "DecryptPassword");
        let edited = shared.edit(|policy| {
            match advice.proposal() {
                Proposal::ExistingRoles(roles) => {
                    for role in roles {
                        policy.assign_role(id, *role)?;
                    }
                }
                Proposal::NewRole(grants) => {
                    let role = policy.create_role(&format!("{id} narrowed"), grants.clone())?;
                    policy.assign_role(id, role)?;
                }
                _ => {}
            }
            match legacy {
                Some(role) => policy.unassign_role(id, role),
                None => Ok(()),
            }
        })?;
        let grants: Vec<String> = shared.with_policy(|policy| {
            let roles = policy
                .credential(id)
                .map(|c| c.roles().to_vec())
                .unwrap_or_default();
            roles
                .iter()
                .filter_map(|role| policy.role(*role))
                .map(|role| format!("`{}`", role.name()))
                .collect()
        });
        println!(
            "    narrowed to {} at revision {}; DecryptPassword: {} before, {} now",
            grants.join(", "),
            edited.revision,
            verdict(before),
            verdict(shared.is_allowed(id, "DecryptPassword")),
        );
    }
    Ok(())
}

fn verdict(yes: bool) -> &'static str {
    if yes { "allowed" } else { "denied" }
}

/// Sets up roles and credentials, and upgrades two integrations from before
/// roles existed; returns the secrets issued.
fn first_run(
    policy: &mut Policy,
    setup: SystemTime,
) -> Result<BTreeMap<String, String>, Box<dyn Error>> {
    define_roles(policy)?;
    let mut secrets = issue_credentials(policy, setup)?;

    // Two integrations from before roles existed: they hold no role yet.
    for id in ["legacy-crm", "legacy-mobile-app"] {
        let secret = policy.create_credential(id)?;
        secrets.insert(id.to_owned(), secret.expose().to_owned());
    }
    let report = policy.upgrade_legacy()?;
    let role = report
        .role()
        .and_then(|id| policy.role(id))
        .map(|r| r.name().to_string());
    println!(
        "legacy upgrade: {} credentials given role `{}`; running it again changes {}",
        report.credentials().len(),
        role.unwrap_or_default(),
        policy.upgrade_legacy()?.credentials().len(),
    );
    Ok(secrets)
}

fn define_roles(policy: &mut Policy) -> Result<(), Box<dyn Error>> {
    let clerk = policy.create_role(
        "Billing clerk",
        Grants::new()
            .category("Billing")
            .actions(["GetClients", "GetClientsDetails"]),
    )?;
    policy.describe_role(
        clerk,
        Some("Invoices, quotes and payments, and the client list"),
    )?;

    let support = policy.create_role(
        "Support desk",
        Grants::new()
            .category("Support")
            .category("Tickets")
            .actions([
                "GetClients",
                "GetClientsDetails",
                "GetClientsProducts",
                "GetClientsDomains",
            ]),
    )?;
    policy.describe_role(support, Some("Tickets, announcements and client look-ups"))?;

    policy.create_role(
        "Provisioning",
        Grants::new()
            .category("Service")
            .category("Servers")
            .actions([
                "AcceptOrder",
                "GetOrders",
                "PendingOrder",
                "GetModuleQueue",
                "DomainRegister",
                "DomainRenew",
                "DomainTransfer",
            ]),
    )?;

    let reading: Vec<String> = policy
        .catalog()
        .actions()
        .map(|(_, name)| name.to_string())
        .filter(|name| name.starts_with("Get") && name != "GetClientPassword")
        .collect();
    policy.create_role("Read-only reporting", Grants::new().actions(reading))?;

    // WHMCS records refunds and credit as transactions and credit entries.
    let no_refunds = policy.create_role(
        "Billing without refunds",
        Grants::new()
            .category("Billing")
            .except("AddCredit")
            .except("ApplyCredit")
            .except("AddTransaction"),
    )?;
    policy.describe_role(no_refunds, Some("All of Billing except moving money back"))?;
    Ok(())
}

/// Issues the credentials and returns their secrets, as a host would hand
/// them to each integration once.
fn issue_credentials(
    policy: &mut Policy,
    setup: SystemTime,
) -> Result<BTreeMap<String, String>, Box<dyn Error>> {
    let assignments: [(&str, &[&str]); 7] = [
        ("billing-sync", &["Billing clerk"]),
        ("helpdesk-widget", &["Support desk"]),
        ("provisioner", &["Provisioning"]),
        ("bi-dashboard", &["Read-only reporting"]),
        (
            "accounting-export",
            &["Billing without refunds", "Read-only reporting"],
        ),
        ("retired-reseller", &["Billing clerk", "Provisioning"]),
        ("contractor-audit", &["Read-only reporting"]),
    ];
    let mut secrets = BTreeMap::new();
    for (id, roles) in assignments {
        let secret = policy.create_credential(id)?;
        secrets.insert(id.to_owned(), secret.expose().to_owned());
        for name in roles {
            let role = policy
                .role_by_name(name)
                .ok_or(format!("no role `{name}`"))?
                .id();
            policy.assign_role(id, role)?;
        }
    }

    // The billing integration is rolling over to a new secret: the old one
    // keeps working for a day.
    let new = policy.rotate_secret("billing-sync", setup + 24 * HOUR)?;
    secrets.insert("billing-sync".to_owned(), new.expose().to_owned());
    // The provisioner runs in the data centre only.
    policy.set_allowed_networks("provisioner", ["10.20.0.0/16", "fd00:20::/32"])?;
    // The auditor's access ended an hour after set-up.
    policy.set_expiry("contractor-audit", Some(setup + HOUR))?;
    policy.describe_credential("retired-reseller", Some("Reseller contract ended"))?;
    policy.disable_credential("retired-reseller")?;
    Ok(secrets)
}

fn print_samples(authorizer: &Authorizer, secrets: &BTreeMap<String, String>, now: SystemTime) {
    let secret = |id: &str| secrets.get(id).cloned().unwrap_or_default();
    let office = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));
    let datacentre = IpAddr::V4(Ipv4Addr::new(10, 20, 3, 4));
    let samples = [
        (
            "billing-sync",
            secret("billing-sync"),
            "AddInvoicePayment",
            office,
        ),
        ("billing-sync", secret("billing-sync"), "getclients", office),
        (
            "billing-sync",
            secret("billing-sync"),
            "DeleteClient",
            office,
        ),
        (
            "billing-sync",
            secret("helpdesk-widget"),
            "GetInvoices",
            office,
        ),
        (
            "helpdesk-widget",
            secret("helpdesk-widget"),
            "OpenTicket",
            office,
        ),
        (
            "provisioner",
            secret("provisioner"),
            "ModuleSuspend",
            datacentre,
        ),
        (
            "provisioner",
            secret("provisioner"),
            "ModuleSuspend",
            office,
        ),
        (
            "bi-dashboard",
            secret("bi-dashboard"),
            "GetClientPassword",
            office,
        ),
        (
            "accounting-export",
            secret("accounting-export"),
            "AddCredit",
            office,
        ),
        (
            "legacy-crm",
            secret("legacy-crm"),
            "DecryptPassword",
            office,
        ),
        (
            "retired-reseller",
            secret("retired-reseller"),
            "GetInvoices",
            office,
        ),
        (
            "contractor-audit",
            secret("contractor-audit"),
            "GetStats",
            office,
        ),
        (
            "billing-sync",
            secret("billing-sync"),
            "RefundEverything",
            office,
        ),
        ("unknown-key", secret("billing-sync"), "GetClients", office),
    ];
    println!(
        "{:<18} {:<18} {:<34} {:<40} WHMCS error",
        "credential", "action", "decision", "granted by"
    );
    for (credential, secret, action, client) in samples {
        let request = Request::new(credential, &secret, action, client).at(now);
        let decision = authorizer.check(&request);
        let granted_by: Vec<String> = match decision {
            Decision::Allowed => authorizer
                .explain(credential, action)
                .grants()
                .iter()
                .map(|grant| format!("`{}` via {}", grant.role_name(), grant.kind()))
                .collect(),
            Decision::Denied(_) => Vec::new(),
        };
        println!(
            "{credential:<18} {action:<18} {:<34} {:<40} {}",
            decision.to_string(),
            granted_by.join(", "),
            request.whmcs_error(decision).unwrap_or_default(),
        );
    }
}

/// Makes `n` requests: mostly real credentials, secrets and actions, with
/// wrong secrets, unknown actions, unknown credentials, the disabled and the
/// expired credential, and foreign addresses mixed in.
fn seeded_requests(
    authorizer: &Authorizer,
    secrets: &BTreeMap<String, String>,
    n: usize,
) -> Vec<Incoming> {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let ids: Vec<&str> = secrets.keys().map(String::as_str).collect();
    let actions: Vec<String> = authorizer
        .catalog()
        .actions()
        .map(|(_, a)| a.to_string())
        .collect();
    (0..n)
        .map(|_| {
            let credential = ids[rng.random_range(0..ids.len())];
            // The legacy integrations really use only a few actions.
            let action = match credential {
                "legacy-crm" => LEGACY_CRM[rng.random_range(0..LEGACY_CRM.len())].to_owned(),
                "legacy-mobile-app" => {
                    LEGACY_MOBILE[rng.random_range(0..LEGACY_MOBILE.len())].to_owned()
                }
                _ => actions[rng.random_range(0..actions.len())].clone(),
            };
            let mut request = Incoming {
                credential: credential.to_owned(),
                secret: secrets.get(credential).cloned().unwrap_or_default(),
                action,
                client: IpAddr::V4(Ipv4Addr::new(10, 20, rng.random(), rng.random())),
            };
            match rng.random_range(0..100) {
                0..4 => request.credential = format!("unknown-{}", rng.random::<u32>()),
                4..8 => request.secret.replace_range(10..11, "_"),
                8..12 => request.action.push('X'),
                12..16 => request.client = IpAddr::V4(Ipv4Addr::new(203, 0, 113, rng.random())),
                _ => {}
            }
            request
        })
        .collect()
}

fn print_counts(authorizer: &SharedAuthorizer, requests: &[Incoming], now: SystemTime) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in requests {
        let request = Request::new(&r.credential, &r.secret, &r.action, r.client).at(now);
        *counts
            .entry(authorizer.check(&request).to_string())
            .or_default() += 1;
    }
    println!("{} seeded requests through the gate:", requests.len());
    for (outcome, count) in &counts {
        println!("  {outcome:<34} {count:>7}");
    }
}

fn print_throughput(shared: &SharedAuthorizer, requests: &[Incoming], now: SystemTime) {
    let authorizer = &shared.snapshot();
    let checks = (ROUNDS * requests.len()) as f64;
    let report = |what: &str, elapsed: Duration, allowed: usize| {
        println!(
            "{what:<44} {:>6.1} ms for {} checks on one thread: {:>5.1} M/s, {:>4.0} ns per check ({allowed} allowed)",
            elapsed.as_secs_f64() * 1e3,
            ROUNDS * requests.len(),
            checks / elapsed.as_secs_f64() / 1e6,
            elapsed.as_nanos() as f64 / checks,
        );
    };

    let start = Instant::now();
    let mut allowed = 0usize;
    for _ in 0..ROUNDS {
        for r in requests {
            let decision = authorizer.authorize(black_box(&r.credential), black_box(&r.action));
            allowed += usize::from(decision.is_allowed());
        }
    }
    report("authorize (permissions only)", start.elapsed(), allowed);

    let start = Instant::now();
    let mut allowed = 0usize;
    for _ in 0..ROUNDS {
        for r in requests {
            let decision = shared.authorize(black_box(&r.credential), black_box(&r.action));
            allowed += usize::from(decision.is_allowed());
        }
    }
    report(
        "shared authorize, recording usage",
        start.elapsed(),
        allowed,
    );

    let start = Instant::now();
    let mut allowed = 0usize;
    for _ in 0..ROUNDS {
        for r in requests {
            let request = Request::new(&r.credential, &r.secret, &r.action, r.client).at(now);
            allowed += usize::from(authorizer.check(black_box(&request)).is_allowed());
        }
    }
    report(
        "check (secret, state, network, permissions)",
        start.elapsed(),
        allowed,
    );
}
