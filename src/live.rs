//! [`SharedAuthorizer`]: a live authorizer that edits swap atomically.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::authorizer::{Authorizer, Compiler};
use crate::catalog::{ActionCatalog, ActionHandle};
use crate::decision::Decision;
use crate::document::{LoadOptions, LoadReport};
use crate::error::{LoadError, PolicyError};
use crate::gate::Request;
use crate::least_privilege::LeastPrivilegeReport;
use crate::observer::DecisionObserver;
use crate::policy::Policy;

/// How a [`SharedAuthorizer`] runs.
///
/// # Example
///
/// ```
/// use api_roles::{ActionCatalog, Policy, SharedAuthorizer, SharedOptions};
///
/// let policy = Policy::new(ActionCatalog::builder().build()?);
/// let shared = SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedOptions {
    record_usage: bool,
    load: LoadOptions,
}

impl SharedOptions {
    /// Records which actions each credential uses, for
    /// [`SharedAuthorizer::least_privilege`]. Off by default; recording costs
    /// one relaxed atomic load per allowed request, and a store the first
    /// time a credential uses an action.
    ///
    /// # Example
    ///
    /// See [`SharedOptions`].
    #[must_use]
    pub fn record_usage(mut self, on: bool) -> Self {
        self.record_usage = on;
        self
    }

    /// Sets how the policy is loaded when it is reloaded from its store.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{LoadOptions, SharedOptions};
    ///
    /// let options = SharedOptions::default().load_options(LoadOptions::lenient());
    /// ```
    #[must_use]
    pub fn load_options(mut self, load: LoadOptions) -> Self {
        self.load = load;
        self
    }
}

/// What the writer side owns: the policy and the compiler state.
struct Writer {
    policy: Policy,
    compiler: Compiler,
}

/// A live authorizer shared by every thread of a host: checks read the
/// current compiled snapshot without locks while edits publish new ones.
///
/// - **Lock-free reads.** [`authorize`](Self::authorize),
///   [`check`](Self::check) and the other checks load the current
///   [`Authorizer`] through an atomic pointer (`arc-swap`): no lock, no
///   allocation.
/// - **Edits take effect at once.** [`edit`](Self::edit) applies a change to
///   the policy (written through to its store first, if it has one),
///   recompiles only what the change touched, and publishes the new snapshot
///   before it returns: a check that starts after `edit` returned, on any
///   thread, sees the edit. No check ever sees half an edit.
/// - **Incremental.** Changing one role recompiles only the credentials that
///   hold it; creating, changing or deleting a credential touches only that
///   credential. A new catalog recompiles everything.
/// - **Reload.** [`refresh`](Self::refresh) and [`watch`](Self::watch) pick
///   up changes another process committed to the store.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use api_roles::{ActionCatalog, Grants, Policy, SharedAuthorizer};
///
/// let catalog = ActionCatalog::builder().actions("Billing", ["AddCredit", "CreateInvoice"]).build()?;
/// let shared = Arc::new(SharedAuthorizer::new(Policy::new(catalog)));
/// let revision = shared.edit(|policy| {
///     let clerk = policy.create_role("Clerk", Grants::new().action("CreateInvoice"))?;
///     let _secret = policy.create_credential("app")?;
///     policy.assign_role("app", clerk)
/// })?.revision;
///
/// let reader = Arc::clone(&shared);
/// std::thread::spawn(move || assert!(reader.is_allowed("app", "CreateInvoice"))).join().unwrap();
///
/// shared.edit(|policy| policy.disable_credential("app"))?;
/// assert!(!shared.is_allowed("app", "CreateInvoice"));
/// assert!(shared.revision() > revision);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedAuthorizer {
    current: ArcSwap<Authorizer>,
    writer: Mutex<Writer>,
    published: Mutex<u64>,
    changed: Condvar,
    options: SharedOptions,
}

/// The result of a [`SharedAuthorizer::edit`]: the edit's own result and the
/// revision that contains it.
///
/// # Example
///
/// See [`SharedAuthorizer`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Edited<T> {
    /// What the edit returned.
    pub value: T,
    /// The first revision that contains the edit.
    pub revision: u64,
}

impl SharedAuthorizer {
    /// Compiles `policy` and shares it.
    ///
    /// # Example
    ///
    /// See [`SharedAuthorizer`].
    pub fn new(policy: Policy) -> Self {
        Self::with_options(policy, SharedOptions::default())
    }

