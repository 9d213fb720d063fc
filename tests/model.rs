//! Property tests: the authorizer against a plain reference model.
//!
//! The model keeps names in vectors and decides by looping over roles; it
//! shares no code with the crate. Random catalogs, roles, credentials and edit
//! sequences are applied to both, and every credential is checked against
//! every action after every edit.

#![expect(
    clippy::expect_used,
    reason = "a broken fixture should stop the test loudly"
)]

use std::collections::BTreeMap;

use api_roles::{ActionCatalog, Decision, DenyReason, Grants, NameMatching, Policy, RoleId};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct GrantSpec {
    actions: Vec<usize>,
    categories: Vec<usize>,
    all: bool,
    except: Vec<usize>,
}

/// Explicit actions, categories and exceptions in the catalog's spelling.
type Resolved = (Vec<String>, Vec<String>, Vec<String>);

#[derive(Debug, Clone)]
enum Edit {
    CreateRole { name: usize, grants: GrantSpec },
    SetGrants { role: usize, grants: GrantSpec },
    RenameRole { role: usize, name: usize },
    DeleteRole { role: usize },
    CreateCredential { id: usize },
    DeleteCredential { id: usize },
    Assign { id: usize, role: usize },
    Unassign { id: usize, role: usize },
    Enable { id: usize },
    Disable { id: usize },
}

#[derive(Debug, Clone)]
struct ModelRole {
    id: RoleId,
    name: String,
    actions: Vec<String>,
    categories: Vec<String>,
    all: bool,
    except: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct ModelCredential {
    enabled: bool,
    roles: Vec<RoleId>,
}

/// The reference model: plain vectors and loops.
struct Model {
    matching: NameMatching,
    categories: Vec<String>,
    /// (category, action) pairs in catalog order.
    actions: Vec<(String, String)>,
    roles: Vec<ModelRole>,
    credentials: BTreeMap<String, ModelCredential>,
}

impl Model {
    fn same(&self, a: &str, b: &str) -> bool {
        match self.matching {
            NameMatching::Exact => a == b,
            _ => a.eq_ignore_ascii_case(b),
        }
    }

    fn decide(&self, credential: &str, action: &str) -> Decision {
        let Some(cred) = self.credentials.get(credential) else {
            return Decision::Denied(DenyReason::UnknownCredential);
        };
        if !cred.enabled {
            return Decision::Denied(DenyReason::CredentialDisabled);
        }
        let Some((category, name)) = self.actions.iter().find(|(_, a)| self.same(a, action)) else {
            return Decision::Denied(DenyReason::UnknownAction);
        };
        for role_id in &cred.roles {
            let Some(role) = self.roles.iter().find(|r| r.id == *role_id) else {
                continue;
            };
            let granted = role.all
                || role.actions.iter().any(|a| a == name)
                || role.categories.iter().any(|c| c == category);
            let excepted = role.except.iter().any(|a| a == name);
            if granted && !excepted {
                return Decision::Allowed;
            }
        }
        Decision::Denied(DenyReason::NotPermitted)
    }
}

fn role_name(n: usize) -> String {
    format!("Role {}", n % 6)
}

fn credential_id(n: usize) -> String {
    format!("key-{}", n % 5)
}

/// Mostly actions of small catalogs, sometimes of large ones or unknown.
fn action_index() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..24, 1 => 0usize..400]
}

fn grant_spec() -> impl Strategy<Value = GrantSpec> {
    (
        prop::collection::vec(action_index(), 0..4),
        prop::collection::vec(0usize..6, 0..2),
        prop::bool::weighted(0.2),
        prop::collection::vec(action_index(), 0..3),
    )
        .prop_map(|(actions, categories, all, except)| GrantSpec {
            actions,
            categories,
            all,
            except,
        })
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (0usize..8, grant_spec()).prop_map(|(name, grants)| Edit::CreateRole { name, grants }),
        2 => (0usize..8, grant_spec()).prop_map(|(role, grants)| Edit::SetGrants { role, grants }),
        1 => (0usize..8, 0usize..8).prop_map(|(role, name)| Edit::RenameRole { role, name }),
        1 => (0usize..8).prop_map(|role| Edit::DeleteRole { role }),
        2 => (0usize..8).prop_map(|id| Edit::CreateCredential { id }),
        1 => (0usize..8).prop_map(|id| Edit::DeleteCredential { id }),
        4 => (0usize..8, 0usize..8).prop_map(|(id, role)| Edit::Assign { id, role }),
        1 => (0usize..8, 0usize..8).prop_map(|(id, role)| Edit::Unassign { id, role }),
        1 => (0usize..8).prop_map(|id| Edit::Enable { id }),
        1 => (0usize..8).prop_map(|id| Edit::Disable { id }),
    ]
}

/// Category sizes; some catalogs pass 256 actions so that sets spill.
fn catalog_shape() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        4 => prop::collection::vec(0usize..12, 1..5),
        1 => prop::collection::vec(60usize..120, 3..5),
    ]
}

