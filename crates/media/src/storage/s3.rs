//! Media in an S3-compatible bucket through the `object_store` crate: what several servers
//! behind a load balancer share.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::{Storage, StorageError, StoredObject};
use crate::key::MediaKey;

/// Where the bucket is. Unset fields come from the standard `AWS_*` environment variables
/// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_ALLOW_HTTP`), as every S3 tool reads them.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Folder inside the bucket (`media`), empty for the bucket's root.
    pub prefix: String,
    /// Endpoint of a non-AWS service (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Allow plain HTTP (a service on loopback or a private network).
    pub allow_http: bool,
}

/// An S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct S3Storage {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    name: String,
}

impl S3Storage {
    /// Connects lazily: no request is made until the first file is read or written.
    pub fn new(settings: &S3Settings) -> Result<Self, StorageError> {
        let name = if settings.prefix.is_empty() {
            format!("s3://{}", settings.bucket)
        } else {
            format!("s3://{}/{}", settings.bucket, settings.prefix)
        };
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&settings.bucket);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if settings.allow_http {
            builder = builder.with_allow_http(true);
        }
        let store = builder.build().map_err(|e| StorageError::new(&name, e))?;
        Ok(Self {
            store: Arc::new(store),
            prefix: settings.prefix.trim_matches('/').to_owned(),
            name,
        })
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        }
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> StorageError {
        StorageError::new(&self.name, format!("{what}: {e}"))
    }
}

impl Storage for S3Storage {
    fn put<'a>(
        &'a self,
        key: &'a MediaKey,
        bytes: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            self.store
                .put(&self.path(key.as_str()), PutPayload::from_bytes(bytes))
                .await
                .map_err(|e| self.error("writing", e))?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<Option<Bytes>, StorageError>> {
        Box::pin(async move {
            match self.store.get(&self.path(key.as_str())).await {
                Ok(result) => Ok(Some(
                    result.bytes().await.map_err(|e| self.error("reading", e))?,
                )),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.error("reading", e)),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            match self.store.head(&self.path(key.as_str())).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(self.error("looking up", e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            match self.store.delete(&self.path(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(self.error("deleting", e)),
            }
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<StoredObject>, StorageError>> {
        Box::pin(async move {
            let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
            let metas: Vec<_> = self
                .store
                .list(prefix.as_ref())
                .try_collect()
                .await
                .map_err(|e| self.error("listing", e))?;
            let strip = if self.prefix.is_empty() {
                String::new()
            } else {
                format!("{}/", self.prefix)
            };
            let mut found: Vec<StoredObject> = metas
                .into_iter()
                .map(|m| {
                    let full = m.location.to_string();
                    StoredObject {
                        key: full.strip_prefix(&strip).unwrap_or(&full).to_owned(),
                        size: m.size,
                        modified: m.last_modified.into(),
                    }
                })
                .collect();
            found.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(found)
        })
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}
