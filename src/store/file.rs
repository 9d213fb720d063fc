//! [`FileStore`]: a crash-safe JSON file.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{Change, Store};
use crate::document::{MAX_DOCUMENT_BYTES, PolicyDocument};
use crate::error::{DocumentError, StoreError};

/// A store that keeps the policy in one JSON file.
///
/// Every change is written to a new file next to it, flushed to disk,
/// renamed over the old file, and the directory is flushed, so after a crash
/// the file holds the complete old or the complete new policy. Writers take
/// an exclusive lock on a `.lock` file beside it, so processes that share the
/// file are serialized; each writer checks the revision under the lock, so a
/// process that is behind gets [`StoreError::Conflict`] instead of
/// overwriting another's edit. Readers need no lock.
///
/// A file that cannot be read (empty, truncated, corrupt, a newer format) is
/// an error at open and at every later write: it is never replaced.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use api_roles::{ActionCatalog, FileStore, Grants, LoadOptions, Policy};
///
/// let dir = std::env::temp_dir().join(format!("api-roles-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("policy.json");
/// # let _ = std::fs::remove_file(&path);
/// let catalog = ActionCatalog::builder().actions("A", ["X"]).build()?;
///
/// let store = Arc::new(FileStore::open(&path)?);
/// let (mut policy, _) = Policy::open(catalog.clone(), store, &LoadOptions::default())?;
/// policy.create_role("Everything", Grants::all_actions())?;
///
/// let store = Arc::new(FileStore::open(&path)?);
/// let (again, _) = Policy::open(catalog, store, &LoadOptions::default())?;
/// assert!(again.role_by_name("Everything").is_some());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    temp_path: PathBuf,
}

impl FileStore {
    /// Opens the store kept at `path`, checking that an existing file can be
    /// read. A missing file is an empty store; it is created at the first
    /// change.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::Corrupt`] for a file that cannot be read as a
    /// policy document, and [`StoreError::Io`] when it cannot be read at all.
    ///
    /// # Example
    ///
    /// See [`FileStore`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut name = path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".lock");
        let lock_path = path.with_file_name(&name);
        name.push(".tmp");
        let temp_path = path.with_file_name(name);
        let store = Self {
            path,
            lock_path,
            temp_path,
        };
        store.read()?;

        Ok(store)
    }

    /// Returns the path of the policy file.
    ///
    /// # Example
    ///
    /// ```
    /// let store = api_roles::FileStore::open(std::env::temp_dir().join("api-roles-missing.json"))?;
    /// assert!(store.path().ends_with("api-roles-missing.json"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn io(&self, operation: &'static str, path: &Path, err: std::io::Error) -> StoreError {
        StoreError::Io {
            operation,
            location: path.display().to_string(),
            message: err.to_string(),
        }
    }

    /// Reads the file; a missing file is an empty policy.
    fn read(&self) -> Result<PolicyDocument, StoreError> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(PolicyDocument::empty());
            }
            Err(err) => return Err(self.io("open", &self.path, err)),
        };
        let corrupt = |source| StoreError::Corrupt {
            location: self.location(),
            source,
        };
        let len = file
            .metadata()
            .map_err(|err| self.io("read", &self.path, err))?
            .len();
        if len > MAX_DOCUMENT_BYTES as u64 {
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            return Err(corrupt(DocumentError::TooLarge {
                len,
                max: MAX_DOCUMENT_BYTES,
            }));
        }
        let mut bytes = Vec::new();
        let limit = MAX_DOCUMENT_BYTES as u64 + 1;
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(|err| self.io("read", &self.path, err))?;
        let corrupt = |source| StoreError::Corrupt {
            location: self.location(),
            source,
        };
        if bytes.len() > MAX_DOCUMENT_BYTES {
            let len = fs::metadata(&self.path).map_or(bytes.len(), |m| m.len() as usize);
            return Err(corrupt(crate::error::DocumentError::TooLarge {
                len,
                max: MAX_DOCUMENT_BYTES,
            }));
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            corrupt(DocumentError::Syntax {
                line: 0,
                column: 0,
                message: "the file is not UTF-8".into(),
            })
        })?;
        PolicyDocument::from_json(&text).map_err(corrupt)
    }

    /// Takes the writers' lock; it is released when the file is dropped.
    fn lock(&self) -> Result<File, StoreError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(|err| self.io("open", &self.lock_path, err))?;
        file.lock()
            .map_err(|err| self.io("lock", &self.lock_path, err))?;
        Ok(file)
    }

    /// Writes `document` to a new file, flushes it, renames it over the old
    /// one and flushes the directory.
    fn write(&self, document: &PolicyDocument) -> Result<(), StoreError> {
        let json = document.to_json();
        let mut temp =
            File::create(&self.temp_path).map_err(|err| self.io("create", &self.temp_path, err))?;
        temp.write_all(json.as_bytes())
            .map_err(|err| self.io("write", &self.temp_path, err))?;
        temp.sync_all()
            .map_err(|err| self.io("flush", &self.temp_path, err))?;
        drop(temp);
        fs::rename(&self.temp_path, &self.path)
            .map_err(|err| self.io("rename", &self.temp_path, err))?;
        let dir = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|err| self.io("flush", dir, err))
    }
}

impl Store for FileStore {
    fn load(&self) -> Result<PolicyDocument, StoreError> {
        self.read()
    }

    fn revision(&self) -> Result<u64, StoreError> {
        Ok(self.read()?.revision)
    }

    fn apply(&self, base: u64, changes: &[Change]) -> Result<u64, StoreError> {
        let _lock = self.lock()?;
        let mut document = self.read()?;
        document.commit(base, changes)?;
        self.write(&document)?;

        Ok(document.revision)
    }
}
