//! Checks that `Policy`, `SharedAuthorizer` and a plain reference model agree after random edits.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use api_roles::{
    ActionCatalog, Decision, DenyReason, Grants, NameMatching, Policy, PolicyError, RoleId,
    SharedAuthorizer,
};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

/// Credential identifiers the edits use; compared exactly, so two differ in
/// case only.
const CREDENTIALS: [&str; 5] = ["key-0", "key-1", "Key-0", "k:2", "svc_3"];

/// The most categories in a catalog.
const MAX_CATEGORIES: usize = 5;
/// The most edits in one input.
const MAX_EDITS: usize = 32;
/// The most operations in one batch.
const MAX_BATCH: usize = 4;

#[derive(Debug, Arbitrary)]
struct Input {
    case_insensitive: bool,
    /// Whether to start from [`warm_up`] rather than an empty policy.
    warm_up: bool,
    /// Category sizes: `n % 12` actions, or `n % 60 + 60` for `n >= 240`, so
    /// that some catalogs pass 256 actions.
    categories: Vec<u8>,
    edits: Vec<Edit>,
}

/// One edit: a single operation, or several applied to the shared
/// authorizer as one transaction.
#[derive(Debug, Arbitrary)]
enum Edit {
    One(Op),
    Batch(Vec<Op>),
}

/// An operation on small indices, turned into names and ids by [`Model::plan`].
#[derive(Debug, Clone, Arbitrary)]
enum Op {
    CreateRole { name: u8, grants: GrantSpec },
    SetGrants { role: u8, grants: GrantSpec },
    RenameRole { role: u8, name: u8 },
    DeleteRole { role: u8 },
    CreateCredential { id: u8 },
    DeleteCredential { id: u8 },
    Assign { id: u8, role: u8 },
    Unassign { id: u8, role: u8 },
    Enable { id: u8 },
    Disable { id: u8 },
}

/// Grants by index; an index past the catalog names something unknown, and
/// the top bit asks for a lower-case spelling.
#[derive(Debug, Clone, Arbitrary)]
struct GrantSpec {
    actions: Vec<u16>,
    categories: Vec<u8>,
    all: bool,
    except: Vec<u16>,
}

/// A starting point: every credential, and roles with each kind of grant
/// assigned, so that the first fuzzed edits already change decisions.
fn warm_up() -> Vec<Op> {
    let grants = |actions: &[u16], categories: &[u8], all, except: &[u16]| GrantSpec {
        actions: actions.to_vec(),
        categories: categories.to_vec(),
        all,
        except: except.to_vec(),
    };
    let mut ops: Vec<Op> = (0..5).map(|id| Op::CreateCredential { id }).collect();
    ops.extend([
        Op::CreateRole {
            name: 0,
            grants: grants(&[], &[0], false, &[1]),
        },
        Op::CreateRole {
            name: 1,
            grants: grants(&[], &[], true, &[0, 2]),
        },
        Op::CreateRole {
            name: 2,
            grants: grants(&[3, 4 | 0x8000], &[1 | 0x80], false, &[]),
        },
        Op::Assign { id: 0, role: 0 },
        Op::Assign { id: 1, role: 1 },
        Op::Assign { id: 2, role: 0 },
        Op::Assign { id: 2, role: 2 },
        Op::Assign { id: 3, role: 1 },
        Op::Disable { id: 3 },
    ]);
    ops
}

/// An operation with its names and ids, given to every side alike.
#[derive(Debug, Clone)]
enum Step {
    CreateRole { name: String, grants: Grants },
    SetGrants { role: RoleId, grants: Grants },
    RenameRole { role: RoleId, name: String },
    DeleteRole { role: RoleId },
    CreateCredential { id: String },
    DeleteCredential { id: String },
    Assign { id: String, role: RoleId },
    Unassign { id: String, role: RoleId },
    Enable { id: String },
    Disable { id: String },
}

