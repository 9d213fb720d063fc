//! What the database stores share: reading and writing one record per row.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DocumentError, StoreError, json_message};

/// Records stored as JSON text, one per row, in a store at `location()`.
pub(super) trait RowCodec {
    /// The database and, where it applies, the schema, as errors show it.
    fn location(&self) -> &str;

    /// An unreadable row at `place`, such as `table api_roles_roles, id 3`.
    fn corrupt(&self, place: &str, message: String) -> StoreError {
        StoreError::Corrupt {
            location: format!("{}: {place}", self.location()),
            source: DocumentError::Syntax {
                line: 0,
                column: 0,
                message,
            },
        }
    }

    /// Parses the record stored at `place`.
    fn parse<T: DeserializeOwned>(&self, place: &str, json: &str) -> Result<T, StoreError> {
        serde_json::from_str(json).map_err(|err| StoreError::Corrupt {
            location: format!("{}: {place}", self.location()),
            source: DocumentError::Syntax {
                line: err.line(),
                column: err.column(),
                message: json_message(&err),
            },
        })
    }

    /// Writes a record as JSON text.
    fn encode(&self, record: &impl Serialize) -> Result<String, StoreError> {
        serde_json::to_string(record).map_err(|err| StoreError::Io {
            operation: "encode",
            location: self.location().to_owned(),
            message: err.to_string(),
        })
    }

    /// Checks that the stored revision `found` is the `base` a change was
    /// made on, and returns the revision the change will have, as the
    /// databases store it.
    fn next_revision(&self, base: u64, found: u64) -> Result<i64, StoreError> {
        if found != base {
            return Err(StoreError::Conflict {
                expected: base,
                found,
            });
        }
        base.checked_add(1)
            .and_then(|next| i64::try_from(next).ok())
            .ok_or_else(|| {
                StoreError::Unsupported(format!(
                    "revision {base} of `{}` is the last",
                    self.location()
                ))
            })
    }
}
