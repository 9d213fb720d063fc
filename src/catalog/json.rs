//! Loading an [`ActionCatalog`] from a JSON document.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ActionCatalog, CatalogBuilder, MAX_ACTIONS};
use crate::error::CatalogError;
use crate::name::CategoryName;

/// The largest catalog document accepted, in bytes.
pub const MAX_CATALOG_DOCUMENT_BYTES: usize = 16 << 20;

/// The shape of a catalog document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogDocument {
    /// Where the list comes from; kept by whoever keeps the file.
    #[serde(default, rename = "source_note")]
    _source_note: Option<String>,
    categories: Vec<CategoryDocument>,
    /// The release that introduced some actions; informative only.
    #[serde(default, rename = "introduced_in")]
    _introduced_in: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDocument {
    name: String,
    actions: Vec<String>,
}

impl CatalogBuilder {
    /// Adds the categories and actions of a JSON catalog document, in its
    /// order.
    ///
    /// The document holds `categories`, a list of `{"name": ..., "actions":
    /// [...]}` objects, and may hold a `source_note` string and an
    /// `introduced_in` map, which are not used. Other fields are refused, and
    /// so is a category listed twice. Set
    /// [`name_matching`](Self::name_matching) first: it decides which
    /// category names are the same. Problems with action names are reported
    /// when the catalog is built, with their place in the document, such as
    /// `categories[3].actions[7]`.
    ///
    /// # Errors
    ///
    /// Returns [`CatalogError::DocumentTooLarge`] for a document over
    /// [`MAX_CATALOG_DOCUMENT_BYTES`], [`CatalogError::Json`] for one that is
    /// not JSON of this shape, [`CatalogError::InvalidName`] or
    /// [`CatalogError::DuplicateCategory`] for a bad category, and
    /// [`CatalogError::TooManyActions`] for more than
    /// [`MAX_ACTIONS`](crate::MAX_ACTIONS) actions.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionCatalog;
    ///
    /// let doc = r#"{"categories": [{"name": "Billing", "actions": ["AddCredit"]}]}"#;
    /// let catalog = ActionCatalog::builder().json(doc)?.build()?;
    /// assert!(catalog.action_id("AddCredit").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn json(mut self, document: &str) -> Result<Self, CatalogError> {
        if document.len() > MAX_CATALOG_DOCUMENT_BYTES {
            return Err(CatalogError::DocumentTooLarge {
                len: document.len(),
                max: MAX_CATALOG_DOCUMENT_BYTES,
            });
        }
        let parsed: CatalogDocument =
            serde_json::from_str(document).map_err(CatalogError::from_json)?;
        let total: usize = parsed.categories.iter().map(|c| c.actions.len()).sum();
        if total > MAX_ACTIONS {
            return Err(CatalogError::TooManyActions { max: MAX_ACTIONS });
        }
        let matching = self.declared_matching();
        let mut names: Vec<&str> = Vec::with_capacity(parsed.categories.len());
        for (i, category) in parsed.categories.iter().enumerate() {
            CategoryName::new(&category.name).map_err(|source| CatalogError::InvalidName {
                at: format!("categories[{i}].name"),
                source,
            })?;
            if names
                .iter()
                .any(|seen| matching.matches(seen, &category.name))
            {
                return Err(CatalogError::DuplicateCategory {
                    name: category.name.clone(),
                });
            }
            names.push(&category.name);
        }
        for (i, category) in parsed.categories.iter().enumerate() {
            self.push_located(&category.name, None, format!("categories[{i}]"));
            for (j, action) in category.actions.iter().enumerate() {
                let at = format!("categories[{i}].actions[{j}]");
                self.push_located(&category.name, Some(action), at);
            }
        }

        Ok(self)
    }
}

impl ActionCatalog {
    /// Builds a catalog from a JSON document with exact name matching.
    ///
    /// See [`CatalogBuilder::json`] for the document's shape, and use it with
    /// [`CatalogBuilder::name_matching`] for another matching rule.
    ///
    /// # Errors
    ///
    /// Returns a [`CatalogError`] for a document that is too large, not JSON of
    /// the expected shape, or that holds an invalid or repeated name.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionCatalog;
    ///
    /// let catalog = ActionCatalog::from_json(include_str!("../../data/whmcs_api_actions.json"))?;
    /// assert_eq!(catalog.len(), 162);
    /// assert_eq!(catalog.categories().len(), 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(document: &str) -> Result<Self, CatalogError> {
        CatalogBuilder::new().json(document)?.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_document_locations() {
        let doc = r#"{"categories": [
            {"name": "A", "actions": ["x"]},
            {"name": "B", "actions": ["y", "bad name"]}
        ]}"#;
        let err = ActionCatalog::from_json(doc).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("categories[1].actions[1]: invalid action name")
        );
    }

    #[test]
    fn malformed_documents_are_refused() {
        for doc in [
            "",
            "{",
            "[]",
            r#"{"categories": [], "extra": 1}"#,
            r#"{"categories": 5}"#,
        ] {
            assert!(
                matches!(
                    ActionCatalog::from_json(doc),
                    Err(CatalogError::Json { .. })
                ),
                "{doc}"
            );
        }
        let huge = " ".repeat(MAX_CATALOG_DOCUMENT_BYTES + 1);
        assert!(matches!(
            ActionCatalog::from_json(&huge),
            Err(CatalogError::DocumentTooLarge { .. })
        ));
    }

    #[test]
    fn hostile_documents_stay_small() {
        let long = "C".repeat(100_000);
        let doc = format!(r#"{{"categories": [{{"name": "{long}", "actions": ["a", "b"]}}]}}"#);
        let err = ActionCatalog::from_json(&doc).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("categories[0].name: invalid category name")
        );
        assert!(err.to_string().len() < 300);
        for doc in [
            format!(r#"{{"categories": "{long}"}}"#),
            format!(r#"{{"{long}": 1}}"#),
        ] {
            let message = ActionCatalog::from_json(&doc).unwrap_err().to_string();
            assert!(message.len() < 300, "{message}");
        }
        let many = vec!["\"a\""; MAX_ACTIONS + 1].join(",");
        let doc = format!(r#"{{"categories": [{{"name": "C", "actions": [{many}]}}]}}"#);
        assert!(matches!(
            ActionCatalog::from_json(&doc),
            Err(CatalogError::TooManyActions { .. })
        ));
    }

    #[test]
    fn repeated_categories_are_refused() {
        let doc =
            r#"{"categories": [{"name": "A", "actions": ["x"]}, {"name": "a", "actions": ["y"]}]}"#;
        assert!(
            ActionCatalog::from_json(doc).is_ok(),
            "exact matching keeps them apart"
        );
        let folded = CatalogBuilder::new()
            .name_matching(crate::NameMatching::AsciiCaseInsensitive)
            .json(doc);
        assert!(matches!(
            folded,
            Err(CatalogError::DuplicateCategory { .. })
        ));
    }

    #[test]
    fn real_catalog_loads() {
        let catalog = ActionCatalog::from_json(include_str!("../../data/whmcs_api_actions.json"))
            .expect("the shipped catalog is valid");
        assert_eq!(catalog.len(), 162);
        assert_eq!(catalog.category("Billing").map(|c| c.len()), Some(24));
        assert_eq!(
            catalog
                .action_category(catalog.action_id("GetClients").unwrap())
                .unwrap()
                .as_str(),
            "Client"
        );
    }
}
