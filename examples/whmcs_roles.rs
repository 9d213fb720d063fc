//! Roles on the real WHMCS catalog of 162 API actions.
//!
//! Loads `data/whmcs_api_actions.json`, defines the roles a hosting company
//! would give its integrations, issues credentials, upgrades two credentials
//! from before roles existed, then authorizes 100,000 seeded requests and
//! prints sample decisions, counts per outcome and checks per second.
//!
//! Run it with `cargo run --release --example whmcs_roles`.

use std::collections::BTreeMap;
use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use api_roles::{ActionCatalog, Authorizer, Decision, Grants, NameMatching, Policy};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/whmcs_api_actions.json");
const REQUESTS: usize = 100_000;
const ROUNDS: usize = 20;

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

    let mut policy = Policy::new(catalog);
    define_roles(&mut policy)?;
    issue_credentials(&mut policy)?;

    // Two integrations from before roles existed: they hold no role yet.
    policy.create_credential("legacy-crm")?;
    policy.create_credential("legacy-mobile-app")?;
    let report = policy.upgrade_legacy()?;
    let role = report
        .role()
        .and_then(|id| policy.role(id))
        .map(|r| r.name().to_string());
    println!(
        "legacy upgrade: {} credentials given role `{}`; running it again changes {} credentials",
        report.credentials().len(),
        role.unwrap_or_default(),
        policy.upgrade_legacy()?.credentials().len(),
    );

    let authorizer = policy.compile();
    println!();
    print_samples(&authorizer);

    let requests = seeded_requests(&authorizer, REQUESTS);
    println!();
    print_counts(&authorizer, &requests);
    println!();
    print_throughput(&authorizer, &requests);
    Ok(())
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

fn issue_credentials(policy: &mut Policy) -> Result<(), Box<dyn Error>> {
    let assignments: [(&str, &[&str]); 6] = [
        ("billing-sync", &["Billing clerk"]),
        ("helpdesk-widget", &["Support desk"]),
        ("provisioner", &["Provisioning"]),
        ("bi-dashboard", &["Read-only reporting"]),
        (
            "accounting-export",
            &["Billing without refunds", "Read-only reporting"],
        ),
        ("retired-reseller", &["Billing clerk", "Provisioning"]),
    ];
    for (id, roles) in assignments {
        policy.create_credential(id)?;
        for name in roles {
            let role = policy
                .role_by_name(name)
                .ok_or(format!("no role `{name}`"))?
                .id();
            policy.assign_role(id, role)?;
        }
    }
    policy.describe_credential("retired-reseller", Some("Reseller contract ended"))?;
    policy.disable_credential("retired-reseller")?;
    Ok(())
}

fn print_samples(authorizer: &Authorizer) {
    let samples = [
        ("billing-sync", "AddInvoicePayment"),
        ("billing-sync", "getclients"),
        ("billing-sync", "DeleteClient"),
        ("helpdesk-widget", "OpenTicket"),
        ("provisioner", "ModuleSuspend"),
        ("bi-dashboard", "GetStats"),
        ("bi-dashboard", "GetClientPassword"),
        ("accounting-export", "CreateInvoice"),
        ("accounting-export", "AddCredit"),
        ("legacy-crm", "DecryptPassword"),
        ("retired-reseller", "GetInvoices"),
        ("billing-sync", "RefundEverything"),
        ("unknown-key", "GetClients"),
    ];
    println!(
        "{:<18} {:<20} {:<30} why",
        "credential", "action", "decision"
    );
    for (credential, action) in samples {
        let explanation = authorizer.explain(credential, action);
        let why: Vec<String> = explanation
            .grants()
            .iter()
            .map(|grant| format!("role `{}` via {}", grant.role_name(), grant.kind()))
            .collect();
        let decision = explanation.decision().to_string();
        println!(
            "{credential:<18} {action:<20} {decision:<30} {}",
            why.join(", ")
        );
    }
}

/// Makes `n` requests: mostly real credentials and actions, with unknown
/// actions, unknown credentials and the disabled credential mixed in.
fn seeded_requests(authorizer: &Authorizer, n: usize) -> Vec<(String, String)> {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let credentials = [
        "billing-sync",
        "helpdesk-widget",
        "provisioner",
        "bi-dashboard",
        "accounting-export",
        "legacy-crm",
        "legacy-mobile-app",
    ];
    let actions: Vec<String> = authorizer
        .catalog()
        .actions()
        .map(|(_, a)| a.to_string())
        .collect();
    (0..n)
        .map(|_| {
            let action = actions[rng.random_range(0..actions.len())].clone();
            match rng.random_range(0..100) {
                0..5 => ("retired-reseller".to_owned(), action),
                5..10 => (format!("unknown-{}", rng.random::<u32>()), action),
                10..15 => (
                    credentials[rng.random_range(0..7)].to_owned(),
                    format!("{action}X"),
                ),
                _ => (credentials[rng.random_range(0..7)].to_owned(), action),
            }
        })
        .collect()
}

fn print_counts(authorizer: &Authorizer, requests: &[(String, String)]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (credential, action) in requests {
        let decision = authorizer.authorize(credential, action);
        *counts.entry(decision.to_string()).or_default() += 1;
    }
    println!("{} seeded requests:", requests.len());
    for (outcome, count) in &counts {
        println!("  {outcome:<32} {count:>7}");
    }
}

fn print_throughput(authorizer: &Authorizer, requests: &[(String, String)]) {
    let start = Instant::now();
    let mut allowed = 0usize;
    for _ in 0..ROUNDS {
        for (credential, action) in requests {
            let decision = authorizer.authorize(black_box(credential), black_box(action));
            allowed += usize::from(decision == Decision::Allowed);
        }
    }
    let elapsed = start.elapsed();
    let checks = (ROUNDS * requests.len()) as f64;
    println!(
        "{} checks on one thread in {:.1} ms: {:.1} million checks per second, {:.0} ns per check ({} allowed)",
        ROUNDS * requests.len(),
        elapsed.as_secs_f64() * 1e3,
        checks / elapsed.as_secs_f64() / 1e6,
        elapsed.as_nanos() as f64 / checks,
        allowed,
    );
}
