//! Media in a folder: `<folder>/<hash>/<name>.<ext>`, the same layout as the URLs, so a
//! reverse proxy could serve the folder directly.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::{Storage, StorageError, StoredObject};
use crate::key::MediaKey;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A local folder of media files.
#[derive(Debug, Clone)]
pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    /// Media under `root` (created when the first file is written).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    fn path(&self, key: &MediaKey) -> PathBuf {
        // A MediaKey is `<hex>/<[a-z0-9-]+>.<ext>`: it cannot leave the folder.
        self.root.join(key.as_str())
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> StorageError {
        StorageError::new(self.describe(), format!("{what}: {e}"))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| self.error("background task", e))?
    }
}

impl Storage for LocalFolder {
    fn put<'a>(
        &'a self,
        key: &'a MediaKey,
        bytes: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let path = self.path(key);
        let this = self.clone();
        Box::pin(self.blocking(move || {
            let dir = path.parent().unwrap_or(&this.root).to_owned();
            std::fs::create_dir_all(&dir).map_err(|e| this.error("creating a folder", e))?;
            // Write beside, then rename: readers never see half a file.
            let temp = dir.join(format!(
                ".tmp-{}-{}",
                std::process::id(),
                TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let written =
                std::fs::write(&temp, &bytes).and_then(|()| std::fs::rename(&temp, &path));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&temp);
                return Err(this.error("writing a file", e));
            }
            Ok(())
        }))
    }

    fn get<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<Option<Bytes>, StorageError>> {
        let path = self.path(key);
        let this = self.clone();
        Box::pin(self.blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(this.error("reading a file", e)),
        }))
    }

    fn exists<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<bool, StorageError>> {
        let path = self.path(key);
        let this = self.clone();
        Box::pin(self.blocking(move || {
            path.try_exists()
                .map_err(|e| this.error("looking for a file", e))
        }))
    }

    fn delete<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<(), StorageError>> {
        let path = self.path(key);
        let this = self.clone();
        Box::pin(self.blocking(move || {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(this.error("deleting a file", e)),
            }
            // The hash folder goes when it is empty; if it is not, this fails harmlessly.
            if let Some(dir) = path.parent() {
                let _ = std::fs::remove_dir(dir);
            }
            Ok(())
        }))
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<StoredObject>, StorageError>> {
        let this = self.clone();
        Box::pin(self.blocking(move || {
            let mut found = Vec::new();
            let top = match std::fs::read_dir(&this.root) {
                Ok(top) => top,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(found),
                Err(e) => return Err(this.error("listing the folder", e)),
            };
            for dir in top {
                let dir = dir.map_err(|e| this.error("listing the folder", e))?;
                if !dir.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let prefix = dir.file_name().to_string_lossy().into_owned();
                let entries =
                    std::fs::read_dir(dir.path()).map_err(|e| this.error("listing a folder", e))?;
                for entry in entries {
                    let entry = entry.map_err(|e| this.error("listing a folder", e))?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let Ok(meta) = entry.metadata() else { continue };
                    if !meta.is_file() || name.starts_with(".tmp-") {
                        continue;
                    }
                    found.push(StoredObject {
                        key: format!("{prefix}/{name}"),
                        size: meta.len(),
                        modified: meta.modified().unwrap_or(std::time::UNIX_EPOCH),
                    });
                }
            }
            found.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(found)
        }))
    }

    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }
}
