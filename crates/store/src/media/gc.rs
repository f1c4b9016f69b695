//! Garbage collection of media: banners, attachments and files that no revision shows.
//! Never automatic — `pressroom media gc` runs it — and never for anything recorded after the
//! cut-off, so an upload whose revision is not saved yet survives.

use std::collections::HashSet;

use jiff::Timestamp;
use serde_json::json;
use sqlx::Row;

use super::key_sizes;
use crate::audit::{NewAuditEntry, append};
use crate::rows::micros;
use crate::users::By;
use crate::{Result, Store, StoreError};

/// Files that no revision shows any more, as `pressroom media gc` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaGarbage {
    /// Storage keys with their sizes.
    pub files: Vec<(String, u64)>,
    /// Banners no revision shows.
    pub banners: u64,
    /// Attachments no revision shows.
    pub attachments: u64,
}

/// A banner or attachment counts as used while a revision shows it or while it is younger
/// than the cut-off (someone may be about to save the revision that shows it).
const BANNER_IN_USE: &str =
    "(b.created_at >= $1 OR EXISTS (SELECT 1 FROM revision_banners rb WHERE rb.banner_id = b.id))";
const ATTACHMENT_IN_USE: &str = "(a.created_at >= $1 OR EXISTS (SELECT 1 FROM revision_attachments ra WHERE ra.attachment_id = a.id))";

impl Store {
    /// Every storage key the database knows, to tell stored files that were never recorded.
    pub async fn media_keys(&self) -> Result<HashSet<String>> {
        let rows = sqlx::query("SELECT storage_key FROM media_files")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("storage_key")?))
            .collect()
    }

    /// Files no revision shows, recorded before `cutoff`: what [`Store::delete_media_garbage`]
    /// would delete. Changes nothing.
    pub async fn media_garbage(&self, cutoff: Timestamp) -> Result<MediaGarbage> {
        let files = sqlx::query(crate::rows::sql(format!(
            "SELECT f.storage_key, f.size FROM media_files f WHERE f.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM banners b WHERE (b.source_id = f.id OR b.mobile_source_id = f.id) AND {BANNER_IN_USE}) \
             AND NOT EXISTS (SELECT 1 FROM banner_variants v JOIN banners b ON b.id = v.banner_id WHERE v.file_id = f.id AND {BANNER_IN_USE}) \
             AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.file_id = f.id AND {ATTACHMENT_IN_USE}) \
             ORDER BY f.storage_key"
        )))
        .bind(micros(cutoff))
        .fetch_all(&self.pool)
        .await?;
        let count = |sql: String| async move {
            let row = sqlx::query(crate::rows::sql(sql))
                .bind(micros(cutoff))
                .fetch_one(&self.pool)
                .await?;
            Ok::<u64, StoreError>(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
        };
        Ok(MediaGarbage {
            files: key_sizes(&files)?,
            banners: count(format!(
                "SELECT COUNT(*) AS n FROM banners b WHERE NOT {BANNER_IN_USE}"
            ))
            .await?,
            attachments: count(format!(
                "SELECT COUNT(*) AS n FROM attachments a WHERE NOT {ATTACHMENT_IN_USE}"
            ))
            .await?,
        })
    }

    /// Deletes the records of banners, attachments and files that no revision shows and that
    /// were recorded before `cutoff`; returns the storage keys to delete from storage. The
    /// caller deletes the files *after* this commits, so a file is never missing while a row
    /// names it. Never run automatically: `pressroom media gc` calls it.
    pub async fn delete_media_garbage(&self, cutoff: Timestamp) -> Result<MediaGarbage> {
        let mut tx = self.write_tx().await?;
        let at = micros(cutoff);
        let unused_banners = format!("SELECT b.id FROM banners b WHERE NOT {BANNER_IN_USE}");
        sqlx::query(crate::rows::sql(format!(
            "DELETE FROM banner_variants WHERE banner_id IN ({unused_banners})"
        )))
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let banners = sqlx::query(crate::rows::sql(format!(
            "DELETE FROM banners WHERE id IN ({unused_banners})"
        )))
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let attachments = sqlx::query(crate::rows::sql(format!(
            "DELETE FROM attachments WHERE id IN (SELECT a.id FROM attachments a WHERE NOT {ATTACHMENT_IN_USE})"
        )))
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let files = sqlx::query(
            "DELETE FROM media_files WHERE created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM banners b WHERE b.source_id = media_files.id OR b.mobile_source_id = media_files.id) \
             AND NOT EXISTS (SELECT 1 FROM banner_variants v WHERE v.file_id = media_files.id) \
             AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.file_id = media_files.id) \
             RETURNING storage_key, size",
        )
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
        let mut files = key_sizes(&files)?;
        files.sort();
        let details =
            json!({ "files": files.len(), "banners": banners, "attachments": attachments });
        append(
            &mut *tx,
            NewAuditEntry::new(&By::Cli, "media.gc", "media".to_owned(), details),
        )
        .await?;
        tx.commit().await?;
        Ok(MediaGarbage {
            files,
            banners,
            attachments,
        })
    }
}