#[derive(Debug, Clone)]
struct ModelRole {
    id: RoleId,
    name: String,
    actions: BTreeSet<String>,
    categories: BTreeSet<String>,
    all: bool,
    except: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct ModelCredential {
    enabled: bool,
    roles: Vec<RoleId>,
}

/// The reference model: sets of names and a loop over roles. It predicts
/// whether each step is accepted and which id a new role gets.
#[derive(Debug, Clone)]
struct Model {
    matching: NameMatching,
    categories: Vec<String>,
    /// (category, action) in catalog order.
    actions: Vec<(String, String)>,
    /// Position in `actions` by name, lower-cased for case-insensitive
    /// matching.
    by_name: BTreeMap<String, usize>,
    roles: Vec<ModelRole>,
    credentials: BTreeMap<String, ModelCredential>,
    next_role_id: u64,
    /// Every role id ever given, deleted ones included.
    given: Vec<RoleId>,
}

impl Model {
    fn new(matching: NameMatching, sizes: &[u8]) -> Self {
        let mut categories = Vec::new();
        let mut actions = Vec::new();
        for (c, &n) in sizes.iter().take(MAX_CATEGORIES).enumerate() {
            let category = format!("Cat {c}");
            let size = if n >= 240 {
                usize::from(n % 60) + 60
            } else {
                usize::from(n % 12)
            };
            for a in 0..size {
                actions.push((category.clone(), format!("Act{c}x{a}")));
            }
            categories.push(category);
        }
        let by_name = actions
            .iter()
            .enumerate()
            .map(|(i, (_, a))| (a.clone(), i))
            .collect();
        let mut model = Self {
            matching,
            categories,
            actions,
            by_name,
            roles: Vec::new(),
            credentials: BTreeMap::new(),
            next_role_id: 1,
            given: Vec::new(),
        };
        if matching == NameMatching::AsciiCaseInsensitive {
            model.by_name = model
                .by_name
                .into_iter()
                .map(|(a, i)| (a.to_ascii_lowercase(), i))
                .collect();
        }
        model
    }

    fn catalog(&self) -> ActionCatalog {
        let mut builder = ActionCatalog::builder().name_matching(self.matching);
        for category in &self.categories {
            builder = builder.category(category.clone());
        }
        for (category, action) in &self.actions {
            builder = builder.action(category.clone(), action.clone());
        }
        builder
            .build()
            .expect("generated names are valid and unique")
    }

    /// Finds an action's (category, name) by any spelling the rule accepts.
    fn find_action(&self, name: &str) -> Option<&(String, String)> {
        let key = match self.matching {
            NameMatching::Exact => name.to_owned(),
            _ => name.to_ascii_lowercase(),
        };
        self.by_name.get(&key).map(|&i| &self.actions[i])
    }

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
        let Some((category, name)) = self.find_action(action) else {
            return Decision::Denied(DenyReason::UnknownAction);
        };
        for id in &cred.roles {
            let Some(role) = self.roles.iter().find(|r| r.id == *id) else {
                continue;
            };
            let granted =
                role.all || role.actions.contains(name) || role.categories.contains(category);
            if granted && !role.except.contains(name) {
                return Decision::Allowed;
            }
        }
        Decision::Denied(DenyReason::NotPermitted)
    }

    /// Picks a role id: mostly one ever given, sometimes one never given.
    fn role_id(&self, n: u8) -> RoleId {
        let pick = usize::from(n) % (self.given.len() + 1);
        self.given
            .get(pick)
            .copied()
            .unwrap_or(RoleId::new(1_000 + u64::from(n)))
    }

    fn action_name(&self, n: u16) -> String {
        let index = usize::from(n & 0x7fff) % (self.actions.len() + 1);
        match self.actions.get(index) {
            Some((_, a)) if n & 0x8000 != 0 => a.to_ascii_lowercase(),
            Some((_, a)) => a.clone(),
            None => format!("Missing{n}"),
        }
    }

    fn category_name(&self, n: u8) -> String {
        let index = usize::from(n & 0x7f) % (self.categories.len() + 1);
        let name = format!("Cat {index}");
        if n & 0x80 != 0 {
            name.to_ascii_lowercase()
        } else {
            name
        }
    }

    fn grants(&self, spec: &GrantSpec) -> Grants {
        let mut grants = Grants::new();
        for &n in spec.actions.iter().take(4) {
            grants = grants.action(self.action_name(n));
        }
        for &n in spec.categories.iter().take(2) {
            grants = grants.category(self.category_name(n));
        }
        for &n in spec.except.iter().take(3) {
            grants = grants.except(self.action_name(n));
        }
        if spec.all { grants.all() } else { grants }
    }

    /// Gives an operation its names and ids.
    fn plan(&self, op: &Op) -> Step {
        let role_name = |n: u8| {
            let name = format!("Role {}", n % 6);
            if n & 0x80 != 0 {
                name.to_ascii_lowercase()
            } else {
                name
            }
        };
        let id = |n: u8| CREDENTIALS[usize::from(n) % CREDENTIALS.len()].to_owned();
        match op {
            Op::CreateRole { name, grants } => Step::CreateRole {
                name: role_name(*name),
                grants: self.grants(grants),
            },
            Op::SetGrants { role, grants } => Step::SetGrants {
                role: self.role_id(*role),
                grants: self.grants(grants),
            },
            Op::RenameRole { role, name } => Step::RenameRole {
                role: self.role_id(*role),
                name: role_name(*name),
            },
            Op::DeleteRole { role } => Step::DeleteRole {
                role: self.role_id(*role),
            },
            Op::CreateCredential { id: n } => Step::CreateCredential { id: id(*n) },
            Op::DeleteCredential { id: n } => Step::DeleteCredential { id: id(*n) },
            Op::Assign { id: n, role } => Step::Assign {
                id: id(*n),
                role: self.role_id(*role),
            },
            Op::Unassign { id: n, role } => Step::Unassign {
                id: id(*n),
                role: self.role_id(*role),
            },
            Op::Enable { id: n } => Step::Enable { id: id(*n) },
            Op::Disable { id: n } => Step::Disable { id: id(*n) },
        }
    }

