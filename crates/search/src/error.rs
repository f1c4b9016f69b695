//! The one error type of the crate.
//!
//! A search never fails because of what a person typed: query text is read as words, never as
//! syntax. What is left is the index itself (its folder, its files) and a caller that breaks
//! the contract (a document with an empty language, changes applied out of sequence).

use std::path::PathBuf;

/// What went wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The folder or one of its files could not be read or written.
    #[error("search index folder {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Another process has the index folder open (a second `pressroom serve` on the same data
    /// folder, or `pressroom reindex` while the server runs).
    #[error(
        "the search index in {0} is in use by another Pressroom process; stop it first, or give \
         each server its own data folder"
    )]
    Busy(PathBuf),
    /// Tantivy failed: a damaged file found while searching, a full disk while committing.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A document the caller gave cannot be indexed as it is.
    #[error("translation {translation_id} cannot be indexed: {reason}")]
    BadDocument {
        /// The translation.
        translation_id: i64,
        /// What is wrong with it and how to fix it.
        reason: String,
    },
    /// Changes were applied on top of a sequence number the index is not at: the follower's
    /// cursor is stale (typically after a rebuild swapped in an index built from a snapshot).
    /// Read again from [`SearchIndex::last_seq`](crate::SearchIndex::last_seq).
    #[error(
        "changes after sequence {given} cannot be applied: the index is at {at:?}; read the \
         change stream again from the index's last sequence"
    )]
    OutOfSequence {
        /// The sequence the caller said its changes follow.
        given: u64,
        /// Where the index is (`None`: it has no built index and waits for a rebuild).
        at: Option<u64>,
    },
    /// The documents for a rebuild could not be read; the old index keeps serving.
    #[error("rebuild stopped: the documents could not be read: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync>),
}

impl SearchError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SearchError {
        let path = path.into();
        move |source| SearchError::Io { path, source }
    }
}
