//! [`SqliteStore`]: a store in a SQLite database (feature `sqlite`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior};

use super::rows::RowCodec;
use super::{Change, Store};
use crate::document::{
    CredentialRecord, FORMAT_VERSION, PolicyDocument, RoleRecord, SettingsRecord,
};
use crate::error::{StoreError, shown};

/// The schema version this release creates, reads and writes.
const SCHEMA_VERSION: i64 = 1;

/// The statements that take a database from one schema version to the next:
/// entry `n` migrates version `n` to `n + 1`.
const MIGRATIONS: [&str; 1] = ["
    CREATE TABLE api_roles_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        revision INTEGER NOT NULL CHECK (revision >= 0),
        settings TEXT NOT NULL
    );
    INSERT INTO api_roles_state (id, revision, settings) VALUES (1, 0, '{\"next_role_id\":1}');
    CREATE TABLE api_roles_roles (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
    CREATE TABLE api_roles_credentials (id TEXT PRIMARY KEY, record TEXT NOT NULL);
"];

/// How long a writer waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often [`Store::wait_for_change`] reads the revision.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A store in a SQLite database, with SQLite compiled in (feature `sqlite`).
///
/// The store creates its tables in the database it is given, next to any
/// tables of the host: `api_roles_schema` (the schema version),
/// `api_roles_state` (revision and settings), `api_roles_roles` and
/// `api_roles_credentials` (each record as its JSON text, keyed by id). It
/// migrates an older schema at open, and refuses a newer one with
/// [`StoreError::Unsupported`].
///
/// Every [`apply`](Store::apply) runs in one `BEGIN IMMEDIATE` transaction
/// that checks the stored revision first, so connections and processes
/// sharing the file are serialized, and one that is behind gets
/// [`StoreError::Conflict`] instead of overwriting another's edit. A writer
/// waits up to 5 seconds for another's lock, then fails with
/// [`StoreError::Locked`]. [`load`](Store::load) reads everything in one
/// transaction, so it never sees half of a change. Files use SQLite's
/// write-ahead log, so readers never wait for writers.
///
/// A record that cannot be read is reported by `load` as
/// [`StoreError::Corrupt`] with its table and id, and is left as it is.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use api_roles::{ActionCatalog, Grants, LoadOptions, Policy, SqliteStore};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("policy.db");
/// let catalog = ActionCatalog::builder().actions("Client", ["GetClients"]).build()?;
///
/// let store = Arc::new(SqliteStore::open(&path)?);
/// let (mut policy, _) = Policy::open(catalog.clone(), store, &LoadOptions::default())?;
/// policy.create_role("Reader", Grants::new().action("GetClients"))?;
///
/// let store = Arc::new(SqliteStore::open(&path)?);
/// let (again, _) = Policy::open(catalog, store, &LoadOptions::default())?;
/// assert!(again.role_by_name("Reader").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SqliteStore {
    connection: Mutex<Connection>,
    location: String,
}

impl SqliteStore {
    /// Opens the SQLite database at `path`, creating the file if it is
    /// missing, and creates or migrates the store's tables.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::Unsupported`] for a schema newer than this
    /// release reads, [`StoreError::Locked`] when another connection holds
    /// the database's write lock for more than 5 seconds, and
    /// [`StoreError::Io`] when the file cannot be opened or is not a SQLite
    /// database.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{SqliteStore, Store};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteStore::open(dir.path().join("policy.db"))?;
    /// assert_eq!(store.revision()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let location = path.as_ref().display().to_string();
        let connection = Connection::open(path.as_ref())
            .map_err(|err| Self::error_at(&location, "open", err))?;
        let store = Self {
            connection: Mutex::new(connection),
            location,
        };
        store.configure(true)?;