    /// Resolves every name of `names` to its spelling in `known`, or `None` if
    /// one is unknown.
    fn resolve<'a>(
        &self,
        names: impl Iterator<Item = &'a str>,
        known: &[&str],
    ) -> Option<BTreeSet<String>> {
        names
            .map(|name| {
                known
                    .iter()
                    .find(|k| self.same(k, name))
                    .map(|k| k.to_string())
            })
            .collect()
    }

    /// Returns the grants in the catalog's spelling, as a role without id
    /// and name, or `None` if one of them is unknown.
    fn resolve_grants(&self, grants: &Grants) -> Option<ModelRole> {
        let actions: Vec<&str> = self.actions.iter().map(|(_, a)| a.as_str()).collect();
        let categories: Vec<&str> = self.categories.iter().map(String::as_str).collect();
        Some(ModelRole {
            id: RoleId::new(0),
            name: String::new(),
            actions: self.resolve(grants.action_names(), &actions)?,
            categories: self.resolve(grants.category_names(), &categories)?,
            all: grants.is_all(),
            except: self.resolve(grants.exception_names(), &actions)?,
        })
    }

    fn name_taken(&self, name: &str, other_than: Option<RoleId>) -> bool {
        self.roles
            .iter()
            .any(|r| Some(r.id) != other_than && self.same(&r.name, name))
    }

    fn role_mut(&mut self, id: RoleId) -> Option<&mut ModelRole> {
        self.roles.iter_mut().find(|r| r.id == id)
    }

    /// Applies `step` if the crate should accept it; returns the new role's
    /// id for a created role.
    fn apply(&mut self, step: &Step) -> Result<Option<RoleId>, ()> {
        match step {
            Step::CreateRole { name, grants } => {
                let resolved = self.resolve_grants(grants).ok_or(())?;
                if self.name_taken(name, None) {
                    return Err(());
                }
                let id = RoleId::new(self.next_role_id);
                self.next_role_id += 1;
                self.given.push(id);
                self.roles.push(ModelRole {
                    id,
                    name: name.clone(),
                    ..resolved
                });
                return Ok(Some(id));
            }
            Step::SetGrants { role, grants } => {
                let resolved = self.resolve_grants(grants).ok_or(())?;
                let role = self.role_mut(*role).ok_or(())?;
                *role = ModelRole {
                    id: role.id,
                    name: role.name.clone(),
                    ..resolved
                };
            }
            Step::RenameRole { role, name } => {
                if self.name_taken(name, Some(*role)) {
                    return Err(());
                }
                self.role_mut(*role).ok_or(())?.name = name.clone();
            }
            Step::DeleteRole { role } => {
                let position = self.roles.iter().position(|r| r.id == *role).ok_or(())?;
                self.roles.remove(position);
                for credential in self.credentials.values_mut() {
                    credential.roles.retain(|r| r != role);
                }
            }
            Step::CreateCredential { id } => {
                if self.credentials.contains_key(id) {
                    return Err(());
                }
                let credential = ModelCredential {
                    enabled: true,
                    roles: Vec::new(),
                };
                self.credentials.insert(id.clone(), credential);
            }
            Step::DeleteCredential { id } => {
                self.credentials.remove(id).ok_or(())?;
            }
            Step::Assign { id, role } => {
                let exists = self.roles.iter().any(|r| r.id == *role);
                let credential = self.credentials.get_mut(id).ok_or(())?;
                if !exists || credential.roles.contains(role) {
                    return Err(());
                }
                credential.roles.push(*role);
            }
            Step::Unassign { id, role } => {
                let credential = self.credentials.get_mut(id).ok_or(())?;
                if !credential.roles.contains(role) {
                    return Err(());
                }
                credential.roles.retain(|r| r != role);
            }
            Step::Enable { id } | Step::Disable { id } => {
                let enabled = matches!(step, Step::Enable { .. });
                self.credentials.get_mut(id).ok_or(())?.enabled = enabled;
            }
        }
        Ok(None)
    }
}