struct Case {
    policy: Policy,
    model: Model,
    /// Every role id ever created, deleted ones included, so edits hit both.
    ids: Vec<RoleId>,
}

impl Case {
    fn new(shape: &[usize], matching: NameMatching) -> Self {
        let mut builder = ActionCatalog::builder().name_matching(matching);
        let mut actions = Vec::new();
        let mut categories = Vec::new();
        for (c, &size) in shape.iter().enumerate() {
            let category = format!("Cat {c}");
            categories.push(category.clone());
            builder = builder.category(category.clone());
            for a in 0..size {
                let action = format!("Act{c}x{a}");
                builder = builder.action(category.clone(), action.clone());
                actions.push((category.clone(), action));
            }
        }
        let catalog = builder
            .build()
            .expect("generated names are valid and unique");
        let model = Model {
            matching,
            categories,
            actions,
            roles: Vec::new(),
            credentials: BTreeMap::new(),
        };
        Self {
            policy: Policy::new(catalog),
            model,
            ids: Vec::new(),
        }
    }

    /// Picks a role id: one ever created, or one never created.
    fn role_id(&self, n: usize) -> RoleId {
        self.ids
            .get(n)
            .copied()
            .unwrap_or(RoleId::new(10_000 + n as u64))
    }

    /// Turns a spec into grants, some names in another case or unknown.
    fn grants(&self, spec: &GrantSpec) -> (Grants, Option<Resolved>) {
        let action = |n: usize| -> String {
            match self.model.actions.get(n) {
                Some((_, a)) if n % 7 == 3 => a.to_ascii_lowercase(),
                Some((_, a)) => a.clone(),
                None => format!("Missing{n}"),
            }
        };
        let category = |n: usize| -> String {
            if n % 3 == 1 {
                format!("cat {n}")
            } else {
                format!("Cat {n}")
            }
        };
        let actions: Vec<String> = spec.actions.iter().map(|&n| action(n)).collect();
        let categories: Vec<String> = spec.categories.iter().map(|&n| category(n)).collect();
        let except: Vec<String> = spec.except.iter().map(|&n| action(n)).collect();
        let mut grants = Grants::new().actions(actions.clone());
        for c in &categories {
            grants = grants.category(c.clone());
        }
        for e in &except {
            grants = grants.except(e.clone());
        }
        if spec.all {
            grants = grants.all();
        }

        // What the model accepts, in the catalog's spelling.
        let canon_action = |name: &String| {
            self.model
                .actions
                .iter()
                .find(|(_, a)| self.model.same(a, name))
                .map(|(_, a)| a.clone())
        };
        let canon_category = |name: &String| {
            self.model
                .categories
                .iter()
                .find(|c| self.model.same(c, name))
                .cloned()
        };
        let resolved = (|| {
            let actions = actions
                .iter()
                .map(canon_action)
                .collect::<Option<Vec<_>>>()?;
            let categories = categories
                .iter()
                .map(canon_category)
                .collect::<Option<Vec<_>>>()?;
            let except = except
                .iter()
                .map(canon_action)
                .collect::<Option<Vec<_>>>()?;
            Some((actions, categories, except))
        })();
        (grants, resolved)
    }

    fn role_name_taken(&self, name: &str, except: Option<RoleId>) -> bool {
        self.model
            .roles
            .iter()
            .any(|r| Some(r.id) != except && self.model.same(&r.name, name))
    }