        Ok(store)
    }

    /// Opens a new, empty store in memory: for tests. Each call gives a
    /// separate database.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::Io`] when SQLite cannot allocate the database.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use api_roles::{SqliteStore, check_store};
    ///
    /// check_store(|| Arc::new(SqliteStore::open_in_memory().expect("in memory")))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let location = ":memory:".to_owned();
        let connection =
            Connection::open_in_memory().map_err(|err| Self::error_at(&location, "open", err))?;
        let store = Self {
            connection: Mutex::new(connection),
            location,
        };
        store.configure(false)?;

        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the connection up and creates or migrates the schema.
    fn configure(&self, file: bool) -> Result<(), StoreError> {
        let mut connection = self.lock();
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| self.error("configure", err))?;
        if file {
            connection
                .query_row("PRAGMA journal_mode = WAL", [], |row| {
                    row.get::<_, String>(0)
                })
                .map_err(|err| self.error("open", err))?;
            connection
                .execute_batch("PRAGMA synchronous = FULL")
                .map_err(|err| self.error("configure", err))?;
        }
        self.migrate(&mut connection)
    }

    /// Brings the schema to [`SCHEMA_VERSION`], in one transaction.
    fn migrate(&self, connection: &mut Connection) -> Result<(), StoreError> {
        if self.stored_version(connection)? == Some(SCHEMA_VERSION) {
            return Ok(());
        }
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.error("begin", err))?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS api_roles_schema (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                version INTEGER NOT NULL
            )",
        )
        .map_err(|err| self.error("create", err))?;
        let version = self.stored_version(&tx)?.unwrap_or(0);
        let start = self.supported(version)?;
        for step in MIGRATIONS.iter().skip(start) {
            tx.execute_batch(step)
                .map_err(|err| self.error("migrate", err))?;
        }
        tx.execute(
            "INSERT INTO api_roles_schema (id, version) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            [SCHEMA_VERSION],
        )
        .map_err(|err| self.error("migrate", err))?;
        tx.commit().map_err(|err| self.error("commit", err))
    }

    /// Reads the schema version; `None` when the store has no tables yet.
    fn stored_version(&self, connection: &Connection) -> Result<Option<i64>, StoreError> {
        let exists: bool = connection
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master
                 WHERE type = 'table' AND name = 'api_roles_schema')",
                [],
                |row| row.get(0),
            )
            .map_err(|err| self.error("read", err))?;
        if !exists {
            return Ok(None);
        }
        connection
            .query_row(
                "SELECT version FROM api_roles_schema WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|err| self.error("read", err))
    }

    /// Returns the number of migrations already applied at `version`, or
    /// an error for a version this release does not know.
    fn supported(&self, version: i64) -> Result<usize, StoreError> {
        match usize::try_from(version) {
            Ok(applied) if version <= SCHEMA_VERSION => Ok(applied),
            _ => Err(self.unsupported(version)),
        }
    }

    fn unsupported(&self, version: i64) -> StoreError {
        StoreError::Unsupported(format!(
            "schema version {version} in `{}`: this release reads version {SCHEMA_VERSION}",
            self.location
        ))
    }

    /// Fails unless the schema is the one this release reads and writes.
    fn check_schema(&self, connection: &Connection) -> Result<(), StoreError> {
        match self.stored_version(connection)? {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(version) => Err(self.unsupported(version)),
            None => Err(StoreError::Unsupported(format!(
                "`{}` has no schema version",
                self.location
            ))),
        }
    }

    fn error(&self, operation: &'static str, err: rusqlite::Error) -> StoreError {
        Self::error_at(&self.location, operation, err)
    }

    fn error_at(location: &str, operation: &'static str, err: rusqlite::Error) -> StoreError {
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
                location: location.to_owned(),
            },
            _ => StoreError::Io {
                operation,
                location: location.to_owned(),
                message: err.to_string(),
            },
        }
    }

    /// Reads the revision and the settings.
    fn read_state(&self, tx: &Transaction<'_>) -> Result<(u64, String), StoreError> {
        let place = "table api_roles_state";
        let row: Option<(i64, String)> = tx
            .query_row(
                "SELECT revision, settings FROM api_roles_state WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|err| self.read_error(place, err))?;
        let Some((revision, settings)) = row else {
            return Err(self.corrupt(place, "the revision row is missing".into()));
        };
        let revision = u64::try_from(revision)
            .map_err(|_| self.corrupt(place, format!("negative revision {revision}")))?;

        Ok((revision, settings))
    }

    /// Maps an error while reading rows: a value of the wrong type is a
    /// corrupt row, anything else a failed read.
    fn read_error(&self, place: &str, err: rusqlite::Error) -> StoreError {
        match err {
            rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..) => self.corrupt(place, err.to_string()),
            err => self.error("read", err),
        }
    }

    fn read_roles(&self, tx: &Transaction<'_>) -> Result<Vec<RoleRecord>, StoreError> {
        let mut statement = tx
            .prepare("SELECT id, record FROM api_roles_roles ORDER BY id")
            .map_err(|err| self.error("read", err))?;
        let mut rows = statement.query([]).map_err(|err| self.error("read", err))?;
        let mut roles = Vec::new();
        while let Some(row) = rows.next().map_err(|err| self.error("read", err))? {
            let id: i64 = row
                .get(0)
                .map_err(|err| self.read_error("table api_roles_roles", err))?;
            let place = format!("table api_roles_roles, id {id}");
            let json: String = row.get(1).map_err(|err| self.read_error(&place, err))?;
            let role: RoleRecord = self.parse(&place, &json)?;
            if i64::try_from(role.id) != Ok(id) {
                return Err(self.corrupt(&place, format!("the record has id {}", role.id)));
            }
            roles.push(role);
        }
        roles.sort_by_key(|role| role.id);

        Ok(roles)
    }

    fn read_credentials(&self, tx: &Transaction<'_>) -> Result<Vec<CredentialRecord>, StoreError> {
        let mut statement = tx
            .prepare("SELECT id, record FROM api_roles_credentials ORDER BY id")
            .map_err(|err| self.error("read", err))?;
        let mut rows = statement.query([]).map_err(|err| self.error("read", err))?;
        let mut credentials = Vec::new();
        while let Some(row) = rows.next().map_err(|err| self.error("read", err))? {
            let id: String = row
                .get(0)
                .map_err(|err| self.read_error("table api_roles_credentials", err))?;
            let place = format!("table api_roles_credentials, id `{}`", shown(&id));
            let json: String = row.get(1).map_err(|err| self.read_error(&place, err))?;
            let credential: CredentialRecord = self.parse(&place, &json)?;
            if credential.id != id {
                let found = shown(&credential.id);
                return Err(self.corrupt(&place, format!("the record has id `{found}`")));
            }
            credentials.push(credential);
        }
        credentials.sort_by(|a, b| a.id.cmp(&b.id));

        Ok(credentials)
    }

    /// Writes one change inside the transaction `tx`.
    fn write(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), StoreError> {
        let run = |sql: &str, params: &[&dyn rusqlite::ToSql]| {
            tx.prepare_cached(sql)
                .and_then(|mut statement| statement.execute(params))
                .map(drop)
                .map_err(|err| self.error("write", err))
        };
        match change {
            Change::PutSettings(settings) => run(
                "UPDATE api_roles_state SET settings = ?1 WHERE id = 1",
                &[&self.encode(settings)?],
            ),
            Change::PutRole(role) => run(
                "INSERT INTO api_roles_roles (id, record) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                &[&self.role_key(role.id)?, &self.encode(role)?],
            ),
            Change::DeleteRole { id } => run(
                "DELETE FROM api_roles_roles WHERE id = ?1",
                &[&self.role_key(*id)?],
            ),
            Change::PutCredential(credential) => run(
                "INSERT INTO api_roles_credentials (id, record) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                &[&credential.id, &self.encode(credential)?],
            ),
            Change::DeleteCredential { id } => {
                run("DELETE FROM api_roles_credentials WHERE id = ?1", &[id])
            }
            Change::Replace(document) => {
                run("DELETE FROM api_roles_roles", &[])?;
                run("DELETE FROM api_roles_credentials", &[])?;
                self.write(tx, &Change::PutSettings(document.settings.clone()))?;
                for role in &document.roles {
                    self.write(tx, &Change::PutRole(role.clone()))?;
                }
                for credential in &document.credentials {
                    self.write(tx, &Change::PutCredential(credential.clone()))?;
                }
                Ok(())
            }
        }
    }

    fn role_key(&self, id: u64) -> Result<i64, StoreError> {
        i64::try_from(id).map_err(|_| {
            StoreError::Unsupported(format!("role id {id} is too large for `{}`", self.location))
        })
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn load(&self) -> Result<PolicyDocument, StoreError> {
        let mut connection = self.lock();
        let tx = connection
            .transaction()
            .map_err(|err| self.error("begin", err))?;
        self.check_schema(&tx)?;
        let (revision, settings) = self.read_state(&tx)?;
        let settings: SettingsRecord = self.parse("table api_roles_state, settings", &settings)?;
        let roles = self.read_roles(&tx)?;
        let credentials = self.read_credentials(&tx)?;

        Ok(PolicyDocument {
            format_version: FORMAT_VERSION,
            revision,
            settings,
            roles,
            credentials,
        })
    }

    fn revision(&self) -> Result<u64, StoreError> {
        let mut connection = self.lock();
        let tx = connection
            .transaction()
            .map_err(|err| self.error("begin", err))?;
        self.check_schema(&tx)?;
        Ok(self.read_state(&tx)?.0)
    }

    fn apply(&self, base: u64, changes: &[Change]) -> Result<u64, StoreError> {
        let mut connection = self.lock();
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.error("begin", err))?;
        self.check_schema(&tx)?;
        let (found, _) = self.read_state(&tx)?;
        let next = self.next_revision(base, found)?;

        for change in changes {
            self.write(&tx, change)?;
        }
        tx.execute(
            "UPDATE api_roles_state SET revision = ?1 WHERE id = 1",
            [next],
        )
        .map_err(|err| self.error("write", err))?;
        tx.commit().map_err(|err| self.error("commit", err))?;

        Ok(base + 1)
    }

    /// Reads the revision every 100 milliseconds until it is no longer
    /// `revision` or `timeout` has passed.
    fn wait_for_change(&self, revision: u64, timeout: Duration) -> Result<(), StoreError> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if self.revision()? != revision {
                return Ok(());
            }
            let pause = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => POLL_INTERVAL,
            };
            if pause.is_zero() {
                return Ok(());
            }
            std::thread::sleep(pause.min(POLL_INTERVAL));
        }
    }
}

impl RowCodec for SqliteStore {
    fn location(&self) -> &str {
        &self.location
    }
}
