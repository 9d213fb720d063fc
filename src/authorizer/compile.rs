//! Building snapshots: a full compile, and incremental updates after edits.

use std::sync::Arc;

use hashbrown::{HashMap, HashSet};

use super::chunked::Chunked;
use super::{Authorizer, CompiledCredential, CompiledRole, Perm};
use crate::action_set::ActionSet;
use crate::credential::{Credential, RoleList};
use crate::gate::{AuthExtra, CompiledAuth};
use crate::index::NameIndex;
use crate::name::NameMatching;
use crate::observer::DecisionObserver;
use crate::policy::{Policy, Touched};
use crate::role::RoleId;
use crate::usage::UsageBits;

/// Keeps what it takes to update a snapshot after an edit without
/// recompiling everything: each role's actions, which credentials hold each
/// role, and the distinct permission sets.
pub(crate) struct Compiler {
    snapshot: Authorizer,
    role_sets: HashMap<RoleId, ActionSet>,
    holders: HashMap<RoleId, HashSet<u32>>,
    interned: HashMap<ActionSet, u32>,
    combo_index: HashMap<RoleList, u32>,
    track_usage: bool,
}

impl Compiler {
    /// Compiles every role and credential of `policy`.
    pub(crate) fn full(
        policy: &Policy,
        track_usage: bool,
        observer: Option<Arc<dyn DecisionObserver>>,
        previous: Option<&Authorizer>,
    ) -> Self {
        let catalog = Arc::clone(policy.catalog());
        let roles: HashMap<RoleId, Arc<CompiledRole>> = policy
            .roles()
            .map(|role| {
                let set = role.grants().effective(&catalog);
                (
                    role.id(),
                    Arc::new(CompiledRole {
                        role: role.clone(),
                        set,
                    }),
                )
            })
            .collect();
        let role_sets = roles
            .iter()
            .map(|(id, role)| (*id, role.set.clone()))
            .collect();
        let snapshot = Authorizer {
            catalog,
            revision: policy.revision(),
            index: Arc::new(NameIndex::with_capacity(
                NameMatching::Exact,
                policy.credentials().len(),
            )),
            entries: Chunked::default(),
            auth: Chunked::default(),
            sets: Chunked::default(),
            combos: Chunked::default(),
            roles: Arc::new(roles),
            global_networks: policy.global_networks().cloned(),
            clock: Arc::clone(policy.clock()),
            observer,
            tracks_usage: track_usage,
        };
        let mut compiler = Self {
            snapshot,
            role_sets,
            holders: HashMap::new(),
            interned: HashMap::new(),
            combo_index: HashMap::new(),
            track_usage,
        };
        compiler.intern(ActionSet::new());

        let mut by_roles: HashMap<crate::credential::RoleList, u32> = HashMap::new();
        for credential in policy.credentials() {
            let mut key = credential.roles.clone();
            key.sort_unstable();
            let set = match by_roles.get(&key) {
                Some(&set) => set,
                None => {
                    let set = compiler.union_of(&key);
                    by_roles.insert(key, set);
                    set
                }
            };
            let usage = compiler.carried_usage(previous, credential);
            compiler.add_credential(credential, set, usage);
        }
        compiler
    }

    /// Returns the current snapshot.
    pub(crate) fn snapshot(&self) -> &Authorizer {
        &self.snapshot
    }

    pub(crate) fn into_snapshot(self) -> Authorizer {
        self.snapshot
    }

    pub(crate) fn set_observer(&mut self, observer: Option<Arc<dyn DecisionObserver>>) {
        self.snapshot.observer = observer;
    }

    /// Brings the snapshot up to date with `policy` after edits that touched
    /// `touched`: only the touched roles, the credentials that hold them, and
    /// the touched credentials are recompiled.
    pub(crate) fn update(&mut self, policy: &Policy, touched: &Touched) {
        self.snapshot.revision = policy.revision();
        if touched.settings {
            self.snapshot.global_networks = policy.global_networks().cloned();
        }

        let mut affected: HashSet<u32> = HashSet::new();
        for &id in &touched.roles {
            let roles = Arc::make_mut(&mut self.snapshot.roles);
            let Some(role) = policy.role(id) else {
                roles.remove(&id);
                self.role_sets.remove(&id);
                affected.extend(self.holders.remove(&id).unwrap_or_default());
                continue;
            };
            let set = role.grants().effective(&self.snapshot.catalog);
            let changed = self.role_sets.get(&id) != Some(&set);
            roles.insert(
                id,
                Arc::new(CompiledRole {
                    role: role.clone(),
                    set: set.clone(),
                }),
            );
            self.role_sets.insert(id, set);
            if changed {
                affected.extend(self.holders.get(&id).into_iter().flatten().copied());
            }
        }

        for id in &touched.credentials {
            let slot = self.slot_of(id.as_str());
            match (policy.credential(id.as_str()), slot) {
                (Some(credential), Some(slot)) => {
                    self.replace_credential(slot, credential);
                    affected.remove(&slot);
                }
                (Some(credential), None) => {
                    let mut key = credential.roles.clone();
                    key.sort_unstable();
                    let set = self.union_of(&key);
                    let usage = self.new_usage();
                    self.add_credential(credential, set, usage);
                }
                (None, Some(slot)) => {
                    self.remove_credential(slot);
                    affected.remove(&slot);
                }
                (None, None) => {}
            }
        }

        for slot in affected {
            let slot = slot as usize;
            let snapshot = &self.snapshot;
            let held = snapshot
                .slot(slot)
                .map(|entry| snapshot.roles_of_entry(entry).to_vec());
            let Some(roles) = held else {
                continue;
            };
            let set = self.union_of(&roles);
            if let Some(entry) = self.snapshot.slot(slot).cloned() {
                let perm = Perm { set, ..entry.perm };
                self.snapshot
                    .entries
                    .set(slot, Some(CompiledCredential { perm, ..entry }));
            }
        }
    }