    /// Compiles `policy` and shares it, with options.
    ///
    /// # Example
    ///
    /// See [`SharedOptions`].
    pub fn with_options(mut policy: Policy, options: SharedOptions) -> Self {
        let _ = policy.take_touched();
        let compiler = Compiler::full(&policy, options.record_usage, None, None);
        let snapshot = Arc::new(compiler.snapshot().clone());
        let revision = snapshot.revision();
        Self {
            current: ArcSwap::new(snapshot),
            writer: Mutex::new(Writer { policy, compiler }),
            published: Mutex::new(revision),
            changed: Condvar::new(),
            options,
        }
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns the current snapshot, for several checks against one state.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy, SharedAuthorizer};
    ///
    /// let shared = SharedAuthorizer::new(Policy::new(ActionCatalog::builder().build()?));
    /// let snapshot = shared.snapshot();
    /// assert_eq!(snapshot.revision(), shared.revision());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(&self) -> Arc<Authorizer> {
        self.current.load_full()
    }

    /// Returns the revision of the published snapshot.
    ///
    /// # Example
    ///
    /// See [`SharedAuthorizer`].
    pub fn revision(&self) -> u64 {
        self.current.load().revision()
    }

    /// Decides whether `credential` may call `action`; see
    /// [`Authorizer::authorize`].
    ///
    /// # Example
    ///
    /// See [`SharedAuthorizer`].
    #[inline]
    pub fn authorize(&self, credential: &str, action: &str) -> Decision {
        let snapshot = self.current.load();
        if !snapshot.has_hooks() {
            return snapshot.authorize(credential, action);
        }
        let traced = snapshot.trace(credential, || snapshot.catalog().action_id(action));
        snapshot.after(&traced, credential, action);
        traced.decision
    }

    /// Decides whether `credential` may call the action behind `handle`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy, SharedAuthorizer};
    ///
    /// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
    /// let x = catalog.handle("X").ok_or("missing")?;
    /// let shared = SharedAuthorizer::new(Policy::new(catalog));
    /// assert!(!shared.authorize_handle("nobody", x).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn authorize_handle(&self, credential: &str, handle: ActionHandle) -> Decision {
        let snapshot = self.current.load();
        if !snapshot.has_hooks() {
            return snapshot.authorize_handle(credential, handle);
        }
        let traced = snapshot.trace(credential, || snapshot.catalog().resolve_handle(handle));
        let name = snapshot
            .catalog()
            .action_name(handle.id())
            .map_or("", |n| n.as_str());
        snapshot.after(&traced, credential, name);
        traced.decision
    }

    /// Returns whether `credential` may call `action`.
    ///
    /// # Example
    ///
    /// See [`SharedAuthorizer`].
    #[inline]
    pub fn is_allowed(&self, credential: &str, action: &str) -> bool {
        self.authorize(credential, action).is_allowed()
    }

    /// Judges a whole request; see [`Authorizer::check`].
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy, Request, SharedAuthorizer};
    ///
    /// let shared = SharedAuthorizer::new(Policy::new(ActionCatalog::builder().build()?));
    /// let request = Request::new("nobody", "", "X", "::1".parse()?);
    /// assert!(!shared.check(&request).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, request: &Request<'_>) -> Decision {
        let snapshot = self.current.load();
        let decision = snapshot.check(request);
        if snapshot.has_hooks() && decision.is_allowed() {
            let traced = snapshot.trace(request.credential(), || {
                snapshot.catalog().action_id(request.action())
            });
            snapshot.after(&traced, request.credential(), request.action());
        }
        decision
    }

    /// Decides many pairs against one snapshot; see
    /// [`Authorizer::authorize_batch`].
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy, SharedAuthorizer};
    ///
    /// let shared = SharedAuthorizer::new(Policy::new(ActionCatalog::builder().build()?));
    /// assert_eq!(shared.authorize_batch([("a", "X"), ("b", "Y")]).len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorize_batch<'a, I>(&self, requests: I) -> Vec<Decision>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let snapshot = self.current.load();
        requests
            .into_iter()
            .map(|(credential, action)| {
                let traced = snapshot.trace(credential, || snapshot.catalog().action_id(action));
                if snapshot.has_hooks() {
                    snapshot.after(&traced, credential, action);
                }
                traced.decision
            })
            .collect()
    }

    /// Applies `edit` to the policy as one transaction, then publishes the
    /// new snapshot before returning. If the policy has a store, the whole
    /// edit is written to it first, as one change. On any error nothing
    /// changes and nothing is published.
    ///
    /// # Errors
    ///
    /// Returns the edit's [`PolicyError`], or
    /// [`PolicyError::Store`] when the store refuses it.
    ///
    /// # Example
    ///
    /// See [`SharedAuthorizer`].
    pub fn edit<T>(
        &self,
        edit: impl FnOnce(&mut Policy) -> Result<T, PolicyError>,
    ) -> Result<Edited<T>, PolicyError> {
        let mut writer = self.writer();
        let value = writer.policy.transact(edit)?;
        let Writer { policy, compiler } = &mut *writer;
        let touched = policy.take_touched();
        compiler.update(policy, &touched);
        let revision = self.publish(compiler);

        Ok(Edited { value, revision })
    }

    /// Reads the policy under the writer's lock.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy, SharedAuthorizer};
    ///
    /// let shared = SharedAuthorizer::new(Policy::new(ActionCatalog::builder().build()?));
    /// let roles = shared.with_policy(|policy| policy.roles().count());
    /// assert_eq!(roles, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_policy<R>(&self, read: impl FnOnce(&Policy) -> R) -> R {
        read(&self.writer().policy)
    }

    /// Switches to a new catalog, such as a newer release of the host's API,
    /// reloading the policy's roles against it and recompiling everything.
    ///
    /// # Errors
    ///
    /// Returns a [`LoadError`] if the policy does not fit the new catalog
    /// under `options`; nothing changes then.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Grants, LoadOptions, Policy, SharedAuthorizer};
    ///
    /// let v1 = ActionCatalog::builder().actions("Billing", ["AddCredit"]).build()?;
    /// let shared = SharedAuthorizer::new(Policy::new(v1.clone()));
    /// shared.edit(|policy| {
    ///     let billing = policy.create_role("Billing", Grants::new().category("Billing"))?;
    ///     let _secret = policy.create_credential("app")?;
    ///     policy.assign_role("app", billing)
    /// })?;
    /// let v2 = v1.to_builder().action("Billing", "RefundPayment").build()?;
    /// shared.replace_catalog(v2, &LoadOptions::default())?;
    /// assert!(shared.is_allowed("app", "RefundPayment"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_catalog(
        &self,
        catalog: ActionCatalog,
        options: &LoadOptions,
    ) -> Result<LoadReport, LoadError> {
        let mut writer = self.writer();
        let document = writer.policy.to_document();
        let (mut policy, report) = Policy::from_document(catalog, &document, options)?;
        policy.store = writer.policy.store.clone();
        policy.clock = writer.policy.clock.clone();
        self.rebuild(&mut writer, policy);
        Ok(report)
    }

    /// Reloads the policy from its store if the store has moved past the
    /// published revision; returns whether it did.
    ///
    /// # Errors
    ///
    /// Returns a [`LoadError`] if the store cannot be read or its content
    /// does not fit the catalog; the published snapshot stays in force.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use api_roles::{ActionCatalog, Grants, LoadOptions, MemoryStore, Policy, SharedAuthorizer};
    ///
    /// let catalog = ActionCatalog::builder().build()?;
    /// let store = Arc::new(MemoryStore::new());
    /// let open = || Policy::open(catalog.clone(), store.clone(), &LoadOptions::default());
    /// let shared = SharedAuthorizer::new(open()?.0);
    /// let (mut elsewhere, _) = open()?;
    /// elsewhere.create_role("Made elsewhere", Grants::new())?;
    /// assert!(shared.refresh()?);
    /// assert_eq!(shared.revision(), 1);
    /// assert!(!shared.refresh()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh(&self) -> Result<bool, LoadError> {
        let mut writer = self.writer();
        let Some(store) = writer.policy.store().cloned() else {
            return Ok(false);
        };
        if store.revision()? <= writer.policy.revision() {
            return Ok(false);
        }
        let mut policy = writer.policy.clone();
        policy.reload(&self.options.load)?;
        self.rebuild(&mut writer, policy);
        Ok(true)
    }

    /// Replaces the policy and recompiles everything, keeping usage records
    /// and the observer.
    fn rebuild(&self, writer: &mut Writer, mut policy: Policy) {
        let _ = policy.take_touched();
        let previous = writer.compiler.snapshot().clone();
        let observer = previous.observer();
        writer.compiler = Compiler::full(
            &policy,
            self.options.record_usage,
            observer,
            Some(&previous),
        );
        writer.policy = policy;
        self.publish(&writer.compiler);
    }

    /// Publishes the compiler's snapshot and wakes revision waiters.
    fn publish(&self, compiler: &Compiler) -> u64 {
        let snapshot = Arc::new(compiler.snapshot().clone());
        let revision = snapshot.revision();
        self.current.store(snapshot);
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        *published = revision;
        self.changed.notify_all();
        revision
    }

    /// Waits until the published snapshot has reached `revision`, or
    /// `timeout` has passed; returns whether it was reached.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use api_roles::{ActionCatalog, Grants, Policy, SharedAuthorizer};
    ///
    /// let shared = SharedAuthorizer::new(Policy::new(ActionCatalog::builder().build()?));
    /// let edited = shared.edit(|policy| policy.create_role("R", Grants::new()))?;
    /// assert!(shared.wait_for_revision(edited.revision, Duration::from_secs(1)));
    /// assert!(!shared.wait_for_revision(edited.revision + 1, Duration::from_millis(10)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_revision(&self, revision: u64, timeout: Duration) -> bool {
        let published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        let (published, _) = self
            .changed
            .wait_timeout_while(published, timeout, |current| *current < revision)
            .unwrap_or_else(|p| p.into_inner());
        *published >= revision
    }

    /// Installs or removes the decision observer. It sees every decision made
    /// through this shared authorizer from the next check on.
    ///
    /// # Example
    ///
    /// See [`DecisionObserver`].
    pub fn set_observer(&self, observer: Option<Arc<dyn DecisionObserver>>) {
        let mut writer = self.writer();
        writer.compiler.set_observer(observer);
        self.publish(&writer.compiler);
    }

    /// Reports, for each credential, the actions it holds but never used
    /// since usage recording began, and proposes the smallest set of
    /// existing roles, or one new role, that covers exactly what it used.
    /// Usage is recorded only with [`SharedOptions::record_usage`].
    ///
    /// # Example
    ///
    /// See [`LeastPrivilegeReport`].
    pub fn least_privilege(&self) -> LeastPrivilegeReport {
        let writer = self.writer();
        LeastPrivilegeReport::build(&writer.policy, writer.compiler.snapshot())
    }

    /// Forgets every recorded use, to start a new observation period.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionCatalog, Policy, SharedAuthorizer, SharedOptions};
    ///
    /// let policy = Policy::new(ActionCatalog::builder().build()?);
    /// let shared = SharedAuthorizer::with_options(policy, SharedOptions::default().record_usage(true));
    /// shared.clear_usage();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_usage(&self) {
        self.current.load().clear_usage();
    }

    /// Starts a thread that keeps this authorizer in step with its store:
    /// it waits for a change ([`Store::wait_for_change`], which returns at
    /// once on a change notification and otherwise polls every `interval`)
    /// and reloads when the store's revision moved. Returns `None` for a
    /// policy without a store. The thread stops when the [`Watcher`] is
    /// dropped (within one `interval`).
    ///
    /// [`Store::wait_for_change`]: crate::Store::wait_for_change
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use api_roles::{ActionCatalog, Grants, LoadOptions, MemoryStore, Policy, SharedAuthorizer};
    ///
    /// let catalog = ActionCatalog::builder().build()?;
    /// let store = Arc::new(MemoryStore::new());
    /// let open = || Policy::open(catalog.clone(), store.clone(), &LoadOptions::default());
    /// let shared = Arc::new(SharedAuthorizer::new(open()?.0));
    /// let watcher = shared.watch(Duration::from_millis(10)).ok_or("no store")?;
    ///
    /// let (mut elsewhere, _) = open()?;
    /// elsewhere.create_role("Made elsewhere", Grants::new())?;
    /// assert!(shared.wait_for_revision(1, Duration::from_secs(5)));
    /// drop(watcher);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch(self: &Arc<Self>, interval: Duration) -> Option<Watcher> {
        let store = self.writer().policy.store().cloned()?;
        let stop = Arc::new(AtomicBool::new(false));
        let last_error = Arc::new(Mutex::new(None));
        let shared = Arc::downgrade(self);
        let (flag, errors) = (Arc::clone(&stop), Arc::clone(&last_error));
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let waited = store.wait_for_change(shared.revision(), interval);
                let result = waited
                    .map_err(LoadError::from)
                    .and_then(|()| shared.refresh());
                if let Err(err) = result {
                    *errors.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
                    std::thread::sleep(interval);
                }
            }
        });
        Some(Watcher {
            stop,
            last_error,
            thread: Some(thread),
        })
    }
}

impl fmt::Debug for SharedAuthorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedAuthorizer")
            .field("snapshot", &self.current.load())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Keeps a [`SharedAuthorizer`] in step with its store until dropped.
///
/// Made by [`SharedAuthorizer::watch`].
///
/// # Example
///
/// See [`SharedAuthorizer::watch`].
pub struct Watcher {
    stop: Arc<AtomicBool>,
    last_error: Arc<Mutex<Option<LoadError>>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Returns the last error the watcher met, and forgets it. The watcher
    /// keeps trying; the published snapshot stays in force meanwhile.
    ///
    /// # Example
    ///
    /// See [`SharedAuthorizer::watch`].
    pub fn take_error(&self) -> Option<LoadError> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("running", &self.thread.is_some())
            .finish()
    }
}