/// Applies `step` to a real policy.
fn run(policy: &mut Policy, step: &Step) -> Result<Option<RoleId>, PolicyError> {
    match step {
        Step::CreateRole { name, grants } => {
            return policy.create_role(name, grants.clone()).map(Some);
        }
        Step::SetGrants { role, grants } => policy.set_grants(*role, grants.clone())?,
        Step::RenameRole { role, name } => policy.rename_role(*role, name)?,
        Step::DeleteRole { role } => policy.delete_role(*role).map(drop)?,
        Step::CreateCredential { id } => policy.create_credential(id).map(drop)?,
        Step::DeleteCredential { id } => policy.delete_credential(id).map(drop)?,
        Step::Assign { id, role } => policy.assign_role(id, *role)?,
        Step::Unassign { id, role } => policy.unassign_role(id, *role)?,
        Step::Enable { id } => policy.enable_credential(id)?,
        Step::Disable { id } => policy.disable_credential(id)?,
    }
    Ok(None)
}

/// The three sides under test.
struct Case {
    model: Model,
    policy: Policy,
    shared: SharedAuthorizer,
}

impl Case {
    fn new(input: &Input) -> Self {
        let matching = match input.case_insensitive {
            true => NameMatching::AsciiCaseInsensitive,
            false => NameMatching::Exact,
        };
        let model = Model::new(matching, &input.categories);
        let catalog = model.catalog();
        Self {
            policy: Policy::new(catalog.clone()),
            shared: SharedAuthorizer::new(Policy::new(catalog)),
            model,
        }
    }

    /// Applies one edit to every side and checks that they accept or refuse
    /// it alike.
    fn edit(&mut self, edit: &Edit) {
        let ops = match edit {
            Edit::One(op) => std::slice::from_ref(op),
            Edit::Batch(ops) => &ops[..ops.len().min(MAX_BATCH)],
        };

        // The model plans and predicts the steps, up to the first refused one.
        let mut trial = self.model.clone();
        let mut steps = Vec::new();
        let mut created = Vec::new();
        let mut accepted = true;
        for op in ops {
            let step = trial.plan(op);
            let outcome = trial.apply(&step);
            steps.push(step);
            match outcome {
                Ok(id) => created.push(id),
                Err(()) => {
                    accepted = false;
                    break;
                }
            }
        }

        // The shared authorizer takes the steps as one transaction.
        let shared = self.shared.edit(|policy| {
            steps
                .iter()
                .map(|step| run(policy, step))
                .collect::<Result<Vec<_>, _>>()
        });
        let shared = shared.map(|edited| edited.value);
        assert_eq!(
            shared.as_ref().ok(),
            accepted.then_some(&created),
            "{steps:?}: {shared:?}"
        );

        // The plain policy takes them one by one; a refused single step must
        // be refused alone too. A refused batch is not applied.
        if accepted {
            for (step, id) in steps.iter().zip(&created) {
                assert_eq!(run(&mut self.policy, step).as_ref(), Ok(id), "{step:?}");
            }
            self.model = trial;
        } else if let [step] = steps.as_slice() {
            let result = run(&mut self.policy, step);
            assert!(result.is_err(), "{step:?}: {result:?}");
        }
    }

    /// Checks the shared authorizer against the model: every credential, and
    /// unknown ones, against every action and an unknown action.
    fn check_shared(&self) {
        let actions = self.model.actions.iter().map(|(_, a)| a.as_str());
        for action in actions.chain(["NoSuchAction"]) {
            for credential in CREDENTIALS.iter().chain(&["nobody"]) {
                let expected = self.model.decide(credential, action);
                let shared = self.shared.authorize(credential, action);
                assert_eq!(shared, expected, "shared: {credential} {action}");
            }
        }
    }

    /// Checks all three sides: every credential, and unknown ones, against
    /// every action in two spellings and an unknown action.
    fn check_all(&self) {
        let compiled = self.policy.compile();
        let mut actions: Vec<String> = Vec::new();
        for (_, action) in &self.model.actions {
            actions.push(action.clone());
            actions.push(action.to_ascii_lowercase());
        }
        actions.push("NoSuchAction".into());
        for credential in CREDENTIALS.iter().chain(&["nobody"]) {
            for action in &actions {
                let expected = self.model.decide(credential, action);
                let compiled = compiled.authorize(credential, action);
                let shared = self.shared.authorize(credential, action);
                assert_eq!(compiled, expected, "policy: {credential} {action}");
                assert_eq!(shared, expected, "shared: {credential} {action}");
                let allowed = self.shared.is_allowed(credential, action);
                assert_eq!(allowed, expected.is_allowed(), "{credential} {action}");
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let mut case = Case::new(&input);
    if input.warm_up {
        for op in warm_up() {
            case.edit(&Edit::One(op));
        }
    }
    // The shared authorizer recompiles incrementally: check it after every
    // edit, and everything at the end.
    for edit in input.edits.iter().take(MAX_EDITS) {
        case.edit(edit);
        case.check_shared();
    }
    case.check_all();
});
