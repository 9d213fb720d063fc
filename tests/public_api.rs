//! Integration tests through the public API only, on the real catalog and on
//! edge cases.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use api_roles::{
    ActionCatalog, ActionId, ActionSet, CatalogError, Decision, DenyReason, GrantKind, Grants,
    NameKind, NameMatching, Policy, PolicyError, RoleId,
};

const WHMCS: &str = include_str!("../data/whmcs_api_actions.json");

fn whmcs(matching: NameMatching) -> ActionCatalog {
    ActionCatalog::builder()
        .name_matching(matching)
        .json(WHMCS)
        .and_then(|builder| builder.build())
        .expect("the shipped catalog loads")
}

fn denied(reason: DenyReason) -> Decision {
    Decision::Denied(reason)
}

#[test]
fn real_catalog_has_162_actions_in_16_categories() {
    let catalog = whmcs(NameMatching::Exact);
    assert_eq!(catalog.len(), 162);
    assert_eq!(catalog.categories().len(), 16);
    let total: usize = catalog.categories().map(|c| c.len()).sum();
    assert_eq!(total, 162);
    let pm = catalog
        .category("Project Management")
        .expect("category exists");
    assert_eq!(pm.len(), 10);
    for (id, name) in catalog.actions() {
        assert_eq!(catalog.action_id(name.as_str()), Some(id));
    }
}

#[test]
fn empty_role_grants_nothing() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let empty = policy
        .create_role("Empty", Grants::new().except("GetClients"))
        .unwrap();
    let _secret = policy.create_credential("k").unwrap();
    policy.assign_role("k", empty).unwrap();
    let authorizer = policy.compile();
    assert!(authorizer.permitted_actions("k").is_empty());
    assert_eq!(
        authorizer.authorize("k", "GetClients"),
        denied(DenyReason::NotPermitted)
    );
}

#[test]
fn credential_with_no_roles_is_denied_everything() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let _secret = policy.create_credential("bare").unwrap();
    let authorizer = policy.compile();
    for (_, action) in authorizer.catalog().actions() {
        let decision = authorizer.authorize("bare", action.as_str());
        assert_eq!(decision, denied(DenyReason::NotPermitted));
    }
}

#[test]
fn deleted_role_stops_granting_and_its_id_stays_dead() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let billing = policy
        .create_role("Billing", Grants::new().category("Billing"))
        .unwrap();
    let _secret = policy.create_credential("k").unwrap();
    policy.assign_role("k", billing).unwrap();
    assert!(policy.compile().is_allowed("k", "AddCredit"));

    policy.delete_role(billing).unwrap();
    assert!(!policy.compile().is_allowed("k", "AddCredit"));
    assert_eq!(
        policy.assign_role("k", billing),
        Err(PolicyError::UnknownRole(billing))
    );
    let again = policy
        .create_role("Billing", Grants::new().category("Billing"))
        .unwrap();
    assert_ne!(again, billing);
}

#[test]
fn renamed_role_keeps_its_grants_and_credentials() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let role = policy
        .create_role("Support", Grants::new().category("Support"))
        .unwrap();
    let _secret = policy.create_credential("k").unwrap();
    policy.assign_role("k", role).unwrap();
    policy.rename_role(role, "Support desk").unwrap();
    let authorizer = policy.compile();
    assert!(authorizer.is_allowed("k", "GetAnnouncements"));
    let explanation = authorizer.explain("k", "GetAnnouncements");
    assert_eq!(explanation.grants()[0].role_name().as_str(), "Support desk");
}

#[test]
fn category_and_all_grants_cover_actions_added_later() {
    let v1 = ActionCatalog::builder()
        .actions("Billing", ["AddCredit"])
        .build()
        .unwrap();
    let mut policy = Policy::new(v1.clone());
    let billing = policy
        .create_role("Billing", Grants::new().category("Billing"))
        .unwrap();
    let admin = policy.create_role("Admin", Grants::all_actions()).unwrap();
    let listed = policy
        .create_role("Listed", Grants::new().action("AddCredit"))
        .unwrap();
    for (id, role) in [("b", billing), ("a", admin), ("l", listed)] {
        let _secret = policy.create_credential(id).unwrap();
        policy.assign_role(id, role).unwrap();
    }

    // A later release of the host adds actions; the stored grants are names.
    let v2 = v1
        .to_builder()
        .actions("Billing", ["AddCredit", "RefundPayment"])
        .action("Client", "GetClients")
        .build()
        .unwrap();
    let mut upgraded = Policy::new(v2);
    for role in policy.roles() {
        upgraded
            .create_role(role.name().as_str(), role.grants().clone())
            .unwrap();
    }
    for credential in policy.credentials() {
        let _secret = upgraded
            .create_credential(credential.id().as_str())
            .unwrap();
        for role in credential.roles() {
            let name = policy.role(*role).unwrap().name().as_str();
            let new_id = upgraded.role_by_name(name).unwrap().id();
            upgraded
                .assign_role(credential.id().as_str(), new_id)
                .unwrap();
        }
    }
    let authorizer = upgraded.compile();
    assert!(authorizer.is_allowed("b", "RefundPayment"));
    assert!(!authorizer.is_allowed("b", "GetClients"));
    assert!(authorizer.is_allowed("a", "GetClients"));
    assert!(!authorizer.is_allowed("l", "RefundPayment"));
}

