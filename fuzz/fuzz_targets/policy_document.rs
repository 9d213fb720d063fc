//! Checks that policy documents load without panicking and round-trip export to the same bytes.
#![no_main]

use std::sync::{Arc, LazyLock};

use api_roles::{ActionCatalog, LoadOptions, NameMatching, Policy, PolicyDocument};
use libfuzzer_sys::fuzz_target;

/// The fixed catalog, once per matching rule.
static CATALOGS: LazyLock<[Arc<ActionCatalog>; 2]> =
    LazyLock::new(|| [NameMatching::Exact, NameMatching::AsciiCaseInsensitive].map(catalog));

fn catalog(matching: NameMatching) -> Arc<ActionCatalog> {
    let catalog = ActionCatalog::builder()
        .name_matching(matching)
        .actions("Billing", ["AddCredit", "CreateInvoice", "RefundPayment"])
        .actions("Client", ["GetClients", "DeleteClient"])
        .actions("Project Management", ["CreateProject"])
        .category("Empty")
        .build();
    Arc::new(catalog.expect("the fixed catalog is valid"))
}

/// Loads `document`; when it loads, checks the round trip and returns the
/// exported bytes.
fn load(
    catalog: &Arc<ActionCatalog>,
    document: &PolicyDocument,
    options: &LoadOptions,
) -> Option<String> {
    let (policy, _report) = Policy::from_document(Arc::clone(catalog), document, options).ok()?;
    let exported = policy.export_json();

    // Export, import, export: the same bytes, and nothing left to warn about.
    let (copy, report) = match Policy::from_json(Arc::clone(catalog), &exported, options) {
        Ok(loaded) => loaded,
        Err(err) => panic!("an exported policy does not load: {err}\n{exported}"),
    };
    assert!(report.warnings().is_empty(), "{:?}", report.warnings());
    assert_eq!(copy.export_json(), exported);

    // The copy decides every request as the original does.
    let (original, copy) = (policy.compile(), copy.compile());
    for credential in policy.credentials() {
        for (_, action) in catalog.actions() {
            let id = credential.id().as_str();
            assert_eq!(
                original.authorize(id, action.as_str()),
                copy.authorize(id, action.as_str()),
                "{id} {action}"
            );
        }
    }

    Some(exported)
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(document) = PolicyDocument::from_json(json) else {
        return;
    };
    assert_eq!(
        PolicyDocument::from_json(&document.to_json()).as_ref(),
        Ok(&document)
    );

    for catalog in CATALOGS.iter() {
        let strict = load(catalog, &document, &LoadOptions::default());
        let lenient = load(catalog, &document, &LoadOptions::lenient());
        // Whatever loads strictly loads leniently, to the same policy.
        if strict.is_some() {
            assert_eq!(lenient, strict);
        }
    }
});
