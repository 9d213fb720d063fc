//! [`PostgresStore`]: a store in a PostgreSQL database (feature `postgres`).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::config::Host;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls};

use super::rows::RowCodec;
use super::{Change, Store};
use crate::document::{
    CredentialRecord, FORMAT_VERSION, PolicyDocument, RoleRecord, SettingsRecord,
};
use crate::error::{StoreError, shown};

/// The schema version this release creates, reads and writes.
const SCHEMA_VERSION: i32 = 1;

/// How long connecting may take when the connection string does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory lock that serializes schema migrations.
const MIGRATION_LOCK: i64 = 0x6170_695f_726f_6c65;

/// The longest schema name accepted, so that the notification channel
/// `api_roles.<schema>` stays within PostgreSQL's 63-byte identifiers.
const MAX_SCHEMA_LEN: usize = 48;

/// A store in a PostgreSQL database (feature `postgres`), shared by every
/// instance of a host, with change notifications between them.
///
/// The store creates its tables at connect, in the connection's default
/// schema or in a schema of its own ([`connect_in_schema`]):
/// `api_roles_schema` (the schema version), `api_roles_state` (revision and
/// settings), `api_roles_roles` and `api_roles_credentials` (each record as
/// its JSON text, keyed by id). It migrates an older schema and refuses a
/// newer one with [`StoreError::Unsupported`].
///
/// # Changes and conflicts
///
/// Every [`apply`](Store::apply) runs in one transaction: it locks the
/// revision row (`SELECT ... FOR UPDATE`), compares it with `base`, writes
/// the changes and the new revision, and commits. Writers on every instance
/// are therefore serialized, and one that is behind gets
/// [`StoreError::Conflict`]; it reloads and retries. A connection lost
/// before the commit leaves nothing behind, and the call fails with
/// [`StoreError::Unavailable`]; the next call connects again. (If the
/// connection drops while the server acknowledges the commit, the change
/// may have been stored; the next edit then gets a conflict and a reload
/// shows it, so nothing is applied twice.)
///
/// # Notifications
///
/// Each commit sends `NOTIFY api_roles, '<revision>'` (the channel is
/// `api_roles.<schema>` for a store in its own schema), delivered when the
/// transaction commits. [`wait_for_change`](Store::wait_for_change) listens
/// on a second, dedicated connection and returns as soon as a newer revision
/// is announced, or when its timeout passes. Callers compare
/// [`revision`](Store::revision) afterwards, so a missed notification only
/// delays a reload until the next timeout: polling is the fallback.
/// [`without_notifications`](Self::without_notifications) turns listening
/// off, and `wait_for_change` then just sleeps for its timeout.
///
/// # Async hosts
///
/// The `postgres` client is synchronous: each call blocks its thread, and
/// calling it on a Tokio worker thread panics. An async host calls the
/// store, and [`Policy::open`](crate::Policy::open), `reload` and edits,
/// from `tokio::task::spawn_blocking` or a thread of its own. This costs
/// nothing on requests: the store is read only on load, reload and edits,
/// never on the authorize path, which stays lock-free.
///
/// # Limitations
///
/// Connections are made without TLS, for a server on the same host or a
/// private network. Records are written one statement each, so replacing a
/// document of many thousands of credentials takes as many round trips.
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use api_roles::{ActionCatalog, Grants, LoadOptions, Policy, PostgresStore, Store};
///
/// let url = std::env::var("API_ROLES_POSTGRES_URL")?;
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
/// let store = Arc::new(PostgresStore::connect(&url)?);
/// let (mut policy, _) = Policy::open(catalog, store.clone(), &LoadOptions::default())?;
/// policy.create_role("Reader", Grants::new().action("GetClients"))?;
///
/// // A watcher: reload when another instance commits.
/// for _ in 0..3 {
///     store.wait_for_change(policy.revision(), Duration::from_secs(5))?;
///     if store.revision()? != policy.revision() {
///         policy.reload(&LoadOptions::default())?;
///         let _authorizer = policy.compile(); // serve requests with this one
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`connect_in_schema`]: Self::connect_in_schema
pub struct PostgresStore {
    config: Config,
    location: String,
    tables: Tables,
    channel: String,
    client: Mutex<Option<Client>>,
    /// The listening connection; `None` when notifications are off.
    listener: Option<Mutex<Option<Client>>>,
}

