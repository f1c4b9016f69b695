//! The bulk path: many already-approved releases published in one transaction, for loading an
//! archive (an old site's releases, a benchmark's generated corpus). Each translation goes
//! through the same steps a publication takes one by one — number, publication record,
//! signature and log entry, audit entry, change-stream entry — so the register, the verify
//! page and the search index cannot tell an imported release from one published by hand; only
//! the round trips per release and the review steps (which the archive already went through)
//! are saved.

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::release::{ReleaseId, RevisionInput};
use pressroom_core::user::Capability;
use serde_json::json;
use sqlx::Row;

use crate::audit::{NewAuditEntry, append};
use crate::authenticity::sign_publication;
use crate::releases::{insert_revision, insert_translation, lock_translation};
use crate::rows::micros;
use crate::users::By;
use crate::workflow::publish;
use crate::{Change, Result, Store};

/// A release to import as published: its kind, when it was first published, and its
/// translations (language and text), all published at that instant.
#[derive(Debug, Clone)]
pub struct ImportRelease {
    /// The kind's key.
    pub kind: String,
    /// The instant of its first publication; its year picks the number's year.
    pub published_at: Timestamp,
    /// One text per language.
    pub translations: Vec<(String, RevisionInput)>,
}

impl Store {
    /// Publishes `releases` in one transaction, in order: each is numbered in its kind's series
    /// (gap-free, after every number already given), signed and logged, audited as
    /// `release.import` by `by` (an admin), and announced on the change stream. Every text is
    /// checked first, as a save checks it; one bad text imports nothing. Writes no outbox
    /// deliveries: releases brought in from an archive are not news to send to subscribers and
    /// webhooks. Returns the new releases' ids. Batches of a few hundred releases keep the
    /// write lock short.
    pub async fn import_published(
        &self,
        releases: &[ImportRelease],
        by: By<'_>,
    ) -> Result<Vec<ReleaseId>> {
        let admin = matches!(by, By::User(u) if u.role.can(Capability::Administer));
        if !admin {
            return Err(
                Invalid::field("user", "only an admin can import published releases").into(),
            );
        }
        let signing = self.signing()?;
        let check = self.input_check().await?;
        let mut invalid = Invalid::default();
        for (i, release) in releases.iter().enumerate() {
            let Some(kind) = check.kinds.iter().find(|k| k.key == release.kind) else {
                invalid.push(
                    "kind",
                    format!("release {i}: there is no kind `{}`", release.kind),
                );
                continue;
            };
            if release.translations.is_empty() {
                invalid.push("translations", format!("release {i} has no translation"));
            }
            for (lang, input) in &release.translations {
                if let Err(e) = check.check(kind, lang, input) {
                    for error in e.errors {
                        invalid.push(
                            &error.field,
                            format!("release {i} ({lang}): {}", error.message),
                        );
                    }
                }
            }
        }
        invalid.into_result(())?;
        let tz = check.settings.tz();
        let author = by.id().unwrap_or_default();
        let mut ids = Vec::with_capacity(releases.len());
        let mut changes = Vec::new();
        let mut tx = self.write_tx().await?;
        for release in releases {
            let at = release.published_at;
            let release_id: ReleaseId = sqlx::query(
                "INSERT INTO releases (kind, created_at, created_by) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(&release.kind)
            .bind(micros(at))
            .bind(author)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            for (lang, input) in &release.translations {
                let translation_id =
                    insert_translation(&mut tx, release_id, lang, input, at).await?;
                let revision_id =
                    insert_revision(&mut tx, translation_id, 1, input, author, at).await?;
                sqlx::query("UPDATE translations SET head_revision_id = $1 WHERE id = $2")
                    .bind(revision_id)
                    .bind(translation_id)
                    .execute(&mut *tx)
                    .await?;
                let translation =
                    lock_translation(&mut tx, self.for_update(), translation_id).await?;
                let now = publish(&mut tx, &translation, None, by, false, at, &tz).await?;
                sign_publication(&mut tx, &signing, &translation, None, now, &tz).await?;
                let mut entry = NewAuditEntry::new(
                    &by,
                    "release.import",
                    format!("translation:{translation_id}"),
                    json!({ "release": release_id, "lang": lang, "revision": revision_id }),
                );
                entry.at = now;
                append(&mut *tx, entry).await?;
                changes.push((
                    Change::Release {
                        release_id,
                        lang: lang.clone(),
                    },
                    now,
                ));
            }
            ids.push(release_id);
        }
        // Last, just before the commit, as every write does (`changes::record`).
        let mut recorded = Vec::with_capacity(changes.len());
        for (change, at) in changes {
            let seq = crate::changes::record(&mut tx, self.backend, &change, at).await?;
            recorded.push((change, seq));
        }
        tx.commit().await?;
        for (change, seq) in &recorded {
            self.notify(change, *seq);
        }
        Ok(ids)
    }
}