#[test]
fn exceptions_win_inside_their_role_only() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let no_refunds = policy
        .create_role(
            "Billing no credit",
            Grants::new().category("Billing").except("AddCredit"),
        )
        .unwrap();
    let refunds = policy
        .create_role("Credit", Grants::new().action("AddCredit"))
        .unwrap();
    let _secret = policy.create_credential("clerk").unwrap();
    policy.assign_role("clerk", no_refunds).unwrap();
    assert!(!policy.compile().is_allowed("clerk", "AddCredit"));
    assert!(policy.compile().is_allowed("clerk", "GetInvoices"));

    policy.assign_role("clerk", refunds).unwrap();
    let explanation = policy.compile().explain("clerk", "AddCredit");
    assert_eq!(explanation.decision(), Decision::Allowed);
    assert_eq!(explanation.excepted_by(), [no_refunds]);
    assert_eq!(explanation.grants()[0].kind(), &GrantKind::Action);
}

#[test]
fn catalogs_of_a_thousand_actions_work_past_the_inline_size() {
    let names: Vec<String> = (0..1000).map(|i| format!("Action{i:04}")).collect();
    let catalog = ActionCatalog::builder()
        .actions("First", names[..500].to_vec())
        .actions("Second", names[500..].to_vec())
        .build()
        .unwrap();
    let mut policy = Policy::new(catalog);
    let second = policy
        .create_role("Second", Grants::new().category("Second"))
        .unwrap();
    let last = policy
        .create_role("Last", Grants::new().action("Action0999"))
        .unwrap();
    let _secret = policy.create_credential("wide").unwrap();
    let _secret = policy.create_credential("narrow").unwrap();
    policy.assign_role("wide", second).unwrap();
    policy.assign_role("narrow", last).unwrap();
    let authorizer = policy.compile();
    assert_eq!(authorizer.permitted_actions("wide").len(), 500);
    assert!(authorizer.is_allowed("wide", "Action0500"));
    assert!(!authorizer.is_allowed("wide", "Action0499"));
    assert_eq!(
        authorizer
            .permitted_actions("narrow")
            .iter()
            .collect::<Vec<_>>(),
        [ActionId::new(999)]
    );
}

#[test]
fn duplicate_names_are_refused() {
    let err = ActionCatalog::builder()
        .action("A", "X")
        .action("B", "X")
        .build()
        .unwrap_err();
    assert!(matches!(err, CatalogError::DuplicateAction { .. }));
    let err = ActionCatalog::builder()
        .name_matching(NameMatching::AsciiCaseInsensitive)
        .category("Billing")
        .action("BILLING", "X")
        .category("billing ")
        .build()
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidName { .. }), "{err}");

    let mut policy = Policy::new(whmcs(NameMatching::AsciiCaseInsensitive));
    policy.create_role("Support desk", Grants::new()).unwrap();
    let err = policy
        .create_role("SUPPORT DESK", Grants::new())
        .unwrap_err();
    assert!(matches!(err, PolicyError::DuplicateRoleName { .. }));
    let _secret = policy.create_credential("k").unwrap();
    assert!(matches!(
        policy.create_credential("k"),
        Err(PolicyError::DuplicateCredential(_))
    ));
}