/// The store's table names, qualified by its schema.
#[derive(Debug)]
struct Tables {
    schema: Option<String>,
    version: String,
    state: String,
    roles: String,
    credentials: String,
}

impl Tables {
    fn new(schema: Option<&str>) -> Self {
        let name = |table: &str| match schema {
            Some(schema) => format!("\"{schema}\".{table}"),
            None => table.to_owned(),
        };
        Self {
            schema: schema.map(str::to_owned),
            version: name("api_roles_schema"),
            state: name("api_roles_state"),
            roles: name("api_roles_roles"),
            credentials: name("api_roles_credentials"),
        }
    }

    /// The statements that take the schema from version `n` to `n + 1`.
    fn migration(&self, from: i32) -> Option<String> {
        let Self {
            state,
            roles,
            credentials,
            ..
        } = self;
        match from {
            0 => Some(format!(
                "CREATE TABLE {state} (
                    id smallint PRIMARY KEY CHECK (id = 1),
                    revision bigint NOT NULL CHECK (revision >= 0),
                    settings text NOT NULL
                );
                INSERT INTO {state} (id, revision, settings) VALUES (1, 0, '{{\"next_role_id\":1}}');
                CREATE TABLE {roles} (id bigint PRIMARY KEY, record text NOT NULL);
                CREATE TABLE {credentials} (id text COLLATE \"C\" PRIMARY KEY, record text NOT NULL);"
            )),
            _ => None,
        }
    }
}

/// Why a step inside a connection failed.
enum Fail {
    /// The database refused or the connection failed, while doing this.
    Db(&'static str, postgres::Error),
    /// A store error to return as it is.
    Store(StoreError),
}

impl From<StoreError> for Fail {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

fn db(operation: &'static str) -> impl FnOnce(postgres::Error) -> Fail {
    move |err| Fail::Db(operation, err)
}

/// Whether `err` means the connection is gone, rather than a refused
/// statement on a working connection.
fn lost_connection(err: &postgres::Error, client: &Client) -> bool {
    let Some(db_error) = err.as_db_error() else {
        return true;
    };
    let code = db_error.code();
    client.is_closed()
        || err.is_closed()
        || code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ]
        .contains(code)
}

impl PostgresStore {
    /// Connects to the database that `params` names, in the connection's
    /// default schema, and creates or migrates the store's tables.
    ///
    /// `params` is a libpq connection string, as a URL
    /// (`postgresql://user:password@127.0.0.1:5432/app`) or as key-value
    /// pairs (`host=127.0.0.1 user=app dbname=app`). Connecting times out
    /// after 10 seconds unless it sets `connect_timeout`.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::Unavailable`] for a connection string that
    /// cannot be read or a server that cannot be reached,
    /// [`StoreError::Unsupported`] for a schema newer than this release
    /// reads, and [`StoreError::Io`] when the server refuses to create the
    /// tables.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use api_roles::{PostgresStore, Store};
    ///
    /// let store = PostgresStore::connect("postgresql://app@127.0.0.1:5432/app")?;
    /// println!("revision {}", store.revision()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(params: &str) -> Result<Self, StoreError> {
        Self::connect_with(params, None)
    }

