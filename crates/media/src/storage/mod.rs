//! Where media files live: a local folder (one server, the default `DATA/media`) or an
//! S3-compatible bucket (several servers sharing one store). Both hold the same keys and pass
//! the same contract tests; nothing above this module knows which is in use.
//!
//! Files are content-addressed (see [`MediaKey`]), so a write never changes what a key means:
//! writing a key that exists is harmless, and readers may cache a key forever.

mod local;
mod s3;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::future::BoxFuture;

pub use local::LocalFolder;
pub use s3::{S3Settings, S3Storage};

use crate::key::MediaKey;

/// A stored object as a listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its key as stored; not necessarily a [`MediaKey`] (someone may have put other files
    /// in the folder or bucket, and those are never touched).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was written.
    pub modified: SystemTime,
}

/// A storage failure: always a fault of the system (disk, network, permissions), never of
/// the uploader.
#[derive(Debug, thiserror::Error)]
#[error("media storage ({store}): {message}")]
pub struct StorageError {
    /// Which store.
    pub store: String,
    /// What failed.
    pub message: String,
}

impl StorageError {
    /// An error of `store` (a description or a stage such as "processing").
    pub fn new(store: impl fmt::Display, message: impl fmt::Display) -> Self {
        Self {
            store: store.to_string(),
            message: message.to_string(),
        }
    }
}

/// A place to keep media files. Object-safe, so the server holds an `Arc<dyn Storage>` chosen
/// by configuration.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Stores `bytes` under `key`, atomically: a reader sees the whole file or none.
    fn put<'a>(
        &'a self,
        key: &'a MediaKey,
        bytes: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>>;

    /// The bytes under `key`, or `None` if there are none.
    fn get<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<Option<Bytes>, StorageError>>;

    /// Whether `key` is stored. An upload that fails after writing its files deletes only the
    /// ones that were not there before (keys are content hashes: another banner may share one).
    fn exists<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<bool, StorageError>>;

    /// Removes `key`; removing a missing key succeeds (so a collection can be re-run).
    fn delete<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<(), StorageError>>;

    /// Every object stored.
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoredObject>, StorageError>>;

    /// A description for logs and messages (`folder /srv/pressroom/media`, `s3://bucket/media`).
    fn describe(&self) -> String;
}

/// Opens the store named in the configuration: empty for the folder `default_dir`,
/// `s3://bucket[/prefix]` for a bucket (endpoint, region and credentials from the standard
/// `AWS_*` variables), anything else as a folder path.
pub fn open(location: &str, default_dir: &Path) -> Result<Arc<dyn Storage>, StorageError> {
    let location = location.trim();
    if location.is_empty() {
        return Ok(Arc::new(LocalFolder::new(default_dir)));
    }
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::new(
                location,
                "name the bucket: s3://BUCKET or s3://BUCKET/PREFIX",
            ));
        }
        let settings = S3Settings {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            ..S3Settings::default()
        };
        return Ok(Arc::new(S3Storage::new(&settings)?));
    }
    if location.contains("://") {
        return Err(StorageError::new(
            location,
            "use a folder path, or s3://BUCKET/PREFIX for S3-compatible storage",
        ));
    }
    Ok(Arc::new(LocalFolder::new(Path::new(location))))
}