#[test]
fn the_case_rule_holds_on_every_path() {
    let exact = Policy::new(whmcs(NameMatching::Exact));
    assert!(exact.catalog().action_id("getclients").is_none());

    let mut policy = Policy::new(whmcs(NameMatching::AsciiCaseInsensitive));
    let role = policy
        .create_role(
            "Readers",
            Grants::new().action("getclients").category("billing"),
        )
        .unwrap();
    let grants = policy.role(role).unwrap().grants().clone();
    assert_eq!(grants.action_names().collect::<Vec<_>>(), ["GetClients"]);
    assert_eq!(grants.category_names().collect::<Vec<_>>(), ["Billing"]);
    let _secret = policy.create_credential("Key").unwrap();
    policy.assign_role("Key", role).unwrap();
    let authorizer = policy.compile();
    assert!(authorizer.is_allowed("Key", "GETCLIENTS"));
    assert!(authorizer.is_allowed("Key", "addcredit"));
    let handle = authorizer.catalog().handle("gEtClIeNtS").unwrap();
    assert!(authorizer.is_allowed_handle("Key", handle));
    assert_eq!(
        authorizer.authorize("key", "GetClients"),
        denied(DenyReason::UnknownCredential)
    );
}

#[test]
fn whitespace_and_non_ascii_names_are_refused_with_their_kind() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    for (name, kind) in [
        (" Lead", NameKind::Role),
        ("Rôle", NameKind::Role),
        ("", NameKind::Role),
    ] {
        let Err(PolicyError::InvalidName(err)) = policy.create_role(name, Grants::new()) else {
            panic!("{name:?} was accepted");
        };
        assert_eq!(err.kind(), kind);
    }
    for id in ["with space", "tab\t", "ключ", ""] {
        let Err(PolicyError::InvalidName(err)) = policy.create_credential(id) else {
            panic!("{id:?} was accepted");
        };
        assert_eq!(err.kind(), NameKind::Credential);
    }
    let err = policy
        .create_role("Ok", Grants::new().action("Get Clients"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "grants.actions[0]: invalid action name `Get Clients`: character ` ` at byte 3 is not \
         allowed"
    );
}

#[test]
fn unknown_inputs_deny_without_panicking() {
    let mut policy = Policy::new(whmcs(NameMatching::AsciiCaseInsensitive));
    let all = policy.create_role("All", Grants::all_actions()).unwrap();
    let _secret = policy.create_credential("k").unwrap();
    policy.assign_role("k", all).unwrap();
    let authorizer = policy.compile();
    let long = "A".repeat(1 << 20);
    for action in ["", " ", "\0", "GetClients\n", "GétClients", long.as_str()] {
        assert_eq!(
            authorizer.authorize("k", action),
            denied(DenyReason::UnknownAction)
        );
    }
    for credential in ["", "k ", "K", long.as_str()] {
        assert_eq!(
            authorizer.authorize(credential, "GetClients"),
            denied(DenyReason::UnknownCredential)
        );
    }
    assert!(authorizer.permitted_actions("nobody").is_empty());
    assert!(
        authorizer
            .explain("nobody", "GetClients")
            .grants()
            .is_empty()
    );
    assert!(policy.role(RoleId::new(u64::MAX)).is_none());
}

#[test]
fn legacy_upgrade_keeps_old_integrations_working() {
    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let _secret = policy.create_credential("legacy-1").unwrap();
    let _secret = policy.create_credential("legacy-2").unwrap();
    let report = policy.upgrade_legacy().unwrap();
    assert_eq!(report.credentials().len(), 2);
    let authorizer = policy.compile();
    let everything = authorizer.catalog().all_actions();
    assert_eq!(authorizer.permitted_actions("legacy-1"), everything);
    assert!(policy.upgrade_legacy().unwrap().is_empty());
}

#[test]
fn authorizer_is_send_sync_and_shares_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<api_roles::Authorizer>();
    assert_send_sync::<Policy>();

    let mut policy = Policy::new(whmcs(NameMatching::Exact));
    let all = policy.create_role("All", Grants::all_actions()).unwrap();
    let _secret = policy.create_credential("k").unwrap();
    policy.assign_role("k", all).unwrap();
    let authorizer = std::sync::Arc::new(policy.compile());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let authorizer = std::sync::Arc::clone(&authorizer);
            std::thread::spawn(move || authorizer.is_allowed("k", "GetClients"))
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap());
    }
}

#[test]
fn action_set_laws_hold_on_examples() {
    let a: ActionSet = [1, 5, 300].into_iter().map(ActionId::new).collect();
    let b: ActionSet = [5, 7].into_iter().map(ActionId::new).collect();
    assert_eq!(&(&a | &b) - &b, &a - &b);
    assert!((&a & &b).is_subset(&a));
    assert!(a.is_subset(&(&a | &b)));
}