    /// Connects like [`connect`](Self::connect), keeping the tables in
    /// `schema`, which is created if it is missing. Stores in different
    /// schemas of one database are independent, with their own notification
    /// channel: for tests, and for hosts that keep several policies.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect); a schema name that is not 1 to 48
    /// lower-case ASCII letters, digits and `_`, starting with a letter or
    /// `_`, gives [`StoreError::Unavailable`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// use api_roles::PostgresStore;
    ///
    /// let store = PostgresStore::connect_in_schema("host=127.0.0.1 user=app", "tenant_42")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_in_schema(params: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_with(params, Some(schema))
    }

    /// Turns change notifications off: [`wait_for_change`] then sleeps for
    /// its timeout, so watchers poll the revision. Commits still notify
    /// other instances.
    ///
    /// [`wait_for_change`]: Store::wait_for_change
    ///
    /// # Example
    ///
    /// ```no_run
    /// use api_roles::PostgresStore;
    ///
    /// let url = std::env::var("API_ROLES_POSTGRES_URL")?;
    /// let store = PostgresStore::connect(&url)?.without_notifications();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn without_notifications(mut self) -> Self {
        self.listener = None;
        self
    }

    fn connect_with(params: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        if let Some(schema) = schema {
            check_schema_name(schema)?;
        }
        let mut config: Config = params.parse().map_err(|err| {
            StoreError::Unavailable(format!("invalid postgres connection string: {err}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let store = Self {
            location: location(&config, schema),
            config,
            tables: Tables::new(schema),
            channel: schema.map_or_else(|| "api_roles".to_owned(), |s| format!("api_roles.{s}")),
            client: Mutex::new(None),
            listener: Some(Mutex::new(None)),
        };
        store.with_client(false, |client| store.migrate(client))?;

        Ok(store)
    }

    fn new_client(&self) -> Result<Client, StoreError> {
        self.config.connect(NoTls).map_err(|err| {
            StoreError::Unavailable(format!("cannot connect to `{}`: {err}", self.location))
        })
    }

    /// Runs `f` on the store's connection, connecting first if there is
    /// none or it was lost. A lost connection is dropped, and `f` is tried
    /// once more on a new one when it only reads.
    fn with_client<T>(
        &self,
        reads_only: bool,
        mut f: impl FnMut(&mut Client) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let mut guard = lock(&self.client);
        let mut retries = usize::from(reads_only);
        loop {
            let client = match guard.take() {
                Some(client) if !client.is_closed() => client,
                _ => self.new_client()?,
            };
            let client = guard.insert(client);
            let (operation, err) = match f(client) {
                Ok(value) => return Ok(value),
                Err(Fail::Store(err)) => return Err(err),
                Err(Fail::Db(operation, err)) => (operation, err),
            };
            if !lost_connection(&err, client) {
                return Err(StoreError::Io {
                    operation,
                    location: self.location.clone(),
                    message: err.to_string(),
                });
            }
            *guard = None;
            if retries == 0 {
                return Err(self.unavailable(operation, &err));
            }
            retries -= 1;
        }
    }

    fn unavailable(&self, operation: &str, err: &postgres::Error) -> StoreError {
        StoreError::Unavailable(format!(
            "lost the connection to `{}` during {operation}: {err}",
            self.location
        ))
    }

    /// Brings the schema to [`SCHEMA_VERSION`], in one transaction.
    fn migrate(&self, client: &mut Client) -> Result<(), Fail> {
        if self.stored_version(client)? == Some(SCHEMA_VERSION) {
            return Ok(());
        }
        let mut tx = client.transaction().map_err(db("begin"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(db("lock"))?;
        if let Some(schema) = &self.tables.schema {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .map_err(db("create schema"))?;
        }
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {} (
                id smallint PRIMARY KEY CHECK (id = 1),
                version integer NOT NULL
            )",
            self.tables.version
        ))
        .map_err(db("create"))?;
        let mut version = self.stored_version(&mut tx)?.unwrap_or(0);
        if !(0..=SCHEMA_VERSION).contains(&version) {
            return Err(self.unsupported(version).into());
        }
        while let Some(step) = self.tables.migration(version) {
            tx.batch_execute(&step).map_err(db("migrate"))?;
            version += 1;
        }
        tx.execute(
            &format!(
                "INSERT INTO {} (id, version) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                self.tables.version
            ),
            &[&version],
        )
        .map_err(db("migrate"))?;

        tx.commit().map_err(db("commit"))
    }

    /// Reads the schema version; `None` when the store has no tables yet.
    fn stored_version(&self, client: &mut impl GenericClient) -> Result<Option<i32>, Fail> {
        let exists = client
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[&self.tables.version],
            )
            .map_err(db("read"))?;
        let exists: bool = exists.try_get(0).map_err(db("read"))?;
        if !exists {
            return Ok(None);
        }
        let sql = format!("SELECT version FROM {} WHERE id = 1", self.tables.version);
        let Some(row) = client.query_opt(&sql, &[]).map_err(db("read"))? else {
            return Ok(None);
        };
        let version: i32 = row
            .try_get(0)
            .map_err(|err| self.corrupt("table api_roles_schema", err.to_string()))?;

        Ok(Some(version))
    }

    fn unsupported(&self, version: i32) -> StoreError {
        StoreError::Unsupported(format!(
            "schema version {version} in `{}`: this release reads version {SCHEMA_VERSION}",
            self.location
        ))
    }

    /// Fails unless the schema is the one this release reads and writes.
    fn check_schema(&self, client: &mut impl GenericClient) -> Result<(), Fail> {
        match self.stored_version(client)? {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(version) => Err(self.unsupported(version).into()),
            None => Err(StoreError::Unsupported(format!(
                "`{}` has no schema version",
                self.location
            ))
            .into()),
        }
    }

    /// Reads the revision and the settings, locking the row for the rest of
    /// the transaction when `for_update`.
    fn read_state(
        &self,
        client: &mut impl GenericClient,
        for_update: bool,
    ) -> Result<(u64, String), Fail> {
        let place = "table api_roles_state";
        let lock = if for_update { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT revision, settings FROM {} WHERE id = 1{lock}",
            self.tables.state
        );
        let Some(row) = client.query_opt(&sql, &[]).map_err(db("read"))? else {
            return Err(self
                .corrupt(place, "the revision row is missing".into())
                .into());
        };
        let revision: i64 = row
            .try_get(0)
            .map_err(|err| self.corrupt(place, err.to_string()))?;
        let settings: String = row
            .try_get(1)
            .map_err(|err| self.corrupt(place, err.to_string()))?;
        let revision = u64::try_from(revision)
            .map_err(|_| self.corrupt(place, format!("negative revision {revision}")))?;

        Ok((revision, settings))
    }

    fn read_roles(&self, client: &mut impl GenericClient) -> Result<Vec<RoleRecord>, Fail> {
        let sql = format!("SELECT id, record FROM {} ORDER BY id", self.tables.roles);
        let mut roles = Vec::new();
        for row in client.query(&sql, &[]).map_err(db("read"))? {
            let id: i64 = row
                .try_get(0)
                .map_err(|err| self.corrupt("table api_roles_roles", err.to_string()))?;
            let place = format!("table api_roles_roles, id {id}");
            let json: String = row
                .try_get(1)
                .map_err(|err| self.corrupt(&place, err.to_string()))?;
            let role: RoleRecord = self.parse(&place, &json)?;
            if i64::try_from(role.id) != Ok(id) {
                let message = format!("the record has id {}", role.id);
                return Err(self.corrupt(&place, message).into());
            }
            roles.push(role);
        }
        roles.sort_by_key(|role| role.id);

        Ok(roles)
    }

    fn read_credentials(
        &self,
        client: &mut impl GenericClient,
    ) -> Result<Vec<CredentialRecord>, Fail> {
        let sql = format!("SELECT id, record FROM {}", self.tables.credentials);
        let mut credentials = Vec::new();
        for row in client.query(&sql, &[]).map_err(db("read"))? {
            let id: String = row
                .try_get(0)
                .map_err(|err| self.corrupt("table api_roles_credentials", err.to_string()))?;
            let place = format!("table api_roles_credentials, id `{}`", shown(&id));
            let json: String = row
                .try_get(1)
                .map_err(|err| self.corrupt(&place, err.to_string()))?;
            let credential: CredentialRecord = self.parse(&place, &json)?;
            if credential.id != id {
                let message = format!("the record has id `{}`", shown(&credential.id));
                return Err(self.corrupt(&place, message).into());
            }
            credentials.push(credential);
        }
        credentials.sort_by(|a, b| a.id.cmp(&b.id));

        Ok(credentials)
    }

    fn role_key(&self, id: u64) -> Result<i64, StoreError> {
        i64::try_from(id).map_err(|_| {
            StoreError::Unsupported(format!("role id {id} is too large for `{}`", self.location))
        })
    }

    /// Writes one change inside the transaction `tx`.
    fn write(&self, tx: &mut impl GenericClient, change: &Change) -> Result<(), Fail> {
        let Tables {
            state,
            roles,
            credentials,
            ..
        } = &self.tables;
        match change {
            Change::PutSettings(settings) => tx.execute(
                &format!("UPDATE {state} SET settings = $1 WHERE id = 1"),
                &[&self.encode(settings)?],
            ),
            Change::PutRole(role) => tx.execute(
                &format!(
                    "INSERT INTO {roles} (id, record) VALUES ($1, $2)
                     ON CONFLICT (id) DO UPDATE SET record = excluded.record"
                ),
                &[&self.role_key(role.id)?, &self.encode(role)?],
            ),
            Change::DeleteRole { id } => tx.execute(
                &format!("DELETE FROM {roles} WHERE id = $1"),
                &[&self.role_key(*id)?],
            ),
            Change::PutCredential(credential) => tx.execute(
                &format!(
                    "INSERT INTO {credentials} (id, record) VALUES ($1, $2)
                     ON CONFLICT (id) DO UPDATE SET record = excluded.record"
                ),
                &[&credential.id, &self.encode(credential)?],
            ),
            Change::DeleteCredential { id } => {
                tx.execute(&format!("DELETE FROM {credentials} WHERE id = $1"), &[id])
            }
            Change::Replace(document) => return self.replace(tx, document),
        }
        .map(drop)
        .map_err(db("write"))
    }

    /// Replaces everything with `document` inside the transaction `tx`.
    fn replace(&self, tx: &mut impl GenericClient, document: &PolicyDocument) -> Result<(), Fail> {
        let Tables {
            roles, credentials, ..
        } = &self.tables;
        tx.batch_execute(&format!("DELETE FROM {roles}; DELETE FROM {credentials}"))
            .map_err(db("write"))?;
        self.write(tx, &Change::PutSettings(document.settings.clone()))?;
        let put_role = tx
            .prepare(&format!("INSERT INTO {roles} (id, record) VALUES ($1, $2)"))
            .map_err(db("write"))?;
        for role in &document.roles {
            tx.execute(&put_role, &[&self.role_key(role.id)?, &self.encode(role)?])
                .map_err(db("write"))?;
        }
        let put_credential = tx
            .prepare(&format!(
                "INSERT INTO {credentials} (id, record) VALUES ($1, $2)"
            ))
            .map_err(db("write"))?;
        for credential in &document.credentials {
            tx.execute(
                &put_credential,
                &[&credential.id, &self.encode(credential)?],
            )
            .map_err(db("write"))?;
        }

        Ok(())
    }

    fn try_load(&self, client: &mut Client) -> Result<PolicyDocument, Fail> {
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db("begin"))?;
        self.check_schema(&mut tx)?;
        let (revision, settings) = self.read_state(&mut tx, false)?;
        let settings: SettingsRecord = self.parse("table api_roles_state, settings", &settings)?;
        let roles = self.read_roles(&mut tx)?;
        let credentials = self.read_credentials(&mut tx)?;
        tx.commit().map_err(db("read"))?;

        Ok(PolicyDocument {
            format_version: FORMAT_VERSION,
            revision,
            settings,
            roles,
            credentials,
        })
    }

    fn try_revision(&self, client: &mut Client) -> Result<u64, Fail> {
        self.check_schema(client)?;
        Ok(self.read_state(client, false)?.0)
    }

    fn try_apply(&self, client: &mut Client, base: u64, changes: &[Change]) -> Result<u64, Fail> {
        let mut tx = client.transaction().map_err(db("begin"))?;
        self.check_schema(&mut tx)?;
        let (found, _) = self.read_state(&mut tx, true)?;
        let next = self.next_revision(base, found)?;

        for change in changes {
            self.write(&mut tx, change)?;
        }
        tx.execute(
            &format!(
                "UPDATE {} SET revision = $1 WHERE id = 1",
                self.tables.state
            ),
            &[&next],
        )
        .map_err(db("write"))?;
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&self.channel, &next.to_string()],
        )
        .map_err(db("notify"))?;
        tx.commit().map_err(db("commit"))?;

        Ok(base + 1)
    }

    /// Connects the listening connection and subscribes to the channel.
    fn new_listener(&self) -> Result<Client, StoreError> {
        let mut client = self.new_client()?;
        client
            .batch_execute(&format!("LISTEN \"{}\"", self.channel))
            .map_err(|err| self.unavailable("listen", &err))?;
        Ok(client)
    }

    /// Waits on the listening connection for a revision after `revision`.
    fn listen(
        &self,
        listener: &Mutex<Option<Client>>,
        revision: u64,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut guard = lock(listener);
        let client = match guard.take() {
            Some(client) if !client.is_closed() => client,
            _ => self.new_listener()?,
        };
        let client = guard.insert(client);

        // A commit made before listening started, or whose notification
        // was missed, shows in the revision.
        match self.try_revision(client) {
            Ok(current) if current != revision => return Ok(()),
            Ok(_) => {}
            Err(Fail::Store(err)) => return Err(err),
            Err(Fail::Db(operation, err)) => {
                *guard = None;
                return Err(self.unavailable(operation, &err));
            }
        }

        loop {
            let remaining = deadline.map_or(Duration::from_secs(3600), |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            if remaining.is_zero() {
                return Ok(());
            }
            let next = client.notifications().timeout_iter(remaining).next();
            match next {
                Ok(Some(notification)) => {
                    let newer = notification
                        .payload()
                        .parse::<u64>()
                        .map_or(true, |announced| announced > revision);
                    if notification.channel() == self.channel && newer {
                        return Ok(());
                    }
                }
                Ok(None) if !client.is_closed() => return Ok(()),
                Ok(None) => {
                    *guard = None;
                    return Err(StoreError::Unavailable(format!(
                        "lost the listening connection to `{}`",
                        self.location
                    )));
                }
                Err(err) => {
                    *guard = None;
                    return Err(self.unavailable("listen", &err));
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let valid_start = schema
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let valid_rest = schema
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid_start && valid_rest && schema.len() <= MAX_SCHEMA_LEN {
        return Ok(());
    }
    Err(StoreError::Unavailable(format!(
        "invalid schema name `{}`: use 1 to {MAX_SCHEMA_LEN} lower-case ASCII letters, digits \
         and `_`, starting with a letter or `_`",
        shown(schema)
    )))
}

/// Names the database without user or password, such as
/// `postgresql://127.0.0.1:5432/app` or `.../app?schema=tenant_42`.
fn location(config: &Config, schema: Option<&str>) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(_) => "unix-socket".to_owned(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let dbname = config
        .get_dbname()
        .or_else(|| config.get_user())
        .unwrap_or_default();
    let mut location = format!("postgresql://{host}:{port}/{dbname}");
    if let Some(schema) = schema {
        location.push_str("?schema=");
        location.push_str(schema);
    }
    location
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .field("notifications", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}

impl Store for PostgresStore {
    fn load(&self) -> Result<PolicyDocument, StoreError> {
        self.with_client(true, |client| self.try_load(client))
    }

    fn revision(&self) -> Result<u64, StoreError> {
        self.with_client(true, |client| self.try_revision(client))
    }

    fn apply(&self, base: u64, changes: &[Change]) -> Result<u64, StoreError> {
        self.with_client(false, |client| self.try_apply(client, base, changes))
    }

    /// Returns as soon as another instance announces a newer revision, or
    /// when `timeout` has passed; with notifications off, sleeps for
    /// `timeout`.
    fn wait_for_change(&self, revision: u64, timeout: Duration) -> Result<(), StoreError> {
        match &self.listener {
            Some(listener) => self.listen(listener, revision, timeout),
            None => {
                std::thread::sleep(timeout);
                Ok(())
            }
        }
    }
}

impl RowCodec for PostgresStore {
    fn location(&self) -> &str {
        &self.location
    }
}