    /// Applies `edit` to both sides and checks they agree on whether it is
    /// accepted.
    fn apply(&mut self, edit: &Edit) -> Result<(), TestCaseError> {
        match edit {
            Edit::CreateRole { name, grants } => {
                let name = role_name(*name);
                let (grants, resolved) = self.grants(grants);
                let result = self.policy.create_role(&name, grants);
                let expect = resolved.filter(|_| !self.role_name_taken(&name, None));
                prop_assert_eq!(
                    result.is_ok(),
                    expect.is_some(),
                    "create {} {:?}",
                    name,
                    result
                );
                if let (Ok(id), Some((actions, categories, except))) = (result, expect) {
                    self.ids.push(id);
                    let all = self.policy.role(id).is_some_and(|r| r.grants().is_all());
                    let role = ModelRole {
                        id,
                        name,
                        actions,
                        categories,
                        all,
                        except,
                    };
                    self.model.roles.push(role);
                }
            }
            Edit::SetGrants { role, grants } => {
                let id = self.role_id(*role);
                let (grants, resolved) = self.grants(grants);
                let all = grants.is_all();
                let result = self.policy.set_grants(id, grants);
                let position = self.model.roles.iter().position(|r| r.id == id);
                let expect = resolved.filter(|_| position.is_some());
                prop_assert_eq!(result.is_ok(), expect.is_some(), "{:?}", result);
                if let (Some(pos), Some((actions, categories, except))) = (position, expect) {
                    let role = &mut self.model.roles[pos];
                    (role.actions, role.categories, role.all, role.except) =
                        (actions, categories, all, except);
                }
            }
            Edit::RenameRole { role, name } => {
                let id = self.role_id(*role);
                let name = role_name(*name);
                let result = self.policy.rename_role(id, &name);
                let position = self.model.roles.iter().position(|r| r.id == id);
                let ok = position.is_some() && !self.role_name_taken(&name, Some(id));
                prop_assert_eq!(result.is_ok(), ok, "{:?}", result);
                if let (Some(pos), true) = (position, ok) {
                    self.model.roles[pos].name = name;
                }
            }
            Edit::DeleteRole { role } => {
                let id = self.role_id(*role);
                let result = self.policy.delete_role(id);
                let position = self.model.roles.iter().position(|r| r.id == id);
                prop_assert_eq!(result.is_ok(), position.is_some());
                if let Some(pos) = position {
                    self.model.roles.remove(pos);
                    for cred in self.model.credentials.values_mut() {
                        cred.roles.retain(|r| *r != id);
                    }
                }
            }
            Edit::CreateCredential { id } => {
                let id = credential_id(*id);
                let result = self.policy.create_credential(&id);
                prop_assert_eq!(result.is_ok(), !self.model.credentials.contains_key(&id));
                self.model.credentials.entry(id).or_insert(ModelCredential {
                    enabled: true,
                    roles: Vec::new(),
                });
            }
            Edit::DeleteCredential { id } => {
                let id = credential_id(*id);
                let result = self.policy.delete_credential(&id);
                prop_assert_eq!(result.is_ok(), self.model.credentials.remove(&id).is_some());
            }
            Edit::Assign { id, role } => {
                let (id, role) = (credential_id(*id), self.role_id(*role));
                let result = self.policy.assign_role(&id, role);
                let role_exists = self.model.roles.iter().any(|r| r.id == role);
                let cred = self.model.credentials.get_mut(&id);
                let ok = role_exists && cred.as_ref().is_some_and(|c| !c.roles.contains(&role));
                prop_assert_eq!(result.is_ok(), ok, "{:?}", result);
                if let (Some(cred), true) = (cred, ok) {
                    cred.roles.push(role);
                }
            }
            Edit::Unassign { id, role } => {
                let (id, role) = (credential_id(*id), self.role_id(*role));
                let result = self.policy.unassign_role(&id, role);
                let cred = self.model.credentials.get_mut(&id);
                let ok = cred.as_ref().is_some_and(|c| c.roles.contains(&role));
                prop_assert_eq!(result.is_ok(), ok);
                if let (Some(cred), true) = (cred, ok) {
                    cred.roles.retain(|r| *r != role);
                }
            }
            Edit::Enable { id } | Edit::Disable { id } => {
                let enable = matches!(edit, Edit::Enable { .. });
                let id = credential_id(*id);
                let result = if enable {
                    self.policy.enable_credential(&id)
                } else {
                    self.policy.disable_credential(&id)
                };
                let cred = self.model.credentials.get_mut(&id);
                prop_assert_eq!(result.is_ok(), cred.is_some());
                if let Some(cred) = cred {
                    cred.enabled = enable;
                }
            }
        }
        Ok(())
    }

    /// Checks every credential, and one unknown, against every action, in
    /// two spellings, and one unknown action.
    fn check(&self) -> Result<(), TestCaseError> {
        let authorizer = self.policy.compile();
        let mut credentials: Vec<String> = self.model.credentials.keys().cloned().collect();
        credentials.push("nobody".into());
        let mut actions: Vec<String> = Vec::new();
        for (_, action) in &self.model.actions {
            actions.push(action.clone());
            actions.push(action.to_ascii_lowercase());
        }
        actions.push("NoSuchAction".into());
        for credential in &credentials {
            for action in &actions {
                let expected = self.model.decide(credential, action);
                let got = authorizer.authorize(credential, action);
                prop_assert_eq!(got, expected, "{} {}", credential, action);
                prop_assert_eq!(
                    authorizer.is_allowed(credential, action),
                    expected.is_allowed()
                );
                let by_handle = authorizer
                    .catalog()
                    .handle(action)
                    .map(|h| authorizer.authorize_handle(credential, h));
                if let Some(by_handle) = by_handle {
                    prop_assert_eq!(by_handle, expected);
                }
                let permitted = authorizer
                    .catalog()
                    .action_id(action)
                    .is_some_and(|id| authorizer.permitted_actions(credential).contains(id));
                prop_assert_eq!(permitted, expected.is_allowed());
                prop_assert_eq!(authorizer.explain(credential, action).decision(), expected);
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn authorizer_matches_reference_model(
        shape in catalog_shape(),
        insensitive in any::<bool>(),
        edits in prop::collection::vec(edit(), 1..40),
    ) {
        let matching =
            if insensitive { NameMatching::AsciiCaseInsensitive } else { NameMatching::Exact };
        let mut case = Case::new(&shape, matching);
        for edit in &edits {
            case.apply(edit)?;
            case.check()?;
        }
    }
}