    fn compiled(
        &mut self,
        credential: &Credential,
        set: u32,
        usage: Option<Arc<UsageBits>>,
    ) -> CompiledCredential {
        let combo = match self.combo_index.get(&credential.roles) {
            Some(&combo) => combo,
            None => {
                let combo = self.snapshot.combos.len() as u32;
                self.snapshot.combos.push(credential.roles.clone());
                self.combo_index.insert(credential.roles.clone(), combo);
                combo
            }
        };
        CompiledCredential {
            id: credential.id().clone(),
            perm: Perm {
                set,
                enabled: credential.is_enabled(),
            },
            combo,
            usage,
        }
    }

    fn slot_of(&self, id: &str) -> Option<u32> {
        self.snapshot.position(id).map(|pos| pos as u32)
    }

    /// Interns the union of `roles`' sets.
    fn union_of(&mut self, roles: &[RoleId]) -> u32 {
        let mut union = ActionSet::new();
        for set in roles.iter().filter_map(|role| self.role_sets.get(role)) {
            union.union_with(set);
        }
        self.intern(union)
    }

    fn intern(&mut self, set: ActionSet) -> u32 {
        if let Some(&slot) = self.interned.get(&set) {
            return slot;
        }
        let slot = self.snapshot.sets.len() as u32;
        self.snapshot.sets.push(set.clone());
        self.interned.insert(set, slot);
        slot
    }

    fn new_usage(&self) -> Option<Arc<UsageBits>> {
        self.track_usage
            .then(|| Arc::new(UsageBits::new(self.snapshot.catalog.len())))
    }

    /// Keeps a credential's usage record across a full recompile.
    fn carried_usage(
        &self,
        previous: Option<&Authorizer>,
        credential: &Credential,
    ) -> Option<Arc<UsageBits>> {
        if !self.track_usage {
            return None;
        }
        let old = previous
            .and_then(|snapshot| snapshot.entry(credential.id().as_str()))
            .and_then(|entry| entry.usage.clone());
        let actions = self.snapshot.catalog.len();
        Some(match old {
            Some(usage) => Arc::new(usage.resized(actions)),
            None => Arc::new(UsageBits::new(actions)),
        })
    }

    fn add_credential(&mut self, credential: &Credential, set: u32, usage: Option<Arc<UsageBits>>) {
        let slot = self.snapshot.entries.len() as u32;
        let entry = self.compiled(credential, set, usage);
        for role in &credential.roles {
            self.holders.entry(*role).or_default().insert(slot);
        }
        self.snapshot.entries.push(Some(entry));
        self.snapshot.auth.push(compiled_auth(credential));
        let entries = &self.snapshot.entries;
        Arc::make_mut(&mut self.snapshot.index).insert(credential.id().as_str(), slot, |p| {
            entries
                .get(p as usize)
                .and_then(Option::as_ref)
                .map_or("", |e| e.id.as_str())
        });
    }

    fn replace_credential(&mut self, slot: u32, credential: &Credential) {
        let old = self.snapshot.entries.get(slot as usize).cloned().flatten();
        let usage = old.as_ref().and_then(|entry| entry.usage.clone());
        let old_roles = old
            .as_ref()
            .map(|e| self.snapshot.roles_of_entry(e).to_vec());
        for role in old_roles.iter().flatten() {
            if let Some(holders) = self.holders.get_mut(role) {
                holders.remove(&slot);
            }
        }
        for role in &credential.roles {
            self.holders.entry(*role).or_default().insert(slot);
        }
        let set = self.union_of(&credential.roles);
        let entry = self.compiled(credential, set, usage);
        self.snapshot.entries.set(slot as usize, Some(entry));
        self.snapshot
            .auth
            .set(slot as usize, compiled_auth(credential));
    }

    fn remove_credential(&mut self, slot: u32) {
        let Some(old) = self.snapshot.entries.get(slot as usize).cloned().flatten() else {
            return;
        };
        for role in self.snapshot.roles_of_entry(&old).to_vec() {
            let role = &role;
            if let Some(holders) = self.holders.get_mut(role) {
                holders.remove(&slot);
            }
        }
        Arc::make_mut(&mut self.snapshot.index).remove(old.id.as_str(), slot);
        self.snapshot.entries.set(slot as usize, None);
        self.snapshot
            .auth
            .set(slot as usize, CompiledAuth::default());
    }
}

fn compiled_auth(credential: &Credential) -> CompiledAuth {
    let rare = credential.previous_secret.is_some()
        || credential.expires_at.is_some()
        || credential.networks.is_some();
    let extra = rare.then(|| {
        Box::new(AuthExtra {
            previous: credential.previous_secret,
            expires_at: credential.expires_at,
            networks: credential.networks.clone(),
        })
    });
    CompiledAuth {
        secret: credential.secret,
        extra,
    }
}
