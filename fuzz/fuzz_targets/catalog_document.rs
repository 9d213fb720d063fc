//! Checks that catalog documents load without panicking and every action resolves to its id.
#![no_main]

use api_roles::{ActionCatalog, ActionHandle, CatalogBuilder, NameMatching};
use libfuzzer_sys::fuzz_target;

/// Checks that every name in `catalog` leads back to what it names.
fn check(catalog: &ActionCatalog) {
    let insensitive = catalog.name_matching() == NameMatching::AsciiCaseInsensitive;
    for (id, name) in catalog.actions() {
        let name = name.as_str();
        assert_eq!(catalog.action_id(name), Some(id), "{name}");
        assert_eq!(
            catalog.handle(name).map(ActionHandle::id),
            Some(id),
            "{name}"
        );
        assert_eq!(catalog.action_name(id).map(|n| n.as_str()), Some(name));
        if insensitive {
            let lower = name.to_ascii_lowercase();
            assert_eq!(catalog.action_id(&lower), Some(id), "{name}");
        }
    }

    let mut in_categories = 0;
    for category in catalog.categories() {
        let found = catalog.category(category.name().as_str());
        assert_eq!(found.map(|c| c.name()), Some(category.name()));
        for (id, _) in category.actions() {
            assert_eq!(catalog.action_category(id), Some(category.name()));
            assert!(category.action_set().contains(id));
        }
        in_categories += category.len();
    }
    assert_eq!(in_categories, catalog.len());
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    for matching in [NameMatching::Exact, NameMatching::AsciiCaseInsensitive] {
        let built = ActionCatalog::builder()
            .name_matching(matching)
            .json(json)
            .and_then(CatalogBuilder::build);
        if let Ok(catalog) = built {
            assert_eq!(catalog.name_matching(), matching);
            check(&catalog);
        }
    }
});
