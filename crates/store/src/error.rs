//! The store's error type. Callers match on the variants that mean "the user asked for
//! something wrong" (`Invalid`, `Workflow`, `NotFound`, `Conflict`, `Duplicate`) and treat
//! `Database` and `Corrupt` as faults to log.

use pressroom_core::Invalid;
use pressroom_core::workflow::WorkflowError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input broke a domain rule; each field says what.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The workflow refused the action.
    #[error("{0}")]
    Workflow(#[from] WorkflowError),
    /// No such record.
    #[error("{0} not found")]
    NotFound(String),
    /// Someone else saved first (optimistic concurrency).
    #[error(
        "someone else saved this translation while you were editing (it is now at version \
         {current}, you started from {expected}); compare both versions and save again"
    )]
    Conflict {
        /// The version the caller started from.
        expected: i64,
        /// The version stored now.
        current: i64,
    },
    /// A unique name or number is already taken.
    #[error("{0}")]
    Duplicate(String),
    /// The database cannot be opened at start: unreachable, not a database, damaged, or not
    /// writable. The message says which and what to do.
    #[error("{0}")]
    Open(String),
    /// The database URL is not one we can use.
    #[error("the database URL is not usable: {0}")]
    BadUrl(String),
    /// The database was migrated by a newer Pressroom.
    #[error(
        "the database schema is at version {found}, newer than this pressroom understands \
         (up to {known}); run the newer pressroom release that migrated it, or restore a backup"
    )]
    SchemaTooNew {
        /// The database's version.
        found: i64,
        /// This binary's newest version.
        known: i64,
    },
    /// The site cannot sign: no key, or not the current one. Publishing waits for the key.
    #[error("signing: {0}")]
    Signing(String),
    /// A backup cannot be restored here: the target is not empty, the backup is newer than
    /// this binary, or its rows do not fit the schema. The message says which and what to do.
    #[error("{0}")]
    Restore(String),
    /// Stored data that cannot be read back (hand-edited or damaged).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether the error is the caller's (bad input, missing record, conflict) rather than a
    /// fault of the system.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_)
                | Self::Workflow(_)
                | Self::NotFound(_)
                | Self::Conflict { .. }
                | Self::Duplicate(_)
                | Self::Restore(_)
        )
    }

    /// Whether the database could not be reached (pool timed out or closed, connection
    /// failed): the request may succeed shortly, so pages answer 503 with `Retry-After`.
    ///
    /// Also a database that is there but not the site's any more — its tables gone (a
    /// PostgreSQL schema dropped, an SQLite file removed and recreated empty), locked past the
    /// busy timeout, or a server shutting down or refusing connections: the site cannot serve
    /// until an operator acts, and saying 503 keeps caches and crawlers from keeping an error.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            Self::Database(sqlx::Error::Database(db)) => {
                let code = db.code().unwrap_or_default();
                // PostgreSQL: undefined table or schema, no such database, connection
                // exceptions (08…), shutting down / cannot connect now (57P…), too many
                // connections.
                let postgres = ["42P01", "3F000", "3D000", "53300"].contains(&code.as_ref())
                    || code.starts_with("08")
                    || code.starts_with("57P");
                // SQLite: busy or locked past the timeout, cannot open, I/O error, or a table
                // missing from a file that should have every table.
                let sqlite = code
                    .parse::<u32>()
                    .is_ok_and(|c| [5, 6, 10, 14].contains(&(c & 0xff)))
                    || (code == "1" && db.message().starts_with("no such table"));
                postgres || sqlite
            }
            _ => false,
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }
}

/// A unique-constraint violation as [`StoreError::Duplicate`] with `message` (saying what is
/// taken and what to do), any other database error as it is.
pub(crate) fn duplicate(err: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Duplicate(message())
    } else {
        err.into()
    }
}

/// Whether a database error is a unique-constraint violation, on either backend.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db
                    .code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}
